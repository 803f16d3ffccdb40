#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/bench/bench.sh - cached-answer throughput of nodedns next to unbound.
#
# nsd serves a generated zone of BENCH_NAMES (10,000) names on loopback.
# nodedns (--threads 1) and unbound (num-threads 1, a caching forwarder to
# the same nsd) are warmed with every name, then dnsperf asks each in turn
# with the same query file: BENCH_ROUNDS (3) rounds of BENCH_DURATION (10) s,
# interleaved. Prints the median QPS of each, the ratio nodedns/unbound and
# the exact command lines. Servers and dnsperf go to different cores when
# taskset is there. Everything stays on 127.0.0.1; only its own PIDs are
# stopped.
#
# `make bench` runs it with ND_BUILDDIR set; otherwise ./nodedns is used.
set -uo pipefail

BENCH_NAMES=${BENCH_NAMES:-10000}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_DURATION=${BENCH_DURATION:-10}
BENCH_CLIENTS=${BENCH_CLIENTS:-10}
BENCH_OUTSTANDING=${BENCH_OUTSTANDING:-200}

here=$(cd "$(dirname "$0")" && pwd)
ND_SRCDIR=${ND_SRCDIR:-$(cd "$here/../.." && pwd)}
ND_BUILDDIR=${ND_BUILDDIR:-$(pwd)}
if [ ! -x "$ND_BUILDDIR/nodedns" ] && [ -x ./nodedns ]; then
	ND_BUILDDIR=$(pwd)
fi
export ND_SRCDIR ND_BUILDDIR
# shellcheck source=../system/lib.sh
. "$ND_SRCDIR/tests/system/lib.sh"

need nsd unbound dnsperf
[ -x "$ND_BUILDDIR/nodedns" ] || die "no nodedns in $ND_BUILDDIR (run make first)"
for v in BENCH_NAMES BENCH_ROUNDS BENCH_DURATION BENCH_CLIENTS BENCH_OUTSTANDING; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[ "$BENCH_DURATION" -le 120 ] || die "BENCH_DURATION is at most 120 s"
[ "$BENCH_ROUNDS" -le 9 ] || die "BENCH_ROUNDS is at most 9"

# --- cores ----------------------------------------------------------------------
SERVER_PIN=
CLIENT_PIN=
ncpu=$(nproc 2>/dev/null || echo 1)
if command -v taskset >/dev/null 2>&1 && [ "$ncpu" -ge 2 ]; then
	SERVER_PIN="taskset -c 0"
	CLIENT_PIN="taskset -c 1"
	PIN_NOTE="pinned with taskset: servers (nsd, nodedns, unbound) on CPU 0, dnsperf on CPU 1"
else
	PIN_NOTE="NOT pinned (taskset missing or fewer than 2 CPUs): servers and dnsperf share cores"
fi

# --- zone and queries -------------------------------------------------------------
zone="$ND_TMP/bench.test.zone"
queries="$ND_TMP/queries.txt"
"$ND_PY" - "$BENCH_NAMES" "$zone" "$queries" <<'EOF'
import sys
n, zf, qf = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(zf, "w") as z, open(qf, "w") as q:
    # a TTL of one day: nothing expires while the benchmark runs
    z.write("$ORIGIN bench.test.\n$TTL 86400\n")
    z.write("@ IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 3600\n")
    z.write("@ IN NS ns.bench.test.\nns IN A 127.0.0.1\n")
    for i in range(n):
        z.write("n%05d IN A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
        q.write("n%05d.bench.test A\n" % i)
EOF
log "zone of $BENCH_NAMES names, query file $queries"

NSD_WRAP=$SERVER_PIN NSD_EXTRA=$'\tminimal-responses: yes' start_nsd "$zone" bench.test

# --- nodedns --------------------------------------------------------------------------
ND_THREADS=1 ND_WRAP=$SERVER_PIN start_nodedns --upstream "127.0.0.1:$NSD_PORT" --log-level warn
NODEDNS_PORT=$ND_PORT
NODEDNS_PID=$ND_PID
NODEDNS_CMD=$ND_CMD

# --- unbound as a caching forwarder ------------------------------------------------------
ub_dir="$ND_TMP/unbound-fwd"
mkdir -p "$ub_dir"
UNBOUND_FWD_PORT=$(free_port)
unbound_server_head "$UNBOUND_FWD_PORT" "$ub_dir" "$ub_dir/unbound.log" >"$ub_dir/unbound.conf"
cat >>"$ub_dir/unbound.conf" <<EOF
	verbosity: 0
	num-threads: 1
	module-config: "iterator"
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	msg-cache-size: 64m
	rrset-cache-size: 128m
	key-cache-size: 4m
	num-queries-per-thread: 4096
	outgoing-range: 8192
	so-rcvbuf: 4m
	so-sndbuf: 4m
	prefetch: no
	qname-minimisation: no
	minimal-responses: yes
	cache-min-ttl: 0
	# unbound answers names under test. itself (RFC 6761 default zone);
	# the benchmark wants them forwarded and cached like nodedns does
	local-zone: "test." nodefault
remote-control:
	control-enable: no
forward-zone:
	name: "."
	forward-addr: 127.0.0.1@$NSD_PORT
	forward-first: no
EOF
UNBOUND_CMD="${SERVER_PIN:+$SERVER_PIN }unbound -d -c $ub_dir/unbound.conf"
log "starting: $UNBOUND_CMD"
$SERVER_PIN unbound -d -c "$ub_dir/unbound.conf" >"$ub_dir/unbound.out" 2>&1 &
UNBOUND_FWD_PID=$!
nd_track "$UNBOUND_FWD_PID"
wait_dns "$UNBOUND_FWD_PORT" 10000 || {
	cat "$ub_dir/unbound.out" "$ub_dir/unbound.log" 2>/dev/null
	die "unbound did not start"
}

# --- dnsperf ---------------------------------------------------------------------------------
# dnsperf_run PORT OUTFILE ARGS...: one bounded dnsperf run against PORT.
dnsperf_cmd() {
	local port=$1
	shift
	echo "${CLIENT_PIN:+$CLIENT_PIN }dnsperf -s 127.0.0.1 -p $port -d $queries -c $BENCH_CLIENTS -q $BENCH_OUTSTANDING -t 2 $*"
}
dnsperf_run() {
	local port=$1 out=$2
	shift 2
	timeout $((BENCH_DURATION + 30)) $CLIENT_PIN dnsperf -s 127.0.0.1 -p "$port" -d "$queries" \
		-c "$BENCH_CLIENTS" -q "$BENCH_OUTSTANDING" -t 2 "$@" >"$out" 2>&1
}
qps_of() { sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$1" | head -n 1; }
lost_of() { sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$1" | head -n 1; }

# Warm both: every name twice (-n 2), then check the caches hold them.
for srv in nodedns unbound; do
	port=$NODEDNS_PORT
	[ "$srv" = unbound ] && port=$UNBOUND_FWD_PORT
	dnsperf_run "$port" "$ND_TMP/warm.$srv" -n 2 || true
	log "warmed $srv: $(grep -E 'Queries completed|Queries lost' "$ND_TMP/warm.$srv" | tr -s ' ' | tr '\n' ';')"
done
entries=$(metric nodedns_cache_entries)
log "nodedns cache entries after warm-up: $entries"
[ "$entries" -ge "$BENCH_NAMES" ] || log "WARNING: nodedns caches fewer entries ($entries) than names ($BENCH_NAMES)"
hits0=$(metric nodedns_cache_hits_total)
miss0=$(metric nodedns_cache_misses_total)

# --- measure, interleaved ---------------------------------------------------------------------
nd_qps=()
ub_qps=()
for r in $(seq 1 "$BENCH_ROUNDS"); do
	for srv in nodedns unbound; do
		port=$NODEDNS_PORT
		[ "$srv" = unbound ] && port=$UNBOUND_FWD_PORT
		out="$ND_TMP/run.$srv.$r"
		dnsperf_run "$port" "$out" -l "$BENCH_DURATION" ||
			log "dnsperf against $srv exited non-zero (see below)"
		qps=$(qps_of "$out")
		lost=$(lost_of "$out")
		rcodes=$(sed -n 's/^ *Response codes: *//p' "$out")
		log "round $r $srv: ${qps:-?} QPS, ${lost:-?} lost, rcodes: $rcodes"
		# A server answering NXDOMAIN from a built-in zone would win
		# the race without doing the work: only NOERROR counts.
		case "$rcodes" in
		NOERROR*,*|*,*NOERROR*) die "$srv answered other rcodes: $rcodes" ;;
		NOERROR*) ;;
		*) die "$srv did not answer NOERROR: $rcodes" ;;
		esac
		[ -n "$qps" ] || { sed 's/^/    /' "$out"; die "no QPS from dnsperf against $srv"; }
		if [ "$srv" = nodedns ]; then nd_qps+=("$qps"); else ub_qps+=("$qps"); fi
	done
done
kill -0 "$NODEDNS_PID" 2>/dev/null || die "nodedns died during the benchmark"

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
nd_med=$(median "${nd_qps[@]}")
ub_med=$(median "${ub_qps[@]}")
ratio=$(awk -v a="$nd_med" -v b="$ub_med" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
hits=$(($(metric nodedns_cache_hits_total) - hits0))
miss=$(($(metric nodedns_cache_misses_total) - miss0))

cat <<EOF

==== nodedns benchmark: cached answers, $BENCH_NAMES names, $BENCH_ROUNDS rounds of $BENCH_DURATION s
$PIN_NOTE
nsd:      ${SERVER_PIN:+$SERVER_PIN }nsd -d -c $NSD_DIR/nsd.conf   (upstream of both, minimal-responses)
nodedns:  $NODEDNS_CMD
unbound:  $UNBOUND_CMD   (num-threads 1, forward-zone "." to nsd)
dnsperf:  $(dnsperf_cmd '<port>' -l "$BENCH_DURATION")
(configs and logs in $ND_TMP, removed at exit; ND_KEEP=1 keeps them)
nodedns QPS per round: ${nd_qps[*]}
unbound QPS per round: ${ub_qps[*]}
nodedns cache during the runs: $hits hits, $miss misses
median QPS  nodedns: $(printf '%.0f' "$nd_med")
median QPS  unbound: $(printf '%.0f' "$ub_med")
ratio nodedns/unbound: $ratio
EOF
exit 0
