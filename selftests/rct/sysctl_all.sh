#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every net.rct.* sysctl: readable; writable ones accept a valid value and
# refuse garbage and out-of-range values with EINVAL, keeping the old one;
# read-only ones refuse writes; an unprivileged user cannot write; root of
# an unprivileged user+net namespace can write the per-namespace ones, in its
# own namespace only; the global max and buckets only in the initial one (as with
# nf_conntrack's sysctls).
source "$(dirname "$0")/lib.sh"
need setpriv unshare
# Settings the user-namespace case changes, restored on exit.
UC=/proc/sys/kernel/unprivileged_userns_clone
MU=/proc/sys/user/max_user_namespaces
uc_old='' mu_old='' nf_new=0
restore() {
	[ -n "$uc_old" ] && echo "$uc_old" >$UC
	[ -n "$mu_old" ] && echo "$mu_old" >$MU
	[ "$nf_new" = 1 ] && mp -r nf_conntrack
	uc_old='' mu_old='' nf_new=0
}
trap 'cleanup_ns; rct_loaded && rct_unload; restore' EXIT

rct_loaded || rct_load || { fail "insmod"; exit $ret; }
D=/proc/sys/net/rct

# name: valid value, an out-of-range value ("-" if none beyond INT_MAX).
declare -A GOOD=(
	[max]=5000 [buckets]=2048 [acct]=1 [checksum]=0 [log_invalid]=17 [tcp_loose]=0 [tcp_be_liberal]=1
	[tcp_max_retrans]=7 [tcp_ignore_invalid_rst]=1 [udp_timeout]=31 [udp_timeout_stream]=121
	[icmp_timeout]=32 [icmpv6_timeout]=33 [generic_timeout]=601 [tcp_timeout_syn_sent]=119
	[tcp_timeout_syn_recv]=59 [tcp_timeout_established]=3600 [tcp_timeout_fin_wait]=119
	[tcp_timeout_close_wait]=59 [tcp_timeout_last_ack]=29 [tcp_timeout_time_wait]=119
	[tcp_timeout_close]=9 [tcp_timeout_max_retrans]=299 [tcp_timeout_unacknowledged]=299
)
declare -A OUT=(
	[buckets]=16777217 [acct]=2 [checksum]=2 [log_invalid]=256 [tcp_loose]=2 [tcp_be_liberal]=2 [tcp_max_retrans]=256
	[tcp_ignore_invalid_rst]=2 [udp_timeout]=8589935 [tcp_timeout_established]=8589935
)
RO="count ctnetlink"
# Machine-wide values, as nf_conntrack_max and nf_conntrack_buckets.
GLOBAL="max buckets"

all=$(ls $D | sort | tr '\n' ' ')
want=$(printf '%s\n' "${!GOOD[@]}" $RO | sort | tr '\n' ' ')
[ "$all" = "$want" ] && pass "the $(wc -w <<<"$all") sysctls are all there" || fail "sysctls: '$all', want '$want'"

w() { sh -c "printf '%s\n' '$2' > $D/$1" 2>/dev/null; }
for name in "${!GOOD[@]}"; do
	old=$(cat $D/$name)
	bad=0
	w "$name" abc && bad=1
	w "$name" -1 && bad=1
	[ -n "${OUT[$name]:-}" ] && w "$name" "${OUT[$name]}" && bad=1
	[ "$(cat $D/$name)" = "$old" ] || bad=1
	w "$name" "${GOOD[$name]}" && [ "$(cat $D/$name)" = "${GOOD[$name]}" ] || bad=1
	w "$name" "$old"
	[ $bad = 0 ] && pass "$name: valid write, EINVAL on garbage/range, old value kept" || fail "$name misbehaves"
done
for name in $RO; do
	v=$(cat $D/$name)
	if w "$name" 1 || [ "$(cat $D/$name)" != "$v" ]; then fail "$name is writable"; else pass "$name is read-only ($v)"; fi
done

# Global sysctls are read-only outside the initial namespace (even for root).
setup_ns g || skip "cannot create namespaces"
for name in $GLOBAL; do
	v=$(cat $D/$name)
	if ip netns exec "$g" sh -c "echo 3000 > $D/$name" 2>/dev/null || [ "$(cat $D/$name)" != "$v" ]; then
		fail "$name written from another namespace"
	elif [ "$(ip netns exec "$g" cat $D/$name)" != "$v" ]; then
		fail "$name reads $(ip netns exec "$g" cat $D/$name) in another namespace, want $v"
	else
		pass "$name: global, read-only in other namespaces"
	fi
done

# An unprivileged user can read but not write.
if setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo 7 > $D/max" 2>/dev/null; then
	fail "uid 65534 wrote net.rct.max"
else
	[ "$(setpriv --reuid=65534 --regid=65534 --clear-groups cat $D/max)" = "$(cat $D/max)" ] &&
		pass "unprivileged user can read, cannot write" || fail "unprivileged read"
fi

# Root of an unprivileged user+net namespace owns that namespace's values,
# as with nf_conntrack: a sysctl write needs CAP_NET_ADMIN in the user
# namespace owning the netns. uid 65534 creates both namespaces, so its
# "root" maps to nobody outside and holds no capability in the initial one.
# (Debian kernels gate unprivileged user namespaces behind a sysctl; a
# chroot or max_user_namespaces=0 makes unshare fail, which fails here.)
uc_old=$(cat $UC 2>/dev/null)
mu_old=$(cat $MU 2>/dev/null)
[ -n "$uc_old" ] && echo 1 >$UC
[ "$mu_old" = 0 ] && echo 16 >$MU
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# snapshot: "name=value ..." of every sysctl in the current namespace.
snapshot() { for n in $(ls $D | sort); do printf '%s=%s ' "$n" "$(cat $D/$n)"; done; }

init_before=$(snapshot)
# In the new namespaces: the id mapping, the sysctl list, then each writable
# sysctl set to its GOOD value and read back, and writes to the read-only ones.
userns_job='D=/proc/sys/net/rct
echo "map $(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")"
echo "list $(ls $D | sort | tr "\n" " ")"
for kv in "$@"; do
	n=${kv%%=*} v=${kv#*=}
	if echo "$v" >$D/$n && [ "$(cat $D/$n)" = "$v" ]; then
		echo "set $n"
	else
		echo "notset $n $(cat $D/$n)"
	fi
done
for n in count max buckets; do echo 1 >$D/$n 2>/dev/null && echo "rowrite $n"; done
echo done'
goods=()
for name in "${!GOOD[@]}"; do
	[[ " $GLOBAL " == *" $name "* ]] || goods+=("$name=${GOOD[$name]}")
done
out=$(nobody unshare --user --map-root-user --net sh -c "$userns_job" sh "${goods[@]}" 2>&1)
if [ "$(tail -n 1 <<<"$out")" != done ]; then
	fail "cannot run in a new user+net namespace as uid 65534: $out"
else
	[ "$(sed -n 's/^map //p' <<<"$out")" = "0 65534 1" ] &&
		pass "uid 65534 created a user+net namespace, root in it is nobody outside" ||
		fail "unexpected uid map: $(sed -n 's/^map //p' <<<"$out")"
	[ "$(sed -n 's/^list //p' <<<"$out")" = "$all" ] &&
		pass "the unprivileged netns has all $(wc -w <<<"$all") sysctls" ||
		fail "unprivileged netns sysctls: '$(sed -n 's/^list //p' <<<"$out")'"
	nset=$(grep -c '^set ' <<<"$out")
	if [ "$nset" = "${#goods[@]}" ]; then
		pass "its root sets all $nset per-namespace sysctls there"
	else
		fail "its root set $nset of ${#goods[@]} sysctls:"
		grep -v '^set ' <<<"$out" | sed 's/^/#   /'
	fi
	if grep -q '^rowrite' <<<"$out"; then
		fail "read-only sysctls written in the unprivileged netns: $(grep '^rowrite' <<<"$out" | tr '\n' ' ')"
	else
		pass "count, max and buckets stay read-only there"
	fi
fi
init_after=$(snapshot)
[ "$init_after" = "$init_before" ] && pass "the initial namespace's values did not change" ||
	fail "initial namespace changed: before '$init_before' after '$init_after'"

# Root of a user namespace without its own netns cannot write the initial
# netns's values: the capability must be held in the netns's owner namespace.
if nobody unshare --user --map-root-user sh -c "echo 4242 > $D/max" 2>/dev/null ||
	[ "$(cat $D/max)" = 4242 ]; then
	fail "root of a user namespace wrote the initial namespace's net.rct.max"
else
	pass "root of a user namespace cannot write the initial namespace's sysctls"
fi

# The same for nf_conntrack (when its module is available): its per-netns
# sysctls follow the same rule.
grep -q '^nf_conntrack ' /proc/modules || nf_new=1
if mp nf_conntrack 2>/dev/null; then
	N=/proc/sys/net/netfilter/nf_conntrack_udp_timeout
	nf_init=$(cat $N)
	nf_out=$(nobody unshare --user --map-root-user --net sh -c "echo 31 > $N && cat $N" 2>&1)
	if [ "$nf_out" = 31 ] && [ "$(cat $N)" = "$nf_init" ]; then
		pass "nf_conntrack alike: root of an unprivileged netns sets its own udp_timeout only"
	else
		fail "nf_conntrack userns write: '$nf_out', initial value now $(cat $N)"
	fi
	if nobody unshare --user --map-root-user sh -c "echo 32 > $N" 2>/dev/null; then
		fail "root of a user namespace wrote nf's initial udp_timeout"
	fi
else
	nf_new=0
	log "nf_conntrack not available, its comparison not run"
fi
restore
exit $ret
