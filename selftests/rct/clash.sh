#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two CPUs racing the first packets of the same UDP flow (the Kubernetes DNS
# "insert_failed" case): both create an unconfirmed entry, one is inserted,
# the other resolves the clash by reusing the winner. Never a duplicate
# entry, never a dropped packet, and the winner counts both packets.
source "$(dirname "$0")/lib.sh"
need python3
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
setup_pair
for ns in "$a" "$b"; do in_ns "$ns" sysctl -qw net.rct.acct=1; done

N=150
in_ns "$a" python3 "$TRAFFIC" udp-race 192.0.2.1 192.0.2.2 9 30000 $N || fail "race traffic"

for ns in "$a" "$b"; do
	name=$([ "$ns" = "$a" ] && echo A || echo B)
	lines=$(in_ns "$ns" cat /proc/net/rct_conntrack | grep -c 'udp .*dport=9 ')
	uniq=$(in_ns "$ns" cat /proc/net/rct_conntrack | grep 'udp .*dport=9 ' | awk '{print $8}' | sort -u | wc -l)
	[ "$lines" = $N ] && [ "$uniq" = $N ] && pass "$name: $N flows, $N entries, no duplicates" ||
		fail "$name: $lines entries ($uniq distinct) for $N flows"
	two=$(in_ns "$ns" cat /proc/net/rct_conntrack | grep 'udp .*dport=9 ' | grep -c 'dport=9 packets=2 bytes=64 ')
	[ "$two" = $N ] && pass "$name: every entry counts both packets" ||
		fail "$name: only $two of $N entries count both packets"
	ins=$(stat_sum "$ns" insert)
	clash=$(stat_sum "$ns" clashres)
	failed=$(stat_sum "$ns" insert_failed)
	drop=$(stat_sum "$ns" drop)
	log "$name: insert=$ins clash_resolve=$clash insert_failed=$failed drop=$drop"
	[ "$failed" = 0 ] && [ "$drop" = 0 ] && pass "$name: no insert_failed, no drop" ||
		fail "$name: insert_failed=$failed drop=$drop"
	# One insert per flow; the loser of each race (if the second packet came
	# before the first was confirmed) is merged into the winner.
	[ "$ins" = $N ] && [ "$clash" -le $N ] && pass "$name: one insert per flow, $clash merged" ||
		fail "$name: insert=$ins clash_resolve=$clash for $N flows"
	[ "$ns" = "$a" ] && a_clash=$clash
done
[ "${a_clash:-0}" -ge 1 ] && pass "the race happened ($a_clash clashes resolved in A)" ||
	fail "no clash in $N raced flows: the race was not exercised"
exit $ret
