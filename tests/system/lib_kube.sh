# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/lib_kube.sh - helpers of the cluster-zone system tests
# (sourced after lib.sh, bash): the test Kubernetes API server
# (tests/kubeapi/kubeapi.py) and its /_test/ control API, readiness,
# record checks and polling.
#
#   start_kubeapi [ARGS...]   kubeapi.py on 127.0.0.1 (port KAPI_WANT_PORT,
#                             default 0 = free), log in $KAPI_LOG; sets
#                             KAPI_PORT, KAPI_PID, KAPI_URL
#   stop_kubeapi
#   kapi PATH [CURL ARGS...]  GET/POST the API server (control or API)
#   kapi_post PATH [JSON]     POST (JSON body or none)
#   kapi_apply JSON           POST /_test/apply
#   kapi_delete KIND NS NAME [cascade]
#   kapi_rv FIELD             a field of /_test/rv (resourceVersion, watches, ...)
#   kapi_wait_watches N [MS]  until N watch streams are open (default 10 s)
#   wait_ready [MS]           until nodedns /ready is 200 (default 10 s)
#   kube_states               nodedns's /debug/kube as "resource=state" lines
#   wait_kube_watching [MS]   until nodedns watches every resource and the
#                             API server holds its 3 watch streams
#   kube_all_hanging          nodedns watches every resource and the API
#                             server (down, mode hang) holds 3 requests
#   k_has_rr OUT SECTION NAME TYPE [RDATA]
#   k_expect NAME TYPE RCODE [SECTION OWNER TYPE RDATA]...  (output in K_OUT)
#   k_rdata OUT NAME TYPE     the sorted rdata of NAME/TYPE in the answer
#   start_poller NAME TYPE    python3 asks nodedns every 20 ms (raw UDP),
#                             one "RCODE ANCOUNT" line per reply in
#                             $POLL_LOG ("TIMEOUT" when none in 1 s)
#   poller_wait_more N        until it logged N more replies
#   stop_poller               stop it; counts in POLL_TOTAL, POLL_BAD
#                             (anything but NOERROR with answers)

KUBE_FIXTURES="$ND_SRCDIR/tests/system/kube"
KAPI_PY="$ND_SRCDIR/tests/kubeapi/kubeapi.py"
[ -f "$KAPI_PY" ] || die "$KAPI_PY not found (ND_SRCDIR=$ND_SRCDIR)"
ZONE=cluster.local

KAPI_PORT=
KAPI_PID=
KAPI_URL=
KAPI_LOG=

# --- the test API server ------------------------------------------------------

# kapi_port_or_gone FILE: the port file is written, or the server exited.
kapi_port_or_gone() { [ -s "$1" ] || ! kill -0 "$KAPI_PID" 2>/dev/null; }

start_kubeapi() {
	local pf="$ND_TMP/kubeapi.port.$RANDOM"
	KAPI_LOG="$ND_TMP/kubeapi.$RANDOM.log"
	rm -f "$pf"
	"$ND_PY" "$KAPI_PY" --host 127.0.0.1 --port "${KAPI_WANT_PORT:-0}" \
		--port-file "$pf" "$@" >"$KAPI_LOG" 2>&1 </dev/null &
	KAPI_PID=$!
	nd_track "$KAPI_PID"
	if ! poll_until 10000 kapi_port_or_gone "$pf" || [ ! -s "$pf" ]; then
		tail -n 20 "$KAPI_LOG" | sed 's/^/    /'
		die "kubeapi.py did not start"
	fi
	KAPI_PORT=$(tr -d '[:space:]' <"$pf")
	KAPI_URL="http://127.0.0.1:$KAPI_PORT"
	log "kubeapi.py on $KAPI_URL (pid $KAPI_PID) $*"
}

stop_kubeapi() { nd_kill "${KAPI_PID:-}"; KAPI_PID=; }

kapi() {
	local path=$1
	shift
	curl -sS --max-time 10 "$@" "http://127.0.0.1:$KAPI_PORT$path"
}

kapi_post() {
	if [ $# -ge 2 ]; then
		kapi "$1" -X POST -H 'Content-Type: application/json' --data-binary "$2"
	else
		kapi "$1" -X POST
	fi
}

kapi_apply() { kapi_post /_test/apply "$1"; }

kapi_delete() {
	kapi_post "/_test/delete?kind=$1&namespace=$2&name=$3${4:+&cascade=1}"
}

# kapi_rv FIELD: one top-level field of /_test/rv.
kapi_rv() {
	kapi /_test/rv 2>/dev/null | "$ND_PY" -c '
import json, sys
try:
    v = json.load(sys.stdin).get(sys.argv[1])
except Exception:
    v = None
print("" if v is None else v)' "$1"
}

# kapi_watches_at_least N: the API server holds N or more watch streams.
kapi_watches_at_least() {
	local n
	n=$(kapi_rv watches)
	[ -n "$n" ] && [ "$n" -ge "$1" ]
}

kapi_wait_watches() { poll_until "${2:-10000}" kapi_watches_at_least "$1"; }

# --- nodedns readiness ----------------------------------------------------------

is_ready() { [ "$(nd_http_code /ready 2>/dev/null)" = 200 ]; }

wait_ready() { poll_until "${1:-10000}" is_ready; }

# kube_states: one "resource=state" line per resource from /debug/kube
# (state: idle, listing, watching, backoff), sorted.
kube_states() {
	nd_debug /debug/kube 2>/dev/null | "$ND_PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(0)
for r in d.get("resources", []):
    print("%s=%s" % (r["resource"], r["state"]))' | sort
}

# kube_field RESOURCE FIELD: one field of that resource in /debug/kube.
kube_field() {
	nd_debug /debug/kube 2>/dev/null | "$ND_PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(0)
for r in d.get("resources", []):
    if r["resource"] == sys.argv[1]:
        print(r.get(sys.argv[2], ""))' "$1" "$2"
}

# kube_all_watching: nodedns says every resource is watching, and the API
# server holds the 3 streams (both sides of the fact).
kube_all_watching() {
	[ "$(kube_states | grep -c '=watching$')" = 3 ] && kapi_watches_at_least 3
}

wait_kube_watching() { poll_until "${1:-10000}" kube_all_watching; }

# kube_all_hanging: nodedns says every resource is watching, and the API
# server (down?mode=hang) holds its 3 requests unanswered.
kube_all_hanging() {
	[ "$(kube_states | grep -c '=watching$')" = 3 ] &&
		[ "$(kapi_rv hanging)" -ge 3 ] 2>/dev/null
}

# kube_any_failing: some resource has failed requests in a row (nodedns
# noticed that the API is away).
kube_any_failing() {
	local k f
	for k in services endpointslices namespaces; do
		f=$(kube_field "$k" failures_in_a_row)
		[ -n "$f" ] && [ "$f" -ge 1 ] && return 0
	done
	return 1
}

# --- records --------------------------------------------------------------------

# k_has_rr DIG_OUTPUT SECTION NAME TYPE [RDATA]: the section holds that RR
# (names case-insensitive; RDATA compared as dig prints it).
k_has_rr() {
	section_of "$1" "$2" | awk -v n="$3" -v t="$4" -v d="${5:-}" '
		BEGIN { found = 1 }
		{
			r = $5; for (i = 6; i <= NF; i++) r = r " " $i
			if (tolower($1) == tolower(n) && $3 == "IN" && $4 == t &&
			    (d == "" || tolower(r) == tolower(d))) found = 0
		}
		END { exit found }'
}

# k_expect NAME TYPE RCODE [SECTION OWNER RRTYPE RDATA]...: ask, check the
# rcode and that each listed RR is there (RDATA "" = any). Output in K_OUT.
k_expect() {
	local name=$1 type=$2 rcode=$3 out
	shift 3
	out=$(q "$name" "$type")
	K_OUT=$out
	assert_eq "$name $type rcode" "$rcode" "$(rcode_of "$out")"
	while [ $# -ge 4 ]; do
		if k_has_rr "$out" "$1" "$2" "$3" "$4"; then
			pass "$name $type: $1 has $2 $3 ${4:-(any)}"
		else
			fail "$name $type: expected $1 to hold '$2 IN $3 $4', got:"
			printf '%s\n' "$out" | sed 's/^/    | /' | head -n 40
		fi
		shift 4
	done
}

# k_rdata DIG_OUTPUT NAME TYPE: the rdata of those answer RRs, sorted, one
# line ("a b c").
k_rdata() {
	section_of "$1" ANSWER | awk -v n="${2%.}." -v t="$3" '
		tolower($1) == tolower(n) && $4 == t {
			r = $5; for (i = 6; i <= NF; i++) r = r " " $i
			print r
		}' | sort | paste -sd' ' -
}

# k_answer_count DIG_OUTPUT: RRs in the answer section.
k_answer_count() { section_of "$1" ANSWER | grep -c . || true; }

# --- polling (poll_until and now_ms are lib.sh's) --------------------------------

# rcode_is NAME TYPE RCODE: one query, true when the rcode matches.
rcode_is() { [ "$(rcode_of "$(q "$1" "$2")")" = "$3" ]; }

# answer_is NAME TYPE RDATA...: one query; true when the answer's sorted
# rdata for NAME/TYPE is exactly the given list (in any order).
answer_is() {
	local name=$1 type=$2 want
	shift 2
	want=$(printf '%s\n' "$@" | sort | paste -sd' ' -)
	[ "$(k_rdata "$(q "$name" "$type")" "$name" "$type")" = "$want" ]
}

POLL_PID=
POLL_LOG=
start_poller() {
	POLL_LOG="$ND_TMP/poller.$RANDOM.log"
	POLL_STOP="$POLL_LOG.stop"
	rm -f "$POLL_STOP"
	: >"$POLL_LOG"
	"$ND_PY" - "$ND_PORT" "$1" "$2" "$POLL_LOG" "$POLL_STOP" <<'EOF' &
import os, socket, struct, sys, time, random
port, name, qtype, logf, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
types = {"A": 1, "AAAA": 28, "SRV": 33, "PTR": 12, "TXT": 16, "CNAME": 5}
qt = types[qtype]
qn = b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".")) + b"\0"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
end = time.time() + 120  # bounded
with open(logf, "a", buffering=1) as log:
    while time.time() < end and not os.path.exists(stop):
        qid = random.randint(0, 65535)
        s.sendto(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qn + struct.pack("!HH", qt, 1),
                 ("127.0.0.1", port))
        t = time.time()
        line = "TIMEOUT"
        while time.time() - t < 1.0:
            try:
                r = s.recv(65535)
            except socket.timeout:
                break
            if len(r) >= 12 and struct.unpack("!H", r[:2])[0] == qid:
                fl, qd, an = struct.unpack("!HHH", r[2:8])
                rc = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]
                line = "%s %d" % (rc[fl & 15] if (fl & 15) < len(rc) else str(fl & 15), an)
                break
        log.write(line + "\n")
        time.sleep(0.02)
EOF
	POLL_PID=$!
	nd_track "$POLL_PID"
}

# poller_lines_at_least N: the poller logged N replies or more.
poller_lines_at_least() { [ "$(grep -c . "$POLL_LOG" 2>/dev/null || true)" -ge "$1" ]; }

# poller_wait_more N: until the poller logged N more replies than now.
poller_wait_more() {
	local have
	have=$(grep -c . "$POLL_LOG" 2>/dev/null || true)
	poll_until 10000 poller_lines_at_least $((have + $1))
}

stop_poller() {
	: >"$POLL_STOP"
	poll_until 2500 pid_gone "$POLL_PID" || true
	nd_kill "$POLL_PID"
	POLL_PID=
	POLL_TOTAL=$(grep -c . "$POLL_LOG" || true)
	POLL_BAD=$(grep -vcE '^NOERROR [1-9]' "$POLL_LOG" || true)
}
