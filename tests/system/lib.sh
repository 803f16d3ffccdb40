# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/lib.sh - shared helpers of the system tests (sourced, bash).
#
# Each test starts its own upstream (nsd or unbound) and its own nodedns on
# free loopback ports, asks with dig/kdig/python3 and checks answers,
# /metrics and the log. Only 127.0.0.1 is ever queried: nodedns always gets
# an explicit --upstream and --resolv-conf /dev/null.
#
# Environment:
#   ND_BUILDDIR   where ./nodedns is (set by `make check`; default: .)
#   ND_SRCDIR     the source tree (zones); default: two levels above here
#   ND_TARGET     ADDR:PORT of a daemon you started yourself (e.g. under
#                 gdb): start_nodedns prints the command line to run and
#                 waits for it instead of starting one (ND_TARGET_WAIT s,
#                 default 300); ND_HTTP_TARGET is its HTTP address
#                 (default 127.0.0.1:9153), ND_DEBUG_TARGET its debug
#                 listener (default 127.0.0.1:9154). Steps that need the daemon's
#                 PID (signals) are skipped then.
#   ND_KEEP=1     keep the temporary directory (logs, configs) on exit
#
# Asserts record a failure and go on, so one run shows every symptom;
# nd_done exits 1 if any failed, else 0.

set -u

ND_BUILDDIR=${ND_BUILDDIR:-$(pwd)}
ND_SRCDIR=${ND_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ND_ZONES="$ND_SRCDIR/tests/system/zones"
ND_TEST=$(basename "$0" .sh)
ND_FAILS=0
ND_CHECKS=0
ND_PIDS=()
ND_TMP=$(mktemp -d "${TMPDIR:-/tmp}/nd-${ND_TEST}.XXXXXX")
# Started as root, nodedns runs as nobody after binding (--user), and
# reads its config, snapshot and hosts files again as nobody on SIGHUP.
chmod 755 "$ND_TMP"

ND_PORT=
ND_HPORT=
ND_DPORT=
ND_PID=
ND_LOG=

# --- output, cleanup ----------------------------------------------------------

log() { printf '%s %s: %s\n' "$(date +%H:%M:%S.%3N)" "$ND_TEST" "$*"; }

skip() {
	log "SKIP: $*"
	exit 77
}

# A hard failure: the test cannot go on.
die() {
	log "FATAL: $*"
	ND_FAILS=$((ND_FAILS + 1))
	exit 1
}

# Stop one recorded PID: TERM, then KILL after ~3 s. Returns its exit status
# (when it was our child) in ND_LAST_STATUS.
nd_kill() {
	local pid=$1
	ND_LAST_STATUS=
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; ND_LAST_STATUS=$?; return 0; }
	kill -TERM "$pid" 2>/dev/null
	if ! poll_until 3000 pid_gone "$pid"; then
		log "PID $pid did not exit on SIGTERM within 3 s; SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	ND_LAST_STATUS=$?
	nd_forget "$pid"
}

nd_forget() {
	local pid=$1 p keep=()
	for p in "${ND_PIDS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	ND_PIDS=("${keep[@]+"${keep[@]}"}")
}

nd_cleanup() {
	local rc=$? p fails
	trap - EXIT INT TERM
	# the daemon first, so that its exit status and log are checked
	if [ -n "${ND_PID:-}" ] && [ "$rc" != 77 ]; then
		fails=$ND_FAILS
		stop_nodedns
		if [ "$ND_FAILS" != "$fails" ] && [ "$rc" = 0 ]; then
			log "$((ND_FAILS - fails)) check(s) FAILED while stopping nodedns"
			rc=1
		fi
	fi
	for p in "${ND_PIDS[@]+"${ND_PIDS[@]}"}"; do
		nd_kill "$p"
	done
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "${ND_LOG:-}" ] && [ -f "$ND_LOG" ]; then
		log "--- last 40 lines of the nodedns log ($ND_LOG) ---"
		tail -n 40 "$ND_LOG" | sed 's/^/    /'
	fi
	if [ "${ND_KEEP:-0}" = 1 ]; then
		log "kept $ND_TMP"
	else
		rm -rf "$ND_TMP"
	fi
	exit "$rc"
}
trap nd_cleanup EXIT
trap 'exit 1' INT TERM

# Record a PID started by the test so that cleanup stops it (and only it).
nd_track() { ND_PIDS+=("$1"); }

# --- required tools -----------------------------------------------------------

# need TOOL...: skip the test when a tool is missing.
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			skip "$t not found (run ./setup.sh to install the test tools)"
	done
}

need dig curl python3 ss
# Debian's python3 starts in tens of ms; a pyenv shim first in PATH can take
# most of a second, which matters in timed steps.
if [ -x /usr/bin/python3 ]; then ND_PY=/usr/bin/python3; else ND_PY=python3; fi

# --- asserts ------------------------------------------------------------------

pass() { ND_CHECKS=$((ND_CHECKS + 1)); log "ok: $*"; }

fail() {
	ND_CHECKS=$((ND_CHECKS + 1))
	ND_FAILS=$((ND_FAILS + 1))
	log "FAIL: $*"
}

# assert_eq WHAT EXPECTED GOT
assert_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1 = '$3'"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# assert_ne WHAT UNEXPECTED GOT
assert_ne() {
	if [ "$2" != "$3" ]; then
		pass "$1 = '$3' (not '$2')"
	else
		fail "$1: expected anything but '$2', got it"
	fi
}

# assert_contains WHAT HAYSTACK NEEDLE (fixed string)
assert_contains() {
	if printf '%s' "$2" | grep -qF -- "$3"; then
		pass "$1 contains '$3'"
	else
		fail "$1: expected to contain '$3', got:"
		printf '%s\n' "$2" | sed 's/^/    | /' | head -n 60
	fi
}

# assert_match WHAT HAYSTACK ERE
assert_match() {
	if printf '%s' "$2" | grep -qE -- "$3"; then
		pass "$1 matches /$3/"
	else
		fail "$1: expected a line matching /$3/, got:"
		printf '%s\n' "$2" | sed 's/^/    | /' | head -n 60
	fi
}

# assert_not_contains WHAT HAYSTACK NEEDLE
assert_not_contains() {
	if printf '%s' "$2" | grep -qF -- "$3"; then
		fail "$1: expected NOT to contain '$3', got:"
		printf '%s\n' "$2" | sed 's/^/    | /' | head -n 60
	else
		pass "$1 does not contain '$3'"
	fi
}

# assert_cmp WHAT A OP B  (integers; OP: -lt -le -gt -ge -eq -ne)
assert_cmp() {
	if [[ "$2" =~ ^-?[0-9]+$ ]] && [[ "$4" =~ ^-?[0-9]+$ ]] && [ "$2" "$3" "$4" ]; then
		pass "$1: $2 $3 $4"
	else
		fail "$1: expected $2 $3 $4 (false or not numbers)"
	fi
}

# End of a test: exit 1 when any assert failed.
nd_done() {
	stop_nodedns
	if [ "$ND_FAILS" -gt 0 ]; then
		log "$ND_FAILS of $ND_CHECKS checks FAILED"
		exit 1
	fi
	log "all $ND_CHECKS checks passed"
	exit 0
}

# --- ports --------------------------------------------------------------------

# A loopback port free for both TCP and UDP right now (printed).
free_port() {
	"$ND_PY" - <<'EOF'
import socket, random
for _ in range(200):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t.bind(("127.0.0.1", random.randint(20000, 59999)))
        u.bind(("127.0.0.1", t.getsockname()[1]))
        print(t.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        t.close()
        u.close()
else:
    raise SystemExit("no free port")
EOF
}

# dns_answers PORT: something answers a DNS query on PORT (any rcode).
# DNS_WRAP: a command prefix for dig (e.g. "ip netns exec NS").
dns_answers() {
	${DNS_WRAP:-} dig @127.0.0.1 -p "$1" +tries=1 +time=1 . SOA 2>/dev/null | grep -q 'status:'
}

# wait_dns PORT [MAX_MS]: until dns_answers PORT (default 10 s).
wait_dns() { poll_until "${2:-10000}" dns_answers "$1"; }

# --- upstreams ----------------------------------------------------------------

# start_nsd ZONEFILE ORIGIN: nsd serving one zone on 127.0.0.1:NSD_PORT.
# Sets NSD_PORT, NSD_PID, NSD_DIR. ZONEFILE is copied (srcdir may be
# read-only, as under distcheck). NSD_EXTRA: more "server:" lines;
# NSD_WRAP: a command prefix (e.g. "taskset -c 0").
start_nsd() {
	local zonefile=$1 origin=$2 attempt
	need nsd
	NSD_DIR="$ND_TMP/nsd.$RANDOM"
	mkdir -p "$NSD_DIR"
	cp "$zonefile" "$NSD_DIR/zone"
	for attempt in 1 2 3; do
		NSD_PORT=$(free_port)
		cat >"$NSD_DIR/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$NSD_PORT
	port: $NSD_PORT
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonelistfile: "$NSD_DIR/zone.list"
	xfrdfile: "$NSD_DIR/xfrd.state"
	xfrdir: "$NSD_DIR"
	pidfile: "$NSD_DIR/nsd.pid"
	logfile: "$NSD_DIR/nsd.log"
	zonesdir: "$NSD_DIR"
	verbosity: 1
	hide-version: yes
${NSD_EXTRA:-}
remote-control:
	control-enable: no
zone:
	name: "$origin"
	zonefile: "zone"
EOF
		${NSD_WRAP:-} nsd -d -c "$NSD_DIR/nsd.conf" >>"$NSD_DIR/nsd.out" 2>&1 &
		NSD_PID=$!
		nd_track "$NSD_PID"
		if wait_dns "$NSD_PORT" 5000 && kill -0 "$NSD_PID" 2>/dev/null; then
			log "nsd serving $origin on 127.0.0.1:$NSD_PORT (pid $NSD_PID)"
			return 0
		fi
		log "nsd did not start on port $NSD_PORT (attempt $attempt):"
		sed 's/^/    /' "$NSD_DIR/nsd.out" "$NSD_DIR/nsd.log" 2>/dev/null | tail -n 20
		nd_kill "$NSD_PID"
	done
	die "cannot start nsd"
}

stop_nsd() { nd_kill "${NSD_PID:-}"; NSD_PID=; }

# unbound_server_head PORT DIR LOG: the start of an unbound.conf that every
# test and benchmark unbound shares: the "server:" line, 127.0.0.1@PORT only,
# in the foreground, no chroot or user change, files in DIR, logging to LOG.
unbound_server_head() {
	cat <<EOF
server:
	interface: 127.0.0.1@$1
	port: $1
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$2"
	pidfile: "$2/unbound.pid"
	logfile: "$3"
	use-syslog: no
EOF
}

# start_unbound_auth ZONE RR...: unbound answering ZONE from local-data
# (each RR in presentation form, TXT strings in double quotes)
# (a static local-zone: other names there get NXDOMAIN), logging every query
# it receives to $UNBOUND_LOG so a test can count them:
#     unbound_count NAME [TYPE]
# Sets UNBOUND_PORT, UNBOUND_PID, UNBOUND_LOG. UNBOUND_EXTRA: more
# "server:" lines; UNBOUND_ZONE_TYPE: the local-zone type (default static;
# "refuse" answers REFUSED, question included); UNBOUND_WRAP: a command
# prefix that execs unbound, also used to check that it answers (e.g.
# "ip netns exec NS": its 127.0.0.1 is that netns's).
start_unbound_auth() {
	local zone=$1 rr attempt dir
	shift
	need unbound
	dir="$ND_TMP/unbound.$RANDOM"
	mkdir -p "$dir"
	UNBOUND_LOG="$dir/unbound.log"
	for attempt in 1 2 3; do
		UNBOUND_PORT=$(free_port)
		{
			unbound_server_head "$UNBOUND_PORT" "$dir" "$UNBOUND_LOG"
			cat <<EOF
	verbosity: 1
	log-queries: yes
	num-threads: 1
	module-config: "iterator"
	access-control: 127.0.0.0/8 allow
	local-zone: "$zone." ${UNBOUND_ZONE_TYPE:-static}
	# Nothing else: no recursion to the root servers from a test (nodedns
	# sends a loop probe to each upstream at start).
	local-zone: "." refuse
${UNBOUND_EXTRA:-}
EOF
			for rr in "$@"; do
				printf "\tlocal-data: '%s'\n" "$rr"
			done
			printf 'remote-control:\n\tcontrol-enable: no\n'
		} >"$dir/unbound.conf"
		${UNBOUND_WRAP:-} unbound -d -c "$dir/unbound.conf" >>"$dir/unbound.out" 2>&1 &
		UNBOUND_PID=$!
		nd_track "$UNBOUND_PID"
		if DNS_WRAP=${UNBOUND_WRAP:-} wait_dns "$UNBOUND_PORT" 5000 && kill -0 "$UNBOUND_PID" 2>/dev/null; then
			log "unbound serving $zone on 127.0.0.1:$UNBOUND_PORT (pid $UNBOUND_PID)"
			return 0
		fi
		log "unbound did not start on port $UNBOUND_PORT (attempt $attempt):"
		sed 's/^/    /' "$dir/unbound.out" "$UNBOUND_LOG" 2>/dev/null | tail -n 20
		nd_kill "$UNBOUND_PID"
	done
	die "cannot start unbound"
}

stop_unbound() { nd_kill "${UNBOUND_PID:-}"; UNBOUND_PID=; }

# unbound_count NAME [TYPE]: queries for NAME (and TYPE) unbound received.
# log-queries lines look like "info: 127.0.0.1 name.example.test. A IN".
unbound_count() {
	local name=${1%.}. type=${2:-}
	grep -ciE "info: [0-9.]+ ${name//./\\.} ${type:-[A-Z0-9]+} IN" "$UNBOUND_LOG" || true
}

# start_blackhole: a UDP+TCP socket on a free port that never answers
# (python3). Sets BH_PORT, BH_PID. Queries received are counted in $BH_LOG.
start_blackhole() {
	BH_PORT=$(free_port)
	BH_LOG="$ND_TMP/blackhole.$BH_PORT.log"
	: >"$BH_LOG"
	"$ND_PY" - "$BH_PORT" "$BH_LOG" <<'EOF' &
import socket, sys, select, time
port, logf = int(sys.argv[1]), sys.argv[2]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", port))
t.listen(16)
conns = []
end = time.time() + 600  # bounded: never outlives a test
with open(logf, "a", buffering=1) as log:
    while time.time() < end:
        r, _, _ = select.select([u, t], [], [], 1.0)
        for s in r:
            if s is u:
                data, addr = u.recvfrom(65535)
                log.write("udp %d\n" % len(data))
            else:
                c, _ = t.accept()
                conns.append(c)  # held open, never answered
                log.write("tcp accept\n")
EOF
	BH_PID=$!
	nd_track "$BH_PID"
	poll_until 5000 udp_bound "$BH_PORT" || die "the blackhole did not bind port $BH_PORT"
	log "blackhole (never answers) on 127.0.0.1:$BH_PORT (pid $BH_PID)"
}

# start_slow_upstream DELAY_MS: a python3 UDP DNS server that answers every
# question with A 192.0.2.77 (TTL 300) after DELAY_MS, and logs one line
# "QNAME QTYPE" per query received to $SLOW_LOG. Sets SLOW_PORT, SLOW_PID.
start_slow_upstream() {
	local delay=$1 i
	SLOW_PORT=$(free_port)
	SLOW_LOG="$ND_TMP/slow.$SLOW_PORT.log"
	: >"$SLOW_LOG"
	"$ND_PY" - "$SLOW_PORT" "$SLOW_LOG" "$delay" <<'EOF' &
import socket, sys, select, struct, time, heapq
port, logf, delay = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) / 1000.0
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
pending = []  # (due, seq, reply, addr)
seq = 0
end = time.time() + 600
with open(logf, "a", buffering=1) as log:
    while time.time() < end:
        timeout = 0.5
        if pending:
            timeout = max(0.0, min(timeout, pending[0][0] - time.time()))
        r, _, _ = select.select([u], [], [], timeout)
        if r:
            q, addr = u.recvfrom(65535)
            if len(q) < 12:
                continue
            qd = struct.unpack("!H", q[4:6])[0]
            i, labels = 12, []
            while i < len(q) and q[i] != 0:
                labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
                i += 1 + q[i]
            qtype = struct.unpack("!H", q[i + 1:i + 3])[0] if i + 3 <= len(q) else 0
            question = q[12:i + 5]
            log.write("%s. %d\n" % (".".join(labels).lower(), qtype))
            flags = 0x8180 | (q[2] & 0x01) << 8
            hdr = q[0:2] + struct.pack("!HHHHH", flags, 1, 1 if qtype == 1 else 0, 0, 0)
            ans = b""
            if qtype == 1:
                ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 77])
            seq += 1
            heapq.heappush(pending, (time.time() + delay, seq, hdr + question + ans, addr))
        now = time.time()
        while pending and pending[0][0] <= now:
            _, _, reply, addr = heapq.heappop(pending)
            u.sendto(reply, addr)
EOF
	SLOW_PID=$!
	nd_track "$SLOW_PID"
	wait_dns "$SLOW_PORT" 5000 || die "slow upstream did not start"
	: >"$SLOW_LOG"
	log "slow upstream (${delay} ms) on 127.0.0.1:$SLOW_PORT (pid $SLOW_PID)"
}

stop_blackhole() { nd_kill "${BH_PID:-}"; BH_PID=; }
stop_slow_upstream() { nd_kill "${SLOW_PID:-}"; SLOW_PID=; }

# --- nodedns ------------------------------------------------------------------

nd_http() { curl -sS --max-time 3 "http://127.0.0.1:$ND_HPORT$1"; }
# HTTP status code of a path.
nd_http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$ND_HPORT$1"; }
# The same on the debug listener (/debug/*, /control/*).
nd_debug() { curl -sS --max-time 10 "http://127.0.0.1:$ND_DPORT$1"; }
nd_debug_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$ND_DPORT$1"; }

# now_ms: milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# poll_until MAX_MS CMD...: run CMD every 50 ms until it succeeds (0) or
# MAX_MS of wall-clock time pass (1); POLL_MS is how long it took. The one
# way a test waits for a state: the bound is time, not a count of tries,
# so a loaded machine gets the same time, and a fast one does not wait.
poll_until() {
	local max=$1 t0 now
	shift
	t0=$(now_ms)
	while :; do
		if "$@"; then
			POLL_MS=$(($(now_ms) - t0))
			return 0
		fi
		now=$(now_ms)
		if [ $((now - t0)) -gt "$max" ]; then
			POLL_MS=$((now - t0))
			return 1
		fi
		sleep 0.05 # sleep-ok: the poll interval of poll_until
	done
}

# pid_gone PID: the process no longer exists.
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# metric_ge SERIES_ERE N: the metric (as `metric` sums it) is at least N.
metric_ge() { [ "$(metric "$1")" -ge "$2" ]; }

# log_lines: how many lines the nodedns log has now.
log_lines() { wc -l <"$ND_LOG"; }

# log_has_after N ERE: a line after the first N of the nodedns log matches
# ERE (with log_lines before an action: "the daemon logged that it did it").
log_has_after() { tail -n +"$(($1 + 1))" "$ND_LOG" 2>/dev/null | grep -qE -- "$2"; }

# udp_bound PORT: something listens on UDP 127.0.0.1:PORT.
udp_bound() { ss -lnu "sport = :$1" 2>/dev/null | grep -q ":$1"; }

# healthy_or_gone: /health answers 200, or the daemon we started exited
# (so a wait for health ends at once when it cannot come).
healthy_or_gone() {
	[ "$(nd_http_code /health 2>/dev/null)" = 200 ] && return 0
	[ -n "${ND_PID:-}" ] && ! kill -0 "$ND_PID" 2>/dev/null
}

# wait_health [MAX_MS]: until /health answers 200 (default 10 s); 1 when the
# daemon exited or the time is up.
wait_health() {
	poll_until "${1:-10000}" healthy_or_gone &&
		[ "$(nd_http_code /health 2>/dev/null)" = 200 ]
}

# start_nodedns ARGS...: run $ND_BUILDDIR/nodedns on free ports with
# --listen 127.0.0.1:ND_PORT --http-listen 127.0.0.1:ND_HPORT
# --debug-listen 127.0.0.1:ND_DPORT --resolv-conf /dev/null
# --threads ${ND_THREADS:-2} and ARGS; log to $ND_LOG; wait for /health.
# Sets ND_PORT, ND_HPORT, ND_DPORT, ND_PID, ND_CMD.
# ND_WRAP: a command prefix that execs the daemon (e.g. "taskset -c 0").
# With ND_TARGET set, print the command line instead and wait for that
# daemon (see the top of this file).
start_nodedns() {
	local attempt bin="$ND_BUILDDIR/nodedns"
	if [ -n "${ND_TARGET:-}" ]; then
		ND_PORT=${ND_TARGET##*:}
		ND_HTTP_TARGET=${ND_HTTP_TARGET:-127.0.0.1:9153}
		ND_HPORT=${ND_HTTP_TARGET##*:}
		ND_DEBUG_TARGET=${ND_DEBUG_TARGET:-127.0.0.1:9154}
		ND_DPORT=${ND_DEBUG_TARGET##*:}
		ND_PID=
		log "ND_TARGET set: start the daemon yourself, e.g."
		log "  gdb --args $bin --listen $ND_TARGET --http-listen $ND_HTTP_TARGET --debug-listen $ND_DEBUG_TARGET --resolv-conf /dev/null --threads ${ND_THREADS:-2} $*"
		if [ -t 0 ]; then
			read -r -p "press Enter once it runs " _
		fi
		wait_health "$((${ND_TARGET_WAIT:-300} * 1000))" ||
			die "no daemon answering /health on $ND_HTTP_TARGET"
		wait_dns "$ND_PORT" 5000 || die "no DNS answer on $ND_TARGET"
		return 0
	fi
	[ -x "$bin" ] || die "$bin not found (build first; ND_BUILDDIR=$ND_BUILDDIR)"
	for attempt in 1 2 3; do
		ND_PORT=$(free_port)
		ND_HPORT=$(free_port)
		ND_DPORT=$(free_port)
		ND_LOG="$ND_TMP/nodedns.$ND_PORT.log"
		ND_CMD="${ND_WRAP:+$ND_WRAP }$bin --listen 127.0.0.1:$ND_PORT --http-listen 127.0.0.1:$ND_HPORT --debug-listen 127.0.0.1:$ND_DPORT --resolv-conf /dev/null --threads ${ND_THREADS:-2} $*"
		log "starting: $ND_CMD"
		${ND_WRAP:-} "$bin" --listen "127.0.0.1:$ND_PORT" --http-listen "127.0.0.1:$ND_HPORT" \
			--debug-listen "127.0.0.1:$ND_DPORT" \
			--resolv-conf /dev/null --threads "${ND_THREADS:-2}" "$@" >"$ND_LOG" 2>&1 </dev/null &
		ND_PID=$!
		nd_track "$ND_PID"
		if wait_health 10000; then
			log "nodedns on 127.0.0.1:$ND_PORT, http 127.0.0.1:$ND_HPORT, debug 127.0.0.1:$ND_DPORT (pid $ND_PID)"
			return 0
		fi
		log "nodedns did not become healthy (attempt $attempt); its log:"
		sed 's/^/    /' "$ND_LOG" | tail -n 30
		nd_kill "$ND_PID"
		# a port taken between free_port and bind is worth a retry;
		# anything else is not
		grep -qiE 'in use|EADDRINUSE' "$ND_LOG" || break
	done
	ND_LOG=
	die "cannot start nodedns"
}

# stop_nodedns: SIGTERM and wait; its exit status in ND_LAST_STATUS. The
# status must be 0 (SIGTERM is a clean shutdown) and the log free of
# sanitizer reports (a leak shows at exit), else the test fails.
stop_nodedns() {
	local pid=${ND_PID:-}
	[ -n "$pid" ] || return 0
	nd_kill "$pid"
	ND_PID=
	if [ "$ND_LAST_STATUS" = 0 ]; then
		pass "nodedns (pid $pid) exited 0 on SIGTERM"
	else
		fail "nodedns (pid $pid) exit status after SIGTERM: expected 0, got $ND_LAST_STATUS"
	fi
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$ND_LOG" 2>/dev/null; then
		fail "sanitizer report in the nodedns log $ND_LOG:"
		grep -E -A40 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$ND_LOG" |
			head -n 80 | sed 's/^/    | /'
	fi
}

# have_pid: true when the test started the daemon (not ND_TARGET).
have_pid() { [ -n "${ND_PID:-}" ]; }

# --- queries --------------------------------------------------------------------

# q NAME TYPE [dig options...]: ask nodedns with dig (one try, 2 s).
q() {
	local name=$1 type=$2
	shift 2
	dig @127.0.0.1 -p "$ND_PORT" +tries=1 +time=2 "$@" "$name" "$type" 2>&1
}

# rcode_of DIG_OUTPUT: "NOERROR", "NXDOMAIN", ... or "none".
rcode_of() {
	local s
	s=$(printf '%s\n' "$1" | sed -n 's/.*status: \([A-Z0-9]*\),.*/\1/p' | head -n 1)
	printf '%s' "${s:-none}"
}

# flags_of DIG_OUTPUT: the header flags ("qr rd ra", ...).
flags_of() { printf '%s\n' "$1" | sed -n 's/.*;; flags: \([a-z ]*\);.*/\1/p' | head -n 1; }

# section_of DIG_OUTPUT ANSWER|AUTHORITY|ADDITIONAL: that section's RRs.
section_of() {
	printf '%s\n' "$1" | awk -v s=";; $2 SECTION:" '
		$0 == s { on = 1; next }
		on && /^$/ { exit }
		on { print }'
}

# ttl_of DIG_OUTPUT NAME TYPE: TTL of the first such answer RR ("" if none).
ttl_of() {
	section_of "$1" ANSWER | awk -v n="${2%.}." -v t="$3" \
		'tolower($1) == tolower(n) && $4 == t { print $2; exit }'
}

# --- metrics ------------------------------------------------------------------

# metric SERIES_ERE: sum of the values of /metrics samples whose
# "name{labels}" starts with a match of the ERE; a pattern without a "{"
# must match the whole name. E.g.
#   metric 'nodedns_cache_hits_total'
#   metric 'nodedns_dns_responses_total\{.*rcode="NXDOMAIN"'
# Prints 0 when none match.
metric() {
	nd_http /metrics 2>/dev/null | RE="$1" awk '
		BEGIN { re = "^(" ENVIRON["RE"] ")" }
		/^#/ { next }
		match($0, re) {
			c = substr($0, RLENGTH + 1, 1)
			if (c == " " || c == "{" || index(substr($0, 1, RLENGTH), "{"))
				s += $NF
		}
		END { printf "%d\n", s }'
}

# metric_l NAME LABEL...: sum of the samples of family sample NAME that
# carry every LABEL (each a fixed string like 'rcode="NXDOMAIN"'), whatever
# the label order. Prints 0 when none match.
metric_l() {
	local name=$1
	shift
	nd_http /metrics 2>/dev/null | awk -v n="$name" -v labels="$(printf '%s\n' "$@")" '
		BEGIN { k = split(labels, want, "\n") }
		/^#/ { next }
		{
			s0 = $1; sub(/\{.*/, "", s0)
			if (s0 != n) next
			for (i = 1; i <= k; i++)
				if (want[i] != "" && index($0, want[i]) == 0) next
			s += $NF
		}
		END { printf "%d\n", s }'
}

# --- raw packets (python3) ----------------------------------------------------

# raw_udp HEX [TIMEOUT_S]: send the bytes to nodedns over UDP; print the
# reply in hex, or "TIMEOUT".
raw_udp() {
	"$ND_PY" - "$ND_PORT" "$1" "${2:-1.5}" <<'EOF'
import socket, sys
port, pkt, tmo = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(tmo)
s.sendto(pkt, ("127.0.0.1", port))
try:
    print(s.recvfrom(65535)[0].hex())
except socket.timeout:
    print("TIMEOUT")
EOF
}

# dns_query_hex ID NAME QTYPE [FLAGS_HEX] [QDCOUNT] [OPCODE] [QCLASS]:
# a query message in hex (no EDNS).
dns_query_hex() {
	"$ND_PY" - "$@" <<'EOF'
import struct, sys
a = sys.argv[1:]
qid, name, qtype = int(a[0]), a[1], int(a[2])
flags = int(a[3], 16) if len(a) > 3 else 0x0100
qd = int(a[4]) if len(a) > 4 else 1
opcode = int(a[5]) if len(a) > 5 else 0
qclass = int(a[6]) if len(a) > 6 else 1
flags = (flags & ~0x7800) | (opcode << 11)
q = b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".") if l) + b"\0"
q += struct.pack("!HH", qtype, qclass)
print((struct.pack("!HHHHHH", qid, flags, qd, 0, 0, 0) + q * max(qd, 1)).hex())
EOF
}

# reply_field HEX id|qr|opcode|rcode|tc|qdcount|ancount: one header field
# of a reply printed by raw_udp ("none" for TIMEOUT or short).
reply_field() {
	"$ND_PY" - "$1" "$2" <<'EOF'
import sys, struct
h, f = sys.argv[1], sys.argv[2]
if h == "TIMEOUT" or len(h) < 24:
    print("none"); raise SystemExit
b = bytes.fromhex(h)
qid, fl, qd, an = struct.unpack("!HHHH", b[:8])
print({"id": qid, "qr": fl >> 15, "opcode": (fl >> 11) & 15, "rcode": fl & 15,
       "tc": (fl >> 9) & 1, "qdcount": qd, "ancount": an}[f])
EOF
}
