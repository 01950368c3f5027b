#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A flow whose reply tuple equals its original tuple (a UDP socket on
# 127.0.0.1:7777 talking to itself) hashes both directions into the same
# bucket. It must still be one visible entry that expires, is collected,
# and leaves nothing behind at unload.
source "$(dirname "$0")/lib.sh"
need python3
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

rct_loaded || rct_load || { fail "insmod"; exit $ret; }
setup_ns s || skip "cannot create namespaces"
in_ns "$s" sysctl -qw net.rct.udp_timeout=8 net.rct.acct=1

in_ns "$s" python3 "$TRAFFIC" udp 127.0.0.1 7777 127.0.0.1 7777 3
lines=$(in_ns "$s" cat /proc/net/rct_conntrack | grep -c 'sport=7777 dport=7777')
[ "$lines" = 1 ] && pass "one entry for the self-connected flow" || fail "$lines entries"
count() { in_ns "$s" cat /proc/sys/net/rct/count; }
[ "$(count)" = 1 ] && pass "net.rct.count = 1" || fail "count $(count)"
empty() { [ "$(count)" = 0 ]; }
busywait 20000 empty && pass "entry expired and was collected" || fail "count still $(count)"

teardown_no_leak
exit $ret
