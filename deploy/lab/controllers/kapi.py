# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""A small Kubernetes API client for the lab's controllers (standard
library only): get/list/create/replace/delete, and an informer that keeps
a kind's objects in memory with list + watch and wakes its controller on
every change, as client-go's informers do for the real controllers."""

import http.client
import json
import sys
import threading
import time
import urllib.parse

# kind -> (API path prefix, plural)
PATHS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "Service": ("/api/v1", "services", True),
    "Pod": ("/api/v1", "pods", True),
    "Endpoints": ("/api/v1", "endpoints", True),
    "EndpointSlice": ("/apis/discovery.k8s.io/v1", "endpointslices", True),
    "NetworkPolicy": ("/apis/networking.k8s.io/v1", "networkpolicies", True),
}


def log(who, msg):
    sys.stderr.write("%s %s: %s\n" % (time.strftime("%H:%M:%S"), who, msg))
    sys.stderr.flush()


class ApiError(Exception):
    def __init__(self, code, body):
        super().__init__("HTTP %d: %s" % (code, body[:200]))
        self.code = code


class Client:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port or 80

    def path(self, kind, ns=None, name=None):
        prefix, plural, namespaced = PATHS[kind]
        p = prefix
        if ns and namespaced:
            p += "/namespaces/" + ns
        p += "/" + plural
        if name:
            p += "/" + name
        return p

    def request(self, method, path, body=None, timeout=10):
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            c.request(method, path, body=data,
                      headers={"Content-Type": "application/json"} if data else {})
            r = c.getresponse()
            raw = r.read()
            if r.status >= 300:
                raise ApiError(r.status, raw.decode(errors="replace"))
            return json.loads(raw) if raw else None
        finally:
            c.close()

    def list(self, kind):
        return self.request("GET", self.path(kind))

    def get(self, kind, ns, name):
        try:
            return self.request("GET", self.path(kind, ns, name))
        except ApiError as e:
            if e.code == 404:
                return None
            raise

    def create(self, kind, ns, obj):
        return self.request("POST", self.path(kind, ns), obj)

    def replace(self, kind, ns, name, obj):
        return self.request("PUT", self.path(kind, ns, name), obj)

    def delete(self, kind, ns, name):
        try:
            return self.request("DELETE", self.path(kind, ns, name))
        except ApiError as e:
            if e.code != 404:
                raise
            return None


def key(obj):
    md = obj["metadata"]
    return (md.get("namespace") or "") + "/" + md["name"]


class Informer:
    """Keeps {ns/name: object} of one kind current; calls wake() after
    every change. Lists, then watches from the list's resourceVersion;
    re-lists when the watch ends or fails."""

    def __init__(self, client, kind, wake, who):
        self.client, self.kind, self.wake, self.who = client, kind, wake, who
        self.objs = {}
        self.synced = threading.Event()
        self.lock = threading.Lock()
        t = threading.Thread(target=self.run, daemon=True)
        t.start()

    def items(self):
        with self.lock:
            return list(self.objs.values())

    def run(self):
        while True:
            try:
                self.once()
            except Exception as e:  # the API went away or a stream broke: re-list
                log(self.who, "%s watch: %s; listing again" % (self.kind, e))
                time.sleep(0.5)

    def once(self):
        lst = self.client.list(self.kind)
        with self.lock:
            self.objs = {key(o): o for o in lst.get("items") or []}
        self.synced.set()
        self.wake()
        rv = lst["metadata"]["resourceVersion"]
        c = http.client.HTTPConnection(self.client.host, self.client.port, timeout=None)
        try:
            c.request("GET", self.client.path(self.kind) +
                      "?watch=1&allowWatchBookmarks=true&resourceVersion=" + rv)
            r = c.getresponse()
            if r.status != 200:
                raise ApiError(r.status, r.read().decode(errors="replace"))
            while True:
                line = r.readline()
                if not line:
                    return
                ev = json.loads(line)
                typ, obj = ev.get("type"), ev.get("object") or {}
                if typ == "ERROR":
                    return
                if typ == "BOOKMARK":
                    continue
                with self.lock:
                    if typ == "DELETED":
                        self.objs.pop(key(obj), None)
                    else:
                        self.objs[key(obj)] = obj
                self.wake()
        finally:
            c.close()


class Loop:
    """A level-triggered controller: reconcile() runs after any change
    of the informers it owns, and at least every `resync` seconds."""

    def __init__(self, who, resync=1.0):
        self.who = who
        self.event = threading.Event()
        self.resync = resync

    def wake(self):
        self.event.set()

    def run(self, reconcile, informers):
        for inf in informers:
            inf.synced.wait()
        while True:
            self.event.wait(self.resync)
            self.event.clear()
            try:
                reconcile()
            except Exception as e:
                log(self.who, "reconcile: %s" % e)


def labels_match(selector, labels):
    """A LabelSelector (matchLabels, matchExpressions) against labels;
    the empty selector matches everything."""
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for ex in selector.get("matchExpressions") or []:
        k, op, vals = ex.get("key"), ex.get("operator"), ex.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def pod_ready(pod):
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False
