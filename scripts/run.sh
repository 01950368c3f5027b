#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The two README commands.
#   scripts/run.sh demo    (make run)    build everything, boot QEMU, show rct working
#   scripts/run.sh check   (make check)  host unit tests + selftests in the guest +
#                                         kernel-log splat check; ends "N passed, N failed"
# check runs the selftests twice: on the normal kernel, then on the debug
# kernel (KASAN, kmemleak, lockdep, UBSAN, ...; scripts/kernel-debug.config).
# Environment: RCT_TESTS="a.sh b.sh" runs only those selftests;
#              RCT_DEBUG=0 skips the debug-kernel pass;
#              RCT_FUZZ_SECONDS=N fuzzes each target N s (default 45, 0: skip).
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
# ok|notok NAME [DETAILS FILE]: one TAP-style result line of this script.
ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}
notok() {
	echo "not ok - $1"
	[ -n "${2:-}" ] && sed 's/^/#   /' "$2"
	failed=$((failed + 1))
}

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
	# A bounded fuzzing run of every cargo-fuzz target (make fuzz: longer).
	fuzz_s=${RCT_FUZZ_SECONDS:-45}
	if [ "$fuzz_s" != 0 ]; then
		rct_log "host: fuzzing, $fuzz_s s per target"
		"$RCT_ROOT/scripts/fuzz.sh" "$fuzz_s" | tee "$results/fuzz.txt" || true
		fuzz_ok=$(grep -c '^ok - fuzz ' "$results/fuzz.txt" || true)
		fuzz_nok=$(grep -c '^not ok - fuzz ' "$results/fuzz.txt" || true)
		# fuzz.sh died before reporting anything: that is a failure too.
		[ $((fuzz_ok + fuzz_nok)) -gt 0 ] || fuzz_nok=1
		passed=$((passed + fuzz_ok))
		failed=$((failed + fuzz_nok))
	fi
fi

# Kernel log lines that fail a run.
splat_re='BUG:|WARNING:|Oops|Kernel panic|KASAN|UBSAN|Call Trace|unreferenced object|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|self-detected stall|general protection fault|blocked for more than'
# Taint flags an out-of-tree module sets by itself (O, E): anything else fails.
taint_ok=$(((1 << 12) | (1 << 13)))

# run_variant normal|debug: builds rct.ko for that kernel, boots it and (in
# check mode) counts its selftests and checks its kernel log.
run_variant() {
	local v=$1 res=$results/$1 tag=""
	[ "$v" = normal ] || tag="[$v] "
	mkdir -p "$res"
	# In check mode rebuild the Rust crate so its warnings are seen, and
	# count "rustc and clippy report nothing" as a test.
	[ "$mode" = check ] && [ "$v" = normal ] && rm -f "$RCT_ROOT/src/rct_main.o"
	local build_rc=0
	# build.sh: kernel directory and rct.ko path on stdout, the build log
	# on stderr (shown and kept in build.txt); pipefail keeps its status.
	{ "$RCT_ROOT/scripts/build.sh" "$v" 2>&1 >&3 | tee "$res/build.txt" >&2; } 3>"$res/built.txt" ||
		build_rc=$?
	if [ "$build_rc" -ne 0 ]; then
		rct_log "${tag}build failed (exit $build_rc)"
		failed=$((failed + 1))
		return 1
	fi
	local kdir ko
	kdir=$(sed -n 1p "$res/built.txt")
	ko=$(sed -n 2p "$res/built.txt")
	if [ "$mode" = check ] && [ "$v" = normal ]; then
		if grep -E '^(warning|error)(\[|:)' "$res/build.txt" >"$res/warnings.txt"; then
			notok "rct.ko builds without rustc/clippy warnings" "$res/warnings.txt"
		else
			ok "rct.ko builds without rustc/clippy warnings"
		fi
	fi

	local job=$res/job.in ctbench
	ctbench=$("$RCT_ROOT/scripts/ctbench.sh")
	cat >"$job" <<JOB
#!/bin/bash
# rct-expose: $RCT_ROOT $RCT_CACHE
export RCT_ROOT='$RCT_ROOT' RCT_KO='$ko' RCT_MODROOT='$kdir/modroot' RCT_VARIANT='$v'
export RCT_KSRC='$(rct_kernel_src)' RCT_TESTS='${RCT_TESTS:-}' RCT_CTBENCH='$ctbench'
exec bash '$RCT_ROOT/scripts/guest/$mode.sh'
JOB
	rct_log "${tag}booting the guest (QEMU TCG, $v kernel)"
	vm_rc=0
	# The debug kernel's pass took up to ~50 min on a 2-core machine.
	local limit=3000
	[ "$v" = debug ] && limit=4200
	"$RCT_ROOT/scripts/vm.sh" "$kdir" "$res" "$job" "$limit" || vm_rc=$?
	[ "$mode" = check ] || return "$vm_rc"

	# Guest selftests: TAP "ok"/"not ok" lines of the kselftest runner.
	local tap=$res/tap.txt planned ok_n sk nok missing
	if [ -f "$tap" ]; then
		planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)
		planned=${planned:-0}
		ok_n=$(grep -cE '^ok [0-9]+ ' "$tap" || true)
		sk=$(grep -cE '^ok [0-9]+ .*# SKIP' "$tap" || true)
		nok=$(grep -cE '^not ok [0-9]+ ' "$tap" || true)
		passed=$((passed + ok_n - sk))
		skipped=$((skipped + sk))
		failed=$((failed + nok))
		missing=$((planned - ok_n - nok))
		if [ "$missing" -gt 0 ]; then
			rct_log "${tag}$missing selftests did not report (guest died?)"
			failed=$((failed + missing))
		fi
	else
		rct_log "${tag}no TAP output from the guest (exit $vm_rc)"
		failed=$((failed + 1))
	fi

	# make bench's report and plot from bench_smoke.sh's results (the
	# guest cannot run matplotlib).
	if [ "$v" = normal ] && [ -s "$res/bench-smoke.txt" ]; then
		if /usr/bin/python3 "$RCT_ROOT/bench/report.py" "$res/bench-smoke.txt" "$res/bench-report" \
			--commit test >"$res/bench-report.txt" 2>&1 && [ -s "$res/bench-report/latest.png" ]; then
			ok "bench report and plot from the smoke run"
		else
			notok "bench report and plot from the smoke run" "$res/bench-report.txt"
		fi
	fi

	# The kernel log of the whole run, kmemleak's report and the taint
	# flags (one more test).
	local log=$res/dmesg.txt
	[ -f "$log" ] || log=$res/console.log
	: >"$res/splats.txt"
	grep -E "$splat_re" "$log" >>"$res/splats.txt" || true
	[ -s "$res/kmemleak.txt" ] && head -n 60 "$res/kmemleak.txt" >>"$res/splats.txt"
	local tainted
	tainted=$(cat "$res/tainted.txt" 2>/dev/null || echo missing)
	if [ "$tainted" = missing ] || [ $((tainted & ~taint_ok)) -ne 0 ]; then
		echo "kernel tainted: $tainted" >>"$res/splats.txt"
	fi
	if [ -s "$res/splats.txt" ]; then
		notok "${tag}kernel log splat, kmemleak and taint check:" "$res/splats.txt"
	elif [ ! -f "$res/dmesg.txt" ]; then
		notok "${tag}kernel log splat check: no kernel log saved"
	else
		ok "${tag}kernel log splat, kmemleak and taint check"
	fi
}

if [ "$mode" = demo ]; then
	rc=0
	run_variant normal || rc=$?
	rm -rf "$results"
	exit "$rc"
fi
vm_rc=0
run_variant normal || true
normal_rc=$vm_rc
debug_rc=0
if [ "${RCT_DEBUG:-1}" != 0 ]; then
	run_variant debug || true
	debug_rc=$vm_rc
fi

rct_log "results kept in $results"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$normal_rc" -eq 0 ] && [ "$debug_rc" -eq 0 ]
