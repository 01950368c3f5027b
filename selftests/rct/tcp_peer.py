#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP peers for rct's selftests: real connections left in chosen states.

  tcp_peer.py server ADDR PORT
      Accepts connections. Each client first sends one line: "keep" (answer
      "ok", keep the socket open, even after the client's FIN), "srvclose"
      (answer "ok", then close first), "eofclose" (answer "ok", close
      after the client's FIN) or "simclose T" (close at time T, as the
      client does). Prints "ready" once listening.
  tcp_peer.py client SRC DST PORT CLOSEDPORT
      Opens the scenario's connections from source ports 40001-40008 (see
      tcp_diff.sh); at each checkpoint prints "step WHAT" and waits for a
      line on stdin; finally prints "done" and keeps its sockets until
      stdin closes.
  tcp_peer.py flood SRC DST PORT FLOODPORT N
      Opens 5 connections to DST:PORT, sends N raw SYNs to DST:FLOODPORT,
      prints "flooded"; after a line on stdin, writes on the 5 connections
      and prints "alive K".
  tcp_peer.py craft SRC DST PORT DEV
      Opens SRC:40100 -> DST:PORT, then injects out-of-window data and an
      out-of-window RST on it (raw sockets), prints "done", waits for EOF.
"""
import socket
import struct
import sys
import threading
import time

from traffic import checksum



def close_at(s, deadline):
    """Half-closes S at DEADLINE (busy-waiting, for a simultaneous close),
    reads until the peer closes too, then closes S."""
    while time.time() < deadline:
        pass
    s.shutdown(socket.SHUT_WR)
    while s.recv(100):
        pass
    s.close()

def serve(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(16)
    print("ready", flush=True)
    keep = []

    def handle(c):
        try:
            line = c.recv(100)
            c.sendall(b"ok")
            if line.startswith(b"srvclose"):
                c.close()
                return
            if line.startswith(b"simclose"):
                # Close at the deadline the client chose, as it does.
                close_at(c, float(line.split()[1]))
                return
            if line.startswith(b"eofclose"):
                while c.recv(100):
                    pass
                c.close()
                return
            keep.append(c)
            while c.recv(100):
                pass
        except OSError:
            # A client reset (the RST scenario) ends its connection.
            pass

    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def conn(src, sport, dst, port, msg):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.connect((dst, int(port)))
    if msg:
        s.sendall(msg)
        s.recv(100)
    return s


def step(name):
    """Checkpoint: report NAME and wait until the test has compared tables."""
    print("step " + name, flush=True)
    sys.stdin.readline()


def client(src, dst, port, closed):
    keep = []
    # 40001: open, data both ways, stays ESTABLISHED.
    keep.append(conn(src, 40001, dst, port, b"keep\n"))
    step("40001 established")
    # 40002: the server closes first, then the client: TIME_WAIT.
    s = conn(src, 40002, dst, port, b"srvclose\n")
    step("40002 open")
    s.recv(100)
    step("40002 server closed")
    s.close()
    step("40002 closed")
    # 40003: the client half-closes, the server keeps its side open: CLOSE_WAIT.
    s = conn(src, 40003, dst, port, b"keep\n")
    s.shutdown(socket.SHUT_WR)
    keep.append(s)
    step("40003 half-closed")
    # 40004: the client aborts with RST: CLOSE.
    s = conn(src, 40004, dst, port, b"keep\n")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    step("40004 reset")
    # 40005: nobody listens: the RST answering the SYN leaves no entry.
    try:
        conn(src, 40005, dst, closed, None)
    except ConnectionRefusedError:
        pass
    step("40005 refused")
    # 40007: the client closes first, the server follows: TIME_WAIT.
    s = conn(src, 40007, dst, port, b"eofclose\n")
    s.close()
    step("40007 closed")
    # 40008: both sides close at the same moment (simultaneous close).
    deadline = time.time() + 0.5
    close_at(conn(src, 40008, dst, port, b"simclose %f\n" % deadline), deadline)
    step("40008 closed")
    # 40006: like 40002, and left in TIME_WAIT.
    s = conn(src, 40006, dst, port, b"srvclose\n")
    s.recv(100)
    s.close()
    step("40006 closed")
    # Reuse 40002's ports while that entry is in TIME_WAIT: reopened.
    keep.append(conn(src, 40002, dst, port, b"keep\n"))
    print("done", flush=True)
    sys.stdin.read()
    return 0


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """An IPv4 TCP segment with a correct checksum."""
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 502, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(
        "!BBH", 0, socket.IPPROTO_TCP, len(hdr) + len(payload))
    csum = checksum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:] + payload


def craft(src, dst, port, dev):
    """Opens SRC:40100 -> DST:PORT, learns its sequence numbers from a packet
    socket, then sends out-of-window data (3 segments) and an out-of-window
    RST on that connection. IPv4 only."""
    # ETH_P_ALL: only "all" taps see outgoing packets.
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sniff.bind((dev, 0))
    sniff.settimeout(0.5)
    s = conn(src, 40100, dst, port, b"keep\n")
    time.sleep(0.3)
    seq = ack = None
    while True:
        try:
            frame = sniff.recv(2048)
        except socket.timeout:
            break
        if frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != socket.IPPROTO_TCP or ip[12:16] != socket.inet_aton(src):
            continue
        th = ip[ihl:]
        sp, dp, sq, ak = struct.unpack("!HHII", th[:12])
        if sp != 40100:
            continue
        doff = (th[12] >> 4) * 4
        plen = struct.unpack("!H", ip[2:4])[0] - ihl - doff
        syn = 1 if th[13] & 0x02 else 0
        seq, ack = (sq + plen + syn) & 0xFFFFFFFF, ak
    if seq is None:
        print("no packets sniffed", flush=True)
        return 1
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    raw.bind((src, 0))
    for i in range(3):
        raw.sendto(tcp_segment(src, dst, 40100, int(port), seq + (1 << 31) + i * 100, ack,
                               0x18, b"0123456789"), (dst, 0))
    raw.sendto(tcp_segment(src, dst, 40100, int(port), seq + (1 << 30), 0, 0x04), (dst, 0))
    time.sleep(0.3)
    print("done", flush=True)
    sys.stdin.read()
    s.close()
    return 0


def flood(src, dst, port, floodport, n):
    """Opens 5 connections SRC:40200.. -> DST:PORT, floods DST:FLOODPORT with
    N raw SYNs from other source ports, then checks the 5 still carry data."""
    keep = [conn(src, 40200 + i, dst, port, b"keep\n") for i in range(5)]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    raw.bind((src, 0))
    for i in range(int(n)):
        try:
            raw.sendto(tcp_segment(src, dst, 20000 + i, int(floodport), 1000 * i, 0, 0x02), (dst, 0))
        except PermissionError:
            # Dropped by a netfilter hook on the way out (a full table).
            pass
    print("flooded", flush=True)
    sys.stdin.readline()
    ok = 0
    for s in keep:
        s.settimeout(3)
        try:
            s.sendall(b"still there?")
            ok += 1
        except OSError:
            pass
    print("alive %d" % ok, flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(*sys.argv[2:4])
    elif sys.argv[1] == "flood":
        sys.exit(flood(*sys.argv[2:7]))
    elif sys.argv[1] == "craft":
        sys.exit(craft(*sys.argv[2:6]))
    else:
        sys.exit(client(*sys.argv[2:6]))
