#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# net.rct.buckets resizes the live table: entries before == entries after,
# and lookups keep finding entries while entries move (packets of existing
# flows sent during the resizes create nothing new: no insert, no clash
# merge). Bad values get EINVAL and keep the old size.
source "$(dirname "$0")/lib.sh"
need python3
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

B=/proc/sys/net/rct/buckets
setup_pair
for ns in "$a" "$b"; do
	in_ns "$ns" sysctl -qw net.rct.udp_timeout=600 net.rct.acct=1
done
orig=$(cat $B)

N=$(scaled 4000)
# Twice, so that every flow has an entry even if its first packet lost it
# (an entry is lost only if its packet spends more than a second between
# rct's hooks; see README, Limits). The resizes below are judged against
# the table as it is after this.
for _ in 1 2; do
	in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 9 20000 $N
done
wait_quiet "$a"
udp_lines() { in_ns "$1" cat /proc/net/rct_conntrack | grep ' udp ' | normalize_ct | sed -E 's/ packets=[0-9]+ bytes=[0-9]+//g'; }
before_a=$(udp_lines "$a")
before_b=$(udp_lines "$b")
n=$(wc -l <<<"$before_a")
[ "$n" = $N ] && pass "$N flows tracked before resizing" || fail "$n entries for $N flows"
# "SPORT PACKETS" of A's UDP entries (original direction).
sport_packets() {
	in_ns "$a" cat /proc/net/rct_conntrack | sed -nE 's/.* udp .* sport=([0-9]+) dport=9 packets=([0-9]+) .*/\1 \2/p' | sort
}
packets0=$(sport_packets)
ins0=$(($(stat_sum "$a" insert) + $(stat_sum "$b" insert)))
clash0=$(($(stat_sum "$a" clashres) + $(stat_sum "$b" clashres)))

# The same flows again, over and over, while the table is resized.
(
	for _ in 1 2 3 4 5 6; do
		in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 9 20000 $N
	done
) &
traffic=$!
bad=0 rounds=0
while kill -0 $traffic 2>/dev/null; do
	for size in 65536 1024 30011 64 262144 "$orig"; do
		echo "$size" >$B || bad=1
		[ "$(cat $B)" = "$size" ] || bad=1
	done
	rounds=$((rounds + 1))
done
wait $traffic
[ $bad = 0 ] && pass "$rounds rounds of 6 resizes under traffic, each read back" || fail "a resize failed or did not read back"

after_a=$(udp_lines "$a")
after_b=$(udp_lines "$b")
[ "$after_a" = "$before_a" ] && [ "$after_b" = "$before_b" ] &&
	pass "the same $N entries in both namespaces after resizing" ||
	fail "entries changed: A $(wc -l <<<"$after_a") B $(wc -l <<<"$after_b"), want $N"
ins=$(($(stat_sum "$a" insert) + $(stat_sum "$b" insert) - ins0))
clash=$(($(stat_sum "$a" clashres) + $(stat_sum "$b" clashres) - clash0))
[ "$ins" = 0 ] && [ "$clash" = 0 ] && pass "no lookup missed during the resizes (0 inserts, 0 clash merges)" ||
	fail "lookups missed entries: $ins inserts, $clash clash merges"
# Every packet sent during the resizes was counted on its entry (6 more per
# flow in A's original direction).
counted=$(join <(echo "$packets0") <(sport_packets) | awk '$3 == $2 + 6' | wc -l)
[ "$counted" = $N ] && pass "every entry counted all 6 packets sent while resizing" ||
	fail "$counted of $N entries counted the 6 packets sent while resizing"

for v in 0 -1 abc 16777217 1x; do
	if sh -c "echo '$v' > $B" 2>/dev/null; then
		fail "buckets accepted '$v'"
	elif [ "$(cat $B)" != "$orig" ]; then
		fail "'$v' changed buckets to $(cat $B)"
	else
		pass "buckets '$v' rejected with the size kept"
	fi
done
exit $ret
