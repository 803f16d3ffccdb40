#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_metrics.sh - the HTTP endpoint: /metrics families and
# their counts, /health, /ready, errors.
. "$(dirname "$0")/lib.sh"

start_nsd "$ND_ZONES/example.test.zone" example.test
start_nodedns --upstream "127.0.0.1:$NSD_PORT"
up="127.0.0.1:$NSD_PORT"

assert_eq "/health" 200 "$(nd_http_code /health)"
assert_eq "/ready (no cluster configured)" 200 "$(nd_http_code /ready)"
assert_eq "/no-such-page" 404 "$(nd_http_code /no-such-page)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -X POST "http://127.0.0.1:$ND_HPORT/metrics")
assert_eq "POST /metrics" 405 "$code"
ctype=$(curl -s -o /dev/null -w '%{content_type}' --max-time 3 "http://127.0.0.1:$ND_HPORT/metrics")
assert_contains "/metrics content type" "$ctype" "text/plain"
assert_contains "/metrics content type" "$ctype" "version=0.0.4"

# counts before, then known traffic
r0_udp_mx=$(metric_l nodedns_dns_requests_total 'proto="udp"' 'type="MX"')
r0_tcp_a=$(metric_l nodedns_dns_requests_total 'proto="tcp"' 'type="A"')
nx0=$(metric_l nodedns_dns_responses_total 'rcode="NXDOMAIN"')
ok0=$(metric_l nodedns_dns_responses_total 'rcode="NOERROR"')
f0=$(metric_l nodedns_forward_requests_total "upstream=\"$up\"")
for i in 1 2 3; do q example.test MX >/dev/null; done
q www.example.test A +tcp >/dev/null
q www.example.test A +tcp >/dev/null
q nope.example.test A >/dev/null
q txt.example.test TXT >/dev/null

assert_eq "requests{proto=udp,type=MX} +3" $((r0_udp_mx + 3)) \
	"$(metric_l nodedns_dns_requests_total 'proto="udp"' 'type="MX"')"
assert_eq "requests{proto=tcp,type=A} +2" $((r0_tcp_a + 2)) \
	"$(metric_l nodedns_dns_requests_total 'proto="tcp"' 'type="A"')"
assert_eq "responses{rcode=NXDOMAIN} +1" $((nx0 + 1)) \
	"$(metric_l nodedns_dns_responses_total 'rcode="NXDOMAIN"')"
assert_eq "responses{rcode=NOERROR} +6" $((ok0 + 6)) \
	"$(metric_l nodedns_dns_responses_total 'rcode="NOERROR"')"
# MX, www A, nope A, txt TXT were not cached: 4 forwarded (MX and A once)
assert_eq "forward_requests_total{$up} +4" $((f0 + 4)) \
	"$(metric_l nodedns_forward_requests_total "upstream=\"$up\"")"

text=$(nd_http /metrics)
printf '%s\n' "$text" >"$ND_TMP/metrics.txt"
for fam in nodedns_dns_requests_total:counter nodedns_dns_responses_total:counter \
	nodedns_dns_request_duration_seconds:histogram \
	nodedns_cache_hits_total:counter nodedns_cache_misses_total:counter \
	nodedns_cache_entries:gauge nodedns_cache_stale_total:counter \
	nodedns_forward_requests_total:counter nodedns_forward_failures_total:counter; do
	assert_match "TYPE of ${fam%%:*}" "$text" "^# TYPE ${fam%%:*} ${fam##*:}\$"
	assert_match "HELP of ${fam%%:*}" "$text" "^# HELP ${fam%%:*} "
done
# what was built and the process, always; the CoreDNS names only with
# --metrics-compat coredns (tests/system/test_prometheus.sh)
assert_match "nodedns_build_info" "$text" '^nodedns_build_info\{version="[^"]+",revision="[^"]+"\} 1$'
for fam in process_cpu_seconds_total:counter process_resident_memory_bytes:gauge \
	process_virtual_memory_bytes:gauge process_open_fds:gauge process_max_fds:gauge \
	process_start_time_seconds:gauge; do
	assert_match "TYPE of ${fam%%:*}" "$text" "^# TYPE ${fam%%:*} ${fam##*:}\$"
done
assert_cmp "process_open_fds" "$(metric process_open_fds)" -ge 5
assert_not_contains "no CoreDNS names without --metrics-compat" "$text" "coredns_"
assert_cmp "cache hits (MX asked 3 times)" "$(metric nodedns_cache_hits_total)" -ge 2
assert_cmp "cache misses" "$(metric nodedns_cache_misses_total)" -ge 4
assert_cmp "cache entries" "$(metric nodedns_cache_entries)" -ge 4

# the duration histogram: cumulative buckets, +Inf = _count = requests
total=$(metric nodedns_dns_requests_total)
inf=$(metric 'nodedns_dns_request_duration_seconds_bucket\{[^}]*le="\+Inf"')
cnt=$(metric nodedns_dns_request_duration_seconds_count)
assert_cmp "histogram +Inf bucket" "$inf" -ge 7
assert_eq "histogram _count = +Inf bucket" "$inf" "$cnt"
assert_eq "histogram _count = requests_total" "$total" "$cnt"
assert_match "histogram _sum" "$text" '^nodedns_dns_request_duration_seconds_sum(\{[^}]*\})? [0-9.e+-]+$'
mono=$(printf '%s\n' "$text" | awk '
	/^nodedns_dns_request_duration_seconds_bucket/ { if ($NF + 0 < prev) bad = 1; prev = $NF + 0 }
	END { print bad ? "not monotonic" : "monotonic" }')
assert_eq "histogram buckets" monotonic "$mono"

# every sample belongs to a family with a TYPE line (Prometheus text format)
untyped=$(printf '%s\n' "$text" | awk '
	/^# TYPE / { typed[$3] = 1; next }
	/^#/ || /^$/ { next }
	{
		n = $1; sub(/\{.*/, "", n); b = n
		sub(/_(bucket|sum|count)$/, "", b)
		if (!(n in typed) && !(b in typed)) print n
	}' | sort -u)
assert_eq "samples without a TYPE line" "" "$untyped"
bad=$(printf '%s\n' "$text" | grep -vE '^(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eE]+(Inf|NaN)?|)$' | head -n 5)
assert_eq "malformed /metrics lines" "" "$bad"

nd_done
