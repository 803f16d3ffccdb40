#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_upstream_reload.sh - per-upstream counters belong to
# the upstream's address, not to its place in the list: after a SIGHUP that
# replaces the upstream, the new one starts at 0 and the old one's counts
# are not reported under the new address, in /metrics and in
# /debug/upstreams; an address that stays keeps its counts.
. "$(dirname "$0")/lib.sh"
need python3

start_nsd "$ND_ZONES/example.test.zone" example.test
first="127.0.0.1:$NSD_PORT"
start_unbound_auth example.test 'www.example.test. 300 IN A 192.0.2.80'
second="127.0.0.1:$UNBOUND_PORT"

conf="$ND_TMP/nodedns.conf"
printf 'upstream %s\n' "$first" >"$conf"
start_nodedns -c "$conf"
have_pid || skip "ND_TARGET: the test sends SIGHUP to the daemon"

# loop probes are not counted as requests: the count starts at 0
f0=$(metric_l nodedns_forward_requests_total "upstream=\"$first\"")
for n in one two; do
	out=$(q "$n.example.test" A)
	assert_eq "$n.example.test via the first upstream" NXDOMAIN "$(rcode_of "$out")"
done
f1=$(metric_l nodedns_forward_requests_total "upstream=\"$first\"")
assert_eq "first upstream: 0 before the queries" 0 "$f0"
assert_eq "first upstream: 2 queries sent" 2 "$f1"

# debug_requests ADDR: "requests" of ADDR in /debug/upstreams ("" = absent)
debug_requests() {
	nd_debug /debug/upstreams | A="$1" "$ND_PY" -c '
import json, os, sys
d = json.load(sys.stdin)
for u in d["upstreams"]:
    if u["address"] == os.environ["A"]:
        print(int(u["requests"]))
        break'
}
assert_eq "/debug/upstreams: first upstream's requests" "$f1" "$(debug_requests "$first")"

# switch to the second upstream
printf 'upstream %s\n' "$second" >"$conf"
n0=$(log_lines)
kill -HUP "$ND_PID"
poll_until 5000 log_has_after "$n0" 'config: reloaded' || fail "no reload logged within 5 s of SIGHUP"
unb0=$(unbound_count www.example.test A)
assert_eq "second upstream received no www query yet" 0 "$unb0"

text=$(nd_http /metrics)
s=$(metric_l nodedns_forward_requests_total "upstream=\"$second\"")
assert_eq "second upstream's requests after SIGHUP" 0 "$s"
assert_not_contains "first upstream removed from /metrics" "$text" "upstream=\"$first\""
assert_ne "second's count is not the first's" "$f1" "$s"
d=$(debug_requests "$second")
assert_eq "/debug/upstreams: second upstream starts at 0" 0 "$d"
assert_eq "/debug/upstreams: first upstream gone" "" "$(debug_requests "$first")"

out=$(q www.example.test A)
assert_eq "www.example.test via the second upstream" NOERROR "$(rcode_of "$out")"
assert_eq "second upstream received it" 1 "$(unbound_count www.example.test A)"
assert_eq "second upstream's requests +1" $((s + 1)) \
	"$(metric_l nodedns_forward_requests_total "upstream=\"$second\"")"

# both, then back to the first alone: the second's counts stay its own,
# the first (new again) starts from 0
printf 'upstream %s\nupstream %s\n' "$second" "$first" >"$conf"
n0=$(log_lines)
kill -HUP "$ND_PID"
poll_until 5000 log_has_after "$n0" 'config: reloaded' || fail "no second reload logged"
s2=$(metric_l nodedns_forward_requests_total "upstream=\"$second\"")
assert_eq "second upstream kept its counts over a reload that keeps it" $((s + 1)) "$s2"
f2=$(metric_l nodedns_forward_requests_total "upstream=\"$first\"")
assert_eq "first upstream, added again, starts over" 0 "$f2"

stop_nodedns
nd_done
