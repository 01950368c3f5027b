#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TCP differential test: real connections between two namespaces, left in
# ESTABLISHED, TIME_WAIT (closed by either side first, or both at once),
# CLOSE_WAIT, CLOSE
# (RST), a TIME_WAIT connection whose ports are reused (reopened), and a
# refused connection. rct's table, TCP states and ASSURED
# flags included, must equal nf_conntrack's in both namespaces, for IPv4
# and IPv6; no packet of these connections may be invalid for rct.
source "$(dirname "$0")/lib.sh"
need nft python3
nf_unload_if_new
trap nf_cleanup EXIT

setup_nf_pair
for ns in "$a" "$b"; do
	# CLOSE (10 s), LAST_ACK (30 s) and CLOSE_WAIT (60 s) entries must not
	# expire while the test compares tables (the debug kernel is slow):
	# raised alike in both.
	in_ns "$ns" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close=120 \
		net.rct.tcp_timeout_close=120 \
		net.netfilter.nf_conntrack_tcp_timeout_last_ack=300 net.rct.tcp_timeout_last_ack=300 \
		net.netfilter.nf_conntrack_tcp_timeout_close_wait=300 net.rct.tcp_timeout_close_wait=300 ||
		fail "sysctls"
done

PEER="$RCT_SELFTEST_DIR/tcp_peer.py"
run_scenario() {
	local src=$1 dst=$2 fifo
	fifo=$(mktemp -u)
	mkfifo "$fifo"
	in_ns "$b" python3 "$PEER" server "$dst" 80 >"$fifo" &
	read -r _ <"$fifo"
	rm -f "$fifo"
	coproc CLIENT { in_ns "$a" python3 "$PEER" client "$src" "$dst" 80 81; }
	local steps=0
	while read -r -t 60 line <&"${CLIENT[0]}"; do
		case $line in
		step*)
			checkpoint "$src ${line#step }" && steps=$((steps + 1))
			echo go >&"${CLIENT[1]}"
			;;
		*) break ;;
		esac
	done
	[ "$line" = done ] || fail "client scenario ($src): '$line'"
	[ "$steps" -ge 10 ] && pass "$src: tables equal at all $steps checkpoints" ||
		fail "$src: tables equal at only $steps checkpoints"
	sleep 0.5
}

# checkpoint WHAT: rct's TCP entries equal nf_conntrack's in both namespaces
# (retried briefly: a packet may be in flight between the two reads).
checkpoint() {
	local ns try rct nf
	for ns in "$a" "$b"; do
		for try in 1 2 3 4 5; do
			sleep 0.2
			rct=$(in_ns "$ns" cat /proc/net/rct_conntrack | grep " tcp " | normalize_ct)
			nf=$(in_ns "$ns" cat /proc/net/nf_conntrack | grep " tcp " | normalize_ct)
			[ "$rct" = "$nf" ] && break
		done
		if [ "$rct" != "$nf" ]; then
			fail "checkpoint '$1': tables differ (< rct, > nf):"
			diff <(echo "$rct") <(echo "$nf") | sed 's/^/#   /'
			return 1
		fi
	done
}

compare() {
	local fam=$1 ns name rct nf
	for ns in "$a" "$b"; do
		name=$([ "$ns" = "$a" ] && echo A || echo B)
		rct=$(in_ns "$ns" cat /proc/net/rct_conntrack | grep " tcp ")
		nf=$(in_ns "$ns" cat /proc/net/nf_conntrack | grep " tcp ")
		if [ -n "$rct" ] && [ "$(normalize_ct <<<"$rct")" = "$(normalize_ct <<<"$nf")" ]; then
			pass "$fam $name: TCP table equals nf_conntrack's ($(wc -l <<<"$rct") entries)"
			timeouts_agree "$rct" "$nf" && pass "$fam $name: per-state timeouts agree within 3 s" ||
				fail "$fam $name: timeouts differ"
		else
			fail "$fam $name: TCP tables differ (< rct, > nf):"
			diff <(normalize_ct <<<"$rct") <(normalize_ct <<<"$nf") | sed 's/^/#   /'
		fi
		for want in "ESTABLISHED .*sport=40001 .*\[ASSURED\]" "CLOSE_WAIT .*sport=40003 " \
			"CLOSE .*sport=40004 " "TIME_WAIT .*sport=40006 .*\[ASSURED\]" \
			"TIME_WAIT .*sport=40007 .*\[ASSURED\]" "TIME_WAIT .*sport=40008 .*\[ASSURED\]" \
			"ESTABLISHED .*sport=40002 .*\[ASSURED\]"; do
			grep -qE "$want" <<<"$rct" && pass "$fam $name: $want" || fail "$fam $name: no '$want'"
		done
		grep -q "sport=40005 " <<<"$rct" && fail "$fam $name: refused connection kept" ||
			pass "$fam $name: refused connection not kept"
	done
}

# end_scenario: closing the client's stdin ends it (and its connections).
end_scenario() {
	local pid=$CLIENT_PID
	exec {CLIENT[1]}>&-
	wait "$pid" 2>/dev/null
}

run_scenario 192.0.2.1 192.0.2.2
compare IPv4
end_scenario
run_scenario 2001:db8::1 2001:db8::2
compare IPv6
end_scenario
inv=$(($(stat_sum "$a" invalid) + $(stat_sum "$b" invalid)))
[ "$inv" = 0 ] && pass "no TCP packet was invalid" || fail "$inv invalid packets"
exit $ret
