#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A minimal NFQUEUE verdict program for rct's selftests (raw nfnetlink,
no libnetfilter_queue).

  nfq.py QUEUE N DROP_EVERY   binds queue QUEUE, prints "ready", then gives
                              a verdict to N packets: every DROP_EVERY-th
                              (1-based; 0 = none) is dropped, the others
                              accepted. Prints "accepted A dropped D".

The verdict is given from this process, so the packet goes on through the
remaining hooks on the CPU this process runs on (pin it with taskset):
that is how a packet changes CPUs between rct's conntrack hook and its
confirm hook.
"""
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
MSG_PACKET, MSG_VERDICT, MSG_CONFIG = 0, 1, 2
F_REQUEST, F_ACK = 0x1, 0x4
NLMSG_ERROR = 2
CFG_CMD, CFG_PARAMS = 1, 2
CMD_BIND = 1
COPY_META = 1
PACKET_HDR, VERDICT_HDR = 1, 2
NF_DROP, NF_ACCEPT = 0, 1


def attr(t, payload):
    b = struct.pack("=HH", 4 + len(payload), t) + payload
    return b + b"\0" * (-len(b) % 4)


def message(msg, queue, seq, flags, attrs):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg, flags, seq, 0) + body


def request(sock, msg, queue, seq, attrs):
    """Sends a config request and checks its ack."""
    sock.send(message(msg, queue, seq, F_REQUEST | F_ACK, attrs))
    data = sock.recv(65536)
    _, typ, _, _, _ = struct.unpack_from("=IHHII", data)
    if typ != NLMSG_ERROR:
        raise OSError(f"unexpected answer type {typ}")
    (err,) = struct.unpack_from("=i", data, 16)
    if err:
        raise OSError(-err, f"nfqueue config: errno {-err}")


def packet_id(data, off, length):
    """The packet id in NFQA_PACKET_HDR of the message at data[off:off+length]."""
    pos = off + 16 + 4
    while pos + 4 <= off + length:
        alen, atype = struct.unpack_from("=HH", data, pos)
        if alen < 4:
            break
        if atype & 0x3FFF == PACKET_HDR:
            return struct.unpack_from("!I", data, pos + 4)[0]
        pos += (alen + 3) & ~3
    return None


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    queue, n, drop_every = int(argv[1]), int(argv[2]), int(argv[3])
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind((0, 0))
    request(sock, MSG_CONFIG, queue, 1, attr(CFG_CMD, struct.pack("=BBH", CMD_BIND, 0, 0)))
    request(sock, MSG_CONFIG, queue, 2, attr(CFG_PARAMS, struct.pack("!IB", 0, COPY_META)))
    print("ready", flush=True)
    seen = accepted = dropped = 0
    seq = 3
    while seen < n:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data) and seen < n:
            length, typ, _, _, _ = struct.unpack_from("=IHHII", data, off)
            if length < 16:
                break
            if typ == (NFNL_SUBSYS_QUEUE << 8) | MSG_PACKET:
                pid = packet_id(data, off, length)
                if pid is not None:
                    seen += 1
                    drop = drop_every > 0 and seen % drop_every == 0
                    verdict = NF_DROP if drop else NF_ACCEPT
                    hdr = attr(VERDICT_HDR, struct.pack("!II", verdict, pid))
                    sock.send(message(MSG_VERDICT, queue, seq, F_REQUEST, hdr))
                    seq += 1
                    dropped += drop
                    accepted += not drop
            off += (length + 3) & ~3
    print(f"accepted {accepted} dropped {dropped}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
