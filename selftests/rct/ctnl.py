#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ctnetlink requests for rct's selftests and benchmark.

  ctnl.py fuzz SECONDS SEED   random ctnetlink requests (entries and
                              expectations) for SECONDS
  ctnl.py eperm               a flush without CAP_NET_ADMIN (run as an
                              unprivileged user): expects EPERM
  ctnl.py delete-dst ADDR     deletes the entries whose original destination
                              is ADDR with one filtered IPCTNL_MSG_CT_DELETE,
                              as netlink libraries do (kube-proxy after a
                              backend restart); prints "seconds S"

fuzz sends requests of every ctnetlink message type with random flags and
family and random attributes: the known CTA_* types nested as the kernel
expects and not, with payloads of random and wrong lengths, garbage,
truncated headers, bytes left over. Every request asks for an ack; the
answer must be a netlink error message (0 or a negative errno) or dump
records, never silence. Prints "requests N errors {errno: count}" and
exits 1 on a protocol violation (an unexpected message type, a missing
answer).
"""
import errno
import os
import random
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NLMSG_ERROR, NLMSG_DONE = 2, 3
F_REQUEST, F_ACK, F_DUMP, F_EXCL, F_CREATE = 0x1, 0x4, 0x300, 0x200, 0x400
NESTED = 0x8000
SUBSYS = 1
EXP_SUBSYS = 2  # expectations
# Nested attribute types per level (enum ctattr_*), to build plausible trees.
TOP_NESTED = {1, 2, 4, 5, 6, 9, 10, 13, 14, 15, 16, 20, 24, 25}
TOP_MAX = 26


def attr(t, payload):
    b = struct.pack("=HH", 4 + len(payload), t) + payload
    return b + b"\0" * (-len(b) % 4)


def rand_payload(r):
    n = r.choice([0, 1, 2, 3, 4, 5, 8, 16, 17, r.randrange(0, 64)])
    return bytes(r.randrange(256) for _ in range(n))


def rand_attrs(r, depth):
    out = b""
    for _ in range(r.randrange(0, 6)):
        t = r.randrange(0, TOP_MAX + 3)
        if depth < 3 and (t in TOP_NESTED or r.random() < 0.2):
            inner = rand_attrs(r, depth + 1)
            out += attr(t | (NESTED if r.random() < 0.8 else 0), inner)
        else:
            out += attr(t, rand_payload(r))
    roll = r.random()
    if roll < 0.05:
        out += bytes(r.randrange(256) for _ in range(r.randrange(1, 4)))  # leftover
    elif roll < 0.1 and len(out) > 4:
        # A header claiming more than there is.
        out = struct.pack("=HH", len(out) + 40, r.randrange(TOP_MAX)) + out[4:]
    return out


def tuple_attr(r, t):
    fam = r.choice([2, 10])
    n = 4 if fam == 2 else 16
    ip = attr(1 if fam == 2 else 3, os.urandom(n)) + attr(2 if fam == 2 else 4, os.urandom(n))
    proto = r.choice([6, 17, 1, 58, 132, r.randrange(256)])
    p = attr(1, bytes([proto])) + attr(2, os.urandom(2)) + attr(3, os.urandom(2))
    p += attr(4, os.urandom(2)) + attr(5, bytes([r.choice([0, 8, 3, 128])])) + attr(6, b"\0")
    return attr(t | NESTED, attr(1 | NESTED, ip) + attr(2 | NESTED, p))


def request(r, seq):
    subsys = EXP_SUBSYS if r.random() < 0.15 else SUBSYS
    mtype = r.randrange(0, 10 if subsys == SUBSYS else 6)
    flags = F_REQUEST | F_ACK
    roll = r.random()
    if roll < 0.3:
        flags |= F_DUMP
    elif roll < 0.4:
        flags |= F_CREATE
    elif roll < 0.5:
        flags |= F_EXCL
    # Never a bare flush of the whole table too often: it would leave
    # nothing to find.
    fam = r.choice([0, 2, 10, 2, 10, r.randrange(256)])
    body = b""
    if r.random() < 0.5:
        body += tuple_attr(r, r.choice([1, 2]))
    body += rand_attrs(r, 0)
    if mtype == 2 and not body and r.random() < 0.9:
        body = attr(8, struct.pack(">I", r.randrange(2**32)))  # flush by mark
    nfgen = struct.pack("=BBH", fam, r.choice([0, 0, 1]), 0)
    payload = nfgen + body
    if r.random() < 0.03:
        payload = payload[: r.randrange(0, 4)]  # no complete nfgenmsg
    hdr = struct.pack("=IHHII", 16 + len(payload), subsys << 8 | mtype, flags, seq, 0)
    return hdr + payload, flags


def answers(sock, seq, deadline):
    """Reads until the ack (error message) for seq, or the NLMSG_DONE that
    ends a dump; returns the errno (0 = ok), None on silence, or a string
    describing a protocol violation."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        rd, _, _ = select.select([sock], [], [], left)
        if not rd:
            return None
        data = sock.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            ln, ty, fl, sq, pid = struct.unpack_from("=IHHII", data, off)
            if ln < 16:
                return "bad length"
            if sq == seq:
                if ty == NLMSG_ERROR:
                    return -struct.unpack_from("=i", data, off + 16)[0]
                if ty == NLMSG_DONE:
                    return -struct.unpack_from("=i", data, off + 16)[0]
                if ty >> 8 not in (SUBSYS, EXP_SUBSYS):
                    return "unexpected type %#x" % ty
            off += (ln + 3) & ~3


def open_sock():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return s


def fuzz(seconds, seed):
    r = random.Random(seed)
    s = open_sock()
    end = time.monotonic() + seconds
    n, seq, errs, bad = 0, 1, {}, 0
    while time.monotonic() < end:
        seq += 1
        msg, _ = request(r, seq)
        s.send(msg)
        e = answers(s, seq, time.monotonic() + 5)
        n += 1
        if e is None or isinstance(e, str):
            bad += 1
            print("# request %d: %s: %s" % (n, "no answer" if e is None else e, msg.hex()))
            if bad > 3:
                break
            continue
        errs[e] = errs.get(e, 0) + 1
    print("requests %d errors %s" % (n, dict(sorted(errs.items()))))
    return 1 if bad else 0


def eperm():
    s = open_sock()
    # Flush: IPCTNL_MSG_CT_DELETE without attributes.
    msg = struct.pack("=IHHII", 20, SUBSYS << 8 | 2, F_REQUEST | F_ACK, 1, 0) + struct.pack("=BBH", 0, 0, 0)
    s.send(msg)
    e = answers(s, 1, time.monotonic() + 5)
    print("errno", e)
    return 0 if e == errno.EPERM else 1


def delete_dst(addr):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    raw = socket.inet_pton(fam, addr)
    ip = attr(4 if fam == socket.AF_INET6 else 2, raw)
    tup = attr(1 | NESTED, attr(1 | NESTED, ip))
    flt = attr(25 | NESTED, attr(1, struct.pack("=I", 1 << 1)))  # CTA_FILTER_F_CTA_IP_DST
    body = struct.pack("=BBH", fam, 0, 0) + tup + flt
    s = open_sock()
    msg = struct.pack("=IHHII", 16 + len(body), SUBSYS << 8 | 2, F_REQUEST | F_ACK, 1, 0) + body
    t = time.monotonic()
    s.send(msg)
    e = answers(s, 1, t + 600)
    print("seconds %.4f errno %s" % (time.monotonic() - t, e))
    return 0 if e == 0 else 1


def main(argv):
    if argv[1] == "delete-dst":
        return delete_dst(argv[2])
    if argv[1] == "fuzz":
        return fuzz(float(argv[2]), int(argv[3]))
    if argv[1] == "eperm":
        return eperm()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
