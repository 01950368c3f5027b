#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest (see scripts/run.sh): every selftest in selftests/rct
# through the kernel's kselftest runner, TAP into /tmp/results/tap.txt, the
# kernel log into /tmp/results/dmesg.txt, the taint flags into tainted.txt
# and, on a kernel with kmemleak, its report of objects leaked during the
# run into kmemleak.txt.
: "${RCT_ROOT:?}" "${RCT_KSRC:?}"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export RCT_KO RCT_MODROOT
# shellcheck source=/dev/null
. "$RCT_ROOT/scripts/guest/modules.sh"

# Keep the console for warnings and worse.
sysctl -qw kernel.printk="4 4 1 7"

# kmemleak: forget what boot left behind; only this run's leaks count.
KML=/sys/kernel/debug/kmemleak
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ -e $KML ]; then
	echo scan >$KML
	echo clear >$KML
fi

# Lay out a kselftest tree (BASE_DIR/kselftest from the kernel source,
# BASE_DIR/rct = our tests) so the runner names tests "selftests: rct: ..."
# and reads rct/settings.
export BASE_DIR=/tmp/kselftest
mkdir -p "$BASE_DIR"
ln -sfn "$RCT_KSRC/tools/testing/selftests/kselftest" "$BASE_DIR/kselftest"
ln -sfn "$RCT_ROOT/selftests/rct" "$BASE_DIR/rct"
cd "$BASE_DIR/rct" || exit 1
tests=()
for t in $(make -s list ${RCT_TESTS:+TEST_PROGS="$RCT_TESTS"}); do
	# The bench smoke test checks the benchmark's plumbing, which the
	# normal kernel's pass covers; on the debug kernel it only costs time.
	[ "${RCT_VARIANT:-normal}" = debug ] && [ "$t" = bench_smoke.sh ] && [ -z "${RCT_TESTS:-}" ] && continue
	tests+=("./$t")
done
# The debug kernel (KASAN, lockdep, ...) runs everything several times slower.
[ "${RCT_VARIANT:-normal}" = debug ] && export kselftest_override_timeout=900
# shellcheck source=/dev/null
. "$BASE_DIR/kselftest/runner.sh"
run_many "${tests[@]}" 2>&1 | tee /tmp/results/tap.txt
if [ -e $KML ]; then
	# An object is reported once unreferenced for 5 s and seen by a scan.
	echo scan >$KML
	sleep 6
	echo scan >$KML
	cat $KML >/tmp/results/kmemleak.txt
	[ -s /tmp/results/kmemleak.txt ] && echo "# kmemleak: $(grep -c 'unreferenced object' /tmp/results/kmemleak.txt) objects"
fi
cat /proc/sys/kernel/tainted >/tmp/results/tainted.txt
dmesg >/tmp/results/dmesg.txt
