#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_failure.sh - upstream failures: serve-stale (RFC 8767),
# SERVFAIL in bounded time from a silent or a closed upstream, failures
# counted per upstream and reason in /metrics.
. "$(dirname "$0")/lib.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# timed_q NAME TYPE [dig options]: sets OUT and MS (how long dig took)
timed_q() {
	local t0
	t0=$(now_ms)
	OUT=$(q "$@")
	MS=$(($(now_ms) - t0))
}

# --- serve-stale --------------------------------------------------------------
start_nsd "$ND_ZONES/example.test.zone" example.test
start_nodedns --upstream "127.0.0.1:$NSD_PORT" --upstream-timeout 300 --query-timeout 1000
out=$(q short.example.test A)
assert_contains "short A while the upstream runs" "$out" "192.0.2.2"
ttl=$(ttl_of "$out" short.example.test A)
assert_cmp "short A TTL" "${ttl:-x}" -le 2
stop_nsd
# Serve-stale answers only for an expired entry: ask until it is (each
# query before that is a cache hit; the first after it is the stale one).
s0=$(metric nodedns_cache_stale_total)
is_stale() { timed_q short.example.test A +time=4; [ "$(ttl_of "$OUT" short.example.test A)" = 30 ]; }
poll_until 8000 is_stale || fail "no stale answer within 8 s of the TTL 2 answer"
log "stale answer after $MS ms (the entry expired after $POLL_MS ms of asking)"
assert_eq "stale answer rcode" NOERROR "$(rcode_of "$OUT")"
assert_contains "stale answer data" "$OUT" "192.0.2.2"
assert_eq "stale answer TTL (RFC 8767: 30)" 30 "$(ttl_of "$OUT" short.example.test A)"
assert_cmp "stale answer within (ms)" "$MS" -lt 3000
# RFC 8914: the client that sent EDNS (dig does) learns why
assert_contains "stale answer carries EDE 3" "$OUT" "EDE: 3 (Stale Answer)"
assert_cmp "nodedns_cache_stale_total rises" "$(metric nodedns_cache_stale_total)" -gt "$s0"
# a name never cached: nothing stale to give
timed_q never.example.test A +time=4
assert_eq "uncached name with the upstream down" SERVFAIL "$(rcode_of "$OUT")"
stop_nodedns

# --- past the --stale-ttl window: no stale answer ---------------------------
start_nsd "$ND_ZONES/example.test.zone" example.test
start_nodedns --upstream "127.0.0.1:$NSD_PORT" --upstream-timeout 300 --query-timeout 1000 \
	--stale-ttl 1
out=$(q short.example.test A)
assert_contains "short A while the upstream runs (--stale-ttl 1)" "$out" "192.0.2.2"
stop_nsd
# Ask until the TTL 2 entry is more than --stale-ttl 1 past its expiry:
# cache hits first, then stale answers, then none.
past_stale() { timed_q short.example.test A +time=4; [ "$(rcode_of "$OUT")" = SERVFAIL ]; }
poll_until 10000 past_stale || true
log "no stale answer after $POLL_MS ms of asking"
assert_eq "expired past --stale-ttl: no stale answer" SERVFAIL "$(rcode_of "$OUT")"
stop_nodedns

# --- an upstream that never answers -------------------------------------------
start_blackhole
start_nodedns --upstream "127.0.0.1:$BH_PORT" --upstream-timeout 300 --query-timeout 1000
timed_q www.example.test A +time=5
log "SERVFAIL from a silent upstream after $MS ms"
assert_eq "silent upstream" SERVFAIL "$(rcode_of "$OUT")"
assert_contains "silent upstream: EDE 22" "$OUT" "EDE: 22 (No Reachable Authority)"
assert_cmp "silent upstream: answer within (ms), --query-timeout 1000" "$MS" -lt 3000
assert_cmp "silent upstream: it was asked" "$(grep -c '^udp' "$BH_LOG")" -ge 1
assert_cmp "nodedns_forward_requests_total{upstream=silent}" \
	"$(metric_l nodedns_forward_requests_total "upstream=\"127.0.0.1:$BH_PORT\"")" -ge 1
assert_cmp "nodedns_forward_failures_total{upstream=silent,reason=timeout}" \
	"$(metric_l nodedns_forward_failures_total "upstream=\"127.0.0.1:$BH_PORT\"" 'reason="timeout"')" -ge 1
assert_cmp "SERVFAIL counted" "$(metric_l nodedns_dns_responses_total 'rcode="SERVFAIL"')" -ge 1
# the daemon stays responsive: several failing queries at once, each bounded
pids=()
for i in 1 2 3 4 5; do
	q "fail$i.example.test" A +time=5 >"$ND_TMP/fail$i" &
	pids+=($!)
	nd_track "$!"
done
for p in "${pids[@]}"; do wait "$p"; nd_forget "$p"; done
assert_eq "5 concurrent SERVFAILs" 5 "$(cat "$ND_TMP"/fail[1-5] | grep -c 'status: SERVFAIL')"
stop_nodedns
stop_blackhole

# --- an upstream port where nothing listens (ICMP port unreachable) ------------
dead=$(free_port)
start_nodedns --upstream "127.0.0.1:$dead"
timed_q www.example.test A +time=6
log "SERVFAIL from a closed port after $MS ms (default --query-timeout 4000)"
assert_eq "closed upstream port" SERVFAIL "$(rcode_of "$OUT")"
assert_contains "closed upstream port: EDE 23" "$OUT" "EDE: 23 (Network Error)"
assert_cmp "closed upstream port: answer well before --query-timeout (ms)" "$MS" -lt 2500
assert_cmp "nodedns_forward_failures_total{upstream=closed,reason=network}" \
	"$(metric_l nodedns_forward_failures_total "upstream=\"127.0.0.1:$dead\"" 'reason="network"')" -ge 1
stop_nodedns

# --- one dead and one good upstream: answered, via the retry ------------------
start_nsd "$ND_ZONES/example.test.zone" example.test
start_blackhole
start_nodedns --upstream "127.0.0.1:$BH_PORT" --upstream "127.0.0.1:$NSD_PORT" \
	--upstream-timeout 300 --query-timeout 2000
for i in 1 2 3; do
	timed_q "cache$i.example.test" A +time=4
	assert_eq "cache$i with one silent upstream" NOERROR "$(rcode_of "$OUT")"
	assert_cmp "cache$i within (ms)" "$MS" -lt 2000
done

stop_nodedns

# --- an upstream that answers REFUSED, then a good one: the good one answers --
UNBOUND_ZONE_TYPE=refuse start_unbound_auth example.test
ref=$(dig @127.0.0.1 -p "$UNBOUND_PORT" +tries=1 +time=2 www.example.test A 2>&1)
assert_eq "the refusing upstream itself" REFUSED "$(rcode_of "$ref")"
start_nodedns --upstream "127.0.0.1:$UNBOUND_PORT" --upstream "127.0.0.1:$NSD_PORT" \
	--upstream-timeout 300 --query-timeout 2000
for n in www alias1 mail; do
	timed_q "$n.example.test" A +time=4
	assert_eq "$n with a refusing upstream first in the list" NOERROR "$(rcode_of "$OUT")"
done
stop_nodedns
# only the refusing upstream: its REFUSED is not passed on; SERVFAIL
start_nodedns --upstream "127.0.0.1:$UNBOUND_PORT" --upstream-timeout 300 --query-timeout 1000
timed_q www.example.test A +time=4
assert_eq "only a refusing upstream" SERVFAIL "$(rcode_of "$OUT")"
assert_contains "only a refusing upstream: EDE 22 says why" "$OUT" "upstreams answered SERVFAIL or REFUSED"
assert_cmp "only a refusing upstream: answer within (ms)" "$MS" -lt 3000
assert_cmp "nodedns_forward_failures_total{reason=refused}" \
	"$(metric_l nodedns_forward_failures_total "upstream=\"127.0.0.1:$UNBOUND_PORT\"" 'reason="refused"')" -ge 1

nd_done
