#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_roles.sh - the roles and limits of a deployed nodedns:
# - in a pod without a service-account token it refuses to start and says
#   how to run as a plain cache; with --kube-api none it starts, says so,
#   and forwards the cluster domain like any name;
# - --threads 0 starts a worker per CPU it may use: its affinity mask and
#   its cgroup's CPU limit, not the node's CPU count;
# - its lists ask the API server for resourceVersion=0 (its watch cache)
#   at start and for a state not older than its own after a 410, never a
#   quorum read unless the server refuses that resourceVersion.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kube.sh"

# --- a pod without a token; --kube-api none ------------------------------------
cat >"$ND_TMP/cluster.zone" <<'EOF2'
$ORIGIN cluster.local.
$TTL 300
@	IN SOA ns.test. host.test. 1 3600 600 86400 300
@	IN NS ns.test.
probe.default.svc	IN A 10.1.2.3
EOF2
start_nsd "$ND_TMP/cluster.zone" cluster.local

export KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=1
LOG="$ND_TMP/no-token.log"
rc=0
"$ND_BUILDDIR/nodedns" --listen "127.0.0.1:$(free_port)" --http-listen "127.0.0.1:$(free_port)" \
	--debug-listen "127.0.0.1:$(free_port)" \
	--resolv-conf /dev/null --upstream "127.0.0.1:$NSD_PORT" >"$LOG" 2>&1 </dev/null || rc=$?
assert_ne "exit status in a pod without a token" 0 "$rc"
assert_contains "the start-up error" "$(cat "$LOG")" "--kube-api none makes nodedns a plain forwarding cache"

start_nodedns --upstream "127.0.0.1:$NSD_PORT" --kube-api none
unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT
assert_contains "the log of --kube-api none" "$(cat "$ND_LOG")" "--kube-api none: no cluster zone; a plain forwarding cache"
wait_ready 5000 || fail "/ready not 200 as a plain cache (got $(nd_http_code /ready))"
k_expect probe.default.svc.cluster.local A NOERROR
assert_eq "the cluster domain is forwarded upstream" 10.1.2.3 \
	"$(k_rdata "$K_OUT" probe.default.svc.cluster.local A)"
stop_nodedns

# --- --threads 0 -------------------------------------------------------------
online=$(getconf _NPROCESSORS_ONLN)
workers_line() { grep -m1 -E 'worker(s)? \(--threads 0\)' "$ND_LOG"; }
if [ "$online" -ge 2 ] && command -v taskset >/dev/null; then
	ND_THREADS=0 ND_WRAP="taskset -c 0" start_nodedns --upstream "127.0.0.1:$NSD_PORT" --kube-api none
	assert_match "one CPU in the affinity mask: one worker" "$(workers_line)" ' 1 worker \(--threads 0\): [0-9]+ CPUs online, 1 in the affinity mask'
	assert_eq "one worker's UDP socket" 1 "$(ss -lnu "sport = :$ND_PORT" | grep -c ":$ND_PORT")"
	stop_nodedns
else
	log "skipped the affinity check: $online CPU(s) online or no taskset"
fi

# The cgroup's CPU limit: half a CPU in a cgroup of our own (v2 or v1).
CG=
cg_cleanup() { [ -n "$CG" ] && rmdir "$CG" 2>/dev/null; true; }
trap 'cg_cleanup; nd_cleanup' EXIT
if [ "$online" -lt 2 ]; then
	log "skipped the cgroup check: 1 CPU online shows nothing"
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null &&
	mkdir "/sys/fs/cgroup/nodedns-test-$$" 2>/dev/null; then
	CG="/sys/fs/cgroup/nodedns-test-$$"
	echo "50000 100000" >"$CG/cpu.max"
elif [ -d /sys/fs/cgroup/cpu ] && mkdir "/sys/fs/cgroup/cpu/nodedns-test-$$" 2>/dev/null; then
	CG="/sys/fs/cgroup/cpu/nodedns-test-$$"
	echo 100000 >"$CG/cpu.cfs_period_us"
	echo 50000 >"$CG/cpu.cfs_quota_us"
else
	log "skipped the cgroup check: no writable cgroup with the cpu controller here"
fi
if [ -n "$CG" ]; then
	cat >"$ND_TMP/in-cgroup.sh" <<EOF2
#!/bin/sh
# move into the test's cgroup, then become the daemon
echo \$\$ >"$CG/cgroup.procs" && exec "\$@"
EOF2
	chmod +x "$ND_TMP/in-cgroup.sh"
	ND_THREADS=0 ND_WRAP="$ND_TMP/in-cgroup.sh" start_nodedns --upstream "127.0.0.1:$NSD_PORT" --kube-api none
	assert_match "half a CPU of cgroup limit: one worker" "$(workers_line)" ' 1 worker \(--threads 0\): .* cgroup CPU limit 1 CPU$'
	stop_nodedns
	cg_cleanup
	CG=
fi

# --- resourceVersion of the lists ------------------------------------------------
start_kubeapi --state "$ND_SRCDIR/tests/kubeapi/fixtures/small.json" --bookmark-interval 0.2
start_nodedns --upstream "127.0.0.1:$NSD_PORT" --kube-api "$KAPI_URL"
wait_ready 10000 || fail "not ready on the test API server"
wait_kube_watching 10000 || fail "not watching every resource"

# list_rvs RESOURCE: the resourceVersion= of each list (not watch) of it.
list_rvs() {
	kapi /_test/requests | "$ND_PY" -c '
import json, sys
from urllib.parse import parse_qs
for r in json.load(sys.stdin)["requests"]:
    q = parse_qs(r["query"], keep_blank_values=True)
    if r["method"] == "GET" and r["path"].endswith("/" + sys.argv[1]) and "watch" not in q:
        print(q.get("resourceVersion", ["(none)"])[-1])' "$1"
}
for res in services endpointslices namespaces; do
	assert_eq "the first list of $res asks the API server's cache" 0 "$(list_rvs "$res" | head -n 1)"
done

# A 410 on the watch: the API hangs (the watches are cut and resumed, and
# hang: nodedns's resourceVersion stays put), a Service is added unseen,
# the history is compacted, the API comes back: the resumed watch gets
# 410 and the re-list asks for a state not older than ours.
kapi_post "/_test/down?mode=hang" >/dev/null
kapi_post /_test/cut >/dev/null
poll_until 10000 kube_all_hanging || fail "watches not hanging: $(kube_states | paste -sd' ' -)"
rv_before=$(kube_field services resourceVersion)
kapi_apply '{"kind":"Service","apiVersion":"v1","metadata":{"name":"hidden","namespace":"default"},"spec":{"clusterIP":"10.96.0.60","ports":[{"port":80}]}}' >/dev/null
kapi_post /_test/compact >/dev/null
kapi_post /_test/cut >/dev/null
kapi_post /_test/up >/dev/null
relisted() { [ "$(list_rvs services | wc -l)" -ge 2 ]; }
poll_until 10000 relisted || fail "no re-list of services after compaction"
assert_eq "the re-list after 410 asks for not older than our resourceVersion" "$rv_before" \
	"$(list_rvs services | sed -n 2p)"
wait_kube_watching 10000 || fail "not watching again after the re-list"
stop_nodedns
stop_kubeapi

nd_done
