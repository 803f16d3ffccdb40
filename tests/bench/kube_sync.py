#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/bench/kube_sync.py T0_NS HTTP_PORT DNS_PORT FQDN IPS [TIMEOUT_S]

Every 10 ms, until both are seen or TIMEOUT_S (60) passed: GET /ready on
nodedns, and ask FQDN A. T0_NS is the wall clock (ns, `date +%s%N`) taken
just before nodedns was started. Prints
"ready_ms=X answer_ms=Y ready_polls=N" (-1 for what was never seen)."""

import http.client
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kube_common import Dns, qname_wire  # noqa: E402


def main():
    t0 = int(sys.argv[1]) / 1e9
    hport, dport, name = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    want = frozenset(x for x in sys.argv[5].split(",") if x)
    limit = float(sys.argv[6]) if len(sys.argv) > 6 else 60.0
    wire = qname_wire(name)
    dns = Dns(dport)
    ready = answer = None
    polls = 0
    last_got = None
    while ready is None or answer is None:
        tick = time.time()
        if tick - t0 > limit:
            break
        if ready is None:
            polls += 1
            try:
                c = http.client.HTTPConnection("127.0.0.1", hport, timeout=1)
                c.request("GET", "/ready")
                if c.getresponse().status == 200:
                    ready = time.time() - t0
                c.close()
            except OSError:
                pass
        if answer is None:
            try:
                r = dns.ask(wire, 0.01)
            except OSError:  # ECONNREFUSED before the listener is up
                r = None
            if r is not None:
                last_got = r
                if r[0] == 0 and r[1] == want:
                    answer = time.time() - t0
        left = 0.01 - (time.time() - tick)
        if left > 0:
            time.sleep(left)
    ms = lambda v: -1 if v is None else round(v * 1000)  # noqa: E731
    print("ready_ms=%d answer_ms=%d ready_polls=%d last=%s" %
          (ms(ready), ms(answer), polls, "none" if last_got is None else
           "rcode%d/%d" % (last_got[0], len(last_got[1]))))


if __name__ == "__main__":
    main()
