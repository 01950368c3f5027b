#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 1,000 network namespaces created and destroyed with live entries while
# traffic runs in another pair of namespaces and readers keep reading the
# table: every namespace sees only its own entries, the others' traffic is
# undisturbed, and every entry is freed (no leak at unload, no splat).
source "$(dirname "$0")/lib.sh"
need python3
trap 'kill $readers $traffic 2>/dev/null; cleanup_ns; rct_loaded && rct_unload' EXIT

setup_pair
for ns in "$a" "$b"; do in_ns "$ns" sysctl -qw net.rct.udp_timeout=600 net.rct.acct=1; done
M=200
in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 9 30000 $M
wait_quiet "$a"
ins0=$(stat_sum "$a" insert)

# Readers in the initial namespace and in A, and A's flows sent again and
# again, for as long as the churn runs.
( while :; do cat /proc/net/rct_conntrack >/dev/null; in_ns "$a" cat /proc/net/rct_conntrack >/dev/null; done ) &
readers=$!
( while :; do in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 9 30000 $M; done ) &
traffic=$!

N=${RCT_CHURN:-$(scaled 1000)}
start=$(date +%s)
python3 "$(dirname "$0")/churn.py" "$N" 4 5 && pass "$N namespaces each saw exactly their own 5 entries" ||
	fail "namespace isolation failed during churn"
log "churn took $(($(date +%s) - start)) s"
kill $traffic $readers 2>/dev/null
wait $traffic $readers 2>/dev/null

n=$(in_ns "$a" cat /proc/net/rct_conntrack | grep -c ' udp ')
ins=$(($(stat_sum "$a" insert) - ins0))
drop=$(stat_sum "$a" drop)
[ "$n" = $M ] && [ "$ins" = 0 ] && [ "$drop" = 0 ] &&
	pass "A's $M flows kept their entries through the churn (0 new, 0 dropped)" ||
	fail "A: $n entries, $ins new inserts, $drop drops during the churn"
init=$(cat /proc/sys/net/rct/count)
[ "$init" = 0 ] && pass "no entry leaked into the initial namespace" || fail "initial namespace count $init"
teardown_no_leak
exit $ret
