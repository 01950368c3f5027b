#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Keeps `make bench` working: runs its guest part (scripts/guest/bench.sh)
# with tiny sizes (one round of 0.2 s per workload, 1000/2000 entries, GC
# of 2000 entries, 50 of 2000 entries deleted by filter), then its report
# (the table; run.sh draws the plot on the host from
# /tmp/results/bench-smoke.txt). Checks that every result is there, that
# rct reaped the expired entries and that both trackers deleted exactly
# the matching entries; no timing is checked (the benchmark is not a test).
source "$(dirname "$0")/lib.sh"
need python3 nft taskset
[ -x "${RCT_CTBENCH:-}" ] || skip "no traffic generator (RCT_CTBENCH, built by scripts/ctbench.sh)"
: "${RCT_ROOT:=$RCT_SELFTEST_DIR/../..}"
nf_unload_if_new
out=$(mktemp -d)
trap 'rm -rf "$out"; rct_loaded && rct_unload; nf_restore' EXIT
# The benchmark loads and unloads rct itself.
rct_loaded && rct_unload

RCT_BENCH_OUT=$out/bench.txt RCT_BENCH_ROUNDS=1 RCT_BENCH_SECONDS=0.2 \
	RCT_BENCH_SIZES="1000 2000" RCT_BENCH_MEM_ENTRIES=1500 RCT_BENCH_GC_ENTRIES=2000 \
	RCT_BENCH_GC_TIMEOUT=3 RCT_BENCH_GC_WAIT=60 RCT_BENCH_DEL_ENTRIES=2000 RCT_BENCH_DEL_MATCH=50 RCT_KO="$RCT_KO" RCT_CTBENCH="$RCT_CTBENCH" \
	RCT_ROOT="$RCT_ROOT" bash "$RCT_ROOT/scripts/guest/bench.sh" >"$out/log" 2>&1
rc=$?
sed 's/^/# /' "$out/log" | grep -E '^# bench:' || true
[ $rc -eq 0 ] && pass "bench ran" || { fail "bench exited $rc"; sed 's/^/#   /' "$out/log" | tail -n 20; }

# has PATTERN WHAT: the raw results have a line matching PATTERN with a positive number.
has() {
	if grep -qE "$1 [0-9]*[1-9][0-9.]*( |$)" "$out/bench.txt" 2>/dev/null; then
		return 0
	fi
	fail "no result: $2"
	return 1
}
missing=0
for w in udp_rr tcp_crr udp_pps tcp_stream; do
	for c in none nft nf rct; do has "^rate $w $c 1" "$w under $c" || missing=1; done
done
for n in 1000 2000; do
	for c in none nf rct; do has "^scale $n $c 1" "scaling at $n under $c" || missing=1; done
done
for c in nf rct; do
	has "^mem $c" "memory under $c" || missing=1
	has "^gc $c" "GC under $c" || missing=1
	has "^del $c [0-9]+" "delete by filter under $c" || missing=1
done
[ $missing = 0 ] && pass "every workload, size and condition has a result"
[ "$(awk '$1 == "del" && $4 == 50' "$out/bench.txt" | wc -l)" = 2 ] &&
	pass "delete by filter removed exactly the 50 matching entries under nf and rct" ||
	fail "delete by filter: $(grep '^del' "$out/bench.txt" | tr '\n' ' ')"
left=$(awk '$1 == "gc" && $2 == "rct" {print $8}' "$out/bench.txt")
[ -n "$left" ] && [ "$left" -le 10 ] && pass "rct reaped the expired entries ($left left)" ||
	fail "rct left '${left}' expired entries"

# The report without its plot: matplotlib's numpy needs CPU features this
# guest lacks. scripts/run.sh draws the plot from these results on the host.
if python3 "$RCT_ROOT/bench/report.py" "$out/bench.txt" "$out/report" --commit test --no-plot \
	>"$out/md" 2>&1 && grep -q 'rct/nf' "$out/report/latest.md"; then
	pass "report written"
else
	fail "report"
	sed 's/^/#   /' "$out/md" | tail -n 20
fi
[ -d /tmp/results ] && cp "$out/bench.txt" /tmp/results/bench-smoke.txt
exit $ret
