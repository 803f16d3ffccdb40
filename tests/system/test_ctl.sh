#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_ctl.sh - nodednsctl against a running nodedns serving the
# demo cluster (deploy/demo/cluster.json) with unbound as its upstream: every
# command's table and -o json agree with the server's /debug views, and the
# exit codes scripts rely on hold (0 ok, 1 usage, 2 unreachable or HTTP error,
# 3 failed verdict, 4 bad JSON, 5 not cached); /debug is not on the metrics
# listener. The control commands are in test_ctl_control.sh.
. "$(dirname "$0")/lib.sh"

CTL="$ND_BUILDDIR/nodednsctl"
[ -x "$CTL" ] || die "$CTL not found (build first; ND_BUILDDIR=$ND_BUILDDIR)"
DEMO="$ND_SRCDIR/deploy/demo/cluster.json"
[ -f "$DEMO" ] || die "$DEMO not found"

start_unbound_auth example.test \
	"example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300" \
	"example.test. 300 IN NS ns1.example.test." \
	"www.example.test. 300 IN A 192.0.2.10" \
	"www2.example.test. 300 IN A 192.0.2.11"
start_nodedns --upstream "127.0.0.1:$UNBOUND_PORT" --kube-snapshot "$DEMO"
SERVER="http://127.0.0.1:$ND_DPORT"
export NODEDNS_SERVER="$SERVER"

# ctl ARGS...: run nodednsctl (bounded in time); stdout in OUT, stderr in
# ERR, exit status in RC.
ctl() {
	OUT=$(timeout 20 "$CTL" "$@" 2>"$ND_TMP/ctl.err")
	RC=$?
	ERR=$(cat "$ND_TMP/ctl.err")
}

# json_get EXPR: evaluate a Python expression over the JSON in OUT (as d).
json_get() {
	printf '%s' "$OUT" | "$ND_PY" -c '
import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1" 2>&1
}

# same_json PATH: the -o json output equals the server's document at PATH.
same_json() {
	local server
	server=$(nd_debug "$1")
	if "$ND_PY" - "$server" "$OUT" <<'EOF'; then
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
# counters and the srtt move between two reads; compare the shape and
# the fields that do not
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items()
                if k not in ("srtt_ms", "requests", "outcomes", "failures", "tcp", "age_s",
                              "failing_in_a_row")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
sys.exit(0 if strip(a) == strip(b) else 1)
EOF
		pass "-o json is the server's $1 document"
	else
		fail "-o json differs from the server's $1 document"
	fi
}

# --- services --------------------------------------------------------------------
log "=== services"
ctl services
assert_eq "services: exit status" 0 "$RC"
assert_match "services: table header" "$OUT" '^NAMESPACE +NAME +TYPE +CLUSTER-IPS +EXTERNAL-NAME +PORTS +READY +NOT-READY$'
assert_match "services: trace-svc with 2 ready, 0 not ready" "$OUT" '^default +trace-svc +ClusterIP +10\.96\.10\.10 +- +http:80/TCP +2 +0$'
assert_match "services: inventory with 0 ready, 2 not ready" "$OUT" '^shop +inventory +ClusterIP +10\.96\.20\.20 +- +grpc:9090/TCP +0 +2$'
assert_match "services: the ExternalName" "$OUT" '^shop +payments-api +ExternalName +- +payments\.example\.com '
assert_match "services: endpoint rows" "$OUT" '^default +trace-svc +10\.244\.1\.11 +yes +yes +no +node-a +trace-7d9c-abcde$'
assert_match "services: a not-ready endpoint" "$OUT" '^data +cassandra +10\.244\.3\.33 +no +no +no +node-c +cassandra-2$'
# aligned: every row of the first table starts its NAME column at the same place
cols=$(printf '%s\n' "$OUT" | sed '/^$/q' | grep -v '^$' | awk '{ match($0, /^[^ ]+ +/); print RLENGTH }' | sort -u | wc -l)
assert_eq "services: NAME column aligned" 1 "$cols"

ctl services -n shop
assert_eq "services -n shop: exit status" 0 "$RC"
assert_contains "services -n shop: inventory" "$OUT" "inventory"
assert_not_contains "services -n shop: no trace-svc" "$OUT" "trace-svc"

ctl -o json services
assert_eq "services -o json: exit status" 0 "$RC"
assert_eq "services -o json: trace-svc ready" 2 \
	"$(json_get '[s["ready"] for s in d["services"] if s["name"] == "trace-svc"][0]')"
assert_eq "services -o json: trace-svc endpoints" "10.244.1.11 10.244.2.12" \
	"$(json_get '" ".join(e["address"] for s in d["services"] if s["name"] == "trace-svc" for e in s["endpoints"])')"
same_json /debug/services

ctl services --namespace 'Not_A_Namespace'
assert_eq "services with a bad namespace: exit status (HTTP 400)" 2 "$RC"
assert_contains "services with a bad namespace: the server's message" "$ERR" "not a valid namespace name"

# --- explain ---------------------------------------------------------------------
log "=== explain"
ctl explain inventory.shop.svc.cluster.local --namespace shop
assert_eq "explain inventory: exit status (no ready endpoints)" 3 "$RC"
assert_match "explain inventory: answered by the as-is candidate" "$OUT" '^4 +inventory\.shop\.svc\.cluster\.local\. +yes +cluster +NOERROR +10\.96\.20\.20$'
assert_match "explain inventory: the search-list candidates before it" "$OUT" '^1 +inventory\.shop\.svc\.cluster\.local\.shop\.svc\.cluster\.local\. +yes +cluster +NXDOMAIN'
assert_match "explain inventory: 0 ready in the Service table" "$OUT" '^shop +inventory +ClusterIP +10\.96\.20\.20 +- +grpc:9090/TCP +0 +2$'
assert_contains "explain inventory: verdict" "$OUT" "verdict:   fail"
assert_contains "explain inventory: none ready" "$OUT" "none ready"
assert_contains "explain inventory: the ndots cost" "$(printf '%s' "$OUT" | tr -s ' \n' '  ')" "3 queries before the answer"

ctl -o json explain inventory.shop.svc.cluster.local --namespace shop
assert_eq "explain inventory -o json: exit status" 3 "$RC"
assert_eq "explain inventory -o json: status" fail "$(json_get 'd["verdict"]["status"]')"
assert_eq "explain inventory -o json: answered_by" 4 "$(json_get 'd["answered_by"]')"
assert_eq "explain inventory -o json: service ready" 0 "$(json_get 'd["service"]["ready"]')"
same_json "/debug/explain?name=inventory.shop.svc.cluster.local&namespace=shop"

ctl explain trace-svc --namespace default
assert_eq "explain trace-svc: exit status" 0 "$RC"
assert_match "explain trace-svc: the first candidate answers" "$OUT" '^1 +trace-svc\.default\.svc\.cluster\.local\. +yes +cluster +NOERROR +10\.96\.10\.10$'
assert_match "explain trace-svc: the next is not sent" "$OUT" '^2 +trace-svc\.svc\.cluster\.local\. +no '
assert_contains "explain trace-svc: verdict" "$OUT" "verdict:   ok"
ctl -o json explain trace-svc --namespace default
assert_eq "explain trace-svc -o json: exit status" 0 "$RC"
assert_eq "explain trace-svc -o json: answered_by" 1 "$(json_get 'd["answered_by"]')"
assert_eq "explain trace-svc -o json: namespace from" parameter "$(json_get 'd["client"]["namespace_from"]')"

# the client's namespace comes from its pod address
ctl -o json explain trace-svc --client 10.244.1.21
assert_eq "explain from a shop pod: exit status (trace-svc is not in shop)" 3 "$RC"
assert_eq "explain from a shop pod: namespace" shop "$(json_get 'd["client"]["namespace"]')"
assert_eq "explain from a shop pod: namespace from" client "$(json_get 'd["client"]["namespace_from"]')"
assert_eq "explain from a shop pod: pod" inventory-5f6b-klmno "$(json_get 'd["client"]["pod"]')"
assert_contains "explain from a shop pod: where trace-svc is" "$(json_get 'd["verdict"]["service"]')" "default"

ctl explain no-such-svc --namespace default
assert_eq "explain a missing name: exit status" 3 "$RC"
assert_contains "explain a missing name: verdict" "$OUT" "no Service named no-such-svc in namespace default"

# an external name, cached after one query through nodedns
out=$(q www.example.test A)
assert_contains "www.example.test through nodedns" "$out" "192.0.2.10"
ctl -o json explain www.example.test --namespace default
assert_eq "explain a cached external name: exit status" 0 "$RC"
assert_eq "explain a cached external name: source" cache \
	"$(json_get 'd["candidates"][d["answered_by"] - 1]["source"]')"
assert_contains "explain a cached external name: upstream named" \
	"$(json_get 'd["verdict"]["upstream"]')" "127.0.0.1:$UNBOUND_PORT"
ctl -o json explain never-asked.example.test. --namespace default
assert_eq "explain an uncached external name: exit status (not cached)" 5 "$RC"
assert_eq "explain an uncached external name: status" not_cached "$(json_get 'd["verdict"]["status"]')"
assert_eq "explain an uncached external name: one candidate (trailing dot)" 1 "$(json_get 'len(d["candidates"])')"
assert_eq "explain sent nothing upstream" 0 "$(unbound_count never-asked.example.test)"

# a healthy external name, not cached, asked from a pod in shop: the
# search list's cluster expansions are the NXDOMAIN it expects, and the
# verdict is "not cached" (exit 5), not a failure about a Service "test"
ctl explain www2.example.test --namespace shop
assert_eq "explain www2.example.test from shop: exit status (not cached)" 5 "$RC"
assert_contains "explain www2.example.test: verdict" "$OUT" "verdict:   not cached"
assert_match "explain www2.example.test: the first expansion is an expected miss" "$OUT" \
	'^1 +www2\.example\.test\.shop\.svc\.cluster\.local\. +yes +cluster +NXDOMAIN +none: search-list expansion, NXDOMAIN expected$'
assert_match "explain www2.example.test: the name as typed would go upstream" "$OUT" \
	"^4 +www2\\.example\\.test\\. +yes +upstream +- +not cached: to 127\\.0\\.0\\.1:$UNBOUND_PORT\$"
assert_not_contains "explain www2.example.test: no Service blamed" "$OUT" "no Service named"
assert_eq "explain www2.example.test sent nothing upstream" 0 "$(unbound_count www2.example.test)"
ctl -o json explain www2.example.test --namespace shop
assert_eq "explain -o json: the expansions are marked" "True True True False" \
	"$(json_get '" ".join(str(c["search_miss"]) for c in d["candidates"])')"
# --resolve: now it is asked, through nodedns, and the outcome is real
ctl explain www2.example.test --namespace shop --resolve
assert_eq "explain --resolve of an external name: exit status" 0 "$RC"
assert_contains "explain --resolve: verdict" "$OUT" "verdict:   ok"
assert_match "explain --resolve: the answer from the upstream" "$OUT" \
	'^4 +www2\.example\.test\. +yes +upstream \(asked now\) +NOERROR +192\.0\.2\.11$'
assert_eq "explain --resolve asked the upstream once" 1 "$(unbound_count www2.example.test A)"
# and the answer is cached now: plain explain says so, without asking
ctl -o json explain www2.example.test --namespace shop
assert_eq "explain after --resolve: exit status" 0 "$RC"
assert_eq "explain after --resolve: from the cache" cache \
	"$(json_get 'd["candidates"][d["answered_by"] - 1]["source"]')"
ctl explain nxname.example.test --namespace shop --resolve
assert_eq "explain --resolve of a name the upstream lacks: exit status" 3 "$RC"
assert_contains "explain --resolve NXDOMAIN: about the last name" "$(printf '%s' "$OUT" | tr -s ' \n' '  ')" \
	"the stub ends with nxname.example.test., and the upstream answers it NXDOMAIN"
ctl explain www2.example.test --resolve --top 3
assert_eq "explain with --top: usage error" 1 "$RC"
ctl services --resolve
assert_eq "services --resolve: usage error" 1 "$RC"

# --- upstreams -------------------------------------------------------------------
log "=== upstreams"
ctl upstreams
assert_eq "upstreams: exit status" 0 "$RC"
assert_match "upstreams: table header" "$OUT" '^UPSTREAM +SRTT-MS +REQUESTS +OK +TIMEOUT +REFUSED +SERVFAIL +NETWORK +BAD +TCP$'
assert_match "upstreams: the test's upstream with its answer" "$OUT" "^127\\.0\\.0\\.1:$UNBOUND_PORT +[0-9.]+ +[1-9][0-9]* +[1-9]"
ctl -o json upstreams
assert_eq "upstreams -o json: exit status" 0 "$RC"
assert_eq "upstreams -o json: address" "127.0.0.1:$UNBOUND_PORT" "$(json_get 'd["upstreams"][0]["address"]')"
assert_cmp "upstreams -o json: ok outcomes" "$(json_get 'd["upstreams"][0]["outcomes"]["ok"]')" -ge 1
same_json /debug/upstreams

# --- /debug on the metrics listener ----------------------------------------------------
log "=== /debug moved"
code=$(nd_http_code /debug/services)
assert_eq "/debug/services on --http-listen: 404" 404 "$code"
assert_contains "/debug on --http-listen says where it went" "$(nd_http /debug/services 2>&1)" \
	"/debug/ is served on http://127.0.0.1:$ND_DPORT (--debug-listen)"
assert_eq "/metrics is still on --http-listen" 200 "$(nd_http_code /metrics)"
assert_eq "/metrics is not on --debug-listen" 404 "$(nd_debug_code /metrics)"
assert_eq "/debug/services on --debug-listen" 200 "$(nd_debug_code /debug/services)"

# --- searchlist (may well be empty) ----------------------------------------------------
log "=== searchlist"
ctl searchlist
assert_eq "searchlist: exit status" 0 "$RC"
assert_contains "searchlist: the window" "$OUT" "window_s:"
ctl -o json searchlist --top 5
assert_eq "searchlist -o json: exit status" 0 "$RC"
assert_eq "searchlist -o json: a list of names" True "$(json_get 'isinstance(d["top_names"], list)')"
# one search-list chain, as a pod in shop would walk it: the tracker
# reports it once the as-is name answers
for n in inventory.shop.svc.cluster.local.shop.svc.cluster.local \
	inventory.shop.svc.cluster.local.svc.cluster.local \
	inventory.shop.svc.cluster.local.cluster.local \
	inventory.shop.svc.cluster.local; do
	q "$n" A >/dev/null
done
# chain_listed: nodednsctl searchlist shows the chain (its output in OUT)
chain_listed() {
	ctl searchlist
	printf '%s\n' "$OUT" | grep -qE '^  inventory\.shop\.svc\.cluster\.local +shop +[1-9]'
}
if poll_until 5000 chain_listed; then
	pass "searchlist: the chain is a row of the TOP-NAMES table"
else
	fail "searchlist: the chain of inventory.shop.svc.cluster.local is not listed:"
	printf '%s\n' "$OUT" | sed 's/^/    | /'
fi
assert_match "searchlist: a table header" "$OUT" '^  NAME +NAMESPACE +CHAINS +WASTED'
ctl searchlist --top many
assert_eq "searchlist --top many: exit status (HTTP 400)" 2 "$RC"

# --- errors scripts can tell apart ------------------------------------------------------
log "=== exit codes"
port=$(free_port)
ctl --server "http://127.0.0.1:$port" services
assert_eq "unreachable server: exit status" 2 "$RC"
assert_contains "unreachable server: says which" "$ERR" "127.0.0.1:$port"
NODEDNS_SERVER="http://127.0.0.1:$port" ctl upstreams
assert_eq "unreachable NODEDNS_SERVER: exit status" 2 "$RC"
ctl --server "$SERVER/nothing-here" services
assert_eq "HTTP 404: exit status" 2 "$RC"

for bad in "" "frobnicate" "explain" "services --client 10.0.0.1" "upstreams extra" \
	"-o yaml services" "--server" "explain a b" "--bogus services" \
	"flush" "flush a.example --all" "reload now" "log-level" "status --all" \
	"services --control-token /dev/null"; do
	# shellcheck disable=SC2086
	ctl $bad
	assert_eq "usage error '$bad': exit status" 1 "$RC"
done
assert_contains "a usage error shows the synopsis" "$ERR" "usage:"

ctl --help
assert_eq "--help: exit status" 0 "$RC"
for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" EXAMPLES ENVIRONMENT; do
	assert_match "--help has $section" "$OUT" "^$section\$"
done
ctl help
assert_eq "help: exit status" 0 "$RC"

# a server that answers 200 with something else than JSON: exit 4
ND_FAKE="$ND_TMP/fake"
mkdir -p "$ND_FAKE/debug"
printf 'this is not json\n' >"$ND_FAKE/debug/upstreams"
printf '{"services": 3}\n' >"$ND_FAKE/debug/services"
fport=$(free_port)
(cd "$ND_FAKE" && exec timeout 60 "$ND_PY" -m http.server "$fport" --bind 127.0.0.1 >/dev/null 2>&1) &
nd_track $!
poll_until 5000 curl -s -o /dev/null "http://127.0.0.1:$fport/" ||
	fail "the fake server on port $fport did not answer within 5 s"
ctl --server "http://127.0.0.1:$fport" upstreams
assert_eq "a body that is not JSON: exit status" 4 "$RC"
ctl --server "http://127.0.0.1:$fport" services
assert_eq "JSON of the wrong shape: exit status" 4 "$RC"

nd_done
