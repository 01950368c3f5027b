#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A SYN flood past net.rct.max: the count stays <= max, half-open entries
# are evicted first (early drop) or the SYNs are dropped, and established
# (ASSURED) connections survive and keep working. max is machine-wide, so
# both the flooding namespace A (on the way out) and the target B (on the
# way in) hit it; each namespace's count stays within it.
source "$(dirname "$0")/lib.sh"
need python3 nft
trap 'kill $(jobs -p) 2>/dev/null; cleanup_ns; rct_loaded && rct_unload' EXIT

load_nft
setup_pair
MAX=40
# max is machine-wide; A's few entries stay far below it.
sysctl -qw net.rct.max=$MAX
# A never answers B's SYN/ACKs to the flood (no RST that would close the
# half-open entries): the flood's entries stay unassured in B.
rules=$(mktemp)
cat >"$rules" <<'NFT'
table inet flood {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp sport 81 drop
	}
}
NFT
in_ns "$a" nft -f "$rules" || { fail "nft ruleset"; exit $ret; }
rm -f "$rules"

PEER="$RCT_SELFTEST_DIR/tcp_peer.py"
for port in 80 81; do
	fifo=$(mktemp -u)
	mkfifo "$fifo"
	in_ns "$b" python3 "$PEER" server 192.0.2.2 $port >"$fifo" &
	read -r _ <"$fifo"
	rm -f "$fifo"
done

coproc FLOOD { in_ns "$a" python3 "$PEER" flood 192.0.2.1 192.0.2.2 80 81 300; }
read -r -t 60 line <&"${FLOOD[0]}"
[ "$line" = flooded ] || fail "flood: '$line'"

for ns in "$a" "$b"; do
	name=$([ "$ns" = "$a" ] && echo A || echo B)
	count=$(in_ns "$ns" cat /proc/sys/net/rct/count)
	[ "$count" -le $MAX ] && pass "$name: count $count <= max $MAX after 300 SYNs" ||
		fail "$name: count $count > max $MAX"
	est=$(in_ns "$ns" cat /proc/net/rct_conntrack | grep -cE 'ESTABLISHED .*dport=80 .*\[ASSURED\]')
	[ "$est" = 5 ] && pass "$name: 5 established connections kept" ||
		fail "$name: $est of 5 established connections kept"
done
early=$(($(stat_sum "$a" early_drop) + $(stat_sum "$b" early_drop)))
drop=$(($(stat_sum "$a" drop) + $(stat_sum "$b" drop)))
# Room for at most MAX - 5 flood entries: the rest of the 300 were evicted
# or dropped (in A on the way out, or in B on the way in).
[ $((early + drop)) -ge $((300 - MAX)) ] && pass "flood entries evicted or dropped ($early early_drop, $drop drop)" ||
	fail "only $early early drops + $drop drops for 300 SYNs into $MAX slots"
echo go >&"${FLOOD[1]}"
read -r -t 30 line <&"${FLOOD[0]}"
[ "$line" = "alive 5" ] && pass "established connections still carry data" || fail "after the flood: '$line'"
exec {FLOOD[1]}>&-
exit $ret
