#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_logging.sh - operating the log: --log-format json lines
# that all parse, --log-file, the sampled query log (--query-log,
# --query-log-sample: its fields and exactly 1 in N queries), SIGUSR1's
# state dump (the daemon keeps running), SIGUSR2 reopening the log file
# after it was moved (logrotate), and the text form from a config file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kube.sh"

need python3
[ -z "${ND_TARGET:-}" ] || skip "signals and the log file need a daemon this test starts"

start_nsd "$ND_ZONES/example.test.zone" example.test
# Started as root, nodedns runs as --user (nobody) after binding: SIGUSR2
# creates the new file as that user, so the log's folder must let it.
mkdir "$ND_TMP/log" && chmod 1777 "$ND_TMP/log"
LOGF="$ND_TMP/log/nodedns.json.log"
ND_THREADS=1 start_nodedns --upstream "127.0.0.1:$NSD_PORT" \
	--kube-snapshot "$ND_SRCDIR/deploy/demo/cluster.json" \
	--log-format json --log-file "$LOGF" --query-log on --query-log-sample 4

# file_has FILE ERE: a line of FILE matches.
file_has() { grep -qE -- "$2" "$1" 2>/dev/null; }
# file_count FILE ERE: how many lines match.
file_count() { grep -cE -- "$2" "$1" 2>/dev/null || true; }
# count_is FILE ERE N
count_is() { [ "$(file_count "$1" "$2")" = "$3" ]; }

# check_json FILE: every line is a JSON object with ts (RFC 3339 UTC, ms),
# level, group and msg; prints what is wrong.
check_json() {
	python3 - "$1" <<'PY'
import json, re, sys
bad = 0
n = 0
for i, line in enumerate(open(sys.argv[1], 'rb'), 1):
    n += 1
    try:
        o = json.loads(line)
    except Exception as e:
        print(f"line {i}: not JSON ({e}): {line!r}"); bad += 1; continue
    for k in ("ts", "level", "group", "msg"):
        if not isinstance(o.get(k), str):
            print(f"line {i}: no string {k}: {line!r}"); bad += 1
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o.get("ts", "")):
        print(f"line {i}: ts {o.get('ts')!r} is not RFC 3339 UTC with ms"); bad += 1
    if o.get("level") not in ("error", "warn", "info", "debug"):
        print(f"line {i}: level {o.get('level')!r}"); bad += 1
print(f"{n} lines")
sys.exit(1 if bad or n == 0 else 0)
PY
}

poll_until 5000 file_has "$LOGF" '"msg":"serving DNS on' ||
	fail "no 'serving DNS' line in the --log-file $LOGF"
if out=$(check_json "$LOGF"); then
	pass "--log-format json: every start-up line parses ($out)"
else
	fail "--log-format json: bad lines:"
	printf '%s\n' "$out" | sed 's/^/    | /'
fi

# --- the query log: 1 in 4 queries on the one worker -------------------------
# 40 questions: the first goes upstream, the other 39 are cache hits; the
# worker logs its 1st, 5th, 9th, ... query: exactly 10 lines.
for i in $(seq 1 40); do
	q www.example.test A >/dev/null
done
ql='"group":"query"'
if poll_until 5000 count_is "$LOGF" "$ql" 10; then
	pass "--query-log-sample 4: 10 lines for 40 queries"
else
	fail "--query-log-sample 4: expected 10 query lines for 40 queries, got $(file_count "$LOGF" "$ql")"
fi
assert_eq "nodedns_query_log_lines_total" 10 "$(metric nodedns_query_log_lines_total)"
assert_eq "nodedns_query_log_dropped_total" 0 "$(metric nodedns_query_log_dropped_total)"
# field checks on the parsed lines: the first came from the upstream
fields=$(python3 - "$LOGF" "$NSD_PORT" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], 'rb')]
q = [o for o in lines if o.get("group") == "query"]
first, rest = q[0], q[1:]
want = {"qname": "www.example.test.", "qtype": "A", "rcode": "NOERROR", "proto": "udp"}
bad = []
for o in q:
    for k, v in want.items():
        if o.get(k) != v:
            bad.append(f"{k}={o.get(k)!r} in {o}")
    if not isinstance(o.get("latency_us"), int) or o["latency_us"] < 0:
        bad.append(f"latency_us in {o}")
    if not str(o.get("client", "")).startswith("127.0.0.1:"):
        bad.append(f"client in {o}")
if first.get("source") != "upstream" or first.get("upstream") != "127.0.0.1:" + sys.argv[2] or first.get("attempts") != 1:
    bad.append(f"first line: source/upstream/attempts {first}")
for o in rest:
    if o.get("source") != "cache" or o.get("upstream") != "-":
        bad.append(f"later line: source/upstream {o}")
print("\n".join(bad) if bad else "ok")
PY
)
assert_eq "query log fields (client, qname, qtype, rcode, source, latency_us, upstream)" ok "$fields"

# a cluster answer says so
for i in 1 2 3 4; do
	q trace-svc.default.svc.cluster.local A >/dev/null
done
if poll_until 5000 file_has "$LOGF" '"qname":"trace-svc\.default\.svc\.cluster\.local\.".*"source":"cluster"'; then
	pass "query log: a cluster answer has source cluster"
else
	fail "query log: no line for trace-svc with source cluster"
fi

# --- SIGUSR1: the state in the log, the daemon still serving -----------------
n0=$(file_count "$LOGF" '.')
kill -USR1 "$ND_PID"
poll_until 5000 file_has "$LOGF" 'state dump ends' || fail "no state dump within 5 s of SIGUSR1"
if kill -0 "$ND_PID" 2>/dev/null && [ "$(nd_http_code /health)" = 200 ]; then
	pass "SIGUSR1: the daemon is still running and healthy"
else
	fail "SIGUSR1: the daemon is gone or unhealthy"
fi
assert_eq "SIGUSR1: answers after the dump" NOERROR "$(rcode_of "$(q www.example.test A)")"
dump=$(tail -n +"$((n0 + 1))" "$LOGF" | grep '"group":"dump"')
assert_contains "dump: version" "$dump" 'nodedns 0.'
assert_contains "dump: config" "$dump" "config: file=- listen=127.0.0.1:$ND_PORT http-listen=127.0.0.1:$ND_HPORT debug-listen=127.0.0.1:$ND_DPORT threads=1 "
assert_contains "dump: upstream with health" "$dump" "upstream 127.0.0.1:$NSD_PORT zone=- health=ok fails_in_a_row=0 srtt_ms="
assert_match "dump: cache entries" "$dump" 'cache: entries=[1-9]'
assert_contains "dump: kube sync" "$dump" 'kube: source=snapshot synced=yes services='
assert_match "dump: counters" "$dump" 'counters: queries=4[4-9]'
assert_contains "dump: query log counts" "$dump" 'query log: lines='
if out=$(check_json "$LOGF"); then
	pass "the dump and the query log are valid JSON lines too"
else
	fail "bad JSON lines after the dump:"
	printf '%s\n' "$out" | sed 's/^/    | /'
fi

# --- SIGUSR2: logrotate moved the file; new lines go to a new file ----------
mv "$LOGF" "$LOGF.1"
old_lines=$(file_count "$LOGF.1" '.')
kill -USR2 "$ND_PID"
if poll_until 5000 file_has "$LOGF" 'SIGUSR2: log reopened'; then
	pass "SIGUSR2: a new file at the same path, with the reopen line"
else
	fail "SIGUSR2: no new $LOGF with 'log reopened'"
fi
kill -USR1 "$ND_PID"
poll_until 5000 file_has "$LOGF" 'state dump ends' || fail "after SIGUSR2, the dump did not reach the new file"
assert_eq "SIGUSR2: the moved file got no new line" "$old_lines" "$(file_count "$LOGF.1" '.')"
for i in 1 2 3 4; do
	q www.example.test A >/dev/null
done
poll_until 5000 file_has "$LOGF" "$ql" || fail "after SIGUSR2, query lines did not reach the new file"
stop_nodedns

# --- SIGUSR1 with the API watched: each resource's list/watch state --------
start_kubeapi --state "$KUBE_FIXTURES/cluster.json"
# --log-level warn: the dump is written whatever the level
# and a forward zone whose upstream is a closed port: a failing upstream
DEAD_PORT=$(free_port)
start_nodedns --upstream "127.0.0.1:$NSD_PORT" --kube-api "$KAPI_URL" --log-level warn \
	--forward-zone "dead.test=127.0.0.1:$DEAD_PORT"
wait_kube_watching 10000 || fail "the API watch did not start within 10 s"
assert_eq "a name of the dead zone" SERVFAIL "$(rcode_of "$(q x.dead.test A)")"
n0=$(log_lines)
kill -USR1 "$ND_PID"
poll_until 5000 log_has_after "$n0" 'state dump ends' || fail "no state dump within 5 s of SIGUSR1"
dump=$(tail -n +"$((n0 + 1))" "$ND_LOG" | grep ' info dump: ')
assert_contains "dump: the API source, synced" "$dump" 'kube: source=api synced=yes'
for kind in services endpointslices namespaces; do
	assert_match "dump: $kind list/watch state" "$dump" "kube $kind: state=watching for_ms=[0-9]+ listed=yes failures=0 resource_version=[0-9]+ lists=1 api_errors=0"
done
assert_match "dump: last known current" "$dump" 'kube: last known current [0-9]+ ms ago'
assert_match "dump: the failing upstream" "$dump" "upstream 127\.0\.0\.1:$DEAD_PORT zone=dead\.test health=failing fails_in_a_row=[1-9][0-9]* .* network=[1-9]"
kill -0 "$ND_PID" 2>/dev/null && pass "SIGUSR1 (text log): still running" || fail "SIGUSR1 killed the daemon"
stop_nodedns
stop_kubeapi

# --- text form, from a config file; -V names the revision ------------------
cat >"$ND_TMP/text.conf" <<CONF
upstream 127.0.0.1:$NSD_PORT
log-format text
query-log on
CONF
ND_THREADS=1 start_nodedns -c "$ND_TMP/text.conf"
q www.example.test A >/dev/null
q nope.example.test A >/dev/null
if poll_until 5000 log_has_after 0 ' info query: client=127\.0\.0\.1:[0-9]+ proto=udp qname=nope\.example\.test\. qtype=A rcode=NXDOMAIN source=upstream latency_us=[0-9]+ upstream=127\.0\.0\.1:'"$NSD_PORT"' attempts=1 tc=0$'; then
	pass "text query log line, every query without a sample (stderr)"
else
	fail "no text query line for nope.example.test in $ND_LOG"
	tail -n 5 "$ND_LOG" | sed 's/^/    | /'
fi
stop_nodedns

v=$("$ND_BUILDDIR/nodedns" --version)
assert_match "--version: release and revision" "$v" '^nodedns [0-9]+\.[0-9]+\.[0-9]+ \([^)]+\)$'
out=$("$ND_BUILDDIR/nodedns" --log-format xml --upstream 127.0.0.1:1 2>&1)
assert_contains "a bad --log-format is refused" "$out" "option --log-format: bad format 'xml' (want text or json)"

nd_done
