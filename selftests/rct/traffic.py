#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Small in-process traffic generator for rct's selftests.

  traffic.py udp-echo ADDR PORT N        answer N datagrams, then exit
  traffic.py udp SRC SPORT DST DPORT N [--reply] [--timeout S]
                                          send N datagrams from SRC:SPORT;
                                          with --reply, wait for an answer to each
  traffic.py raw PROTO SRC DST N          send N IP packets of protocol PROTO
  traffic.py udp-flows SRC DST DPORT FIRST N
                                          one datagram from each of N source ports
                                          starting at FIRST (new flows, no reply)
  traffic.py icmp-error SRC DST          an ICMP port unreachable about a UDP
                                          flow that does not exist
  traffic.py udp-badsum SRC DST SPORT DPORT
                                          one UDP datagram with a wrong checksum
  traffic.py udp-race SRC DST DPORT FIRST N
                                          for each of N source ports, two processes
                                          on different CPUs send the flow's first
                                          two datagrams at the same moment
Exit status 0 on success, 1 if an expected reply did not come.
"""
import socket
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp_echo(addr, port, n):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    print("ready", flush=True)
    for _ in range(int(n)):
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)
    return 0


def udp(src, sport, dst, dport, n, reply=False, timeout=3.0):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, int(sport)))
    s.settimeout(timeout)
    for i in range(int(n)):
        s.sendto(b"rct-selftest-%d" % i, (dst, int(dport)))
        if reply:
            try:
                s.recvfrom(2048)
            except socket.timeout:
                return 1
    return 0


def raw(proto, src, dst, n):
    s = socket.socket(family(dst), socket.SOCK_RAW, int(proto))
    s.bind((src, 0))
    for _ in range(int(n)):
        s.sendto(b"rct-raw-payload", (dst, 0))
    return 0


def udp_flows(src, dst, dport, first, n):
    fam = family(dst)
    for port in range(int(first), int(first) + int(n)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, port))
        try:
            s.sendto(b"x", (dst, int(dport)))
        except PermissionError:
            # Dropped by a netfilter hook (e.g. a full table): keep going.
            pass
        s.close()
    return 0


def checksum(data):
    """The Internet checksum (RFC 1071) of DATA."""
    import struct

    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp_error(src, dst):
    """Sends an ICMP port unreachable quoting a UDP packet DST:9999 ->
    SRC:9999 that was never sent (no flow to attribute it to)."""
    import struct

    inner_ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0,
                           socket.inet_aton(dst), socket.inet_aton(src))
    inner_udp = struct.pack("!HHHH", 9999, 9999, 8, 0)
    body = inner_ip + inner_udp
    hdr = struct.pack("!BBHI", 3, 3, 0, 0)
    msg = struct.pack("!BBHI", 3, 3, checksum(hdr + body), 0) + body
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((src, 0))
    s.sendto(msg, (dst, 0))
    return 0


def udp_badsum(src, dst, sport, dport):
    """One IPv4 UDP datagram with a wrong (non-zero) checksum."""
    import struct
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.bind((src, 0))
    payload = b"bad checksum"
    s.sendto(struct.pack("!HHHH", int(sport), int(dport), 8 + len(payload), 0x1234) + payload,
             (dst, 0))
    return 0


def udp_race(src, dst, dport, first, n):
    """Two processes (no GIL between them), pinned to different CPUs, share
    each flow's socket and send when a common deadline passes."""
    import os
    import time

    fam = family(dst)
    cpus = sorted(os.sched_getaffinity(0))[:2]
    if len(cpus) < 2:
        print("need two CPUs", file=sys.stderr)
        return 4
    socks = []
    for port in range(int(first), int(first) + int(n)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, port))
        socks.append(s)
    start = time.monotonic() + 0.5
    pids = []
    for cpu in cpus:
        pid = os.fork()
        if pid == 0:
            os.sched_setaffinity(0, {cpu})
            for i, s in enumerate(socks):
                deadline = start + i * 0.02
                while time.monotonic() < deadline:
                    pass
                s.sendto(b"race", (dst, int(dport)))
            os._exit(0)
        pids.append(pid)
    status = 0
    for pid in pids:
        _, st = os.waitpid(pid, 0)
        status |= st
    return 1 if status else 0


def main(argv):
    cmd, rest = argv[1], argv[2:]
    reply, timeout, args = False, 3.0, []
    while rest:
        a = rest.pop(0)
        if a == "--reply":
            reply = True
        elif a == "--timeout":
            timeout = float(rest.pop(0))
        else:
            args.append(a)
    if cmd == "udp-echo":
        return udp_echo(*args)
    if cmd == "udp":
        return udp(*args, reply=reply, timeout=timeout)
    if cmd == "raw":
        return raw(*args)
    if cmd == "udp-flows":
        return udp_flows(*args)
    if cmd == "udp-race":
        return udp_race(*args)
    if cmd == "icmp-error":
        return icmp_error(*args)
    if cmd == "udp-badsum":
        return udp_badsum(*args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
