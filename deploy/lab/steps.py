# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""The lab's exercises, in the course's order. Each step says what it
shows, runs the learner's commands where the learner would run them (a
pod, the node, kubectl), prints their output, and checks the evidence."""

import json
import os
import re
import signal
import subprocess
import time

import cluster
from cluster import poll

MANIFESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "manifests")
NS = "lab"


class Walk:
    def __init__(self, c, interactive):
        self.c = c
        self.interactive = interactive
        self.failed = []
        self.step = None
        self.netns = {}

    # --- running commands ----------------------------------------------------
    def out(self, text, limit=40):
        lines = text.rstrip("\n").splitlines()
        if len(lines) > limit:
            lines = lines[:limit] + ["... (%d more lines)" % (len(lines) - limit)]
        for line in lines:
            print("    " + line)

    def sh(self, where, cmd, timeout=20, show=True, display=None):
        """Run cmd (a shell line) in a pod's namespace (the pod's name) or
        the node's ("node") and print it (or `display`) with its output;
        (rc, output)."""
        if where == "node":
            argv = self.c.in_node("sh", "-c", cmd)
            prompt = "[node]#"
        else:
            argv = ["ip", "netns", "exec", self.pod_netns(where), "sh", "-c", cmd]
            prompt = "[%s]$" % where
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
            rc, text = r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired as e:
            rc, text = 124, ((e.stdout or b"").decode(errors="replace") +
                             (e.stderr or b"").decode(errors="replace") + "(timed out)\n")
        if show:
            print("  %s %s%s" % (prompt, display or cmd, "" if rc == 0 else "   [exit %d]" % rc))
            self.out(text)
        return rc, text

    def kubectl(self, args, show=True):
        cmd = "kubectl --kubeconfig %s --cache-dir %s/kube-cache %s" % (
            self.c.kubeconfig, self.c.state, args)
        r = subprocess.run(self.c.in_node("sh", "-c", cmd), capture_output=True, text=True,
                           timeout=30, cwd=os.path.dirname(MANIFESTS))
        if show:
            print("  $ kubectl %s%s" % (args, "" if r.returncode == 0 else
                                        "   [exit %d]" % r.returncode))
            self.out(r.stdout + r.stderr)
        return r.returncode, r.stdout + r.stderr

    def ctl(self, args):
        return self.sh("node", "%s --server http://%s %s" % (
            os.path.join(self.c.builddir, "nodednsctl"), cluster.DEBUG_LISTEN, args),
            display="nodednsctl --server http://%s %s" % (cluster.DEBUG_LISTEN, args))

    def get(self, path):
        return self.c.api("GET", path)

    def pod(self, name):
        return self.get("/api/v1/namespaces/%s/pods/%s" % (NS, name))

    def pod_netns(self, name):
        if name not in self.netns:
            self.netns[name] = self.pod(name)["metadata"]["annotations"]["lab.nodedns.io/netns"]
        return self.netns[name]

    def pod_ip(self, name):
        return (self.pod(name).get("status") or {}).get("podIP")

    def svc_ip(self, name):
        return self.get("/api/v1/namespaces/%s/services/%s" % (NS, name))["spec"]["clusterIP"]

    def slice_eps(self, svc):
        """[(address, ready)] and [ports] of the Service's EndpointSlices."""
        lst = self.get("/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices?labelSelector="
                       "kubernetes.io/service-name%%3D%s" % (NS, svc))
        eps, ports = [], []
        for s in lst.get("items") or []:
            ports += [p.get("port") for p in s.get("ports") or []]
            for e in s.get("endpoints") or []:
                eps += [(a, bool(e["conditions"].get("ready"))) for a in e["addresses"]]
        return sorted(eps), ports

    def metric(self, name, listen=None):
        """The sum of a nodedns metric family's samples."""
        r = subprocess.run(self.c.in_node("curl", "-s", "--max-time", "2",
                                          "http://%s/metrics" % (listen or cluster.HTTP_LISTEN)),
                           capture_output=True, text=True)
        total = 0.0
        for line in r.stdout.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def wait(self, what, fn, timeout=10):
        print("  (waiting for %s)" % what, flush=True)
        return poll(what, fn, timeout=timeout)

    def check(self, ok, text):
        print("  CHECK %s: %s" % ("ok" if ok else "FAILED", text), flush=True)
        if not ok:
            self.failed.append("step %s: %s" % (self.step, text))
        return ok

    def say(self, text):
        print()
        for para in text.strip().split("\n"):
            print("  " + para.strip())
        print()

    # --- the walk ----------------------------------------------------------------
    def run(self, only=None):
        all_steps = [(1, "Name resolution: the Service's name and its ClusterIP", self.step1),
                     (2, "Service selection: ready endpoints vs pods", self.step2),
                     (3, "Service access vs direct endpoint access", self.step3),
                     (4, "Service translation: nftables rules, the packets, conntrack",
                      self.step4),
                     (5, "NetworkPolicy: deny ingress to the backends, then remove it",
                      self.step5),
                     (6, "DNS failures and what nodedns says about each", self.step6),
                     (7, "The node-local cache on 169.254.20.10, and the fall-back",
                      self.step7)]
        for n, title, fn in all_steps:
            if only and n not in only and n != 1:
                continue
            self.step = n
            print("\n== Step %d: %s ==" % (n, title), flush=True)
            try:
                fn()
            except (TimeoutError, RuntimeError, KeyError, TypeError) as e:
                self.check(False, "the step could not run: %s" % e)
            if self.interactive:
                try:
                    input("\n-- press Enter for the next step (Ctrl-C ends the lab) --")
                except EOFError:
                    self.interactive = False
        print("\n== Summary ==")
        if self.failed:
            print("FAILED checks:\n  " + "\n  ".join(self.failed))
        else:
            print("every check passed")
        return self.failed

    def shell(self):
        rc = os.path.join(self.c.state, "bashrc")
        with open(rc, "w") as f:
            f.write("""PS1='[lab node]# '
alias kubectl='kubectl --kubeconfig %s --cache-dir %s/kube-cache'
alias nodednsctl='%s --server http://%s'
lab-exec() { local p=$1; shift; ip netns exec "$(kubectl get pod "$p" -o jsonpath='{.metadata.annotations.lab\\.nodedns\\.io/netns}')" "$@"; }
echo "The lab's node. kubectl, nodednsctl, nft, conntrack, tcpdump work here;"
echo "lab-exec POD CMD runs CMD in a pod (e.g. lab-exec trace-client curl http://trace-svc)."
echo "Start with: kubectl create -f manifests/trace.yaml (the manifests are in $PWD)."
echo "Leave with exit: the lab is then removed."
""" % (self.c.kubeconfig, self.c.state, os.path.join(self.c.builddir, "nodednsctl"),
                cluster.DEBUG_LISTEN))
        # Ctrl-C at the prompt is the shell's: the lab stays (a handler, not
        # SIG_IGN, so that the shell and its commands get the default back)
        old = signal.signal(signal.SIGINT, lambda *_: None)
        try:
            subprocess.run(self.c.in_node("bash", "--rcfile", rc, "-i"),
                           cwd=os.path.dirname(MANIFESTS))
        finally:
            signal.signal(signal.SIGINT, old)

    # --- the steps -----------------------------------------------------------------
    def step1(self):
        self.say("""Create the backends (two pods with a readiness probe), the Service trace-svc
        and a client pod. The lab's kubelet gives each pod a network namespace, an
        address and the resolv.conf a kubelet writes; nodedns, behind the kube-dns
        ClusterIP, watches the Service and answers its name.""")
        self.kubectl("create -f manifests/trace.yaml")
        self.wait("the backends to be ready and the client running", lambda: all(
            p and (p.get("status") or {}).get("phase") == "Running" for p in
            (self.pod(n) for n in ("trace-backend-1", "trace-backend-2", "trace-client")))
            and all(self.slice_eps("trace-svc")[0]) and
            [r for _, r in self.slice_eps("trace-svc")[0]] == [True, True])
        self.kubectl("get pods -o wide")
        self.kubectl("get svc trace-svc")
        cip = self.svc_ip("trace-svc")
        self.sh("trace-client", "cat /etc/resolv.conf")
        rc, o = self.sh("trace-client", "nslookup trace-svc")
        self.check(rc == 0 and cip in o, "nslookup of the short name gives the ClusterIP %s" % cip)
        rc, o = self.sh("trace-client", "getent hosts trace-svc.lab.svc.cluster.local")
        self.check(rc == 0 and o.split()[0] == cip, "getent of the FQDN gives the ClusterIP")
        rc, o = self.sh("trace-client", "dig +search +short trace-svc")
        self.check(o.strip() == cip, "dig +search gives the ClusterIP")
        self.say("""Question: which server answered (the nameserver line), and which name was
        actually asked for the short name? (the first search domain: ndots:5).""")

    def step2(self):
        self.say("""The EndpointSlice controller lists the pods the Service's selector picks,
        with their readiness. Only ready endpoints receive traffic.""")
        self.kubectl("get pods -l app=trace-backend -o wide")
        self.kubectl("get svc,endpointslices")
        self.kubectl("describe svc trace-svc")
        self.ctl("services -n lab")
        eps, ports = self.slice_eps("trace-svc")
        want = sorted((self.pod_ip(n), True) for n in ("trace-backend-1", "trace-backend-2"))
        self.check(eps == want, "the slice's ready endpoints are the two backend pods %s"
                   % [a for a, _ in want])
        self.check(ports == [8080], "the slice's port is the pods' targetPort 8080 (%s)" % ports)

    def step3(self):
        self.say("""Reach the backends through the Service (ClusterIP:80) and directly (pod
        IP:8080). Both work; through the Service, the backend is chosen per connection.""")
        cip, me = self.svc_ip("trace-svc"), self.pod_ip("trace-client")
        b = {n: self.pod_ip(n) for n in ("trace-backend-1", "trace-backend-2")}
        rc, o = self.sh("trace-client", "for i in 1 2 3 4 5 6; do curl -s --max-time 3 "
                        "http://trace-svc/; done")
        answers = re.findall(r"pod (trace-backend-\d) \(([\d.]+):8080\) answered / from client "
                             r"([\d.]+)", o)
        self.check(len(answers) == 6 and all(b.get(n) == ip and c == me for n, ip, c in answers),
                   "6 requests to http://trace-svc were answered by the backends, which saw "
                   "the client's own address %s" % me)
        rc, o = self.sh("trace-client", "curl -s --max-time 3 http://%s:8080/" %
                        b["trace-backend-1"])
        self.check(rc == 0 and "pod trace-backend-1" in o,
                   "direct access to trace-backend-1's address works")
        rc, o = self.sh("trace-client", "curl -s --max-time 3 http://%s:8080/" % cip)
        self.check(rc != 0, "the ClusterIP on the pods' port 8080 does not answer (the "
                   "Service only translates its own port 80)")

    def step4(self):
        self.say("""On the node: kube-proxy's table (ClusterIP:port -> service chain -> one
        endpoint chain -> DNAT), a capture on the pods' bridge of one connection's
        SYN and SYN-ACK (before and after translation), and its conntrack entry.""")
        cip, me = self.svc_ip("trace-svc"), self.pod_ip("trace-client")
        b = [self.pod_ip(n) for n in ("trace-backend-1", "trace-backend-2")]
        rc, o = self.sh("node", "nft list table ip kube-proxy")
        self.check("%s . tcp . 80" % cip in o and all("dnat to %s:8080" % a in o for a in b),
                   "the table maps %s:80 to both backends' :8080" % cip)
        cap = os.path.join(self.c.state, "step4.pcap.txt")
        err = os.path.join(self.c.state, "step4.tcpdump.err")
        # SYN and SYN-ACK of the pods' HTTP ports, without the kubelet's probes
        flt = ("tcp[tcpflags] & tcp-syn != 0 and (port 80 or port 8080) and not host %s"
               % cluster.NODE_IP)
        td = subprocess.Popen(self.c.in_node("timeout", "20", "tcpdump", "-i", "any", "-nn",
                                             "-l", flt),
                              stdout=open(cap, "w"), stderr=open(err, "w"),
                              start_new_session=True)
        self.c.procs["tcpdump"] = td
        print("  [node]# tcpdump -i any -nn '%s' &" % flt)
        poll("tcpdump to listen", lambda: "listening on" in open(err).read())
        self.sh("trace-client", "curl -s --max-time 3 http://trace-svc/")
        # the SYN-ACK back to the client, translated, is the last packet of interest
        try:
            poll("the SYN-ACK in the capture", lambda: re.search(
                r"%s\.80 > %s\.\d+: Flags \[S\.\]" % (re.escape(cip), re.escape(me)),
                open(cap).read()), timeout=5)
        except TimeoutError:
            pass
        td.terminate()
        td.wait(5)
        o = open(cap).read()
        self.out(o)
        m = re.search(r"%s\.(\d+) > %s\.80: Flags \[S\]" % (re.escape(me), re.escape(cip)), o)
        self.check(bool(m), "the SYN leaves the client %s for the ClusterIP %s:80" % (me, cip))
        port = m.group(1) if m else "?"
        m2 = re.search(r"%s\.%s > ([\d.]+)\.8080: Flags \[S\]" % (re.escape(me), port), o)
        self.check(bool(m2) and m2.group(1) in b,
                   "the same SYN, translated, goes to a backend %s:8080"
                   % (m2.group(1) if m2 else "?"))
        backend = m2.group(1) if m2 else "?"
        self.check(("%s.8080 > %s.%s: Flags [S.]" % (backend, me, port)) in o and
                   ("%s.80 > %s.%s: Flags [S.]" % (cip, me, port)) in o,
                   "the SYN-ACK comes back from the backend and leaves the node as from "
                   "the ClusterIP")
        rc, o = self.sh("node", "conntrack -L -p tcp --orig-dst %s --orig-port-src %s" %
                        (cip, port))
        self.check(("src=%s dst=%s sport=%s dport=80" % (me, cip, port)) in o and
                   ("src=%s dst=%s sport=8080 dport=%s" % (backend, me, port)) in o,
                   "conntrack holds the flow: original to the ClusterIP, reply from the "
                   "backend")

    def policy_written(self, pod, present):
        def f():
            rc, o = self.sh(pod, "nft list table inet lab-netpol", show=False)
            return ("denied by NetworkPolicy" in o) == present
        return f

    def step5(self):
        self.say("""A NetworkPolicy selects the backends for ingress and allows nothing. DNS
        still answers (it is not on that path), but the Service and the direct address
        both fail: the packets are dropped at the backends. Delete it: it works again.""")
        cip = self.svc_ip("trace-svc")
        b1 = self.pod_ip("trace-backend-1")
        self.kubectl("create -f manifests/deny-backend-ingress.yaml")
        self.kubectl("describe networkpolicy deny-backend-ingress")
        self.wait("the enforcer's rules in both backends", lambda: all(
            self.policy_written(p, True)() for p in ("trace-backend-1", "trace-backend-2")))
        self.sh("trace-backend-1", "nft list table inet lab-netpol")
        rc, o = self.sh("trace-client", "getent hosts trace-svc")
        self.check(rc == 0 and o.split()[0] == cip, "DNS still resolves trace-svc")
        rc, o = self.sh("trace-client", "curl -sS --max-time 2 http://trace-svc/")
        self.check(rc == 28, "the Service times out (packets dropped, exit 28)")
        rc, o = self.sh("trace-client", "curl -sS --max-time 2 http://%s:8080/" % b1)
        self.check(rc == 28, "the direct endpoint times out too")
        rc, o = self.sh("trace-backend-1", "nft list table inet lab-netpol | grep denied")
        self.check(re.search(r"packets [1-9]", o) is not None,
                   "the backend's drop rule counted the packets")
        self.kubectl("delete networkpolicy deny-backend-ingress")
        self.wait("the rules to go", lambda: all(
            self.policy_written(p, False)() for p in ("trace-backend-1", "trace-backend-2")))
        rc, o = self.sh("trace-client", "curl -sS --max-time 3 http://trace-svc/")
        self.check(rc == 0 and "answered" in o, "without the policy the Service works again")

    def step6(self):
        for f in (self.step6a, self.step6b, self.step6c, self.step6d, self.step6e,
                  self.step6f):
            print("\n-- %s --" % f.__doc__.strip().split("\n")[0], flush=True)
            try:
                f()
            except (TimeoutError, RuntimeError, KeyError, TypeError) as e:
                self.check(False, "%s could not run: %s" % (f.__name__, e))

    def step6a(self):
        """6a. A Service whose pods run but are not ready"""
        self.say("""slow-backend runs, but its readiness probe never passes. DNS answers the
        Service's ClusterIP; behind it kube-proxy has no endpoint and rejects.""")
        self.kubectl("create -f manifests/not-ready.yaml")
        self.wait("slow-backend running and its slice listing it not ready", lambda:
                  (self.pod("slow-backend").get("status") or {}).get("phase") == "Running"
                  and self.slice_eps("slow-svc")[0] == [(self.pod_ip("slow-backend"), False)])
        self.kubectl("get pod slow-backend -o wide")
        self.kubectl("get endpointslices -l kubernetes.io/service-name=slow-svc -o "
                     "jsonpath='{range .items[*].endpoints[*]}{.addresses[0]} ready={.conditions.ready}{\"\\n\"}{end}'")
        cip = self.svc_ip("slow-svc")
        rc, o = self.sh("trace-client", "getent hosts slow-svc")
        self.check(rc == 0 and o.split()[0] == cip, "DNS answers slow-svc with its ClusterIP")
        rc, o = self.sh("trace-client", "curl -sS --max-time 3 http://slow-svc/")
        self.check(rc == 7, "the connection is refused (kube-proxy's reject: no ready endpoint)")
        rc, o = self.ctl("explain slow-svc --namespace lab --client %s" %
                         self.pod_ip("trace-client"))
        self.check(rc == 3 and re.search(r"none ready|no ready endpoint", o, re.I) is not None,
                   "nodednsctl explain's verdict is a failure (exit 3): the Service has "
                   "no ready endpoint")

    def step6b(self):
        """6b. A default-deny egress policy that forgets DNS"""
        self.say("""Every pod of the namespace may send nothing, DNS included. The name fails,
        and nodedns never saw the query: it was dropped on the node before it.""")
        before = self.metric("nodedns_dns_requests_total")
        self.kubectl("create -f manifests/default-deny-egress.yaml")
        self.wait("the egress chain on the node", lambda: "egress-lab/trace-client" in
                  self.sh("node", "nft list table inet lab-netpol", show=False)[1])
        rc, o = self.sh("trace-client", "RES_OPTIONS='timeout:1 attempts:1' getent hosts trace-svc")
        self.check(rc != 0, "the name does not resolve")
        rc, o = self.sh("trace-client", "dig +search +tries=1 +time=1 trace-svc")
        self.check("timed out" in o or "no servers could be reached" in o,
                   "dig's query times out")
        rc, o = self.sh("node", "nft list chain inet lab-netpol egress-lab/trace-client")
        self.check(re.search(r"packets [1-9]", o) is not None,
                   "the node's egress rule for trace-client dropped the queries")
        after = self.metric("nodedns_dns_requests_total")
        print("  nodedns_dns_requests_total: %d before, %d after" % (before, after))
        self.check(after == before, "nodedns received none of those queries")
        self.kubectl("delete networkpolicy default-deny-egress")
        self.wait("the egress chain to go", lambda: "egress-lab/trace-client" not in
                  self.sh("node", "nft list table inet lab-netpol", show=False)[1])

    def step6c(self):
        """6c. UDP 53 allowed, TCP 53 not, and a large answer"""
        self.say("""The client may send DNS over UDP only. big.example.test has 100 addresses:
        the UDP answer is truncated (TC), the stub retries over TCP, and that is dropped.""")
        tc_before = self.metric("nodedns_signal_tc_without_tcp_total")
        self.kubectl("create -f manifests/allow-dns-udp-only.yaml")
        self.wait("the egress chain on the node", lambda: "egress-lab/trace-client" in
                  self.sh("node", "nft list table inet lab-netpol", show=False)[1])
        rc, o = self.sh("trace-client", "dig +short www.example.test")
        self.check(o.strip() == "169.254.200.80", "a small answer over UDP still works")
        rc, o = self.sh("trace-client", "dig +ignore +noall +comments big.example.test | grep flags")
        self.check(" tc" in o, "the UDP answer for big.example.test is truncated (flag tc)")
        rc, o = self.sh("trace-client", "dig +tries=1 +time=2 big.example.test")
        self.check("Truncated, retrying in TCP mode" in o and
                   re.search(r"timed out|communications error|no servers", o) is not None,
                   "dig retries over TCP and that fails")
        self.wait("nodedns to count a TC answer no TCP query followed", lambda:
                  self.metric("nodedns_signal_tc_without_tcp_total") > tc_before, timeout=12)
        self.sh("node", "curl -s http://%s/metrics | grep nodedns_signal_tc" %
                cluster.HTTP_LISTEN)
        self.check(True, "nodedns_signal_tc_without_tcp_total went up")
        self.kubectl("delete networkpolicy allow-dns-udp-only")
        self.wait("the egress chain to go", lambda: "egress-lab/trace-client" not in
                  self.sh("node", "nft list table inet lab-netpol", show=False)[1])

    def step6d(self):
        """6d. An external name with ndots:5, a trailing dot, and ndots:2"""
        self.say("""www.example.test has 2 dots, fewer than ndots:5: the stub tries every search
        domain first (each answered NXDOMAIN by nodedns), then the name itself. A
        trailing dot or ndots:2 asks the name at once. nodedns counts the queries.""")
        res = {}
        for label, cmd in (("ndots:5", "getent ahosts www.example.test"),
                           ("trailing dot", "getent ahosts www.example.test."),
                           ("ndots:2", "RES_OPTIONS=ndots:2 getent ahosts www.example.test")):
            before = self.metric("nodedns_dns_requests_total")
            w0 = self.metric("nodedns_searchlist_wasted_queries_total")
            rc, o = self.sh("trace-client", cmd)
            ok = rc == 0 and "169.254.200.80" in o
            # the counters are per worker and summed when read: poll them
            n = poll("the queries counted", lambda: self.metric("nodedns_dns_requests_total")
                     - before, timeout=3) if ok else 0
            res[label] = (ok, n, self.metric("nodedns_searchlist_wasted_queries_total") - w0)
            print("  %s: resolved=%s, queries nodedns answered: %d, wasted: %d" %
                  (label, ok, n, res[label][2]))
        self.ctl("searchlist")
        rc, o = self.sh("node", "%s --server http://%s -o json searchlist" % (
            os.path.join(self.c.builddir, "nodednsctl"), cluster.DEBUG_LISTEN), show=False)
        row = next((r for r in json.loads(o).get("top_names") or []
                    if r.get("name") == "www.example.test"), {}) if rc == 0 else {}
        print("  nodedns on www.example.test: %s wasted queries, %s ms added on average; "
              "advice: %s" % (row.get("wasted"), row.get("avg_added_ms"), row.get("advice")))
        self.check(row.get("wasted") == 6,
                   "nodedns counted the 6 wasted queries of the ndots:5 lookup (3 search "
                   "domains x A and AAAA), and none for the other two")
        self.check(all(r[0] for r in res.values()), "every form resolves")
        self.check(res["ndots:5"][1] > res["trailing dot"][1] and
                   res["ndots:5"][1] > res["ndots:2"][1],
                   "ndots:5 costs more queries (%d) than the trailing dot (%d) or ndots:2 (%d)"
                   % (res["ndots:5"][1], res["trailing dot"][1], res["ndots:2"][1]))

    def step6e(self):
        """6e. A wrong targetPort"""
        self.say("""wrong-port-svc selects the same ready backends, but sends to port 9090 where
        nothing listens. DNS is fine, the endpoints are ready, the Service fails, and the
        pod itself answers on its real port.""")
        self.kubectl("create -f manifests/wrong-port.yaml")
        self.wait("the slice of wrong-port-svc", lambda: self.slice_eps("wrong-port-svc")[1]
                  == [9090] and [r for _, r in self.slice_eps("wrong-port-svc")[0]] ==
                  [True, True])
        self.kubectl("get endpointslices -l kubernetes.io/service-name=wrong-port-svc")
        cip = self.svc_ip("wrong-port-svc")
        rc, o = self.sh("trace-client", "getent hosts wrong-port-svc")
        self.check(rc == 0 and o.split()[0] == cip, "DNS answers wrong-port-svc")
        rc, o = self.sh("trace-client", "curl -sS --max-time 3 http://wrong-port-svc/")
        self.check(rc == 7, "the Service's connection is refused (by the pod: nothing on 9090)")
        rc, o = self.sh("trace-client", "curl -sS --max-time 3 http://%s:8080/" %
                        self.pod_ip("trace-backend-1"))
        self.check(rc == 0, "the pod answers on its real port 8080")

    def step6f(self):
        """6f. An EndpointSlice change seen live in the answers"""
        self.say("""A headless Service's A records are its ready endpoints. Make trace-backend-1
        fail its readiness probe: the slice changes, and nodedns's answer with it.""")
        b1, b2 = self.pod_ip("trace-backend-1"), self.pod_ip("trace-backend-2")
        self.kubectl("create -f manifests/headless.yaml")
        dig = "dig +search +short trace-headless | sort"
        self.wait("two ready endpoints in the headless Service", lambda: self.sh(
            "trace-client", dig, show=False)[1].split() == sorted([b1, b2]))
        self.sh("trace-client", dig)
        self.sh("node", "curl -s http://%s:8080/fail" % b1)
        self.wait("the answer to lose trace-backend-1", lambda: self.sh(
            "trace-client", dig, show=False)[1].split() == [b2], timeout=10)
        self.kubectl("get endpointslices -l kubernetes.io/service-name=trace-headless -o "
                     "jsonpath='{range .items[*].endpoints[*]}{.addresses[0]} ready={.conditions.ready}{\"\\n\"}{end}'")
        rc, o = self.sh("trace-client", dig)
        self.check(o.split() == [b2], "the answer holds only the ready trace-backend-2")
        self.sh("node", "curl -s http://%s:8080/recover" % b1)
        self.wait("trace-backend-1 back in the answer", lambda: self.sh(
            "trace-client", dig, show=False)[1].split() == sorted([b1, b2]), timeout=10)
        rc, o = self.sh("trace-client", dig)
        self.check(sorted(o.split()) == sorted([b1, b2]), "both backends are back")

    def step7(self):
        if not self.c.has_node_setup():
            print("  not run: this nodedns has no node set-up (--node-local-ip); the lab "
                  "shows the node-local cache once it has")
            return
        self.say("""NodeLocal DNSCache's place: a second nodedns on the node puts 169.254.20.10
        and the kube-dns ClusterIP itself on the node's lo and adds NOTRACK rules, so
        the pods' queries to 169.254.96.10 skip conntrack and kube-proxy's DNAT and
        are answered on the node. When it stops, its rules and addresses go, and
        the same queries reach the cluster DNS through the Service again.""")
        kd = cluster.KUBE_DNS_IP
        name = "trace-svc.lab.svc.cluster.local"
        cip = self.svc_ip("trace-svc")
        self.sh("trace-client", "dig +short %s" % name)
        rc, o = self.sh("node", "conntrack -L -p udp --orig-dst %s 2>/dev/null | tail -n 2" % kd)
        self.check("src=%s" % cluster.DNS_IP in o,
                   "before: the query to %s was DNATed to the cluster DNS %s (conntrack)"
                   % (kd, cluster.DNS_IP))
        print("  [node]# nodedns --node-local-ip %s --node-local-ip %s --node-interface lo "
              "--node-interface-shared on --upstream %s ... &" % (
                  cluster.NODE_LOCAL_IP, kd, cluster.DNS_IP))
        self.c.start_node_local()
        rc, o = self.sh("node", "ip -4 addr show dev lo")
        self.check(cluster.NODE_LOCAL_IP in o and kd in o,
                   "the node-local addresses are on the node's lo")
        rc, o = self.sh("node", "nft list table inet nodedns")
        self.check(o.count("notrack") >= 2, "table inet nodedns has the NOTRACK rules")
        self.sh("node", "conntrack -D -p udp --orig-dst %s 2>&1 | tail -n 1" % kd)
        local0 = self.metric("nodedns_dns_requests_total", cluster.LOCAL_HTTP_LISTEN)
        cl0 = self.metric("nodedns_dns_requests_total")
        rc, o = self.sh("trace-client", "dig +short %s" % name)
        self.check(o.strip() == cip, "the pod's query to %s is answered" % kd)
        rc, o = self.sh("node", "conntrack -L -p udp --orig-dst %s" % kd)
        self.check("0 flow entries" in o, "no conntrack entry: the query skipped conntrack "
                   "and kube-proxy")
        local1 = self.metric("nodedns_dns_requests_total", cluster.LOCAL_HTTP_LISTEN)
        cl1 = self.metric("nodedns_dns_requests_total")
        print("  queries: node-local %d -> %d, cluster DNS %d -> %d" % (local0, local1, cl0, cl1))
        self.check(local1 > local0 and cl1 == cl0,
                   "the node-local nodedns answered it from its own watch of the API; the "
                   "cluster DNS was not asked")
        self.kubectl("create -f manifests/node-local-client.yaml")
        self.wait("local-client running", lambda: (self.pod("local-client").get("status")
                                                   or {}).get("phase") == "Running")
        rc, o = self.sh("local-client", "cat /etc/resolv.conf")
        self.check("nameserver %s" % cluster.NODE_LOCAL_IP in o,
                   "a pod with dnsConfig gets the node-local address as its nameserver")
        rc, o = self.sh("local-client", "getent hosts trace-svc")
        self.check(rc == 0 and o.split()[0] == cip, "it resolves trace-svc through the node-local "
                   "cache")
        rc, o = self.sh("local-client", "getent hosts www.example.test.")
        self.check(rc == 0 and "169.254.200.80" in o,
                   "an external name goes node-local -> cluster DNS -> the internet's nsd")
        print("  [node]# kill -TERM <node-local nodedns>")
        rc = self.c.stop_node_local()
        self.check(rc == 0, "the node-local nodedns exited 0")
        rc, o = self.sh("node", "ip -4 addr show dev lo; nft list table inet nodedns")
        self.check(kd not in o and cluster.NODE_LOCAL_IP not in o and "notrack" not in o,
                   "its addresses and rules are gone")
        rc, o = self.sh("trace-client", "dig +short %s" % name)
        self.check(o.strip() == cip, "the pods' queries to %s still work" % kd)
        rc, o = self.sh("node", "conntrack -L -p udp --orig-dst %s" % kd)
        self.check("src=%s" % cluster.DNS_IP in o,
                   "through kube-proxy's DNAT to the cluster DNS again")
