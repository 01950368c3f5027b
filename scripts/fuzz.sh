#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host fuzzing of rct's pure-Rust crate (rct-proto) with cargo fuzz.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Builds the targets in fuzz/ (installing cargo-fuzz when missing) and runs
# each for SECONDS_PER_TARGET (default 60), one process at a time, on a copy
# of its committed seed corpus kept in $RCT_CACHE/fuzz/corpus/<target> (what
# a run discovers stays there for the next run; the clone is never written).
# Prints one TAP-style line per target, "ok - fuzz <target> (N runs, M s)"
# or "not ok - fuzz <target>" followed by "#" lines with the crash input:
# its path, the target's decoded view of it and a hexdump. Exits non-zero if
# the build or any target failed.
# Environment: RCT_FUZZ_SANITIZER=address builds with AddressSanitizer
# (nightly rustc flags, enabled on stable with RUSTC_BOOTSTRAP=1). The
# default is none: src/proto forbids unsafe code, so ASan could only find
# what Rust's own checks find, at a fifth of the speed and 20 times the
# memory. Overflow checks are on either way (fuzz/Cargo.toml).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

secs=${1:-60}
case $secs in
'' | *[!0-9]*) rct_die "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" ;;
esac
shift $(($# > 0 ? 1 : 0))
sanitizer=${RCT_FUZZ_SANITIZER:-none}

fuzz=$RCT_ROOT/fuzz
work=$RCT_CACHE/fuzz
export CARGO_TARGET_DIR=$work/target
mkdir -p "$work"

command -v cargo >/dev/null || rct_die "no cargo: run scripts/setup.sh"
if ! command -v cargo-fuzz >/dev/null; then
	rct_log "installing cargo-fuzz into ~/.cargo/bin"
	cargo install cargo-fuzz --locked >&2
fi
[ "$sanitizer" = none ] || export RUSTC_BOOTSTRAP=1

# Longest input per target: a 1500-byte packet; 64 TCP segments; 256
# UDP/ICMP packets (see the layouts in fuzz/fuzz_targets/).
declare -A max_len=([parse]=1500 [tcp]=1560 [track]=1056 [ctnl]=1024)

if [ $# -gt 0 ]; then
	targets=("$@")
else
	mapfile -t targets < <(cd "$RCT_ROOT" && cargo fuzz list --fuzz-dir "$fuzz")
fi
triple=$(rustc -vV | sed -n 's/^host: //p')

rct_log "building ${targets[*]} (sanitizer: $sanitizer)"
if ! (cd "$RCT_ROOT" && cargo fuzz build --fuzz-dir "$fuzz" -O -s "$sanitizer" \
	--target "$triple") >"$work/build.log" 2>&1; then
	echo "not ok - fuzz build"
	tail -n 30 "$work/build.log" | sed 's/^/#   /'
	exit 1
fi

failed=0
for t in "${targets[@]}"; do
	bin=$CARGO_TARGET_DIR/$triple/release/$t
	corpus=$work/corpus/$t
	artifacts=$work/artifacts/$t
	log=$work/$t.log
	mkdir -p "$corpus" "$artifacts"
	cp -R "$fuzz/corpus/$t/." "$corpus/"
	rct_log "fuzzing $t for $secs s"
	start=$SECONDS
	rc=0
	"$bin" -max_total_time="$secs" -max_len="${max_len[$t]:-4096}" -rss_limit_mb=1024 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" \
		"$corpus" >"$log" 2>&1 || rc=$?
	took=$((SECONDS - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		echo "ok - fuzz $t ($runs runs, $took s)"
		continue
	fi
	failed=$((failed + 1))
	echo "not ok - fuzz $t"
	{
		grep -E -m 8 'panicked at|^ *(left|right):|^ERROR|==ERROR|^SUMMARY' "$log" ||
			tail -n 20 "$log"
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		if [ -n "$crash" ]; then
			echo "crash input ($(wc -c <"$crash") bytes): $crash"
			# What `cargo fuzz fmt` prints: the target's decoded input.
			decoded=$work/$t.decoded
			rm -f "$decoded"
			RUST_LIBFUZZER_DEBUG_PATH=$decoded "$bin" "$crash" >/dev/null 2>&1 || true
			[ -s "$decoded" ] && head -n 80 "$decoded"
			od -A x -t x1z -v "$crash" | head -n 32
			echo "reproduce: $bin $crash"
			echo "or: cargo fuzz run --fuzz-dir fuzz -O -s $sanitizer $t $crash"
		fi
		echo "log: $log"
	} | sed 's/^/#   /'
done
[ "$failed" -eq 0 ]
