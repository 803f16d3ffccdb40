# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""The lab's NetworkPolicy enforcer (the part of a CNI that enforces
policy), for networking.k8s.io/v1 NetworkPolicies: podSelector,
policyTypes, ingress `from` and egress `to` peers (podSelector,
namespaceSelector, both, ipBlock with except), ports (number or a named
port of the selected pod, protocol, endPort).

Where the rules go, and why:
- Ingress: table `inet lab-netpol` in the pod's own network namespace,
  hook input. The packet there is already translated by kube-proxy (its
  destination is the pod), so it matches as a real CNI matches.
- Egress: table `inet lab-netpol` in the node's network namespace, hooks
  forward and input, one chain per pod selected by the pod's address (the
  kubelet sets it, and a pod cannot change it: not the veth, which a
  packet that crossed the bridge no longer names when br_netfilter is
  loaded). That is
  after kube-proxy's DNAT, as Calico or Cilium match egress: a rule that
  allows the backend pods allows traffic sent to their Service's
  ClusterIP, and DNS sent to the kube-dns ClusterIP arrives as traffic to
  the DNS server's address.
The node (the kubelet's probes) may always reach its pods, as most CNIs
allow; flows already established stay allowed. Runs in the node's netns."""

import argparse
import ipaddress
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kapi  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--api", required=True)
ap.add_argument("--node-ip", required=True, help="the node's address on the pods' bridge")
ap.add_argument("--state-dir", required=True)
args = ap.parse_args()

WHO = "netpol-enforcer"
client = kapi.Client(args.api)
loop = kapi.Loop(WHO)
pols = kapi.Informer(client, "NetworkPolicy", loop.wake, WHO)
pods = kapi.Informer(client, "Pod", loop.wake, WHO)
nss = kapi.Informer(client, "Namespace", loop.wake, WHO)
written = {}  # netns -> text (pod ingress tables, and "" for the node's)


def ns_labels(name):
    for n in nss.items():
        if n["metadata"]["name"] == name:
            labels = dict(n["metadata"].get("labels") or {})
            labels.setdefault("kubernetes.io/metadata.name", name)
            return labels
    return {"kubernetes.io/metadata.name": name}


def policy_types(spec):
    t = spec.get("policyTypes")
    if t:
        return t
    return ["Ingress"] + (["Egress"] if spec.get("egress") else [])


def peer_match(peer, policy_ns):
    """nft match text for one peer (source or destination), or None when
    it matches nothing; "" for any address."""
    if "ipBlock" in peer:
        b = peer["ipBlock"]
        net = ipaddress.ip_network(b["cidr"], strict=False)
        if net.version != 4:
            return None
        exc = [e for e in b.get("except") or [] if ":" not in e]
        m = "%%s %s" % net
        if exc:
            m += " %%s != { %s }" % ", ".join(exc)
        return m
    ips = []
    for p in pods.items():
        pns = p["metadata"].get("namespace")
        ip = (p.get("status") or {}).get("podIP")
        if not ip:
            continue
        if "namespaceSelector" in peer:
            if not kapi.labels_match(peer["namespaceSelector"], ns_labels(pns)):
                continue
        elif pns != policy_ns:
            continue
        if not kapi.labels_match(peer.get("podSelector") or {}, p["metadata"].get("labels")):
            continue
        ips.append(ip)
    if not ips:
        return None
    return "%%s { %s }" % ", ".join(sorted(ips))


def port_matches(ports, pod):
    """nft matches for a rule's ports ([""] for any port)."""
    if not ports:
        return [""]
    out = []
    for p in ports:
        proto = p.get("protocol", "TCP").lower()
        port = p.get("port")
        if port is None:
            out.append("meta l4proto %s" % proto)
            continue
        if isinstance(port, str) and not port.isdigit():
            c = ((pod or {}).get("spec") or {}).get("containers") or []
            port = next((cp["containerPort"] for x in c for cp in x.get("ports") or []
                         if cp.get("name") == port), None)
            if port is None:
                continue
        rng = "%s-%s" % (port, p["endPort"]) if p.get("endPort") else str(port)
        out.append("%s dport %s" % (proto, rng))
    return out


def rules_for(pod, direction):
    """(isolated, [accept rule texts]) of the pod for Ingress or Egress."""
    ns = pod["metadata"].get("namespace")
    isolated, rules = False, []
    field, peers_key, addr = (("ingress", "from", "ip saddr") if direction == "Ingress"
                              else ("egress", "to", "ip daddr"))
    for pol in pols.items():
        spec = pol.get("spec") or {}
        if pol["metadata"].get("namespace") != ns or direction not in policy_types(spec):
            continue
        if not kapi.labels_match(spec.get("podSelector") or {}, pod["metadata"].get("labels")):
            continue
        isolated = True
        name = pol["metadata"]["name"]
        for rule in spec.get(field) or []:
            peers = rule.get(peers_key)
            matches = [""] if not peers else [m for m in (peer_match(p, ns) for p in peers)
                                              if m is not None]
            for m in matches:
                am = m.replace("%s", addr) if m else ""
                for pm in port_matches(rule.get("ports"), pod if direction == "Ingress" else None):
                    rules.append("%s %s accept comment \"%s\"" % (am, pm, name))
    return isolated, rules


def chain_body(isolated, rules):
    if not isolated:
        return ["accept"]
    return ["ct state established,related accept"] + [r.strip() for r in rules] + \
        ["counter drop comment \"denied by NetworkPolicy\""]


def apply(netns, text):
    if written.get(netns) == text:
        return
    full = "table inet lab-netpol {}\ndelete table inet lab-netpol\n" + text
    cmd = ["nft", "-f", "-"] if netns == "" else ["ip", "netns", "exec", netns, "nft", "-f", "-"]
    r = subprocess.run(cmd, input=full, capture_output=True, text=True)
    if r.returncode != 0:
        kapi.log(WHO, "nft refused rules for %s: %s" % (netns or "the node", r.stderr.strip()))
        return
    written[netns] = text
    kapi.log(WHO, "rules written in %s" % (netns or "the node"))


def reconcile():
    egress_chains, egress_jumps = [], []
    live = set()
    for pod in sorted(pods.items(), key=kapi.key):
        ann = pod["metadata"].get("annotations") or {}
        netns = ann.get("lab.nodedns.io/netns")
        if not netns or not (pod.get("status") or {}).get("podIP"):
            continue
        live.add(netns)
        iso, rules = rules_for(pod, "Ingress")
        body = ["iif lo accept", "ip saddr %s accept comment \"the node (kubelet probes)\"" %
                args.node_ip] if iso else []
        body += chain_body(iso, rules)
        apply(netns, "table inet lab-netpol {\n\tchain ingress {\n\t\ttype filter hook input "
              "priority filter; policy accept;\n%s\n\t}\n}\n" %
              "\n".join("\t\t" + b for b in body))
        iso, rules = rules_for(pod, "Egress")
        if iso:
            name = "egress-%s/%s" % (pod["metadata"]["namespace"], pod["metadata"]["name"])
            egress_chains.append("\tchain %s {\n%s\n\t}" % (
                name, "\n".join("\t\t" + b for b in chain_body(iso, rules))))
            egress_jumps.append("ip saddr %s goto %s" % (pod["status"]["podIP"], name))
    hooks = "".join("\tchain %s {\n\t\ttype filter hook %s priority filter; policy accept;\n%s\t}\n"
                    % (c, c, "".join("\t\t%s\n" % j for j in egress_jumps))
                    for c in ("forward", "input"))
    apply("", "table inet lab-netpol {\n%s%s\n}\n" % (hooks, "\n".join(egress_chains)))
    for netns in list(written):
        if netns and netns not in live:
            del written[netns]


loop.run(reconcile, [pols, pods, nss])
