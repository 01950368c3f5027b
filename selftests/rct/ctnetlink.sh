#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ctnetlink with the real conntrack binary (conntrack-tools):
# - nf_conntrack_netlink loaded first: rct loads without ctnetlink
#   (net.rct.ctnetlink = 0, one log line);
# - the same traffic (UDP with and without replies, ICMP, ICMPv6, TCP, another
#   protocol; IPv4 and IPv6) under nf_conntrack and then under rct:
#   `conntrack -L` prints the same entries (timeouts and ids normalised);
# - -L with filters, -G, -U (mark), -I (create), -D by destination removes
#   exactly the matching entries, -C, -S, -F, -E shows NEW, UPDATE and
#   DESTROY events;
# - a user without CAP_NET_ADMIN gets EPERM.
source "$(dirname "$0")/lib.sh"
need conntrack nft python3 modprobe

nf_unload_if_new
trap nf_cleanup EXIT

# ct_norm: `conntrack -L` lines -> comparable form: timeout column "T",
# ICMP echo ids (ping's process ids) "I", and no TCP counters (how many
# ACKs a connection takes varies from run to run: delayed ACKs).
ct_norm() {
	sed -E 's/^(\S+ +[0-9]+) [0-9]+ /\1 T /; s/ id=[0-9]+/ id=I/g
		/^tcp /s/ packets=[0-9]+ bytes=[0-9]+//g' | sort
}

# tcp_exchange NS_C NS_S SRC SPORT DST DPORT: one TCP connection from
# SRC:SPORT in NS_C to a server at DST:DPORT in NS_S: request, answer, close.
tcp_exchange() {
	local fifo srv
	fifo=$(mktemp -u)
	mkfifo "$fifo"
	in_ns "$2" python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
l = socket.socket(fam)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen()
print("ready", flush=True)
c, _ = l.accept()
c.recv(100)
c.sendall(b"answer")
c.close()
' "$5" "$6" >"$fifo" &
	srv=$!
	read -r _ <"$fifo"
	rm -f "$fifo"
	in_ns "$1" python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.connect((sys.argv[3], int(sys.argv[4])))
s.sendall(b"request")
s.recv(100)
s.close()
' "$3" "$4" "$5" "$6"
	wait "$srv"
}

# traffic: the same flows each time, in $a -> $b.
traffic() {
	udp_echo_bg "$b" 192.0.2.2 53 2
	in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 5001 192.0.2.2 53 2 --reply || fail "udp v4 echo"
	udp_echo_bg "$b" 2001:db8::2 53 1
	in_ns "$a" python3 "$TRAFFIC" udp 2001:db8::1 5002 2001:db8::2 53 1 --reply || fail "udp v6 echo"
	in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 5003 192.0.2.2 9 2
	in_ns "$a" ping -4 -q -c 2 -i 0.2 192.0.2.2 >/dev/null || fail "ping v4"
	in_ns "$a" ping -6 -q -c 1 2001:db8::2 >/dev/null || fail "ping v6"
	in_ns "$a" python3 "$TRAFFIC" raw 253 192.0.2.1 192.0.2.2 1
	tcp_exchange "$a" "$b" 192.0.2.1 40001 192.0.2.2 80
	tcp_exchange "$a" "$b" 2001:db8::1 40002 2001:db8::2 80
}

# new_pair: fresh namespaces $a and $b, quiet, with empty tables.
new_pair() {
	cleanup_ns
	setup_ns a b || skip "cannot create namespaces"
	veth_pair "$a" "$b" || {
		fail "veth setup"
		exit $ret
	}
	wait_quiet "$a" "$b"
	long_timeouts "$a" "$b" || fail "raising the 30 s timeouts"
	in_ns "$a" conntrack -F 2>/dev/null
	in_ns "$b" conntrack -F 2>/dev/null
}

# --- nf_conntrack's ctnetlink first -------------------------------------
rct_loaded && rct_unload
mp nf_conntrack_netlink || skip "cannot load nf_conntrack_netlink"
load_nft nft_ct
dmesg_mark
rct_load || {
	fail "insmod beside nf_conntrack_netlink"
	exit $ret
}
[ "$(sysctl -n net.rct.ctnetlink)" = 0 ] && pass "nf_conntrack_netlink loaded first: net.rct.ctnetlink = 0" ||
	fail "net.rct.ctnetlink is not 0 beside nf_conntrack_netlink"
dmesg | sed -n "/$RCT_DMESG_MARK/,\$p" | grep -q 'rct runs without ctnetlink' &&
	pass "one log line says rct runs without ctnetlink" || fail "no log line about ctnetlink"

new_pair
nf_track "$a" "$b" || fail "nf_conntrack tracking setup"
in_ns "$a" conntrack -F 2>/dev/null
in_ns "$b" conntrack -F 2>/dev/null
traffic
nf_a=$(in_ns "$a" conntrack -L 2>/dev/null | ct_norm)
nf_b=$(in_ns "$b" conntrack -L 2>/dev/null | ct_norm)
nf_f=$(in_ns "$a" conntrack -L -p udp --orig-dst 192.0.2.2 2>/dev/null | ct_norm)
nf_g=$(in_ns "$a" conntrack -G -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 5001 --dport 53 2>/dev/null | ct_norm)
cleanup_ns
rct_unload
mp -r nf_conntrack_netlink || fail "rmmod nf_conntrack_netlink"

# --- rct's ctnetlink ------------------------------------------------------
rct_load || {
	fail "insmod"
	exit $ret
}
[ "$(sysctl -n net.rct.ctnetlink)" = 1 ] && pass "rct serves ctnetlink: net.rct.ctnetlink = 1" ||
	fail "net.rct.ctnetlink is not 1"
new_pair
in_ns "$a" sysctl -qw net.rct.acct=1
in_ns "$b" sysctl -qw net.rct.acct=1
ip netns exec "$a" conntrack -E >"/tmp/ctnl-events.$$" 2>&1 &
events=$!
sleep 1
traffic
for ns in a b; do
	rct_out=$(in_ns "${!ns}" conntrack -L 2>/dev/null | ct_norm)
	nf_out=nf_$ns
	if [ -n "$rct_out" ] && [ "$rct_out" = "${!nf_out}" ]; then
		pass "$ns: conntrack -L equals nf_conntrack's ($(wc -l <<<"$rct_out") entries)"
	else
		fail "$ns: conntrack -L differs (< rct, > nf):"
		diff <(echo "$rct_out") <(echo "${!nf_out}") | sed 's/^/#   /'
	fi
done
# The same lines as /proc (without the family columns and zone).
procl=$(in_ns "$a" cat /proc/net/rct_conntrack | grep '^ipv4 ' | sed -E 's/^\S+ +[0-9]+ //; s/ zone=[0-9]+//' | ct_norm)
[ "$procl" = "$(in_ns "$a" conntrack -L -f ipv4 2>/dev/null | ct_norm)" ] && pass "conntrack -L shows what /proc/net/rct_conntrack shows (IPv4)" ||
	fail "conntrack -L and /proc/net/rct_conntrack differ"

out=$(in_ns "$a" conntrack -L -p udp --orig-dst 192.0.2.2 2>/dev/null | ct_norm)
n=$(wc -l <<<"$out")
[ "$n" = 2 ] && [ "$out" = "$nf_f" ] && pass "-L -p udp --orig-dst 192.0.2.2: 2 entries, as nf's" ||
	fail "-L -p udp --orig-dst: $n entries, not 2 or not nf's"

n=$(in_ns "$a" conntrack -L -f ipv6 2>/dev/null | wc -l)
[ "$n" = 3 ] && pass "-L -f ipv6: 3 entries" || fail "-L -f ipv6: $n entries, not 3"
out=$(in_ns "$a" conntrack -G -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 5001 --dport 53 2>/dev/null)
grep -q 'sport=5001 dport=53 packets=2 ' <<<"$out" && [ "$(ct_norm <<<"$out")" = "$nf_g" ] &&
	pass "-G finds the UDP flow with its counters, as nf's -G" || fail "-G: '$out', nf: '$nf_g'"
in_ns "$a" conntrack -G -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 5999 --dport 53 >/dev/null 2>&1 &&
	fail "-G of a missing flow succeeded" || pass "-G of a missing flow fails"
in_ns "$a" conntrack -U -f ipv4 -p tcp --mark 7 >/dev/null 2>&1
n=$(in_ns "$a" conntrack -L -m 7 2>/dev/null | grep -c 'dport=80 .*mark=7')
[ "$n" = 1 ] && pass "-U -f ipv4 --mark 7 sets the mark; -L -m 7 lists it" || fail "-U mark: $n entries with mark 7"
# Back to 0: the update event still carries the mark (checked with -E below).
in_ns "$a" conntrack -U -f ipv4 -p tcp --mark 0 >/dev/null 2>&1
[ "$(in_ns "$a" conntrack -C 2>/dev/null)" = "$(in_ns "$a" sysctl -n net.rct.count)" ] &&
	pass "-C equals net.rct.count" || fail "-C differs from net.rct.count"
# Expectations: rct has none, and serves the subsystem so that conntrack
# (and conntrackd) see an empty table, as nf's without helpers.
out=$(in_ns "$a" conntrack -L expect 2>&1) && ! grep -q 'src=' <<<"$out" &&
	in_ns "$a" conntrack -F expect >/dev/null 2>&1 &&
	pass "-L expect: an empty list; -F expect succeeds" || fail "-L/-F expect: '$out'"
for l in dying unconfirmed; do
	out=$(in_ns "$a" conntrack -L "$l" 2>&1) && ! grep -q 'src=' <<<"$out" &&
		pass "-L $l: an empty list, as nf's" || fail "-L $l: '$out'"
done
cpus=$(in_ns "$a" conntrack -S 2>/dev/null | grep -c '^cpu=')
ins=$(in_ns "$a" conntrack -S 2>/dev/null | grep -o ' insert=[0-9]*' | awk -F= '{s += $2} END {print s + 0}')
[ "$cpus" = "$(nproc)" ] && [ "$ins" = "$(stat_sum "$a" insert)" ] &&
	pass "-S: a line per CPU, inserts as /proc/net/stat/rct_conntrack" || fail "-S: $cpus lines, $ins inserts"

# Create (conntrack -I, as conntrackd does on a backup): the entries are
# listed as given, traffic of the flow finds its entry, a second create
# gets EEXIST, a reply tuple that is not the inverse (NAT) is refused.
in_ns "$a" conntrack -I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 6000 --dport 6001 -t 100 -u SEEN_REPLY \
	>/dev/null 2>&1 || fail "-I udp failed"
in_ns "$a" conntrack -I -p tcp -s 192.0.2.1 -d 192.0.2.2 --sport 6002 --dport 6003 -t 50 \
	--state ESTABLISHED -u ASSURED -m 3 >/dev/null 2>&1 || fail "-I tcp failed"
l=$(in_ns "$a" conntrack -L 2>/dev/null)
grep -qE '^udp +17 (9[0-9]|100) src=192.0.2.1 dst=192.0.2.2 sport=6000 dport=6001 packets=0 bytes=0 src=192.0.2.2 dst=192.0.2.1 sport=6001 dport=6000 packets=0 bytes=0 mark=0 use=1$' <<<"$l" &&
	grep -qE '^tcp +6 (4[0-9]|50) ESTABLISHED src=192.0.2.1 dst=192.0.2.2 sport=6002 dport=6003 .*\[ASSURED\] mark=3 use=1$' <<<"$l" &&
	pass "-I creates UDP and TCP entries as given (timeout, status, state, mark)" || {
	fail "-I entries not as given:"
	grep -E 'sport=600[0-3] ' <<<"$l" | sed 's/^/#   /'
}
n0=$(in_ns "$a" sysctl -n net.rct.count)
in_ns "$a" python3 "$TRAFFIC" udp 192.0.2.1 6000 192.0.2.2 6001 1
[ "$(in_ns "$a" sysctl -n net.rct.count)" = "$n0" ] &&
	in_ns "$a" conntrack -L -p udp --sport 6000 2>/dev/null | grep -q 'dport=6001 packets=1 ' &&
	pass "traffic of a created flow uses its entry" || fail "traffic of a created flow made a new entry"
out=$(in_ns "$a" conntrack -I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 6000 --dport 6001 -t 100 2>&1)
grep -q 'conntrack exists' <<<"$out" && pass "-I of an existing flow: EEXIST" || fail "-I of an existing flow: '$out'"
out=$(in_ns "$a" conntrack -I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 6004 --dport 6005 -t 10 \
	-r 198.51.100.9 -q 192.0.2.1 --reply-port-src 6005 --reply-port-dst 6004 2>&1)
grep -q 'not supported' <<<"$out" && ! in_ns "$a" conntrack -L 2>/dev/null | grep -q 'sport=6004 ' &&
	pass "-I with a NAT reply tuple: EOPNOTSUPP, nothing created" || fail "-I with NAT: '$out'"

# Delete by destination: only the matching entries go. conntrack prints
# each entry it deletes; an entry that is gone afterwards without being
# printed must have expired meanwhile (the debug kernel is slow: earlier
# entries of this test reach their timeouts), so only entries with time
# to live are required to stay.
in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 7000 30000 20
in_ns "$a" python3 "$TRAFFIC" udp-flows 2001:db8::1 2001:db8::2 7000 30000 10
before=$(in_ns "$a" conntrack -L 2>/dev/null | grep -v 'dport=7000 ')
t0=$(date +%s)
del=$(in_ns "$a" conntrack -D -p udp --orig-dst 192.0.2.2 --dport 7000 2>/dev/null)
left=$(in_ns "$a" conntrack -L 2>/dev/null)
el=$(($(date +%s) - t0 + 2))
n_del=$(grep -cE '^[a-z0-9]+ +[0-9]+ ' <<<"$del")
n_match=$(grep -cE '^udp +17 [0-9]+ src=192\.0\.2\.1 dst=192\.0\.2\.2 sport=[0-9]+ dport=7000 ' <<<"$del")
# Entries of before (key: the line without its timeout) with more than
# $el s to live that are not in left.
lost=$(awk -v el="$el" 'NR == FNR { k = $0; sub(/^[^ ]+ +[0-9]+ [0-9]+ /, "", k); have[k] = 1; next }
	{ t = $3; k = $0; sub(/^[^ ]+ +[0-9]+ [0-9]+ /, "", k); if (t + 0 > el && !(k in have)) print }' \
	<(printf '%s\n' "$left") <(printf '%s\n' "$before"))
v4=$(grep -c 'dst=192.0.2.2 sport=[0-9]* dport=7000 ' <<<"$left")
v6=$(grep -c 'dst=2001:db8::2 sport=[0-9]* dport=7000 ' <<<"$left")
if [ "$n_del" = 20 ] && [ "$n_match" = 20 ] && [ "$v4" = 0 ] && [ "$v6" = 10 ] && [ -z "$lost" ]; then
	pass "-D -p udp --orig-dst X --dport 7000 removed exactly the 20 matching entries"
else
	fail "-D by destination: $n_del deleted ($n_match matching), left $v4 IPv4 and $v6 IPv6 flows to 7000"
	printf '%s\n' "$del" | sed 's/^/#   deleted: /'
	[ -z "$lost" ] || printf '%s\n' "$lost" | sed 's/^/#   lost: /'
fi
in_ns "$a" conntrack -F >/dev/null 2>&1
[ -z "$(in_ns "$a" cat /proc/net/rct_conntrack)" ] && pass "-F empties the table" || fail "-F left entries"
[ -n "$(in_ns "$b" cat /proc/net/rct_conntrack)" ] && pass "-F in one namespace leaves the others" ||
	fail "-F emptied another namespace"
sleep 1
kill "$events" 2>/dev/null
wait "$events" 2>/dev/null
ev=$(cat "/tmp/ctnl-events.$$")
rm -f "/tmp/ctnl-events.$$"
grep -q '^ *\[NEW\] udp .*sport=5001 dport=53 \[UNREPLIED\]' <<<"$ev" &&
	grep -q '^ *\[UPDATE\] tcp .* ESTABLISHED .*sport=40001 dport=80 .*\[ASSURED\]' <<<"$ev" &&
	grep -q '^ *\[UPDATE\] tcp .*sport=40001 dport=80 .*mark=7' <<<"$ev" &&
	grep -q '^ *\[UPDATE\] tcp .*sport=40001 dport=80 .*mark=0' <<<"$ev" &&
	grep -q '^ *\[DESTROY\] udp .*dport=7000 ' <<<"$ev" &&
	grep -q '^ *\[NEW\] udp .*sport=6000 dport=6001 .*mark=0' <<<"$ev" &&
	pass "-E shows NEW (with the mark, 0 too, for -I), UPDATE (mark changes too, to 0 as well) and DESTROY events" || {
	fail "-E events missing:"
	echo "$ev" | head -20 | sed 's/^/#   /'
}

# Without CAP_NET_ADMIN.
out=$(in_ns "$b" setpriv --reuid=65534 --regid=65534 --clear-groups conntrack -F 2>&1)
grep -qi 'CAP_NET_ADMIN\|not permitted' <<<"$out" && [ -n "$(in_ns "$b" cat /proc/net/rct_conntrack)" ] &&
	pass "without CAP_NET_ADMIN: EPERM, nothing flushed" || fail "unprivileged flush: '$out'"

# rmmod gives both subsystems (entries, expectations) back.
cleanup_ns
rct_unload
mp nf_conntrack_netlink && pass "after rmmod rct, nf_conntrack_netlink registers both subsystems" ||
	fail "nf_conntrack_netlink cannot load after rmmod rct"
mp -r nf_conntrack_netlink
exit $ret
