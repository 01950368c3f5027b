#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest (see scripts/run.sh): shows rct working. Loads rct.ko,
# sends a little traffic between two namespaces over veth, prints the table,
# the statistics and net.rct.max, and unloads it.
set -u
: "${RCT_KO:?}"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
sysctl -qw kernel.printk="4 4 1 7"
# shellcheck source=/dev/null
. "$RCT_ROOT/scripts/guest/modules.sh"

run() {
	echo "# $*"
	"$@"
}

run insmod "$RCT_KO"
ip netns add demo-a
ip netns add demo-b
ip -n demo-a link set lo up
ip -n demo-b link set lo up
run ip -n demo-a link add veth0 type veth peer name veth0 netns demo-b
run ip -n demo-a addr add 192.0.2.1/24 dev veth0
run ip -n demo-b addr add 192.0.2.2/24 dev veth0
run ip -n demo-a -6 addr add 2001:db8::1/64 dev veth0 nodad
run ip -n demo-b -6 addr add 2001:db8::2/64 dev veth0 nodad
ip -n demo-a link set veth0 up
ip -n demo-b link set veth0 up
run ip netns exec demo-a ping -c 3 -i 0.2 192.0.2.2
run ip netns exec demo-a ping -6 -c 3 -i 0.2 2001:db8::2
# A UDP exchange and a TCP connection (kept open), with a Python peer in demo-b.
T="$RCT_ROOT/selftests/rct/traffic.py"
ip netns exec demo-b python3 "$T" udp-echo 192.0.2.2 53 1 >/dev/null &
sleep 1
run ip netns exec demo-a python3 "$T" udp 192.0.2.1 5353 192.0.2.2 53 1 --reply
ip netns exec demo-b python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 80)); s.listen(1); c, _ = s.accept(); c.sendall(c.recv(100)); time.sleep(5)' &
sleep 1
run ip netns exec demo-a python3 -c 'import socket
s=socket.create_connection(("192.0.2.2", 80)); s.sendall(b"hi"); print(s.recv(100))' 
run ip netns exec demo-b cat /proc/net/rct_conntrack
run ip netns exec demo-b cat /proc/net/stat/rct_conntrack
run sysctl net.rct.max
run ip netns exec demo-b sysctl net.rct.max
run rmmod rct
run ls /proc/net/stat
dmesg | grep -E 'rct' | sed 's/^/# dmesg: /'
