#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Loads and unloads rct 20 times with namespaces present: every load creates
# the proc files and sysctls in every namespace, every unload removes them
# all, and the kernel logs no splat and leaks no per-CPU memory.
source "$(dirname "$0")/lib.sh"
trap cleanup_ns EXIT

rct_loaded && rct_unload
setup_ns ns1 ns2 || skip "cannot create namespaces"
dmesg_mark

percpu_kb() { awk '/^Percpu:/ {print $2}' /proc/meminfo; }

present_everywhere() {
	local ns
	for ns in "" "$ns1" "$ns2"; do
		in_ns "$ns" test -r /proc/net/rct_conntrack || return 1
		in_ns "$ns" test -r /proc/net/stat/rct_conntrack || return 1
		in_ns "$ns" test -w /proc/sys/net/rct/udp_timeout || return 1
	done
}
absent_everywhere() {
	local ns
	for ns in "" "$ns1" "$ns2"; do
		in_ns "$ns" test -e /proc/net/rct_conntrack && return 1
		in_ns "$ns" test -e /proc/net/stat/rct_conntrack && return 1
		in_ns "$ns" test -e /proc/sys/net/rct && return 1
	done
	return 0
}

# One warm-up cycle so first-use allocations are not counted as leaks.
rct_load && rct_unload
before=$(percpu_kb)

ok=1
cycles=$(scaled 20)
for i in $(seq 1 "$cycles"); do
	if ! rct_load; then
		fail "insmod #$i"
		ok=0
		break
	fi
	# A namespace created while loaded gets its files too, and can go away.
	setup_ns tmp && in_ns "$tmp" test -r /proc/net/stat/rct_conntrack || {
		fail "new namespace #$i has no rct files"
		ok=0
	}
	ip netns del "$tmp"
	present_everywhere || {
		fail "files missing after insmod #$i"
		ok=0
	}
	if ! rct_unload; then
		fail "rmmod #$i"
		ok=0
		break
	fi
	absent_everywhere || {
		fail "files left behind after rmmod #$i"
		ok=0
	}
done
[ $ok -eq 1 ] && pass "$cycles load/unload cycles with 2 extra namespaces"

after=$(percpu_kb)
# Each load allocates per-CPU counters in every namespace; 20 leaked cycles
# would show up as at least a few KiB.
if [ $((after - before)) -gt 4 ]; then
	fail "per-CPU memory grew from ${before} kB to ${after} kB"
else
	pass "per-CPU memory stable (${before} kB -> ${after} kB)"
fi

splats=$(dmesg_splats)
if [ -n "$splats" ]; then
	fail "kernel log has splats:"
	echo "$splats" | sed 's/^/# /'
else
	pass "no splat in the kernel log"
fi
exit $ret
