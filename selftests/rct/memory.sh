#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bytes per entry: rct's slab object (rct_conn) against nf_conntrack's
# (nf_conntrack), both from /proc/slabinfo in the same kernel. Target:
# rct <= 0.75 x nf. Also: 1000 flows in two namespaces use 2000 objects,
# and all of them are freed by namespace teardown and unload.
source "$(dirname "$0")/lib.sh"
need python3 modprobe
nf_unload_if_new
trap 'cleanup_ns; rct_loaded && rct_unload; nf_restore' EXIT

[ -r /proc/slabinfo ] || skip "no /proc/slabinfo"
load_nft nf_conntrack
rct_loaded || rct_load || { fail "insmod"; exit $ret; }

objsize() { awk -v n="$1" '$1 == n {print $4}' /proc/slabinfo; }
active() { awk -v n="$1" '$1 == n {print $2}' /proc/slabinfo; }
rct=$(objsize rct_conn)
nf=$(objsize nf_conntrack)
log "object size: rct_conn $rct bytes, nf_conntrack $nf bytes"
if [ -n "$rct" ] && [ -n "$nf" ] && [ $((rct * 100)) -le $((nf * 75)) ]; then
	pass "rct entry $rct B <= 0.75 x nf's $nf B ($((rct * 100 / nf))%)"
else
	fail "rct entry '$rct' B vs nf '$nf' B"
fi

setup_ns a b || skip "cannot create namespaces"
veth_pair "$a" "$b" || { fail "veth setup"; exit $ret; }
in_ns "$a" sysctl -qw net.rct.udp_timeout=300  # outlives the sends on a slow kernel
before=$(active rct_conn)
in_ns "$a" python3 "$TRAFFIC" udp-flows 192.0.2.1 192.0.2.2 9 10000 1000
grown=$(active rct_conn)
# Each flow has an entry in A and one in B.
[ $((grown - before)) -ge 2000 ] && pass "1000 flows: $((grown - before)) more rct_conn objects in use" ||
	fail "rct_conn grew by $((grown - before)) for 1000 flows in two namespaces"
teardown_no_leak
exit $ret
