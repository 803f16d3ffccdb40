#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_kube_bad_input.sh - what the API (or a broken proxy in
# front of it) may send that nodedns must not keep or serve:
#   - a 17 MiB watch event (past the 16 MiB line limit): the watch starts
#     again, the object comes with the re-list, and the transport's
#     buffers go back under 64 KiB each afterwards
#     (nodedns_kube_buffer_bytes), so one large event does not hold its
#     memory for the life of the process;
#   - a watch line that holds "ERROR" without being an ERROR event is
#     applied like any other, and the watch carries on;
#   - objects with names the API refuses (upper case, a Service name that
#     starts with a digit, an upper-case namespace): skipped, counted in
#     nodedns_kube_bad_objects_total, never served, and the Service whose
#     name an upper-case one would alias keeps its own address.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kube.sh"

FIXTURE="$KUBE_FIXTURES/cluster.json"
SVC="svc.$ZONE"
BUF_MAX=$((3 * 65536)) # three watchers, each back under 64 KiB

need curl
start_kubeapi --state "$FIXTURE" --quiet
start_nodedns --upstream 127.0.0.1:9 --kube-api "$KAPI_URL"
wait_ready 20000 || die "/ready not 200 after the first list"
wait_kube_watching || die "not watching: $(kube_states | paste -sd' ' -)"

svc_json() { # NAME NS CLUSTERIP
	printf '{"kind":"Service","apiVersion":"v1","metadata":{"name":"%s","namespace":"%s"},"spec":{"clusterIP":"%s","ports":[{"name":"http","protocol":"TCP","port":80}]}}' \
		"$1" "$2" "$3"
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$ND_PID/status" 2>/dev/null || echo 0; }
metric_le() { [ "$(metric "$1")" -le "$2" ]; }

# --- a 17 MiB watch event -------------------------------------------------------
log "=== a 17 MiB watch line"
"$ND_PY" - "$ND_TMP/fat.json" <<'EOF'
import json, sys
svc = {"kind": "Service", "apiVersion": "v1",
       "metadata": {"name": "fat", "namespace": "shop",
                    "annotations": {"example.com/blob": "x" * (17 << 20)}},
       "spec": {"clusterIP": "10.96.0.88",
                "ports": [{"name": "http", "protocol": "TCP", "port": 80}]}}
json.dump(svc, open(sys.argv[1], "w"))
EOF
have_pid && log "RSS before: $(rss_kb) kB"
r0=$(metric_l nodedns_kube_watch_restarts_total 'resource="services"')
kapi /_test/apply -X POST -H 'Content-Type: application/json' --data-binary "@$ND_TMP/fat.json" >/dev/null
poll_until 20000 rcode_is "fat.shop.$SVC" A NOERROR ||
	fail "the Service of the 17 MiB event is not served within 20 s"
assert_cmp "services watch restarts after the long line" \
	"$(metric_l nodedns_kube_watch_restarts_total 'resource="services"')" -gt "$r0"
have_pid && log "RSS after the long event: $(rss_kb) kB"
# normal lines after it, on every watch
kapi_apply "$(svc_json after shop 10.96.0.89)" >/dev/null
poll_until 5000 rcode_is "after.shop.$SVC" A NOERROR || fail "a change after the long line is not served"
wait_kube_watching || fail "not watching again: $(kube_states | paste -sd' ' -)"
if poll_until 5000 metric_le nodedns_kube_buffer_bytes "$BUF_MAX"; then
	pass "the transport's buffers back to $(metric nodedns_kube_buffer_bytes) bytes (at most $BUF_MAX)"
else
	fail "nodedns_kube_buffer_bytes $(metric nodedns_kube_buffer_bytes) > $BUF_MAX after the long event"
fi
have_pid && log "RSS after normal lines: $(rss_kb) kB"

# --- a line that holds "ERROR" but is no ERROR event ----------------------------
# (the control thread parses such lines itself, the writer every other)
kapi_apply '{"kind":"Service","apiVersion":"v1","metadata":{"name":"noerr","namespace":"shop","labels":{"state":"ERROR"}},"spec":{"clusterIP":"10.96.0.95","ports":[{"name":"http","protocol":"TCP","port":80}]}}' >/dev/null
poll_until 5000 rcode_is "noerr.shop.$SVC" A NOERROR || fail "a Service labelled \"ERROR\" is not served"
kapi_apply "$(svc_json after2 shop 10.96.0.96)" >/dev/null
poll_until 5000 rcode_is "after2.shop.$SVC" A NOERROR || fail "the watch stopped after a line holding \"ERROR\""

# --- names the API refuses ------------------------------------------------------
log "=== bad object names"
b0=$(metric_l nodedns_kube_bad_objects_total 'resource="services"')
kapi_apply "$(svc_json Web shop 10.96.0.91)" >/dev/null
kapi_apply "$(svc_json 1web shop 10.96.0.92)" >/dev/null
kapi_apply "$(svc_json ok Shop 10.96.0.93)" >/dev/null
kapi_apply "$(svc_json good shop 10.96.0.94)" >/dev/null
poll_until 5000 rcode_is "good.shop.$SVC" A NOERROR || fail "the good Service behind the bad ones is not served"
b1=$(metric_l nodedns_kube_bad_objects_total 'resource="services"')
assert_eq "bad Service objects counted" 3 "$((b1 - b0))"
k_expect "web.shop.$SVC" A NOERROR ANSWER "web.shop.$SVC." A 10.96.0.20
assert_not_contains "web.shop keeps its own address, not the upper-case Web's" \
	"$(q "web.shop.$SVC" A)" 10.96.0.91
assert_eq "1web.shop (starts with a digit)" NXDOMAIN "$(rcode_of "$(q "1web.shop.$SVC" A)")"
assert_eq "ok.Shop (upper-case namespace)" NXDOMAIN "$(rcode_of "$(q "ok.shop.$SVC" A)")"
assert_cmp "bad objects logged (rate-limited: at most 10 a minute)" \
	"$(grep -c 'skipped: .*metadata\.\(name\|namespace\): not a DNS label' "$ND_LOG")" -ge 3
nd_done
