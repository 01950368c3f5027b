#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Entries expire after their protocol's timeout (shortened through the
# net.rct.*_timeout sysctls) and the GC removes them; a replied UDP flow
# still alive after 2 s becomes a stream: ASSURED, with udp_timeout_stream.
source "$(dirname "$0")/lib.sh"
need python3 ping
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

setup_pair
count() { in_ns "$1" cat /proc/sys/net/rct/count; }
count_is() { [ "$(count "$1")" = "$2" ]; }

# A UDP stream: request, reply, and more traffic after 2 s.
udp_echo_bg "$b" 192.0.2.2 53 2
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 4001 192.0.2.2 53 1 --reply || fail "udp echo 1"
line=$(in_ns "$a" cat /proc/net/rct_conntrack | grep 'sport=4001')
[[ "$line" != *ASSURED* && "$line" != *UNREPLIED* ]] && pass "replied within 2 s: not yet assured" ||
	fail "early state: $line"
sleep 2.5
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 4001 192.0.2.2 53 1 --reply || fail "udp echo 2"
line=$(in_ns "$a" cat /proc/net/rct_conntrack | grep 'sport=4001')
t=$(awk '{print $5}' <<<"$line")
if [[ "$line" == *"[ASSURED]"* ]] && [ "${t:-0}" -gt 30 ]; then
	pass "stream: ASSURED with udp_timeout_stream ($t s)"
else
	fail "stream state: $line"
fi

for ns in "$a" "$b"; do
	in_ns "$ns" sysctl -qw net.rct.udp_timeout=6 net.rct.icmp_timeout=6 \
		net.rct.generic_timeout=6 net.rct.udp_timeout_stream=40 || fail "timeout sysctls"
done

# Each entry is checked right after its packet: on the slow debug kernel the
# first one may already have expired by the time the third is sent.
before=$(count "$a")
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 4000 192.0.2.2 9 1
t=$(ct_timeout "$a" 'udp .*sport=4000')
[ -n "$t" ] && [ "$t" -le 6 ] && pass "udp entry uses udp_timeout ($t)" || fail "udp timeout '$t'"
in_ns "$a" ping -4 -q -c 1 192.0.2.2 >/dev/null
t=$(ct_timeout "$a" '^ipv4 +2 icmp ')
[ -n "$t" ] && [ "$t" -le 6 ] && pass "icmp entry uses icmp_timeout ($t)" || fail "icmp timeout '$t'"
in_ns "$a" python3 "$TRAFFIC" raw 253 192.0.2.1 192.0.2.2 1
t=$(ct_timeout "$a" 'unknown  253')
[ -n "$t" ] && [ "$t" -le 6 ] && pass "generic entry uses generic_timeout ($t)" ||
	fail "generic timeout '$t'"

# Expired entries leave the table file at once and the table within GC latency.
if busywait 15000 count_is "$a" "$before"; then
	pass "the 3 short-lived entries expired and were collected"
else
	fail "count still $(count "$a") after 15 s, want $before"
fi
[ -z "$(in_ns "$a" cat /proc/net/rct_conntrack | grep -E 'sport=4000|icmp|unknown')" ] &&
	pass "expired entries gone from the table file" || fail "expired entries still shown"

# A timeout change applies to the next packet.
in_ns "$a" sysctl -qw net.rct.generic_timeout=100
in_ns "$a" python3 "$TRAFFIC" raw 253 192.0.2.1 192.0.2.2 1
t=$(ct_timeout "$a" 'unknown  253')
[ "${t:-0}" -gt 90 ] && [ "${t:-0}" -le 100 ] && pass "generic_timeout change honoured ($t)" ||
	fail "generic timeout $t, want ~100"

# Bad values are refused and change nothing.
if in_ns "$a" sh -c 'echo -5 > /proc/sys/net/rct/udp_timeout' 2>/dev/null; then
	fail "negative timeout accepted"
else
	[ "$(in_ns "$a" cat /proc/sys/net/rct/udp_timeout)" = 6 ] && pass "negative timeout refused" ||
		fail "udp_timeout changed"
fi
exit $ret
