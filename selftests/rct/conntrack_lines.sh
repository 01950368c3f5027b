#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Real traffic between two namespaces produces exactly the expected
# /proc/net/rct_conntrack lines on both sides: UDP (replied and not), ICMP
# and ICMPv6 echo, another protocol (generic), in IPv4 and IPv6, with
# per-direction counters (net.rct.acct=1). Timeouts start at nf's defaults
# and entries take theirs from the sysctls.
source "$(dirname "$0")/lib.sh"
need ping python3
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

setup_pair
# The defaults are nf's; the test then lengthens the 30 s ones, which a
# slow (debug) kernel could outlive before the table is read.
for s in udp_timeout:30 icmp_timeout:30 icmpv6_timeout:30 generic_timeout:600 udp_timeout_stream:120; do
	v=$(in_ns "$a" cat "/proc/sys/net/rct/${s%%:*}")
	[ "$v" = "${s#*:}" ] && pass "default ${s%%:*} = $v" || fail "default ${s%%:*} = $v, want ${s#*:}"
done
for ns in "$a" "$b"; do in_ns "$ns" sysctl -qw net.rct.acct=1; done
long_timeouts "$a" "$b" || fail "raising the 30 s timeouts"

V6A=2001:0db8:0000:0000:0000:0000:0000:0001
V6B=2001:0db8:0000:0000:0000:0000:0000:0002

start=$(date +%s)
# UDP with a reply (IPv4): 2 requests, 2 answers of 42 bytes each (a 14-byte payload).
udp_echo_bg "$b" 192.0.2.2 53 2
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 5000 192.0.2.2 53 2 --reply || fail "udp v4 echo"
# UDP without a reply (IPv6): one datagram to a port nobody answers from
# (an ICMPv6 port unreachable comes back: RELATED, no new entry).
in_ns "$a" python3 "$TRAFFIC" udp 2001:db8::1 6000 2001:db8::2 7 1
# ICMP and ICMPv6 echo.
in_ns "$a" ping -4 -q -c 2 -i 0.2 192.0.2.2 >/dev/null || fail "ping v4"
in_ns "$a" ping -6 -q -c 1 2001:db8::2 >/dev/null || fail "ping v6"
# Another protocol (253, reserved for experiments): generic tracking.
in_ns "$a" python3 "$TRAFFIC" raw 253 192.0.2.1 192.0.2.2 3
in_ns "$a" python3 "$TRAFFIC" raw 253 2001:db8::1 2001:db8::2 1

id4=$(in_ns "$a" cat /proc/net/rct_conntrack | sed -nE 's/.*icmp .* type=8 code=0 id=([0-9]+) .*/\1/p')
id6=$(in_ns "$a" cat /proc/net/rct_conntrack | sed -nE 's/.*icmpv6 .* type=128 code=0 id=([0-9]+) .*/\1/p')

for ns in "$a" "$b"; do
	expect_line "$ns" "ipv4     2 udp      17 T src=192.0.2.1 dst=192.0.2.2 sport=5000 dport=53 packets=2 bytes=84 src=192.0.2.2 dst=192.0.2.1 sport=53 dport=5000 packets=2 bytes=84 mark=0 zone=0"
	expect_line "$ns" "ipv6     10 udp      17 T src=$V6A dst=$V6B sport=6000 dport=7 packets=1 bytes=62 [UNREPLIED] src=$V6B dst=$V6A sport=7 dport=6000 packets=0 bytes=0 mark=0 zone=0"
	expect_line "$ns" "ipv4     2 icmp     1 T src=192.0.2.1 dst=192.0.2.2 type=8 code=0 id=$id4 packets=2 bytes=168 src=192.0.2.2 dst=192.0.2.1 type=0 code=0 id=$id4 packets=2 bytes=168 mark=0 zone=0"
	expect_line "$ns" "ipv6     10 icmpv6   58 T src=$V6A dst=$V6B type=128 code=0 id=$id6 packets=1 bytes=104 src=$V6B dst=$V6A type=129 code=0 id=$id6 packets=1 bytes=104 mark=0 zone=0"
	expect_line "$ns" "ipv4     2 unknown  253 T src=192.0.2.1 dst=192.0.2.2 packets=3 bytes=105 [UNREPLIED] src=192.0.2.2 dst=192.0.2.1 packets=0 bytes=0 mark=0 zone=0"
	expect_line "$ns" "ipv6     10 unknown  253 T src=$V6A dst=$V6B packets=1 bytes=55 [UNREPLIED] src=$V6B dst=$V6A packets=0 bytes=0 mark=0 zone=0"
	n=$(ct_lines "$ns" | wc -l)
	[ "$n" = 6 ] && pass "exactly 6 entries" || fail "$n entries, want 6"
	[ "$(in_ns "$ns" cat /proc/sys/net/rct/count)" = 6 ] && pass "net.rct.count = 6" ||
		fail "net.rct.count = $(in_ns "$ns" cat /proc/sys/net/rct/count)"
done

# Timeouts start at the sysctls' values, minus the time the test has taken.
check_timeout() {
	local t elapsed
	t=$(ct_timeout "$a" "$1")
	elapsed=$(($(date +%s) - start))
	if [ -n "$t" ] && [ "$t" -le "$2" ] && [ "$t" -ge $(($2 - elapsed - 2)) ]; then
		pass "timeout of $1: $t (default $2)"
	else
		fail "timeout of $1: '$t', want about $2"
	fi
}
check_timeout 'udp .*dport=53 ' 300
check_timeout 'icmp ' 301
check_timeout 'icmpv6 ' 302
check_timeout 'unknown  253 .*src=192' 600

# The port-unreachable error was attributed, not counted as an error.
err=$(stat_sum "$a" icmp_error)
[ "$err" = 0 ] && pass "ICMP errors about tracked flows are RELATED" || fail "icmp_error=$err"

# An ICMP error about a flow nobody tracks counts as icmp_error, creates nothing.
before=$(ct_lines "$b")
in_ns "$a" python3 "$TRAFFIC" icmp-error 192.0.2.1 192.0.2.2
err=$(stat_sum "$b" icmp_error)
[ "$err" = 1 ] && pass "unattributable ICMP error counted as icmp_error" || fail "icmp_error=$err in B, want 1"
# (Earlier entries may expire meanwhile on a slow kernel: look for new ones.)
new=$(comm -13 <(echo "$before") <(ct_lines "$b"))
[ -z "$new" ] && pass "no entry for it" || fail "an entry was created: $new"

# Nothing leaked into the initial namespace.
[ -z "$(cat /proc/net/rct_conntrack)" ] && pass "initial namespace table empty" ||
	fail "initial namespace has entries"
exit $ret
