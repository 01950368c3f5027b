#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Malformed packets for malformed.sh, built with scapy and injected at layer 2.

  malformed.py SENDER_NS DEV
      Runs in the receiver's network namespace (B). Sends from SENDER_NS (A)
      through an AF_PACKET socket on DEV (the veth pair's device, so named at
      both ends): B sees exactly the bytes built here, where a raw IP socket
      would let A's own stack refuse or fix some of them. Prints "ready",
      then reads case names on stdin, one a line. For each it sends the
      case's frames, then pings 192.0.2.2 and waits for the answer (B has
      processed the frames), and reports what changed in B:
          sent NAME pre=N iperr=N invalid=N icmp_error=N nf_invalid=N nf_icmp_error=N
          rct LINE      (each new rct entry)
          nf LINE       (each new nf_conntrack entry)
          done
      pre: packets rct's PRE_ROUTING hook saw (the ping not counted); iperr:
      packets B's IPv4/IPv6 layer dropped for their header; invalid,
      icmp_error: rct's counters, nf_*: nf_conntrack's. Entries are written
      with the timeout as "T" and no use count. On trouble the first line is
      "unknown NAME" or "nobarrier NAME".
  malformed.py list
      Prints the case names.

The sender is 192.0.2.1 / 2001:db8::1, the receiver 192.0.2.2 / 2001:db8::2
(lib.sh's veth_pair). The process stays on one CPU, so its frames and the
ping are received, in order, from that CPU's backlog.
"""
import ctypes
import os
import re
import socket
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_NOP
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoRequest, IPv6,
                                IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop)
from scapy.packet import Raw

A4, B4 = "192.0.2.1", "192.0.2.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
BARRIER_ID = 0x7777


def ip4(**kw):
    kw.setdefault("dst", B4)
    return IP(src=A4, **kw)


def ip6(**kw):
    kw.setdefault("dst", B6)
    return IPv6(src=A6, **kw)


def cut(pkt, n):
    """PKT (IPv4 or IPv6 without extension headers) with its layer-4 bytes
    cut to N; the IP header's length and checksum describe the cut packet."""
    raw = bytes(pkt)
    if raw[0] >> 4 == 4:
        return ip4(proto=raw[9]) / Raw(raw[20:20 + n])
    return ip6(nh=raw[6]) / Raw(raw[40:40 + n])


def l4_bytes(pkt):
    """The layer-4 bytes of PKT (checksum over its own IP header)."""
    raw = bytes(pkt)
    return raw[(raw[0] & 15) * 4:] if raw[0] >> 4 == 4 else raw[40:]


def frags4(ident, l4, proto, first=True, rest=True):
    """IPv4 fragments of a datagram whose layer-4 bytes are L4: the first
    24 bytes, then the rest at offset 24."""
    out = []
    if first:
        out.append(ip4(id=ident, flags="MF", frag=0, proto=proto) / Raw(l4[:24]))
    if rest:
        out.append(ip4(id=ident, frag=3, proto=proto) / Raw(l4[24:]))
    return out


def frags6(ident, l4, nh, first=True, rest=True):
    """IPv6 fragments, as frags4."""
    out = []
    if first:
        out.append(ip6() / IPv6ExtHdrFragment(nh=nh, offset=0, m=1, id=ident) / Raw(l4[:24]))
    if rest:
        out.append(ip6() / IPv6ExtHdrFragment(nh=nh, offset=3, m=0, id=ident) / Raw(l4[24:]))
    return out


def udp4_dgram(sport, dport):
    return l4_bytes(ip4() / UDP(sport=sport, dport=dport) / Raw(b"f" * 32))


def udp6_dgram(sport, dport):
    return l4_bytes(ip6() / UDP(sport=sport, dport=dport) / Raw(b"f" * 32))


def icmp_err4(quoted, dst=B4, typ=3, code=3):
    """An ICMP error from A quoting QUOTED (bytes)."""
    return ip4(dst=dst) / ICMP(type=typ, code=code) / Raw(quoted)


def icmp_err6(quoted, dst=B6):
    return ip6(dst=dst) / ICMPv6DestUnreach(code=4) / Raw(quoted)


def from_b4(l4):
    """Bytes of a packet B sent to A (what an error from A quotes)."""
    return bytes(IP(src=B4, dst=A4) / l4)


def from_b6(l4):
    return bytes(IPv6(src=B6, dst=A6) / l4)


def destopts(n, last_nh):
    """N destination-options headers (8 bytes, PadN), the last one pointing to LAST_NH."""
    hdrs = b""
    for i in range(n):
        hdrs += bytes([60 if i < n - 1 else last_nh, 0, 1, 4, 0, 0, 0, 0])
    return hdrs


def udp6_behind(ext, first_nh, sport, dport):
    """IPv6 with the extension headers EXT (bytes) before a UDP datagram
    whose checksum is right (the pseudo header does not cover them)."""
    udp = l4_bytes(ip6() / UDP(sport=sport, dport=dport))
    return ip6(nh=first_nh) / Raw(ext + udp)


# Each case: a function returning the packets (scapy or bytes) to send, in order.
CASES = {
    # -- IPv4 headers the receiver's IP layer drops before any hook.
    "v4_short": lambda: [bytes(ip4() / UDP(sport=7500, dport=7500))[:12]],
    "v4_ihl4": lambda: [ip4(ihl=4) / UDP(sport=7501, dport=7501)],
    "v4_ihl_past_end": lambda: [ip4(ihl=15) / UDP(sport=7502, dport=7502)],
    "v4_totlen_short": lambda: [ip4(len=16) / UDP(sport=7503, dport=7503)],
    "v4_totlen_long": lambda: [ip4(len=100) / UDP(sport=7504, dport=7504)],
    "v4_bad_ip_csum": lambda: [ip4(chksum=0) / UDP(sport=7505, dport=7505)],
    # -- IPv4 options: a valid header longer than 20 bytes.
    "v4_options": lambda: [ip4(options=[IPOption_NOP()] * 4) / UDP(sport=7016, dport=7017)],
    # -- TCP.
    "tcp_doff4": lambda: [ip4() / TCP(sport=7110, dport=7111, flags="S", dataofs=4)],
    "tcp_doff_past_end": lambda: [ip4() / TCP(sport=7112, dport=7113, flags="S", dataofs=15)],
    "tcp_trunc12": lambda: [cut(ip4() / TCP(sport=7114, dport=7115, flags="S"), 12)],
    "tcp_trunc2": lambda: [cut(ip4() / TCP(sport=7116, dport=7117, flags="S"), 2)],
    "tcp_all_flags": lambda: [ip4() / TCP(sport=7118, dport=7119, flags=0xff)],
    "tcp_no_flags": lambda: [ip4() / TCP(sport=7120, dport=7121, flags=0)],
    "tcp_syn_fin": lambda: [ip4() / TCP(sport=7122, dport=7123, flags="SF")],
    # A SYN whose options fill the longest header (data offset 15).
    "tcp_syn_options": lambda: [ip4() / TCP(
        sport=7124, dport=7125, flags="S",
        options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""),
                 ("Timestamp", (1, 0))] + [("NOP", None)] * 20)],
    # PSH, ECE and CWR go with any flag combination.
    "tcp_syn_ecn_psh": lambda: [ip4() / TCP(sport=7126, dport=7127, flags="SPEC")],
    # -- UDP.
    "udp_trunc4": lambda: [cut(ip4() / UDP(sport=7010, dport=7011), 4)],
    "udp_len_long": lambda: [ip4() / UDP(sport=7012, dport=7013, len=100) / Raw(b"abcd")],
    "udp_len_short": lambda: [ip4() / UDP(sport=7014, dport=7015, len=4) / Raw(b"abcd")],
    # Length field shorter than the IP payload (trailing bytes): valid.
    "udp_len_inside": lambda: [ip4() / UDP(sport=7018, dport=7019, len=8, chksum=0) / Raw(b"trailing")],
    "udp_empty": lambda: [ip4() / UDP(sport=7001, dport=7002)],
    # -- ICMP.
    "icmp_echo_trunc": lambda: [cut(ip4() / ICMP(type=8, id=0x4101), 4)],
    "icmp_type_unknown": lambda: [ip4() / ICMP(type=42)],
    "icmp_reply_alone": lambda: [ip4() / ICMP(type=0, id=0x4102, seq=1)],
    "icmp_err_inner_short": lambda: [icmp_err4(from_b4(UDP(sport=9001, dport=9002))[:10])],
    "icmp_err_inner_ihl4": lambda: [icmp_err4(bytes(IP(src=B4, dst=A4, ihl=4) / UDP(sport=9001, dport=9002)))],
    "icmp_err_inner_ihl_past": lambda: [icmp_err4(bytes(IP(src=B4, dst=A4, ihl=15) / UDP(sport=9001, dport=9002)))],
    "icmp_err_inner_noports": lambda: [icmp_err4(from_b4(UDP(sport=9001, dport=9002))[:22])],
    "icmp_err_no_flow": lambda: [icmp_err4(from_b4(UDP(sport=9003, dport=9004)))],
    "icmp_err_about_err": lambda: [icmp_err4(
        from_b4(ICMP(type=3, code=1) / Raw(from_b4(UDP(sport=7002, dport=7001))))[:28], typ=11, code=0)],
    # About udp_empty's flow (B:7002 -> A:7001 is its reply direction).
    "icmp_err_related": lambda: [icmp_err4(from_b4(UDP(sport=7002, dport=7001)))],
    "icmp_err_related_ports_only": lambda: [icmp_err4(from_b4(UDP(sport=7002, dport=7001))[:24])],
    "icmp_err_wrong_dst": lambda: [icmp_err4(from_b4(UDP(sport=7002, dport=7001)), dst="192.0.2.3")],
    # -- IPv6 headers the receiver's IP layer drops before any hook.
    "v6_version5": lambda: [ip6(version=5) / UDP(sport=7510, dport=7510)],
    "v6_plen_long": lambda: [ip6(plen=100) / UDP(sport=7511, dport=7511)],
    "v6_hbh_past_end": lambda: [ip6(nh=0) / Raw(bytes([17, 255, 1, 4, 0, 0, 0, 0]) + bytes(8))],
    # Jumbo payload option with a length that fits the 16-bit field.
    "v6_jumbo_small": lambda: [ip6(plen=0, nh=0) / Raw(bytes([17, 0, 0xc2, 4]) + struct.pack("!I", 100) + bytes(8))],
    # -- IPv6 extension headers rct walks.
    "v6_rthdr_past_end": lambda: [ip6(nh=43) / Raw(bytes([17, 255, 0, 0, 0, 0, 0, 0]) + bytes(8))],
    "v6_dstopt_past_end_gen": lambda: [ip6(nh=60) / Raw(bytes([254, 255, 1, 4, 0, 0, 0, 0]) + b"payload!")],
    "v6_chain_long": lambda: [udp6_behind(destopts(40, 17), 60, 7401, 7402)],
    "v6_chain_endless": lambda: [ip6(nh=60) / Raw(destopts(20, 60))],
    "v6_chain_nonext": lambda: [ip6(nh=60) / Raw(destopts(1, 59) + b"payload!")],
    # Payload length 0: without hop-by-hop the receiver trims the packet to
    # its IPv6 header; with one (but no jumbo option) it keeps it whole.
    "v6_plen0": lambda: [ip6(plen=0) / UDP(sport=7410, dport=7411)],
    "v6_plen0_hbh": lambda: [ip6(plen=0) / IPv6ExtHdrHopByHop() / UDP(sport=7412, dport=7413)],
    "v6_udp_empty": lambda: [ip6() / UDP(sport=7420, dport=7421)],
    "v6_tcp_trunc12": lambda: [cut(ip6() / TCP(sport=7422, dport=7423, flags="S"), 12)],
    "v6_icmp_echo_trunc": lambda: [cut(ip6() / ICMPv6EchoRequest(id=0x4103), 4)],
    "v6_icmp_err_inner_short": lambda: [icmp_err6(from_b6(UDP(sport=9005, dport=9006))[:20])],
    "v6_icmp_err_no_flow": lambda: [icmp_err6(from_b6(UDP(sport=9007, dport=9008)))],
    "v6_icmp_err_related": lambda: [icmp_err6(from_b6(UDP(sport=7421, dport=7420)))],
    "v6_icmp_err_wrong_dst": lambda: [icmp_err6(from_b6(UDP(sport=7421, dport=7420)), dst="2001:db8::3")],
    # -- Fragments (each case its own datagram id).
    "v4_frag_first_udp": lambda: frags4(0x1001, udp4_dgram(7201, 7202), 17, rest=False),
    "v4_frag_rest": lambda: frags4(0x1002, udp4_dgram(7203, 7204), 17, first=False),
    "v4_frag_first_tcp": lambda: frags4(0x1006, l4_bytes(
        ip4() / TCP(sport=7209, dport=7210, flags="S") / Raw(b"f" * 32)), 6, rest=False),
    "v4_frag_first_icmp": lambda: frags4(0x1007, l4_bytes(
        ip4() / ICMP(type=8, id=0x4104) / Raw(b"f" * 32)), 1, rest=False),
    "v4_frag_first_gen": lambda: frags4(0x1003, b"g" * 48, 253, rest=False),
    "v4_frags_whole": lambda: frags4(0x1004, udp4_dgram(7205, 7206), 17),
    "v4_frag_rest_held": lambda: frags4(0x1005, udp4_dgram(7207, 7208), 17, first=False),
    "v6_frag_first_udp": lambda: frags6(0x2001, udp6_dgram(7301, 7302), 17, rest=False),
    "v6_frag_rest": lambda: frags6(0x2002, udp6_dgram(7303, 7304), 17, first=False),
    "v6_frag_first_gen": lambda: frags6(0x2003, b"g" * 48, 253, rest=False),
    "v6_frags_whole": lambda: frags6(0x2004, udp6_dgram(7305, 7306), 17),
    "v6_frag_rest_held": lambda: frags6(0x2005, udp6_dgram(7307, 7308), 17, first=False),
    # A first fragment that ends with its fragment header: no UDP header.
    "v6_frag_no_l4": lambda: [ip6() / IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=0x2006)],
}


class Barrier:
    """Echo requests to B over the IP stack; their answers mark the point
    where B has processed everything sent before them."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.sock.bind((A4, 0))
        self.sock.settimeout(3)
        self.seq = 0

    def wait(self):
        self.seq += 1
        self.sock.sendto(bytes(ICMP(type=8, id=BARRIER_ID, seq=self.seq)), (B4, 0))
        while True:
            try:
                pkt = self.sock.recv(2048)
            except socket.timeout:
                return False
            icmp = pkt[(pkt[0] & 15) * 4:]
            if icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (BARRIER_ID, self.seq):
                return True


def setns(fd):
    """Moves this (single-threaded) process into the network namespace FD."""
    if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns")


def stat_sums(name):
    """Sums over CPUs of the columns of /proc/net/stat/NAME."""
    with open("/proc/net/stat/" + name) as f:
        cols = f.readline().split()
        sums = dict.fromkeys(cols, 0)
        for line in f:
            for col, val in zip(cols, line.split()):
                sums[col] += int(val, 16)
    return sums


def ip_header_drops():
    """Packets this namespace's IPv4 and IPv6 layers dropped for their header
    (InHdrErrors, InTruncatedPkts)."""
    bad = ("InHdrErrors", "InTruncatedPkts", "Ip6InHdrErrors", "Ip6InTruncatedPkts")
    total = 0
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        with open(path) as f:
            lines = f.read().splitlines()
        # "Ip: name..." then "Ip: value...", likewise "IpExt:".
        for names, values in zip(lines[::2], lines[1::2]):
            if names.split()[0] in ("Ip:", "IpExt:"):
                total += sum(int(v) for n, v in zip(names.split(), values.split()) if n in bad)
    with open("/proc/net/snmp6") as f:
        total += sum(int(l.split()[1]) for l in f if l.split()[0] in bad)
    return total


def table(name):
    """/proc/net/NAME's entries with the timeout written "T", without use
    count, without the barrier's entry."""
    lines = []
    with open("/proc/net/" + name) as f:
        for line in f:
            fields = line.split()
            if "id=%d" % BARRIER_ID in fields:
                continue
            fields[4] = "T"
            if fields[-1].startswith("use="):
                fields.pop()
            lines.append(" ".join(fields))
    return lines


def key(line):
    """An entry's tuples and flags: the line without counters."""
    return re.sub(r" packets=\d+ bytes=\d+", "", line)


class Snapshot:
    """The counters and entries of this namespace (B) a case may change."""

    def __init__(self):
        rct, nf = stat_sums("rct_conntrack"), stat_sums("nf_conntrack")
        self.counts = {
            "pre": rct["prerouting"], "iperr": ip_header_drops(),
            "invalid": rct["invalid"], "icmp_error": rct["icmp_error"],
            "nf_invalid": nf["invalid"], "nf_icmp_error": nf["icmp_error"],
        }
        self.rct, self.nf = table("rct_conntrack"), table("nf_conntrack")

    def report(self, old):
        """How this snapshot differs from OLD: count changes, new entries."""
        delta = {k: v - old.counts[k] for k, v in self.counts.items()}
        new = []
        for tag, now, before in (("rct", self.rct, old.rct), ("nf", self.nf, old.nf)):
            seen = {key(l) for l in before}
            new += ["%s %s" % (tag, l) for l in now if key(l) not in seen]
        return delta, new


def serve(sender_ns, dev):
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    with open("/sys/class/net/%s/address" % dev) as f:
        dst = bytes.fromhex(f.read().strip().replace(":", ""))
    # Sockets belong to the namespace they are created in.
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    sender = os.open("/run/netns/" + sender_ns, os.O_RDONLY)
    setns(sender)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((dev, 0))
    src = tx.getsockname()[4]
    barrier = Barrier()
    setns(home)
    os.close(home)
    os.close(sender)
    last = Snapshot()
    print("ready", flush=True)
    for line in sys.stdin:
        name = line.strip()
        if name not in CASES:
            print("unknown %s\ndone" % name, flush=True)
            continue
        for pkt in CASES[name]():
            raw = bytes(pkt)
            ethertype = 0x0800 if raw[0] >> 4 == 4 else 0x86DD
            tx.send(dst + src + struct.pack("!H", ethertype) + raw)
        if not barrier.wait():
            print("nobarrier %s\ndone" % name, flush=True)
            continue
        now = Snapshot()
        delta, new = now.report(last)
        last = now
        delta["pre"] -= 1  # the barrier's echo request
        counts = " ".join("%s=%d" % kv for kv in delta.items())
        print("\n".join(["sent %s %s" % (name, counts)] + new + ["done"]), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["list"]:
        print("\n".join(CASES))
        sys.exit(0)
    sys.exit(serve(*sys.argv[1:3]))
