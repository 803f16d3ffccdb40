#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_kube_kubectl.sh - the test API server (tests/kubeapi/
# kubeapi.py) is faithful with the real client: kubectl lists the fixture
# objects and a kubectl watch sees an object added through /_test/apply.
# (tests/kubeapi/test_kubeapi.sh is the long version.) Skips without kubectl.
. "$(dirname "$0")/lib.sh"
need kubectl timeout
. "$(dirname "$0")/lib_kube.sh"

FIXTURE="$KUBE_FIXTURES/cluster.json"
start_kubeapi --state "$FIXTURE"
KC=(kubectl --kubeconfig=/dev/null --server "$KAPI_URL" --request-timeout=10s)

out=$("${KC[@]}" get services,endpointslices -A 2>&1)
rc=$?
assert_eq "kubectl get services,endpointslices -A exit status" 0 "$rc"
for want in "service/web " "service/db " "service/ext " "service/dual " "service/idle " \
	"endpointslice.discovery.k8s.io/web-a1b2c " "endpointslice.discovery.k8s.io/db-q7z9k " \
	"endpointslice.discovery.k8s.io/dual-v4abc " "endpointslice.discovery.k8s.io/dual-v6abc " \
	"endpointslice.discovery.k8s.io/idle-zz9x8 "; do
	assert_contains "kubectl get lists $want" "$out" "$want"
done
assert_match "web row: namespace, type, cluster IP, port" "$out" \
	'^shop +service/web +ClusterIP +10\.96\.0\.20 +<none> +80/TCP'
assert_match "ExternalName row" "$out" '^shop +service/ext +ExternalName +<none> +api\.example\.com'
assert_match "headless row" "$out" '^data +service/db +ClusterIP +None'

# -o json round trip: the items carry what nodedns decodes
n=$("${KC[@]}" get services -A -o json 2>/dev/null | "$ND_PY" -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for i in d["items"] if i["metadata"]["name"] in ("web", "db", "ext", "dual", "idle")))')
assert_eq "kubectl get services -o json: fixture Services" 5 "$n"

# a watch sees an object added through the control API
WOUT="$ND_TMP/watch.out"
timeout 5 "${KC[@]}" get services -A --watch >"$WOUT" 2>&1 &
WPID=$!
nd_track "$WPID"
kapi_wait_watches 1 || fail "kubectl --watch did not open a watch (watches=$(kapi_rv watches))"
kapi_apply '{"kind":"Service","apiVersion":"v1","metadata":{"name":"added-by-test","namespace":"shop"},"spec":{"ports":[{"port":8080}]}}' >/dev/null
seen() { grep -q 'added-by-test' "$WOUT"; }
if poll_until 4000 seen; then
	pass "kubectl --watch saw the Service added through /_test/apply (${POLL_MS} ms)"
else
	fail "kubectl --watch did not show added-by-test; its output:"
	sed 's/^/    | /' "$WOUT"
fi
nd_kill "$WPID"
assert_contains "the watch listed the existing Services first" "$(cat "$WOUT")" "web"
assert_match "the added Service got a cluster IP" "$(cat "$WOUT")" 'added-by-test +ClusterIP +10\.96\.'

nd_done
