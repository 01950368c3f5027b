#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# net.rct.checksum: an arriving UDP datagram with a wrong checksum is
# invalid (counted, not tracked) where it arrives, as with
# nf_conntrack_checksum; with the sysctl off it is tracked. The sender's
# own output path is never checked.
source "$(dirname "$0")/lib.sh"
need python3
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

setup_pair
entry() { in_ns "$1" cat /proc/net/rct_conntrack | grep -c "sport=$2 "; }

inv0=$(stat_sum "$b" invalid)
in_ns "$a" python3 "$TRAFFIC" udp-badsum 192.0.2.1 192.0.2.2 6001 9
[ "$(stat_sum "$b" invalid)" = $((inv0 + 1)) ] && pass "bad checksum counted invalid on arrival" ||
	fail "invalid $(stat_sum "$b" invalid), want $((inv0 + 1))"
[ "$(entry "$b" 6001)" = 0 ] && pass "not tracked where it arrived" || fail "tracked in B"
[ "$(entry "$a" 6001)" = 1 ] && pass "tracked by the sender (output is not checked)" || fail "sender has no entry"

in_ns "$b" sysctl -qw net.rct.checksum=0
in_ns "$a" python3 "$TRAFFIC" udp-badsum 192.0.2.1 192.0.2.2 6002 9
[ "$(entry "$b" 6002)" = 1 ] && pass "tracked with net.rct.checksum=0" || fail "not tracked with checksum=0"

# Good checksums are tracked with checking on.
in_ns "$b" sysctl -qw net.rct.checksum=1
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 6003 192.0.2.2 9 1
[ "$(entry "$b" 6003)" = 1 ] && pass "valid datagram tracked with checking on" || fail "valid datagram not tracked"
exit $ret
