#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/lab/test_lab_kubectl.sh - the real kubectl against the test API
# server (tests/kubeapi) for each kind of object the lab uses: create, get
# (with the columns the lab's steps show: pods -o wide with IP and node,
# netpol with its pod selector), describe, delete of Namespace, Pod,
# Service, Endpoints, EndpointSlice and NetworkPolicy; and --service-cidr.
# No root needed. Exit 77 without kubectl or curl.
set -u
S=${ND_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for t in kubectl curl python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not found"; exit 77; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_lab_kubectl.XXXXXX")
FAILS=0
PASSES=0
API=
cleanup() {
	[ -n "$API" ] && kill -TERM "$API" 2>/dev/null && wait "$API" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
ok() { echo "ok: $*"; PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

python3 "$S/tests/kubeapi/kubeapi.py" --port 0 --port-file "$TMP/port" \
	--service-cidr 169.254.96.0/24 --quiet &
API=$!
end=$(($(date +%s) + 20))
until [ -s "$TMP/port" ]; do
	[ "$(date +%s)" -ge "$end" ] && { fail "the API server did not start"; exit 1; }
	kill -0 "$API" 2>/dev/null || { fail "the API server exited"; exit 1; }
	sleep 0.1 # sleep-ok: the poll interval
done
P=$(cat "$TMP/port")
cat >"$TMP/kubeconfig" <<EOF2
apiVersion: v1
kind: Config
clusters: [{name: t, cluster: {server: "http://127.0.0.1:$P"}}]
users: [{name: u, user: {}}]
contexts: [{name: t, context: {cluster: t, user: u, namespace: lab}}]
current-context: t
EOF2
k() { kubectl --kubeconfig "$TMP/kubeconfig" --cache-dir "$TMP/cache" "$@" 2>&1; }
# expect DESCRIPTION PATTERN CMD...: CMD's output matches the extended regex
expect() {
	local what=$1 pat=$2 out
	shift 2
	out=$("$@")
	if printf '%s\n' "$out" | grep -Eq -- "$pat"; then
		ok "$what"
	else
		fail "$what: /$pat/ not in:"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
}

M=$S/deploy/lab/manifests
expect "create the lab's namespace, pods and Service from its manifest" \
	'service/trace-svc created' k create -f "$M/trace.yaml"
expect "a Service gets its ClusterIP from --service-cidr" \
	'trace-svc +ClusterIP +169\.254\.96\.[0-9]+ ' k get svc trace-svc
expect "pods -o wide before the kubelet: Pending, no IP" \
	'trace-backend-1 +0/1 +Pending +0 .* <none> +<none>' k get pods -o wide

# the kubelet's status write (a PUT of the whole Pod)
pj=$(k get pod trace-backend-1 -o json)
printf '%s' "$pj" | python3 -c '
import json, sys
p = json.load(sys.stdin)
p["spec"]["nodeName"] = "lab-node"
p["status"] = {"phase": "Running", "podIP": "169.254.64.10", "podIPs": [{"ip": "169.254.64.10"}],
               "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0}]}
json.dump(p, open(sys.argv[1], "w"))' "$TMP/pod.json"
curl -sf -X PUT -H 'Content-Type: application/json' --data-binary @"$TMP/pod.json" \
	"http://127.0.0.1:$P/api/v1/namespaces/lab/pods/trace-backend-1" >/dev/null ||
	fail "PUT of the pod's status"
expect "pods -o wide after it: Running, ready, IP and node" \
	'trace-backend-1 +1/1 +Running +0 .* 169\.254\.64\.10 +lab-node' k get pods -o wide
expect "get pod -o jsonpath reads the Ready condition" '^True$' \
	k get pod trace-backend-1 -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}{"\n"}'

cat >"$TMP/slice.yaml" <<'EOF2'
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: trace-svc-lab
  namespace: lab
  labels: {kubernetes.io/service-name: trace-svc}
addressType: IPv4
endpoints:
- addresses: [169.254.64.10]
  conditions: {ready: true}
ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: trace-svc, namespace: lab}
subsets:
- addresses: [{ip: 169.254.64.10}]
  ports: [{name: http, port: 8080, protocol: TCP}]
EOF2
expect "create an EndpointSlice and Endpoints" 'endpoints/trace-svc created' \
	k create -f "$TMP/slice.yaml"
expect "get svc,endpointslices" 'trace-svc-lab +IPv4 +8080 +169\.254\.64\.10' \
	k get svc,endpointslices
expect "describe svc shows the endpoints" 'Endpoints: +169\.254\.64\.10:8080' \
	k describe svc trace-svc

for f in deny-backend-ingress default-deny-egress allow-dns-udp-only; do
	expect "create networkpolicy $f" "networkpolicy.networking.k8s.io/$f created" \
		k create -f "$M/$f.yaml"
done
expect "get netpol with the pod selector column" 'deny-backend-ingress +app=trace-backend' \
	k get netpol
expect "get networkpolicies: the empty selector" 'default-deny-egress +<none>' \
	k get networkpolicies
expect "describe networkpolicy" 'isolated for ingress connectivity' \
	k describe networkpolicy deny-backend-ingress
expect "get networkpolicy -o yaml keeps the egress rule" 'protocol: UDP' \
	k get networkpolicy allow-dns-udp-only -o yaml
expect "api-resources lists networkpolicies" 'networkpolicies +netpol +networking.k8s.io/v1 +true +NetworkPolicy' \
	k api-resources
expect "delete networkpolicy" 'deleted' k delete networkpolicy deny-backend-ingress
expect "it is gone" 'NotFound' k get networkpolicy deny-backend-ingress
expect "delete endpointslice" 'deleted' k delete endpointslice trace-svc-lab
expect "delete endpoints" 'deleted' k delete endpoints trace-svc
expect "delete pod" 'deleted' k delete pod trace-backend-2
expect "delete svc" 'deleted' k delete svc trace-svc
expect "delete the namespace (and what is left in it)" 'deleted' k delete namespace lab
expect "nothing is left in it" 'No resources found' k get pods,svc,netpol -n lab

echo "$PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
