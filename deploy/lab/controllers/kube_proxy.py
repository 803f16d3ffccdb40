# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""The lab's kube-proxy, nftables mode: from Services and EndpointSlices it
writes table `ip kube-proxy` in the node's network namespace, named and
shaped as kube-proxy's own nftables mode writes it:

  map service-ips  ClusterIP . protocol . port : goto service-HASH-ns/name/proto/port
  chain service-…  numgen random mod N vmap { i : goto endpoint-… }
  chain endpoint-… dnat to POD-IP:TARGET-PORT
  map no-endpoint-services  ClusterIP . protocol . port : goto reject-chain

(only ready endpoints are used; a Service without any is rejected, so a
client sees "connection refused" at once.) The whole table is replaced in
one nft transaction when it changes. When a UDP endpoint goes away its
conntrack entries are deleted, as kube-proxy does, or a client would keep
talking to the old one. Runs inside the node's network namespace."""

import argparse
import base64
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kapi  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--api", required=True)
ap.add_argument("--state-dir", required=True)
args = ap.parse_args()

WHO = "kube-proxy"
client = kapi.Client(args.api)
loop = kapi.Loop(WHO)
svcs = kapi.Informer(client, "Service", loop.wake, WHO)
slices = kapi.Informer(client, "EndpointSlice", loop.wake, WHO)
last = {"text": None, "udp_eps": set()}


def h(s):
    return base64.b32encode(hashlib.sha256(s.encode()).digest())[:8].decode()


def ruleset():
    """The table's text and the set of (ip, port) UDP endpoints in use."""
    by_svc = {}
    for s in slices.items():
        name = (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
        if name and s.get("addressType", "IPv4") == "IPv4":
            by_svc.setdefault((s["metadata"]["namespace"], name), []).append(s)
    svc_elems, noep_elems, chains, udp_eps = [], [], [], set()
    for svc in sorted(svcs.items(), key=kapi.key):
        md, spec = svc["metadata"], svc.get("spec") or {}
        cip = spec.get("clusterIP")
        if not cip or cip == "None" or ":" in cip:
            continue
        ns, name = md["namespace"], md["name"]
        for sp in spec.get("ports") or []:
            proto = sp.get("protocol", "TCP").lower()
            pname = sp.get("name") or str(sp["port"])
            eps = []
            for sl in by_svc.get((ns, name), []):
                port = next((p.get("port") for p in sl.get("ports") or []
                             if (p.get("name") or "") == (sp.get("name") or "")), None)
                if port is None:
                    continue
                for e in sl.get("endpoints") or []:
                    if (e.get("conditions") or {}).get("ready", True):
                        eps += [(a, port) for a in e.get("addresses") or []]
            eps = sorted(set(eps))
            base = "%s/%s/%s/%s" % (ns, name, proto, pname)
            key = "%s . %s . %d" % (cip, proto, sp["port"])
            if not eps:
                noep_elems.append("%s : goto reject-chain" % key)
                continue
            sch = "service-%s-%s" % (h(base), base)
            svc_elems.append("%s : goto %s" % (key, sch))
            vm = []
            for i, (a, port) in enumerate(eps):
                ech = "endpoint-%s-%s__%s/%d" % (h(base + a + str(port)), base, a, port)
                vm.append("%d : goto %s" % (i, ech))
                chains.append("\tchain %s {\n\t\tip saddr %s jump mark-for-masquerade\n"
                              "\t\tmeta l4proto %s dnat to %s:%d\n\t}" % (ech, a, proto, a, port))
                if proto == "udp":
                    udp_eps.add((a, port))
            chains.append("\tchain %s {\n\t\tnumgen random mod %d vmap { %s }\n\t}" %
                          (sch, len(eps), ", ".join(vm)))
    elems = lambda l: ("\t\telements = { %s }\n" % ", ".join(l)) if l else ""  # noqa: E731
    text = """table ip kube-proxy {
	comment "rules for kube-proxy (the nodedns lab's)"
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
%s	}
	map no-endpoint-services {
		type ipv4_addr . inet_proto . inet_service : verdict
%s	}
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}
	chain nat-output {
		type nat hook output priority -100; policy accept;
		jump services
	}
	chain nat-postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		jump masquerading
	}
	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
	}
	chain filter-forward {
		type filter hook forward priority -110; policy accept;
		ip daddr . meta l4proto . th dport vmap @no-endpoint-services
	}
	chain filter-output {
		type filter hook output priority -110; policy accept;
		ip daddr . meta l4proto . th dport vmap @no-endpoint-services
	}
	chain reject-chain {
		comment "helper for @no-endpoint-services"
		reject
	}
	chain mark-for-masquerade {
		mark set mark or 0x4000
	}
	chain masquerading {
		mark and 0x4000 == 0 return
		mark set mark xor 0x4000
		masquerade fully-random
	}
%s
}
""" % (elems(svc_elems), elems(noep_elems), "\n".join(chains))
    return text, udp_eps


def reconcile():
    text, udp_eps = ruleset()
    if text == last["text"]:
        return
    full = "table ip kube-proxy {}\ndelete table ip kube-proxy\n" + text
    r = subprocess.run(["nft", "-f", "-"], input=full, capture_output=True, text=True)
    if r.returncode != 0:
        kapi.log(WHO, "nft refused the table: %s" % r.stderr.strip())
        with open(os.path.join(args.state_dir, "kube-proxy-refused.nft"), "w") as f:
            f.write(full)
        return
    for a, port in last["udp_eps"] - udp_eps:
        subprocess.run(["conntrack", "-D", "-p", "udp", "--reply-src", a,
                        "--reply-port-src", str(port)], capture_output=True)
    last["text"], last["udp_eps"] = text, udp_eps
    kapi.log(WHO, "table ip kube-proxy written: %d service ports" % text.count(": goto service-"))
    with open(os.path.join(args.state_dir, "kube-proxy.nft"), "w") as f:
        f.write(text)


loop.run(reconcile, [svcs, slices])
