# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""The lab's EndpointSlice controller (and the Endpoints controller, whose
v1 Endpoints `kubectl describe svc` reads): for every Service with a selector,
one EndpointSlice ("<service>-lab") listing the Pods the selector picks
that have an address, each with conditions.ready from the Pod's Ready
condition and the Service's ports resolved to the Pods' target ports (a
named targetPort is looked up in the containers' ports). Selectorless
Services are left alone: their slices are written by hand (the lab's
kube-dns is one)."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kapi  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--api", required=True)
args = ap.parse_args()

WHO = "endpointslice-controller"
MANAGER = "endpointslice-controller.lab.nodedns.io"
client = kapi.Client(args.api)
loop = kapi.Loop(WHO)
svcs = kapi.Informer(client, "Service", loop.wake, WHO)
pods = kapi.Informer(client, "Pod", loop.wake, WHO)
slices = kapi.Informer(client, "EndpointSlice", loop.wake, WHO)
endpoints = kapi.Informer(client, "Endpoints", loop.wake, WHO)


def target_port(sp, pod):
    tp = sp.get("targetPort", sp.get("port"))
    if isinstance(tp, int) or (isinstance(tp, str) and tp.isdigit()):
        return int(tp)
    for c in (pod.get("spec") or {}).get("containers") or []:
        for cp in c.get("ports") or []:
            if cp.get("name") == tp:
                return cp.get("containerPort")
    return None


def desired(svc, pod_list):
    md, spec = svc["metadata"], svc.get("spec") or {}
    ns = md.get("namespace")
    sel = spec.get("selector") or {}
    picked = [p for p in pod_list if p["metadata"].get("namespace") == ns
              and kapi.labels_match({"matchLabels": sel}, p["metadata"].get("labels"))
              and (p.get("status") or {}).get("podIP")
              and not p["metadata"].get("deletionTimestamp")]
    picked.sort(key=lambda p: p["metadata"]["name"])
    eps = []
    for p in picked:
        ready = kapi.pod_ready(p)
        eps.append({"addresses": [p["status"]["podIP"]],
                    "conditions": {"ready": ready, "serving": ready, "terminating": False},
                    "nodeName": (p.get("spec") or {}).get("nodeName"),
                    "targetRef": {"kind": "Pod", "namespace": ns,
                                  "name": p["metadata"]["name"],
                                  "uid": p["metadata"].get("uid")}})
    ports = []
    for sp in spec.get("ports") or []:
        port = next((target_port(sp, p) for p in picked if target_port(sp, p)), None)
        if port is None and picked:
            continue
        if port is None:
            tp = sp.get("targetPort", sp.get("port"))
            port = tp if isinstance(tp, int) else None
        e = {"name": sp.get("name", ""), "protocol": sp.get("protocol", "TCP")}
        if port is not None:
            e["port"] = port
        ports.append(e)
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": md["name"] + "-lab", "namespace": ns,
                         "labels": {"kubernetes.io/service-name": md["name"],
                                    "endpointslice.kubernetes.io/managed-by": MANAGER}},
            "addressType": "IPv4", "endpoints": eps, "ports": ports}


def summary(s):
    """What this controller decides, without the server's defaults."""
    eps = [(tuple(e.get("addresses") or []), bool((e.get("conditions") or {}).get("ready")),
            (e.get("targetRef") or {}).get("name")) for e in s.get("endpoints") or []]
    ports = [(p.get("name") or "", p.get("protocol") or "TCP", p.get("port"))
             for p in s.get("ports") or []]
    return eps, ports


def same(a, b):
    return summary(a) == summary(b)


def endpoints_of(sl):
    """The v1 Endpoints object the same selection gives."""
    md = sl["metadata"]
    name = md["labels"]["kubernetes.io/service-name"]
    ready, not_ready = [], []
    for e in sl["endpoints"]:
        a = {"ip": e["addresses"][0], "nodeName": e.get("nodeName"), "targetRef": e["targetRef"]}
        (ready if e["conditions"]["ready"] else not_ready).append(a)
    subset = {}
    if ready:
        subset["addresses"] = ready
    if not_ready:
        subset["notReadyAddresses"] = not_ready
    if subset:
        subset["ports"] = [p for p in sl["ports"] if "port" in p]
    return {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": name, "namespace": md["namespace"]},
            "subsets": [subset] if subset else []}


def sync_endpoints(ep):
    k = kapi.key(ep)
    cur = next((e for e in endpoints.items() if kapi.key(e) == k), None)
    if cur is None:
        client.create("Endpoints", ep["metadata"]["namespace"], ep)
    elif (cur.get("subsets") or []) != ep["subsets"]:
        ep["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
        client.replace("Endpoints", ep["metadata"]["namespace"], ep["metadata"]["name"], ep)


def reconcile():
    pod_list = pods.items()
    have = {kapi.key(s): s for s in slices.items()
            if (s["metadata"].get("labels") or {}).get(
                "endpointslice.kubernetes.io/managed-by") == MANAGER}
    wanted = set()
    for svc in svcs.items():
        spec = svc.get("spec") or {}
        if not spec.get("selector") or spec.get("type") == "ExternalName":
            continue
        d = desired(svc, pod_list)
        k = kapi.key(d)
        wanted.add(k)
        ns = d["metadata"]["namespace"]
        sync_endpoints(endpoints_of(d))
        cur = have.get(k)
        if cur is None:
            client.create("EndpointSlice", ns, d)
            kapi.log(WHO, "created %s: %d endpoints" % (k, len(d["endpoints"])))
        elif not same(cur, d):
            d["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
            client.replace("EndpointSlice", ns, d["metadata"]["name"], d)
            kapi.log(WHO, "updated %s: %s" % (k, ", ".join(
                "%s ready=%s" % (e["addresses"][0], e["conditions"]["ready"])
                for e in d["endpoints"]) or "no endpoints"))
    for k, s in have.items():
        if k not in wanted:
            client.delete("EndpointSlice", s["metadata"]["namespace"], s["metadata"]["name"])
            client.delete("Endpoints", s["metadata"]["namespace"],
                          s["metadata"]["labels"]["kubernetes.io/service-name"])
            kapi.log(WHO, "deleted %s" % k)


loop.run(reconcile, [svcs, pods, slices])
