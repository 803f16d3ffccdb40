#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/kubeapi/gen_cluster.py - write a synthetic cluster as a v1 List.

The output has the shape of `kubectl get namespaces,services,endpointslices
-A -o json` and loads into kubeapi.py (--state FILE, or POST /_test/load).

    gen_cluster.py --services 10000 --endpoints-per-service 10 --out big.json

Services are spread over --namespaces namespaces (default one per 100
Services). Every --headless-every'th Service is headless (its endpoints
carry hostnames, like a StatefulSet's), every --externalname-every'th is an
ExternalName Service (no slices; 0 = none), the rest are ClusterIP with an
address from 10.96.16.0 upwards. Each Service with endpoints gets
EndpointSlices of at most --slice-size endpoints; pod addresses count up
from 10.128.0.0; every --not-ready-every'th endpoint is not ready. The
output is deterministic for a given --seed.
"""

import argparse
import ipaddress
import json
import random
import sys
import uuid


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--services", type=int, required=True)
    ap.add_argument("--endpoints-per-service", type=int, default=3)
    ap.add_argument("--out", default="-", help="file to write (default: stdout)")
    ap.add_argument("--namespaces", type=int, default=0, help="default: services/100, at least 1")
    ap.add_argument("--headless-every", type=int, default=10)
    ap.add_argument("--externalname-every", type=int, default=0)
    ap.add_argument("--not-ready-every", type=int, default=10)
    ap.add_argument("--slice-size", type=int, default=100)
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timestamp", default="2024-01-01T00:00:00Z", help="creationTimestamp of all objects")
    a = ap.parse_args(argv)
    if a.services < 0 or a.endpoints_per_service < 0 or a.slice_size < 1:
        ap.error("counts must be >= 0 and --slice-size >= 1")
    nns = a.namespaces or max(1, a.services // 100)
    if a.services > (1 << 20) - 4096:
        ap.error("too many services for 10.96.0.0/12")

    rng = random.Random(a.seed)

    def uid():
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def suffix():
        return "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))

    ts = a.timestamp
    trig = ts[:-1] + ".5Z" if ts.endswith("Z") else ts
    svc_base = int(ipaddress.IPv4Address("10.96.16.0"))
    pod_base = int(ipaddress.IPv4Address("10.128.0.0"))
    out = sys.stdout if a.out == "-" else open(a.out, "w")
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    first = [True]

    def emit(obj):
        out.write("\n" if first[0] else ",\n")
        first[0] = False
        out.write(dumps(obj))

    out.write('{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":""},"items":[')
    for n in range(nns):
        name = "ns-%03d" % n
        emit({"kind": "Namespace", "apiVersion": "v1",
              "metadata": {"name": name, "uid": uid(), "creationTimestamp": ts,
                           "labels": {"kubernetes.io/metadata.name": name}},
              "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    pod = 0
    counts = {"Namespace": nns, "Service": 0, "EndpointSlice": 0, "endpoints": 0}
    for i in range(a.services):
        ns = "ns-%03d" % (i * nns // a.services)
        name = "svc-%05d" % i
        headless = a.headless_every > 0 and i % a.headless_every == a.headless_every - 1
        extname = a.externalname_every > 0 and i % a.externalname_every == a.externalname_every - 1
        svc_uid = uid()
        md = {"name": name, "namespace": ns, "uid": svc_uid, "creationTimestamp": ts,
              "labels": {"app": name}}
        if extname:
            spec = {"type": "ExternalName", "externalName": "%s.example.com" % name,
                    "sessionAffinity": "None"}
        else:
            cip = "None" if headless else str(ipaddress.IPv4Address(svc_base + i))
            spec = {"ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                              {"name": "grpc", "protocol": "TCP", "port": 9000, "targetPort": 9000}],
                    "selector": {"app": name}, "clusterIP": cip, "clusterIPs": [cip],
                    "type": "ClusterIP", "sessionAffinity": "None", "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"}
        emit({"kind": "Service", "apiVersion": "v1", "metadata": md, "spec": spec,
              "status": {"loadBalancer": {}}})
        counts["Service"] += 1
        if extname:
            continue
        rs = suffix()
        for s0 in range(0, a.endpoints_per_service, a.slice_size):
            eps = []
            for j in range(s0, min(a.endpoints_per_service, s0 + a.slice_size)):
                ready = not (a.not_ready_every > 0 and pod % a.not_ready_every == a.not_ready_every - 1)
                pname = "%s-%d" % (name, j) if headless else "%s-%s-%d" % (name, rs, j)
                ep = {"addresses": [str(ipaddress.IPv4Address(pod_base + pod))],
                      "conditions": {"ready": ready, "serving": ready, "terminating": False}}
                if headless:
                    ep["hostname"] = pname
                ep["targetRef"] = {"kind": "Pod", "namespace": ns, "name": pname, "uid": uid()}
                ep["nodeName"] = "node-%03d" % (pod % a.nodes)
                eps.append(ep)
                pod += 1
            labels = {"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                      "kubernetes.io/service-name": name, "app": name}
            if headless:
                labels["service.kubernetes.io/headless"] = ""
            emit({"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                  "metadata": {"name": "%s-%s" % (name, suffix()), "generateName": name + "-",
                               "namespace": ns, "uid": uid(), "creationTimestamp": ts,
                               "labels": labels,
                               "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": trig},
                               "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": name,
                                                    "uid": svc_uid, "controller": True,
                                                    "blockOwnerDeletion": True}]},
                  "addressType": "IPv4", "endpoints": eps,
                  "ports": [{"name": "http", "protocol": "TCP", "port": 8080},
                            {"name": "grpc", "protocol": "TCP", "port": 9000}]})
            counts["EndpointSlice"] += 1
            counts["endpoints"] += len(eps)
    out.write("\n]}\n")
    if out is not sys.stdout:
        out.close()
    sys.stderr.write("gen_cluster: %(Namespace)d namespaces, %(Service)d services, "
                     "%(EndpointSlice)d endpointslices, %(endpoints)d endpoints\n" % counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
