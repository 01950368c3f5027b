#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sysctl writes racing traffic and the GC: max shrinking below the count,
# timeouts changing, the table resizing, accounting and checksumming
# toggled, all while two CPUs send. Afterwards: no splat, the limit holds
# for new flows, shortened timeouts are honoured (the GC empties the table),
# and the namespace still tracks normally.
source "$(dirname "$0")/lib.sh"
need python3 taskset
trap 'kill $senders $writer 2>/dev/null; cleanup_ns; rct_loaded && rct_unload' EXIT

[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
setup_pair
dmesg_mark
cpu_senders "$a" 20000 300 10000
# The writer: every knob, random values, as fast as it can, until $stop
# exists (killing it could leave a sysctl process writing after us).
stop=$(mktemp -u)
(
	while [ ! -e "$stop" ]; do
		sysctl -qw net.rct.max=$((RANDOM % 400)) 2>/dev/null
		in_ns "$a" sysctl -qw net.rct.udp_timeout=$((RANDOM % 5)) net.rct.acct=$((RANDOM % 2)) \
			net.rct.checksum=$((RANDOM % 2)) net.rct.log_invalid=$((RANDOM % 2 * 17)) 2>/dev/null
		in_ns "$b" sysctl -qw net.rct.udp_timeout=$((RANDOM % 5)) net.rct.generic_timeout=$((RANDOM % 5)) 2>/dev/null
		sysctl -qw net.rct.buckets=$((RANDOM % 4096 + 1)) 2>/dev/null
	done
) &
writer=$!
sleep 20
touch "$stop"
wait $writer 2>/dev/null
rm -f "$stop"
pass "20 s of sysctl writes racing traffic on 2 CPUs and the GC"

# The limit holds for new flows: max 50, while traffic still runs.
sysctl -qw net.rct.max=50
for ns in "$a" "$b"; do in_ns "$ns" sysctl -qw net.rct.udp_timeout=1; done
# A packet reserves its slot before checking the limit (as nf): a read may
# see one reservation per CPU in flight, about to be given back.
slack=$(nproc)
within() {
	[ "$(in_ns "$a" cat /proc/sys/net/rct/count)" -le $((50 + slack)) ] &&
		[ "$(in_ns "$b" cat /proc/sys/net/rct/count)" -le $((50 + slack)) ]
}
# Entries admitted before max shrank expire within their (at most 4 s)
# timeouts plus GC latency; from then on early drop keeps the count within.
if busywait 15000 within; then
	ok=1
	for _ in $(seq 1 20); do
		within || ok=0
		sleep 0.2
	done
	[ $ok = 1 ] && pass "count stays <= max 50 under traffic once the old entries expired" ||
		fail "count went above max 50 again under traffic"
else
	fail "count still above max $(cat /proc/sys/net/rct/max) after 15 s: A $(in_ns "$a" cat /proc/sys/net/rct/count) ($(in_ns "$a" cat /proc/net/rct_conntrack | wc -l) listed), B $(in_ns "$b" cat /proc/sys/net/rct/count) ($(in_ns "$b" cat /proc/net/rct_conntrack | wc -l) listed), buckets $(cat /proc/sys/net/rct/buckets)"
	in_ns "$a" cat /proc/net/rct_conntrack | head -n 3 | sed 's/^/#   A: /'
fi
kill $senders
wait $senders 2>/dev/null
kill_ns_procs "$a"

# Shortened timeouts are honoured: everything expires and is collected.
empty() { [ "$(in_ns "$a" cat /proc/sys/net/rct/count)" = 0 ] && [ "$(in_ns "$b" cat /proc/sys/net/rct/count)" = 0 ]; }
busywait 10000 empty && pass "all entries expired and were collected" ||
	fail "counts $(in_ns "$a" cat /proc/sys/net/rct/count) / $(in_ns "$b" cat /proc/sys/net/rct/count) left"

# Still tracking normally.
sysctl -qw net.rct.max=1000
in_ns "$a" sysctl -qw net.rct.udp_timeout=30
in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 9 40000 5
n=$(in_ns "$a" cat /proc/net/rct_conntrack | grep -cE 'sport=4000[0-4] dport=9 ')
[ "$n" = 5 ] && pass "tracks new flows afterwards" || fail "$n of 5 new flows tracked"
splats=$(dmesg_splats)
[ -z "$splats" ] && pass "no splat" || fail "kernel log: $(head -n 5 <<<"$splats")"
exit $ret
