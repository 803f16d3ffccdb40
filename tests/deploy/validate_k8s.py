#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""tests/deploy/validate_k8s.py - check rendered Kubernetes objects against
the API types of the official Python client (Debian python3-kubernetes):
every field must exist in its type (as `kubectl apply --validate=strict`
demands), every value must have the field's type, and every required field
must be there (the client's own models refuse a missing one).

usage: validate_k8s.py FILE.yaml...   (multi-document YAML, as kubectl
kustomize prints). Prints one line per object; exit 0 when all are valid,
1 with every problem listed otherwise.
"""
import re
import sys

import yaml
from kubernetes import client

PRIMITIVE = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def model_name(api_version, kind):
    """apps/v1 DaemonSet -> V1DaemonSet; policy/v1beta1 X -> V1beta1X."""
    version = api_version.split("/")[-1]
    return version[0].upper() + version[1:] + kind


def check(value, typ, path, problems):
    """Walk value against the client's type string typ."""
    if value is None:
        return
    if typ == "object":  # IntOrString, Quantity-like free values, RawExtension
        return
    if typ in PRIMITIVE:
        if typ == "int" and isinstance(value, bool):
            problems.append("%s: want %s, got %r" % (path, typ, value))
        elif not isinstance(value, PRIMITIVE[typ]):
            problems.append("%s: want %s, got %r" % (path, typ, value))
        return
    if typ == "datetime":
        if not isinstance(value, str):
            problems.append("%s: want a timestamp string" % path)
        return
    m = re.fullmatch(r"list\[(.*)\]", typ)
    if m:
        if not isinstance(value, list):
            problems.append("%s: want a list, got %s" % (path, type(value).__name__))
            return
        for i, v in enumerate(value):
            check(v, m.group(1), "%s[%d]" % (path, i), problems)
        return
    m = re.fullmatch(r"dict\((\w+), (.*)\)", typ)
    if m:
        if not isinstance(value, dict):
            problems.append("%s: want a map, got %s" % (path, type(value).__name__))
            return
        for k, v in value.items():
            check(v, m.group(2), "%s.%s" % (path, k), problems)
        return
    cls = getattr(client.models, typ, None)
    if cls is None:
        problems.append("%s: unknown type %s in the client" % (path, typ))
        return
    if not isinstance(value, dict):
        problems.append("%s: want an object (%s), got %r" % (path, typ, value))
        return
    by_json = {j: a for a, j in cls.attribute_map.items()}
    for k, v in value.items():
        attr = by_json.get(k)
        if attr is None:
            problems.append("%s.%s: no such field in %s" % (path, k, typ))
            continue
        check(v, cls.openapi_types[attr], "%s.%s" % (path, k), problems)


def main(argv):
    api = client.ApiClient()
    bad = 0
    count = 0
    for path in argv[1:]:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        for d in docs:
            count += 1
            kind = d.get("kind", "?")
            name = "%s/%s" % (kind, (d.get("metadata") or {}).get("name", "?"))
            problems = []
            if "apiVersion" not in d or "kind" not in d:
                problems.append("no apiVersion or kind")
            else:
                typ = model_name(d["apiVersion"], kind)
                if getattr(client.models, typ, None) is None:
                    problems.append("no type %s for %s %s" % (typ, d["apiVersion"], kind))
                else:
                    check(d, typ, kind, problems)
                    try:
                        # the client's models refuse missing required fields
                        api._ApiClient__deserialize(d, typ)
                    except (ValueError, TypeError) as e:
                        problems.append(str(e))
            if problems:
                bad += 1
                print("INVALID %s (%s):" % (name, path))
                for p in problems:
                    print("    " + p)
            else:
                print("valid %s %s" % (d["apiVersion"], name))
    if count == 0:
        print("no objects found in %s" % " ".join(argv[1:]))
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
