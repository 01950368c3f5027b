#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Module parameters hashsize and max (as nf_conntrack's hashsize): modinfo
# lists them as uint; they set net.rct.buckets and the net.rct.max of every
# namespace, new ones included; sysfs shows them read-only; garbage and
# out-of-range values fail the load (range errors with one clear log line)
# and leave rct unloaded; without them the sizes follow RAM.
source "$(dirname "$0")/lib.sh"
need modinfo
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

rct_loaded && rct_unload

# get NS NAME: net.rct.NAME in NS, through sysctl(8) when installed.
get() {
	if command -v sysctl >/dev/null; then
		in_ns "$1" sysctl -n "net.rct.$2"
	else
		in_ns "$1" cat "/proc/sys/net/rct/$2"
	fi
}
# expect_sysctl NS NAME VALUE WHAT: net.rct.NAME in NS reads VALUE.
expect_sysctl() {
	local v
	v=$(get "$1" "$2")
	[ "$v" = "$3" ] && pass "$4: net.rct.$2 = $3" || fail "$4: net.rct.$2 = '$v', want $3"
}
# logged GREP_FLAG TEXT: the kernel logged a message matching TEXT as a
# whole line (-F: fixed string, -E: regex) since dmesg_mark.
logged() {
	dmesg | sed -n "/$RCT_DMESG_MARK/,\$p" | sed -E 's/^\[ *[0-9.]+\] //' | grep -qx "$1" -- "$2"
}

# modinfo: both parameters, typed uint, with a description.
for p in hashsize max; do
	if modinfo -F parmtype "$RCT_KO" | grep -qx "$p:uint"; then
		pass "modinfo: parmtype $p:uint"
	else
		fail "modinfo: no 'parmtype $p:uint' (have: $(modinfo -F parmtype "$RCT_KO" | tr '\n' ' '))"
	fi
	if modinfo -F parm "$RCT_KO" | grep -qE "^$p:[^ ].* \(uint\)$"; then
		pass "modinfo: parm $p has a description"
	else
		fail "modinfo: no description for $p"
	fi
done

# Both parameters given: the table and every namespace's max follow them.
dmesg_mark
if rct_load hashsize=4096 max=1234; then
	pass "insmod hashsize=4096 max=1234"
	expect_sysctl "" buckets 4096 "initial netns"
	expect_sysctl "" max 1234 "initial netns"
	if setup_ns n1; then
		expect_sysctl "$n1" buckets 4096 "new netns"
		expect_sysctl "$n1" max 1234 "new netns"
	else
		fail "cannot create a namespace"
	fi
	logged -E "rct: loaded: 4096 buckets, max 1234, [0-9]+ bytes per entry" &&
		pass "load line shows 4096 buckets, max 1234" || fail "no 'loaded: 4096 buckets, max 1234' line"
	P=/sys/module/rct/parameters
	if [ -d $P ]; then
		[ "$(cat $P/hashsize)" = 4096 ] && pass "sysfs hashsize 4096" ||
			fail "sysfs hashsize '$(cat $P/hashsize)'"
		[ "$(cat $P/max)" = 1234 ] && pass "sysfs max 1234" || fail "sysfs max '$(cat $P/max)'"
		mode=$(stat -c %a $P/hashsize)
		[ "$mode" = 444 ] && pass "sysfs hashsize mode 444" || fail "sysfs hashsize mode $mode"
		if sh -c "echo 8 > $P/hashsize" 2>/dev/null; then
			fail "sysfs hashsize is writable"
		elif [ "$(cat $P/hashsize)" != 4096 ]; then
			fail "refused sysfs write changed hashsize to $(cat $P/hashsize)"
		else
			pass "sysfs hashsize refuses writes"
		fi
	else
		log "SKIP: $P does not exist (no sysfs parameters)"
	fi
	cleanup_ns
	rct_unload || fail "rmmod"
else
	fail "insmod hashsize=4096 max=1234"
fi

# C-style numbers, as kstrtouint reads them; the largest max.
if rct_load hashsize=0x400 max=2147483647; then
	expect_sysctl "" buckets 1024 "hashsize=0x400"
	expect_sysctl "" max 2147483647 "max=2147483647"
	rct_unload || fail "rmmod"
else
	fail "insmod hashsize=0x400 max=2147483647"
fi

# bad ARG LOGLINE: insmod with ARG fails, rct stays unloaded, and (if
# LOGLINE is given) the kernel logged LOGLINE.
bad() {
	dmesg_mark
	if rct_load "$1" 2>/dev/null; then
		fail "insmod $1 succeeded"
		rct_unload
		return
	fi
	if rct_loaded; then
		fail "insmod $1 failed but rct is loaded"
		return
	fi
	if [ -n "${2:-}" ] && ! logged -F "$2"; then
		fail "insmod $1 failed without the line '$2'"
		dmesg | sed -n "/$RCT_DMESG_MARK/,\$p" | sed 's/^/#   /'
		return
	fi
	pass "insmod $1 fails${2:+ with '$2'}"
}
bad hashsize=abc
bad hashsize=-1
bad hashsize=4294967296
bad hashsize=16777217 'rct: hashsize 16777217 out of range (1..=16777216)'
bad max=2147483648 'rct: max 2147483648 out of range (1..=2147483647)'
bad max=4294967295 'rct: max 4294967295 out of range (1..=2147483647)'

# No parameters: nf_conntrack's sizing from RAM (MemTotal is totalram).
ram=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024))
if [ "$ram" -gt $((4 << 30)) ]; then
	want=262144
elif [ "$ram" -gt $((1 << 30)) ]; then
	want=65536
else
	want=$((ram / 16384 / 8))
	[ "$want" -ge 1024 ] || want=1024
fi
if rct_load; then
	expect_sysctl "" buckets $want "default load with $((ram >> 20)) MiB"
	expect_sysctl "" max $want "default load"
	if [ -d /sys/module/rct/parameters ]; then
		v="$(cat /sys/module/rct/parameters/hashsize) $(cat /sys/module/rct/parameters/max)"
		[ "$v" = "0 0" ] && pass "sysfs shows 0 (auto) for both" || fail "sysfs shows '$v', want '0 0'"
	fi
	rct_unload || fail "rmmod"
else
	fail "insmod without parameters"
fi
exit $ret
