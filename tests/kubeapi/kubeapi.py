#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/kubeapi/kubeapi.py - the project's test Kubernetes API server.

A small in-memory API server, standard library only, that speaks enough of
the real protocol for the real kubectl and for nodedns' API transport:
discovery, list (limit/continue, label and field selectors, Table output for
kubectl), get, watch (chunked streams, bookmarks, 410 on a too-old
resourceVersion), minimal create/replace/patch/delete, bearer tokens, TLS,
gzip, and a control interface under /_test/ that tests use to change the
cluster, cut watch streams, compact history, inject faults and take the
server down. README.md in this folder documents the control interface.

Kinds served: v1 Namespace, Service, Endpoints, Pod and discovery.k8s.io/v1
EndpointSlice (Namespace, Service and EndpointSlice get the defaults a real
cluster fills in; Endpoints and Pod are stored as given).
"""

import argparse
import base64
import bisect
import collections
import copy
import datetime
import gzip
import io
import ipaddress
import json
import os
import random
import re
import select
import signal
import socket
import ssl
import string
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SERVER_VERSION = "v1.28.0"
GZIP_MIN = 128 * 1024          # the real server compresses bodies above 128 KiB
SNAPSHOT_TTL = 300.0           # continue tokens expire like etcd compaction (5 min)
SNAPSHOT_MAX = 256
TOO_LARGE_WAIT = 3.0           # a real server waits 3 s for a future resourceVersion
REQUEST_LOG_MAX = 2000


def jdump(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_rfc3339_nano():
    """time.RFC3339Nano as Go prints it: trailing zeros of the fraction dropped."""
    t = datetime.datetime.now(datetime.timezone.utc)
    frac = ("%06d" % t.microsecond).rstrip("0")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z"


def parse_rfc3339(s):
    try:
        s = s.replace("Z", "+00:00")
        return datetime.datetime.fromisoformat(s).timestamp()
    except (ValueError, AttributeError, TypeError):
        return None


def human_duration(secs):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    secs = int(max(0, secs))
    if secs < 60 * 2:
        return "%ds" % secs
    mins = secs // 60
    if mins < 10:
        s = secs % 60
        return "%dm%ds" % (mins, s) if s else "%dm" % mins
    if mins < 60 * 3:
        return "%dm" % mins
    hours = secs // 3600
    if hours < 8:
        m = mins % 60
        return "%dh%dm" % (hours, m) if m else "%dh" % hours
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        return "%dd%dh" % (hours // 24, h) if h else "%dd" % (hours // 24)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        d = (hours // 24) % 365
        return "%dy%dd" % (hours // 24 // 365, d) if d else "%dy" % (hours // 24 // 365)
    return "%dy" % (hours // 24 // 365)


# --- kinds -------------------------------------------------------------------


class Kind:
    def __init__(self, kind, group, version, plural, singular, namespaced,
                 short=(), categories=(), order=9):
        self.kind = kind
        self.group = group
        self.version = version
        self.api_version = version if not group else group + "/" + version
        self.plural = plural
        self.singular = singular
        self.namespaced = namespaced
        self.short = list(short)
        self.categories = list(categories)
        self.order = order
        self.list_kind = kind + "List"
        self.prefix = ('{"kind":"%s","apiVersion":"%s",' % (kind, self.api_version)).encode()
        # a "group resource" as error messages spell it
        self.gr = plural if not group else plural + "." + group

    def resource(self):
        r = {"name": self.plural, "singularName": self.singular,
             "namespaced": self.namespaced, "kind": self.kind,
             "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
        if self.short:
            r["shortNames"] = self.short
        if self.categories:
            r["categories"] = self.categories
        return r


KINDS = [
    Kind("Namespace", "", "v1", "namespaces", "namespace", False, ["ns"], order=0),
    Kind("Service", "", "v1", "services", "service", True, ["svc"], ["all"], order=1),
    Kind("Endpoints", "", "v1", "endpoints", "endpoints", True, ["ep"], order=2),
    Kind("Pod", "", "v1", "pods", "pod", True, ["po"], ["all"], order=2),
    Kind("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", "endpointslice",
         True, order=3),
    Kind("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", "networkpolicy",
         True, ["netpol"], order=3),
]
KIND = {k.kind: k for k in KINDS}
KIND_BY_RES = {(k.group, k.version, k.plural): k for k in KINDS}


def kind_lookup(name):
    """A kind from its name, plural, singular or short name (any case)."""
    if not name:
        return None
    n = name.lower()
    for k in KINDS:
        if n in (k.kind.lower(), k.plural, k.singular) or n in k.short or \
                n == k.plural + "." + k.group:
            return k
    return None


# --- selectors -----------------------------------------------------------------


class BadRequest(Exception):
    pass


def split_terms(s):
    terms, depth, cur = [], 0, []
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return [t.strip() for t in terms if t.strip()]


def parse_label_selector(s):
    """Equality-, set- and existence-based requirements: [(key, op, values)]."""
    reqs = []
    if not s:
        return reqs
    for t in split_terms(s):
        m = re.match(r"^([^\s!=(),]+)\s+(in|notin)\s+\((.*)\)$", t)
        if m:
            vals = {v.strip() for v in m.group(3).split(",") if v.strip()}
            reqs.append((m.group(1), m.group(2), vals))
        elif t.startswith("!"):
            reqs.append((t[1:].strip(), "!", None))
        elif "!=" in t:
            k, v = t.split("!=", 1)
            reqs.append((k.strip(), "!=", v.strip()))
        elif "==" in t:
            k, v = t.split("==", 1)
            reqs.append((k.strip(), "=", v.strip()))
        elif "=" in t:
            k, v = t.split("=", 1)
            reqs.append((k.strip(), "=", v.strip()))
        elif re.match(r"^[^\s!=(),]+$", t):
            reqs.append((t, "exists", None))
        else:
            raise BadRequest("unable to parse requirement: %r" % t)
    return reqs


def labels_match(reqs, labels):
    for k, op, v in reqs:
        has = k in labels
        val = labels.get(k)
        if op == "=" and val != v:
            return False
        if op == "!=" and has and val == v:
            return False
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
        if op == "in" and val not in v:
            return False
        if op == "notin" and has and val in v:
            return False
    return True


def parse_field_selector(s):
    reqs = []
    if not s:
        return reqs
    for t in split_terms(s):
        if "!=" in t:
            k, v, op = *t.split("!=", 1), "!="
        elif "==" in t:
            k, v, op = *t.split("==", 1), "="
        elif "=" in t:
            k, v, op = *t.split("=", 1), "="
        else:
            raise BadRequest("invalid selector: '%s'; can't understand '%s'" % (s, t))
        k = k.strip()
        if k not in ("metadata.name", "metadata.namespace"):
            raise BadRequest('field label not supported: %s' % k)
        reqs.append((k, op, v.strip()))
    return reqs


def fields_match(reqs, entry):
    for k, op, v in reqs:
        val = entry.name if k == "metadata.name" else entry.ns
        if (op == "=") != (val == v):
            return False
    return True


class Filter:
    def __init__(self, kind, ns, lsel, fsel, raw=""):
        self.raw = raw
        self.kind = kind
        self.ns = ns
        self.lsel = lsel
        self.fsel = fsel

    def match(self, e):
        if e.kind is not self.kind:
            return False
        if self.ns and e.ns != self.ns:
            return False
        if self.lsel and not labels_match(self.lsel, e.obj["metadata"].get("labels") or {}):
            return False
        if self.fsel and not fields_match(self.fsel, e):
            return False
        return True


# --- stored objects ----------------------------------------------------------


class Entry:
    """One stored object version. obj never changes once the entry exists;
    its JSON (list item form, without kind/apiVersion) is cached."""
    __slots__ = ("kind", "obj", "ns", "name", "key", "rv", "_item")

    def __init__(self, kind, obj):
        md = obj["metadata"]
        self.kind = kind
        self.obj = obj
        self.ns = md.get("namespace", "")
        self.name = md["name"]
        self.key = self.ns + "/" + self.name if kind.namespaced else self.name
        self.rv = int(md["resourceVersion"])
        self._item = None

    def item(self):
        b = self._item
        if b is None:
            b = self._item = jdump(self.obj)
        return b

    def full(self):
        return self.kind.prefix + self.item()[1:]

    def full_obj(self):
        o = {"kind": self.kind.kind, "apiVersion": self.kind.api_version}
        o.update(self.obj)
        return o

    def with_rv(self, rv):
        o = dict(self.obj)
        o["metadata"] = dict(o["metadata"], resourceVersion=str(rv))
        return Entry(self.kind, o)


Event = collections.namedtuple("Event", "rv type entry prev")


# --service-cidr: the IPv4 range of allocated cluster IPs
SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")


class IPAlloc:
    """Service cluster IPs (10.96.0.0/12, fd00:10:96::/108) and node ports."""

    def __init__(self):
        self.used = set()
        self.v4 = int(SERVICE_CIDR.network_address)
        # a /12 (the default) wraps like the real allocator's range; a
        # smaller --service-cidr keeps its first 10 addresses for fixed IPs
        self.v4_size = min(1 << 20, SERVICE_CIDR.num_addresses)
        self.v6 = int(ipaddress.IPv6Address("fd00:10:96::"))
        # dynamic addresses from 10.96.1.0 (fixtures use 10.96.0.x)
        self.n4 = 256 if self.v4_size > 512 else 10
        self.n6 = 256
        self.ports = set()
        self.nport = 30000

    def take(self, ip):
        if ip and ip != "None":
            try:
                self.used.add(str(ipaddress.ip_address(ip)))
            except ValueError:
                pass

    def release(self, ip):
        try:
            self.used.discard(str(ipaddress.ip_address(ip)))
        except ValueError:
            pass

    def alloc(self, family):
        for _ in range(1 << 20):
            if family == "IPv6":
                ip = str(ipaddress.IPv6Address(self.v6 + self.n6))
                self.n6 = self.n6 + 1 if self.n6 < (1 << 20) - 2 else 10
            else:
                ip = str(ipaddress.IPv4Address(self.v4 + self.n4))
                self.n4 = self.n4 + 1 if self.n4 < self.v4_size - 2 else 10
            if ip not in self.used:
                self.used.add(ip)
                return ip
        raise BadRequest("service IP range exhausted")

    def alloc_port(self):
        for _ in range(2768):
            p = self.nport
            self.nport = self.nport + 1 if self.nport < 32767 else 30000
            if p not in self.ports:
                self.ports.add(p)
                return p
        raise BadRequest("node port range exhausted")


def svc_ips(obj):
    spec = obj.get("spec") or {}
    ips = list(spec.get("clusterIPs") or [])
    if spec.get("clusterIP") and spec["clusterIP"] not in ips:
        ips.append(spec["clusterIP"])
    return [i for i in ips if i and i != "None"]


def svc_node_ports(obj):
    return [p.get("nodePort") for p in (obj.get("spec") or {}).get("ports") or []
            if isinstance(p, dict) and p.get("nodePort")]


def ip_family(ip):
    try:
        return "IPv6" if ipaddress.ip_address(ip).version == 6 else "IPv4"
    except ValueError:
        return "IPv4"


MD_ORDER = ["name", "generateName", "namespace", "uid", "resourceVersion", "generation",
            "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
            "labels", "annotations", "ownerReferences", "finalizers"]


def reorder(d, order):
    out = {k: d[k] for k in order if k in d}
    for k, v in d.items():
        if k not in out:
            out[k] = v
    return out


def content_of(obj):
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


# --- the store -----------------------------------------------------------------


class Store:
    def __init__(self, history_max):
        self.cond = threading.Condition(threading.Lock())
        self.rv = 0
        self.objs = {k.kind: {} for k in KINDS}
        self.history = []          # events with rv compacted+1 .. rv, one per rv
        self.compacted = 0         # a watch from rv < compacted gets 410
        self.history_max = max(1, history_max)
        self.alloc = IPAlloc()
        self.watchers = set()
        self.snapshots = collections.OrderedDict()
        self.snap_seq = 0

    # -- all methods below run with self.cond held --

    def _emit(self, typ, entry, prev):
        self.history.append(Event(self.rv, typ, entry, prev))
        if len(self.history) > self.history_max:
            drop = len(self.history) - self.history_max
            del self.history[:drop]
            self.compacted += drop

    def compact(self):
        self.history = []
        self.compacted = self.rv
        self.snapshots.clear()

    def get(self, kind, ns, name):
        return self.objs[kind.kind].get(ns + "/" + name if kind.namespaced else name)

    def _normalize(self, kind, src, old):
        """src: a decoded object (any kind/apiVersion keys dropped). Returns the
        object as the server stores it, with resourceVersion/generation left
        for the caller."""
        # Stored objects are never mutated, so the result may share nested
        # values with src: every level changed below is copied first.
        obj = dict(src)
        obj.pop("kind", None)
        obj.pop("apiVersion", None)
        md = obj.get("metadata")
        if not isinstance(md, dict):
            md = {}
        md = dict(md)
        for k in ("managedFields", "selfLink", "resourceVersion", "generation"):
            md.pop(k, None)
        if not md.get("name"):
            if md.get("generateName"):
                md["name"] = md["generateName"] + "".join(
                    random.choice(string.ascii_lowercase + string.digits) for _ in range(5))
            else:
                raise BadRequest("metadata.name: Required value: name or generateName is required")
        if kind.namespaced:
            md["namespace"] = md.get("namespace") or "default"
        else:
            md.pop("namespace", None)
        if old is not None:
            md["uid"] = old.obj["metadata"]["uid"]
            md["creationTimestamp"] = old.obj["metadata"]["creationTimestamp"]
        else:
            md["uid"] = md.get("uid") or str(uuid.uuid4())
            md["creationTimestamp"] = md.get("creationTimestamp") or now_rfc3339()
        for k in ("labels", "annotations"):
            if k in md and not md[k]:
                del md[k]
        obj["metadata"] = md
        fn = getattr(self, "_defaults_" + kind.kind, None)
        if fn:
            fn(obj, old)
        obj["metadata"] = reorder(obj["metadata"], MD_ORDER)
        if kind.kind == "EndpointSlice":
            order = ["metadata", "addressType", "endpoints", "ports"]
        else:
            order = ["metadata", "spec", "status"]
        return reorder(obj, order)

    def _defaults_Namespace(self, obj, old):
        md = obj["metadata"]
        md["labels"] = dict(md.get("labels") or {})
        md["labels"].setdefault("kubernetes.io/metadata.name", md["name"])
        spec = dict(obj.get("spec") or {})
        spec.setdefault("finalizers", ["kubernetes"])
        obj["spec"] = spec
        status = dict(obj.get("status") or {})
        status.setdefault("phase", "Active")
        obj["status"] = status

    def _defaults_Service(self, obj, old):
        spec = obj.get("spec")
        spec = dict(spec) if isinstance(spec, dict) else {}
        obj["spec"] = spec
        oldspec = (old.obj.get("spec") or {}) if old is not None else {}
        typ = spec.setdefault("type", "ClusterIP")
        ports = []
        for p in spec.get("ports") or []:
            p = dict(p)
            p.setdefault("protocol", "TCP")
            if "port" in p:
                p.setdefault("targetPort", p["port"])
            if typ in ("NodePort", "LoadBalancer") and not p.get("nodePort"):
                oldp = [q for q in oldspec.get("ports") or []
                        if q.get("port") == p.get("port") and q.get("protocol", "TCP") == p["protocol"]
                        and q.get("nodePort")]
                p["nodePort"] = oldp[0]["nodePort"] if oldp else self.alloc.alloc_port()
                self.alloc.ports.add(p["nodePort"])
            elif p.get("nodePort"):
                self.alloc.ports.add(p["nodePort"])
            ports.append(reorder(p, ["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"]))
        if ports or "ports" in spec:
            spec["ports"] = ports
        if typ == "ExternalName":
            for k in ("clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
                if not spec.get(k):
                    spec.pop(k, None)
            if not spec.get("clusterIP"):
                spec.pop("clusterIP", None)
        else:
            if not spec.get("clusterIP") and not spec.get("clusterIPs") and oldspec.get("clusterIP"):
                spec["clusterIP"] = oldspec["clusterIP"]
                spec["clusterIPs"] = list(oldspec.get("clusterIPs") or [oldspec["clusterIP"]])
                for k in ("ipFamilies", "ipFamilyPolicy"):
                    if k not in spec and k in oldspec:
                        spec[k] = copy.deepcopy(oldspec[k])
            cip = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
            if cip == "None":
                spec["clusterIP"] = "None"
                spec["clusterIPs"] = ["None"]
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            elif cip:
                ips = list(spec.get("clusterIPs") or [cip])
                if ips[0] != cip:
                    ips.insert(0, cip)
                for ip in ips:
                    self.alloc.take(ip)
                fams = spec.get("ipFamilies") or [ip_family(i) for i in ips]
                pol = spec.get("ipFamilyPolicy") or ("SingleStack" if len(fams) == 1 else "RequireDualStack")
                if pol != "SingleStack" and len(ips) < 2:
                    fams = fams if len(fams) == 2 else [fams[0], "IPv6" if fams[0] == "IPv4" else "IPv4"]
                    ips.append(self.alloc.alloc(fams[1]))
                spec["clusterIP"] = ips[0]
                spec["clusterIPs"] = ips
                spec["ipFamilies"] = fams
                spec["ipFamilyPolicy"] = pol
            else:
                pol = spec.get("ipFamilyPolicy") or "SingleStack"
                fams = list(spec.get("ipFamilies") or [])
                if pol == "SingleStack":
                    fams = fams[:1] or ["IPv4"]
                elif len(fams) < 2:
                    first = fams[0] if fams else "IPv4"
                    fams = [first, "IPv6" if first == "IPv4" else "IPv4"]
                ips = [self.alloc.alloc(f) for f in fams]
                spec["clusterIP"] = ips[0]
                spec["clusterIPs"] = ips
                spec["ipFamilies"] = fams
                spec["ipFamilyPolicy"] = pol
            spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("sessionAffinity", "None")
        if typ in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        obj["spec"] = reorder(spec, ["ports", "selector", "clusterIP", "clusterIPs", "type",
                                     "externalName", "sessionAffinity", "ipFamilies",
                                     "ipFamilyPolicy", "internalTrafficPolicy"])
        status = obj.get("status")
        status = dict(status) if isinstance(status, dict) else {}
        status.setdefault("loadBalancer", {})
        obj["status"] = status

    def _defaults_EndpointSlice(self, obj, old):
        md = obj["metadata"]
        obj.setdefault("addressType", "IPv4")
        eps = []
        for ep in obj.get("endpoints") or []:
            ep = dict(ep)
            c = dict(ep.get("conditions") or {})
            c.setdefault("ready", True)
            c.setdefault("serving", c["ready"])
            c.setdefault("terminating", False)
            ep["conditions"] = reorder(c, ["ready", "serving", "terminating"])
            eps.append(reorder(ep, ["addresses", "conditions", "hostname", "targetRef",
                                    "nodeName", "zone"]))
        obj["endpoints"] = eps
        if "ports" in obj:
            ports = []
            for p in obj.get("ports") or []:
                p = dict(p)
                p.setdefault("protocol", "TCP")
                ports.append(reorder(p, ["name", "protocol", "port", "appProtocol"]))
            obj["ports"] = ports
        labels = dict(md.get("labels") or {})
        labels.setdefault("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
        md["labels"] = labels
        ann = dict(md.get("annotations") or {})
        trig = "endpoints.kubernetes.io/last-change-trigger-time"
        if trig not in ann:
            # unchanged endpoints keep the old trigger time, as the controller does
            oldann = (old.obj["metadata"].get("annotations") or {}) if old is not None else {}
            if old is not None and trig in oldann and content_of(obj) == content_of(old.obj):
                ann[trig] = oldann[trig]
            else:
                ann[trig] = now_rfc3339_nano()
        md["annotations"] = ann
        svc_name = labels.get("kubernetes.io/service-name")
        if svc_name and not md.get("ownerReferences"):
            svc = self.objs["Service"].get(md["namespace"] + "/" + svc_name)
            if svc is not None:
                md["ownerReferences"] = [{"apiVersion": "v1", "kind": "Service", "name": svc_name,
                                          "uid": svc.obj["metadata"]["uid"],
                                          "controller": True, "blockOwnerDeletion": True}]

    def _ensure_namespace(self, ns, events):
        if ns and ns not in self.objs["Namespace"]:
            self.apply(KIND["Namespace"], {"metadata": {"name": ns}}, events=events)

    def apply(self, kind, src, events=True, create_only=False, update_only=False, precondition=None):
        """Create or replace. Returns (op, entry): op is created, updated or
        unchanged. Emits ADDED/MODIFIED (and ADDED for a namespace created on
        the way)."""
        md = src.get("metadata") or {}
        ns = (md.get("namespace") or "default") if kind.namespaced else ""
        old = self.get(kind, ns, md.get("name") or "") if md.get("name") else None
        if create_only and old is not None:
            raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (kind.gr, old.name),
                           {"name": old.name, "group": kind.group, "kind": kind.plural})
        if update_only and old is None:
            raise ApiError(404, "NotFound", '%s "%s" not found' % (kind.gr, md.get("name")),
                           {"name": md.get("name"), "group": kind.group, "kind": kind.plural})
        if precondition and old is not None and precondition != str(old.rv):
            raise ApiError(409, "Conflict",
                           'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                           'please apply your changes to the latest version and try again'
                           % (kind.gr, old.name),
                           {"name": old.name, "group": kind.group, "kind": kind.plural})
        if kind.namespaced:
            self._ensure_namespace(ns, events)
        obj = self._normalize(kind, src, old)
        if old is not None:
            omd = old.obj["metadata"]
            gen = omd.get("generation", 1)
            cand = dict(obj)
            cmd = dict(obj["metadata"], resourceVersion=omd["resourceVersion"])
            if "generation" in omd:
                cmd["generation"] = gen
            cand["metadata"] = reorder(cmd, MD_ORDER)
            if cand == old.obj:
                return "unchanged", old
            if content_of(obj) != content_of(old.obj):
                gen += 1
        else:
            gen = 1
        if kind.kind == "Service" and old is not None:
            keep = set(svc_ips(obj))
            for ip in svc_ips(old.obj):
                if ip not in keep:
                    self.alloc.release(ip)
            keepp = set(svc_node_ports(obj))
            for p in svc_node_ports(old.obj):
                if p not in keepp:
                    self.alloc.ports.discard(p)
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        if kind.kind != "Namespace":
            obj["metadata"]["generation"] = gen
        obj["metadata"] = reorder(obj["metadata"], MD_ORDER)
        e = Entry(kind, obj)
        self.objs[kind.kind][e.key] = e
        if events:
            self._emit("MODIFIED" if old is not None else "ADDED", e, old)
        return ("updated" if old is not None else "created"), e

    def delete(self, kind, ns, name, cascade=False, events=True):
        """Delete one object (and, with cascade, what it owns: a namespace's
        objects, a Service's EndpointSlices). Returns the deleted entries."""
        old = self.get(kind, ns, name)
        if old is None:
            return []
        out = []
        if kind.kind == "Namespace":
            for k in sorted(KINDS, key=lambda k: -k.order):
                if k.namespaced:
                    for e in sorted([e for e in self.objs[k.kind].values() if e.ns == name],
                                    key=lambda e: e.key):
                        out += self.delete(k, e.ns, e.name, events=events)
        elif kind.kind == "Service" and cascade:
            for e in sorted(self.objs["EndpointSlice"].values(), key=lambda e: e.key):
                if e.ns == ns and (e.obj["metadata"].get("labels") or {}).get(
                        "kubernetes.io/service-name") == name:
                    out += self.delete(KIND["EndpointSlice"], e.ns, e.name, events=events)
        del self.objs[kind.kind][old.key]
        if kind.kind == "Service":
            for ip in svc_ips(old.obj):
                self.alloc.release(ip)
            for p in svc_node_ports(old.obj):
                self.alloc.ports.discard(p)
        self.rv += 1
        gone = old.with_rv(self.rv)
        if events:
            self._emit("DELETED", gone, old)
        out.append(gone)
        return out

    def load(self, items, reset=False):
        """Replace the whole state. reset: no events, history compacted (the
        caller cuts watches); otherwise a diff: creates, updates and deletes,
        each an event. Returns counts."""
        parsed = []
        for it in items:
            if not isinstance(it, dict):
                raise BadRequest("list item is not an object")
            k = kind_lookup(it.get("kind"))
            if k is None:
                raise BadRequest("unknown kind %r" % it.get("kind"))
            parsed.append((k, it))
        parsed.sort(key=lambda p: p[0].order)
        counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
        if reset:
            self.objs = {k.kind: {} for k in KINDS}
            self.alloc = IPAlloc()
            # register explicit addresses first so allocation never collides
            for k, it in parsed:
                if k.kind == "Service":
                    for ip in svc_ips(it):
                        self.alloc.take(ip)
                    for p in svc_node_ports(it):
                        self.alloc.ports.add(p)
        keep = set()
        for k, it in parsed:
            op, e = self.apply(k, it, events=not reset)
            counts[op] += 1
            keep.add((k.kind, e.key))
            if e.ns:
                keep.add(("Namespace", e.ns))
        if not reset:
            for k in sorted(KINDS, key=lambda k: -k.order):
                for e in sorted(self.objs[k.kind].values(), key=lambda e: e.key):
                    if (k.kind, e.key) not in keep and self.get(k, e.ns, e.name) is e:
                        counts["deleted"] += len(self.delete(k, e.ns, e.name))
        else:
            self.compact()
        return counts

    def list_entries(self, flt):
        items = [e for e in self.objs[flt.kind.kind].values() if flt.match(e)]
        items.sort(key=lambda e: e.key)
        return items

    def all_entries(self):
        out = []
        for k in sorted(KINDS, key=lambda k: k.order):
            out += sorted(self.objs[k.kind].values(), key=lambda e: e.key)
        return out


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        Exception.__init__(self, message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details


def status_obj(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason}
    if details is not None:
        s["details"] = details
    s["code"] = code
    return s


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch (also used, approximately, for strategic merge)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# --- Table output (what kubectl asks for) -----------------------------------


def col(name, desc, typ="string", fmt="", prio=0):
    return {"name": name, "type": typ, "format": fmt, "description": desc, "priority": prio}


NAME_COL = col("Name", "Name must be unique within a namespace.", fmt="name")
AGE_COL = col("Age", "CreationTimestamp is a timestamp representing the server time when this "
              "object was created.")

TABLE_COLUMNS = {
    "Service": [NAME_COL, col("Type", "type determines how the Service is exposed."),
                col("Cluster-IP", "clusterIP is the IP address of the service."),
                col("External-IP", "externalIPs is a list of IP addresses for which nodes in the "
                    "cluster will also accept traffic for this service."),
                col("Port(s)", "The list of ports that are exposed by this service."),
                AGE_COL,
                col("Selector", "Route service traffic to pods with label keys and values matching "
                    "this selector.", prio=1)],
    "EndpointSlice": [NAME_COL,
                      col("AddressType", "addressType specifies the type of address carried by "
                          "this EndpointSlice."),
                      col("Ports", "ports specifies the list of network ports exposed by each "
                          "endpoint in this slice."),
                      col("Endpoints", "endpoints is a list of unique endpoints in this slice."),
                      AGE_COL],
    "Namespace": [NAME_COL, col("Status", "The status of the namespace"), AGE_COL],
    "Pod": [NAME_COL,
            col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            col("Status", "The aggregate status of the containers in this pod."),
            col("Restarts", "The number of times the containers in this pod have been "
                "restarted.", typ="string"),
            AGE_COL,
            col("IP", "The IP address assigned to this pod.", prio=1),
            col("Node", "The name of the node this pod is scheduled on.", prio=1),
            col("Nominated Node", "The node that this pod is nominated to run on.", prio=1),
            col("Readiness Gates", "All readiness gates of this pod.", prio=1)],
    "NetworkPolicy": [NAME_COL,
                      col("Pod-Selector", "Selects the pods to which this NetworkPolicy "
                          "applies."),
                      AGE_COL],
}


def selector_text(sel):
    """A label selector as kubectl prints it ("<none>" for the empty one)."""
    sel = sel or {}
    parts = ["%s=%s" % kv for kv in sorted((sel.get("matchLabels") or {}).items())]
    for ex in sel.get("matchExpressions") or []:
        vals = ",".join(ex.get("values") or [])
        op = ex.get("operator", "")
        if op == "In":
            parts.append("%s in (%s)" % (ex.get("key"), vals))
        elif op == "NotIn":
            parts.append("%s notin (%s)" % (ex.get("key"), vals))
        elif op == "Exists":
            parts.append(ex.get("key", ""))
        else:
            parts.append("!" + ex.get("key", ""))
    return ",".join(parts) or "<none>"


def table_cells(e, now):
    o = e.obj
    created = parse_rfc3339(o["metadata"].get("creationTimestamp"))
    age = human_duration(now - created) if created else "<unknown>"
    if e.kind.kind == "Service":
        spec = o.get("spec") or {}
        typ = spec.get("type", "ClusterIP")
        cip = spec.get("clusterIP") or "<none>"
        if typ == "ExternalName":
            ext = spec.get("externalName") or "<none>"
        else:
            ips = list(spec.get("externalIPs") or [])
            if typ == "LoadBalancer":
                ing = [i.get("ip") or i.get("hostname") for i in
                       ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []]
                ips = [i for i in ing if i] + ips
                ext = ",".join(ips) if ips else "<pending>"
            else:
                ext = ",".join(ips) if ips else "<none>"
        ports = []
        for p in spec.get("ports") or []:
            s = str(p.get("port"))
            if p.get("nodePort") and typ in ("NodePort", "LoadBalancer"):
                s += ":%d" % p["nodePort"]
            ports.append(s + "/" + p.get("protocol", "TCP"))
        sel = spec.get("selector") or {}
        return [e.name, typ, cip, ext, ",".join(ports) or "<none>", age,
                ",".join("%s=%s" % kv for kv in sorted(sel.items())) or "<none>"]
    if e.kind.kind == "EndpointSlice":
        ports = [str(p["port"]) if p.get("port") is not None else "<unset>"
                 for p in o.get("ports") or []]
        addrs = [a for ep in o.get("endpoints") or [] for a in ep.get("addresses") or []]
        eps = ",".join(addrs[:3]) if addrs else "<unset>"
        if len(addrs) > 3:
            eps += " + %d more..." % (len(addrs) - 3)
        return [e.name, o.get("addressType", ""), ",".join(ports) or "<unset>", eps, age]
    if e.kind.kind == "Namespace":
        return [e.name, (o.get("status") or {}).get("phase", ""), age]
    if e.kind.kind == "Pod":
        spec = o.get("spec") or {}
        st = o.get("status") or {}
        cs = st.get("containerStatuses") or []
        ncont = len(spec.get("containers") or [])
        ready = sum(1 for c in cs if c.get("ready"))
        restarts = sum(int(c.get("restartCount") or 0) for c in cs)
        return [e.name, "%d/%d" % (ready, ncont), st.get("phase") or "Pending", str(restarts),
                age, st.get("podIP") or "<none>", spec.get("nodeName") or "<none>", "<none>",
                "<none>"]
    if e.kind.kind == "NetworkPolicy":
        return [e.name, selector_text((o.get("spec") or {}).get("podSelector")), age]
    return [e.name, age]


def table(kind, entries, include, meta):
    now = time.time()
    rows = []
    for e in entries:
        row = {"cells": table_cells(e, now)}
        if include == "Object":
            row["object"] = e.full_obj()
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": e.obj["metadata"]}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
            "columnDefinitions": TABLE_COLUMNS.get(kind.kind, [NAME_COL, AGE_COL]), "rows": rows}


# --- bookmarks: the empty typed object with only resourceVersion set --------

EMPTY_BODY = {
    "Service": {"spec": {}, "status": {"loadBalancer": {}}},
    "Namespace": {"spec": {}, "status": {}},
    "Pod": {"spec": {"containers": None}, "status": {}},
    "NetworkPolicy": {"spec": {"podSelector": {}}},
    "EndpointSlice": {"addressType": "", "endpoints": None},
    "Endpoints": {},
}


def bookmark(kind, rv, initial_end=False):
    md = {"resourceVersion": str(rv), "creationTimestamp": None}
    if initial_end:
        md["annotations"] = {"k8s.io/initial-events-end": "true"}
    o = {"kind": kind.kind, "apiVersion": kind.api_version, "metadata": md}
    o.update(EMPTY_BODY.get(kind.kind, {}))
    return {"type": "BOOKMARK", "object": o}


# --- the application -----------------------------------------------------------


class Watcher:
    def __init__(self, handler, flt, client):
        self.handler = handler
        self.flt = flt
        self.client = client
        self.cursor = 0
        self.cut = None            # None or a mode: rst, fin, end
        self.started = time.time()
        self.events = 0
        self.done = threading.Event()


class App:
    def __init__(self, args):
        self.args = args
        self.store = Store(args.history)
        self.bookmark_interval = args.bookmark_interval
        self.watch_timeout = args.watch_timeout
        self.latency_ms = 0
        self.token = args.token
        self.token_file = args.token_file
        self.version = args.server_version
        self.gzip = not args.no_gzip
        self.quiet = args.quiet
        self.down = None            # None or {"mode":..., "until": monotonic or None}
        self.down_lock = threading.Lock()
        self.up_cond = threading.Condition()
        self.hanging = 0  # requests held by down?mode=hang (under up_cond)
        self.faults = []
        self.fault_lock = threading.Lock()
        self.requests = collections.deque(maxlen=REQUEST_LOG_MAX)
        self.req_lock = threading.Lock()
        self.counters = collections.Counter()
        self.api_server = None
        self.api_thread = None
        self.control_server = None
        self.port = None
        self.ssl_ctx = None
        self.exiting = threading.Event()
        self.up_timer = None

    def log(self, msg):
        if not self.quiet:
            sys.stderr.write("%s kubeapi: %s\n" % (datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3], msg))
            sys.stderr.flush()

    def expected_token(self):
        """None: no auth. '' (file unreadable or empty): nothing is accepted."""
        if self.token_file:
            try:
                with open(self.token_file) as f:
                    return f.read().strip()
            except OSError:
                return ""
        return self.token

    # -- listener management (for down mode "refuse") --

    def start_api_listener(self):
        srv = make_server(self, self.args.host, self.port if self.port is not None else self.args.port,
                          control=False)
        self.port = srv.server_address[1]
        self.api_server = srv
        self.api_thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                                           daemon=True, name="api-listener")
        self.api_thread.start()

    def stop_api_listener(self):
        srv, self.api_server = self.api_server, None
        if srv is not None:
            srv.shutdown()
            srv.server_close()

    def cut_watches(self, mode="rst"):
        st = self.store
        with st.cond:
            ws = list(st.watchers)
            for w in ws:
                w.cut = mode
            st.cond.notify_all()
        deadline = time.monotonic() + 2.0
        for w in ws:
            w.done.wait(max(0.0, deadline - time.monotonic()))
        for w in ws:
            if not w.done.is_set():   # stuck in a write: force it
                try:
                    w.handler.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return len(ws)

    def set_down(self, mode, seconds):
        with self.down_lock:
            if self.up_timer is not None:
                self.up_timer.cancel()
                self.up_timer = None
            self.down = {"mode": mode, "since": time.time()}
            if seconds:
                self.up_timer = threading.Timer(seconds, self.set_up)
                self.up_timer.daemon = True
                self.up_timer.start()
        n = self.cut_watches("rst")
        if mode == "refuse":
            self.stop_api_listener()
        return n

    def set_up(self):
        with self.down_lock:
            if self.up_timer is not None:
                self.up_timer.cancel()
                self.up_timer = None
            was = self.down
            self.down = None
            if was and was["mode"] == "refuse" and self.api_server is None:
                for _ in range(50):
                    try:
                        self.start_api_listener()
                        break
                    except OSError:
                        time.sleep(0.1)
        with self.up_cond:
            self.up_cond.notify_all()
        self.log("up")

    def take_fault(self, verb, kind):
        with self.fault_lock:
            for f in self.faults:
                if f["verb"] not in ("*", verb):
                    continue
                if f["resource"] not in ("*", kind.plural if kind else ""):
                    continue
                if f["count"] == 0:
                    continue
                if f["count"] > 0:
                    f["count"] -= 1
                f["hits"] += 1
                return f
        return None


# --- HTTP ----------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    # Small replies and events go out at once: with Nagle on and the
    # client's delayed ACK every /_test/apply took ~40 ms.
    disable_nagle_algorithm = True

    protocol_version = "HTTP/1.1"
    server_version = "kubeapi-test"

    def version_string(self):
        return self.server_version
    timeout = 300  # idle keep-alive connections and stuck reads

    # BaseHTTPRequestHandler logs through log_message; we log ourselves.
    def log_message(self, fmt, *args):
        pass

    def log_error(self, fmt, *args):
        self.app.log("error: " + (fmt % args))

    @property
    def app(self):
        return self.server.app

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_HEAD(self):
        self.dispatch("HEAD")

    # -- plumbing --

    def read_body(self):
        """The request body, read once (dispatch reads it up front so that a
        body nobody wanted never desynchronises a keep-alive connection)."""
        if self._body is None:
            self._body = self._read_body()
        return self._body

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            for _ in range(1 << 20):
                line = self.rfile.readline(1024)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    for _ in range(100):
                        if self.rfile.readline(65536) in (b"\r\n", b"\n", b""):
                            break
                    break
                parts.append(self.rfile.read(n))
                self.rfile.readline(16)
            return b"".join(parts)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def read_json(self):
        raw = self.read_body()
        if not raw.strip():
            raise BadRequest("request body is empty")
        try:
            return json.loads(raw)
        except ValueError as e:
            raise BadRequest("request body is not JSON: %s" % e)

    def send_body(self, code, body, ctype="application/json", headers=None):
        gz = False
        if self.app.gzip and len(body) > GZIP_MIN and \
                "gzip" in self.headers.get("Accept-Encoding", "").lower():
            body = gzip.compress(body, compresslevel=1)
            gz = True
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache, private")
        if gz:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.resp_code = code
        self.resp_bytes = len(body)

    def send_obj(self, code, obj, headers=None):
        self.send_body(code, jdump(obj), headers=headers)

    def send_status(self, code, reason, message, details=None, headers=None):
        self.send_obj(code, status_obj(code, reason, message, details), headers)

    def abort_connection(self, rst):
        """Close the connection with no (further) response: RST or FIN."""
        sock = self.connection
        try:
            if rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        for f in (self.rfile, self.wfile):
            try:
                f.close()
            except (OSError, ValueError):
                pass
        try:
            sock.close()
        except OSError:
            pass
        self.rfile = io.BytesIO()
        self.wfile = io.BytesIO()
        self.close_connection = True
        self.resp_code = "rst" if rst else "fin"

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

    # -- request entry --

    def dispatch(self, method):
        t0 = time.monotonic()
        self._body = None
        self.read_body()
        self.resp_code = None
        self.resp_bytes = 0
        u = urlsplit(self.path)
        path = u.path
        q = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        rec = {"time": time.time(), "method": method, "path": path, "query": u.query,
               "userAgent": self.headers.get("User-Agent", ""),
               "accept": self.headers.get("Accept", ""),
               "authorization": bool(self.headers.get("Authorization")),
               "client": "%s:%s" % self.client_address[:2]}
        is_test = path == "/_test" or path.startswith("/_test/")
        try:
            if is_test:
                self.control(method, path, q)
            elif self.server.is_control:
                self.send_status(404, "NotFound", "the control port serves /_test/ only")
            else:
                self.api(method, path, q, rec)
        except ApiError as e:
            self.send_status(e.code, e.reason, e.message, e.details)
        except BadRequest as e:
            self.send_status(400, "BadRequest", str(e))
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True
            self.resp_code = self.resp_code or "gone"
        finally:
            rec["status"] = self.resp_code
            if not is_test:
                with self.app.req_lock:
                    self.app.requests.append(rec)
                    self.app.counters[(method, rec["status"])] += 1
            if not is_test or path not in ("/_test/rv", "/_test/watches"):
                self.app.log("%s %s %s%s %s %dB %.1fms" % (
                    rec["client"], method, path, "?" + u.query if u.query else "",
                    self.resp_code, self.resp_bytes, (time.monotonic() - t0) * 1000))

    # -- the API --

    def api(self, method, path, q, rec):
        app = self.app
        down = app.down
        if down:
            mode = down["mode"]
            if mode == "hang":
                deadline = time.monotonic() + 300
                with app.up_cond:
                    # counted so a test can wait for the fact "the client's
                    # requests are here and held", not for a guessed time
                    app.hanging += 1
                    try:
                        while app.down and time.monotonic() < deadline:
                            app.up_cond.wait(1.0)
                    finally:
                        app.hanging -= 1
                if app.down:
                    self.abort_connection(rst=False)
                    return
            elif mode in ("close", "refuse"):
                self.abort_connection(rst=False)
                return
            elif mode == "reset":
                self.abort_connection(rst=True)
                return
            else:
                self.send_status(503, "ServiceUnavailable",
                                 "the server is currently unable to handle the request",
                                 headers={"Retry-After": "1"})
                return
        want = app.expected_token()
        if want is not None:
            got = self.headers.get("Authorization", "")
            if not want or got != "Bearer " + want:
                self.send_status(401, "Unauthorized", "Unauthorized")
                return
        if app.latency_ms:
            time.sleep(app.latency_ms / 1000.0)

        if path in ("/healthz", "/livez", "/readyz"):
            self.send_body(200, b"ok", "text/plain; charset=utf-8")
            return
        if path == "/openapi/v2":
            # kubectl before 1.27 validates with this document and skips kinds
            # it does not describe: an empty document (protobuf: zero bytes)
            # turns client-side validation into a no-op.
            if "protobuf" in self.headers.get("Accept", ""):
                self.send_body(200, b"", "application/octet-stream")
            else:
                self.send_obj(200, {"swagger": "2.0", "info": {"title": "Kubernetes",
                                                               "version": self.app.version},
                                    "paths": {}, "definitions": {}})
            return
        if path == "/version":
            self.send_obj(200, {"major": self.app.version.lstrip("v").split(".")[0],
                                "minor": self.app.version.lstrip("v").split(".")[1],
                                "gitVersion": self.app.version,
                                "gitCommit": "0000000000000000000000000000000000000000",
                                "gitTreeState": "clean", "buildDate": "2023-08-15T00:00:00Z",
                                "goVersion": "go1.20.7", "compiler": "gc",
                                "platform": "linux/amd64"})
            return
        if path == "/api":
            self.send_obj(200, {"kind": "APIVersions", "versions": ["v1"],
                                "serverAddressByClientCIDRs": [
                                    {"clientCIDR": "0.0.0.0/0",
                                     "serverAddress": "%s:%d" % (self.server.server_address[0],
                                                                 self.server.server_address[1])}]})
            return
        if path == "/apis":
            groups = []
            for g in sorted({k.group for k in KINDS if k.group}):
                gv = {"groupVersion": g + "/v1", "version": "v1"}
                groups.append({"name": g, "versions": [gv], "preferredVersion": gv})
            self.send_obj(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
            return
        m = re.match(r"^/apis/([^/]+)/?$", path)
        if m and any(k.group == m.group(1) for k in KINDS):
            gv = {"groupVersion": m.group(1) + "/v1", "version": "v1"}
            self.send_obj(200, {"kind": "APIGroup", "apiVersion": "v1", "name": m.group(1),
                                "versions": [gv], "preferredVersion": gv})
            return
        m = re.match(r"^/api/v1/?$", path) or re.match(r"^/apis/([^/]+)/v1/?$", path)
        if m:
            group = m.group(1) if path.startswith("/apis/") else ""
            res = [k.resource() for k in KINDS if k.group == group]
            if res:
                self.send_obj(200, {"kind": "APIResourceList",
                                    "apiVersion": "v1",
                                    "groupVersion": (group + "/v1") if group else "v1",
                                    "resources": res})
                return
        m = re.match(r"^/api/v1/(.+?)/?$", path)
        group = ""
        if not m:
            m = re.match(r"^/apis/([^/]+)/v1/(.+?)/?$", path)
            if m:
                group = m.group(1)
        if m:
            rest = m.group(m.lastindex).split("/")
            self.resource(method, group, rest, q, rec)
            return
        self.send_status(404, "NotFound", "the server could not find the requested resource",
                         {})

    def resource(self, method, group, parts, q, rec):
        ns, name = "", ""
        if len(parts) >= 3 and parts[0] == "namespaces":
            ns, plural, parts = parts[1], parts[2], parts[3:]
        else:
            plural, parts = parts[0], parts[1:]
        if len(parts) > 1:
            raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
        name = parts[0] if parts else ""
        kind = KIND_BY_RES.get((group, "v1", plural))
        if kind is None or (ns and not kind.namespaced):
            raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
        watch = q.get("watch", "") in ("1", "true", "True")
        if method in ("GET", "HEAD"):
            verb = "watch" if watch else ("get" if name else "list")
        else:
            verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]
        rec["verb"] = verb
        rec["resource"] = kind.plural
        f = self.app.take_fault(verb, kind)
        if f is not None:
            if f["code"] == "rst":
                self.abort_connection(rst=True)
            elif f["code"] == "fin":
                self.abort_connection(rst=False)
            else:
                self.send_status(f["code"], f["reason"], f["message"],
                                 headers={"Retry-After": str(f["retryAfter"])} if f.get("retryAfter") else None)
            return
        if verb == "watch":
            self.do_watch(kind, ns, name, q)
        elif verb == "list":
            self.do_list(kind, ns, q)
        elif verb == "get":
            self.do_get(kind, ns, name, q)
        else:
            self.do_write(verb, kind, ns, name, q)

    def table_mode(self):
        acc = self.headers.get("Accept", "")
        first = acc.split(",")[0]
        return "as=Table" in first

    def filter_from(self, kind, ns, name, q):
        try:
            lsel = parse_label_selector(q.get("labelSelector", ""))
            fsel = parse_field_selector(q.get("fieldSelector", ""))
        except BadRequest:
            raise
        if name:
            fsel.append(("metadata.name", "=", name))
        raw = ",".join(x for x in (q.get("labelSelector", ""), q.get("fieldSelector", "")) if x)
        return Filter(kind, ns, lsel, fsel, raw)

    def do_get(self, kind, ns, name, q):
        st = self.app.store
        with st.cond:
            e = st.get(kind, ns, name)
        if e is None:
            raise ApiError(404, "NotFound", '%s "%s" not found' % (kind.gr, name),
                           {"name": name, "group": kind.group, "kind": kind.plural} if kind.group
                           else {"name": name, "kind": kind.plural})
        if self.table_mode():
            self.send_obj(200, table(kind, [e], q.get("includeObject", "Metadata"),
                                     {"resourceVersion": str(e.rv)}))
        else:
            self.send_body(200, e.full())

    def wait_for_rv(self, want):
        """With store.cond held: wait up to 3 s for a future resourceVersion."""
        st = self.app.store
        deadline = time.monotonic() + TOO_LARGE_WAIT
        while st.rv < want and time.monotonic() < deadline:
            st.cond.wait(deadline - time.monotonic())
        if st.rv < want:
            raise ApiError(504, "Timeout", "Too large resource version: %d, current: %d" % (want, st.rv),
                           {"causes": [{"reason": "ResourceVersionTooLarge",
                                        "message": "Too large resource version"}],
                            "retryAfterSeconds": 1})

    def do_list(self, kind, ns, q):
        st = self.app.store
        flt = self.filter_from(kind, ns, "", q)
        try:
            limit = int(q.get("limit") or 0)
        except ValueError:
            raise BadRequest("limit: invalid value")
        cont = q.get("continue", "")
        rvp = q.get("resourceVersion", "")
        if cont and rvp:
            raise BadRequest("specifying resource version is not allowed when using continue")
        if rvp:
            try:
                want = int(rvp)
            except ValueError:
                raise BadRequest('resourceVersion: Invalid value: "%s": must be an integer' % rvp)
        now = time.monotonic()
        with st.cond:
            if cont:
                try:
                    tok = json.loads(base64.urlsafe_b64decode(cont + "=" * (-len(cont) % 4)).decode())
                    sid, start = tok["snap"], tok["start"]
                    rv = int(tok["rv"])
                except (ValueError, KeyError, TypeError):
                    raise BadRequest("continue key is not valid: malformed continue token")
                snap = st.snapshots.get(sid)
                if snap is None or now - snap[3] > SNAPSHOT_TTL:
                    st.snapshots.pop(sid, None)
                    raise ApiError(410, "Expired",
                                   "The provided continue parameter is too old to display a "
                                   "consistent list result. You can start a new list without the "
                                   "continue parameter, or use the continue token in this response "
                                   "to retrieve the remainder of the results. Continuing with the "
                                   "provided token results in an inconsistent list - objects that "
                                   "were created, modified, or deleted between the time the first "
                                   "chunk was returned and now may show up in the list.")
                items, keys = snap[0], snap[1]
                pos = bisect.bisect_left(keys, start)
            else:
                if rvp and want > st.rv:
                    self.wait_for_rv(want)
                items = st.list_entries(flt)
                keys = None
                rv = st.rv
                pos = 0
                sid = None
            page = items[pos:pos + limit] if limit > 0 else items[pos:]
            more = limit > 0 and pos + len(page) < len(items)
            meta = {"resourceVersion": str(rv)}
            if more:
                if sid is None:
                    keys = [e.key for e in items]
                    st.snap_seq += 1
                    sid = st.snap_seq
                    st.snapshots[sid] = (items, keys, rv, now)
                    while len(st.snapshots) > SNAPSHOT_MAX:
                        st.snapshots.popitem(last=False)
                tok = {"v": "meta.k8s.io/v1", "rv": rv, "start": page[-1].key + "\x00", "snap": sid}
                meta["continue"] = base64.urlsafe_b64encode(json.dumps(tok).encode()).decode().rstrip("=")
                if not flt.lsel and not q.get("fieldSelector"):
                    meta["remainingItemCount"] = len(items) - pos - len(page)
        if self.table_mode():
            self.send_obj(200, table(kind, page, q.get("includeObject", "Metadata"), meta))
            return
        body = b"".join([b'{"kind":"', kind.list_kind.encode(), b'","apiVersion":"',
                         kind.api_version.encode(), b'","metadata":', jdump(meta), b',"items":[',
                         b",".join(e.item() for e in page), b"]}"])
        self.send_body(200, body)

    def do_write(self, verb, kind, ns, name, q):
        st = self.app.store
        if verb == "create":
            if name:
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on "
                               "the requested resource", {})
            obj = self.read_json()
            md = obj.setdefault("metadata", {})
            if kind.namespaced:
                if md.get("namespace") and ns and md["namespace"] != ns:
                    raise BadRequest("the namespace of the provided object does not match the "
                                     "namespace sent on the request")
                md["namespace"] = ns or md.get("namespace") or "default"
            with st.cond:
                _, e = st.apply(kind, obj, create_only=True)
                st.cond.notify_all()
            self.send_body(201, e.full())
            return
        if not name:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the "
                           "requested resource", {})
        if verb == "update":
            obj = self.read_json()
            md = obj.setdefault("metadata", {})
            if md.get("name") and md["name"] != name:
                raise BadRequest("the name of the object (%s) does not match the name on the URL (%s)"
                                 % (md["name"], name))
            md["name"] = name
            if kind.namespaced:
                md["namespace"] = ns or "default"
            with st.cond:
                _, e = st.apply(kind, obj, update_only=True,
                                precondition=md.get("resourceVersion") or None)
                st.cond.notify_all()
            self.send_body(200, e.full())
            return
        if verb == "patch":
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
            if ctype not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                raise ApiError(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format - accepted media "
                               "types include: application/merge-patch+json, "
                               "application/strategic-merge-patch+json", {})
            patch = self.read_json()
            with st.cond:
                old = st.get(kind, ns or "default", name)
                if old is None:
                    raise ApiError(404, "NotFound", '%s "%s" not found' % (kind.gr, name),
                                   {"name": name, "kind": kind.plural})
                obj = merge_patch(old.obj, patch)
                obj["metadata"]["name"] = name
                if kind.namespaced:
                    obj["metadata"]["namespace"] = old.ns
                _, e = st.apply(kind, obj, update_only=True,
                                precondition=(patch.get("metadata") or {}).get("resourceVersion"))
                st.cond.notify_all()
            self.send_body(200, e.full())
            return
        # delete
        with st.cond:
            gone = st.delete(kind, (ns or "default") if kind.namespaced else "", name, cascade=True)
            st.cond.notify_all()
        if not gone:
            raise ApiError(404, "NotFound", '%s "%s" not found' % (kind.gr, name),
                           {"name": name, "kind": kind.plural})
        self.send_body(200, gone[-1].full())

    # -- watch --

    def do_watch(self, kind, ns, name, q):
        app = self.app
        st = app.store
        flt = self.filter_from(kind, ns, name, q)
        rvp = q.get("resourceVersion", "")
        bookmarks = q.get("allowWatchBookmarks", "") in ("1", "true", "True")
        send_initial = q.get("sendInitialEvents", "") in ("1", "true", "True")
        table_mode = self.table_mode()
        include = q.get("includeObject", "Metadata")
        timeout = app.watch_timeout
        if q.get("timeoutSeconds"):
            try:
                timeout = max(0, int(q["timeoutSeconds"]))
            except ValueError:
                raise BadRequest("timeoutSeconds: invalid value")
        start = time.monotonic()
        deadline = start + timeout
        initial = []
        too_old = None
        client = "%s:%s" % self.client_address[:2]
        w = Watcher(self, flt, client)
        with st.cond:
            if rvp in ("", "0"):
                initial = st.list_entries(flt)
                cursor = st.rv
            else:
                try:
                    want = int(rvp)
                except ValueError:
                    raise BadRequest('resourceVersion: Invalid value: "%s": must be an integer' % rvp)
                if want > st.rv:
                    self.wait_for_rv(want)
                if want < st.compacted:
                    too_old = "too old resource version: %d (%d)" % (want, st.compacted)
                elif send_initial:
                    initial = st.list_entries(flt)
                    want = st.rv
                cursor = want
            w.cursor = cursor
            if too_old is None:
                st.watchers.add(w)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.resp_code = 200
        sent = 0
        reason = "timeout"
        try:
            if too_old is not None:
                self.write_chunk(jdump({"type": "ERROR",
                                        "object": status_obj(410, "Expired", too_old)}) + b"\n")
                self.write_chunk(b"")
                reason = "410"
                return

            def encode(typ, e):
                if table_mode:
                    return jdump({"type": typ, "object": table(kind, [e], include,
                                                               {"resourceVersion": str(e.rv)})}) + b"\n"
                return b'{"type":"' + typ.encode() + b'","object":' + e.full() + b"}\n"

            for e in initial:
                self.write_chunk(encode("ADDED", e))
                sent += 1
            if send_initial and bookmarks:
                self.write_chunk(jdump(bookmark(kind, cursor, True)) + b"\n")
            interval = app.bookmark_interval
            next_bm = time.monotonic() + interval
            next_probe = time.monotonic() + 1.0
            while True:
                out = []
                lost = None
                cut = None
                bm_rv = None
                with st.cond:
                    while True:
                        now = time.monotonic()
                        if w.cut or st.rv > w.cursor or now >= deadline or app.exiting.is_set():
                            break
                        if bookmarks and now >= next_bm:
                            break
                        if now >= next_probe:
                            break
                        wake = min(deadline, next_probe, next_bm if bookmarks else deadline)
                        st.cond.wait(max(0.001, wake - now))
                    cut = w.cut
                    if not cut:
                        if w.cursor < st.compacted:
                            lost = "too old resource version: %d (%d)" % (w.cursor, st.compacted)
                        elif st.rv > w.cursor:
                            evs = st.history[w.cursor - st.compacted:]
                            w.cursor = st.rv
                            for ev in evs:
                                out.append(ev)
                        bm_rv = w.cursor
                if cut:
                    reason = "cut-" + cut
                    if cut == "end":
                        self.write_chunk(b"")
                    else:
                        self.abort_connection(rst=(cut == "rst"))
                    return
                if lost:
                    self.write_chunk(jdump({"type": "ERROR",
                                            "object": status_obj(410, "Expired", lost)}) + b"\n")
                    self.write_chunk(b"")
                    reason = "410"
                    return
                for ev in out:
                    if ev.entry.kind is not kind:
                        continue
                    m_new = flt.match(ev.entry)
                    if ev.type == "MODIFIED":
                        m_old = flt.match(ev.prev)
                        if m_new and m_old:
                            self.write_chunk(encode("MODIFIED", ev.entry))
                        elif m_new:
                            self.write_chunk(encode("ADDED", ev.entry))
                        elif m_old:
                            self.write_chunk(encode("DELETED", ev.prev.with_rv(ev.rv)))
                        else:
                            continue
                    elif m_new:
                        self.write_chunk(encode(ev.type, ev.entry))
                    else:
                        continue
                    sent += 1
                now = time.monotonic()
                if bookmarks and now >= next_bm:
                    self.write_chunk(jdump(bookmark(kind, bm_rv)) + b"\n")
                    next_bm = now + interval
                if now >= next_probe:
                    next_probe = now + 1.0
                    if self.peer_closed():
                        reason = "client closed"
                        self.close_connection = True
                        return
                if now >= deadline or app.exiting.is_set():
                    self.write_chunk(b"")
                    return
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError,
                ValueError):
            reason = "client gone"
            self.close_connection = True
        finally:
            with st.cond:
                st.watchers.discard(w)
            w.done.set()
            self.resp_bytes = sent
            app.log("%s WATCH %s%s end after %.1fs: %d events, %s" % (
                client, kind.plural, " ns=" + ns if ns else "", time.monotonic() - start, sent, reason))

    def peer_closed(self):
        """True when the client has closed its end (a FIN is waiting). Looks at
        the TCP stream through a duplicate descriptor, so TLS works too."""
        try:
            sock = self.connection
            r, _, _ = select.select([sock], [], [], 0)
            if not r:
                return False
            if isinstance(sock, ssl.SSLSocket):
                # a client never sends on a watch: readable means close_notify or FIN
                prev = sock.gettimeout()
                sock.setblocking(False)
                try:
                    return sock.recv(1) == b""
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    return False
                finally:
                    sock.settimeout(prev)
            dup = socket.fromfd(sock.fileno(), sock.family, socket.SOCK_STREAM)
            try:
                return len(dup.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)) == 0
            except BlockingIOError:
                return False
            finally:
                dup.close()
        except (OSError, ValueError):
            return True

    # -- control interface --

    def control(self, method, path, q):
        app = self.app
        st = app.store
        cmd = path[len("/_test/"):].strip("/") if path.startswith("/_test/") else ""
        if cmd == "rv" or cmd == "":
            with st.cond:
                body = {"resourceVersion": str(st.rv), "compactedResourceVersion": str(st.compacted),
                        "history": len(st.history), "watches": len(st.watchers),
                        "objects": {k: len(v) for k, v in st.objs.items()},
                        "down": app.down["mode"] if app.down else None,
                        "hanging": app.hanging,
                        "port": app.port}
            self.send_obj(200, body)
        elif cmd == "watches":
            with st.cond:
                ws = [{"resource": w.flt.kind.plural, "namespace": w.flt.ns,
                       "selector": w.flt.raw, "client": w.client,
                       "resourceVersion": str(w.cursor), "age": round(time.time() - w.started, 3)}
                      for w in st.watchers]
            self.send_obj(200, {"watches": ws})
        elif cmd == "state" and method == "GET":
            with st.cond:
                body = b"".join([b'{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"',
                                 str(st.rv).encode(), b'"},"items":[',
                                 b",".join(e.full() for e in st.all_entries()), b"]}"])
            self.send_body(200, body)
        elif cmd == "load" and method == "POST":
            if q.get("file"):
                try:
                    with open(q["file"], "rb") as f:
                        doc = json.load(f)
                except (OSError, ValueError) as e:
                    raise BadRequest("cannot read %s: %s" % (q["file"], e))
            else:
                doc = self.read_json()
            items = doc.get("items") if isinstance(doc, dict) else None
            if not isinstance(items, list):
                raise BadRequest("body must be a List with items")
            reset = q.get("reset", "") in ("1", "true")
            with st.cond:
                counts = st.load(items, reset=reset)
                st.cond.notify_all()
                rv = st.rv
            cut = app.cut_watches(q.get("mode", "rst")) if reset else 0
            counts.update({"resourceVersion": str(rv), "cut": cut})
            self.send_obj(200, counts)
        elif cmd == "apply" and method == "POST":
            doc = self.read_json()
            items = doc["items"] if isinstance(doc, dict) and isinstance(doc.get("items"), list) else [doc]
            res = []
            with st.cond:
                for it in items:
                    k = kind_lookup(it.get("kind") if isinstance(it, dict) else None)
                    if k is None:
                        raise BadRequest("unknown or missing kind %r" % (
                            it.get("kind") if isinstance(it, dict) else it))
                    op, e = st.apply(k, it)
                    res.append({"kind": k.kind, "namespace": e.ns, "name": e.name, "op": op,
                                "resourceVersion": str(e.rv), "uid": e.obj["metadata"]["uid"]})
                st.cond.notify_all()
                rv = st.rv
            self.send_obj(200, {"resourceVersion": str(rv), "items": res})
        elif cmd == "delete" and method in ("POST", "DELETE"):
            spec = dict(q)
            if method == "POST" and int(self.headers.get("Content-Length") or 0) > 0:
                body = self.read_json()
                if isinstance(body, dict):
                    for k, v in body.items():
                        spec[k] = ("1" if v else "") if isinstance(v, bool) else str(v)
            k = kind_lookup(spec.get("kind"))
            if k is None or not spec.get("name"):
                raise BadRequest("need kind and name (and namespace for namespaced kinds)")
            ns = (spec.get("namespace") or "default") if k.namespaced else ""
            with st.cond:
                gone = st.delete(k, ns, spec["name"],
                                 cascade=spec.get("cascade", "") in ("1", "true", "True"))
                st.cond.notify_all()
                rv = st.rv
            if not gone:
                raise ApiError(404, "NotFound", '%s "%s" not found' % (k.gr, spec["name"]))
            self.send_obj(200, {"resourceVersion": str(rv),
                                "deleted": [{"kind": e.kind.kind, "namespace": e.ns, "name": e.name}
                                            for e in gone]})
        elif cmd == "cut" and method == "POST":
            mode = q.get("mode", "rst")
            if mode not in ("rst", "fin", "end"):
                raise BadRequest("mode: rst, fin or end")
            self.send_obj(200, {"cut": app.cut_watches(mode)})
        elif cmd == "compact" and method == "POST":
            with st.cond:
                st.compact()
                st.cond.notify_all()
                self.send_obj(200, {"resourceVersion": str(st.rv),
                                    "compactedResourceVersion": str(st.compacted)})
        elif cmd == "down" and method == "POST":
            mode = q.get("mode", "503")
            if mode not in ("503", "close", "reset", "hang", "refuse"):
                raise BadRequest("mode: 503, close, reset, hang or refuse")
            secs = float(q.get("seconds") or 0)
            if mode == "refuse" and not secs and not self.server.is_control:
                raise BadRequest("mode=refuse closes this port: give seconds=S or use --control-port")
            cut = app.set_down(mode, secs)
            app.log("down (%s%s)" % (mode, ", %gs" % secs if secs else ""))
            self.send_obj(200, {"down": mode, "seconds": secs, "cut": cut})
        elif cmd == "up" and method == "POST":
            app.set_up()
            self.send_obj(200, {"down": None, "port": app.port})
        elif cmd == "fault":
            if method == "DELETE" or q.get("clear"):
                with app.fault_lock:
                    app.faults = []
                self.send_obj(200, {"faults": []})
                return
            if method == "POST":
                f = self.read_json()
                if not isinstance(f, dict):
                    raise BadRequest("fault must be an object")
                code = f.get("code", 500)
                if code not in ("rst", "fin") and not isinstance(code, int):
                    raise BadRequest("code: an HTTP status, \"rst\" or \"fin\"")
                reasons = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                           409: "Conflict", 410: "Expired", 429: "TooManyRequests",
                           500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}
                fault = {"verb": f.get("verb", "*"), "resource": f.get("resource", "*"),
                         "code": code, "reason": f.get("reason") or reasons.get(code, "InternalError"),
                         "message": f.get("message") or "injected fault (%s)" % code,
                         "count": int(f.get("count", 1)), "retryAfter": f.get("retryAfter"),
                         "hits": 0}
                with app.fault_lock:
                    app.faults.append(fault)
            with app.fault_lock:
                self.send_obj(200, {"faults": app.faults})
        elif cmd == "config":
            if method == "POST":
                c = self.read_json()
                if "bookmarkInterval" in c:
                    app.bookmark_interval = float(c["bookmarkInterval"])
                if "watchTimeout" in c:
                    app.watch_timeout = float(c["watchTimeout"])
                if "latencyMs" in c:
                    app.latency_ms = int(c["latencyMs"])
                if "token" in c:
                    app.token = c["token"]
                    app.token_file = None
                if "gzip" in c:
                    app.gzip = bool(c["gzip"])
                if "history" in c:
                    with st.cond:
                        st.history_max = max(1, int(c["history"]))
                        if len(st.history) > st.history_max:
                            drop = len(st.history) - st.history_max
                            del st.history[:drop]
                            st.compacted += drop
            self.send_obj(200, {"bookmarkInterval": app.bookmark_interval,
                                "watchTimeout": app.watch_timeout, "latencyMs": app.latency_ms,
                                "token": app.token, "tokenFile": app.token_file, "gzip": app.gzip,
                                "history": st.history_max})
        elif cmd == "requests":
            with app.req_lock:
                reqs = list(app.requests)
                if method == "DELETE" or q.get("clear"):
                    app.requests.clear()
            self.send_obj(200, {"requests": reqs})
        else:
            self.send_status(404, "NotFound", "unknown control path %s %s" % (method, path))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, app, addr, control):
        self.app = app
        self.is_control = control
        self.address_family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        ThreadingHTTPServer.__init__(self, addr, Handler)

    def server_bind(self):
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); skip it
        import socketserver
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]

    def finish_request(self, request, client_address):
        ctx = None if self.is_control else self.app.ssl_ctx
        if ctx is not None:
            try:
                request.settimeout(10)
                request = ctx.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (OSError, ssl.SSLError) as e:
                self.app.log("%s TLS handshake failed: %s" % (client_address[0], e))
                try:
                    request.close()
                except OSError:
                    pass
                return
        self.RequestHandlerClass(request, client_address, self)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ValueError)):
            return
        ThreadingHTTPServer.handle_error(self, request, client_address)


def make_server(app, host, port, control):
    return Server(app, (host, port), control)


def write_port_file(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="test Kubernetes API server (see README.md)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0: pick a free port (see --port-file)")
    ap.add_argument("--port-file", help="write the bound port here once serving")
    ap.add_argument("--control-port", type=int, default=None,
                    help="also serve /_test/ on this plain-HTTP port (0: free port)")
    ap.add_argument("--control-port-file")
    ap.add_argument("--state", help="a v1 List JSON file to load at start")
    ap.add_argument("--bookmark-interval", type=float, default=1.0, help="seconds (default 1)")
    ap.add_argument("--history", type=int, default=1000, help="watch events retained (default 1000)")
    ap.add_argument("--watch-timeout", type=float, default=1800.0,
                    help="seconds a watch lasts without timeoutSeconds (default 1800)")
    ap.add_argument("--down", choices=["503", "close", "reset", "hang"],
                    help="start down in this mode, as /_test/down does, until POST /_test/up: "
                         "the port is bound from the start, so a client can be pointed at it "
                         "before the API 'comes up' without a race for the port")
    ap.add_argument("--token", help="require Authorization: Bearer TOKEN")
    ap.add_argument("--token-file", help="like --token, the file re-read on every request")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--server-version", default=SERVER_VERSION, help="gitVersion of /version")
    ap.add_argument("--no-gzip", action="store_true", help="never gzip responses")
    ap.add_argument("--service-cidr", default="10.96.0.0/12",
                    help="IPv4 range of allocated cluster IPs (default 10.96.0.0/12, "
                         "allocated from .1.0; a range of 512 or fewer from its 11th address)")
    ap.add_argument("--quiet", action="store_true", help="no request log on stderr")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if not re.match(r"^v\d+\.\d+", args.server_version):
        ap.error("--server-version looks like v1.28.0")
    global SERVICE_CIDR
    try:
        SERVICE_CIDR = ipaddress.IPv4Network(args.service_cidr)
    except ValueError as e:
        ap.error("--service-cidr: %s" % e)
    if SERVICE_CIDR.num_addresses < 16:
        ap.error("--service-cidr: at least a /28")

    app = App(args)
    if args.down:
        app.down = {"mode": args.down, "since": time.time()}
    if args.state:
        with open(args.state, "rb") as f:
            doc = json.load(f)
        with app.store.cond:
            counts = app.store.load(doc.get("items") or [], reset=True)
        app.log("loaded %s: %d objects, resourceVersion %d" % (args.state, counts["created"],
                                                                app.store.rv))
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        ctx.set_alpn_protocols(["http/1.1"])
        app.ssl_ctx = ctx

    def on_signal(signum, frame):
        app.exiting.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    app.start_api_listener()
    if args.control_port is not None:
        app.control_server = make_server(app, args.host, args.control_port, control=True)
        threading.Thread(target=app.control_server.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True, name="control-listener").start()
        if args.control_port_file:
            write_port_file(args.control_port_file, app.control_server.server_address[1])
    if args.port_file:
        write_port_file(args.port_file, app.port)
    app.log("serving %s://%s:%d%s" % ("https" if app.ssl_ctx else "http", args.host, app.port,
                                      " control on port %d" % app.control_server.server_address[1]
                                      if app.control_server else ""))
    while not app.exiting.wait(0.5):
        pass
    app.log("exiting")
    with app.store.cond:
        app.store.cond.notify_all()
    if app.up_timer is not None:
        app.up_timer.cancel()
    for srv in (app.api_server, app.control_server):
        if srv is not None:
            srv.shutdown()
            srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
