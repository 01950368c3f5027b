#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# net.rct.max: readable, writable, EINVAL on garbage with the old value kept;
# one machine-wide value like nf_conntrack_max: read-only in other namespaces
# (a container cannot raise its own limit), enforced on each namespace's count.
source "$(dirname "$0")/lib.sh"
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

rct_loaded || rct_load || { fail "insmod"; exit $ret; }
F=/proc/sys/net/rct/max

default=$(cat $F)
if [[ "$default" =~ ^[0-9]+$ ]] && [ "$default" -ge 1024 ]; then
	pass "default max $default"
else
	fail "default max '$default' is not a number >= 1024"
fi

# write NS VALUE: writes VALUE (as echo would) into NS's max; returns the write status.
write() { in_ns "$1" sh -c "printf '%s\n' '$2' > $F" 2>/dev/null; }
value() { in_ns "$1" cat $F; }

write "" 1234 && [ "$(value "")" = 1234 ] && pass "write 1234" || fail "write 1234 (reads $(value ""))"
if command -v sysctl >/dev/null; then
	out=$(sysctl net.rct.max)
	[ "$out" = "net.rct.max = 1234" ] && pass "sysctl net.rct.max" || fail "sysctl printed '$out'"
fi

for bad in abc -1 12abc 2147483648 99999999999999999999 -- 1.5; do
	if write "" "$bad"; then
		fail "write '$bad' succeeded"
	elif [ "$(value "")" != 1234 ]; then
		fail "write '$bad' changed max to $(value "")"
	else
		pass "write '$bad' rejected, max kept"
	fi
done
write "" 0 && [ "$(value "")" = 0 ] && pass "write 0" || fail "write 0"
# proc_dointvec parses C-style numbers, as for nf_conntrack_max.
write "" 0x10 && [ "$(value "")" = 16 ] && pass "write 0x10 reads 16" || fail "write 0x10"
write "" 2147483647 && [ "$(value "")" = 2147483647 ] && pass "write INT_MAX" || fail "write INT_MAX"
write "" 1234

# One value, writable in the initial namespace only.
setup_ns n1 n2 || skip "cannot create namespaces"
[ "$(value "$n1")" = 1234 ] && pass "other namespaces read the global value" ||
	fail "namespace reads $(value "$n1"), want 1234"
if write "$n1" 100; then
	fail "a non-initial namespace wrote max"
else
	[ "$(value "")" = 1234 ] && pass "non-initial namespace cannot write max" || fail "max changed to $(value "")"
fi
write "" 4321
[ "$(value "$n2")" = 4321 ] && pass "a write in the initial namespace shows everywhere" ||
	fail "n2 reads $(value "$n2") after writing 4321"
write "" "$default"
exit $ret
