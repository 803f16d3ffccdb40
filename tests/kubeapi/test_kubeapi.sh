#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/kubeapi/test_kubeapi.sh - the test Kubernetes API server checked
# with the real kubectl and curl.
#
# Exit 0 when every check passes, 1 when one fails, 77 when kubectl or curl
# is missing. Environment:
#   KUBECTL=PATH        the kubectl to use (default: kubectl in PATH)
#   KUBEAPI_BIG=0       skip the 10,000-Service / 100,000-endpoint run
#   KUBEAPI_KEEP=1      keep the temporary directory
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
KUBECTL=${KUBECTL:-kubectl}
T0=$(date +%s.%N)
FAILS=0
CHECKS=0
PIDS=()

since() { awk -v a="$1" -v b="$(date +%s.%N)" -v f="${2:-%.1f}" 'BEGIN { printf f, b - a }'; }
log() { printf '%s test_kubeapi: %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
for t in "$KUBECTL" curl "$PY"; do
	command -v "$t" >/dev/null 2>&1 || { log "SKIP: $t not found"; exit 77; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kubeapi-test.XXXXXX")

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		for f in "$TMP"/server*.log; do
			[ -f "$f" ] || continue
			log "--- last 25 lines of $f ---"
			tail -n 25 "$f" | sed 's/^/    /'
		done
	fi
	if [ "${KUBEAPI_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { CHECKS=$((CHECKS + 1)); log "ok: $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); log "FAIL: $*"; }
check_eq() { if [ "$2" = "$3" ]; then pass "$1 = '$3'"; else fail "$1: expected '$2', got '$3'"; fi; }
check_contains() {
	if printf '%s' "$2" | grep -qF -- "$3"; then
		pass "$1 contains '$3'"
	else
		fail "$1: expected to contain '$3', got:"
		printf '%s\n' "$2" | head -n 30 | sed 's/^/    | /'
	fi
}

# start_server NAME ARGS...: kubeapi.py on a free loopback port. Sets PORT
# and SRV_PID (the server's log is $TMP/server-NAME.log).
start_server() {
	local name=$1 i
	shift
	rm -f "$TMP/port-$name"
	"$PY" "$HERE/kubeapi.py" --port 0 --port-file "$TMP/port-$name" "$@" \
		>"$TMP/server-$name.log" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	for i in $(seq 1 600); do
		[ -s "$TMP/port-$name" ] && break
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$TMP/port-$name" ] || { fail "server $name did not start"; exit 1; }
	PORT=$(cat "$TMP/port-$name")
	log "server $name on 127.0.0.1:$PORT (pid $SRV_PID)"
}

stop_server() {
	local pid=$1 i rc
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { fail "pid $pid ignored SIGTERM"; kill -KILL "$pid"; }
	wait "$pid" 2>/dev/null
	rc=$?
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	PIDS=("${keep[@]+"${keep[@]}"}")
	return $rc
}

: >"$TMP/empty-kubeconfig"
kc() {
	"$KUBECTL" --kubeconfig "$TMP/empty-kubeconfig" --cache-dir "$TMP/kcache" \
		--server "http://127.0.0.1:$PORT" --request-timeout 20s "$@"
}
ctl() { # ctl METHOD PATH [BODY]
	if [ $# -ge 3 ]; then
		curl -sS -X "$1" "http://127.0.0.1:$PORT$2" --data-binary "$3"
	else
		curl -sS -X "$1" "http://127.0.0.1:$PORT$2"
	fi
}
rv_now() { ctl GET /_test/rv | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["resourceVersion"])'; }
watches_now() { ctl GET /_test/rv | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["watches"])'; }
wait_watches() { # wait_watches N: until N watch streams are open (10 s)
	local i
	for i in $(seq 1 100); do [ "$(watches_now)" = "$1" ] && return 0; sleep 0.1; done
	return 1
}

log "kubectl: $("$KUBECTL" version --client 2>/dev/null | head -n 1)"

# --- kubectl against the small fixture ------------------------------------------
start_server small --state "$HERE/fixtures/small.json" --bookmark-interval 0.5
SMALL_PID=$SRV_PID

out=$(kc get services,endpointslices -A 2>&1)
for n in service/web service/db service/search service/api web-abc12 db-q7z9k api-v4abc api-v6def \
	10.96.0.20 search.example.com fd00:10:244:1::40; do
	check_contains "kubectl get services,endpointslices -A" "$out" "$n"
done
check_eq "kubectl get ns" "default shop" "$(kc get ns --no-headers 2>&1 | awk '{print $1}' | xargs)"

# -o json round trip of every field of the fixture
for obj in "svc -n shop web" "svc -n shop db" "svc -n default search" "svc -n default api" \
	"endpointslices -n shop web-abc12" "endpointslices -n shop db-q7z9k" \
	"endpointslices -n default api-v6def"; do
	# shellcheck disable=SC2086
	kc get $obj -o json >"$TMP/got.json" 2>&1
	res=$("$PY" - "$HERE/fixtures/small.json" "$TMP/got.json" <<'EOF'
import json, re, sys
fixture = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
md = got["metadata"]
want = [i for i in fixture["items"] if i["kind"] == got["kind"]
        and i["metadata"]["name"] == md["name"] and i["metadata"].get("namespace") == md.get("namespace")][0]
bad = []
def sub(w, g, path):
    if isinstance(w, dict):
        if not isinstance(g, dict):
            bad.append(path); return
        for k, v in w.items():
            sub(v, g.get(k), path + "." + k)
    elif w != g:
        bad.append("%s: %r != %r" % (path, w, g))
for k, v in want.items():
    if k != "metadata":
        sub(v, got.get(k), k)
for k in ("name", "namespace", "uid", "creationTimestamp", "labels", "annotations"):
    if k in want["metadata"]:
        sub(want["metadata"][k], md.get(k), "metadata." + k)
if not re.match(r"^[0-9]+$", md.get("resourceVersion", "")): bad.append("resourceVersion")
if md.get("generation") != 1: bad.append("generation")
if got["kind"] == "EndpointSlice":
    t = md["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]
    if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", t): bad.append("trigger time " + t)
print("; ".join(bad) or "same")
EOF
)
	check_eq "kubectl get $obj -o json round trip" same "$res"
done

# a Service applied without addresses gets the defaults of a real cluster
ctl POST /_test/apply '{"kind":"Service","apiVersion":"v1","metadata":{"name":"ds","namespace":"shop"},
	"spec":{"ipFamilyPolicy":"PreferDualStack","ports":[{"name":"http","port":80}]}}' >/dev/null
res=$(kc get svc -n shop ds -o jsonpath='{.spec.type} {.spec.clusterIPs} {.spec.ipFamilies} {.spec.ports[0].protocol} {.spec.ports[0].targetPort} {.metadata.uid}')
if [[ "$res" =~ ^ClusterIP\ \[\"10\.96\.[0-9.]+\",\"fd00:10:96::[0-9a-f]+\"\]\ \[\"IPv4\",\"IPv6\"\]\ TCP\ 80\ [0-9a-f-]{36}$ ]]; then
	pass "defaults of an applied dual-stack Service: $res"
else
	fail "defaults of an applied dual-stack Service: $res"
fi

# kubectl's own write verbs
printf '%s' '{"apiVersion":"v1","kind":"Service","metadata":{"name":"made","namespace":"shop"},"spec":{"ports":[{"port":1234}]}}' >"$TMP/made.json"
check_contains "kubectl create" "$(kc create -f "$TMP/made.json" 2>&1)" "service/made created"
check_contains "kubectl label" "$(kc label svc -n shop made tier=x 2>&1)" "service/made labeled"
check_contains "kubectl delete" "$(kc delete -f "$TMP/made.json" 2>&1)" 'service "made" deleted'

# --- kubectl --watch sees a new object ------------------------------------------
timeout 5 "$KUBECTL" --kubeconfig "$TMP/empty-kubeconfig" --cache-dir "$TMP/kcache" \
	--server "http://127.0.0.1:$PORT" get endpointslices -A --watch >"$TMP/kwatch.out" 2>&1 &
KW=$!
wait_watches 1 || fail "kubectl --watch did not open a watch"
ctl POST /_test/apply '{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
	"metadata":{"name":"web-late1","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},
	"addressType":"IPv4","endpoints":[{"addresses":["10.244.7.7"]}],"ports":[{"name":"http","port":8080}]}' >/dev/null
wait $KW
out=$(cat "$TMP/kwatch.out")
check_contains "kubectl get endpointslices -A --watch" "$out" "web-abc12"
check_contains "kubectl get endpointslices -A --watch (added later)" "$out" "web-late1"

# --- watches with curl: streaming, selectors, bookmarks ---------------------------
RV=$(rv_now)
U="http://127.0.0.1:$PORT/apis/discovery.k8s.io/v1/endpointslices"
curl -sN -D "$TMP/wh.txt" "$U?watch=1&resourceVersion=$RV&allowWatchBookmarks=true&timeoutSeconds=3&labelSelector=kubernetes.io/service-name%3Dweb" |
	while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done >"$TMP/wstream.out" &
WS=$!
wait_watches 1 || fail "curl watch did not open"
ctl POST /_test/apply '{"kind":"EndpointSlice","metadata":{"name":"web-late2","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},"endpoints":[{"addresses":["10.244.7.8"]}]}' >/dev/null
ctl POST /_test/apply '{"kind":"EndpointSlice","metadata":{"name":"other","namespace":"shop","labels":{"kubernetes.io/service-name":"other"}},"endpoints":[{"addresses":["10.244.7.9"]}]}' >/dev/null
ctl POST '/_test/delete?kind=EndpointSlice&namespace=shop&name=web-late2' >/dev/null
T_CHANGE=$(date +%s.%N)
wait $WS
T_END=$(date +%s.%N)
check_contains "watch response headers" "$(tr -d '\r' <"$TMP/wh.txt")" "Transfer-Encoding: chunked"
res=$("$PY" - "$TMP/wstream.out" "$T_CHANGE" "$T_END" <<'EOF'
import json, sys
rows = [l.split(" ", 1) for l in open(sys.argv[1]) if l.strip()]
evs = [(float(t), json.loads(j)) for t, j in rows]
seq = [(e["type"], e["object"]["metadata"].get("name", "")) for _, e in evs if e["type"] != "BOOKMARK"]
marks = [e for _, e in evs if e["type"] == "BOOKMARK"]
first = min(t for t, e in evs if e["type"] == "ADDED")
print("%s|%d|%s" % (" ".join("%s:%s" % s for s in seq), len(marks),
      "early" if first < float(sys.argv[3]) - 1.0 else "late"))
EOF
)
check_eq "watch events (labelSelector, then DELETED)" "ADDED:web-late2 DELETED:web-late2" "${res%%|*}"
marks=${res#*|}; marks=${marks%%|*}
[ "$marks" -ge 3 ] && pass "bookmarks every 0.5 s over 3 s: $marks" || fail "bookmarks: $marks"
check_eq "events arrive while the stream is open (chunked streaming)" early "${res##*|}"

# RV unset: synthetic ADDED for the current state first
out=$(curl -sN "$U?watch=true&timeoutSeconds=1&fieldSelector=metadata.namespace%3Ddefault")
check_eq "watch without resourceVersion starts with ADDED for the state" "ADDED api-v4abc ADDED api-v6def" \
	"$(printf '%s\n' "$out" | "$PY" -c 'import json,sys; print(" ".join(e["type"]+" "+e["object"]["metadata"]["name"] for e in map(json.loads, sys.stdin) if e["type"]!="BOOKMARK"))')"

# --- 410 after compaction and outside the history window ----------------------------
OLD=$(rv_now)
ctl POST /_test/apply '{"kind":"Service","metadata":{"name":"bump","namespace":"shop"},"spec":{"ports":[{"port":1}]}}' >/dev/null
ctl POST /_test/compact >/dev/null
out=$(curl -sN -w '\n%{http_code}' "http://127.0.0.1:$PORT/api/v1/services?watch=1&resourceVersion=$OLD")
check_contains "watch from before a compaction" "$out" '{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: '"$OLD"' ('
check_contains "watch from before a compaction" "$out" '"reason":"Expired","code":410}}'
check_eq "watch 410 comes as HTTP" 200 "$(printf '%s' "$out" | tail -n 1)"
out=$(curl -sN "http://127.0.0.1:$PORT/api/v1/services?watch=1&resourceVersion=$(rv_now)&timeoutSeconds=1")
check_eq "watch from the current resourceVersion after compaction" "" "$out"
ctl POST /_test/config '{"history":3}' >/dev/null
OLD=$(rv_now)
for i in 1 2 3 4; do ctl POST /_test/apply '{"kind":"Service","metadata":{"name":"bump","namespace":"shop","labels":{"n":"'$i'"}},"spec":{"ports":[{"port":1}]}}' >/dev/null; done
check_contains "watch older than the last 3 events" "$(curl -sN "http://127.0.0.1:$PORT/api/v1/services?watch=1&resourceVersion=$OLD")" '"code":410'
out=$(curl -sN "http://127.0.0.1:$PORT/api/v1/services?watch=1&resourceVersion=$((OLD + 1))&timeoutSeconds=1")
check_eq "watch within the last 3 events" "MODIFIED MODIFIED MODIFIED" \
	"$(printf '%s\n' "$out" | "$PY" -c 'import json,sys; print(" ".join(json.loads(l)["type"] for l in sys.stdin if l.strip()))')"
ctl POST /_test/config '{"history":1000}' >/dev/null

# --- pagination -----------------------------------------------------------------------
paginate() { # paginate URL LIMIT OUTDIR [MIDWAY-COMMAND]: pages as files, prints count
	local url=$1 limit=$2 dir=$3 mid=${4:-} cont="" n=0 q
	mkdir -p "$dir"
	while [ $n -lt 100000 ]; do
		q="limit=$limit"
		[ -n "$cont" ] && q="$q&continue=$cont"
		curl -sS --compressed -o "$dir/page.$n" -w '%{time_total}\n' "$url?$q" >>"$dir/times" || return 1
		n=$((n + 1))
		[ $n = 1 ] && [ -n "$mid" ] && eval "$mid"
		cont=$(head -c 600 "$dir/page.$((n - 1))" | grep -o '"continue":"[^"]*"' | head -n 1 | cut -d'"' -f4)
		[ -z "$cont" ] && break
	done
	echo $n
}
pages=$(paginate "http://127.0.0.1:$PORT/api/v1/services" 1 "$TMP/pg" \
	"ctl POST /_test/apply '{\"kind\":\"Service\",\"metadata\":{\"name\":\"aaa-added-midway\",\"namespace\":\"shop\"},\"spec\":{}}' >/dev/null; ctl POST '/_test/delete?kind=Service&namespace=shop&name=web' >/dev/null")
res=$("$PY" - "$TMP/pg" "$pages" <<'EOF'
import json, sys
pages = [json.load(open("%s/page.%d" % (sys.argv[1], i))) for i in range(int(sys.argv[2]))]
names = [i["metadata"]["namespace"] + "/" + i["metadata"]["name"] for p in pages for i in p["items"]]
rvs = {p["metadata"]["resourceVersion"] for p in pages}
rem = [p["metadata"].get("remainingItemCount") for p in pages]
ok = all(len(p["items"]) == 1 for p in pages) and len(rvs) == 1 and rem[-1] is None and \
     rem[:-1] == list(range(len(pages) - 1, 0, -1)) and "continue" not in pages[-1]["metadata"]
print("%s %s" % (" ".join(names), "consistent" if ok else "INCONSISTENT %r %r" % (rvs, rem)))
EOF
)
check_eq "limit=1 + continue: every item once, as of the first page" \
	"default/api default/search shop/bump shop/db shop/ds shop/web consistent" "$res"
first=$(curl -s "http://127.0.0.1:$PORT/api/v1/services?limit=2" | grep -o '"continue":"[^"]*"' | cut -d'"' -f4)
ctl POST /_test/compact >/dev/null
check_contains "continue token after a compaction" \
	"$(curl -s "http://127.0.0.1:$PORT/api/v1/services?limit=2&continue=$first")" '"reason":"Expired","code":410'
check_contains "labelSelector on endpointslices" \
	"$(curl -s "$U?labelSelector=kubernetes.io/service-name%3Ddb" | "$PY" -c 'import json,sys; print([i["metadata"]["name"] for i in json.load(sys.stdin)["items"]])')" \
	"['db-q7z9k']"

# --- cutting streams ------------------------------------------------------------------
for m in rst:56 fin:18 end:0; do
	mode=${m%%:*}
	curl -sN "http://127.0.0.1:$PORT/api/v1/services?watch=1&resourceVersion=$(rv_now)" >/dev/null 2>&1 &
	CW=$!
	wait_watches 1 || fail "cut $mode: watch did not open"
	n=$(ctl POST "/_test/cut?mode=$mode")
	wait $CW
	check_eq "cut mode=$mode: $n, curl exit status" "${m#*:}" "$?"
done
check_eq "no watch left open" 0 "$(watches_now)"

# --- down / up ---------------------------------------------------------------------
ctl POST '/_test/down?mode=503' >/dev/null
check_eq "down 503" 503 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/services")"
ctl POST '/_test/down?mode=refuse&seconds=1' >/dev/null
curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/services"
check_eq "down refuse: connection refused (curl 7)" 7 "$?"
sleep 1.5
check_eq "back up after seconds=1" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/services")"

stop_server "$SMALL_PID"
check_eq "SIGTERM: exit status" 0 "$?"

# --- bearer token (file re-read on every request) -----------------------------------
printf 'first-token\n' >"$TMP/token"
start_server auth --state "$HERE/fixtures/small.json" --token-file "$TMP/token"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check_eq "no token" 401 "$(code "http://127.0.0.1:$PORT/api/v1/services")"
check_contains "401 body" "$(curl -s "http://127.0.0.1:$PORT/api/v1/services")" '"reason":"Unauthorized","code":401'
check_eq "right token" 200 "$(code -H 'Authorization: Bearer first-token' "http://127.0.0.1:$PORT/api/v1/services")"
printf 'second-token' >"$TMP/token"
check_eq "rotated: old token" 401 "$(code -H 'Authorization: Bearer first-token' "http://127.0.0.1:$PORT/api/v1/services")"
check_eq "rotated: new token" 200 "$(code -H 'Authorization: Bearer second-token' "http://127.0.0.1:$PORT/api/v1/services")"
# (kubectl sends no credentials over plain http: its token is checked over TLS below)
check_contains "kubectl without credentials" "$(kc get svc -A 2>&1)" "You must be logged in"

# --- TLS -------------------------------------------------------------------------------
if command -v openssl >/dev/null && "$HERE/make_certs.sh" "$TMP/certs" >/dev/null; then
	start_server tls --state "$HERE/fixtures/small.json" --tls-cert "$TMP/certs/server.crt" \
		--tls-key "$TMP/certs/server.key" --token t0k
	check_eq "https with the CA" 200 "$(code --cacert "$TMP/certs/ca.crt" -H 'Authorization: Bearer t0k' "https://127.0.0.1:$PORT/api/v1/services")"
	check_eq "https with another CA" 000 "$(code --cacert "$TMP/certs/other-ca.crt" "https://127.0.0.1:$PORT/api/v1/services")"
	check_eq "kubectl over https" "api search db web" \
		"$("$KUBECTL" --kubeconfig "$TMP/empty-kubeconfig" --cache-dir "$TMP/kcache" --server "https://localhost:$PORT" \
			--certificate-authority "$TMP/certs/ca.crt" --token t0k get svc -A --no-headers 2>&1 | awk '{print $2}' | xargs)"
	check_contains "kubectl over https with a wrong token" \
		"$("$KUBECTL" --kubeconfig "$TMP/empty-kubeconfig" --cache-dir "$TMP/kcache" --server "https://127.0.0.1:$PORT" \
			--certificate-authority "$TMP/certs/ca.crt" --token wrong get svc -A 2>&1)" "You must be logged in"
	out=$(timeout 5 curl -sN --cacert "$TMP/certs/ca.crt" -H 'Authorization: Bearer t0k' \
		"https://127.0.0.1:$PORT/api/v1/services?watch=1&timeoutSeconds=1" | wc -l)
	check_eq "watch over https" 4 "$out"
else
	log "no openssl: TLS checks skipped"
fi

# --- IPv6 loopback -------------------------------------------------------------------
if "$PY" -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	rm -f "$TMP/port6"
	"$PY" "$HERE/kubeapi.py" --host ::1 --port 0 --port-file "$TMP/port6" --quiet &
	P6=$!
	PIDS+=("$P6")
	for i in $(seq 1 100); do [ -s "$TMP/port6" ] && break; sleep 0.1; done
	check_eq "listening on ::1" 200 "$(code -g "http://[::1]:$(cat "$TMP/port6")/version")"
	stop_server "$P6"
fi

# --- scale: 10,000 Services, 100,000 endpoints -----------------------------------------
if [ "${KUBEAPI_BIG:-1}" != 0 ]; then
	t=$(date +%s.%N)
	"$PY" "$HERE/gen_cluster.py" --services 10000 --endpoints-per-service 10 --out "$TMP/big.json" 2>"$TMP/gen.err"
	log "$(cat "$TMP/gen.err") in $(since "$t" %.1f) s"
	t=$(date +%s.%N)
	start_server big --state "$TMP/big.json" --quiet
	log "big server ready in $(since "$t" %.1f) s"
	for r in api/v1/services apis/discovery.k8s.io/v1/endpointslices; do
		t=$(date +%s.%N)
		pages=$(paginate "http://127.0.0.1:$PORT/$r" 500 "$TMP/big-${r##*/}")
		el=$(since "$t" %.2f)
		res=$("$PY" - "$TMP/big-${r##*/}" "$pages" <<'EOF'
import json, sys
n = e = 0
names = set()
for i in range(int(sys.argv[2])):
    d = json.load(open("%s/page.%d" % (sys.argv[1], i)))
    for it in d["items"]:
        names.add(it["metadata"]["namespace"] + "/" + it["metadata"]["name"])
        n += 1
        e += len(it.get("endpoints") or [])
print("%d %d %d" % (n, len(names), e))
EOF
)
		log "full paginated list of $r with curl (limit=500, gzip): $pages pages in $el s" \
			"(the requests themselves: $(awk '{ s += $1 } END { printf "%.2f", s }' "$TMP/big-${r##*/}/times") s)"
		case $r in
		*services) check_eq "big: services listed once each" "10000 10000 0" "$res" ;;
		*) check_eq "big: slices listed once each, endpoints" "10000 10000 100000" "$res" ;;
		esac
	done
	t=$(date +%s.%N)
	n=$(kc get svc -A --no-headers 2>/dev/null | wc -l)
	check_eq "big: kubectl get svc -A" 10000 "$n"
	log "kubectl get svc -A (10,000 rows, chunks of 500): $(since "$t" %.1f) s"
fi

log "$CHECKS checks, $FAILS failed, $(since "$T0" %.0f) s"
[ "$FAILS" = 0 ] || exit 1
exit 0
