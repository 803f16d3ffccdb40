#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/bench/peers.sh - nodedns next to its peers, one core each side.
#
# Every server runs with ONE worker, pinned to CPU 0; loadgen (loadgen.c,
# sendmmsg/recvmmsg, far faster than dnsperf) runs on CPU 1. Each server has
# its own loopback port:
#   nsd            authoritative for cluster.local (the same Services as a
#                  zone) and fwd.bench (PEERS_FWD_NAMES names); the upstream
#                  of every cache below
#   nodedns        --threads 1, --kube-snapshot of PEERS_SERVICES Services
#                  (tests/kubeapi/gen_cluster.py), --upstream nsd
#   unbound        num-threads 1; the Services as local-data (A and SRV);
#                  forwards everything else to nsd and caches
#   kresd          one process; the Services as hints (A only); everything
#                  else, SRV and NXDOMAIN of the cluster zone included, is
#                  forwarded to nsd and served from its cache
#   pdns_recursor  threads 1; the cluster zone as auth-zones (the nsd zone
#                  file); everything else forwarded to nsd (forward-zones-
#                  recurse=.), so nothing leaves the machine
#   reflector      loadgen --reflector: recvmmsg, set QR, sendmmsg; the
#                  ceiling of this machine for one core of UDP
# Workloads (the names in turn, as dnsperf does):
#   a  A of a cluster Service (PEERS_SERVICES names)
#   b  SRV _http._tcp of a cluster Service
#   c  A of a missing name in the cluster zone (NXDOMAIN)
#   d  A of a forwarded name (PEERS_FWD_NAMES), every cache warmed first
# PEERS_ROUNDS (3) interleaved rounds of PEERS_DURATION (4) s per run at
# max rate (PEERS_SOCKETS x PEERS_WINDOW outstanding: 128, which fits the
# default receive buffer of every server); then runs at half of nodedns's
# max rate for nodedns and the best peer (workloads a and d), for latency
# at a load that does not saturate. Then nodedns with two workers (see
# there for how the two cores are split), the growth of each cache's RSS
# per cached forwarded answer (while warming), and nodedns's idle RSS with
# the demo cluster. Prints one table of medians over the rounds. Server CPU and RSS come from /proc (the whole process tree); the
# answers per second of server CPU (kQ/cpu) stay comparable when other work
# shares the machine, which QPS alone does not. Peers that are not
# installed are skipped with a note; nothing is installed. Everything stays
# on 127.0.0.1 and only the script's own PIDs are stopped. About 7
# minutes with the defaults.
#
# Environment: ND_BUILDDIR (where nodedns is), LOADGEN (a built loadgen;
# otherwise it is compiled from loadgen.c into the temporary directory),
# PEERS_SERVERS (subset, e.g. "nodedns unbound"), PEERS_TWO_WORKERS=0
# (skip the two-worker runs), PEERS_PERF=1 (also a
# perf profile of nodedns under workloads d and a), ND_KEEP=1 (keep the
# configs and logs), PEERS_BASELINE=DIR (a build directory of another
# nodedns, say the last release: it runs as the server "nodedns_base" in
# the same interleaved rounds, so a change is measured before and after in
# one run).
set -uo pipefail

PEERS_DURATION=${PEERS_DURATION:-4}
PEERS_ROUNDS=${PEERS_ROUNDS:-3}
PEERS_SOCKETS=${PEERS_SOCKETS:-4}
PEERS_WINDOW=${PEERS_WINDOW:-32}
PEERS_TIMEOUT_MS=${PEERS_TIMEOUT_MS:-500}
PEERS_SERVICES=${PEERS_SERVICES:-1000}
PEERS_FWD_NAMES=${PEERS_FWD_NAMES:-10000}
PEERS_SERVERS=${PEERS_SERVERS:-nodedns unbound kresd pdns_recursor nsd reflector}
PEERS_PERF=${PEERS_PERF:-0}

here=$(cd "$(dirname "$0")" && pwd)
ND_SRCDIR=${ND_SRCDIR:-$(cd "$here/../.." && pwd)}
ND_BUILDDIR=${ND_BUILDDIR:-$(pwd)}
if [ ! -x "$ND_BUILDDIR/nodedns" ] && [ -x ./nodedns ]; then
	ND_BUILDDIR=$(pwd)
fi
export ND_SRCDIR ND_BUILDDIR
# shellcheck source=../system/lib.sh
. "$ND_SRCDIR/tests/system/lib.sh"

need nsd taskset
[ -x "$ND_BUILDDIR/nodedns" ] || die "no nodedns in $ND_BUILDDIR (run make first)"
for v in PEERS_DURATION PEERS_ROUNDS PEERS_SOCKETS PEERS_WINDOW PEERS_TIMEOUT_MS \
	PEERS_SERVICES PEERS_FWD_NAMES; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[ "$PEERS_DURATION" -le 30 ] || die "PEERS_DURATION is at most 30 s"
[ "$PEERS_ROUNDS" -le 9 ] || die "PEERS_ROUNDS is at most 9"
[ "$PEERS_SERVICES" -le 100000 ] || die "PEERS_SERVICES is at most 100000"
[ "$PEERS_FWD_NAMES" -le 1000000 ] || die "PEERS_FWD_NAMES is at most 1000000"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (server and load generator on their own core)"
SERVER_PIN="taskset -c 0"
CLIENT_PIN="taskset -c 1"
HZ=$(getconf CLK_TCK)
PAGE_KB=$(($(getconf PAGESIZE) / 1024))

# --- loadgen ---------------------------------------------------------------------
if [ -z "${LOADGEN:-}" ]; then
	for f in "$ND_BUILDDIR/tests/bench/loadgen" "$ND_BUILDDIR/loadgen"; do
		[ -x "$f" ] && { LOADGEN=$f; break; }
	done
fi
if [ -z "${LOADGEN:-}" ]; then
	LOADGEN="$ND_TMP/loadgen"
	${CC:-cc} -O2 -Wall -Wextra -o "$LOADGEN" "$here/loadgen.c" ||
		die "cannot compile $here/loadgen.c"
fi
log "load generator: $LOADGEN"

has() { [[ " $PEERS_SERVERS " == *" $1 "* ]]; }
NOTES=()
for p in unbound kresd pdns_recursor; do
	if has "$p" && ! command -v "$p" >/dev/null 2>&1; then
		NOTES+=("$p: not installed, skipped")
		PEERS_SERVERS=${PEERS_SERVERS//$p/}
	fi
done

# --- data ------------------------------------------------------------------------
# The snapshot comes first; every other form of the cluster zone is derived
# from it, so all servers answer the same names with the same data.
D="$ND_TMP/data"
mkdir -p "$D"
"$ND_PY" "$ND_SRCDIR/tests/kubeapi/gen_cluster.py" --services "$PEERS_SERVICES" \
	--endpoints-per-service 2 --headless-every 0 --out "$D/snapshot.json" 2>/dev/null ||
	die "gen_cluster.py failed"
"$ND_PY" - "$D" "$PEERS_FWD_NAMES" <<'EOF' || die "cannot write the data files"
import json, sys
d, nfwd = sys.argv[1], int(sys.argv[2])
TTL = 5  # nodedns --ttl default: every server says the same
svcs = []
for it in json.load(open(d + "/snapshot.json"))["items"]:
    if it.get("kind") != "Service" or it["spec"].get("clusterIP") in (None, "None"):
        continue
    md = it["metadata"]
    ports = [(p["name"], p["protocol"].lower(), p["port"]) for p in it["spec"].get("ports", [])]
    svcs.append(("%s.%s.svc.cluster.local" % (md["name"], md["namespace"]), it["spec"]["clusterIP"], ports))
soa = "cluster.local. %d IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 %d" % (TTL, TTL)
with open(d + "/cluster.zone", "w") as z, open(d + "/unbound-local.conf", "w") as u, \
        open(d + "/hosts", "w") as h, open(d + "/qa.txt", "w") as qa, \
        open(d + "/qsrv.txt", "w") as qs, open(d + "/qnx.txt", "w") as qn:
    z.write("$ORIGIN cluster.local.\n$TTL %d\n%s\n" % (TTL, soa))
    z.write("cluster.local. %d IN NS ns.dns.cluster.local.\nns.dns.cluster.local. %d IN A 127.0.0.1\n" % (TTL, TTL))
    u.write('\tlocal-zone: "cluster.local." static\n')
    u.write("\tlocal-data: '%s'\n" % soa)
    for name, ip, ports in svcs:
        rrs = ["%s. %d IN A %s" % (name, TTL, ip)]
        for pname, proto, port in ports:
            rrs.append("_%s._%s.%s. %d IN SRV 0 100 %d %s." % (pname, proto, name, TTL, port, name))
        for rr in rrs:
            z.write(rr + "\n")
            u.write("\tlocal-data: '%s'\n" % rr)
        h.write("%s %s\n" % (ip, name))
        qa.write("%s A\n" % name)
        qs.write("_%s._%s.%s SRV\n" % (ports[0][0], ports[0][1], name))
        qn.write("nosuch-%s A\n" % name)
with open(d + "/fwd.zone", "w") as z, open(d + "/qfwd.txt", "w") as q:
    # Not under test.: unbound answers test., invalid., onion. and
    # home.arpa. itself (RFC 6761 default local-zones) and never forwards.
    # A day of TTL: nothing expires from a cache while the benchmark runs.
    z.write("$ORIGIN fwd.bench.\n$TTL 86400\n")
    z.write("@ IN SOA ns.fwd.bench. hostmaster.fwd.bench. 1 3600 600 86400 3600\n")
    z.write("@ IN NS ns.fwd.bench.\nns IN A 127.0.0.1\n")
    for i in range(nfwd):
        z.write("n%06d IN A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
        q.write("n%06d.fwd.bench A\n" % i)
EOF
WORKLOADS=(a b c d)
declare -A QFILE=([a]="$D/qa.txt" [b]="$D/qsrv.txt" [c]="$D/qnx.txt" [d]="$D/qfwd.txt")
declare -A WDESC=([a]="cluster A" [b]="cluster SRV" [c]="cluster NXDOMAIN" [d]="cached fwd A")
declare -A WRCODE=([a]=noerror [b]=noerror [c]=nxdomain [d]=noerror)
log "data: $PEERS_SERVICES Services, $PEERS_FWD_NAMES forwarded names in $D"

# --- servers ---------------------------------------------------------------------
declare -A PORT PID HOW CMD

# nsd: both zones, one server process. It forks (xfrd, the server), which
# is why CPU and RSS are summed over the process tree below.
nsd_dir="$ND_TMP/nsd"
mkdir -p "$nsd_dir"
cp "$D/cluster.zone" "$D/fwd.zone" "$nsd_dir/"
PORT[nsd]=$(free_port)
cat >"$nsd_dir/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@${PORT[nsd]}
	port: ${PORT[nsd]}
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonelistfile: "$nsd_dir/zone.list"
	xfrdfile: "$nsd_dir/xfrd.state"
	xfrdir: "$nsd_dir"
	pidfile: "$nsd_dir/nsd.pid"
	logfile: "$nsd_dir/nsd.log"
	zonesdir: "$nsd_dir"
	verbosity: 0
	hide-version: yes
	minimal-responses: yes
	# Debian builds nsd with response rate limiting, which would drop
	# most NXDOMAIN answers (one bucket per zone) to a single client
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: "cluster.local"
	zonefile: "cluster.zone"
zone:
	name: "fwd.bench"
	zonefile: "fwd.zone"
EOF
CMD[nsd]="$SERVER_PIN nsd -d -c $nsd_dir/nsd.conf"
$SERVER_PIN nsd -d -c "$nsd_dir/nsd.conf" >"$nsd_dir/out" 2>&1 &
PID[nsd]=$!
nd_track "${PID[nsd]}"
wait_dns "${PORT[nsd]}" 10000 || { tail "$nsd_dir/out" "$nsd_dir/nsd.log"; die "nsd did not start"; }
HOW[nsd]="auth"
UP="127.0.0.1:${PORT[nsd]}"

# Idle RSS with the demo cluster, as the README's run line starts it (the
# machine's own resolver is not used: nsd is the upstream), before the
# benchmark loads anything: settled for a second after it is ready.
if has nodedns; then
	ND_THREADS=$(nproc) start_nodedns --kube-snapshot "$ND_SRCDIR/deploy/demo/cluster.json" \
		--upstream "$UP" --log-level warn
	sleep 1
	IDLE_DEMO_KB=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$ND_PID/status")
	nd_kill "$ND_PID"
fi

start_nodedns_peer() {
	ND_THREADS=1 ND_WRAP=$SERVER_PIN start_nodedns --kube-snapshot "$D/snapshot.json" \
		--upstream "$UP" --log-level warn
	PORT[nodedns]=$ND_PORT
	PID[nodedns]=$ND_PID
	CMD[nodedns]=$ND_CMD
	ND_PEER_HPORT=$ND_HPORT
	HOW[nodedns]="a-c store, d cache"
}

# The baseline build, started exactly as nodedns is.
start_nodedns_base_peer() {
	[ -x "$PEERS_BASELINE/nodedns" ] || return 1
	ND_BUILDDIR=$PEERS_BASELINE ND_THREADS=1 ND_WRAP=$SERVER_PIN \
		start_nodedns --kube-snapshot "$D/snapshot.json" --upstream "$UP" --log-level warn
	PORT[nodedns_base]=$ND_PORT
	PID[nodedns_base]=$ND_PID
	CMD[nodedns_base]=$ND_CMD
	HOW[nodedns_base]="nodedns from $PEERS_BASELINE"
}

start_unbound_peer() {
	local dir="$ND_TMP/unbound"
	mkdir -p "$dir"
	PORT[unbound]=$(free_port)
	unbound_server_head "${PORT[unbound]}" "$dir" "$dir/unbound.log" >"$dir/unbound.conf"
	cat >>"$dir/unbound.conf" <<EOF
	verbosity: 0
	num-threads: 1
	module-config: "iterator"
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	msg-cache-size: 64m
	rrset-cache-size: 128m
	num-queries-per-thread: 4096
	outgoing-range: 8192
	so-rcvbuf: 4m
	so-sndbuf: 4m
	prefetch: no
	qname-minimisation: no
	minimal-responses: yes
	include: "$D/unbound-local.conf"
remote-control:
	control-enable: no
forward-zone:
	name: "."
	forward-addr: 127.0.0.1@${PORT[nsd]}
EOF
	CMD[unbound]="$SERVER_PIN unbound -d -c $dir/unbound.conf"
	$SERVER_PIN unbound -d -c "$dir/unbound.conf" >"$dir/out" 2>&1 &
	PID[unbound]=$!
	nd_track "${PID[unbound]}"
	HOW[unbound]="a-c local-data, d cache"
	wait_dns "${PORT[unbound]}" 10000 || { tail "$dir/out" "$dir/unbound.log"; return 1; }
}

start_kresd_peer() {
	local dir="$ND_TMP/kresd"
	mkdir -p "$dir"
	PORT[kresd]=$(free_port)
	# no trust anchor, no priming, no RFC 5011 updates: nothing but the
	# loopback nsd is ever asked
	cat >"$dir/config" <<EOF
trust_anchors.remove('.')
modules.unload('ta_update')
modules.unload('ta_signal_query')
modules.unload('priming')
modules.unload('detect_time_jump')
modules.unload('detect_time_skew')
net.listen('127.0.0.1', ${PORT[kresd]}, { kind = 'dns' })
modules.load('hints > iterate')
hints.add_hosts('$D/hosts')
policy.add(policy.all(policy.STUB('127.0.0.1@${PORT[nsd]}')))
cache.size = 100 * MB
EOF
	CMD[kresd]="$SERVER_PIN kresd -n -c $dir/config $dir"
	$SERVER_PIN kresd -n -c "$dir/config" "$dir" >"$dir/out" 2>&1 </dev/null &
	PID[kresd]=$!
	nd_track "${PID[kresd]}"
	HOW[kresd]="a hints, b-d cache"
	wait_dns "${PORT[kresd]}" 10000 || { tail "$dir/out"; return 1; }
}

start_pdns_recursor_peer() {
	local dir="$ND_TMP/pdns"
	mkdir -p "$dir"
	PORT[pdns_recursor]=$(free_port)
	: >"$dir/recursor.lua"
	# root hints that point at loopback (which dont-query refuses): the
	# recursor never looks for the real root servers
	printf '.\t3600000\tIN\tNS\tlocal.root.\nlocal.root.\t3600000\tIN\tA\t127.0.0.1\n' >"$dir/root.hints"
	cat >"$dir/recursor.conf" <<EOF
local-address=127.0.0.1
local-port=${PORT[pdns_recursor]}
threads=1
pdns-distributes-queries=no
reuseport=yes
daemon=no
socket-dir=$dir
allow-from=127.0.0.0/8
dnssec=off
hint-file=$dir/root.hints
lua-config-file=$dir/recursor.lua
security-poll-suffix=
auth-zones=cluster.local=$D/cluster.zone
forward-zones-recurse=.=$UP
max-cache-entries=1000000
quiet=yes
disable-syslog=yes
loglevel=3
EOF
	CMD[pdns_recursor]="$SERVER_PIN pdns_recursor --config-dir=$dir"
	$SERVER_PIN pdns_recursor --config-dir="$dir" >"$dir/out" 2>&1 </dev/null &
	PID[pdns_recursor]=$!
	nd_track "${PID[pdns_recursor]}"
	HOW[pdns_recursor]="a-c auth-zones, d cache"
	wait_dns "${PORT[pdns_recursor]}" 10000 || { tail "$dir/out"; return 1; }
}

SERVERS=()
if [ -n "${PEERS_BASELINE:-}" ]; then
	PEERS_SERVERS="$PEERS_SERVERS nodedns_base"
fi
for s in nodedns nodedns_base unbound kresd pdns_recursor; do
	has "$s" || continue
	if "start_${s}_peer"; then
		SERVERS+=("$s")
		log "$s on 127.0.0.1:${PORT[$s]} (pid ${PID[$s]})"
	else
		NOTES+=("$s: did not start, skipped")
	fi
done
has nsd && SERVERS+=(nsd)

# Same answer everywhere, or the comparison means nothing.
probe="svc-00001.ns-000.svc.cluster.local"
want=$(awk -v n="$probe" '$2 == n { print $1 }' "$D/hosts")
for s in "${SERVERS[@]}"; do
	got=$(dig @127.0.0.1 -p "${PORT[$s]}" +tries=1 +time=2 +short "$probe" A 2>/dev/null | head -n 1)
	[ "$got" = "$want" ] || NOTES+=("$s: $probe A is '$got', expected '$want'")
done

# --- measuring -------------------------------------------------------------------
# tree_pids PID: PID and its descendants (nsd forks its server process).
tree_pids() {
	local c
	echo "$1"
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		tree_pids "$c"
	done
}
# tree_usage PID: "CPU-ticks RSS-kB" summed over PID and its descendants.
tree_usage() {
	local p
	for p in $(tree_pids "$1"); do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk -v pk="$PAGE_KB" '
		{ l = $0; sub(/^.*\) /, "", l); split(l, a, " "); t += a[12] + a[13]; r += a[22] }
		END { printf "%d %d\n", t, r * pk }'
}
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

RESULTS="$ND_TMP/results"
: >"$RESULTS"
# measure NAME WORKLOAD PORT PID TAG [LOADGEN ARGS...]: one bounded run,
# appended to $RESULTS as "tag name workload qps p50_us p99_us cli% srv%
# rss_kb other% lost bad sent_rate qps_per_core".
measure() {
	local name=$1 w=$2 port=$3 pid=$4 tag=$5 out u0 u1 b0 b1 t0 t1 line
	shift 5
	out="$ND_TMP/run.$tag.$name.$w"
	u0=$(tree_usage "$pid")
	b0=$(busy_ticks)
	t0=$EPOCHREALTIME
	timeout $((PEERS_DURATION + 15)) $CLIENT_PIN "$LOADGEN" -s 127.0.0.1 -p "$port" \
		-d "${QFILE[$w]}" --duration "$PEERS_DURATION" --sockets "$PEERS_SOCKETS" \
		--timeout-ms "$PEERS_TIMEOUT_MS" "$@" >"$out" 2>&1
	t1=$EPOCHREALTIME
	b1=$(busy_ticks)
	u1=$(tree_usage "$pid")
	line=$(grep '^qps=' "$out" | tail -n 1)
	[ -n "$line" ] || { log "no result from loadgen against $name ($w):"; sed 's/^/    /' "$out"; return 1; }
	# CPU is counted over the whole wall time of loadgen (start-up and
	# drain included), so it is compared with that, not the run time
	awk -v tag="$tag" -v n="$name" -v w="$w" -v u0="$u0" -v u1="$u1" -v b0="$b0" -v b1="$b1" \
		-v t0="$t0" -v t1="$t1" -v hz="$HZ" -v want="${WRCODE[$w]}" -v line="$line" 'BEGIN {
		k = split(line, f, " ")
		for (i = 1; i <= k; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
		split(u0, a, " "); split(u1, b, " ")
		wall = t1 - t0 > 0 ? t1 - t0 : 1
		srv_s = (b[1] - a[1]) / hz
		srv = 100 * srv_s / wall
		cli = v["client_cpu_pct"] * v["duration_s"] / wall
		other = 100 * (b1 - b0) / hz / wall - srv - cli
		if (other < 0) other = 0
		bad = v["recv"] - v[want]
		# answers per second of server CPU: what the server costs, and
		# much steadier than QPS when other work shares its core
		eff = srv_s > 0 ? v["recv"] / srv_s : 0
		printf "%s %s %s %d %.1f %.1f %.0f %.0f %d %.0f %d %d %d %.0f\n", tag, n, w, v["qps"],
			v["p50_us"], v["p99_us"], v["client_cpu_pct"], srv, b[2], other,
			v["lost"], bad, v["sent_rate"], eff
	}' >>"$RESULTS"
	tail -n 1 "$RESULTS" | awk '{ printf "%s %-13s %s qps=%d p50=%s p99=%s lost=%s\n", $1, $2, $3, $4, $5, $6, $11 }' |
		while read -r l; do log "$l"; done
}

# reflector_run TAG: a fresh reflector on CPU 0 for one run.
reflector_run() {
	local tag=$1 rport rpid
	rport=$(free_port)
	$SERVER_PIN "$LOADGEN" --reflector "127.0.0.1:$rport" --duration $((PEERS_DURATION + 5)) \
		--quiet >"$ND_TMP/reflector.$tag" 2>&1 &
	rpid=$!
	nd_track "$rpid"
	for _ in $(seq 1 50); do
		ss -lnu "sport = :$rport" 2>/dev/null | grep -q ":$rport" && break
		sleep 0.1
	done
	measure reflector a "$rport" "$rpid" "$tag" --window "$PEERS_WINDOW"
	nd_kill "$rpid"
}

# nodedns's own count of what its cache holds: "entries bytes".
nd_cache_size() {
	curl -s --max-time 5 "http://127.0.0.1:$ND_PEER_HPORT/metrics" |
		awk '$1 == "nodedns_cache_entries" { e = $2 } $1 == "nodedns_cache_size_bytes" { b = $2 }
			END { printf "%d %d\n", e, b }'
}

# Warm every cache with every name: passes at a gentle rate until one
# loses nothing (at most 4), so that every name was answered, and so is
# cached, once. nsd answers from its zones and needs none. The growth of
# each server's RSS while it caches the forwarded names (workload d, warmed
# last) over their count is its memory per cached forwarded answer.
declare -A MEM_PER_ANSWER
for s in "${SERVERS[@]}"; do
	[ "$s" = nsd ] && continue
	msg=
	for w in "${WORKLOADS[@]}"; do
		n=$(wc -l <"${QFILE[$w]}")
		if [ "$w" = d ]; then
			rss0=$(tree_usage "${PID[$s]}" | cut -d' ' -f2)
			[ "$s" = nodedns ] && read -r ce0 cb0 < <(nd_cache_size)
		fi
		for pass in 1 2 3 4; do
			timeout 60 $CLIENT_PIN "$LOADGEN" -s 127.0.0.1 -p "${PORT[$s]}" -d "${QFILE[$w]}" \
				--duration 30 --count "$n" --rate 10000 --sockets 1 --timeout-ms 2000 \
				--quiet >"$ND_TMP/warm.$s.$w" 2>&1
			lost=$(sed -n 's/.* lost=\([0-9]*\) .*/\1/p' "$ND_TMP/warm.$s.$w")
			[ "$lost" = 0 ] && break
		done
		msg+="$w: $pass pass(es), last lost ${lost:-?}; "
		if [ "$w" = d ]; then
			rss1=$(tree_usage "${PID[$s]}" | cut -d' ' -f2)
			MEM_PER_ANSWER[$s]=$(awk -v a="$rss0" -v b="$rss1" -v n="$n" \
				'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
			if [ "$s" = nodedns ]; then
				read -r ce1 cb1 < <(nd_cache_size)
				ND_CACHE_PER_ENTRY=$(awk -v e="$((ce1 - ce0))" -v b="$((cb1 - cb0))" \
					'BEGIN { printf "%.0f B over %d entries", e ? b / e : 0, e }')
			fi
		fi
		[ "$lost" = 0 ] || NOTES+=("$s: warm-up of workload $w still lost $lost of $n after 4 passes")
	done
	log "warmed $s: $msg"
done

t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$PEERS_ROUNDS"); do
	for w in "${WORKLOADS[@]}"; do
		for s in "${SERVERS[@]}"; do
			measure "$s" "$w" "${PORT[$s]}" "${PID[$s]}" "r$r" --window "$PEERS_WINDOW" ||
				NOTES+=("$s/$w round $r: no result")
		done
	done
	has reflector && reflector_run "r$r"
	log "round $r done ($(($(date +%s) - t_start)) s)"
done
has nodedns && { kill -0 "${PID[nodedns]}" 2>/dev/null || die "nodedns died during the benchmark"; }

# --- summary ---------------------------------------------------------------------
# Per (server, workload): the median of each column over the rounds (lost
# and unexpected rcodes: totals), and the spread of QPS.
SUMMARY="$ND_TMP/summary"
awk '$1 ~ /^r[0-9]/ { k = $2 " " $3; n[k]++; for (c = 4; c <= 14; c++) v[k, c, n[k]] = $c }
	END {
		for (k in n) {
			line = k
			m = n[k]
			for (c = 4; c <= 14; c++) {
				for (i = 1; i <= m; i++) s[i] = v[k, c, i] + 0
				for (i = 2; i <= m; i++) { x = s[i]; for (j = i - 1; j >= 1 && s[j] > x; j--) s[j + 1] = s[j]; s[j + 1] = x }
				med = (m % 2) ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
				if (c == 11 || c == 12) { med = 0; for (i = 1; i <= m; i++) med += s[i] }
				if (c == 4) spread = med > 0 ? 100 * (s[m] - s[1]) / med : 0
				line = line " " med
			}
			print line " " spread
		}
	}' "$RESULTS" >"$SUMMARY"
# SUMMARY columns: 1 server 2 workload 3 qps 4 p50 5 p99 6 cli 7 srv 8 rss_kb
# 9 other 10 lost 11 bad 12 sent_rate 13 qps_per_core 14 spread
get() { awk -v k="$1 $2" -v c="$3" '$1 " " $2 == k { print $c; exit }' "$SUMMARY"; }
declare -A BEST
for w in "${WORKLOADS[@]}"; do
	BEST[$w]=$(awk -v w="$w" '$2 == w && $1 ~ /^(unbound|kresd|pdns_recursor)$/ && $3 > q { q = $3; b = $1 }
		END { print b }' "$SUMMARY")
done

# Latency at half of nodedns's max rate, for nodedns and the best peer;
# when that is more than the peer's own max, which only measures its queue,
# the peer also at half of its own max.
half() { awk -v q="$1" 'BEGIN { printf "%d", q / 2 }'; }
if has nodedns; then
	for w in a d; do
		q=$(get nodedns "$w" 3)
		[ -n "$q" ] || continue
		rate=$(half "$q")
		[ "$rate" -gt 100 ] || continue
		measure nodedns "$w" "${PORT[nodedns]}" "${PID[nodedns]}" "lat$rate" --rate "$rate"
		b=${BEST[$w]:-}
		[ -n "$b" ] || continue
		measure "$b" "$w" "${PORT[$b]}" "${PID[$b]}" "lat$rate" --rate "$rate"
		bq=$(get "$b" "$w" 3)
		if [ "$(half "$bq")" -gt 100 ] && awk -v r="$rate" -v q="$bq" 'BEGIN { exit !(r > 0.8 * q) }'; then
			measure "$b" "$w" "${PORT[$b]}" "${PID[$b]}" "lat$(half "$bq")" --rate "$(half "$bq")"
		fi
	done
fi

# Two workers. This machine has two cores and loadgen needs one of them
# to saturate even one worker, so nodedns --threads 2 and loadgen run
# unpinned and share both cores (the kernel splits them); the factor is
# that QPS over the one-worker QPS above (worker on CPU 0, loadgen on CPU
# 1). kQ/cpu shows whether a second worker costs more per answer (shared
# locks, cache lines): the part of scaling this machine can show.
if has nodedns && [ "${PEERS_TWO_WORKERS:-1}" = 1 ]; then
	ND_THREADS=2 ND_WRAP= start_nodedns --kube-snapshot "$D/snapshot.json" \
		--upstream "$UP" --log-level warn
	timeout 60 "$LOADGEN" -s 127.0.0.1 -p "$ND_PORT" -d "${QFILE[d]}" --duration 30 \
		--count "$(wc -l <"${QFILE[d]}")" --rate 10000 --sockets 1 --timeout-ms 2000 \
		--quiet >"$ND_TMP/warm.two" 2>&1
	# worker_ticks: CPU ticks of each nd-worker thread, "T0 T1" (task order)
	worker_ticks() {
		local t
		for t in /proc/"$ND_PID"/task/*; do
			case $(cat "$t/comm" 2>/dev/null) in nd-worker-*) ;; *) continue ;; esac
			printf '%s ' "$(sed 's/^.*) //' "$t/stat" | awk '{ print $12 + $13 }')"
		done
		echo
	}
	saved_pin=$CLIENT_PIN
	CLIENT_PIN=
	for r in $(seq 1 "$PEERS_ROUNDS"); do
		for w in a d; do
			k0=$(worker_ticks)
			measure nodedns2 "$w" "$ND_PORT" "$ND_PID" "two$r" --window "$PEERS_WINDOW"
			k1=$(worker_ticks)
			# how SO_REUSEPORT spread loadgen's sockets: each worker's share
			awk -v a="$k0" -v b="$k1" -v tag="two$r" -v w="$w" 'BEGIN {
				n = split(a, x, " "); split(b, y, " ")
				for (i = 1; i <= n; i++) { d[i] = y[i] - x[i]; t += d[i] }
				printf "%s %s", tag, w
				for (i = 1; i <= n; i++) printf " %.0f", (t > 0 ? 100 * d[i] / t : 0)
				printf "\n"
			}' >>"$ND_TMP/two_split"
		done
	done
	# At the rate of the one-worker latency run: the server CPU an answer
	# costs with two workers against one, at the same offered load.
	for w in a d; do
		q=$(get nodedns "$w" 3)
		[ -n "$q" ] && [ "$(half "$q")" -gt 100 ] &&
			measure nodedns2 "$w" "$ND_PORT" "$ND_PID" "twolat$(half "$q")" --rate "$(half "$q")"
	done
	CLIENT_PIN=$saved_pin
	nd_kill "$ND_PID"
fi

best_list=$(for w in "${WORKLOADS[@]}"; do printf '%s=%s ' "$w" "${BEST[$w]:-none}"; done)
{
	echo
	echo "==== peers: one worker each on CPU 0, loadgen on CPU 1; median of $PEERS_ROUNDS rounds x ${PEERS_DURATION} s"
	echo "loadgen: $PEERS_SOCKETS sockets x window $PEERS_WINDOW, timeout $PEERS_TIMEOUT_MS ms; $PEERS_SERVICES Services, $PEERS_FWD_NAMES forwarded names"
	echo "load average before the rounds: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg)"
	awk -v order="${SERVERS[*]} reflector" -v best="$best_list" \
		-v desc="a cluster A|b cluster SRV|c cluster NXDOMAIN|d cached fwd A" '
		{ for (c = 3; c <= 14; c++) v[$1, $2, c] = $c; have[$1, $2] = 1 }
		function r(a, b) { return (b > 0) ? sprintf("%.2f", a / b) : "-" }
		END {
			ns = split(order, srv, " "); split(desc, d, "|")
			k = split(best, bl, " ")
			for (i = 1; i <= k; i++) { split(bl[i], kv, "="); bp[kv[1]] = kv[2] }
			rq = v["reflector", "a", 3]; re = v["reflector", "a", 13]
			printf "%-13s %-18s %7s %4s %6s %6s %7s %4s %4s %6s %5s %5s %5s %5s %6s %s\n",
				"server", "workload", "QPS", "+-%", "kQ/cpu", "p50us", "p99us", "cli%", "srv%",
				"RSS_MB", "/best", "cpu/b", "/refl", "cpu/r", "other%", "notes"
			for (wi = 1; wi <= 5; wi++) {
				w = substr("abcd-", wi, 1)
				for (si = 1; si <= ns; si++) {
					s = srv[si]
					if ((s == "reflector") != (w == "-")) continue
					ww = (w == "-") ? "a" : w
					if (!have[s, ww]) continue
					b = bp[ww]
					note = ""
					if (v[s, ww, 10]) note = note "lost=" v[s, ww, 10] " "
					if (v[s, ww, 11] && s != "reflector") note = note "unexpected-rcode=" v[s, ww, 11] " "
					if (b == s) note = note "best-peer"
					printf "%-13s %-18s %7.0f %4.0f %6.0f %6.0f %7.0f %4.0f %4.0f %6.1f %5s %5s %5s %5s %6.0f %s\n",
						s, (w == "-") ? "- UDP echo" : d[wi], v[s, ww, 3], v[s, ww, 14],
						v[s, ww, 13] / 1000, v[s, ww, 4], v[s, ww, 5], v[s, ww, 6], v[s, ww, 7],
						v[s, ww, 8] / 1024,
						(s == "reflector" || b == "") ? "-" : r(v[s, ww, 3], v[b, ww, 3]),
						(s == "reflector" || b == "") ? "-" : r(v[s, ww, 13], v[b, ww, 13]),
						r(v[s, ww, 3], rq), r(v[s, ww, 13], re), v[s, ww, 9], note
				}
			}
		}' "$SUMMARY"
	if grep -q '^lat' "$RESULTS"; then
		echo "latency at a fixed offered rate (half of nodedns's max QPS above; a peer also at half of its own max):"
		awk '$1 ~ /^lat/ { printf "  %-13s %s  offered %6d/s  answered %6d/s  p50 %6.0f us  p99 %7.0f us  srv%% %3.0f  lost %d\n", $2, $3, substr($1, 4), $4, $5, $6, $8, $11 }' "$RESULTS"
	fi
	if grep -q '^two' "$RESULTS"; then
		echo "two workers (nodedns --threads 2 and loadgen unpinned on both cores) over one worker (CPU 0, loadgen CPU 1):"
		for w in a d; do
			awk -v w="$w" -v one_q="$(get nodedns "$w" 3)" -v one_e="$(get nodedns "$w" 13)" '
				$1 ~ /^two/ && $3 == w { n++; q[n] = $4; e[n] = $14; srv[n] = $8; cli[n] = $7 }
				function med(a, m,   i, j, x, t) {
					for (i = 1; i <= m; i++) t[i] = a[i]
					for (i = 2; i <= m; i++) { x = t[i]; for (j = i - 1; j >= 1 && t[j] > x; j--) t[j + 1] = t[j]; t[j + 1] = x }
					return (m % 2) ? t[(m + 1) / 2] : (t[m / 2] + t[m / 2 + 1]) / 2
				}
				END {
					if (n == 0 || one_q == 0) exit
					printf "  %s  two workers %7.0f QPS (srv%% %3.0f, cli%% %3.0f), one worker %7.0f: factor %.2f;  kQ/cpu %4.0f vs %4.0f (%.2f)\n",
						w, med(q, n), med(srv, n), med(cli, n), one_q, med(q, n) / one_q,
						med(e, n) / 1000, one_e / 1000, (one_e > 0 ? med(e, n) / one_e : 0)
				}' "$RESULTS"
			printf '     CPU split between the two workers per round (%%):'
			awk -v w="$w" '$2 == w { printf " %s", $3; for (i = 4; i <= NF; i++) printf "/%s", $i }' "$ND_TMP/two_split"
			echo " (one near 100: SO_REUSEPORT put every loadgen socket on one worker)"
			# $14: answers per second of server CPU, at the same offered rate
			awk -v w="$w" '$1 ~ /^lat/ && $2 == "nodedns" && $3 == w { r = substr($1, 4); one[r] = $14; c1[r] = $8 }
				$1 ~ /^twolat/ && $3 == w { r = substr($1, 7); two[r] = $14; c2[r] = $8 }
				END { for (r in two) if (one[r] > 0)
					printf "     at a fixed %d/s: server CPU %3.0f%% with two workers, %3.0f%% with one; answers per CPU second %.2f of one worker'"'"'s\n",
						r, c2[r], c1[r], two[r] / one[r] }' "$RESULTS"
		done
	fi
	if [ "${#MEM_PER_ANSWER[@]}" -gt 0 ]; then
		printf 'memory per cached forwarded answer (RSS growth while caching %d names / %d):' \
			"$PEERS_FWD_NAMES" "$PEERS_FWD_NAMES"
		for s in "${SERVERS[@]}"; do
			[ -n "${MEM_PER_ANSWER[$s]:-}" ] && printf ' %s %s B;' "$s" "${MEM_PER_ANSWER[$s]}"
		done
		echo
		[ -n "${ND_CACHE_PER_ENTRY:-}" ] &&
			echo "  nodedns's cache counts ${ND_CACHE_PER_ENTRY} (wire answer, key and entry)"
	fi
	[ -n "${IDLE_DEMO_KB:-}" ] &&
		echo "idle RSS of nodedns with the demo cluster (README run line, default threads): $((IDLE_DEMO_KB / 1024)).$(((IDLE_DEMO_KB % 1024) * 10 / 1024)) MB ($IDLE_DEMO_KB kB)"
	echo "how each answers: $(for s in "${SERVERS[@]}"; do printf '%s: %s; ' "$s" "${HOW[$s]}"; done)"
	echo "+-%: spread of QPS over the rounds, (max - min) / median; kQ/cpu: thousand answers per second of server CPU"
	echo "/best, cpu/b: QPS and kQ/cpu over those of the best (by QPS) of unbound, kresd, pdns_recursor; /refl, cpu/r: the same over the UDP reflector"
	echo "cli%/srv%: CPU of loadgen / of the server process tree, % of one core; other%: the rest of the machine during the run (noise)"
	for s in "${SERVERS[@]}"; do echo "  $s: ${CMD[$s]}"; done
	for n in "${NOTES[@]+"${NOTES[@]}"}"; do echo "note: $n"; done
} | tee "$ND_TMP/table"

# --- optional profile --------------------------------------------------------------
if [ "$PEERS_PERF" = 1 ] && has nodedns; then
	if command -v perf >/dev/null 2>&1; then
		for w in d a; do
			pf="$ND_TMP/perf.$w.data"
			perf record -q -F 1999 -p "${PID[nodedns]}" -o "$pf" -- sleep "$PEERS_DURATION" \
				>/dev/null 2>&1 &
			ppid=$!
			nd_track "$ppid"
			measure nodedns "$w" "${PORT[nodedns]}" "${PID[nodedns]}" "perf" --window "$PEERS_WINDOW"
			wait "$ppid" 2>/dev/null
			nd_forget "$ppid"
			echo "---- perf: nodedns under workload $w (${WDESC[$w]}), self time, top entries"
			perf report -i "$pf" --no-children --sort dso,symbol --stdio --percent-limit 1 2>/dev/null |
				awk '$1 ~ /%$/ { printf "  %7s  %-22s %s\n", $1, $2, $4 }' | head -n 20
		done
	else
		echo "note: PEERS_PERF=1 but perf is not installed (Debian: linux-perf)"
	fi
fi
exit 0
