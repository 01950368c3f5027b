#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The two README commands.
#   scripts/run.sh demo    (make run)    build everything, boot QEMU, show rct working
#   scripts/run.sh check   (make check)  host unit tests + selftests in the guest +
#                                         kernel-log splat check; ends "N passed, N failed"
# Environment: RCT_TESTS="a.sh b.sh" runs only those selftests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-}
case $mode in
demo | check) ;;
*) rct_die "usage: $0 demo|check" ;;
esac

"$RCT_ROOT/scripts/setup.sh"

results=$(mktemp -d "${TMPDIR:-/tmp}/rct-$mode.XXXXXX")
passed=0 failed=0 skipped=0

# Host unit tests of the pure-Rust crate (cargo from rustup or Debian).
if [ "$mode" = check ]; then
	rct_log "host: cargo test"
	if (cd "$RCT_ROOT" && cargo test --quiet 2>&1) | tee "$results/cargo.txt"; then :; fi
	while read -r p f; do
		passed=$((passed + p))
		failed=$((failed + f))
	done < <(sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$results/cargo.txt")
	if ! grep -q '^test result:' "$results/cargo.txt"; then
		rct_log "cargo test did not run"
		failed=$((failed + 1))
	fi
fi

# Build; in check mode rebuild the Rust crate so its warnings are seen, and
# count "rustc and clippy report nothing" as a test.
[ "$mode" = check ] && rm -f "$RCT_ROOT/src/rct_main.o"
build_rc=0
# build.sh: the kernel directory on stdout (to kdir.txt), the build log on
# stderr (shown and kept in build.txt); pipefail keeps its exit status.
{ "$RCT_ROOT/scripts/build.sh" 2>&1 >&3 | tee "$results/build.txt" >&2; } 3>"$results/kdir.txt" || build_rc=$?
if [ "$build_rc" -ne 0 ]; then
	rct_log "build failed (exit $build_rc)"
	[ "$mode" = check ] && echo "$passed passed, $((failed + 1)) failed, $skipped skipped"
	exit 1
fi
kdir=$(cat "$results/kdir.txt")
if [ "$mode" = check ]; then
	if grep -E '^(warning|error)(\[|:)' "$results/build.txt" >"$results/warnings.txt"; then
		echo "not ok - rct.ko builds without rustc/clippy warnings:"
		sed 's/^/#   /' "$results/warnings.txt"
		failed=$((failed + 1))
	else
		echo "ok - rct.ko builds without rustc/clippy warnings"
		passed=$((passed + 1))
	fi
fi

job=$results/job.in
cat >"$job" <<JOB
#!/bin/bash
# rct-expose: $RCT_ROOT $RCT_CACHE
export RCT_ROOT='$RCT_ROOT' RCT_KO='$RCT_ROOT/rct.ko' RCT_MODROOT='$kdir/modroot'
export RCT_KSRC='$(rct_kernel_src)' RCT_TESTS='${RCT_TESTS:-}'
exec bash '$RCT_ROOT/scripts/guest/$mode.sh'
JOB
rct_log "booting the guest (QEMU TCG)"
vm_rc=0
"$RCT_ROOT/scripts/vm.sh" "$kdir" "$results" "$job" 1800 || vm_rc=$?

if [ "$mode" = demo ]; then
	rm -rf "$results"
	exit "$vm_rc"
fi

# Guest selftests: TAP "ok"/"not ok" lines of the kselftest runner.
tap=$results/tap.txt
planned=0
if [ -f "$tap" ]; then
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)
	planned=${planned:-0}
	ok=$(grep -cE '^ok [0-9]+ ' "$tap" || true)
	sk=$(grep -cE '^ok [0-9]+ .*# SKIP' "$tap" || true)
	nok=$(grep -cE '^not ok [0-9]+ ' "$tap" || true)
	passed=$((passed + ok - sk))
	skipped=$((skipped + sk))
	failed=$((failed + nok))
	missing=$((planned - ok - nok))
	if [ "$missing" -gt 0 ]; then
		rct_log "$missing selftests did not report (guest died?)"
		failed=$((failed + missing))
	fi
else
	rct_log "no TAP output from the guest (exit $vm_rc)"
	failed=$((failed + 1))
fi

# Splat check over the whole kernel log of the run (one more test).
splat_re='BUG:|WARNING:|Oops|Kernel panic|KASAN|UBSAN|Call Trace|unreferenced object|possible circular locking|suspicious RCU usage|self-detected stall'
log=$results/dmesg.txt
[ -f "$log" ] || log=$results/console.log
if grep -E "$splat_re" "$log" >"$results/splats.txt"; then
	echo "not ok - kernel log splat check:"
	sed 's/^/#   /' "$results/splats.txt"
	failed=$((failed + 1))
elif [ ! -f "$results/dmesg.txt" ]; then
	echo "not ok - kernel log splat check: no kernel log saved"
	failed=$((failed + 1))
else
	echo "ok - kernel log splat check"
	passed=$((passed + 1))
fi

rct_log "results kept in $results"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$vm_rc" -eq 0 ]
