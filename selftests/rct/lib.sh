# SPDX-License-Identifier: GPL-2.0
# Shared helpers for rct's selftests (sourced). Modelled on
# tools/testing/selftests/net/lib.sh: namespaces with random suffixes,
# cleanup on exit, PASS/FAIL lines, kselftest exit codes.

ksft_pass=0
ksft_fail=1
ksft_skip=4

RCT_SELFTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RCT_KO=${RCT_KO:-$RCT_SELFTEST_DIR/../../rct.ko}

ret=$ksft_pass
ALL_NS=()

log() { echo "# $*"; }
pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	ret=$ksft_fail
}
skip() {
	echo "SKIP: $*"
	exit $ksft_skip
}

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
	done
}

[ "$(id -u)" -eq 0 ] || skip "must run as root"
need ip insmod rmmod

rct_loaded() { grep -q '^rct ' /proc/modules; }
rct_load() { insmod "$RCT_KO" "$@"; }
rct_unload() { rmmod rct; }

# setup_ns NAME...: creates a namespace per NAME (with a random suffix),
# brings its loopback up and stores the real name in the variable NAME.
setup_ns() {
	local name ns
	for name in "$@"; do
		ns="$name-$(mktemp -u XXXXXX)"
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
		ALL_NS+=("$ns")
		eval "$name=\$ns"
	done
}

# scaled N: N on the normal kernel; a quarter (at least 1) on the debug
# kernel, which runs everything about ten times slower, so that loops that
# repeat the same work (load cycles, namespaces, flows) fit its time budget.
scaled() {
	if [ "${RCT_VARIANT:-normal}" = debug ]; then
		echo $(($1 / 4 > 0 ? $1 / 4 : 1))
	else
		echo "$1"
	fi
}

# cpu_senders NS FIRST N STRIDE: one sender per CPU (0 and 1, pinned), each
# sending batches of N new UDP flows from NS's 192.0.2.1 to 192.0.2.2:9 in
# a loop over its own STRIDE ports from FIRST + cpu * STRIDE; the loops'
# pids go to $senders (kill them, then kill_ns_procs NS).
cpu_senders() {
	local ns=$1 first=$2 n=$3 stride=$4 cpu
	senders=""
	for cpu in 0 1; do
		(
			base=$((first + cpu * stride))
			port=$base
			while :; do
				taskset -c $cpu ip netns exec "$ns" python3 "$TRAFFIC" udp-flows \
					192.0.2.1 192.0.2.2 9 $port "$n" 2>/dev/null
				port=$((port + n))
				[ $((port + n)) -le $((base + stride)) ] || port=$base
			done
		) &
		senders="$senders $!"
	done
}

# kill_ns_procs NS...: kills the processes running in each namespace (a
# sender started by a loop that was killed goes on otherwise) and waits
# for them to go.
kill_ns_procs() {
	local ns pids
	for ns in "$@"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] || continue
		kill $pids 2>/dev/null
		busywait 5000 eval "[ -z \"\$(ip netns pids '$ns' 2>/dev/null)\" ]"
	done
}

cleanup_ns() {
	local ns
	for ns in "${ALL_NS[@]}"; do
		# Processes left in the namespace (servers) would outlive the test.
		kill_ns_procs "$ns"
		ip netns del "$ns" 2>/dev/null
	done
	ALL_NS=()
}

# in_ns NS CMD...: runs CMD in namespace NS ("" = the current namespace).
in_ns() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# stat_sum NS COLUMN [FILE]: sum over CPUs of a column of
# /proc/net/stat/FILE (default rct_conntrack; nf_conntrack has the same layout).
stat_sum() {
	local col=$2 file=${3:-rct_conntrack} idx=-1 i sum=0
	local -a names fields
	{
		read -ra names
		for i in "${!names[@]}"; do
			[ "${names[$i]}" = "$col" ] && idx=$i
		done
		[ "$idx" -ge 0 ] || return 1
		while read -ra fields; do
			sum=$((sum + 16#${fields[$idx]}))
		done
	} < <(in_ns "$1" cat "/proc/net/stat/$file")
	echo "$sum"
}

# busywait TIMEOUT_MS CMD...: retries CMD until it succeeds or time runs out.
busywait() {
	local timeout_ms=$1 start
	shift
	start=$(date +%s%3N)
	until "$@"; do
		[ $(($(date +%s%3N) - start)) -lt "$timeout_ms" ] || return 1
		sleep 0.1
	done
}

# A marker in the kernel log; dmesg_splats prints splats logged after it.
dmesg_mark() {
	RCT_DMESG_MARK="rct-selftest-mark-$$-$RANDOM"
	echo "$RCT_DMESG_MARK" >/dev/kmsg
}
dmesg_splats() {
	dmesg | sed -n "/$RCT_DMESG_MARK/,\$p" |
		grep -E 'BUG:|WARNING:|Oops|KASAN|UBSAN|Call Trace|unreferenced object|possible circular locking|suspicious RCU usage|rcu_sched self-detected' ||
		true
}

# veth_pair NS1 NS2: links NS1 (192.0.2.1, 2001:db8::1) and NS2 (192.0.2.2,
# 2001:db8::2) with a veth pair and permanent neighbour entries, and turns off
# IPv6 address autoconfiguration, DAD and router solicitation, so the only
# IP packets on the link are the ones a test sends (plus a few MLD reports
# right after link-up; wait_quiet waits them out).
veth_pair() {
	local a=$1 b=$2 ns
	for ns in "$a" "$b"; do
		in_ns "$ns" sysctl -qw net.ipv6.conf.default.addr_gen_mode=1 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.default.accept_ra=0
	done
	ip -n "$a" link add veth0 type veth peer name veth0 netns "$b" || return 1
	ip -n "$a" addr add 192.0.2.1/24 dev veth0
	ip -n "$b" addr add 192.0.2.2/24 dev veth0
	ip -n "$a" -6 addr add 2001:db8::1/64 dev veth0 nodad
	ip -n "$b" -6 addr add 2001:db8::2/64 dev veth0 nodad
	local mac_a mac_b
	mac_a=$(ip -n "$a" -br link show veth0 | awk '{print $3}')
	mac_b=$(ip -n "$b" -br link show veth0 | awk '{print $3}')
	ip -n "$a" neigh add 192.0.2.2 lladdr "$mac_b" dev veth0 nud permanent
	ip -n "$b" neigh add 192.0.2.1 lladdr "$mac_a" dev veth0 nud permanent
	ip -n "$a" -6 neigh add 2001:db8::2 lladdr "$mac_b" dev veth0 nud permanent
	ip -n "$b" -6 neigh add 2001:db8::1 lladdr "$mac_a" dev veth0 nud permanent
	ip -n "$a" link set veth0 up
	ip -n "$b" link set veth0 up
}

# hook_counts NS: "pre in out post" packet counters of NS.
hook_counts() {
	echo "$(stat_sum "$1" prerouting) $(stat_sum "$1" localin)" \
		"$(stat_sum "$1" localout) $(stat_sum "$1" postrouting)"
}

# wait_quiet NS...: waits until no rct hook counter of NS moves for 1.5 s
# (at most 15 s): link-up chatter is over.
wait_quiet() {
	local i ns before after
	for i in $(seq 1 10); do
		before=""
		for ns in "$@"; do before+="$(hook_counts "$ns");"; done
		sleep 1.5
		after=""
		for ns in "$@"; do after+="$(hook_counts "$ns");"; done
		[ "$before" = "$after" ] && return 0
	done
	return 1
}

TRAFFIC="$RCT_SELFTEST_DIR/traffic.py"

# udp_echo_bg NS ADDR PORT N: starts an echo server in NS and waits until it listens.
udp_echo_bg() {
	local fifo
	fifo=$(mktemp -u)
	mkfifo "$fifo"
	in_ns "$1" python3 "$TRAFFIC" udp-echo "$2" "$3" "$4" >"$fifo" &
	read -r _ <"$fifo"
	rm -f "$fifo"
}

# ct_lines NS: the namespace's rct table with the timeout column replaced by
# "T" and the use count dropped, sorted (for exact comparisons).
ct_lines() {
	in_ns "$1" cat /proc/net/rct_conntrack | normalize_ct
}

# normalize_ct: stdin conntrack lines (rct or nf) -> comparable form.
normalize_ct() {
	sed -E 's/^(\S+ +[0-9]+ \S+ +[0-9]+) [0-9]+ /\1 T /; s/ use=[0-9]+$//' | sort
}

# ct_timeout NS PATTERN: seconds left of the first entry matching PATTERN.
ct_timeout() {
	in_ns "$1" cat /proc/net/rct_conntrack | grep -E -- "$2" | head -n 1 | awk '{print $5}'
}

# expect_line NS LINE: the normalized table of NS contains LINE exactly.
expect_line() {
	if ct_lines "$1" | grep -qxF -- "$2"; then
		pass "entry: $2"
	else
		fail "missing entry: $2"
		ct_lines "$1" | sed 's/^/#   have: /'
	fi
}

# mp ARGS...: modprobe from RCT_MODROOT (the guest kernel's modules; module
# autoload does not work in the test guest) or the system's default.
mp() {
	if [ -n "${RCT_MODROOT:-}" ]; then
		modprobe -d "$RCT_MODROOT" "$@"
	else
		modprobe "$@"
	fi
}

# load_nft [MODULE...]: loads nf_tables (or the given modules); skips the
# test if impossible.
load_nft() {
	local mods=("$@")
	[ ${#mods[@]} -gt 0 ] || mods=(nf_tables)
	mp -a "${mods[@]}" || skip "cannot load ${mods[*]}"
}

# nf_unload_if_new: remember whether nf_conntrack is loaded now; later
# calls of nf_restore unload nf modules only if it was not.
nf_unload_if_new() {
	RCT_NF_WAS_LOADED=0
	grep -q '^nf_conntrack ' /proc/modules && RCT_NF_WAS_LOADED=1
}
nf_restore() {
	[ "${RCT_NF_WAS_LOADED:-1}" = 0 ] && mp -r nft_ct nf_conntrack_netlink nf_tables nf_conntrack 2>/dev/null
	return 0
}

# nf_cleanup: EXIT trap of tests that run nf_conntrack beside rct.
nf_cleanup() {
	kill $(jobs -p) 2>/dev/null
	cleanup_ns
	rct_loaded && rct_unload
	nf_restore
}

# nf_track NS...: makes nf_conntrack track every packet in each NS (an nft
# table matching on ct state at prerouting and output) and turns per-entry
# counters on for both nf_conntrack and rct, for table comparisons.
nf_track() {
	local ns rules
	rules=$(mktemp)
	cat >"$rules" <<'NFT'
table inet diff {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		ct state new,established,related,invalid counter
	}
	chain out {
		type filter hook output priority 0; policy accept;
		ct state new,established,related,invalid counter
	}
}
NFT
	for ns in "$@"; do
		in_ns "$ns" nft -f "$rules" &&
			in_ns "$ns" sysctl -qw net.netfilter.nf_conntrack_acct=1 net.rct.acct=1 || {
			rm -f "$rules"
			return 1
		}
	done
	rm -f "$rules"
}

# long_timeouts NS...: raises the 30 s timeouts (UDP, ICMP, ICMPv6; nf's
# defaults) to 300, 301 and 302 s in rct and, where it is loaded, in
# nf_conntrack, so that entries outlive a slow (debug) kernel's test.
long_timeouts() {
	local ns p v
	for ns in "$@"; do
		for p in udp_timeout:300 icmp_timeout:301 icmpv6_timeout:302; do
			v=${p#*:}
			p=${p%%:*}
			echo "$v" | in_ns "$ns" tee "/proc/sys/net/rct/$p" >/dev/null || return 1
			if in_ns "$ns" test -e "/proc/sys/net/netfilter/nf_conntrack_$p"; then
				echo "$v" | in_ns "$ns" tee "/proc/sys/net/netfilter/nf_conntrack_$p" >/dev/null || return 1
			fi
		done
	done
}

# setup_pair: loads rct if needed and links namespaces $a and $b with
# veth_pair; fails or skips the test if that is impossible.
setup_pair() {
	rct_loaded || rct_load || {
		fail "insmod"
		exit $ret
	}
	setup_ns a b || skip "cannot create namespaces"
	veth_pair "$a" "$b" || {
		fail "veth setup"
		exit $ret
	}
}

# setup_router: after setup_pair, namespaces $r and $c: $r routes between
# $a (vra, 203.0.113.2 <-> 203.0.113.1) and $c (vc, 198.51.100.2 <->
# 198.51.100.1, its default route), so traffic from $a to 198.51.100.2 is
# forwarded by $r.
setup_router() {
	setup_ns r c || skip "cannot create namespaces"
	ip -n "$r" link add vr type veth peer name vc netns "$c"
	ip -n "$r" addr add 198.51.100.1/24 dev vr
	ip -n "$c" addr add 198.51.100.2/24 dev vc
	ip -n "$r" link set vr up
	ip -n "$c" link set vc up
	ip -n "$c" route add default via 198.51.100.1
	ip -n "$r" link add vra type veth peer name vra netns "$a"
	ip -n "$r" addr add 203.0.113.1/24 dev vra
	ip -n "$a" addr add 203.0.113.2/24 dev vra
	ip -n "$r" link set vra up
	ip -n "$a" link set vra up
	ip -n "$a" route add 198.51.100.0/24 via 203.0.113.1
	in_ns "$r" sysctl -qw net.ipv4.ip_forward=1
}

# setup_nf_pair: setup_pair, with nf_conntrack also tracking everything in
# $a and $b (nf_track), for tests comparing rct with nf.
setup_nf_pair() {
	load_nft nft_ct
	setup_pair
	nf_track "$a" "$b" || {
		fail "nf_conntrack tracking setup"
		exit $ret
	}
}

# ct_keyed: stdin conntrack lines -> "KEY SECONDS" per entry, KEY being the
# line without its timeout and use count (spaces folded to "_").
ct_keyed() {
	sed -E 's/^(\S+ +[0-9]+ \S+ +[0-9]+) ([0-9]+) (.*) use=[0-9]+$/\1|\3 \2/; s/ /_/g; s/_([0-9]+)$/ \1/'
}

# timeouts_agree RCT_LINES NF_LINES: every rct entry has an nf entry with the
# same key whose seconds left differ by at most 3 (reads within a second).
timeouts_agree() {
	local key t tn bad=0
	while read -r key t; do
		tn=$(ct_keyed <<<"$2" | awk -v k="$key" '$1 == k {print $2}')
		if [ -z "$tn" ] || [ $((t - tn)) -gt 3 ] || [ $((tn - t)) -gt 3 ]; then
			bad=1
			log "timeout differs: rct $t nf ${tn:-none} for $key"
		fi
	done < <(ct_keyed <<<"$1")
	return $bad
}

# teardown_no_leak: removes the test's namespaces (freeing their entries)
# and unloads rct; passes if the kernel did not complain that the entry
# cache still had objects ("Slab cache still has objects"), i.e. no leak.
teardown_no_leak() {
	dmesg_mark
	cleanup_ns
	rct_unload || fail "rmmod"
	if dmesg | sed -n "/$RCT_DMESG_MARK/,\$p" | grep -q 'still has objects'; then
		fail "rct_conn objects leaked"
	else
		pass "no rct_conn object leaked (cache destroyed cleanly)"
	fi
}
