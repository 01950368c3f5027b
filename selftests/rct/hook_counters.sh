#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Traffic over a veth pair between two namespaces moves exactly the expected
# per-hook packet counters on each side, for IPv4 and IPv6: an echo request
# leaves A through LOCAL_OUT and POST_ROUTING and enters B through
# PRE_ROUTING and LOCAL_IN; the reply takes the mirror path.
source "$(dirname "$0")/lib.sh"
need ping
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

setup_pair

# check_delta FAMILY NS BEFORE AFTER WANT: compares "pre in out post" deltas.
check_delta() {
	local fam=$1 ns=$2 want=$5 got
	read -r b1 b2 b3 b4 <<<"$3"
	read -r a1 a2 a3 a4 <<<"$4"
	got="$((a1 - b1)) $((a2 - b2)) $((a3 - b3)) $((a4 - b4))"
	if [ "$got" = "$want" ]; then
		pass "$fam $ns: pre/in/out/post deltas $got"
	else
		fail "$fam $ns: pre/in/out/post deltas $got, want $want"
	fi
}

N=3
for fam in 4 6; do
	dst=192.0.2.2
	[ $fam = 6 ] && dst=2001:db8::2
	wait_quiet "$a" "$b" || log "counters still moving before the IPv$fam run"
	ca=$(hook_counts "$a")
	cb=$(hook_counts "$b")
	if ! in_ns "$a" ping -$fam -q -c $N -i 0.2 -W 2 "$dst" >/dev/null; then
		fail "IPv$fam ping $dst"
		continue
	fi
	check_delta IPv$fam A "$ca" "$(hook_counts "$a")" "$N $N $N $N"
	check_delta IPv$fam B "$cb" "$(hook_counts "$b")" "$N $N $N $N"
done

# Counters are per namespace: the initial namespace saw none of it.
init_before=$(hook_counts "")
in_ns "$a" ping -4 -q -c 2 -i 0.2 -W 2 192.0.2.2 >/dev/null
init_after=$(hook_counts "")
if [ "$init_before" = "$init_after" ]; then
	pass "initial namespace counters untouched by A<->B traffic"
else
	fail "initial namespace counters moved: $init_before -> $init_after"
fi
exit $ret
