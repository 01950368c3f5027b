#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the seed corpus of rct's fuzz targets into fuzz/corpus/<target>/.

parse: real IPv4/IPv6 packets from the network header on (TCP, UDP,
UDP-Lite, ICMP, ICMPv6, generic protocols; ICMP errors quoting packets;
IP options, extension headers, fragments; truncated and malformed ones),
with correct checksums so they also read well in a packet dissector.

tcp: TCP conversations in the record layout of fuzz_targets/tcp.rs
(handshakes, data, closes, resets, reopening, window scaling, SACK,
pickup, retransmissions, sequence wrap, expiry).

track: UDP/ICMP/generic flows in the layout of fuzz_targets/track.rs.

Run it from anywhere; it replaces the seeds it owns (files whose names it
writes) and leaves other files alone, such as regression inputs added by
hand. Only the Python standard library is needed.
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(data):
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


A4, B4 = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
R4 = bytes([198, 51, 100, 1])  # A router sending ICMP errors.
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db8000000000000000000000002")
R6 = bytes.fromhex("20010db8000000000000000000000fe1")


def ipv4(proto, payload, src=A4, dst=B4, ihl=5, frag=0x4000, options=b"", l4sum=None):
    """An IPv4 packet; `l4sum` is the offset of the L4 checksum to fill."""
    if l4sum is not None:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(payload))
        payload = bytearray(payload)
        payload[l4sum : l4sum + 2] = b"\0\0"
        payload[l4sum : l4sum + 2] = struct.pack("!H", csum(pseudo + bytes(payload)))
        payload = bytes(payload)
    total = ihl * 4 + len(payload)
    h = bytearray(
        struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, frag, 64, proto, 0, src, dst)
    )
    h += options
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h) + payload


def ipv6(next_hdr, payload, src=A6, dst=B6, exts=b"", l4proto=None, l4sum=None):
    """An IPv6 packet; extension headers `exts` precede `payload`."""
    if l4sum is not None:
        pseudo = src + dst + struct.pack("!I3xB", len(payload), l4proto)
        payload = bytearray(payload)
        payload[l4sum : l4sum + 2] = b"\0\0"
        payload[l4sum : l4sum + 2] = struct.pack("!H", csum(pseudo + bytes(payload)))
        payload = bytes(payload)
    body = exts + payload
    return struct.pack("!IHBB16s16s", 0x60000000, len(body), next_hdr, 64, src, dst) + body


def tcp_hdr(sport, dport, seq, ack, flags, win, options=b"", data=b""):
    while len(options) % 4:
        options += b"\x01"
    doff = (20 + len(options)) // 4
    return (
        struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, win, 0, 0)
        + options
        + data
    )


def udp_hdr(sport, dport, data=b"", length=None):
    n = 8 + len(data) if length is None else length
    return struct.pack("!HHHH", sport, dport, n, 0) + data


def icmp_hdr(ty, code, rest=b"\0\0\0\0", data=b""):
    return struct.pack("!BBH", ty, code, 0) + rest + data


def echo(ty, ident=0x1234, seq=1, data=b"rct-seed"):
    return icmp_hdr(ty, 0, struct.pack("!HH", ident, seq), data)


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
SYN_OPTS = bytes.fromhex("020405b4" "0402" "080a0000000100000000" "01" "030307")


def t4(flags, seq=1000, ack=0, data=b"", options=b"", win=64240, ports=(40000, 80), **kw):
    seg = tcp_hdr(*ports, seq, ack, flags, win, options, data)
    return ipv4(6, seg, l4sum=16, **kw)


def t6(flags, seq=1000, ack=0, data=b"", options=b"", win=64240, exts=b"", nh=6):
    seg = tcp_hdr(40000, 443, seq, ack, flags, win, options, data)
    return ipv6(nh, seg, exts=exts, l4proto=6, l4sum=16)


def u4(data=b"\x12\x34\x01\x00\x00\x01", proto=17, **kw):
    return ipv4(proto, udp_hdr(53000, 53, data), l4sum=6, **kw)


def u6(data=b"rct", exts=b"", nh=17):
    return ipv6(nh, udp_hdr(53000, 53, data), exts=exts, l4proto=17, l4sum=6)


def i4(payload, **kw):
    return ipv4(1, payload, l4sum=2, **kw)


def i6(payload, src=A6, dst=B6, exts=b"", nh=58):
    return ipv6(nh, payload, src=src, dst=dst, exts=exts, l4proto=58, l4sum=2)


def ext(next_hdr, body_len_units=0):
    """Hop-by-hop/destination options header padded with PadN."""
    size = (body_len_units + 1) * 8
    return bytes([next_hdr, body_len_units, 1, size - 4]) + bytes(size - 4)


def routing(next_hdr):
    """A routing header (type 0, one address): 24 bytes."""
    return bytes([next_hdr, 2, 0, 1]) + bytes(4) + A6


def ah(next_hdr):
    """An authentication header with a 12-byte ICV: 24 bytes, length field 4."""
    return bytes([next_hdr, 4, 0, 0]) + struct.pack("!II", 0x100, 1) + bytes(12)


def parse_seeds():
    udp4 = u4()
    tcp4 = t4(SYN, options=SYN_OPTS)
    udp6 = u6()
    tcp6 = t6(SYN, options=SYN_OPTS)
    frag6_first = bytes([17, 0, 0, 1, 0, 0, 0, 7])  # Offset 0, M set.
    frag6_later = bytes([17, 0, 0x05, 0xA8, 0, 0, 0, 7])  # Offset 181.
    s = {
        # IPv4 TCP: a handshake, data, close and reset.
        "v4-tcp-syn-options": tcp4,
        "v4-tcp-synack": t4(
            SYN | ACK, seq=5000, ack=1001, options=SYN_OPTS, ports=(80, 40000), src=B4, dst=A4
        ),
        "v4-tcp-ack-data": t4(ACK | PSH, seq=1001, ack=5001, data=b"GET / HTTP/1.0\r\n\r\n"),
        "v4-tcp-fin": t4(FIN | ACK, seq=1019, ack=5001),
        "v4-tcp-rst": t4(RST, seq=1019),
        "v4-tcp-sack": t4(ACK, seq=1001, ack=5001, options=bytes.fromhex("0101050a0000138900001771")),
        "v4-tcp-bad-flags": t4(SYN | FIN),
        "v4-tcp-doff-past-end": t4(ACK)[:-4],
        "v4-tcp-ports-only": t4(SYN)[:24],
        # IPv4 UDP and UDP-Lite.
        "v4-udp-dns": udp4,
        "v4-udp-length-long": ipv4(17, udp_hdr(1, 2, b"abcd", length=40)),
        "v4-udp-length-short": ipv4(17, udp_hdr(1, 2, b"abcd", length=7)),
        "v4-udplite-full": ipv4(136, udp_hdr(5000, 5001, b"lite", length=0)),
        "v4-udplite-cover8": ipv4(136, udp_hdr(5000, 5001, b"lite", length=8)),
        # IPv4 options and fragments.
        "v4-options-ihl6": ipv4(17, udp_hdr(7, 8, b"x"), ihl=6, options=b"\x94\x04\0\0"),
        "v4-first-fragment": ipv4(17, udp_hdr(7, 8, b"x" * 16), frag=0x2000),
        "v4-later-fragment": ipv4(17, b"y" * 16, frag=0x0003),
        "v4-ihl-past-end": ipv4(17, b"", ihl=15)[:40],
        "v4-truncated-header": udp4[:19],
        # IPv4 generic protocols.
        "v4-gre": ipv4(47, b"\0\0\x08\0" + udp4),
        "v4-sctp": ipv4(132, struct.pack("!HHII", 5000, 5001, 0, 0)),
        "v4-icmpv6-number": ipv4(58, echo(128)),
        # ICMP queries.
        "v4-icmp-echo": i4(echo(8)),
        "v4-icmp-echo-reply": i4(echo(0), src=B4, dst=A4),
        "v4-icmp-timestamp": i4(icmp_hdr(13, 0, struct.pack("!HH", 7, 1), bytes(12))),
        "v4-icmp-router-advert": i4(icmp_hdr(9, 0, b"\1\2\0\x1e", A4 + bytes(4))),
        "v4-icmp-type-too-big": i4(icmp_hdr(19, 0)),
        "v4-icmp-truncated": i4(echo(8))[:25],
        # ICMP errors quoting packets.
        "v4-icmp-port-unreach-udp": i4(icmp_hdr(3, 3, data=udp4[:28]), src=B4, dst=A4),
        "v4-icmp-frag-needed-tcp": i4(icmp_hdr(3, 4, b"\0\0\x05\xdc", tcp4[:28]), src=R4, dst=A4),
        "v4-icmp-ttl-exceeded-echo": i4(icmp_hdr(11, 0, data=i4(echo(8))[:28]), src=R4, dst=A4),
        "v4-icmp-error-quoting-error": i4(
            icmp_hdr(11, 0, data=i4(icmp_hdr(3, 1, data=udp4[:28]))[:56]), src=R4, dst=A4
        ),
        "v4-icmp-error-short-quote": i4(icmp_hdr(3, 3, data=udp4[:22]), src=B4, dst=A4),
        "v4-icmp-redirect-options": i4(
            icmp_hdr(5, 1, R4, ipv4(17, udp_hdr(1, 2), ihl=6, options=b"\1\1\1\0")), src=R4
        ),
        # IPv6 TCP and UDP.
        "v6-tcp-syn-options": tcp6,
        "v6-tcp-synack": ipv6(6, tcp_hdr(443, 40000, 5000, 1001, SYN | ACK, 65160, SYN_OPTS), src=B6, dst=A6),
        "v6-tcp-fin": t6(FIN | ACK, seq=2000, ack=6000),
        "v6-udp": udp6,
        "v6-udplite": ipv6(136, udp_hdr(5000, 5001, b"lite", length=0)),
        "v6-icmpv4-number": ipv6(1, echo(8)),
        "v6-sctp": ipv6(132, struct.pack("!HHII", 5000, 5001, 0, 0)),
        # IPv6 extension headers and fragments.
        "v6-hbh-dst-udp": u6(exts=ext(60) + ext(17, 1), nh=0),
        "v6-routing-udp": u6(exts=routing(17), nh=43),
        "v6-first-fragment-udp": u6(exts=frag6_first, nh=44),
        "v6-later-fragment": ipv6(44, frag6_later + b"z" * 16),
        "v6-ah-tcp": t6(ACK, seq=1, ack=1, exts=ah(6), nh=51),
        "v6-all-ext-udp": u6(exts=ext(43) + routing(51) + ah(44) + frag6_first, nh=0),
        "v6-no-next-header": ipv6(59, b""),
        "v6-ext-past-end": ipv6(0, bytes([17, 200, 0, 0, 0, 0, 0, 0])),
        "v6-ext-chain-33": ipv6(60, b"".join(ext(60) for _ in range(32)) + ext(17) + udp_hdr(1, 2)),
        "v6-truncated-header": udp6[:39],
        # ICMPv6.
        "v6-icmp-echo": i6(echo(128)),
        "v6-icmp-echo-reply": i6(echo(129), src=B6, dst=A6),
        "v6-icmp-node-info": i6(icmp_hdr(139, 0, bytes(4), bytes(12))),
        "v6-icmp-neighbour-solicit": i6(icmp_hdr(135, 0, bytes(4), B6)),
        "v6-icmp-mld2-report": i6(icmp_hdr(143, 0, bytes(4))),
        "v6-icmp-unknown-info": i6(icmp_hdr(200, 0)),
        "v6-icmp-dest-unreach-udp": i6(icmp_hdr(1, 4, data=udp6), src=B6, dst=A6),
        "v6-icmp-too-big-tcp": i6(icmp_hdr(2, 0, b"\0\0\x05\x00", tcp6[:48]), src=R6, dst=A6),
        "v6-icmp-time-exceeded-echo": i6(icmp_hdr(3, 0, data=i6(echo(128))[:48]), src=R6, dst=A6),
        "v6-icmp-error-quoting-ext": i6(
            icmp_hdr(1, 3, data=u6(exts=ext(17), nh=60)[:56]), src=R6, dst=A6
        ),
        "v6-icmp-error-quoting-fragment": i6(
            icmp_hdr(1, 3, data=ipv6(44, frag6_later + b"z" * 8)), src=R6, dst=A6
        ),
        "v6-icmp-after-hbh": i6(echo(128), exts=ext(58), nh=0),
    }
    return s


# tcp target: settings header and segment records (see fuzz_targets/tcp.rs).
LOOSE, LIBERAL, IGNORE_RST, OWN_TIMEOUTS = 1, 2, 4, 8
C, S = 0, 1  # Client and server.
REL_SEQ, REL_ACK, WSCALE, SACK_PERM, SACK = 2, 4, 8, 16, 32


def tcp_header(bits=LOOSE, max_retrans=3, timeouts=None):
    """Settings; the timeouts count only with OWN_TIMEOUTS in `bits`."""
    return struct.pack("!BB11H", bits, max_retrans, *(timeouts or [0] * 11))


def seg(who, flags, seq, ack, win=64240, payload=0, opts=0, wscale=0, sack=0, elapsed=0):
    return struct.pack(
        "!BBHIIHBIIB", who | opts, flags, elapsed, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
        win, wscale, sack & 0xFFFFFFFF, payload, 0,
    )


def handshake(a=1000, b=5000, opts=0, wscale=0):
    return [
        seg(C, SYN, a, 0, opts=opts, wscale=wscale),
        seg(S, SYN | ACK, b, a + 1, 65160, opts=opts, wscale=wscale),
        seg(C, ACK, a + 1, b + 1, 502),
    ]


def tcp_seeds():
    a, b = 1000, 5000
    hs = handshake()
    s = {
        "handshake-data-close-client": hs + [
            seg(C, ACK | PSH, a + 1, b + 1, 502, 100),
            seg(S, ACK | PSH, b + 1, a + 101, 509, 200),
            seg(C, ACK, a + 101, b + 201, 502),
            seg(C, FIN | ACK, a + 101, b + 201, 502),
            seg(S, FIN | ACK, b + 201, a + 102, 509),
            seg(C, ACK, a + 102, b + 202, 502),
        ],
        "close-from-server": hs + [
            seg(S, FIN | ACK, b + 1, a + 1, 509),
            seg(C, ACK, a + 1, b + 2, 502),
            seg(C, FIN | ACK, a + 1, b + 2, 502),
            seg(S, ACK, b + 2, a + 2, 509),
        ],
        "rst-in-window": hs + [seg(S, RST | ACK, b + 1, a + 1, 0)],
        "rst-out-of-window": hs + [seg(S, RST, b - 1000000, 0, 0), seg(C, ACK, a + 1, b + 1, 502, 10)],
        "rst-answers-syn": [seg(C, SYN, a, 0), seg(S, RST | ACK, 0, a + 1, 0)],
        "simultaneous-open": [
            seg(C, SYN, a, 0),
            seg(S, SYN, b, 0, 65160),
            seg(C, SYN | ACK, a, b + 1),
            seg(S, ACK, b + 1, a + 1, 509),
        ],
        "time-wait-reopen": hs + [
            seg(C, FIN | ACK, a + 1, b + 1, 502),
            seg(S, FIN | ACK, b + 1, a + 2, 509),
            seg(C, ACK, a + 2, b + 2, 502),
            seg(C, SYN, a + 100000, 0, elapsed=5),
            seg(S, SYN | ACK, b + 77777, a + 100001, 65160),
        ],
        "window-scaling": handshake(opts=WSCALE, wscale=7) + [
            seg(S, ACK, b + 1, a + 1, 509),
            seg(C, ACK, a + 1, b + 1, 502, 60000),
            seg(S, ACK, b + 1, a + 60001, 509),
        ],
        "window-scale-one-side": [
            seg(C, SYN, a, 0, opts=WSCALE, wscale=14),
            seg(S, SYN | ACK, b, a + 1, 65160),
            seg(C, ACK, a + 1, b + 1, 502, 60000),
        ],
        "sack": handshake(opts=SACK_PERM) + [
            seg(C, ACK, a + 1, b + 1, 502, 3000),
            seg(S, ACK, b + 1, a + 1, 509, opts=SACK, sack=3000),
            seg(S, ACK, b + 1, a + 1, 509, opts=SACK, sack=90000),
        ],
        "pickup-mid-stream": [
            seg(C, ACK, 77, 99, 500, 10),
            seg(S, ACK, 99, 87, 500, 20),
            seg(C, ACK | PSH, 87, 119, 500, 30),
        ],
        "retransmissions": hs + [seg(C, ACK | PSH, a + 1, b + 1, 502, 100, elapsed=1)] * 5,
        "syn-retransmitted": [seg(C, SYN, a, 0, elapsed=i) for i in (0, 1, 3)] + hs[1:],
        "zero-window": hs + [seg(S, ACK, b + 1, a + 1, 0), seg(C, ACK, a + 1, b + 1, 502, 1)],
        "sequence-wrap": handshake(a=0xFFFFFFF5) + [
            seg(C, ACK, 0xFFFFFFF6, b + 1, 502, 100),
            seg(S, ACK, b + 1, 0xFFFFFFF6 + 100, 509),
        ],
        "ignored-syn-resync": hs + [
            seg(C, SYN, 90000, 0, elapsed=2),
            seg(S, SYN | ACK, 7000, 90001, 65160),
        ],
        "challenge-ack-last-ack": hs + [
            seg(C, FIN | ACK, a + 1, b + 1, 502),
            seg(S, FIN | ACK, b + 1, a + 2, 509),
            seg(C, SYN, a + 5000, 0),
            seg(S, ACK, b + 2, a + 2, 509),
            seg(C, ACK, a + 2, b + 2, 502),
        ],
        "relative-numbers": [
            seg(C, SYN, a, 0),
            seg(S | REL_ACK, SYN | ACK, b, 0, 65160),
            seg(C | REL_SEQ | REL_ACK, ACK, 0, 0, 502, 50),
            seg(S | REL_SEQ | REL_ACK, ACK | PSH, 0, 0, 509, 70),
            seg(C | REL_SEQ | REL_ACK, FIN | ACK, 0, 0, 502),
        ],
    }
    out = {"t-" + k: tcp_header() + b"".join(v) for k, v in s.items()}
    out["t-liberal-out-of-window"] = tcp_header(LOOSE | LIBERAL) + b"".join(
        hs + [seg(C, ACK, a + 10000000, b + 1, 502, 100)]
    )
    out["t-strict-no-pickup"] = tcp_header(0) + b"".join(s["pickup-mid-stream"] + hs)
    out["t-ignore-invalid-rst"] = tcp_header(LOOSE | IGNORE_RST) + b"".join(
        hs + [seg(C, ACK, a + 1, b + 1, 502, 10), seg(S, RST, b - 10, 0, 0)]
    )
    # Short timeouts: the entry expires between segments and restarts.
    short = [5, 4, 30, 6, 5, 3, 2, 1, 5, 10, 8]
    out["t-short-timeouts-expiry"] = tcp_header(LOOSE | OWN_TIMEOUTS, 1, short) + b"".join(
        hs + [seg(C, ACK, a + 1, b + 1, 502, 10, elapsed=40), seg(S, SYN, b, 0, elapsed=100)]
    )
    # An assured connection sees a FIN and a RST from both sides out of window.
    out["t-invalid-lowers-timeout"] = tcp_header() + b"".join(
        hs + [
            seg(S, ACK, b + 1, a + 1, 509),
            seg(C, FIN | ACK, a + 9000000, b + 1, 502),
            seg(S, RST | ACK, b + 9000000, a + 1, 0),
        ]
    )
    return out


# track target: header and packet records (see fuzz_targets/track.rs).
HZ = 250
INITIAL_JIFFIES = (-300 * HZ) & 0xFFFFFFFF


def track_header(v6, proto, sport, dport, timeouts=None, start=0):
    bits = (1 if v6 else 0) | (2 if timeouts else 0)
    t = timeouts or [30, 120, 30, 30, 600]
    return struct.pack("!BBHH4s4s5HI4x", bits, proto, sport, dport, bytes([10, 0, 0, 1]),
                       bytes([10, 0, 0, 2]), *t, start)


def pkt(reply, secs=0.0):
    ticks = int(secs * HZ)
    return struct.pack("!BBH", 1 if reply else 0, ticks >> 16, ticks & 0xFFFF)


def track_seeds():
    conv = [pkt(0), pkt(1, 0.1), pkt(0, 1), pkt(1, 2), pkt(0, 1)]
    s = {
        "udp-v4-stream": track_header(False, 17, 53000, 53) + b"".join(conv),
        "udp-v6-stream": track_header(True, 17, 5000, 5001) + b"".join(conv),
        "udplite-v4": track_header(False, 136, 5000, 5001) + b"".join(conv),
        "udp-unreplied": track_header(False, 17, 1, 2) + b"".join([pkt(0), pkt(0, 5), pkt(0, 10)]),
        "udp-expires-restarts-reverse": track_header(False, 17, 1, 2)
        + b"".join([pkt(0), pkt(1, 1), pkt(1, 31), pkt(0, 1), pkt(1, 3)]),
        "udp-across-jiffies-wrap": track_header(False, 17, 1, 2, start=INITIAL_JIFFIES)
        + b"".join([pkt(0), pkt(1, 1)] + [pkt(0, 20)] * 20),
        "icmp-echo": track_header(False, 1, 0x1234, 8 << 8) + b"".join(conv),
        "icmp-echo-reply-first": track_header(False, 1, 0x1234, 0) + b"".join([pkt(0), pkt(1, 1)]),
        "icmp-timestamp": track_header(False, 1, 7, 13 << 8) + b"".join(conv),
        "icmp-unreachable": track_header(False, 1, 0, 3 << 8 | 3) + pkt(0),
        "icmpv6-echo": track_header(True, 58, 0x1234, 128 << 8) + b"".join(conv),
        "icmpv6-node-info": track_header(True, 58, 9, 139 << 8) + b"".join(conv),
        "generic-gre-v4": track_header(False, 47, 0, 0) + b"".join(conv + [pkt(0, 700), pkt(1, 1)]),
        "generic-sctp-v6": track_header(True, 132, 0, 0) + b"".join(conv),
        "icmp-in-v6-is-generic": track_header(True, 1, 0, 0) + b"".join(conv),
        "own-timeouts": track_header(False, 17, 1, 2, timeouts=[1, 3, 2, 2, 4])
        + b"".join([pkt(0), pkt(1, 0.5), pkt(0, 2.5), pkt(1, 2.9), pkt(0, 3.5)]),
    }
    # A UDP stream refreshed for longer than 2^31 ticks (99 days at 250 Hz):
    # still a stream at the end.
    long_lived = [pkt(0), pkt(1, 1), pkt(0, 2)] + [pkt(0, 60000)] * 150
    s["udp-stream-lives-99-days"] = (
        track_header(False, 17, 1, 2, timeouts=[30, 65535, 30, 30, 600]) + b"".join(long_lived)
    )
    # Ticks exactly 2^31 apart: time_after() holds both ways, as in the
    # kernel (found by fuzzing: the target's check was too strict).
    s["time-after-half-range"] = track_header(False, 47, 0, 0, start=0xFFFFFFFF) + b"".join(
        [struct.pack("!BBH", 0, 0xFF, 0xFFFF)] * 128 + [pkt(0, 128 / HZ)]
    )
    return {"r-" + k: v for k, v in s.items()}


def nla(ty, payload, nested=False):
    """A netlink attribute (host byte order header), padded to 4 bytes."""
    b = struct.pack("=HH", 4 + len(payload), ty | (0x8000 if nested else 0)) + payload
    return b + b"\0" * (-len(b) % 4)


def ct_tuple(ty, src, dst, proto, sport, dport):
    """A CTA_TUPLE_ORIG/REPLY nest of an IPv4 or IPv6 flow with ports."""
    v6 = len(src) == 16
    ip = nla(3 if v6 else 1, src) + nla(4 if v6 else 2, dst)
    pr = nla(1, bytes([proto])) + nla(2, struct.pack(">H", sport)) + nla(3, struct.pack(">H", dport))
    return nla(ty, nla(1, ip, True) + nla(2, pr, True), True)


def ctnl_seeds():
    """ctnetlink requests: the family byte, then the attributes."""
    a4, b4 = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
    a6, b6 = bytes.fromhex("20010db8" + "0" * 23 + "1"), bytes.fromhex("20010db8" + "0" * 23 + "2")
    s = {}
    s["get-udp"] = bytes([2]) + ct_tuple(1, a4, b4, 17, 5000, 53)
    s["get-reply-v6"] = bytes([10]) + ct_tuple(2, b6, a6, 6, 80, 40000)
    s["get-id"] = bytes([2]) + ct_tuple(1, a4, b4, 6, 40000, 80) + nla(12, struct.pack(">I", 1234))
    icmp = nla(1, bytes([1])) + nla(4, struct.pack(">H", 7)) + nla(5, bytes([8])) + nla(6, bytes([0]))
    s["get-icmp"] = bytes([2]) + nla(1, nla(1, nla(1, a4) + nla(2, b4), True) + nla(2, icmp, True), True)
    # CTA_FILTER: original destination and protocol (IP_DST | PROTO_NUM).
    s["filter-dst"] = bytes([2]) + ct_tuple(1, bytes(4), b4, 17, 0, 0) + nla(25, nla(1, struct.pack("=I", 0xA)), True)
    s["mark-status"] = (
        bytes([0]) + nla(8, struct.pack(">I", 7)) + nla(21, struct.pack(">I", 0xFF)) + nla(3, struct.pack(">I", 4))
    )
    tcp = nla(1, nla(1, bytes([3])) + nla(4, bytes([1, 1])) + nla(2, bytes([7])) + nla(3, bytes([7])), True)
    s["update"] = (
        bytes([2])
        + ct_tuple(1, a4, b4, 6, 40000, 80)
        + nla(7, struct.pack(">I", 100))
        + nla(4, tcp, True)
        + nla(8, struct.pack(">I", 1))
    )
    return s


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds in {os.path.relpath(d)}", file=sys.stderr)


def main():
    write("parse", parse_seeds())
    write("tcp", tcp_seeds())
    write("track", track_seeds())
    write("ctnl", ctnl_seeds())


if __name__ == "__main__":
    main()
