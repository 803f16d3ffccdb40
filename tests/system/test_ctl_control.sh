#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_ctl_control.sh - nodednsctl's commands that act on a
# running nodedns (unbound as its upstream, a config file, --log-level warn on
# the command line): --version; status and its fields; reload (accepted, and
# refused with a broken config file: exit 3 with FILE:LINE); flush NAME (the
# next query goes upstream again, counted at unbound) and flush --all;
# log-level (debug lines appear after it, not before, although the command line
# said warn); the control token (missing: 401, wrong: 403, right: 200); POST
# only. A non-loopback peer is refused in test_ctl_remote.sh.
. "$(dirname "$0")/lib.sh"

CTL="$ND_BUILDDIR/nodednsctl"
[ -x "$CTL" ] || die "$CTL not found (build first; ND_BUILDDIR=$ND_BUILDDIR)"

start_unbound_auth example.test \
	"example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300" \
	"example.test. 300 IN NS ns1.example.test." \
	"www.example.test. 300 IN A 192.0.2.10" \
	"one.example.test. 300 IN A 192.0.2.1" \
	"two.example.test. 300 IN A 192.0.2.2" \
	"three.example.test. 300 IN A 192.0.2.3"
CONF="$ND_TMP/nodedns.conf"
printf 'cache-size 8m\nttl 5\n' >"$CONF"
DEAD_PORT=$(free_port) # nothing listens: a forward zone that fails at once
start_nodedns -c "$CONF" --upstream "127.0.0.1:$UNBOUND_PORT" --log-level warn \
	--forward-zone "down.test=127.0.0.1:$DEAD_PORT"
export NODEDNS_SERVER="127.0.0.1:$ND_DPORT" # ADDR:PORT is taken as http://

# ctl ARGS...: run nodednsctl (bounded in time); stdout in OUT, stderr in
# ERR, exit status in RC.
ctl() {
	OUT=$(timeout 20 "$CTL" "$@" 2>"$ND_TMP/ctl.err")
	RC=$?
	ERR=$(cat "$ND_TMP/ctl.err")
}

json_get() {
	printf '%s' "$OUT" | "$ND_PY" -c '
import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1" 2>&1
}

# --- version -------------------------------------------------------------------
log "=== --version"
ctl --version
assert_eq "--version: exit status" 0 "$RC"
want=$("$ND_BUILDDIR/nodedns" --version | head -n 1 | awk '{ print $2 }')
assert_match "--version: the build's version and revision" "$OUT" "^nodednsctl [0-9]+\\.[0-9]+\\.[0-9]+ \\(.+\\)$"
assert_eq "--version: the same as the daemon's" "nodednsctl $("$ND_BUILDDIR/nodedns" --version | head -n 1 | cut -d' ' -f2-)" "$OUT"
ctl -V
assert_eq "-V: exit status" 0 "$RC"

# --- status --------------------------------------------------------------------
log "=== status"
ctl status
assert_eq "status: exit status" 0 "$RC"
assert_match "status: version, uptime, state" "$OUT" "^nodedns $want, up [0-9]+s \\(since 20[0-9-]+T[0-9:.]+Z\\): ready$"
assert_match "status: the log level of the command line" "$OUT" '^log level: warn$'
assert_contains "status: the config file" "$OUT" "config:    $CONF; last reload: none"
assert_match "status: the cluster zone (none here)" "$OUT" '^cluster: +cluster\.local none: no Kubernetes source'
assert_match "status: the cache" "$OUT" '^cache: +0 entries, 0 B of 8\.0 MiB; 0 evicted, 0 expired$'
assert_match "status: the upstream with its health" "$OUT" "^127\\.0\\.0\\.1:$UNBOUND_PORT +- +(ok|not asked yet) +"
ctl -o json status
assert_eq "status -o json: exit status" 0 "$RC"
assert_eq "status -o json: version" "$want" "$(json_get 'd["version"]')"
assert_eq "status -o json: debug listener" "127.0.0.1:$ND_DPORT" "$(json_get 'd["debug_listen"]')"
assert_eq "status -o json: started is RFC 3339" True \
	"$(json_get '__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", d["started"]["time"]) is not None')"
assert_eq "status -o json: upstream address" "127.0.0.1:$UNBOUND_PORT" "$(json_get 'd["upstreams"][0]["address"]')"

# --- event times ---------------------------------------------------------------
log "=== event times in searchlist"
q x.down.test A >/dev/null
# has_event: the signals list an event for the dead upstream
has_event() {
	ctl -o json searchlist
	[ "$(json_get 'sum(1 for e in d["signals"]["events"] if e.get("upstream") == "127.0.0.1:'"$DEAD_PORT"'")')" -ge 1 ]
}
if poll_until 5000 has_event; then
	pass "searchlist: an event for the unreachable forward zone"
else
	fail "searchlist: no event for 127.0.0.1:$DEAD_PORT"
fi
assert_eq "searchlist -o json: events carry an RFC 3339 time and an age, no monotonic us" "True" \
	"$(json_get 'all(__import__("re").fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["time"]) and isinstance(e["age_s"], (int, float)) and 0 <= e["age_s"] < 600 and "time_us" not in e for e in d["signals"]["events"])')"
ctl searchlist
assert_match "searchlist: the events table has TIME and AGE" "$OUT" '^    TIME +AGE +KIND '
assert_match "searchlist: an age in words" "$OUT" "^    20[0-9-]+T[0-9:.]+Z +[0-9]+\.[0-9] s ago +upstream "

# --- flush -----------------------------------------------------------------------
log "=== flush NAME"
q www.example.test A >/dev/null
q www.example.test A >/dev/null
assert_eq "www.example.test asked upstream once (then cached)" 1 "$(unbound_count www.example.test A)"
ctl -o json status
assert_cmp "status: the cache holds it" "$(json_get 'd["cache"]["entries"]')" -ge 1
ctl flush www.example.test
assert_eq "flush www.example.test: exit status" 0 "$RC"
assert_match "flush: what went" "$OUT" '^flushed 1 cached answer of www\.example\.test; [0-9]+ left in the cache$'
out=$(q www.example.test A)
assert_contains "after the flush: answered" "$out" "192.0.2.10"
assert_eq "after the flush: the next query went upstream again" 2 "$(unbound_count www.example.test A)"
ctl flush WWW.Example.Test.
assert_eq "flush is case-insensitive, a trailing dot is fine" 0 "$RC"
assert_match "flush WWW.Example.Test.: one went" "$OUT" '^flushed 1 cached answer'
ctl flush 'bad name!'
assert_eq "flush of a name that is no DNS name: exit status (HTTP 400)" 2 "$RC"
assert_contains "flush of a bad name: the server's message" "$ERR" "not a DNS name"

log "=== flush --all"
for n in one two three; do q "$n.example.test" A >/dev/null; done
ctl -o json flush --all
assert_eq "flush --all: exit status" 0 "$RC"
assert_cmp "flush --all: entries dropped" "$(json_get 'd["flushed"]')" -ge 3
assert_eq "flush --all: none left" 0 "$(json_get 'd["cache_entries"]')"
q one.example.test A >/dev/null
assert_eq "after flush --all: one.example.test asked upstream again" 2 "$(unbound_count one.example.test A)"

# --- log-level -------------------------------------------------------------------
log "=== log-level"
# --log-level warn on the command line: no debug line for a query sent
# upstream, then one once the level is debug.
n0=$(log_lines)
q before.example.test A >/dev/null
poll_until 3000 eval '[ "$(unbound_count before.example.test A)" -ge 1 ]' ||
	fail "before.example.test never reached the upstream"
if log_has_after "$n0" ' debug '; then
	fail "debug lines at level warn"
else
	pass "no debug line at level warn (given on the command line)"
fi
ctl log-level debug
assert_eq "log-level debug: exit status" 0 "$RC"
assert_eq "log-level debug: output" "log level: debug (was warn) until the next reload" "$OUT"
n1=$(log_lines)
q after.example.test A >/dev/null
if poll_until 5000 log_has_after "$n1" ' debug forward: attempt .*after\.example\.test'; then
	pass "a debug line for the query after log-level debug"
else
	fail "no debug line for after.example.test after log-level debug"
fi
ctl -o json status
assert_eq "status: the level now" debug "$(json_get 'd["log_level"]')"
ctl log-level loud
assert_eq "log-level loud: exit status (HTTP 400)" 2 "$RC"
assert_contains "log-level loud: the server's message" "$ERR" "error, warn, info or debug"
ctl log-level warn
assert_eq "log-level warn: exit status" 0 "$RC"

# --- reload ----------------------------------------------------------------------
log "=== reload"
printf 'cache-size 8m\nttl 5\nstale-ttl 60\n' >"$CONF"
ctl reload
assert_eq "reload: exit status" 0 "$RC"
assert_eq "reload: output" "reload: accepted" "$OUT"
ctl -o json status
assert_eq "status after reload: outcome" accepted "$(json_get 'd["last_reload"]["outcome"]')"
assert_eq "status after reload: time is RFC 3339" True \
	"$(json_get '__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", d["last_reload"]["time"]) is not None')"
# a reload applies the configured level again: warn from the command line
assert_eq "status after reload: the configured log level" warn "$(json_get 'd["log_level"]')"

printf 'cache-size 8m\nttl 5\nno-such-option 1\n' >"$CONF"
ctl reload
assert_eq "reload of a broken file: exit status (refused)" 3 "$RC"
assert_eq "reload of a broken file: output" "reload: refused" "$OUT"
assert_contains "reload of a broken file: FILE:LINE and why" "$ERR" "$CONF:3: unknown option 'no-such-option'"
ctl -o json reload
assert_eq "reload -o json of a broken file: exit status" 3 "$RC"
assert_eq "reload -o json: outcome" refused "$(json_get 'd["outcome"]')"
ctl status
assert_match "status: the refused reload" "$OUT" "last reload: refused: $CONF:3: unknown option"
out=$(q www.example.test A)
assert_contains "still serving after the refused reload" "$out" "192.0.2.10"
: >"$CONF"
ctl reload
assert_eq "reload of an emptied file: exit status (refused)" 3 "$RC"
assert_contains "reload of an emptied file: why" "$ERR" "holds no option"

# --- who may -------------------------------------------------------------------
log "=== POST only, and the control token"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$ND_DPORT/control/reload")
assert_eq "GET /control/reload: 405" 405 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://127.0.0.1:$ND_HPORT/control/reload")
assert_eq "POST /control/reload on the metrics listener: 404" 404 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://127.0.0.1:$ND_DPORT/control/nothing")
assert_eq "POST /control/nothing: 404" 404 "$code"

TOKEN="$ND_TMP/control.token"
printf 's3cret-%s\n' "$$" >"$TOKEN"
printf 'wrong\n' >"$ND_TMP/wrong.token"
printf 'cache-size 8m\nttl 5\ncontrol-token %s\n' "$TOKEN" >"$CONF"
ctl reload # from loopback, no token needed yet
assert_eq "reload that sets control-token: exit status" 0 "$RC"
ctl flush --all
assert_eq "without the token now: exit status (HTTP 401)" 2 "$RC"
assert_contains "without the token: why" "$ERR" "needs its control token"
ctl --control-token "$ND_TMP/wrong.token" flush --all
assert_eq "with a wrong token: exit status (HTTP 403)" 2 "$RC"
assert_contains "with a wrong token: why" "$ERR" "wrong control token"
ctl --control-token "$TOKEN" flush --all
assert_eq "with the token: exit status" 0 "$RC"
ctl --control-token "$ND_TMP/none.token" flush --all
assert_eq "a token file that is missing: exit status (usage)" 1 "$RC"
ctl status
assert_eq "views need no token: status" 0 "$RC"
if log_has_after 0 "control: POST /control/flush from 127\\.0\\.0\\.1 refused: wrong control token"; then
	pass "the refusal is logged with the peer"
else
	fail "no log line for the refused control request"
fi
# back to no token, with the token (the last one it takes with it)
printf 'cache-size 8m\nttl 5\n' >"$CONF"
ctl --control-token "$TOKEN" reload
assert_eq "reload that drops control-token: exit status" 0 "$RC"
ctl flush --all
assert_eq "loopback without a token again: exit status" 0 "$RC"

nd_done
