#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rmmod while traffic flows on both CPUs, 20 times, reloading each time:
# every unload succeeds and removes everything, every reload tracks again,
# no entry is leaked (the entry cache is destroyed empty) and the kernel
# logs no splat.
source "$(dirname "$0")/lib.sh"
need python3 taskset
trap 'kill $senders 2>/dev/null; cleanup_ns; rct_loaded && rct_unload' EXIT

[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
setup_pair
dmesg_mark
# Two senders, one per CPU: new flows (fresh ports) and the same flows again.
cpu_senders "$a" 20000 200 20000

tracking() { [ "$(in_ns "$a" cat /proc/sys/net/rct/count 2>/dev/null || echo 0)" -gt 0 ]; }
bad=0
cycles=$(scaled 20)
for i in $(seq 1 "$cycles"); do
	sleep 0.5
	if ! rct_unload; then
		fail "rmmod #$i under traffic"
		bad=1
		break
	fi
	if [ -e /proc/net/rct_conntrack ] || in_ns "$a" test -e /proc/net/rct_conntrack; then
		fail "files left after rmmod #$i"
		bad=1
	fi
	if ! rct_load; then
		fail "insmod #$i"
		bad=1
		break
	fi
	# Tracking again: entries appear in A while the senders go on.
	if ! busywait 5000 tracking; then
		fail "no entry in A after reload #$i"
		bad=1
	fi
done
[ $bad = 0 ] && pass "$cycles unloads under traffic on 2 CPUs, each reload tracking again"
kill $senders 2>/dev/null
wait $senders 2>/dev/null
kill_ns_procs "$a"

if dmesg | sed -n "/$RCT_DMESG_MARK/,\$p" | grep -q 'still has objects'; then
	fail "rct_conn objects leaked at an unload"
else
	pass "every unload destroyed an empty entry cache (no leak)"
fi
splats=$(dmesg_splats)
[ -z "$splats" ] && pass "no splat" || fail "kernel log: $(head -n 5 <<<"$splats")"
exit $ret
