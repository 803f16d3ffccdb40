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
recovers; a deleted pod loses its namespace and leaves the slice. The
NetworkPolicy enforcer: an ingress rule that admits one client pod (by
label) on a named port and no other, and an egress rule to the backend
pods that allows their Service's ClusterIP (matched after kube-proxy's
DNAT) and nothing else. Exit 77 where the machine does not allow network
namespaces or nftables."""

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
PASSES = []


def check(ok, text):
    print("%s: %s" % ("ok" if ok else "FAIL", text), flush=True)
    (PASSES if ok else FAILS).append(text)


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
        scenario(c)
    except (TimeoutError, RuntimeError) as e:
        check(False, "the scenario could not go on: %s" % e)
    finally:
        gone = c.down()
        check(not [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                             text=True).stdout.split() if n.startswith(prefix)],
              "teardown removed %s" % ", ".join(gone))
        subprocess.run(["rm", "-rf", state])
    print("%d passed, %d failed" % (len(PASSES), len(FAILS)))
    return 1 if FAILS else 0


def pod(name):
    return {"metadata": {"name": name, "namespace": "t", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "lab/backend",
                                     "ports": [{"name": "http", "containerPort": 8080}],
                                     "readinessProbe": {"httpGet": {"path": "/healthz",
                                                                    "port": "http"}}}]}}


def curl(c, pod, url):
    """curl's exit status from a pod: 0 answered, 7 refused, 28 timed out."""
    netns = c.api("GET", "/api/v1/namespaces/t/pods/" + pod)["metadata"]["annotations"][
        "lab.nodedns.io/netns"]
    return subprocess.run(["ip", "netns", "exec", netns, "curl", "-s", "-o", "/dev/null",
                           "--max-time", "1", url]).returncode


def nft_has(c, text, present):
    return lambda: (text in cluster.run(c.in_node("nft", "list", "table", "inet", "lab-netpol"),
                                        check=False).stdout) == present


def policies(c, cip, ips):
    for name, labels in (("client-a", {"role": "client"}), ("client-b", {"role": "other"})):
        c.api("POST", "/api/v1/namespaces/t/pods", {
            "metadata": {"name": name, "namespace": "t", "labels": labels},
            "spec": {"containers": [{"name": "sh", "image": "lab/client"}]}})
    cluster.poll("the clients running", lambda: all(
        (c.api("GET", "/api/v1/namespaces/t/pods/" + n).get("status") or {}).get("phase")
        == "Running" for n in ("client-a", "client-b")), timeout=10)
    web = "http://%s:8080/" % ips[0]
    check(curl(c, "client-a", web) == 0 and curl(c, "client-b", web) == 0,
          "without a policy both clients reach web-1")
    c.api("POST", "/apis/networking.k8s.io/v1/namespaces/t/networkpolicies", {
        "metadata": {"name": "web-from-clients"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                 "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "client"}}}],
                              "ports": [{"protocol": "TCP", "port": "http"}]}]}})
    web1_netns = c.api("GET", "/api/v1/namespaces/t/pods/web-1")["metadata"]["annotations"][
        "lab.nodedns.io/netns"]
    cluster.poll("the ingress rules in web-1", lambda: "web-from-clients" in cluster.run(
        ["ip", "netns", "exec", web1_netns, "nft", "list", "table", "inet", "lab-netpol"],
        check=False).stdout, timeout=5)
    a, b = curl(c, "client-a", web), curl(c, "client-b", web)
    check(a == 0 and b == 28, "ingress from role=client on the named port http: client-a "
          "answered (%d), client-b dropped (%d)" % (a, b))
    c.api("DELETE", "/apis/networking.k8s.io/v1/namespaces/t/networkpolicies/web-from-clients")
    c.api("POST", "/apis/networking.k8s.io/v1/namespaces/t/networkpolicies", {
        "metadata": {"name": "a-to-web-only"},
        "spec": {"podSelector": {"matchLabels": {"role": "client"}}, "policyTypes": ["Egress"],
                 "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                             "ports": [{"protocol": "TCP", "port": 8080}]}]}})
    cluster.poll("the egress chain of client-a", nft_has(c, "egress-t/client-a", True), timeout=5)
    svc, other = curl(c, "client-a", "http://%s:80/" % cip), curl(c, "client-a",
                                                               "http://%s:9999/" % ips[0])
    check(svc == 0 and other == 28 and curl(c, "client-b", "http://%s:9999/" % ips[0]) == 7,
          "egress to app=web:8080 allows their Service %s:80 after DNAT (%d) and drops web-1:9999 "
          "(%d), which client-b, not selected, finds refused" % (cip, svc, other))
    c.api("DELETE", "/apis/networking.k8s.io/v1/namespaces/t/networkpolicies/a-to-web-only")
    cluster.poll("the egress chain gone", nft_has(c, "egress-t/client-a", False), timeout=5)
    check(curl(c, "client-a", "http://%s:9999/" % ips[0]) == 7,
          "without the policy client-a's connection to web-1:9999 is refused again")


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

    policies(c, cip, ips)

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
