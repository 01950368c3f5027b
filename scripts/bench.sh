#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: builds the normal kernel, rct.ko and the traffic generator,
# boots QEMU with -icount (guest time counts instructions, so rates repeat
# within ~2%) and runs scripts/guest/bench.sh: rct against nf_conntrack
# against no tracking, interleaved, in one boot. Writes bench/results/
# latest.{md,png,txt} (or $RCT_BENCH_DIR) and prints the table.
#
# Environment: RCT_BENCH_ROUNDS (5), RCT_BENCH_SECONDS (2),
#   RCT_BENCH_SIZES ("1000 100000 1000000"), RCT_BENCH_MEM_ENTRIES (100000),
#   RCT_BENCH_GC_ENTRIES (1000000), RCT_BENCH_GC_TIMEOUT (30),
#   RCT_BENCH_BUCKETS (262144), RCT_BENCH_DEL_ENTRIES (1000000),
#   RCT_BENCH_DEL_MATCH (1000), RCT_ICOUNT (1; 0 = plain TCG, noisy).
# RCT_BENCH_PROFILE="WORKLOAD COND..." (make profile): no benchmark; boots
#   the perf kernel variant instead and samples the whole guest during one
#   workload (udp_rr, tcp_crr or udp_pps) under each condition (none, nft,
#   nf, rct); prints the profiles (kept with perf.data in the results dir).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$RCT_ROOT/scripts/setup.sh"
results=$(mktemp -d "${TMPDIR:-/tmp}/rct-bench.XXXXXX")
variant=normal
if [ -n "${RCT_BENCH_PROFILE:-}" ]; then
	variant=perf
	command -v perf >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-perf >&2
fi
"$RCT_ROOT/scripts/build.sh" $variant >"$results/built.txt"
kdir=$(sed -n 1p "$results/built.txt")
ko=$(sed -n 2p "$results/built.txt")
bin=$("$RCT_ROOT/scripts/ctbench.sh")
outdir=${RCT_BENCH_DIR:-$RCT_ROOT/bench/results}

vars=""
for v in ROUNDS SECONDS SIZES MEM_ENTRIES GC_ENTRIES GC_TIMEOUT BUCKETS DEL_ENTRIES DEL_MATCH TRACE PROFILE; do
	n=RCT_BENCH_$v
	[ -n "${!n:-}" ] && vars+="export $n='${!n}'"$'\n'
done
# Random bytes the guest credits to its entropy pool (see seed-rng in ctbench.c).
head -c 64 /dev/urandom >"$results/seed.bin"
cat >"$results/job.in" <<JOB
#!/bin/bash
# rct-expose: $RCT_ROOT $RCT_CACHE
export RCT_ROOT='$RCT_ROOT' RCT_KO='$ko' RCT_MODROOT='$kdir/modroot'
export RCT_CTBENCH='$bin' RCT_BENCH_OUT=/tmp/results/bench.txt RCT_BENCH_SEED=/tmp/results/seed.bin
$vars
bash '$RCT_ROOT/scripts/guest/bench.sh'
JOB
icount=${RCT_ICOUNT:-1}
mode="TCG -icount shift=0,sleep=off"
[ "$icount" = 1 ] || mode="TCG (no -icount: wall clock, noisy)"
rct_log "booting the guest ($mode); this takes a while"
RCT_ICOUNT=$icount "$RCT_ROOT/scripts/vm.sh" "$kdir" "$results" "$results/job.in" 14400 |
	grep -E '^bench:|BUG|WARNING|Oops|panic' || true
if [ -n "${RCT_BENCH_PROFILE:-}" ]; then
	for f in "$results"/profile-*.txt; do
		[ -e "$f" ] || rct_die "no profile (see $results/console.log)"
		printf '== %s\n' "${f##*/}"
		head -n 60 "$f"
	done
	rct_log "profiles and perf.data in $results"
	exit 0
fi
[ -s "$results/bench.txt" ] || rct_die "no results (see $results/console.log)"
commit=$(git -C "$RCT_ROOT" describe --always --dirty 2>/dev/null || echo unknown)
/usr/bin/python3 "$RCT_ROOT/bench/report.py" "$results/bench.txt" "$outdir" \
	--commit "$commit" --mode "$mode"
rct_log "raw results and console log in $results; report in $outdir"
