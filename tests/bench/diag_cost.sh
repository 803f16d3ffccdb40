#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/bench/diag_cost.sh - what the diagnostics (search-list tracker,
# signals, slow-query log) cost: the same nodedns, same workload, with
# --diagnostics on and off, interleaved rounds, median QPS of each.
#
# The workload is what a node sees: cached forwarded names, cluster names,
# and search-list candidates that end in NXDOMAIN (the tracker's work), from
# dnsperf on 127.0.0.1. nodedns runs with one worker on CPU 0 and dnsperf on
# CPU 1 when taskset is there. Installs nothing; stops only its own PIDs.
set -uo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}

here=$(cd "$(dirname "$0")" && pwd)
ND_SRCDIR=${ND_SRCDIR:-$(cd "$here/../.." && pwd)}
ND_BUILDDIR=${ND_BUILDDIR:-$(pwd)}
export ND_SRCDIR ND_BUILDDIR
# shellcheck source=../system/lib.sh
. "$ND_SRCDIR/tests/system/lib.sh"

need nsd dnsperf
# Our sendmmsg generator when it is built (make check builds it): dnsperf
# saturates near 100k QPS here, before nodedns does.
LOADGEN=${LOADGEN:-$ND_BUILDDIR/tests/bench/loadgen}
[ -x "$LOADGEN" ] || LOADGEN=""

[ -x "$ND_BUILDDIR/nodedns" ] || die "no nodedns in $ND_BUILDDIR (run make first)"
[[ "$ROUNDS" =~ ^[1-9]$ ]] || die "ROUNDS is 1..9"
[[ "$DURATION" =~ ^[1-9][0-9]?$ ]] || die "DURATION is 1..99 s"

SERVER_PIN= CLIENT_PIN=
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
	SERVER_PIN="taskset -c 0"
	CLIENT_PIN="taskset -c 1"
fi

zone="$ND_TMP/cost.test.zone"
queries="$ND_TMP/queries.txt"
"$ND_PY" - "$zone" "$queries" <<'PY'
import sys
zf, qf = sys.argv[1], sys.argv[2]
names = 2000
with open(zf, "w") as z:
    z.write("$ORIGIN cost.test.\n$TTL 86400\n")
    z.write("@ IN SOA ns.cost.test. h.cost.test. 1 3600 600 86400 3600\n")
    z.write("@ IN NS ns.cost.test.\nns IN A 127.0.0.1\n")
    for i in range(names):
        z.write("n%04d IN A 10.1.%d.%d\n" % (i, i >> 8, i & 255))
with open(qf, "w") as q:
    # What a pod with ndots:5 sends for "n0001.cost.test": the candidates
    # under its namespace (NXDOMAIN from the cluster zone), then the name;
    # and the demo's Services by their short forms.
    for i in range(names):
        q.write("n%04d.cost.test.default.svc.cluster.local A\n" % i)
        q.write("n%04d.cost.test.svc.cluster.local A\n" % i)
        q.write("n%04d.cost.test.cluster.local A\n" % i)
        q.write("n%04d.cost.test A\n" % i)
        q.write("trace-svc.default.svc.cluster.local A\n")
PY

start_nsd "$zone" cost.test
run_with() {
	local mode=$1 out=$2
	ND_THREADS=1 ND_WRAP=$SERVER_PIN start_nodedns --upstream "127.0.0.1:$NSD_PORT" \
		--kube-snapshot "$ND_SRCDIR/deploy/demo/cluster.json" \
		--diagnostics "$mode" --log-level error
	# warm the cache, then measure
	timeout 60 $CLIENT_PIN dnsperf -s 127.0.0.1 -p "$ND_PORT" -d "$queries" -n 1 -c 4 -q 100 >/dev/null 2>&1
	if [ -n "$LOADGEN" ]; then
		timeout $((DURATION + 30)) $CLIENT_PIN "$LOADGEN" -s 127.0.0.1 -p "$ND_PORT" \
			-d "$queries" -c 4 -q 128 -l "$DURATION" >"$out" 2>&1
	else
		timeout $((DURATION + 30)) $CLIENT_PIN dnsperf -s 127.0.0.1 -p "$ND_PORT" -d "$queries" \
			-c 8 -q 200 -l "$DURATION" >"$out" 2>&1
	fi
	# CPU time per query at a fixed offered rate: steadier than QPS on a
	# shared machine, since other processes' load does not enter it.
	if [ -n "$LOADGEN" ]; then
		local t0 t1
		t0=$(proc_cpu_ticks "$ND_PID")
		timeout 60 $CLIENT_PIN "$LOADGEN" -s 127.0.0.1 -p "$ND_PORT" -d "$queries" \
			-c 2 -Q "$FIXED_QPS" -n $((FIXED_QPS * DURATION)) -l $((DURATION + 5)) \
			--quiet >"$out.fixed" 2>&1
		t1=$(proc_cpu_ticks "$ND_PID")
		awk -v a="$t0" -v b="$t1" -v n=$((FIXED_QPS * DURATION)) -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.2f\n", (b - a) * 1e6 / hz / n }' >"$out.cpu"
	fi
	stop_nodedns
}
# utime + stime of a process, in clock ticks
proc_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
FIXED_QPS=${FIXED_QPS:-50000}
qps_of() {
	if [ -n "$LOADGEN" ]; then
		sed -n 's/^qps=\([0-9.]*\).*/\1/p' "$1" | head -n 1
	else
		sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$1" | head -n 1
	fi
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

on=() off=() con=() coff=()
for r in $(seq 1 "$ROUNDS"); do
	for mode in on off; do
		run_with "$mode" "$ND_TMP/run.$mode.$r"
		qps=$(qps_of "$ND_TMP/run.$mode.$r")
		[ -n "$qps" ] || { cat "$ND_TMP/run.$mode.$r"; die "no QPS"; }
		cpu=$(cat "$ND_TMP/run.$mode.$r.cpu" 2>/dev/null || echo "")
		log "round $r diagnostics $mode: $qps QPS${cpu:+, $cpu us CPU per query at $FIXED_QPS QPS}"
		if [ "$mode" = on ]; then on+=("$qps"); con+=("$cpu"); else off+=("$qps"); coff+=("$cpu"); fi
	done
done
m_on=$(median "${on[@]}")
m_off=$(median "${off[@]}")
cat <<OUT

==== cost of the diagnostics, $ROUNDS rounds of $DURATION s, one worker${SERVER_PIN:+ (nodedns on CPU 0, the load on CPU 1)}
workload: cached forwarded names, search-list candidates (NXDOMAIN), cluster names
load:     ${CLIENT_PIN:+$CLIENT_PIN }$(if [ -n "$LOADGEN" ]; then echo "$LOADGEN -s 127.0.0.1 -p PORT -d $queries -c 4 -q 128 -l $DURATION"; else echo "dnsperf -s 127.0.0.1 -p PORT -d $queries -c 8 -q 200 -l $DURATION"; fi)
diagnostics on  QPS per round: ${on[*]}
diagnostics off QPS per round: ${off[*]}
median on:  $(printf '%.0f' "$m_on")
median off: $(printf '%.0f' "$m_off")
cost: $(awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "%.1f%%", (b - a) * 100 / b }') of QPS
OUT
if [ -n "$LOADGEN" ]; then
	c_on=$(median "${con[@]}")
	c_off=$(median "${coff[@]}")
	cat <<OUT
server CPU per query at a fixed $FIXED_QPS QPS, on:  ${con[*]} us (median $c_on)
server CPU per query at a fixed $FIXED_QPS QPS, off: ${coff[*]} us (median $c_off)
cost in CPU per query: $(awk -v a="$c_on" -v b="$c_off" 'BEGIN { printf "%.1f%%", (a - b) * 100 / b }')
OUT
fi
