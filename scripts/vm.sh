#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots the cached guest kernel under QEMU (TCG, no NIC) and runs a job script
# in it. The guest's root is the host's root, read-only over 9p (so rct.ko,
# the kernel's modules and every test tool are at their host paths; the
# initramfs switch_roots into it, see scripts/guest/init), with RESULTS_DIR
# read-write at /tmp/results.
#
# Usage: scripts/vm.sh KERNEL_DIR RESULTS_DIR JOB_SCRIPT [TIMEOUT_SECONDS]
# The job's console output goes to stdout and RESULTS_DIR/console.log.
# Environment: RCT_ICOUNT=1 to run with -icount (deterministic timing, for benchmarks).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$1 results=$2 job=$3 limit=${4:-3000}
initramfs=$("$RCT_ROOT/scripts/initramfs.sh")
mkdir -p "$results"
install -m 0755 "$job" "$results/job.sh"

accel=(-accel tcg)
[ "${RCT_ICOUNT:-0}" = 1 ] && accel+=(-icount shift=0,sleep=off)

# One guest at a time on this machine (2 cores; parallel worktrees share it).
exec 9>"${TMPDIR:-/tmp}/rct-qemu.lock"
flock 9

rc=0
timeout --kill-after=10 "$limit" qemu-system-x86_64 \
	"${accel[@]}" -m 2048 -smp 2,sockets=2,cores=1,threads=1 \
	-kernel "$kdir/build/arch/x86/boot/bzImage" -initrd "$initramfs" \
	-append "console=ttyS0 tsc=reliable panic=-1 oops=panic loglevel=4 rdinit=/init" \
	-nic none -no-reboot -display none -monitor none -serial stdio \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$results",mount_tag=results,security_model=none \
	</dev/null | tee "$results/console.log" || rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	rct_log "guest timed out after ${limit}s"
fi
exit "$rc"
