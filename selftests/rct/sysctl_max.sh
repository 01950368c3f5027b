#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# net.rct.max: readable, writable, EINVAL on garbage with the old value kept,
# independent per namespace.
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

# Per-namespace values.
setup_ns n1 n2 || skip "cannot create namespaces"
[ "$(value "$n1")" = "$default" ] && pass "new namespace starts at the default" ||
	fail "new namespace starts at $(value "$n1"), want $default"
write "$n1" 100
write "$n2" 200
if [ "$(value "$n1")" = 100 ] && [ "$(value "$n2")" = 200 ] && [ "$(value "")" = 1234 ]; then
	pass "values independent per namespace"
else
	fail "values not independent: n1=$(value "$n1") n2=$(value "$n2") init=$(value "")"
fi
exit $ret
