#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/system/dns_stream.py - a steady stream of DNS queries, counted.

dns_stream.py SERVER PORT COUNT RATE TCP_EVERY PROGRESS_FILE NAME...

Sends COUNT A queries at RATE per second, one after the other, cycling
through NAMEs; every TCP_EVERY-th goes over TCP (a new connection, as stub
resolvers do), the rest over UDP. A query is "answered" when a reply with
its ID, rcode NOERROR and at least one answer record arrives within 2 s
(no retry: a stub's retry would hide the loss we measure), "failed" when a
reply comes with another rcode or no answer, "lost" when none comes.
Writes "sent N" to PROGRESS_FILE after each query, and at the end prints
one line: "sent N answered A lost L failed F udp U tcp T".
Bounded: COUNT queries, each at most 2 s.
"""
import random
import socket
import struct
import sys
import time

TIMEOUT = 2.0


def query(qid, name):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def verdict(reply, qid):
    if reply is None or len(reply) < 12:
        return "lost"
    rid, flags, _, an = struct.unpack(">HHHH", reply[:8])
    if rid != qid:
        return "lost"
    if flags & 0xF != 0 or an == 0:
        return "failed"
    return "answered"


def ask_udp(server, port, msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.sendto(msg, (server, port))
        while True:
            data, _ = s.recvfrom(65535)
            if data[:2] == msg[:2]:
                return data
    except OSError:
        return None
    finally:
        s.close()


def read_n(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            return None
        b += chunk
    return b


def ask_tcp(server, port, msg):
    try:
        s = socket.create_connection((server, port), timeout=TIMEOUT)
    except OSError:
        return None
    try:
        s.settimeout(TIMEOUT)
        s.sendall(struct.pack(">H", len(msg)) + msg)
        hdr = read_n(s, 2)
        if hdr is None:
            return None
        return read_n(s, struct.unpack(">H", hdr)[0])
    except OSError:
        return None
    finally:
        s.close()


def main():
    server, port, count, rate, tcp_every, progress = sys.argv[1:7]
    names = sys.argv[7:]
    port, count, rate, tcp_every = int(port), int(count), float(rate), int(tcp_every)
    res = {"answered": 0, "lost": 0, "failed": 0}
    n_udp = n_tcp = 0
    t0 = time.monotonic()
    for i in range(count):
        # a fixed rate: query i leaves at t0 + i / rate
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # sleep-ok: the client's fixed query rate
        qid = random.randrange(65536)
        msg = query(qid, names[i % len(names)])
        if tcp_every > 0 and i % tcp_every == tcp_every - 1:
            reply = ask_tcp(server, port, msg)
            n_tcp += 1
        else:
            reply = ask_udp(server, port, msg)
            n_udp += 1
        v = verdict(reply, qid)
        res[v] += 1
        if v != "answered":
            print("query %d (%s, %s): %s" % (i, names[i % len(names)],
                  "tcp" if tcp_every > 0 and i % tcp_every == tcp_every - 1 else "udp", v),
                  file=sys.stderr)
        with open(progress, "w") as f:
            f.write("sent %d\n" % (i + 1))
    print("sent %d answered %d lost %d failed %d udp %d tcp %d" % (
        count, res["answered"], res["lost"], res["failed"], n_udp, n_tcp))


if __name__ == "__main__":
    main()
