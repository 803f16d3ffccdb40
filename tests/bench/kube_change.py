#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/bench/kube_change.py KAPI_PORT DNS_PORT STATE COUNT [SEED]

Change-to-answer delay. COUNT times, each on another headless Service of
STATE (gen_cluster.py output, as loaded into kubeapi.py): check that
nodedns answers the Service's A query with its ready endpoints, then flip
one ready endpoint of its EndpointSlice to not ready through
POST /_test/apply and, while the POST is in flight, ask nodedns in a tight
loop (one query outstanding, a new one as soon as the reply is in or after
1 ms) until the answer is the new set. Both times are taken from just
before the request is sent: "api" when kubeapi.py's answer is in, "dns"
at the first changed answer. Each change is bounded by 5 s (a timeout is
counted, not timed). With KUBE_CHANGE_SAMPLES=FILE, one line per change
"dns_ms api_ms polls" goes there. Prints p50/p90/p99/max of both and one
machine-readable line "change p50_ms=... p99_ms=... api_p50_ms=...".
"""

import copy
import json
import os
import random
import select
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kube_common import Dns, Http, expected_a, fqdn, load_cluster, now, pct, qname_wire  # noqa: E402

LIMIT_S = 5.0
GAP_S = 0.02  # between changes


def main():
    kport, dport, state, count = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 7)
    random.seed(rng.random())
    svcs = [s for s in load_cluster(state) if s["headless"] and len(s["slices"]) == 1]
    rng.shuffle(svcs)
    if len(svcs) < count:
        sys.exit("kube_change: only %d headless services" % len(svcs))
    dns, http = Dns(dport), Http(kport)
    dns_ms, api_ms, polls = [], [], []
    samples = open(os.environ["KUBE_CHANGE_SAMPLES"], "w") if os.environ.get("KUBE_CHANGE_SAMPLES") else None
    timeouts = skipped = before_api = 0
    for svc in svcs[:count]:
        wire = qname_wire(fqdn(svc))
        old = expected_a(svc)
        r = dns.ask(wire, 1.0)
        if r is None or r[0] != 0 or r[1] != old:
            skipped += 1
            continue
        sl = copy.deepcopy(svc["slices"][0])
        ready = [ep for ep in sl["endpoints"] if ep["conditions"].get("ready", True)]
        ep = rng.choice(ready)
        ep["conditions"]["ready"] = False
        ep["conditions"]["serving"] = False
        new = old - frozenset(ep["addresses"])
        body = json.dumps(sl, separators=(",", ":")).encode()

        t0 = now()
        http.start("POST", "/_test/apply", body)
        dns.send(wire)
        sent = now()
        t_api = t_dns = None
        n = 1
        while t_api is None or t_dns is None:
            t = now()
            if t - t0 > LIMIT_S:
                break
            rd, _, _ = select.select([dns, http] if t_api is None else [dns], [], [], 0.001)
            if http in rd:
                res = http.poll()
                if res is not None:
                    t_api = now() - t0
                    if res[0] != 200 or b'"updated"' not in res[1]:
                        sys.exit("kube_change: apply answered %d %r" % (res[0], res[1][:200]))
            if t_dns is None:
                got = dns.recv_match() if dns in rd else None
                if got is not None and got[1] == 0 and got[2] == new:
                    t_dns = now() - t0
                elif got is not None or now() - sent > 0.001:
                    dns.send(wire)
                    sent = now()
                    n += 1
        if t_api is None:
            http.close()  # a late answer must not desynchronise the next request
        if t_dns is None:
            timeouts += 1
        else:
            dns_ms.append(t_dns * 1000)
            polls.append(n)
            if t_api is None or t_dns < t_api:
                before_api += 1
        if t_api is not None:
            api_ms.append(t_api * 1000)
        if samples:
            samples.write("%.3f %.3f %d\n" % (-1 if t_dns is None else t_dns * 1000,
                                              -1 if t_api is None else t_api * 1000, n))
        svc["slices"][0] = sl
        t_end = now() + GAP_S
        while now() < t_end:
            select.select([], [], [], max(0, t_end - now()))

    def q(v):
        return "p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms" % (
            pct(v, 50), pct(v, 90), pct(v, 99), max(v) if v else float("nan"))
    print("  changes %d timed, %d timeouts (>%.0f s), %d skipped (answer not as expected before)" %
          (len(dns_ms), timeouts, LIMIT_S, skipped))
    print("  change -> answer served: %s" % q(dns_ms))
    print("  of which API server (POST until its reply): %s" % q(api_ms))
    print("  changed answer seen before the POST returned: %d; DNS polls per change p50 %d" %
          (before_api, pct(polls, 50) if polls else 0))
    print("change n=%d timeouts=%d p50_ms=%.2f p99_ms=%.2f api_p50_ms=%.2f api_p99_ms=%.2f" %
          (len(dns_ms), timeouts, pct(dns_ms, 50), pct(dns_ms, 99), pct(api_ms, 50), pct(api_ms, 99)))


if __name__ == "__main__":
    main()
