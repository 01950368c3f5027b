#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Differential test: nf_conntrack (made to track by an nft `ct state` rule)
# and rct see the same mixed traffic in the same namespaces; their tables
# must be equal entry by entry: tuples, flags, counters, mark, zone, and
# timeouts within 3 seconds (the 30 s defaults, equal in both, are raised
# alike in both so that a slow kernel cannot outlive them). Traffic: UDP
# with and without replies, ICMP and ICMPv6 echo, a UDP probe answered by
# an ICMP error (RELATED), another protocol (generic), in IPv4 and IPv6,
# plus loopback traffic.
source "$(dirname "$0")/lib.sh"
need nft ping python3 modprobe

nf_unload_if_new
trap nf_cleanup EXIT

load_nft nft_ct
setup_pair

nf_track "$a" "$b" || { fail "nf_conntrack tracking setup"; exit $ret; }
for t in udp_timeout udp_timeout_stream icmp_timeout icmpv6_timeout generic_timeout; do
	r=$(in_ns "$a" cat "/proc/sys/net/rct/$t")
	n=$(in_ns "$a" cat "/proc/sys/net/netfilter/nf_conntrack_$t")
	[ -n "$r" ] && [ "$r" = "$n" ] && pass "default $t: rct $r, nf $n" || fail "default $t: rct '$r', nf '$n'"
done
long_timeouts "$a" "$b" || fail "raising the 30 s timeouts"

udp_echo_bg "$b" 192.0.2.2 53 3
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 5001 192.0.2.2 53 3 --reply || fail "udp v4 echo"
udp_echo_bg "$b" 2001:db8::2 53 1
in_ns "$a" python3 "$TRAFFIC" udp 2001:db8::1 5002 2001:db8::2 53 1 --reply || fail "udp v6 echo"
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 5003 192.0.2.2 9 2
in_ns "$a" python3 "$TRAFFIC" udp 2001:db8::1 5004 2001:db8::2 9 1
in_ns "$a" ping -4 -q -c 3 -i 0.2 192.0.2.2 >/dev/null || fail "ping v4"
in_ns "$a" ping -6 -q -c 2 -i 0.2 2001:db8::2 >/dev/null || fail "ping v6"
in_ns "$a" python3 "$TRAFFIC" raw 253 192.0.2.1 192.0.2.2 2
in_ns "$a" python3 "$TRAFFIC" raw 253 2001:db8::1 2001:db8::2 1
in_ns "$b" python3 "$TRAFFIC" raw 254 192.0.2.2 192.0.2.1 1
in_ns "$a" ping -4 -q -c 2 -i 0.2 127.0.0.1 >/dev/null || fail "ping loopback"
in_ns "$a" ping -6 -q -c 1 ::1 >/dev/null || fail "ping6 loopback"

for ns in "$a" "$b"; do
	name=$([ "$ns" = "$a" ] && echo A || echo B)
	rct=$(in_ns "$ns" cat /proc/net/rct_conntrack)
	nf=$(in_ns "$ns" cat /proc/net/nf_conntrack)
	if [ "$(normalize_ct <<<"$rct")" = "$(normalize_ct <<<"$nf")" ]; then
		pass "$name: rct's table equals nf_conntrack's ($(wc -l <<<"$rct") entries)"
	else
		fail "$name: tables differ (< rct, > nf):"
		diff <(normalize_ct <<<"$rct") <(normalize_ct <<<"$nf") | sed 's/^/#   /'
	fi
	timeouts_agree "$rct" "$nf" && pass "$name: timeouts agree within 3 s" || fail "$name: timeouts differ"
done
exit $ret
