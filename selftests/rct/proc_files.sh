#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# /proc/net/rct_conntrack and /proc/net/stat/rct_conntrack exist in every
# namespace (including ones created before rct was loaded), have nf's
# layout, and vanish from all of them on rmmod.
source "$(dirname "$0")/lib.sh"
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

rct_loaded && rct_unload
setup_ns early || skip "cannot create namespaces"
rct_load || { fail "insmod"; exit $ret; }
setup_ns late

# Possible CPUs, from a range list such as "0-1" or "0,2-3".
ncpus=0
IFS=, read -ra ranges </sys/devices/system/cpu/possible
for r in "${ranges[@]}"; do
	lo=${r%-*} hi=${r#*-}
	ncpus=$((ncpus + hi - lo + 1))
done

header="entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart prerouting localin localout postrouting unconfirmed_drop"
for ns in "" "$early" "$late"; do
	name=${ns:-init}
	name=${name%-*}
	# As nf_conntrack's: the table is root's (0440), the statistics are public.
	if [ "$(in_ns "$ns" stat -c %a:%u:%g /proc/net/rct_conntrack 2>/dev/null)" = 440:0:0 ] &&
		[ "$(in_ns "$ns" stat -c %a /proc/net/stat/rct_conntrack 2>/dev/null)" = 444 ]; then
		pass "$name: proc files exist, table 0440 root:root, stat 0444"
	else
		fail "$name: proc files missing or wrong mode: $(in_ns "$ns" stat -c %a:%u:%g /proc/net/rct_conntrack /proc/net/stat/rct_conntrack 2>&1 | tr '\n' ' ')"
		continue
	fi
	if in_ns "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/net/rct_conntrack >/dev/null 2>&1; then
		fail "$name: an unprivileged user can read the connection table"
	elif ! in_ns "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/net/stat/rct_conntrack >/dev/null; then
		fail "$name: an unprivileged user cannot read the statistics"
	else
		pass "$name: only root reads the table; anyone reads the statistics"
	fi
	stat=$(in_ns "$ns" cat /proc/net/stat/rct_conntrack)
	[ "$(head -n 1 <<<"$stat")" = "$header" ] && pass "$name: stat header" ||
		fail "$name: stat header is '$(head -n 1 <<<"$stat")'"
	lines=$(tail -n +2 <<<"$stat" | grep -cE '^[0-9a-f]{8}  ([0-9a-f]{8} ){12} ([0-9a-f]{8} ){8}[0-9a-f]{8}$')
	[ "$lines" = "$ncpus" ] && pass "$name: $ncpus well-formed CPU lines" ||
		fail "$name: $lines well-formed CPU lines, want $ncpus"
	# The table is empty until the conntrack engine tracks flows.
	[ -z "$(in_ns "$ns" cat /proc/net/rct_conntrack)" ] && pass "$name: table file readable" ||
		fail "$name: table file unexpected content"
done

# Many small reads (dd bs=7) see the same text as one read: seq_file
# iteration resumes correctly.
whole=$(cat /proc/net/stat/rct_conntrack)
pieces=$(dd if=/proc/net/stat/rct_conntrack bs=7 2>/dev/null)
[ "$whole" = "$pieces" ] && pass "small reads resume correctly" || fail "small reads differ"

rct_unload || fail "rmmod"
for ns in "" "$early" "$late"; do
	if in_ns "$ns" test -e /proc/net/rct_conntrack || in_ns "$ns" test -e /proc/net/stat/rct_conntrack ||
		in_ns "$ns" test -e /proc/sys/net/rct; then
		fail "${ns:-init}: files left after rmmod"
	fi
done
[ $ret -eq 0 ] && pass "files gone from every namespace after rmmod"
exit $ret
