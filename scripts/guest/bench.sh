#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest (see scripts/bench.sh, selftests/rct/bench_smoke.sh):
# rct's benchmark. In one boot it measures every workload under each
# condition, interleaved, and appends raw results to $RCT_BENCH_OUT:
#   none   no connection tracking at all
#   nft    an nft table with a rule that needs no conntrack (nft's own cost)
#   nf     nf_conntrack tracking everything (an nft "ct state" rule)
#   rct    rct.ko loaded (it tracks every namespace)
# Result lines ("KIND FIELDS..."; bench/report.py turns them into tables):
#   rate WORKLOAD COND ROUND VALUE       udp_rr, tcp_crr (flows/s), udp_pps
#                                        (packets/s sent), tcp_stream (Mbit/s received)
#   scale ENTRIES COND ROUND PPS         udp_pps with ENTRIES entries in the table
#   mem COND ENTRIES SLAB_BYTES OBJSIZE KMEM_BYTES
#                                        growth of the entry slab cache and of all
#                                        slab memory (/proc/meminfo Slab) for ENTRIES
#   gc COND ENTRIES FILL_RATE REAP_S MAX_US IDLE_MAX_US LEFT
#                                        time from the last expiry to an empty table
#                                        (LEFT entries remained), longest UDP round
#                                        trip meanwhile and before expiry
#   info KEY VALUE
# Both hash tables get the same bucket count ($RCT_BENCH_BUCKETS) and a limit
# that is never reached. Every rate is measured with the guest's monotonic
# clock: under QEMU -icount it counts instructions.
set -u
: "${RCT_KO:?}" "${RCT_CTBENCH:?}" "${RCT_BENCH_OUT:?}"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ROUNDS=${RCT_BENCH_ROUNDS:-5}
SECS=${RCT_BENCH_SECONDS:-2}
SIZES=${RCT_BENCH_SIZES:-1000 100000 1000000}
MEM_AT=${RCT_BENCH_MEM_ENTRIES:-100000}
GC_ENTRIES=${RCT_BENCH_GC_ENTRIES:-1000000}
GC_TIMEOUT=${RCT_BENCH_GC_TIMEOUT:-30}
GC_WAIT=${RCT_BENCH_GC_WAIT:-600}
DEL_ENTRIES=${RCT_BENCH_DEL_ENTRIES:-1000000}
DEL_MATCH=${RCT_BENCH_DEL_MATCH:-1000}
BUCKETS=${RCT_BENCH_BUCKETS:-262144}
LIMIT=4000000
CONDS=(none nft nf rct)
B=$RCT_CTBENCH
# shellcheck source=/dev/null
source "$RCT_ROOT/selftests/rct/lib.sh"
# shellcheck source=/dev/null
source "$RCT_ROOT/scripts/guest/modules.sh"

out() { echo "$*" >>"$RCT_BENCH_OUT"; }
say() { echo "bench: $*"; }

# Client in namespace a on CPU 0, servers in namespace b on CPU 1. a owns
# 198.51.100.0/24 (client sources, one fresh address per run), b owns
# 203.0.113.0/24 (fill destinations).
setup_ns a b || exit 1
NFT_PLAIN=$(mktemp) NFT_CT=$(mktemp) TSINK=$(mktemp) PROBE=$(mktemp)
finish() {
	kill_ns_procs "$a" "$b"
	cleanup_ns
	rct_loaded && rct_unload
	mp -r nf_conntrack_netlink nft_ct nf_conntrack 2>/dev/null
	rm -f "$NFT_PLAIN" "$NFT_CT" "$TSINK" "$PROBE" "$PROBE.stop"
}
trap finish EXIT
veth_pair "$a" "$b" || exit 1
ip -n "$a" route add local 198.51.100.0/24 dev lo
ip -n "$b" route add 198.51.100.0/24 via 192.0.2.1
ip -n "$b" route add local 203.0.113.0/24 dev lo
ip -n "$a" route add 203.0.113.0/24 via 192.0.2.2
sysctl -qw net.core.rmem_max=8388608
for ns in "$a" "$b"; do
	ip netns exec "$ns" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
done
# A client never runs longer than a minute plus its duration.
A() { ip netns exec "$a" taskset -c 0 timeout 600 "$@"; }
Bns() { ip netns exec "$b" taskset -c 1 "$@"; }
Bns "$B" udp-echo 7 &
Bns "$B" udp-hole 9 >/dev/null &
Bns "$B" tcp-server 80 >/dev/null &
# Own TCP stream instead of iperf3: iperf3 hangs this guest under -icount
# now and then (RCU stall on the server's CPU).
Bns "$B" tcp-sink 81 >"$TSINK" &
sleep 1
# nf_conntrack draws a random number for every insert; until the kernel's
# random generator is seeded (minutes after boot in a guest without an
# entropy source) each draw takes its slow path and nf runs far below its
# steady rate; and python's start may block in getrandom(). Credit the pool
# with bytes from the host as rngd would on a real machine (bench VM only).
if [ -n "${RCT_BENCH_SEED:-}" ]; then
	"$B" seed-rng "$RCT_BENCH_SEED" || say "could not seed the random generator"
fi
out "info kernel $(uname -r)"
out "info cpus $(nproc)"
out "info buckets $BUCKETS"
out "info seconds $SECS"

for f in "$NFT_PLAIN" "$NFT_CT"; do
	if [ "$f" = "$NFT_CT" ]; then rule="ct state new,established,related,invalid counter"; else
		rule="meta mark != 0x00000001 counter"; fi
	cat >"$f" <<NFT
table inet bench {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		$rule
	}
	chain out {
		type filter hook output priority 0; policy accept;
		$rule
	}
}
NFT
done

# cond_on / cond_off COND: switch a condition on and off. Every condition
# starts from an empty table.
cond_on() {
	case $1 in
	none) ;;
	nft)
		# (modprobe -r of nf's modules may have unloaded nf_tables.)
		mp nf_tables || return 1
		for ns in "$a" "$b"; do ip netns exec "$ns" nft -f "$NFT_PLAIN"; done
		;;
	nf)
		mp nf_conntrack hashsize="$BUCKETS" && mp -a nf_tables nft_ct || return 1
		sysctl -qw net.netfilter.nf_conntrack_max=$LIMIT
		for ns in "$a" "$b"; do ip netns exec "$ns" nft -f "$NFT_CT"; done
		;;
	rct) insmod "$RCT_KO" hashsize="$BUCKETS" max=$LIMIT ;;
	esac
}
cond_off() {
	case $1 in
	none) ;;
	nft) for ns in "$a" "$b"; do ip netns exec "$ns" nft delete table inet bench; done ;;
	nf)
		for ns in "$a" "$b"; do ip netns exec "$ns" nft delete table inet bench; done
		mp -r nft_ct nf_conntrack 2>/dev/null
		;;
	rct) rmmod rct ;;
	esac
}
# ct_set NAME VALUE: sets a per-namespace timeout sysctl for nf and rct in a and b.
ct_set() {
	local ns
	for ns in "$a" "$b"; do
		ip netns exec "$ns" sysctl -qw "net.netfilter.nf_conntrack_$1=$2" 2>/dev/null
		ip netns exec "$ns" sysctl -qw "net.rct.$1=$2" 2>/dev/null
	done
	return 0
}
# entries COND: entries in the tables of a and b.
entries() {
	local ns n=0 f
	case $1 in
	nf) f=/proc/sys/net/netfilter/nf_conntrack_count ;;
	rct) f=/proc/sys/net/rct/count ;;
	*) echo 0; return ;;
	esac
	for ns in "$a" "$b"; do n=$((n + $(ip netns exec "$ns" cat $f))); done
	echo $n
}

# One fresh source address per client run, so every flow is new: next_src
# sets SRC (call it outside command substitutions, which would lose it).
src=0
next_src() {
	src=$((src % 248 + 2))
	SRC=198.51.100.$src
}

# pps SECONDS: packets per second one sender gets through both namespaces
# hooks to a UDP socket that never reads (so no receiver competes for the
# guest's instructions; most datagrams are dropped at the full socket).
pps() {
	A "$B" udp-flood 192.0.2.2 9 "$1" | awk '{print $2}'
}

# scale_pps SECONDS: the same with 64 long-lived flows (source port 5000 to
# 203.0.113.1-64, port 9) in turn; created at the smallest size, before the
# table fills up, so their entries end up behind every later one in their
# chains (the worst case of a lookup, alike for rct and nf).
scale_pps() {
	A "$B" udp-flood 203.0.113.1 9 "$1" 5000 64 | awk '{print $2}'
}

# workload NAME SECONDS: runs one of the rate workloads udp_rr, tcp_crr,
# udp_pps and prints its rate (tcp_stream: workloads below). The new-flow
# workloads use source addresses SRC and SRC+1 (see next_src).
workload() {
	case $1 in
	udp_rr) A "$B" udp-rr "$SRC" 2 1024 192.0.2.2 7 "$2" | awk '{print $2}' ;;
	tcp_crr) A "$B" tcp-crr "$SRC" 2 1024 192.0.2.2 80 "$2" | awk '{print $2}' ;;
	udp_pps) pps "$2" ;;
	*) say "unknown workload $1"; return 1 ;;
	esac
}

# workloads COND ROUND SECONDS: the four rate workloads.
workloads() {
	local c=$1 r=$2 s=$3 w
	for w in udp_rr tcp_crr udp_pps; do
		next_src
		out "rate $w $c $r $(workload $w "$s")"
	done
	[ -n "${RCT_BENCH_TRACE:-}" ] && say "$c $r udp_pps done"
	local before
	before=$(wc -l <"$TSINK")
	A "$B" tcp-stream 192.0.2.2 81 "$s"
	busywait 60000 eval '[ "$(wc -l <"$TSINK")" -gt "$before" ]'
	out "rate tcp_stream $c $r $(tail -n 1 "$TSINK" | awk '{print $2}')"
}

# Profile mode (make profile): instead of the benchmark, sample where the
# guest spends its instructions during one workload under each condition
# named in RCT_BENCH_PROFILE ("WORKLOAD COND..."; needs the perf kernel).
if [ -n "${RCT_BENCH_PROFILE:-}" ]; then
	read -r w conds <<<"$RCT_BENCH_PROFILE"
	export HOME=/tmp
	sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1 kernel.perf_cpu_time_max_percent=0
	for c in $conds; do
		cond_on "$c" || { say "cannot switch $c on"; exit 1; }
		say "profiling $w under $c"
		next_src
		workload "$w" 1 >/dev/null
		next_src
		data=/tmp/results/perf-$w-$c.data
		perf record -q -a -g -F 4999 -e cpu-clock -N -o "$data" -- sleep $((SECS + 1)) &
		sleep 0.5
		say "$w under $c: $(workload "$w" "$SECS")"
		wait $!
		# Symbols of rct.ko are read from /proc/kallsyms: report while it is
		# loaded, and keep a copy for `perf report --kallsyms` on the host.
		cat /proc/kallsyms >"/tmp/results/kallsyms-$w-$c"
		perf report -q -i "$data" --no-children --sort sym --stdio -g none \
			--percent-limit 0.3 >"/tmp/results/profile-$w-$c.txt" 2>/dev/null
		perf report -q -i "$data" --no-children --sort dso --stdio -g none \
			>>"/tmp/results/profile-$w-$c.txt" 2>/dev/null
		perf report -q -i "$data" --children --sort sym --stdio -g none \
			--percent-limit 2 >"/tmp/results/profile-$w-$c-children.txt" 2>/dev/null
		cond_off "$c"
	done
	say "profiles written"
	exit 0
fi

say "rates: $ROUNDS rounds (+1 warm-up) x ${CONDS[*]}, ${SECS}s each"
for r in $(seq 0 "$ROUNDS"); do
	for i in 0 1 2 3; do
		# Rotate the order every round.
		c=${CONDS[$(((i + r) % 4))]}
		cond_on "$c" || { say "cannot switch $c on"; exit 1; }
		if [ "$r" = 0 ]; then
			workloads "$c" warmup 1 >/dev/null
		else
			workloads "$c" "$r" "$SECS"
		fi
		cond_off "$c"
	done
	say "round $r done"
done

# slab_bytes CACHE: bytes of slab pages held by CACHE; kmem: all slab memory.
slab_bytes() { awk -v n="$1" '$1 == n {print $15 * $6 * 4096}' /proc/slabinfo; }
objsize() { awk -v n="$1" '$1 == n {print $4}' /proc/slabinfo; }
kmem() { awk '$1 == "Slab:" {print $2 * 1024}' /proc/meminfo; }

# Lookup scaling and memory: fill the table step by step (one-way UDP flows
# to 203.0.113.0/24, two entries each: one in a, one in b), measuring the
# small-packet rate of an established flow at each size; at $MEM_AT entries,
# the slab memory the entries took.
say "lookup scaling at $SIZES entries; memory at $MEM_AT"
for c in none nf rct; do
	cond_on "$c" || exit 1
	ct_set udp_timeout 3600
	flows=0
	cache=rct_conn
	[ "$c" = nf ] && cache=nf_conntrack
	for n in $(printf '%s\n' $SIZES $MEM_AT | sort -nu); do
		s0=$(slab_bytes $cache) k0=$(kmem) e0=$(entries "$c")
		if [ $((n / 2)) -gt "$flows" ]; then
			A "$B" fill 203.0.113.1 64 1024 "$flows" $((n / 2 - flows)) >/dev/null
			flows=$((n / 2))
		fi
		if [ "$c" != none ] && [ "$n" = "$MEM_AT" ]; then
			sleep 1
			out "mem $c $(($(entries "$c") - e0)) $(($(slab_bytes $cache) - s0))" \
				"$(objsize $cache) $(($(kmem) - k0))"
		fi
		case " $SIZES " in *" $n "*) ;; *) continue ;; esac
		say "$c: $(entries "$c") entries"
		scale_pps 0.5 >/dev/null
		for r in $(seq 1 "$ROUNDS"); do
			out "scale $n $c $r $(scale_pps 1)"
		done
	done
	cond_off "$c"
done

# GC: GC_ENTRIES entries that expire GC_TIMEOUT s after their creation; the
# time from the last expiry until the table is empty, and the longest round
# trip of a UDP ping-pong (one every ms) meanwhile, against before expiry.
say "GC: $GC_ENTRIES entries expiring after ${GC_TIMEOUT}s"
for c in nf rct; do
	cond_on "$c" || exit 1
	ct_set udp_timeout "$GC_TIMEOUT"
	rate=$(A "$B" fill 203.0.113.1 64 1024 0 $((GC_ENTRIES / 2)) | awk '{print $2}')
	t1=$(date +%s%N)
	have=$(entries "$c")
	idle=$(A "$B" probe 192.0.2.2 7 2 1000 | awk '{print $2}')
	rm -f "$PROBE.stop"
	A "$B" probe 192.0.2.2 7 3600 1000 "$PROBE.stop" >"$PROBE" &
	probe=$!
	deadline=$((t1 / 1000000000 + GC_TIMEOUT + GC_WAIT))
	while [ "$(entries "$c")" -gt 10 ] && [ "$(date +%s)" -lt $deadline ]; do sleep 0.2; done
	t2=$(date +%s%N)
	touch "$PROBE.stop"
	wait $probe
	left=$(entries "$c")
	reap=$(awk -v a="$t1" -v b="$t2" -v t="$GC_TIMEOUT" 'BEGIN {printf "%.2f", (b - a) / 1e9 - t}')
	say "$c: $have entries, $left left, reaped ${reap}s after the last expiry"
	out "gc $c $have $rate $reap $(awk '{print $2}' $PROBE) $idle $left"
	cond_off "$c"
done
# Delete by filter (kube-proxy after a backend restarted): DEL_ENTRIES
# entries, plus DEL_MATCH flows to one destination; one IPCTNL_MSG_CT_DELETE
# with a CTA_FILTER on that original destination, sent in a (ctnl.py, as
# netlink libraries send it), served by nf_conntrack_netlink or by rct.
say "delete by destination: $DEL_MATCH of $DEL_ENTRIES entries"
for c in nf rct; do
	cond_on "$c" || exit 1
	if [ "$c" = nf ]; then mp nf_conntrack_netlink || exit 1; fi
	ct_set udp_timeout 3600
	A "$B" fill 203.0.113.1 64 1024 0 $((DEL_ENTRIES / 2)) >/dev/null
	A "$B" fill 203.0.113.250 1 10000 0 "$DEL_MATCH" >/dev/null
	have=$(entries "$c")
	secs=$(A python3 "$RCT_ROOT/selftests/rct/ctnl.py" delete-dst 203.0.113.250 | awk '{print $2}')
	gone=$((have - $(entries "$c")))
	say "$c: deleted $gone of $have entries in ${secs}s"
	out "del $c $have $gone $secs"
	if [ "$c" = nf ]; then mp -r nf_conntrack_netlink; fi
	cond_off "$c"
done
say "done"
