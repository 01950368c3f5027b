#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Confirm on another CPU than the conntrack hook: an NFQUEUE rule between
# rct's hooks hands each new flow's first packet to a verdict program
# (nfq.py) pinned to CPU 1 while the sender is pinned to CPU 0, so the
# packet passes LOCAL_OUT / PRE_ROUTING on CPU 0 and POST_ROUTING on CPU 1
# (the same happens to a sender preempted and migrated between the two on
# a preemptible kernel). Every accepted flow must be confirmed, every
# dropped one reaped and counted in unconfirmed_drop: sent from the host
# (IPv4, IPv6) and forwarded by a router.
source "$(dirname "$0")/lib.sh"
need nft python3 taskset
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
NFQ="$(dirname "$0")/nfq.py"
trap 'kill $(jobs -p) 2>/dev/null; cleanup_ns; rct_loaded && rct_unload' EXIT

load_nft nf_tables nft_queue nfnetlink_queue
setup_pair
setup_router

N=$(scaled 200)
DROP_EVERY=4
want_drop=$((N / DROP_EVERY))
want_ok=$((N - want_drop))

# queue_rule NS HOOK: UDP to port 9 at HOOK (priority 0, between rct's
# -200 and INT_MAX) goes to queue 0.
queue_rule() {
	in_ns "$1" nft -f - <<NFT
table inet q {
	chain c {
		type filter hook $2 priority 0; policy accept;
		udp dport 9 queue num 0
	}
}
NFT
}

# count_flows NS FIRST N: entries in NS of the UDP flows with source ports
# FIRST .. FIRST+N-1 to port 9.
count_flows() {
	ct_lines "$1" | awk -v lo="$2" -v hi=$(($2 + $3)) '
		/ udp / && / dport=9 / {
			for (i = 1; i <= NF; i++)
				if ($i ~ /^sport=/) { p = substr($i, 7) + 0; break }
			if (p >= lo && p < hi) n++
		}
		END { print n + 0 }'
}

# run_case NAME QNS SENDNS SRC DST FIRST: queues at QNS, sends N new flows
# from SENDNS (CPU 0), verdicts from CPU 1; checks QNS's table and stats.
run_case() {
	local name=$1 qns=$2 sns=$3 src=$4 dst=$5 first=$6 out drop0 ok got drops
	out=$(mktemp)
	drop0=$(stat_sum "$qns" unconfirmed_drop)
	taskset -c 1 ip netns exec "$qns" python3 "$NFQ" 0 "$N" "$DROP_EVERY" >"$out" 2>&1 &
	local q=$!
	busywait 10000 grep -q ready "$out" || {
		fail "$name: nfq.py not ready: $(cat "$out")"
		return
	}
	taskset -c 0 ip netns exec "$sns" python3 "$TRAFFIC" udp-flows "$src" "$dst" 9 "$first" "$N"
	ok=0
	for _ in $(seq 1 100); do
		kill -0 $q 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 $q 2>/dev/null; then
		kill $q
		fail "$name: verdicts not given for all $N packets: $(cat "$out")"
		return
	fi
	wait $q
	grep -q "accepted $want_ok dropped $want_drop" "$out" || fail "$name: nfq.py: $(cat "$out")"
	rm -f "$out"
	got=$(count_flows "$qns" "$first" "$N")
	[ "$got" = "$want_ok" ] && pass "$name: $got accepted flows confirmed on the other CPU" ||
		fail "$name: $got of $want_ok accepted flows in the table"
	drops_done() {
		drops=$(($(stat_sum "$qns" unconfirmed_drop) - drop0))
		[ "$drops" -ge "$want_drop" ]
	}
	busywait 5000 drops_done
	[ "$drops" = "$want_drop" ] && pass "$name: $drops dropped flows counted in unconfirmed_drop" ||
		fail "$name: unconfirmed_drop +$drops, want +$want_drop"
}

queue_rule "$a" output
run_case "local IPv4" "$a" "$a" 192.0.2.1 192.0.2.2 20000
run_case "local IPv6" "$a" "$a" 2001:db8::1 2001:db8::2 21000
in_ns "$a" nft delete table inet q

queue_rule "$r" forward
run_case "forwarded" "$r" "$a" 203.0.113.2 198.51.100.2 22000

# Nothing stays parked: the entries in A and R are exactly the confirmed ones.
settled() {
	[ "$(in_ns "$1" cat /proc/sys/net/rct/count)" = "$(ct_lines "$1" | wc -l)" ]
}
for ns in "$a" "$r"; do
	busywait 5000 settled "$ns" && pass "count equals the table's lines in ${ns%%-*}" ||
		fail "count $(in_ns "$ns" cat /proc/sys/net/rct/count) vs $(ct_lines "$ns" | wc -l) lines in ${ns%%-*}"
done
exit $ret
