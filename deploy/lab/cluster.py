# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""The lab's one-machine cluster: its network namespaces, its processes
(the test API server, the controllers, nodedns, the 'internet' nsd), and
their removal. Everything it makes is named with one prefix per run and
lives in namespaces it made, so the teardown finds all of it again, even
after an interrupted run: every process inside one of its namespaces (ip
netns pids), then the namespaces (their veths, bridges and nft tables go
with them), then /etc/netns/PREFIX-*."""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

# Addresses: all inside namespaces this lab makes (169.254.0.0/16).
NODE_IP = "169.254.64.1"          # the node on the pods' bridge (the pods' gateway)
POD_CIDR = "169.254.64.0/24"
SERVICE_CIDR = "169.254.96.0/24"
KUBE_DNS_IP = "169.254.96.10"     # the kube-dns Service's ClusterIP
DNS_IP = "169.254.53.1"           # nodedns, the cluster DNS, on the node's lo
NODE_LOCAL_IP = "169.254.20.10"   # the node-local cache address (not built yet)
INET_NODE_IP = "169.254.200.1"    # the node's side of its link to the 'internet'
INET_IP = "169.254.200.2"         # nsd, authoritative for example.test
# the node-local nodedns's listeners (node's loopback)
LOCAL_HTTP_LISTEN = "127.0.0.1:9253"
LOCAL_DEBUG_LISTEN = "127.0.0.1:9254"
# nodedns's HTTP listeners: /metrics, /health, /ready; and /debug/* with
# /control/* for nodednsctl (loopback of the node: control comes from there)
HTTP_LISTEN = DNS_IP + ":9153"
DEBUG_LISTEN = "127.0.0.1:9154"


def poll(what, fn, timeout=10.0, interval=0.1):
    """fn() until it returns a true value, at most `timeout` seconds."""
    end = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > end:
            raise TimeoutError("waited %.0f s for %s" % (timeout, what))
        time.sleep(interval)


def netns_cmd(netns):
    """A command prefix that enters only the network namespace. Not `ip
    netns exec`: that also makes a mount namespace of its own, and a
    namespace the kubelet then adds (a bind mount under /run/netns) would
    not be seen outside it."""
    return ["nsenter", "--net=/run/netns/" + netns]


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), (r.stderr or r.stdout).strip()))
    return r


def zone_text():
    lines = ["$ORIGIN example.test.", "$TTL 300",
             "@ IN SOA ns.example.test. host.example.test. 1 3600 600 86400 60",
             "@ IN NS ns.example.test.", "ns IN A " + INET_IP,
             "www IN A 169.254.200.80"]
    # more A records than fit a 1232-byte UDP answer: TC, then TCP
    lines += ["big IN A 169.254.201.%d" % i for i in range(1, 101)]
    return "\n".join(lines) + "\n"


class Cluster:
    def __init__(self, prefix, builddir, srcdir, state_dir, log):
        self.prefix, self.builddir, self.srcdir = prefix, builddir, srcdir
        self.state, self.log = state_dir, log
        self.node = prefix + "-node"
        self.inet = prefix + "-inet"
        self.api_port = None
        self.kubeconfig = os.path.join(state_dir, "kubeconfig")
        self.procs = {}
        # /etc/netns itself goes at the end only when this run made it
        self.etc_made = not os.path.isdir("/etc/netns")

    # --- helpers -----------------------------------------------------------
    def in_node(self, *cmd):
        return netns_cmd(self.node) + list(cmd)

    def api_url(self):
        return "http://127.0.0.1:%d" % self.api_port

    def start(self, name, cmd, netns=None):
        logf = open(os.path.join(self.state, name + ".log"), "a")
        if netns:
            cmd = netns_cmd(netns) + cmd
        p = subprocess.Popen(cmd, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs[name] = p
        with open(os.path.join(self.state, "pids"), "a") as f:
            f.write("%d %s\n" % (p.pid, name))
        return p

    def alive(self, name):
        return self.procs[name].poll() is None

    def api(self, method, path, body=None):
        """A request to the API, made from the node's namespace (the
        server listens on the node's loopback)."""
        cmd = self.in_node("curl", "-sS", "--max-time", "5", "-X", method,
                           "-H", "Content-Type: application/json",
                           self.api_url() + path)
        if body is not None:
            cmd += ["--data-binary", json.dumps(body)]
        r = run(cmd)
        return json.loads(r.stdout) if r.stdout.strip() else None

    # --- set-up --------------------------------------------------------------
    def up(self, dns=True):
        """The node, the API server and the controllers; with dns, also the
        'internet' and nodedns."""
        os.makedirs(self.state, exist_ok=True)
        n = self.node
        run(["ip", "netns", "add", n])
        for cmd in (["link", "set", "lo", "up"],
                    ["link", "add", "br0", "type", "bridge"],
                    ["addr", "add", NODE_IP + "/24", "dev", "br0"],
                    ["link", "set", "br0", "up"],
                    ["addr", "add", DNS_IP + "/32", "dev", "lo"]):
            run(["ip", "-n", n] + cmd)
        for s in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0",
                  "net.ipv4.conf.default.send_redirects=0",
                  "net.ipv4.conf.br0.send_redirects=0"):
            run(self.in_node("sysctl", "-qw", s))
        self.log("node: netns %s, bridge br0 %s/24, cluster DNS address %s on lo"
                 % (n, NODE_IP, DNS_IP))
        if dns:
            self.up_internet()
        self.up_api()
        self.up_controllers()
        if dns:
            self.up_nodedns()

    def up_internet(self):
        i, n = self.inet, self.node
        a, b = self.prefix + "i0", self.prefix + "i1"
        run(["ip", "netns", "add", i])
        run(["ip", "-n", n, "link", "add", a, "type", "veth", "peer", "name", b, "netns", i])
        run(["ip", "-n", n, "addr", "add", INET_NODE_IP + "/30", "dev", a])
        run(["ip", "-n", n, "link", "set", a, "up"])
        for cmd in (["link", "set", "lo", "up"], ["addr", "add", INET_IP + "/30", "dev", b],
                    ["link", "set", b, "up"],
                    ["route", "add", "169.254.0.0/16", "via", INET_NODE_IP]):
            run(["ip", "-n", i] + cmd)
        d = os.path.join(self.state, "nsd")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "zone"), "w") as f:
            f.write(zone_text())
        with open(os.path.join(d, "nsd.conf"), "w") as f:
            f.write("""server:
	ip-address: %s
	port: 53
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonelistfile: "%s/zone.list"
	xfrdfile: "%s/xfrd.state"
	xfrdir: "%s"
	pidfile: "%s/nsd.pid"
	zonesdir: "%s"
	verbosity: 1
	hide-version: yes
remote-control:
	control-enable: no
zone:
	name: "example.test"
	zonefile: "zone"
""" % (INET_IP, d, d, d, d, d))
        self.start("nsd", ["nsd", "-d", "-c", os.path.join(d, "nsd.conf")], netns=i)
        poll("nsd to answer", lambda: not self.alive("nsd") and self.fail("nsd") or run(
            netns_cmd(i) + ["dig", "+short", "+time=1", "+tries=1", "@" + INET_IP,
             "www.example.test"], check=False).stdout.strip())
        self.log("internet: netns %s, nsd for example.test on %s" % (i, INET_IP))

    def fail(self, name):
        with open(os.path.join(self.state, name + ".log")) as f:
            tail = f.read()[-2000:]
        raise RuntimeError("%s exited:\n%s" % (name, tail))

    def up_api(self):
        pf = os.path.join(self.state, "api.port")
        self.start("kube-apiserver", [sys.executable,
                                      os.path.join(self.srcdir, "tests/kubeapi/kubeapi.py"),
                                      "--host", "127.0.0.1", "--port", "0", "--port-file", pf,
                                      "--service-cidr", SERVICE_CIDR, "--quiet"],
                   netns=self.node)
        poll("the API server's port file",
             lambda: not self.alive("kube-apiserver") and self.fail("kube-apiserver")
             or (os.path.exists(pf) and open(pf).read().strip()))
        self.api_port = int(open(pf).read().strip())
        with open(self.kubeconfig, "w") as f:
            f.write("""apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: {server: "%s"}
users:
- name: learner
  user: {}
contexts:
- name: lab
  context: {cluster: lab, user: learner, namespace: lab}
current-context: lab
""" % self.api_url())
        # kube-dns: a selectorless Service whose EndpointSlice is nodedns's
        # address on the node (on a real cluster: the CoreDNS pods)
        self.api("POST", "/api/v1/namespaces", {"metadata": {"name": "kube-system"}})
        self.api("POST", "/api/v1/namespaces/kube-system/services", {
            "metadata": {"name": "kube-dns", "labels": {"k8s-app": "kube-dns"}},
            "spec": {"clusterIP": KUBE_DNS_IP,
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                               {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}})
        self.api("POST", "/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices", {
            "metadata": {"name": "kube-dns-node",
                         "labels": {"kubernetes.io/service-name": "kube-dns"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [DNS_IP], "conditions": {"ready": True},
                           "nodeName": "lab-node"}],
            "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                      {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]})
        self.log("API server: %s in the node's netns (kubeconfig %s)" %
                 (self.api_url(), self.kubeconfig))

    def up_controllers(self):
        c = os.path.join(HERE, "controllers")
        api = ["--api", self.api_url()]
        self.start("kubelet", [sys.executable, "-B", os.path.join(c, "kubelet.py")] + api + [
            "--node", "lab-node", "--prefix", self.prefix, "--pod-cidr", POD_CIDR,
            "--gateway", NODE_IP, "--nameserver", KUBE_DNS_IP, "--state-dir", self.state],
            netns=self.node)
        self.start("endpointslice-controller", [sys.executable, "-B", os.path.join(c, "endpointslice.py")] + api,
                   netns=self.node)
        self.start("kube-proxy", [sys.executable, "-B", os.path.join(c, "kube_proxy.py")] + api +
                   ["--state-dir", self.state], netns=self.node)
        self.start("netpol-enforcer", [sys.executable, "-B", os.path.join(c, "netpol.py")] + api +
                   ["--node-ip", NODE_IP, "--state-dir", self.state], netns=self.node)
        poll("kube-proxy's table with the kube-dns Service", lambda: "169.254.96.10 . udp . 53"
             in run(self.in_node("nft", "list", "table", "ip", "kube-proxy"),
                    check=False).stdout)
        self.log("controllers: kubelet, endpointslice-controller, kube-proxy, netpol-enforcer")

    def up_nodedns(self):
        rc = os.path.join(self.state, "node-resolv.conf")
        with open(rc, "w") as f:
            f.write("nameserver %s\n" % INET_IP)
        self.start("nodedns", [os.path.join(self.builddir, "nodedns"),
                               "--listen", DNS_IP + ":53", "--http-listen", HTTP_LISTEN,
                               "--debug-listen", DEBUG_LISTEN,
                               "--kube-api", self.api_url(), "--upstream", INET_IP + ":53",
                               "--resolv-conf", rc, "--kube-start-jitter", "0",
                               "--threads", "1", "--allow", "169.254.0.0/16",
                               "--allow", "127.0.0.0/8"], netns=self.node)

        def ready():
            if not self.alive("nodedns"):
                self.fail("nodedns")
            r = run(self.in_node("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                 "--max-time", "1", "http://%s/ready" % HTTP_LISTEN), check=False)
            return r.stdout == "200"
        poll("nodedns /ready", ready, timeout=15)
        self.log("nodedns: cluster DNS on %s:53 (behind kube-dns %s), /metrics on %s, "
                 "/debug on %s" % (DNS_IP, KUBE_DNS_IP, HTTP_LISTEN, DEBUG_LISTEN))

    # --- the node-local cache (step 7) ---------------------------------------
    def has_node_setup(self):
        r = run([os.path.join(self.builddir, "nodedns"), "--help"], check=False)
        return "--node-local-ip" in r.stdout + r.stderr

    def start_node_local(self):
        """A second nodedns as NodeLocal DNSCache: 169.254.20.10 and the
        kube-dns ClusterIP on the node's lo (no dummy driver needed), its
        NOTRACK rules, the cluster zone from the API, other names from
        the cluster DNS."""
        rc = os.path.join(self.state, "node-resolv.conf")
        self.start("nodedns-node-local", [
            os.path.join(self.builddir, "nodedns"),
            "--node-local-ip", NODE_LOCAL_IP, "--node-local-ip", KUBE_DNS_IP,
            "--node-interface", "lo", "--node-interface-shared", "on",
            "--http-listen", LOCAL_HTTP_LISTEN, "--debug-listen", LOCAL_DEBUG_LISTEN,
            "--kube-api", self.api_url(), "--upstream", DNS_IP + ":53",
            "--resolv-conf", rc, "--kube-start-jitter", "0", "--threads", "1",
            "--allow", "169.254.0.0/16", "--allow", "127.0.0.0/8"], netns=self.node)

        def ready():
            if not self.alive("nodedns-node-local"):
                self.fail("nodedns-node-local")
            r = run(self.in_node("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                 "--max-time", "1", "http://%s/ready" % LOCAL_HTTP_LISTEN),
                    check=False)
            return r.stdout == "200" and "notrack" in run(self.in_node(
                "nft", "list", "table", "inet", "nodedns"), check=False).stdout
        poll("the node-local nodedns ready with its rules", ready, timeout=15)

    def stop_node_local(self):
        p = self.procs["nodedns-node-local"]
        p.terminate()
        p.wait(15)
        return p.returncode

    def stop_nodedns(self):
        """SIGTERM to each nodedns still running; what went wrong: an exit
        status other than 0, or a sanitizer's report in its log."""
        problems = []
        for name in ("nodedns-node-local", "nodedns"):
            p = self.procs.get(name)
            if p is None:
                continue
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    problems.append("%s did not exit within 20 s of SIGTERM" % name)
                    continue
            if p.returncode != 0:
                problems.append("%s exited with status %s" % (name, p.returncode))
            with open(os.path.join(self.state, name + ".log"), errors="replace") as f:
                text = f.read()
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                if marker in text:
                    problems.append("%s's log has '%s'" % (name, marker))
        return problems

    # --- teardown ------------------------------------------------------------
    def down(self):
        """Everything this run made, whatever state it is in."""
        mine = [n.split()[0] for n in run(["ip", "netns", "list"], check=False).stdout.splitlines()
                if n.split() and n.split()[0].startswith(self.prefix + "-")]
        pids = set()
        for ns in mine:
            for p in run(["ip", "netns", "pids", ns], check=False).stdout.split():
                pids.add(int(p))
        for p in self.procs.values():
            if p.poll() is None:
                pids.add(p.pid)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            end = time.time() + 3
            while time.time() < end and any(os.path.exists("/proc/%d" % p) and
                                            not _zombie(p) for p in pids):
                time.sleep(0.05)
        for p in self.procs.values():
            try:
                p.wait(1)
            except subprocess.TimeoutExpired:
                pass
        for ns in mine:
            run(["ip", "netns", "del", ns], check=False)
        for d in glob.glob("/etc/netns/%s-*" % self.prefix):
            shutil.rmtree(d, ignore_errors=True)
        if self.etc_made:
            try:
                os.rmdir("/etc/netns")
            except OSError:
                pass  # not empty: another user's namespaces
        return mine


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True
