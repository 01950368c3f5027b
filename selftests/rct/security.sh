#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hardening: the hash is seeded per load (the same flows land in other
# buckets, so the table lists them in another order); a hash chain longer
# than nf's limit refuses inserts and counts `chaintoolong`; proc files and
# sysctls have nf_conntrack's permissions; no output shows a kernel pointer.
source "$(dirname "$0")/lib.sh"
need python3 modprobe
nf_unload_if_new
trap 'nf_cleanup' EXIT

setup_pair
flows() { in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 9 "$1" "$2" 2>/dev/null; }
order() { in_ns "$a" cat /proc/net/rct_conntrack | grep -o 'sport=[0-9]*' | awk 'NR % 2 == 1'; }

# Same 64 flows, same bucket count, two loads: another key, another order.
in_ns "$a" sysctl -qw net.rct.udp_timeout=600
flows 20000 64
first=$(order)
cleanup_ns
rct_unload
setup_pair
in_ns "$a" sysctl -qw net.rct.udp_timeout=600
flows 20000 64
second=$(order)
if [ "$(sort <<<"$first")" != "$(sort <<<"$second")" ] || [ "$(wc -l <<<"$first")" != 64 ]; then
	fail "the two loads did not track the same 64 flows"
elif [ "$first" != "$second" ]; then
	pass "per-load hash key: the same 64 flows are listed in another bucket order"
else
	fail "the same bucket order after reloading: the hash key did not change"
fi

# One bucket: every entry of A and of B adds two links to one chain, which
# refuses inserts past 50..79 links; every refused flow is counted once, in
# A (on the way out) or in B (on the way in). A flow whose entry was lost
# before A's confirm hook (README, Limits; not expected since unconfirmed
# entries are parked for all CPUs) would be counted unconfirmed_drop in A
# once the GC reaped it (after 1 s) and still reach B.
cleanup_ns
rct_unload
setup_pair
sysctl -qw net.rct.buckets=1
flows 21000 100
sleep 2
ca=$(in_ns "$a" cat /proc/sys/net/rct/count)
cb=$(in_ns "$b" cat /proc/sys/net/rct/count)
la=$(stat_sum "$a" chainlength)
lb=$(stat_sum "$b" chainlength)
ua=$(stat_sum "$a" unconfirmed_drop)
ub=$(stat_sum "$b" unconfirmed_drop)
[ "$ua" = 0 ] || log "A: $ua flows lost their entry between A's hooks (unconfirmed_drop)"
links=$((2 * (ca + cb)))
if [ $links -ge 50 ] && [ $links -le 81 ] && [ $((ca + la + ua)) = 100 ] && [ $((cb + lb + ub)) = $((ca + ua)) ] &&
	[ "$(stat_sum "$a" insert_failed)" = "$la" ]; then
	pass "chain limit: $links links in one chain, $la + $lb inserts refused and counted chaintoolong"
else
	fail "one bucket, 100 flows: counts $ca/$cb, chaintoolong $la/$lb, unconfirmed_drop $ua/$ub, insert_failed $(stat_sum "$a" insert_failed)"
fi
count=$ca
sysctl -qw net.rct.buckets=1024
flows 22000 10
[ "$(in_ns "$a" cat /proc/sys/net/rct/count)" = $((count + 10)) ] &&
	pass "after resizing to 1024 buckets new flows are inserted again" ||
	fail "count $(in_ns "$a" cat /proc/sys/net/rct/count) after 10 more flows"

# Permissions as nf_conntrack's, in the initial namespace and in another.
load_nft nf_conntrack
for ns in "" "$a"; do
	name=${ns:+netns}
	name=${name:-init}
	modes() {
		in_ns "$ns" stat -c '%a:%u:%g' /proc/net/$1 /proc/net/stat/$1 \
			"/proc/sys/net/$2max" "/proc/sys/net/$2buckets" "/proc/sys/net/$2count" | tr '\n' ' '
	}
	rct=$(modes rct_conntrack rct/)
	nf=$(modes nf_conntrack netfilter/nf_conntrack_)
	[ "$rct" = "$nf" ] && pass "$name: permissions as nf's ($rct)" || fail "$name: rct '$rct' nf '$nf'"
done

# No kernel pointers anywhere rct writes.
out=$( (
	cat /proc/net/rct_conntrack /proc/net/stat/rct_conntrack
	in_ns "$a" cat /proc/net/rct_conntrack /proc/net/stat/rct_conntrack
	cat /proc/sys/net/rct/*
	dmesg | grep 'rct:'
) 2>&1)
if grep -qiE '(0x)?ffff[0-9a-f]{12}' <<<"$out"; then
	fail "a kernel pointer in rct's output: $(grep -oiE '(0x)?ffff[0-9a-f]{12}' <<<"$out" | head -n 3 | tr '\n' ' ')"
else
	pass "no kernel pointer in the table, statistics, sysctls or log ($(wc -l <<<"$out") lines)"
fi
exit $ret
