# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""The lab's kubelet (and its CNI plugin): for every Pod it makes a network
namespace joined to the node's bridge by a veth, gives it an address from
the pod range and the resolv.conf a kubelet writes (ClusterFirst), starts
the pod's process there, probes its readiness and writes the Pod's status
(phase, podIP, conditions Ready, containerStatuses). A deleted Pod loses its
process, namespace and address.

Runs inside the node's network namespace. Pod addresses are /32 with the
bridge's address as gateway, so all pod traffic, pod to pod too, is routed
by the node: kube-proxy's DNAT and conntrack see both directions of every
flow (a CNI in routed mode; a plain L2 bridge would need br_netfilter)."""

import argparse
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kapi  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--api", required=True)
ap.add_argument("--node", required=True, help="the node's name (spec.nodeName)")
ap.add_argument("--prefix", required=True, help="netns and veth names start with this")
ap.add_argument("--bridge", default="br0")
ap.add_argument("--pod-cidr", required=True)
ap.add_argument("--gateway", required=True)
ap.add_argument("--nameserver", required=True, help="resolv.conf's nameserver")
ap.add_argument("--cluster-domain", default="cluster.local")
ap.add_argument("--state-dir", required=True)
args = ap.parse_args()

WHO = "kubelet"
HERE = os.path.dirname(os.path.abspath(__file__))
client = kapi.Client(args.api)
loop = kapi.Loop(WHO, resync=0.5)
pods_inf = kapi.Informer(client, "Pod", loop.wake, WHO)

net = ipaddress.IPv4Network(args.pod_cidr)
running = {}   # ns/name -> dict(netns, veth, ip, proc, uid, ready)
used_ips = set()
serial = [0]


def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


def alloc_ip():
    for h in list(net.hosts())[9:]:
        if str(h) not in used_ips and str(h) != args.gateway:
            used_ips.add(str(h))
            return str(h)
    raise RuntimeError("pod range %s is full" % net)


def resolv_conf(pod):
    """What kubelet writes for the pod's dnsPolicy (ClusterFirst, or None)
    and dnsConfig (nameservers, searches and options added or replaced)."""
    spec = pod.get("spec") or {}
    ns = pod["metadata"].get("namespace", "default")
    d = args.cluster_domain
    cfg = spec.get("dnsConfig") or {}
    if spec.get("dnsPolicy") == "None":
        servers, search, opts = [], [], {}
    else:
        servers = [args.nameserver]
        search = ["%s.svc.%s" % (ns, d), "svc." + d, d]
        opts = {"ndots": "5"}
    servers += [x for x in cfg.get("nameservers") or [] if x not in servers]
    search += [x for x in cfg.get("searches") or [] if x not in search]
    for o in cfg.get("options") or []:
        opts[o["name"]] = o.get("value")
    text = ""
    if search:
        text += "search %s\n" % " ".join(search)
    text += "".join("nameserver %s\n" % x for x in servers[:3])
    if opts:
        text += "options %s\n" % " ".join(k if v is None else "%s:%s" % (k, v)
                                         for k, v in opts.items())
    return text


def start_pod(pod):
    md, spec = pod["metadata"], pod.get("spec") or {}
    k = kapi.key(pod)
    serial[0] += 1
    netns = "%s-%s" % (args.prefix, md["name"])[:60]
    veth = ("%sv%d" % (args.prefix, serial[0]))[-15:]
    ip = alloc_ip()
    sh("ip", "netns", "add", netns)
    sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
    sh("ip", "link", "set", veth, "master", args.bridge, "up")
    for cmd in (["link", "set", "lo", "up"], ["addr", "add", ip + "/32", "dev", "eth0"],
                ["link", "set", "eth0", "up"],
                ["route", "add", args.gateway, "dev", "eth0", "scope", "link"],
                ["route", "add", "default", "via", args.gateway, "dev", "eth0"]):
        sh("ip", "-n", netns, *cmd)
    sh("ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv4.conf.all.accept_redirects=0")
    etc = "/etc/netns/" + netns
    os.makedirs(etc, exist_ok=True)
    with open(etc + "/resolv.conf", "w") as f:
        f.write(resolv_conf(pod))
    c = (spec.get("containers") or [{}])[0]
    cmd = ["ip", "netns", "exec", netns, sys.executable, os.path.join(HERE, "podproc.py"),
           "--name", md["name"]]
    if c.get("image", "").startswith("lab/backend"):
        port = ((c.get("ports") or [{}])[0]).get("containerPort", 8080)
        cmd += ["--http", str(port)]
    logf = open(os.path.join(args.state_dir, "pod-%s-%s.log" % (md.get("namespace"), md["name"])), "a")
    proc = subprocess.Popen(cmd, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    running[k] = {"netns": netns, "veth": veth, "ip": ip, "proc": proc,
                  "uid": md.get("uid"), "ready": None, "started": time.time()}
    kapi.log(WHO, "pod %s: netns %s, %s on %s, pid %d" % (k, netns, ip, veth, proc.pid))


def stop_pod(k):
    r = running.pop(k)
    if r["proc"].poll() is None:
        r["proc"].terminate()
        try:
            r["proc"].wait(5)
        except subprocess.TimeoutExpired:
            r["proc"].kill()
            r["proc"].wait()
    subprocess.run(["ip", "netns", "del", r["netns"]], capture_output=True)
    shutil.rmtree("/etc/netns/" + r["netns"], ignore_errors=True)
    used_ips.discard(r["ip"])
    kapi.log(WHO, "pod %s stopped, netns %s deleted" % (k, r["netns"]))


def probe(pod, r):
    """The readiness probe (httpGet only), from the node as kubelet probes."""
    if r["proc"].poll() is not None:
        return False
    c = ((pod.get("spec") or {}).get("containers") or [{}])[0]
    p = (c.get("readinessProbe") or {}).get("httpGet")
    if not p:
        return True
    port = p.get("port")
    if isinstance(port, str):
        port = next((cp["containerPort"] for cp in c.get("ports") or []
                     if cp.get("name") == port), None)
    try:
        with urllib.request.urlopen("http://%s:%s%s" % (r["ip"], port, p.get("path", "/")),
                                    timeout=0.5) as resp:
            return 200 <= resp.status < 400
    except Exception:
        return False


def write_status(pod, r, ready):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    alive = r["proc"].poll() is None
    obj = dict(pod)
    md = dict(obj["metadata"])
    ann = dict(md.get("annotations") or {})
    ann["lab.nodedns.io/netns"] = r["netns"]
    ann["lab.nodedns.io/veth"] = r["veth"]
    md["annotations"] = ann
    obj["metadata"] = md
    spec = dict(obj.get("spec") or {})
    spec["nodeName"] = args.node
    obj["spec"] = spec
    c = (spec.get("containers") or [{}])[0]
    st = "True" if ready else "False"
    obj["status"] = {
        "phase": "Running" if alive else "Failed",
        "hostIP": args.gateway, "podIP": r["ip"], "podIPs": [{"ip": r["ip"]}],
        "conditions": [{"type": "Initialized", "status": "True"},
                       {"type": "Ready", "status": st, "lastTransitionTime": now},
                       {"type": "ContainersReady", "status": st},
                       {"type": "PodScheduled", "status": "True"}],
        "containerStatuses": [{"name": c.get("name", "main"), "image": c.get("image", ""),
                               "ready": ready, "restartCount": 0, "started": alive,
                               "state": {"running": {}} if alive else
                               {"terminated": {"exitCode": r["proc"].returncode}}}],
    }
    try:
        client.replace("Pod", md.get("namespace"), md["name"], obj)
    except kapi.ApiError as e:
        if e.code != 409:   # 409: changed meanwhile; the next round writes again
            raise


def reconcile():
    want = {kapi.key(p): p for p in pods_inf.items()
            if (p.get("spec") or {}).get("nodeName") in (None, "", args.node)}
    for k in list(running):
        if k not in want or want[k]["metadata"].get("uid") != running[k]["uid"]:
            stop_pod(k)
    for k, pod in want.items():
        if k not in running:
            start_pod(pod)
        r = running[k]
        ready = probe(pod, r)
        st = pod.get("status") or {}
        if (ready != kapi.pod_ready(pod) or st.get("podIP") != r["ip"]
                or (st.get("phase") == "Running") != (r["proc"].poll() is None)):
            write_status(pod, r, ready)
            if ready != r["ready"]:
                kapi.log(WHO, "pod %s ready=%s" % (k, ready))
            r["ready"] = ready


def on_term(*_):
    for k in list(running):
        stop_pod(k)
    sys.exit(0)


signal.signal(signal.SIGTERM, on_term)
threading.current_thread().name = WHO
loop.run(reconcile, [pods_inf])
