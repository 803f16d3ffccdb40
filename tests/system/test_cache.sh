#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_cache.sh - answers come from the cache with lowered TTLs,
# negative answers are cached, identical concurrent questions reach the
# upstream once. The upstream is unbound logging each query it gets.
. "$(dirname "$0")/lib.sh"

start_unbound_auth example.test \
	"example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300" \
	"example.test. 300 IN NS ns1.example.test." \
	"cache1.example.test. 300 IN A 192.0.2.101" \
	"burst.example.test. 300 IN A 192.0.2.111" \
	'nodata.example.test. 300 IN TXT "only TXT"'
# A long attempt timeout: this test counts upstream queries, and on a
# loaded machine a second attempt after 1 s would be counted too.
start_nodedns --upstream "127.0.0.1:$UNBOUND_PORT" --upstream-timeout 3000 --query-timeout 6000

# --- positive answer: miss, then hit with a lower TTL -------------------------
h0=$(metric nodedns_cache_hits_total)
m0=$(metric nodedns_cache_misses_total)
out1=$(q cache1.example.test A)
assert_contains "first answer" "$out1" "192.0.2.101"
m1=$(metric nodedns_cache_misses_total)
assert_cmp "cache misses after the first query" "$m1" -gt "$m0"
ttl1=$(ttl_of "$out1" cache1.example.test A)
# The TTL served falls with time: ask (cache hits) until it fell by 2.
ttl_fell() { out2=$(q cache1.example.test A); [ "$(ttl_of "$out2" cache1.example.test A)" -le $((${ttl1:-0} - 2)) ] 2>/dev/null; }
poll_until 5000 ttl_fell || true
h2=$(metric nodedns_cache_hits_total)
assert_contains "second answer" "$out2" "192.0.2.101"
assert_cmp "cache hits after the second query" "$h2" -gt "$h0"
ttl2=$(ttl_of "$out2" cache1.example.test A)
log "TTL first $ttl1, after $POLL_MS ms $ttl2"
assert_cmp "second TTL lower than the first" "${ttl2:-x}" -lt "${ttl1:-x}"
assert_cmp "second TTL at most 298" "${ttl2:-x}" -le 298
assert_cmp "second TTL not far below (one run lasts seconds)" "${ttl2:-x}" -ge 280
assert_eq "upstream asked for cache1 once" 1 "$(unbound_count cache1.example.test A)"
assert_cmp "cache entries gauge" "$(metric nodedns_cache_entries)" -ge 1

# --- negative answers are cached (RFC 2308) -----------------------------------
out=$(q nope.example.test A)
assert_eq "NXDOMAIN" NXDOMAIN "$(rcode_of "$out")"
h0=$(metric nodedns_cache_hits_total)
out=$(q nope.example.test A)
assert_eq "NXDOMAIN again" NXDOMAIN "$(rcode_of "$out")"
assert_contains "cached NXDOMAIN keeps the SOA" "$(section_of "$out" AUTHORITY)" "SOA"
assert_cmp "second NXDOMAIN is a cache hit" "$(metric nodedns_cache_hits_total)" -gt "$h0"
assert_eq "upstream asked for nope once" 1 "$(unbound_count nope.example.test A)"

out=$(q nodata.example.test A)
out=$(q nodata.example.test A)
assert_eq "NODATA again" NOERROR "$(rcode_of "$out")"
assert_contains "cached NODATA header" "$out" "ANSWER: 0,"
assert_eq "upstream asked for nodata A once" 1 "$(unbound_count nodata.example.test A)"

# The cache key is (name, type, class): AAAA of cache1 is its own question
out=$(q cache1.example.test AAAA)
assert_eq "upstream asked for cache1 AAAA" 1 "$(unbound_count cache1.example.test AAAA)"
# ... and case does not matter
out=$(q CACHE1.example.TEST A)
assert_contains "mixed-case query answered" "$out" "192.0.2.101"
assert_eq "mixed case is the same key" 1 "$(unbound_count cache1.example.test A)"

# --- 10 identical questions at once reach the upstream once --------------------
burst() { # NAME DIR: 10 digs started together; wait for them
	local name=$1 dir=$2 i pids=()
	mkdir -p "$dir"
	for i in $(seq 1 10); do
		dig @127.0.0.1 -p "$ND_PORT" +tries=1 +time=3 +short "$name" A >"$dir/$i" 2>&1 &
		pids+=($!)
		nd_track "$!"
	done
	for i in "${pids[@]}"; do
		wait "$i"
		nd_forget "$i"
	done
}
burst burst.example.test "$ND_TMP/burst"
assert_eq "10 concurrent answers" 10 "$(cat "$ND_TMP"/burst/* | grep -c '^192\.0\.2\.111$')"
assert_eq "upstream asked for burst once" 1 "$(unbound_count burst.example.test A)"

# The same with an upstream that takes 500 ms, so all 10 are surely in flight
# together: they share one upstream query. One worker here; the test above
# ran with two (the in-flight table is shared by every worker, see
# docs/DESIGN.md "Threads").
stop_nodedns
start_slow_upstream 500
ND_THREADS=1 start_nodedns --upstream "127.0.0.1:$SLOW_PORT" --upstream-timeout 3000 --query-timeout 6000
burst slow.example.test "$ND_TMP/slow"
assert_eq "10 concurrent answers (slow upstream)" 10 "$(cat "$ND_TMP"/slow/* | grep -c '^192\.0\.2\.77$')"
[ "$(cat "$ND_TMP"/slow/* | grep -c '^192\.0\.2\.77$')" = 10 ] || head -n 5 "$ND_TMP"/slow/* | sed 's/^/    | /'
assert_eq "slow upstream asked once" 1 "$(grep -c '^slow\.example\.test\. 1$' "$SLOW_LOG")"

nd_done
