#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_kube_big_object.sh - one object the API accepts must
# not take a node's DNS down: a headless Service with 10,000 named ports
# and an EndpointSlice of 1,000 endpoints with the same ports (10 million
# SRV targets if rendered in full). nodedns renders it cut to
# --kube-max-service-records, logs it once and counts it; RSS stays under
# --kube-max-bytes; /health answers within 100 ms all along (the render
# runs on the kube writer thread, not the control thread); a small
# Service deleted right behind the big object is gone within 1 s, and so
# is the big one; SIGTERM while it renders ends the process within 2 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kube.sh"

FIXTURE="$KUBE_FIXTURES/cluster.json"
SVC="svc.$ZONE"
BUDGET_MB=256
HEALTH_MAX_MS=100
DELETE_MAX_MS=1000
# A sanitized build (ASan+UBSan) runs its code several times slower and
# its RSS is mostly ASan's shadow memory and quarantine: the time bounds
# are scaled for it and RSS is not checked there.
IS_SANITIZED=0
if grep -qa __asan_init "$ND_BUILDDIR/nodedns" 2>/dev/null; then
	IS_SANITIZED=1
	HEALTH_MAX_MS=500
	DELETE_MAX_MS=3000
fi

need curl
start_kubeapi --state "$FIXTURE" --quiet
start_nodedns --upstream 127.0.0.1:9 --kube-api "$KAPI_URL" \
	--kube-max-bytes "${BUDGET_MB}m"
wait_ready 20000 || die "/ready not 200 after the first list"
k_expect "web.shop.$SVC" A NOERROR ANSWER "web.shop.$SVC." A 10.96.0.20
wait_kube_watching || die "not watching: $(kube_states | paste -sd' ' -)"

# The objects, written by python: 10,000 ports do not fit a shell argument.
"$ND_PY" - "$ND_TMP" <<'EOF'
import json, sys
d = sys.argv[1]
ports = [{"name": "p%d" % i, "protocol": "TCP", "port": 1024 + i}
         for i in range(10000)]
svc = {"kind": "Service", "apiVersion": "v1",
       "metadata": {"name": "huge", "namespace": "shop"},
       "spec": {"clusterIP": "None", "ports": ports}}
eps = [{"addresses": ["10.250.%d.%d" % (i // 250, i % 250 + 1)],
        "conditions": {"ready": True}} for i in range(1000)]
sl = {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
      "metadata": {"name": "huge-abcde", "namespace": "shop",
                   "labels": {"kubernetes.io/service-name": "huge"}},
      "addressType": "IPv4", "endpoints": eps, "ports": ports}
json.dump({"kind": "List", "apiVersion": "v1", "items": [svc, sl]},
          open(d + "/huge.json", "w"))
small = {"kind": "Service", "apiVersion": "v1",
         "metadata": {"name": "small", "namespace": "shop"},
         "spec": {"clusterIP": "10.96.0.77",
                  "ports": [{"name": "http", "protocol": "TCP", "port": 80}]}}
json.dump(small, open(d + "/small.json", "w"))
EOF
apply_file() { kapi /_test/apply -X POST -H 'Content-Type: application/json' --data-binary "@$1" >/dev/null; }

# The watcher: /health every 20 ms with its latency, and the daemon's
# VmRSS, the highest of each written to $WATCH_OUT until it is killed.
WATCH_OUT="$ND_TMP/watch.out"
"$ND_PY" - "$ND_HPORT" "$ND_PID" "$WATCH_OUT" <<'EOF' &
import http.client, os, sys, time
port, pid, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
worst = rss = n = bad = 0
slow = []
while True:
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/health")
        ok = c.getresponse().status == 200
        c.close()
    except Exception:
        ok = False
    ms = (time.monotonic() - t0) * 1000
    n += 1
    bad += 0 if ok else 1
    worst = max(worst, ms)
    if ms > 50:
        slow.append("%.3f:%.0f" % (time.time() % 1000, ms))
    try:
        for line in open("/proc/%s/status" % pid):
            if line.startswith("VmRSS:"):
                rss = max(rss, int(line.split()[1]))
    except OSError:
        pass
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d %.1f %d %s\n" % (n, bad, worst, rss, ",".join(slow[-8:])))
    os.replace(tmp, out)
    time.sleep(0.02)  # sleep-ok: the watcher's own pace, not a wait on a state
EOF
WATCH_PID=$!
nd_track "$WATCH_PID"
watch_field() { awk -v f="$1" '{print $f}' "$WATCH_OUT" 2>/dev/null; }
watch_has() { [ -s "$WATCH_OUT" ] && [ "$(watch_field 1)" -ge "$1" ]; }
poll_until 5000 watch_has 3 || die "the /health watcher does not run"
poll_until 5000 watch_has 20 || die "the /health watcher stalls"
rss0=$(watch_field 4)
log "before the big object: RSS $rss0 kB, slowest /health of $(watch_field 1) polls $(watch_field 3) ms"


apply_file "$ND_TMP/small.json"
poll_until 3000 rcode_is "small.shop.$SVC" A NOERROR || fail "Service small not served"

# --- the big object, then a deletion behind it --------------------------------
log "=== 10,000 ports x 1,000 endpoints"
l0=$(log_lines)
t_apply=$(now_ms)
apply_file "$ND_TMP/huge.json"
kapi_delete Service shop small >/dev/null
t_del=$(now_ms)
if poll_until 10000 rcode_is "small.shop.$SVC" A NXDOMAIN; then
	pass "a deletion behind the big object served after $(($(now_ms) - t_del)) ms"
	assert_cmp "ms from the deletion to NXDOMAIN" "$(($(now_ms) - t_del))" -le "$DELETE_MAX_MS"
else
	fail "Service small still answers 10 s after its deletion"
fi
# the big object is in: its first SRV name answers, the cut is counted
srv_ok() { [ "$(rcode_of "$(q "_p0._tcp.huge.shop.$SVC" SRV)")" = NOERROR ]; }
poll_until 30000 srv_ok || fail "_p0._tcp.huge not served within 30 s"
poll_until 5000 metric_ge nodedns_kube_truncated_objects_total 1 ||
	fail "nodedns_kube_truncated_objects_total not counted"
log "big object served $(($(now_ms) - t_apply)) ms after the apply"
assert_eq "nodedns_kube_truncated_objects" 1 "$(metric nodedns_kube_truncated_objects)"
assert_eq "a port past the limit has no SRV name" NXDOMAIN \
	"$(rcode_of "$(q "_p9999._tcp.huge.shop.$SVC" SRV)")"
k_expect "10-250-0-1.huge.shop.$SVC" A NOERROR ANSWER "10-250-0-1.huge.shop.$SVC." A 10.250.0.1
cut_lines=$(tail -n +"$((l0 + 1))" "$ND_LOG" | grep -c 'over the limit of')
assert_eq "the cut is logged once for the object" 1 "$cut_lines"
warn_lines=$(tail -n +"$((l0 + 1))" "$ND_LOG" | grep -c ' warn ')
assert_cmp "warning lines for the big object" "$warn_lines" -le 5
assert_eq "/ready while the zone holds the big object" 200 "$(nd_http_code /ready)"

# its deletion is served within 1 s
t_del=$(now_ms)
kapi_delete Service shop huge cascade >/dev/null
if poll_until 10000 rcode_is "huge.shop.$SVC" A NXDOMAIN; then
	assert_cmp "ms from the big object's deletion to NXDOMAIN" "$(($(now_ms) - t_del))" -le "$DELETE_MAX_MS"
else
	fail "the big Service still answers 10 s after its deletion"
fi
metric_is() { [ "$(metric "$1")" = "$2" ]; }
poll_until 5000 metric_is nodedns_kube_truncated_objects 0 ||
	fail "nodedns_kube_truncated_objects not back to 0 after the deletion"

# --- apply/delete cycles: memory does not climb -----------------------------
for i in 1 2 3; do
	apply_file "$ND_TMP/huge.json"
	poll_until 30000 srv_ok || fail "cycle $i: big object not served"
	kapi_delete Service shop huge cascade >/dev/null
	poll_until 10000 rcode_is "huge.shop.$SVC" A NXDOMAIN || fail "cycle $i: not deleted"
done

read -r n bad worst rss slow <"$WATCH_OUT"
log "/health: $n polls, $bad failed, slowest ${worst} ms (over 50 ms, wall s mod 1000: ${slow:-none}); highest RSS $rss kB (before: $rss0 kB)"
assert_eq "/health polls that failed" 0 "$bad"
assert_cmp "slowest /health (ms, integer part)" "${worst%.*}" -le "$HEALTH_MAX_MS"
if [ "$IS_SANITIZED" = 0 ]; then
	assert_cmp "highest RSS (kB)" "$rss" -le $((BUDGET_MB * 1024))
else
	log "sanitized build: RSS not checked (ASan's shadow memory), /health bound $HEALTH_MAX_MS ms, deletion bound $DELETE_MAX_MS ms"
fi
assert_eq "nodedns_kube_over_budget_objects_total" 0 "$(metric nodedns_kube_over_budget_objects_total)"

# --- SIGTERM while the big object renders -------------------------------------
if have_pid; then
	log "=== SIGTERM during the render"
	apply_file "$ND_TMP/huge.json"
	pid=$ND_PID
	t0=$(now_ms)
	kill -TERM "$pid"
	if poll_until 5000 pid_gone "$pid"; then
		assert_cmp "ms from SIGTERM to exit during a big render" "$(($(now_ms) - t0))" -le 2000
	else
		fail "nodedns still running 5 s after SIGTERM"
	fi
	wait "$pid" 2>/dev/null
	assert_eq "exit status after SIGTERM" 0 "$?"
	nd_forget "$pid"
	ND_PID=
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$ND_LOG"; then
		fail "sanitizer report in $ND_LOG"
		grep -E -A30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$ND_LOG" | head -50 | sed 's/^/    | /'
	fi
fi
nd_kill "$WATCH_PID"
nd_done
