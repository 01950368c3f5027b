#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# net.rct.max is enforced: with the table full and nothing evictable near
# the new flow, the packet is dropped, counted in `drop`, and logged
# "rct: table full, dropping packet" (rate-limited); count never exceeds max;
# an ASSURED stream is never the one evicted.
# max is machine-wide (set in the initial namespace) and limits each
# namespace's own count.
source "$(dirname "$0")/lib.sh"
need python3
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

setup_pair
# An established UDP stream (replied, alive after 2 s: ASSURED) that the
# flood must not evict.
udp_echo_bg "$b" 192.0.2.2 53 3
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 4001 192.0.2.2 53 1 --reply || fail "udp echo 1"
sleep 2.5
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 4001 192.0.2.2 53 1 --reply || fail "udp echo 2"
assured() { in_ns "$1" cat /proc/net/rct_conntrack | grep 'sport=4001 ' | grep -q ASSURED; }
assured "$a" && assured "$b" || fail "the stream is not ASSURED before the flood"
sysctl -qw net.rct.max=10
dmesg_mark

in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 9 20000 40 2>/dev/null
count=$(in_ns "$a" cat /proc/sys/net/rct/count)
[ "$count" -le 10 ] && [ "$count" -ge 1 ] && pass "count $count <= max 10" || fail "count $count with max 10"
drop=$(stat_sum "$a" drop)
early=$(stat_sum "$a" early_drop)
[ $((drop + early)) -ge 30 ] && pass "drop=$drop early_drop=$early for 40 flows into 10 slots" ||
	fail "drop=$drop early_drop=$early"
[ "$drop" -ge 1 ] && pass "packets dropped when nothing was evictable" || fail "no drop"
if dmesg | sed -n "/$RCT_DMESG_MARK/,\$p" | grep -q 'rct: table full, dropping packet'; then
	pass "table full logged"
else
	fail "no 'table full' log line"
fi
lines=$(dmesg | sed -n "/$RCT_DMESG_MARK/,\$p" | grep -c 'rct: table full, dropping packet')
[ "$lines" -le 11 ] && pass "log is rate-limited ($lines lines for $drop drops)" || fail "$lines log lines"

assured "$a" && assured "$b" && pass "the ASSURED stream survived the flood in A and B" ||
	fail "the flood evicted the ASSURED stream"
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 4001 192.0.2.2 53 1 --reply && pass "the stream still carries data" ||
	fail "the stream stopped working"

# Each namespace counts only its own entries: B holds as many as A let through.
cb=$(in_ns "$b" cat /proc/sys/net/rct/count)
[ "$cb" -le 10 ] && [ "$cb" -ge 1 ] && pass "B's own count $cb <= max 10" || fail "B count $cb"

# Raising max lets new flows in again.
sysctl -qw net.rct.max=1000
in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 9 21000 5
c2=$(in_ns "$a" cat /proc/sys/net/rct/count)
[ "$c2" -ge $((count + 5)) ] && pass "new flows admitted after raising max ($c2)" || fail "count $c2"
exit $ret
