#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ctnetlink under hostile input: random ctnetlink requests (ctnl.py:
# every message type, random flags, families and attribute trees, wrong
# lengths, garbage, truncation) for 30 s (8 s on the debug kernel) while
# traffic keeps creating entries and `conntrack -E` listens, so that every
# request that changes an entry also builds its event. Every request gets
# an answer (and events were delivered); afterwards
# the kernel logged no splat, conntrack -L still lists the table and rct
# unloads cleanly. A user without CAP_NET_ADMIN gets EPERM.
source "$(dirname "$0")/lib.sh"
need python3 conntrack
trap 'kill $(jobs -p) 2>/dev/null; cleanup_ns; rct_loaded && rct_unload' EXIT

FUZZ="$RCT_SELFTEST_DIR/ctnl.py"
setup_pair
[ "$(sysctl -n net.rct.ctnetlink)" = 1 ] || {
	fail "rct does not serve ctnetlink"
	exit $ret
}
dmesg_mark
secs=30
[ "${RCT_VARIANT:-normal}" = debug ] && secs=8

# Entries to find, change and delete, made all along.
(
	p=20000
	while :; do
		in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 53 $p 20 2>/dev/null
		in_ns "$a" python3 "$TRAFFIC" udp-flows 2001:db8::1 2001:db8::2 53 $p 20 2>/dev/null
		p=$((p + 20))
		[ $p -gt 60000 ] && p=20000
		sleep 0.5
	done
) &
evf=$(mktemp)
ip netns exec "$a" conntrack -E >"$evf" 2>&1 &
events=$!
out=$(in_ns "$a" python3 "$FUZZ" fuzz "$secs" "$RANDOM")
rc=$?
kill %1 "$events" 2>/dev/null
wait 2>/dev/null
nev=$(grep -cE '^ *\[(NEW|UPDATE|DESTROY)\] ' "$evf")
rm -f "$evf"
[ "$nev" -gt 0 ] && pass "conntrack -E received $nev events meanwhile" || fail "conntrack -E received no event"
log "$out"
[ $rc = 0 ] && pass "$(grep -o '^requests [0-9]*' <<<"$out") random requests in ${secs} s, each answered" ||
	fail "fuzzer: a request got no or a malformed answer"
splats=$(dmesg_splats)
[ -z "$splats" ] && pass "no splat" || {
	fail "kernel splat:"
	echo "$splats" | head -20 | sed 's/^/#   /'
}
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 5555 192.0.2.2 9 1
in_ns "$a" conntrack -L 2>/dev/null | grep -q 'sport=5555 dport=9 ' && pass "conntrack -L works after the fuzzing" ||
	fail "conntrack -L does not list a new flow after the fuzzing"
in_ns "$a" setpriv --reuid=65534 --regid=65534 --clear-groups python3 "$FUZZ" eperm >/dev/null &&
	pass "without CAP_NET_ADMIN: EPERM" || fail "unprivileged request not refused with EPERM"
teardown_no_leak
exit $ret
