# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/bench/kube_common.py - shared bits of the cluster-zone scale
benchmark helpers (kube_*.py, driven by kube_scale.sh): a raw DNS client
that only needs the A records of an answer, a keep-alive HTTP/1.1 client
for kubeapi.py's /_test/ API that can be polled without blocking, and the
generated cluster (gen_cluster.py output) indexed by Service.

Standard library only; everything talks to 127.0.0.1.
"""

import json
import math
import random
import socket
import struct
import time

ZONE = "cluster.local"


def now():
    return time.monotonic()


def qname_wire(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".") if l) + b"\0"


def make_query(qid, wire, qtype=1):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack("!HH", qtype, 1)


def _skip_name(m, i):
    while True:
        if i >= len(m):
            raise ValueError("short name")
        n = m[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def parse_a(m):
    """(id, rcode, frozenset of dotted A rdata in the answer section)."""
    if len(m) < 12:
        raise ValueError("short message")
    qid, fl, qd, an = struct.unpack("!HHHH", m[:8])
    i = 12
    for _ in range(qd):
        i = _skip_name(m, i) + 4
    out = set()
    for _ in range(an):
        i = _skip_name(m, i)
        t, _c, _ttl, rdlen = struct.unpack("!HHIH", m[i:i + 10])
        i += 10
        if t == 1 and rdlen == 4:
            out.add(socket.inet_ntoa(m[i:i + 4]))
        i += rdlen
    return qid, fl & 15, frozenset(out)


class Dns:
    """A connected UDP socket to nodedns with a random query ID per send."""

    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.connect(("127.0.0.1", port))
        self.s.setblocking(False)
        self.qid = None

    def fileno(self):
        return self.s.fileno()

    def send(self, wire):
        self.qid = random.randint(0, 65535)
        self.s.send(make_query(self.qid, wire))

    def recv_match(self):
        """Drain the socket; the parsed reply to the last send, or None."""
        got = None
        while True:
            try:
                m = self.s.recv(65535)
            except BlockingIOError:
                return got
            try:
                r = parse_a(m)
            except (ValueError, struct.error):
                continue
            if r[0] == self.qid:
                got = r
                self.qid = None

    def ask(self, wire, timeout):
        """One blocking query: (rcode, set) or None on timeout."""
        self.send(wire)
        end = now() + timeout
        import select
        while True:
            left = end - now()
            if left <= 0:
                return None
            select.select([self.s], [], [], left)
            r = self.recv_match()
            if r:
                return r[1], r[2]


class Http:
    """HTTP/1.1 keep-alive client: start() sends a request, poll() reads
    what has arrived and returns (status, body) once the whole response is
    in, else None. Reconnects when the server closed the connection."""

    def __init__(self, port):
        self.port = port
        self.s = None

    def _connect(self):
        self.s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.setblocking(False)

    def fileno(self):
        return self.s.fileno()

    def start(self, method, path, body=b""):
        if self.s is None:
            self._connect()
        req = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\n\r\n" % (method, path, len(body))).encode() + body
        try:
            self.s.sendall(req)
        except OSError:
            self.close()
            self._connect()
            self.s.sendall(req)
        self._quickack()
        self.buf = b""
        self.need = None
        self.hlen = None

    def _quickack(self):
        # kubeapi.py (http.server) writes the headers and the body in two
        # send()s without TCP_NODELAY: with Nagle there and a delayed ACK
        # here, every answer would wait ~40 ms for our ACK. Ask for
        # immediate ACKs (the kernel clears this flag now and then).
        try:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except (AttributeError, OSError):
            pass

    def poll(self):
        while True:
            self._quickack()
            try:
                d = self.s.recv(262144)
            except BlockingIOError:
                return None
            if not d:
                self.close()
                raise ConnectionError("server closed the connection mid-response")
            self.buf += d
            if self.hlen is None:
                k = self.buf.find(b"\r\n\r\n")
                if k < 0:
                    continue
                self.hlen = k + 4
                head = self.buf[:k].decode("latin-1").split("\r\n")
                self.status = int(head[0].split()[1])
                self.need = 0
                for h in head[1:]:
                    n, _, v = h.partition(":")
                    if n.strip().lower() == "content-length":
                        self.need = int(v.strip())
            if len(self.buf) >= self.hlen + self.need:
                return self.status, self.buf[self.hlen:self.hlen + self.need]

    def request(self, method, path, body=b"", timeout=10):
        import select
        self.start(method, path, body)
        end = now() + timeout
        while True:
            r = self.poll()
            if r:
                return r
            left = end - now()
            if left <= 0:
                raise TimeoutError("%s %s: no answer in %s s" % (method, path, timeout))
            select.select([self.s], [], [], left)

    def close(self):
        if self.s is not None:
            self.s.close()
            self.s = None


def load_cluster(path):
    """Services in file order: a list of dicts {ns, name, headless,
    slices: [EndpointSlice objects]}."""
    with open(path) as f:
        items = json.load(f)["items"]
    svcs, by_key = [], {}
    for it in items:
        if it.get("kind") == "Service":
            md = it["metadata"]
            s = {"ns": md["namespace"], "name": md["name"],
                 "headless": it["spec"].get("clusterIP") == "None",
                 "clusterIP": it["spec"].get("clusterIP"), "slices": []}
            svcs.append(s)
            by_key[(s["ns"], s["name"])] = s
    for it in items:
        if it.get("kind") == "EndpointSlice":
            md = it["metadata"]
            s = by_key.get((md["namespace"], md["labels"].get("kubernetes.io/service-name")))
            if s is not None:
                it.setdefault("kind", "EndpointSlice")
                it.setdefault("apiVersion", "discovery.k8s.io/v1")
                s["slices"].append(it)
    return svcs


def fqdn(svc):
    return "%s.%s.svc.%s" % (svc["name"], svc["ns"], ZONE)


def expected_a(svc):
    """What an A query for the Service name must answer."""
    if not svc["headless"]:
        return frozenset([svc["clusterIP"]])
    out = set()
    for sl in svc["slices"]:
        for ep in sl.get("endpoints") or []:
            if (ep.get("conditions") or {}).get("ready", True):
                out.update(ep["addresses"])
    return frozenset(out)


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, math.ceil(p / 100.0 * len(v)) - 1))  # nearest rank
    return v[k]
