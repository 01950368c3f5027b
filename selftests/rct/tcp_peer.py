#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP peers for rct's selftests: real connections left in chosen states.

  tcp_peer.py server ADDR PORT
      Accepts connections. Each client first sends one line: "keep" (answer
      "ok", keep the socket open, even after the client's FIN) or "srvclose"
      (answer "ok", then close first). Prints "ready" once listening.
  tcp_peer.py client SRC DST PORT CLOSEDPORT
      Opens the scenario's connections from source ports 40001-40006 (see
      tcp_diff.sh), prints "done" and keeps its sockets until stdin closes.
"""
import socket
import struct
import sys
import threading
import time


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


def client(src, dst, port, closed):
    keep = []
    # 40001: open, data both ways, stays ESTABLISHED.
    keep.append(conn(src, 40001, dst, port, b"keep\n"))
    # 40002: the server closes first, then the client: TIME_WAIT.
    s = conn(src, 40002, dst, port, b"srvclose\n")
    s.recv(100)
    s.close()
    # 40003: the client half-closes, the server keeps its side open: CLOSE_WAIT.
    s = conn(src, 40003, dst, port, b"keep\n")
    s.shutdown(socket.SHUT_WR)
    keep.append(s)
    # 40004: the client aborts with RST: CLOSE.
    s = conn(src, 40004, dst, port, b"keep\n")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    # 40005: nobody listens: the RST answering the SYN leaves no entry.
    try:
        conn(src, 40005, dst, closed, None)
    except ConnectionRefusedError:
        pass
    # 40006: like 40002, and left in TIME_WAIT.
    s = conn(src, 40006, dst, port, b"srvclose\n")
    s.recv(100)
    s.close()
    time.sleep(0.5)
    # Reuse 40002's ports while that entry is in TIME_WAIT: reopened.
    keep.append(conn(src, 40002, dst, port, b"keep\n"))
    print("done", flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(*sys.argv[2:4])
    else:
        sys.exit(client(*sys.argv[2:6]))
