#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/bench/kube_churn.py KAPI_PORT STATE RATE DURATION_S GO_FILE

Background EndpointSlice churn: loads STATE (gen_cluster.py output, as
loaded into kubeapi.py), creates GO_FILE, then for DURATION_S (at most
120) POSTs RATE EndpointSlice updates a second to /_test/apply on one
keep-alive connection, each toggling the readiness of one endpoint of a
random slice (so every POST is a real change and a watch event). The
schedule is fixed (k/RATE s after the start); a late POST is sent at once,
never in a burst to catch up more than one. Ends early on SIGTERM. Prints
"churn posts=N rate=R api_p50_ms=... api_p99_ms=... errors=E"."""

import json
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kube_common import Http, load_cluster, now, pct  # noqa: E402

stop = False


def on_term(*_):
    global stop
    stop = True


def main():
    kport, state = int(sys.argv[1]), sys.argv[2]
    rate, duration, go = float(sys.argv[3]), min(float(sys.argv[4]), 120.0), sys.argv[5]
    signal.signal(signal.SIGTERM, on_term)
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    slices = [sl for s in load_cluster(state) for sl in s["slices"] if sl.get("endpoints")]
    http = Http(kport)
    open(go, "w").close()
    lat, errors, n = [], 0, 0
    t0 = now()
    while not stop:
        t = now()
        if t - t0 >= duration:
            break
        due = t0 + n / rate
        if due > t:
            time.sleep(due - t)
            continue
        if t - due > 1.0 / rate:  # fell behind: drop the missed slots
            n = int((t - t0) * rate)
        sl = rng.choice(slices)
        ep = rng.choice(sl["endpoints"])
        c = ep.setdefault("conditions", {})
        c["ready"] = not c.get("ready", True)
        c["serving"] = c["ready"]
        body = json.dumps(sl, separators=(",", ":")).encode()
        a = now()
        try:
            st, _ = http.request("POST", "/_test/apply", body, timeout=5)
            if st != 200:
                errors += 1
        except (OSError, TimeoutError):
            errors += 1
            http.close()
        lat.append((now() - a) * 1000)
        n += 1
    el = now() - t0
    print("churn posts=%d rate=%.1f api_p50_ms=%.2f api_p99_ms=%.2f errors=%d" %
          (len(lat), len(lat) / el if el > 0 else 0, pct(lat, 50), pct(lat, 99), errors))


if __name__ == "__main__":
    main()
