#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every net.rct.* sysctl: readable; writable ones accept a valid value and
# refuse garbage and out-of-range values with EINVAL, keeping the old one;
# read-only ones refuse writes; an unprivileged user cannot write; root of
# an unprivileged user+net namespace can, in its own namespace only.
source "$(dirname "$0")/lib.sh"
need setpriv unshare
trap 'cleanup_ns; rct_loaded && rct_unload' EXIT

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
RO="count"
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

# Root of an unprivileged user+net namespace owns that namespace's values.
# (Debian kernels gate unprivileged user namespaces behind a sysctl.)
UC=/proc/sys/kernel/unprivileged_userns_clone
uc_old=$(cat $UC 2>/dev/null)
[ -n "$uc_old" ] && echo 1 >$UC
init_max=$(cat $D/max)
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	unshare --user --map-root-user --net sh -c "echo 4242 > $D/max && cat $D/max" 2>&1)
if [ "$out" = 4242 ] && [ "$(cat $D/max)" = "$init_max" ]; then
	pass "root of an unprivileged netns sets its own max only"
elif [[ "$out" == *"Operation not permitted"* && "$out" == *unshare* ]]; then
	# The test guest runs tests in a chroot, where the kernel refuses
	# CLONE_NEWUSER even to root.
	log "SKIP: user namespaces cannot be created here (chroot or disabled)"
else
	fail "userns write: '$out', init max now $(cat $D/max)"
fi
[ -n "$uc_old" ] && echo "$uc_old" >$UC
exit $ret
