#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/bench/kube_prep.py STATE QUERYFILE [N] - from gen_cluster.py
output, write a dnsperf/loadgen query file of N (1000) distinct Service
names (A), spread over the cluster and over ClusterIP and headless
Services, and print one line "FQDN IP,IP,..." for the last Service of the
file with the A records it must answer."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kube_common import expected_a, fqdn, load_cluster  # noqa: E402


def main():
    state, qfile = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    svcs = load_cluster(state)
    if len(svcs) < n:
        sys.exit("kube_prep: only %d services" % len(svcs))
    step = len(svcs) // n
    with open(qfile, "w") as q:
        for k in range(n):
            # k*step + k%step: every residue, so every 10th name is headless
            q.write("%s A\n" % fqdn(svcs[k * step + (k % step)]))
    last = svcs[-1]
    print(fqdn(last), ",".join(sorted(expected_a(last))))


if __name__ == "__main__":
    main()
