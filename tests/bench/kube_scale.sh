#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/bench/kube_scale.sh - the cluster zone at scale (issue "cluster zone:
# Scale").
#
# gen_cluster.py writes KSCALE_SERVICES (10,000) Services with
# KSCALE_EPS (10) endpoints each (every 10th Service headless, every 10th
# endpoint not ready); tests/kubeapi/kubeapi.py serves it. nodedns
# (--threads 1, pinned to CPU 0) watches it. Printed, next to the goals:
#   - start to /ready 200 and start to the right answer for the last
#     Service (both polled every 10 ms, kube_sync.py);
#   - VmRSS / VmHWM after the sync, nodedns_kube_store_bytes, per Service
#     and per endpoint;
#   - EndpointSlice change -> changed answer served, p50/p99 over
#     KSCALE_CHANGES (200) changes of headless Services, and the API
#     server's own share (kube_change.py);
#   - QPS over 1,000 distinct Service names (loadgen, or dnsperf when
#     tests/bench/loadgen.c is missing, on CPU 1) without churn and with
#     KSCALE_CHURN_RATE (100) EndpointSlice updates a second (kube_churn.py),
#     KSCALE_ROUNDS (3) rounds of KSCALE_DURATION (10) s each, interleaved,
#     median; the ratio and the query errors during churn. The API server
#     and the churn client (Python) take CPU from the same two cores, so
#     also nodedns's own cost of the churn: its control thread's CPU.
# The API server and the helpers are not pinned. Everything stays on
# 127.0.0.1; only its own PIDs are stopped (lib.sh's cleanup).
#
#   ND_BUILDDIR=/path/to/build tests/bench/kube_scale.sh
#   KSCALE_PERF=1: also `perf record -g` nodedns during the sync
#   (perf.data and a report in the kept temporary directory, ND_KEEP=1).
set -uo pipefail

KSCALE_SERVICES=${KSCALE_SERVICES:-10000}
KSCALE_EPS=${KSCALE_EPS:-10}
KSCALE_CHANGES=${KSCALE_CHANGES:-200}
KSCALE_ROUNDS=${KSCALE_ROUNDS:-3}
KSCALE_DURATION=${KSCALE_DURATION:-10}
KSCALE_CHURN_RATE=${KSCALE_CHURN_RATE:-100}
KSCALE_PERF=${KSCALE_PERF:-0}

here=$(cd "$(dirname "$0")" && pwd)
ND_SRCDIR=${ND_SRCDIR:-$(cd "$here/../.." && pwd)}
ND_BUILDDIR=${ND_BUILDDIR:-$(pwd)}
export ND_SRCDIR ND_BUILDDIR
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree
# shellcheck source=../system/lib.sh
. "$ND_SRCDIR/tests/system/lib.sh"
# shellcheck source=../system/lib_kube.sh
. "$ND_SRCDIR/tests/system/lib_kube.sh"

[ -x "$ND_BUILDDIR/nodedns" ] || die "no nodedns in $ND_BUILDDIR (build first)"
for v in KSCALE_SERVICES KSCALE_EPS KSCALE_CHANGES KSCALE_ROUNDS KSCALE_DURATION KSCALE_CHURN_RATE; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[ "$KSCALE_DURATION" -le 60 ] || die "KSCALE_DURATION is at most 60 s"
[ "$KSCALE_ROUNDS" -le 9 ] || die "KSCALE_ROUNDS is at most 9"
[ "$KSCALE_CHANGES" -le 1000 ] || die "KSCALE_CHANGES is at most 1000"

SERVER_PIN=
CLIENT_PIN=
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
	SERVER_PIN="taskset -c 0"
	CLIENT_PIN="taskset -c 1"
	PIN_NOTE="nodedns --threads 1 pinned to CPU 0, load generator CPU 1, API server and helpers unpinned"
else
	PIN_NOTE="nodedns --threads 1, NOT pinned (taskset missing or 1 CPU)"
fi

# the load generator: loadgen.c when it is there, else dnsperf
LOADGEN=
LG_NOTE="dnsperf -c 4 -T 2"
if [ -f "$here/loadgen.c" ] && command -v gcc >/dev/null 2>&1; then
	LOADGEN="$ND_TMP/loadgen"
	gcc -O2 -D_GNU_SOURCE -o "$LOADGEN" "$here/loadgen.c" || die "cannot build loadgen"
	LG_NOTE="loadgen (tests/bench/loadgen.c, 4 sockets, window 512)"
else
	need dnsperf
fi

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
out() { printf '%s\n' "$*" | tee -a "$ND_TMP/summary.txt"; }

# --- the cluster ----------------------------------------------------------------
STATE="$ND_TMP/cluster.json"
QUERIES="$ND_TMP/queries.txt"
t=$(date +%s%N)
"$ND_PY" "$ND_SRCDIR/tests/kubeapi/gen_cluster.py" --services "$KSCALE_SERVICES" \
	--endpoints-per-service "$KSCALE_EPS" --out "$STATE" 2>"$ND_TMP/gen.err" ||
	die "gen_cluster.py failed: $(cat "$ND_TMP/gen.err")"
log "$(cat "$ND_TMP/gen.err") in $(ms_since "$t") ms ($(du -m "$STATE" | cut -f1) MB)"
read -r LAST_NAME LAST_IPS < <("$ND_PY" "$here/kube_prep.py" "$STATE" "$QUERIES" 1000) ||
	die "kube_prep.py failed"
log "last Service $LAST_NAME must answer ${LAST_IPS:-nothing}"

start_kubeapi --quiet --history 100000
t=$(date +%s%N)
curl -sS --max-time 120 -X POST "$KAPI_URL/_test/load?reset=1&file=$STATE" >"$ND_TMP/load.json" ||
	die "POST /_test/load failed"
log "kubeapi.py loaded the state in $(ms_since "$t") ms: $(cat "$ND_TMP/load.json")"

# --- start and sync ---------------------------------------------------------------
ND_PORT=$(free_port)
ND_HPORT=$(free_port)
ND_LOG="$ND_TMP/nodedns.log"
ND_ARGS=(--listen "127.0.0.1:$ND_PORT" --http-listen "127.0.0.1:$ND_HPORT"
	--debug-listen "127.0.0.1:$(free_port)" --resolv-conf /dev/null
	--threads 1 --upstream 127.0.0.1:9 --kube-api "$KAPI_URL" --log-level warn)
ND_CMD="${SERVER_PIN:+$SERVER_PIN }$ND_BUILDDIR/nodedns ${ND_ARGS[*]}"
LOAD_START=$(loadavg)
log "starting: $ND_CMD"
T0=$(date +%s%N)
$SERVER_PIN "$ND_BUILDDIR/nodedns" "${ND_ARGS[@]}" >"$ND_LOG" 2>&1 </dev/null &
ND_PID=$!
nd_track "$ND_PID"
PERF_PID=
if [ "$KSCALE_PERF" = 1 ] && command -v perf >/dev/null 2>&1; then
	perf record -q -g -F 999 -o "$ND_TMP/perf.data" -p "$ND_PID" -- sleep 15 >"$ND_TMP/perf.out" 2>&1 &
	PERF_PID=$!
	nd_track "$PERF_PID"
fi
SYNC=$("$ND_PY" "$here/kube_sync.py" "$T0" "$ND_HPORT" "$ND_PORT" "$LAST_NAME" "$LAST_IPS" 60)
log "sync: $SYNC"
READY_MS=$(sed -n 's/.*ready_ms=\(-\?[0-9]*\).*/\1/p' <<<"$SYNC")
ANSWER_MS=$(sed -n 's/.*answer_ms=\(-\?[0-9]*\).*/\1/p' <<<"$SYNC")
kill -0 "$ND_PID" 2>/dev/null || die "nodedns exited: $(tail -n 20 "$ND_LOG")"
RSS_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ND_PID/status")
HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$ND_PID/status")
CPU_TICKS=$(awk '{ print $14 + $15 }' "/proc/$ND_PID/stat")
STORE=$(metric nodedns_kube_store_bytes)
NSVC=$(metric nodedns_kube_services)
NEPS=$(metric nodedns_kube_endpoints)
LOAD_SYNC=$(loadavg)
if [ -n "$PERF_PID" ]; then
	wait "$PERF_PID"
	nd_forget "$PERF_PID"
	perf report -i "$ND_TMP/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 60 >"$ND_TMP/perf.txt"
	log "perf profile of the sync: $ND_TMP/perf.txt"
fi

# --- change -> answer ---------------------------------------------------------------
log "kube_change.py: $KSCALE_CHANGES changes"
CHANGE_OUT=$("$ND_PY" "$here/kube_change.py" "$KAPI_PORT" "$ND_PORT" "$STATE" "$KSCALE_CHANGES")
LOAD_CHANGE=$(loadavg)
CHG=$(tail -n 1 <<<"$CHANGE_OUT")
field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" <<<" $2"; }

# --- QPS with and without churn ---------------------------------------------------------
run_load() { # $1: tag -> "qps servfail lost"
	local o
	if [ -n "$LOADGEN" ]; then
		o=$($CLIENT_PIN "$LOADGEN" -s 127.0.0.1 -p "$ND_PORT" -d "$QUERIES" -l "$KSCALE_DURATION" --quiet)
		printf '%s\n' "$o" >>"$ND_TMP/load.$1.txt"
		echo "$(field qps "$o") $(field servfail "$o") $(field lost "$o")"
	else
		o=$($CLIENT_PIN dnsperf -s 127.0.0.1 -p "$ND_PORT" -d "$QUERIES" -l "$KSCALE_DURATION" -c 4 -T 2 -q 500)
		printf '%s\n' "$o" >>"$ND_TMP/load.$1.txt"
		echo "$(awk '/Queries per second/ { printf "%d", $4 }' <<<"$o")" \
			"$(grep -o 'SERVFAIL [0-9]*' <<<"$o" | awk '{ s += $2 } END { print s + 0 }')" \
			"$(awk '/Queries lost/ { print $3 + 0 }' <<<"$o")"
	fi
}
# start_churn TAG: kube_churn.py in the background, returning once it
# posts (it loads the cluster first); output in $ND_TMP/churn.TAG.txt.
start_churn() {
	local go="$ND_TMP/churn.go.$1"
	"$ND_PY" "$here/kube_churn.py" "$KAPI_PORT" "$STATE" "$KSCALE_CHURN_RATE" \
		"$((KSCALE_DURATION + 1))" "$go" >"$ND_TMP/churn.$1.txt" 2>&1 &
	CHURN_PID=$!
	nd_track "$CHURN_PID"
	for _ in $(seq 1 600); do
		[ -e "$go" ] || ! kill -0 "$CHURN_PID" 2>/dev/null && break
		sleep 0.05
	done
	[ -e "$go" ] || die "kube_churn.py did not start: $(cat "$ND_TMP/churn.$1.txt")"
}
stop_churn() {
	wait "$CHURN_PID"
	nd_forget "$CHURN_PID"
}
# CPU ticks of nodedns's control thread (the process's first thread: the
# API client and the store's writer), which does all the work of a change.
control_ticks() { sed 's/^.*) //' "/proc/$ND_PID/task/$ND_PID/stat" | awk '{ print $12 + $13 }'; }
CTL_TICKS=0
QPS_NO=()
QPS_CH=()
CH_SERVFAIL=0
CH_LOST=0
CH_POSTS=()
EV0=$(metric_l nodedns_kube_events_total 'resource="endpointslices"' 'type="MODIFIED"')
for r in $(seq 1 "$KSCALE_ROUNDS"); do
	read -r q sf lost < <(run_load nochurn)
	QPS_NO+=("$q")
	log "round $r without churn: $q QPS (servfail $sf, lost $lost), load $(loadavg)"
	start_churn "$r"
	c0=$(control_ticks)
	read -r q sf lost < <(run_load churn)
	CTL_TICKS=$((CTL_TICKS + $(control_ticks) - c0))
	stop_churn
	QPS_CH+=("$q")
	CH_SERVFAIL=$((CH_SERVFAIL + sf))
	CH_LOST=$((CH_LOST + lost))
	CH_POSTS+=("$(cat "$ND_TMP/churn.$r.txt")")
	log "round $r with churn: $q QPS (servfail $sf, lost $lost), $(tail -n 1 "$ND_TMP/churn.$r.txt"), load $(loadavg)"
done
EV1=$(metric_l nodedns_kube_events_total 'resource="endpointslices"' 'type="MODIFIED"')
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
MED_NO=$(median "${QPS_NO[@]}")
MED_CH=$(median "${QPS_CH[@]}")
RSS_END=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ND_PID/status")
kill -0 "$ND_PID" 2>/dev/null || die "nodedns died during the run"

# --- summary ---------------------------------------------------------------------------
verdict() { if awk "BEGIN { exit !($1) }"; then echo "ok"; else echo "MISSED"; fi; }
eps=$(awk -v s="$KSCALE_SERVICES" -v e="$KSCALE_EPS" 'BEGIN { print s * e }')
out "== nodedns cluster zone at scale: $KSCALE_SERVICES Services, $eps endpoints ($NSVC services, $NEPS endpoint addresses held)"
out "   $PIN_NOTE; load generator: $LG_NOTE"
out "   nodedns: $ND_CMD"
out "   load average: before start $LOAD_START | after sync $LOAD_SYNC | after changes $LOAD_CHANGE | at end $(loadavg)"
out "start -> /ready 200:              $READY_MS ms       goal < 3000 ms   $(verdict "$READY_MS >= 0 && $READY_MS < 3000")"
out "start -> last Service answered:   $ANSWER_MS ms       (nodedns CPU during start+sync: $((CPU_TICKS * 10)) ms)"
out "RSS after sync:                   $((RSS_KB / 1024)) MB (VmHWM $((HWM_KB / 1024)) MB, $((RSS_END / 1024)) MB at the end)   goal < 60 MB   $(verdict "$RSS_KB < 61440")"
out "nodedns_kube_store_bytes:         $((STORE / 1024 / 1024)) MB ($STORE)"
out "$(awk -v r="$RSS_KB" -v s="$STORE" -v n="$KSCALE_SERVICES" -v e="$eps" 'BEGIN {
	printf "per Service: RSS %.0f B, store %.0f B;  per endpoint: RSS %.0f B, store %.0f B", r * 1024 / n, s / n, r * 1024 / e, s / e }')"
out "change -> answer ($(field n "$CHG") changes, $(field timeouts "$CHG") timeouts): p50 $(field p50_ms "$CHG") ms  p99 $(field p99_ms "$CHG") ms   goal p99 < 50 ms   $(verdict "$(field p99_ms "$CHG") < 50 && $(field timeouts "$CHG") == 0")"
out "   API server's share (POST until reply): p50 $(field api_p50_ms "$CHG") ms  p99 $(field api_p99_ms "$CHG") ms"
printf '%s\n' "$CHANGE_OUT" | head -n -1 | sed 's/^/   /' | tee -a "$ND_TMP/summary.txt"
out "QPS, 1,000 Service names, $KSCALE_ROUNDS x $KSCALE_DURATION s interleaved, median:"
out "   without churn: $MED_NO  (${QPS_NO[*]})"
out "   with $KSCALE_CHURN_RATE slice updates/s: $MED_CH  (${QPS_CH[*]})"
out "   churn/no churn: $(awk -v a="$MED_CH" -v b="$MED_NO" 'BEGIN { printf "%.3f", b ? a / b : 0 }')   goal >= 0.90   $(verdict "$MED_NO > 0 && $MED_CH / $MED_NO >= 0.9")"
out "   errors during churn: SERVFAIL $CH_SERVFAIL, timeouts $CH_LOST; slice MODIFIED events received by nodedns $((EV1 - EV0))"
out "$(awk -v t="$CTL_TICKS" -v hz="$(getconf CLK_TCK)" -v r="$KSCALE_ROUNDS" -v d="$KSCALE_DURATION" 'BEGIN {
	ms = 1000 * t / hz / (r * d)
	printf "   nodedns'"'"'s own work for the churn (control thread): %.0f ms CPU per second, %.1f%% of its core;\n", ms, ms / 10
	printf "   the rest of the drop is the API server and churn client (Python, unpinned) on the same two cores" }')"
for c in "${CH_POSTS[@]}"; do out "   $c"; done
log "details in $ND_TMP (ND_KEEP=1 keeps it)"
stop_nodedns
[ "$ND_FAILS" = 0 ]
