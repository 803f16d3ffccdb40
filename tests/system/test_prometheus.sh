#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_prometheus.sh - nodedns under a real Prometheus: a
# Prometheus on a loopback port (its own config and temporary storage,
# nothing remote) scrapes a nodedns that runs with --metrics-compat
# coredns under a bounded load, with the shipped rules and the
# coredns-mixin alerts loaded. Through Prometheus's HTTP API it checks that
# the expected series exist, that every query of the shipped dashboard
# returns series, that the mixin alerts have series to read (not the silent
# "inactive on nothing" of the issue), and that stopping the upstream and
# stopping the API server fire the right alerts. The test's copy of the
# rules has short windows and `for:` so it runs in well under a minute.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kube.sh"
need prometheus
need python3
LOADGEN="$ND_BUILDDIR/tests/bench/loadgen"
[ -x "$LOADGEN" ] || die "$LOADGEN not built (make check builds it)"
RULES="$ND_SRCDIR/deploy/monitoring/nodedns-rules.yaml"
DASH="$ND_SRCDIR/deploy/monitoring/nodedns-dashboard.json"

start_nsd "$ND_ZONES/example.test.zone" example.test
start_kubeapi --state "$KUBE_FIXTURES/cluster.json"
start_nodedns --upstream "127.0.0.1:$NSD_PORT" --kube-api "$KAPI_URL" \
	--kube-backoff-max 1000 --metrics-compat coredns
wait_ready 10000 || die "nodedns not ready"

# --- a bounded load: unique names (forwarded) and a cached name ----------------
qfile="$ND_TMP/queries.txt"
for i in $(seq 1 3000); do
	printf 'load%d.example.test A\n' "$i"
	[ $((i % 3)) = 0 ] && printf 'www.example.test A\n'
done >"$qfile"
# 40 queries/s for at most 55 s; stopped earlier at the end of the test
"$LOADGEN" -s 127.0.0.1 -p "$ND_PORT" -d "$qfile" --rate 40 --duration 55 \
	--sockets 1 >"$ND_TMP/loadgen.out" 2>&1 &
LOAD_PID=$!
nd_track "$LOAD_PID"

# --- Prometheus: its own config, rules and storage -----------------------------
pdir="$ND_TMP/prometheus"
mkdir -p "$pdir/data"
# The shipped rules with windows and `for:` shortened for a test.
sed -e 's/\[5m\]/[10s]/g; s/\[10m\]/[20s]/g; s/\[15m\]/[30s]/g' \
	-e 's/\[30m\]/[60s]/g; s/\[1h\]/[60s]/g' \
	-e 's/^\( *\)for: .*/\1for: 2s/' "$RULES" >"$pdir/nodedns-rules.yaml"
# The coredns-mixin alerts (github.com/povilasv/coredns-mixin, alerts/
# coredns.libsonnet and forward.libsonnet) with the selector job="nodedns",
# windows and `for:` shortened the same way.
cat >"$pdir/coredns-mixin.yaml" <<'YAML'
groups:
  - name: coredns
    rules:
      - alert: CoreDNSDown
        expr: absent(up{job="nodedns"} == 1)
        for: 2s
      - alert: CoreDNSLatencyHigh
        expr: histogram_quantile(0.99, sum(rate(coredns_dns_request_duration_seconds_bucket{job="nodedns"}[10s])) by(server, zone, le)) > 4
        for: 2s
      - alert: CoreDNSErrorsHigh
        expr: sum(rate(coredns_dns_responses_total{job="nodedns",rcode="SERVFAIL"}[10s])) / sum(rate(coredns_dns_responses_total{job="nodedns"}[10s])) > 0.03
        for: 2s
        labels: { severity: critical }
      - alert: CoreDNSErrorsHigh
        expr: sum(rate(coredns_dns_responses_total{job="nodedns",rcode="SERVFAIL"}[10s])) / sum(rate(coredns_dns_responses_total{job="nodedns"}[10s])) > 0.01
        for: 2s
        labels: { severity: warning }
  - name: coredns_forward
    rules:
      - alert: CoreDNSForwardLatencyHigh
        expr: histogram_quantile(0.99, sum(rate(coredns_forward_request_duration_seconds_bucket{job="nodedns"}[10s])) by(to, le)) > 4
        for: 2s
      - alert: CoreDNSForwardErrorsHigh
        expr: sum(rate(coredns_forward_responses_total{job="nodedns",rcode="SERVFAIL"}[10s])) / sum(rate(coredns_forward_responses_total{job="nodedns"}[10s])) > 0.03
        for: 2s
        labels: { severity: critical }
      - alert: CoreDNSForwardErrorsHigh
        expr: sum(rate(coredns_forward_responses_total{job="nodedns",rcode="SERVFAIL"}[10s])) / sum(rate(coredns_forward_responses_total{job="nodedns"}[10s])) > 0.01
        for: 2s
        labels: { severity: warning }
      - alert: CoreDNSForwardHealthcheckFailureCount
        expr: sum(rate(coredns_forward_healthcheck_failures_total{job="nodedns"}[10s])) by (to) > 0
        for: 2s
      - alert: CoreDNSForwardHealthcheckBrokenCount
        expr: sum(rate(coredns_forward_healthcheck_broken_total{job="nodedns"}[10s])) > 0
        for: 2s
YAML
promtool check rules "$pdir/nodedns-rules.yaml" "$pdir/coredns-mixin.yaml" >"$pdir/check.out" 2>&1 ||
	{ cat "$pdir/check.out"; die "the test's rules do not load"; }
PROM_PORT=$(free_port)
cat >"$pdir/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $pdir/nodedns-rules.yaml
  - $pdir/coredns-mixin.yaml
scrape_configs:
  - job_name: nodedns
    static_configs:
      - targets: ['127.0.0.1:$ND_HPORT']
EOF2
prometheus --config.file="$pdir/prometheus.yml" \
	--storage.tsdb.path="$pdir/data" --storage.tsdb.retention.time=1h \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
	>"$pdir/prometheus.log" 2>&1 </dev/null &
PROM_PID=$!
nd_track "$PROM_PID"
log "prometheus on 127.0.0.1:$PROM_PORT (pid $PROM_PID)"

# prom_api PATH [curl args]: Prometheus's HTTP API
prom_api() { curl -sS --max-time 5 "http://127.0.0.1:$PROM_PORT$1" "${@:2}"; }
# prom_count EXPR: how many series the instant query returns ("" on error)
prom_count() {
	prom_api /api/v1/query --data-urlencode "query=$1" 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print(len(d["data"]["result"]) if d.get("status") == "success" else "")
except Exception:
    print("")'
}
has_series() { [ "$(prom_count "$1")" -gt 0 ] 2>/dev/null; }
# alert_state NAME: firing, pending or "" (the state of its first alert)
alert_state() {
	prom_api /api/v1/alerts 2>/dev/null | N="$1" python3 -c '
import json, os, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(0)
st = [a["state"] for a in d["data"]["alerts"] if a["labels"]["alertname"] == os.environ["N"]]
print("firing" if "firing" in st else (st[0] if st else ""))'
}
is_firing() { [ "$(alert_state "$1")" = firing ]; }
target_up() { has_series 'up{job="nodedns"} == 1'; }

poll_until 15000 target_up || {
	tail -n 20 "$pdir/prometheus.log"
	die "Prometheus does not scrape nodedns"
}
pass "Prometheus scrapes nodedns (up == 1)"

# --- the series dashboards and alerts read --------------------------------------
# Rates need two samples of traffic: wait for the forwarded queries to show.
poll_until 15000 has_series 'rate(coredns_forward_requests_total{job="nodedns"}[10s]) > 0' ||
	fail "no forwarded traffic seen by Prometheus within 15 s"
for s in nodedns_build_info process_cpu_seconds_total process_resident_memory_bytes \
	process_virtual_memory_bytes process_open_fds process_max_fds \
	process_start_time_seconds coredns_build_info coredns_panics_total \
	coredns_reload_failed_total coredns_dns_requests_total \
	coredns_dns_responses_total coredns_dns_request_duration_seconds_bucket \
	coredns_cache_entries coredns_cache_hits_total coredns_cache_misses_total \
	coredns_forward_requests_total coredns_forward_responses_total \
	coredns_forward_request_duration_seconds_bucket \
	coredns_proxy_request_duration_seconds_bucket \
	coredns_forward_healthcheck_failures_total \
	coredns_forward_healthcheck_broken_total \
	coredns_kubernetes_dns_programming_duration_seconds_bucket; do
	if has_series "$s{job=\"nodedns\"}"; then pass "series $s"; else fail "no series $s"; fi
done
# the revision is the git commit configure saw, or "unknown" outside git
if has_series 'nodedns_build_info{version=~"[0-9]+[.][0-9]+.*",revision=~"[0-9a-f]{7,40}|unknown"}'; then
	pass "nodedns_build_info has a version and a revision"
else
	fail "nodedns_build_info without version or revision: $(prom_api /api/v1/query --data-urlencode query=nodedns_build_info)"
fi
assert_cmp "process_resident_memory_bytes > 1 MB" \
	"$(prom_count 'process_resident_memory_bytes{job="nodedns"} > 1e6')" -eq 1
assert_cmp "process_start_time_seconds is after 2020" \
	"$(prom_count 'process_start_time_seconds{job="nodedns"} > 1.58e9')" -eq 1
assert_cmp "cache hits counted (www.example.test repeats)" \
	"$(prom_count 'coredns_cache_hits_total{job="nodedns"} > 0')" -eq 1

# The mixin alerts read series now: each alert's selector has data.
for sel in 'coredns_dns_request_duration_seconds_bucket{job="nodedns"}' \
	'coredns_dns_responses_total{job="nodedns",rcode="SERVFAIL"}' \
	'coredns_forward_request_duration_seconds_bucket{job="nodedns"}' \
	'coredns_forward_responses_total{job="nodedns",rcode="SERVFAIL"}' \
	'coredns_forward_healthcheck_failures_total{job="nodedns"}' \
	'coredns_forward_healthcheck_broken_total{job="nodedns"}'; do
	if has_series "$sel"; then pass "mixin alert input $sel"; else fail "mixin alert input $sel: no series"; fi
done

# Every rule loaded and evaluates without error.
rules_ok() {
	prom_api /api/v1/rules 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
rules = [r for g in d["data"]["groups"] for r in g["rules"]]
bad = [r["name"] for r in rules if r.get("health") != "ok"]
print(len(rules), " ".join(bad))'
}
all_rules_healthy() { local r; r=$(rules_ok); [ -n "$r" ] && [ "${r#* }" = "" ]; }
poll_until 10000 all_rules_healthy || true
r=$(rules_ok)
assert_eq "rules that are not healthy" "" "${r#* }"
assert_cmp "rules loaded (shipped + mixin)" "${r%% *}" -ge 35

# Every query of the shipped dashboard returns series.
dash_empty() {
	DASH="$DASH" PROM="http://127.0.0.1:$PROM_PORT" python3 -c '
import json, os, urllib.parse, urllib.request
d = json.load(open(os.environ["DASH"]))
empty = []
for p in d["panels"]:
    for t in p.get("targets", []):
        q = t["expr"].replace("$instance", ".+")
        url = os.environ["PROM"] + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
        try:
            r = json.load(urllib.request.urlopen(url, timeout=5))
            n = len(r["data"]["result"])
        except Exception as e:
            n = 0
        if n == 0:
            empty.append(p["title"] + ": " + q)
print("\n".join(empty))'
}
dash_all_series() { [ -z "$(dash_empty)" ]; }
poll_until 15000 dash_all_series || true
assert_eq "dashboard queries without series" "" "$(dash_empty)"

assert_eq "NodeDNSUpstreamDown before the fault" "" "$(alert_state NodeDNSUpstreamDown)"
assert_eq "CoreDNSDown while nodedns is scraped" "" "$(alert_state CoreDNSDown)"

# --- fault 1: the upstream goes away ------------------------------------------
stop_nsd
log "upstream stopped"
poll_until 30000 is_firing NodeDNSUpstreamDown || true
assert_eq "NodeDNSUpstreamDown after stopping the upstream" firing "$(alert_state NodeDNSUpstreamDown)"
poll_until 10000 is_firing CoreDNSForwardHealthcheckFailureCount || true
assert_eq "mixin CoreDNSForwardHealthcheckFailureCount" firing \
	"$(alert_state CoreDNSForwardHealthcheckFailureCount)"
poll_until 10000 is_firing CoreDNSErrorsHigh || true
assert_eq "mixin CoreDNSErrorsHigh (SERVFAIL answers)" firing "$(alert_state CoreDNSErrorsHigh)"

# --- fault 2: the Kubernetes API goes away ------------------------------------
assert_eq "NodeDNSKubeAPIErrors before the fault" "" "$(alert_state NodeDNSKubeAPIErrors)"
stop_kubeapi
log "API server stopped"
poll_until 30000 is_firing NodeDNSKubeAPIErrors || true
assert_eq "NodeDNSKubeAPIErrors after stopping the API server" firing "$(alert_state NodeDNSKubeAPIErrors)"

nd_kill "$LOAD_PID"
nd_kill "$PROM_PID"
stop_nodedns
nd_done
