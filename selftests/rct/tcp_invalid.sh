#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Crafted TCP segments on a live connection: data far outside the window
# and an out-of-window RST (a blind reset attack) are counted invalid by rct
# exactly as by nf_conntrack, logged when net.rct.log_invalid asks, and do
# not change the connection's state (still ESTABLISHED, ASSURED).
source "$(dirname "$0")/lib.sh"
need nft python3
nf_unload_if_new
trap nf_cleanup EXIT

setup_nf_pair
in_ns "$b" sysctl -qw net.rct.log_invalid=6

nf_invalid() { stat_sum "$1" invalid nf_conntrack; }

PEER="$RCT_SELFTEST_DIR/tcp_peer.py"
fifo=$(mktemp -u)
mkfifo "$fifo"
in_ns "$b" python3 "$PEER" server 192.0.2.2 80 >"$fifo" &
read -r _ <"$fifo"
rm -f "$fifo"

rct_b0=$(stat_sum "$b" invalid)
nf_b0=$(nf_invalid "$b")
dmesg_mark
coproc CRAFT { in_ns "$a" python3 "$PEER" craft 192.0.2.1 192.0.2.2 80 veth0; }
read -r -t 60 line <&"${CRAFT[0]}"
[ "$line" = done ] || fail "crafting: '$line'"

rct_b=$(($(stat_sum "$b" invalid) - rct_b0))
nf_b=$(($(nf_invalid "$b") - nf_b0))
[ "$rct_b" -ge 4 ] && pass "rct counted $rct_b invalid segments in B" || fail "rct counted $rct_b invalid in B, want >= 4"
[ "$rct_b" = "$nf_b" ] && pass "same invalid count as nf_conntrack ($nf_b)" || fail "rct $rct_b vs nf $nf_b invalid"
rct=$(in_ns "$b" cat /proc/net/rct_conntrack | grep 'sport=40100 ')
nf=$(in_ns "$b" cat /proc/net/nf_conntrack | grep 'sport=40100 ')
[[ "$rct" == *" ESTABLISHED "*"[ASSURED]"* ]] && pass "connection still ESTABLISHED, ASSURED" || fail "rct entry: $rct"
[ "$(normalize_ct <<<"$rct" | sed -E 's/ packets=[0-9]+ bytes=[0-9]+//g')" = \
	"$(normalize_ct <<<"$nf" | sed -E 's/ packets=[0-9]+ bytes=[0-9]+//g')" ] &&
	pass "entry equals nf_conntrack's" || fail "rct '$rct' vs nf '$nf'"
if dmesg | sed -n "/$RCT_DMESG_MARK/,\$p" | grep -q 'rct: invalid packet: TCP segment outside the window'; then
	pass "invalid segments logged (log_invalid=6)"
else
	fail "no invalid-packet log line"
fi
exec {CRAFT[1]}>&-
exit $ret
