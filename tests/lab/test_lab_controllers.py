#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/lab/test_lab_controllers.py - the lab's controllers against the
test API server, on the lab's node (network namespaces, no nodedns): a
Service with a selector and two pods; the kubelet runs them and reports
them ready, the EndpointSlice controller lists both as ready and
kube-proxy's table DNATs to both. One pod then fails its readiness probe:
from the moment its Ready condition is False in the API, the EndpointSlice
and the DNAT rules must follow within a second, and again when it
recovers; a deleted pod loses its namespace and leaves the slice. Exit 77
where the machine does not allow network namespaces or nftables."""

import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
B = os.environ.get("ND_BUILDDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
S = os.environ.get("ND_SRCDIR") or B
sys.path.insert(0, os.path.join(S, "deploy", "lab"))
import cluster  # noqa: E402
import lab  # noqa: E402

FAILS = []


def check(ok, text):
    print("%s: %s" % ("ok" if ok else "FAIL", text), flush=True)
    if not ok:
        FAILS.append(text)


def main():
    why = lab.preflight()
    if why:
        print("SKIP: " + why)
        return 77
    prefix = "ndlc%d" % (os.getpid() % 100000)
    state = tempfile.mkdtemp(prefix="nodedns-lab.%s." % prefix)
    c = cluster.Cluster(prefix, os.path.abspath(B), os.path.abspath(S), state, print)
    try:
        c.up(dns=False)
        return scenario(c)
    finally:
        gone = c.down()
        check(not [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                             text=True).stdout.split() if n.startswith(prefix)],
              "teardown removed %s" % ", ".join(gone))
        subprocess.run(["rm", "-rf", state])


def pod(name):
    return {"metadata": {"name": name, "namespace": "t", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "lab/backend",
                                     "ports": [{"name": "http", "containerPort": 8080}],
                                     "readinessProbe": {"httpGet": {"path": "/healthz",
                                                                    "port": "http"}}}]}}


def scenario(c):
    c.api("POST", "/api/v1/namespaces", {"metadata": {"name": "t"}})
    c.api("POST", "/api/v1/namespaces/t/services", {
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80,
                                                        "targetPort": "http"}]}})
    for n in ("web-1", "web-2"):
        c.api("POST", "/api/v1/namespaces/t/pods", pod(n))
    cip = c.api("GET", "/api/v1/namespaces/t/services/web")["spec"]["clusterIP"]

    def ready_of(n):
        p = c.api("GET", "/api/v1/namespaces/t/pods/" + n)
        return [x["status"] for x in (p.get("status") or {}).get("conditions") or []
                if x["type"] == "Ready"] == ["True"], (p.get("status") or {}).get("podIP")

    def slice_eps():
        lst = c.api("GET", "/apis/discovery.k8s.io/v1/namespaces/t/endpointslices")
        return sorted((a, e["conditions"]["ready"]) for s in lst["items"]
                      for e in s.get("endpoints") or [] for a in e["addresses"])

    def dnat():
        t = cluster.run(c.in_node("nft", "list", "table", "ip", "kube-proxy")).stdout
        return sorted(ip for ip in ips if "dnat to %s:8080" % ip in t)

    cluster.poll("both pods ready", lambda: all(ready_of(n)[0] for n in ("web-1", "web-2")),
                 timeout=15)
    ips = [ready_of(n)[1] for n in ("web-1", "web-2")]
    check(len(set(ips)) == 2 and all(ip.startswith("169.254.64.") for ip in ips),
          "the kubelet gave the pods addresses %s and reported them ready" % ips)
    cluster.poll("the slice and the rules", lambda: slice_eps() == sorted((ip, True) for ip in ips)
                 and dnat() == sorted(ips), timeout=5)
    check(True, "the EndpointSlice lists both as ready and %s:80 DNATs to both" % cip)

    def follow(what, want_ready):
        t0 = time.time()
        cluster.poll("web-1 Ready=%s in the API" % want_ready,
                     lambda: ready_of("web-1")[0] == want_ready, timeout=10)
        t1 = time.time()
        want_slice = sorted([(ips[0], want_ready), (ips[1], True)])
        want_dnat = sorted(ips) if want_ready else [ips[1]]
        try:
            cluster.poll("the slice and DNAT to follow", lambda: slice_eps() == want_slice
                         and dnat() == want_dnat, timeout=1.0, interval=0.02)
            t2 = time.time()
            check(True, "%s: the probe's result reached the API %.0f ms after the change; "
                  "the EndpointSlice and the DNAT rules followed %.0f ms later (bound 1000)"
                  % (what, (t1 - t0) * 1000, (t2 - t1) * 1000))
        except TimeoutError:
            check(False, "%s: within 1 s of the Pod's Ready=%s the slice is %s and DNAT goes to "
                  "%s" % (what, want_ready, slice_eps(), dnat()))

    cluster.run(c.in_node("curl", "-s", "--max-time", "2", "http://%s:8080/fail" % ips[0]))
    follow("web-1 fails its readiness probe", False)
    cluster.run(c.in_node("curl", "-s", "--max-time", "2", "http://%s:8080/recover" % ips[0]))
    follow("web-1 recovers", True)

    netns = c.api("GET", "/api/v1/namespaces/t/pods/web-2")["metadata"]["annotations"][
        "lab.nodedns.io/netns"]
    c.api("DELETE", "/api/v1/namespaces/t/pods/web-2")
    try:
        cluster.poll("web-2 gone from the slice, the rules and the machine", lambda:
                     slice_eps() == [(ips[0], True)] and dnat() == [ips[0]] and
                     netns not in cluster.run(["ip", "netns", "list"]).stdout, timeout=5)
        check(True, "a deleted pod leaves the slice and the rules, and its netns is deleted")
    except TimeoutError:
        check(False, "after deleting web-2: slice %s, DNAT %s" % (slice_eps(), dnat()))
    print("%d passed, %d failed" % (6 - len(FAILS), len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
