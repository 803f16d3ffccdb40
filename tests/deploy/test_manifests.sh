#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/deploy/test_manifests.sh - the Kubernetes manifests of
# deploy/kubernetes/, offline:
# - `kubectl kustomize` renders each of overlays/iptables, overlays/ipvs
#   and cluster;
# - every rendered object is valid against the Kubernetes API types of the
#   official Python client (validate_k8s.py: unknown fields, wrong types,
#   missing required fields);
# - the nodedns.conf of each ConfigMap passes `nodedns --check-config`;
# - the shape a node-local DNS needs (hostNetwork, dnsPolicy Default,
#   system-node-critical, tolerates every taint, probes on /health and
#   /ready, maxSurge 1 / maxUnavailable 0, no host ports);
# - the ClusterRole grants exactly the (group, resource, verb) triples
#   nodedns uses, compared with the requests it makes to the test API
#   server.
. "$(dirname "$0")/../system/lib.sh"
. "$(dirname "$0")/../system/lib_kube.sh"

need kubectl
"$ND_PY" -c 'import kubernetes, yaml' 2>/dev/null ||
	skip "python3-kubernetes or python3-yaml missing (run ./setup.sh)"
K="$ND_SRCDIR/deploy/kubernetes"
VALIDATE="$ND_SRCDIR/tests/deploy/validate_k8s.py"

# conf_of RENDERED OUT: the nodedns.conf of the rendered ConfigMap
conf_of() {
	"$ND_PY" - "$1" "$2" <<'EOF2'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d.get("kind") == "ConfigMap" and "nodedns.conf" in d.get("data", {}):
        open(sys.argv[2], "w").write(d["data"]["nodedns.conf"])
        sys.exit(0)
sys.exit("no ConfigMap with nodedns.conf")
EOF2
}

for variant in overlays/iptables overlays/ipvs cluster; do
	out="$ND_TMP/$(basename "$variant").yaml"
	if ! kubectl kustomize "$K/$variant" >"$out" 2>"$out.err"; then
		fail "kubectl kustomize $variant: $(cat "$out.err")"
		continue
	fi
	pass "kubectl kustomize $variant renders $(grep -c '^kind:' "$out") objects"
	if v=$("$ND_PY" "$VALIDATE" "$out" 2>&1); then
		pass "$variant: every object valid against the API types ($(grep -c '^valid' <<<"$v"))"
	else
		fail "$variant: invalid objects:"
		sed 's/^/    | /' <<<"$v"
	fi
	if conf_of "$out" "$ND_TMP/$(basename "$variant").conf"; then
		rc=0
		msg=$("$ND_BUILDDIR/nodedns" --check-config -c "$ND_TMP/$(basename "$variant").conf" 2>&1) || rc=$?
		assert_eq "$variant: nodedns --check-config of its ConfigMap ($msg)" 0 "$rc"
	else
		fail "$variant: no nodedns.conf in a ConfigMap"
	fi
done

# --- the shape of the node-local DaemonSet -----------------------------------
for variant in iptables ipvs; do
	v=$("$ND_PY" - "$ND_TMP/$variant.yaml" <<'EOF2'
import sys, yaml
ds = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "DaemonSet"]
if len(ds) != 1:
    sys.exit("want one DaemonSet, got %d" % len(ds))
s = ds[0]["spec"]
p = s["template"]["spec"]
c = p["containers"][0]
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want(p.get("hostNetwork") is True, "hostNetwork: true")
want(p.get("dnsPolicy") == "Default", "dnsPolicy: Default")
want(p.get("priorityClassName") == "system-node-critical", "priorityClassName: system-node-critical")
want({"operator": "Exists"} in p.get("tolerations", []), "a toleration of every taint")
want(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/health", "liveness on /health")
want(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/ready", "readiness on /ready")
ru = s.get("updateStrategy", {}).get("rollingUpdate", {})
want(ru.get("maxSurge") == 1 and ru.get("maxUnavailable") == 0, "maxSurge 1, maxUnavailable 0")
want("ports" not in c, "no ports (host ports would block the surge pod)")
want("limits" in c.get("resources", {}) and "requests" in c.get("resources", {}), "requests and limits")
sc = c.get("securityContext", {})
want(sc.get("readOnlyRootFilesystem") is True, "read-only root file system")
want(sc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities: drop ALL")
want(set(sc.get("capabilities", {}).get("add", [])) <= {"NET_ADMIN", "NET_BIND_SERVICE", "SETUID", "SETGID"}, "no capability beyond what node set-up and the drop need")
vols = {v["name"]: v for v in p.get("volumes", [])}
want(any("hostPath" in v for v in vols.values()), "a hostPath for the control socket")
print("; ".join(problems))
EOF2
	)
	assert_eq "the $variant DaemonSet has the node-local shape" "" "$v"
done

# --- RBAC: exactly what nodedns uses ---------------------------------------------
start_kubeapi --state "$ND_SRCDIR/tests/kubeapi/fixtures/small.json"
start_nodedns --upstream 127.0.0.1:9 --kube-api "$KAPI_URL" --kube-start-jitter 0
wait_ready 10000 || fail "nodedns not ready on the test API server"
wait_kube_watching 10000 || fail "nodedns not watching every resource"
stop_nodedns
# used_by_nodedns: the (group, resource, verb) triples of the requests the
# API server logged. A watch is logged when it ends: the server notices
# the closed stream at its next bookmark.
used_by_nodedns() {
	kapi /_test/requests | "$ND_PY" -c '
import json, re, sys
from urllib.parse import parse_qs
seen = set()
for r in json.load(sys.stdin)["requests"]:
    m = re.fullmatch(r"/api/v1/(?:namespaces/[^/]+/)?(\w+)(/[^/]+)?", r["path"]) or \
        re.fullmatch(r"/apis/([^/]+)/[^/]+/(?:namespaces/[^/]+/)?(\w+)(/[^/]+)?", r["path"])
    if not m:
        continue  # discovery, /version: allowed to every authenticated user
    group, res = ("", m.group(1)) if r["path"].startswith("/api/") else (m.group(1), m.group(2))
    q = parse_qs(r["query"])
    if r["method"] == "GET":
        verb = "watch" if q.get("watch") in (["1"], ["true"]) else ("get" if m.group(m.lastindex) and m.lastindex > (1 if not group else 2) else "list")
    else:
        verb = r["method"].lower()
    seen.add("%s %s %s" % (group or "core", res, verb))
print("\n".join(sorted(seen)))'
}
three_watches() { [ "$(used_by_nodedns | grep -c ' watch$')" -ge 3 ]; }
poll_until 10000 three_watches || fail "the API server logged no watch of nodedns within 10 s"
used=$(used_by_nodedns)
granted=$("$ND_PY" - "$ND_TMP/iptables.yaml" <<'EOF2'
import sys, yaml
out = set()
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ClusterRole":
        for rule in d["rules"]:
            for g in rule["apiGroups"]:
                for r in rule["resources"]:
                    for v in rule["verbs"]:
                        out.add("%s %s %s" % (g or "core", r, v))
print("\n".join(sorted(out)))
EOF2
)
assert_eq "the ClusterRole grants exactly the requests nodedns made" "$used" "$granted"
for variant in ipvs cluster; do
	assert_eq "the $variant ClusterRole is the same" \
		"$(grep -A12 '^kind: ClusterRole$' "$ND_TMP/iptables.yaml")" \
		"$(grep -A12 '^kind: ClusterRole$' "$ND_TMP/$variant.yaml")"
done
stop_kubeapi

nd_done
