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
	timeout $((DURATION + 30)) $CLIENT_PIN dnsperf -s 127.0.0.1 -p "$ND_PORT" -d "$queries" \
		-c 8 -q 200 -l "$DURATION" >"$out" 2>&1
	stop_nodedns
}
qps_of() { sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$1" | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

on=() off=()
for r in $(seq 1 "$ROUNDS"); do
	for mode in on off; do
		run_with "$mode" "$ND_TMP/run.$mode.$r"
		qps=$(qps_of "$ND_TMP/run.$mode.$r")
		[ -n "$qps" ] || { cat "$ND_TMP/run.$mode.$r"; die "no QPS"; }
		log "round $r diagnostics $mode: $qps QPS"
		if [ "$mode" = on ]; then on+=("$qps"); else off+=("$qps"); fi
	done
done
m_on=$(median "${on[@]}")
m_off=$(median "${off[@]}")
cat <<OUT

==== cost of the diagnostics, $ROUNDS rounds of $DURATION s, one worker${SERVER_PIN:+ (nodedns on CPU 0, dnsperf on CPU 1)}
workload: cached forwarded names, search-list candidates (NXDOMAIN), cluster names
dnsperf:  ${CLIENT_PIN:+$CLIENT_PIN }dnsperf -s 127.0.0.1 -p PORT -d $queries -c 8 -q 200 -l $DURATION
diagnostics on  QPS per round: ${on[*]}
diagnostics off QPS per round: ${off[*]}
median on:  $(printf '%.0f' "$m_on")
median off: $(printf '%.0f' "$m_off")
cost: $(awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "%.1f%%", (b - a) * 100 / b }') of QPS
OUT
