#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rct's hooks coexist with nf_conntrack's: with nf_conntrack tracking (an nft
# `ct state` rule) in the same namespaces, both see the traffic, rct counts
# exactly, nf_conntrack still tracks, and rct can be unloaded and reloaded
# under nf_conntrack without disturbing it.
source "$(dirname "$0")/lib.sh"
need nft ping modprobe


nf_unload_if_new
cleanup() {
	cleanup_ns
	rct_loaded && rct_unload
	nf_restore
}
trap cleanup EXIT

load_nft nft_ct
setup_ns a b || skip "cannot create namespaces"
veth_pair "$a" "$b" || { fail "veth setup"; exit $ret; }

rules=$(mktemp)
cat >"$rules" <<'NFT'
table inet ct_test {
	chain input {
		type filter hook input priority 0; policy accept;
		ct state established,related counter accept
		ct state new counter accept
	}
	chain output {
		type filter hook output priority 0; policy accept;
		ct state new,established counter accept
	}
}
NFT
for ns in "$a" "$b"; do
	in_ns "$ns" nft -f "$rules" || { fail "nft ruleset"; exit $ret; }
done
rm -f "$rules"

ping_ab() { in_ns "$a" ping -4 -q -c "$1" -i 0.2 -W 2 192.0.2.2 >/dev/null; }
nf_icmp_entries() { in_ns "$1" cat /proc/net/nf_conntrack | grep -c 'icmp .*src=192.0.2.1 dst=192.0.2.2'; }

# rct loaded after nf_conntrack.
rct_load || { fail "insmod beside nf_conntrack"; exit $ret; }
wait_quiet "$a" "$b"
ca=$(hook_counts "$a")
cb=$(hook_counts "$b")
ping_ab 3 || fail "ping with both trackers"
da=$(hook_counts "$a")
db=$(hook_counts "$b")
read -r p1 i1 o1 q1 <<<"$ca"
read -r p2 i2 o2 q2 <<<"$da"
got_a="$((p2 - p1)) $((i2 - i1)) $((o2 - o1)) $((q2 - q1))"
read -r p1 i1 o1 q1 <<<"$cb"
read -r p2 i2 o2 q2 <<<"$db"
got_b="$((p2 - p1)) $((i2 - i1)) $((o2 - o1)) $((q2 - q1))"
[ "$got_a $got_b" = "3 3 3 3 3 3 3 3" ] && pass "rct counts exactly beside nf_conntrack" ||
	fail "rct deltas A=$got_a B=$got_b, want 3 3 3 3 each"
[ "$(nf_icmp_entries "$b")" -ge 1 ] && pass "nf_conntrack tracks the same flow" ||
	fail "nf_conntrack has no entry for the ping"
new=$(in_ns "$b" nft list chain inet ct_test input | awk '/ct state new/ {for (i=1;i<=NF;i++) if ($i=="packets") print $(i+1)}')
[ "${new:-0}" -ge 1 ] && pass "nft ct state rule matched ($new new)" || fail "nft ct state new matched ${new:-0}"

# Unload rct under nf_conntrack: nf keeps working.
rct_unload || fail "rmmod beside nf_conntrack"
ping_ab 2 && pass "traffic flows after rmmod rct" || fail "traffic after rmmod rct"
[ "$(nf_icmp_entries "$b")" -ge 1 ] && pass "nf_conntrack still tracks after rmmod rct" ||
	fail "nf_conntrack lost its entry"

# Reload with nf_conntrack already tracking.
rct_load || fail "reload beside nf_conntrack"
wait_quiet "$a"
ca=$(hook_counts "$a")
ping_ab 1 || fail "ping after reload"
[ "$(hook_counts "$a")" != "$ca" ] && pass "rct counts again after reload" || fail "no counts after reload"
exit $ret
