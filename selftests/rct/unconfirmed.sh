#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two-phase insert: an entry is confirmed only if its packet survives
# filtering. A packet dropped by an nftables rule between the conntrack hook
# and the confirm hook leaves no entry behind: the unconfirmed entry is
# reaped within about a second and counted in unconfirmed_drop. Forwarded
# traffic (PRE_ROUTING -> POST_ROUTING) is confirmed in the router.
source "$(dirname "$0")/lib.sh"
need nft python3 ping
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

load_nft
setup_pair

rules=$(mktemp)
cat >"$rules" <<'NFT'
table inet drop9 {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport 9 counter drop
	}
}
NFT
in_ns "$b" nft -f "$rules" || { fail "nft ruleset"; exit $ret; }
rm -f "$rules"

in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 4100 192.0.2.2 9 3
# B saw the packets at PRE_ROUTING (entries created) but dropped them
# before LOCAL_IN: nothing is confirmed there; A confirmed its entry.
[ -n "$(in_ns "$a" cat /proc/net/rct_conntrack | grep 'sport=4100')" ] && pass "sender confirmed its entry" ||
	fail "sender has no entry"
[ -z "$(in_ns "$b" cat /proc/net/rct_conntrack | grep 'sport=4100')" ] && pass "dropped packet's entry not in the table" ||
	fail "dropped packet was confirmed"
dropped=$(in_ns "$b" nft list chain inet drop9 input | sed -nE 's/.*packets ([0-9]+).*/\1/p')
[ "$dropped" = 3 ] && pass "nft dropped 3 packets" || fail "nft dropped '$dropped'"
b_empty() { [ "$(in_ns "$b" cat /proc/sys/net/rct/count)" = 0 ]; }
if busywait 5000 b_empty; then
	pass "unconfirmed entries reaped"
else
	fail "count stays $(in_ns "$b" cat /proc/sys/net/rct/count)"
fi
n=$(stat_sum "$b" unconfirmed_drop)
[ "$n" = 3 ] && pass "unconfirmed_drop = 3" || fail "unconfirmed_drop = $n, want 3"
[ "$(stat_sum "$b" insert)" = 0 ] && pass "nothing inserted in B" || fail "B inserted $(stat_sum "$b" insert)"

# Accepted traffic to the same host is confirmed.
in_ns "$a" ping -4 -q -c 1 192.0.2.2 >/dev/null || fail "ping"
[ -n "$(in_ns "$b" cat /proc/net/rct_conntrack | grep 'icmp ')" ] && pass "accepted packet confirmed in B" ||
	fail "no icmp entry in B"

# Forwarding: A - R - C, R routes. R tracks the forwarded flow.
setup_router
if in_ns "$a" ping -4 -q -c 2 -i 0.3 -W 2 198.51.100.2 >/dev/null; then
	line=$(ct_lines "$r" | grep 'icmp .*src=203.0.113.2 dst=198.51.100.2')
	if [ -n "$line" ] && [[ "$line" != *UNREPLIED* ]]; then
		pass "router tracks forwarded flow: $line"
	else
		fail "router entry: '$line'"
	fi
	[ "$(stat_sum "$r" localin)" = "0" ] || log "router LOCAL_IN saw $(stat_sum "$r" localin) packets"
else
	fail "ping through router"
fi
exit $ret
