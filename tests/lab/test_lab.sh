#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/lab/test_lab.sh - the lab (deploy/lab) end to end: `lab.py --check`
# runs every step and must pass each step's evidence; then a second run is
# interrupted with SIGINT in the middle of step 4 (while its packet capture
# runs) and must leave nothing behind: no network namespace, no process in
# one of them, no /etc/netns entry, no interface or nftables table in the
# machine's own namespace that was not there before, no state directory.
# Exit 77 (skip, with the reason) where the machine does not allow it.
set -u
B=${ND_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
S=${ND_SRCDIR:-$B}
LAB="python3 $S/deploy/lab/lab.py --builddir $B --srcdir $S"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_lab.XXXXXX")
FAILS=0
PID=
log() { printf '%s test_lab: %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { log "FAIL: $*"; FAILS=$((FAILS + 1)); }
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# poll_for MAX_S CMD...: until CMD succeeds, at most MAX_S seconds.
poll_for() {
	local max=$1 end
	shift
	end=$(($(date +%s) + max))
	until "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1 # sleep-ok: the poll interval
	done
}

# --- 1. every step, checked ---------------------------------------------------
P1="ndlt$$"
$LAB --check --prefix "$P1" >"$TMP/check.out" 2>&1
rc=$?
if [ "$rc" = 77 ]; then
	grep SKIP "$TMP/check.out"
	exit 77
fi
grep -E '^== Step|CHECK' "$TMP/check.out"
if [ "$rc" != 0 ]; then
	fail "lab.py --check exited $rc"
	sed 's/^/    /' "$TMP/check.out" | tail -n 120
fi
n=$(grep -c 'CHECK ok' "$TMP/check.out")
grep -q 'CHECK FAILED' "$TMP/check.out" && fail "a step's evidence did not match"
for s in 'Step 1:' 'Step 2:' 'Step 3:' 'Step 4:' 'Step 5:' 'Step 6:' '6a\.' '6b\.' '6c\.' \
	'6d\.' '6e\.' '6f\.'; do
	grep -q "$s" "$TMP/check.out" || fail "the walk has no '$s'"
done
# step 7 (the node-local cache) runs wherever nodedns has node set-up
if "$B/nodedns" --help 2>&1 | grep -q -- '--node-local-ip'; then
	grep -q 'Step 7:' "$TMP/check.out" || fail "the walk has no step 7"
	grep -q 'not run: this nodedns has no node set-up' "$TMP/check.out" &&
		fail "step 7 did not run although nodedns has --node-local-ip"
fi
# a floor, so that a walk which silently stops checking is seen
[ "$n" -ge 30 ] || fail "only $n checks passed (the steps check more than 30 facts)"
ip netns list | grep -q "^$P1-" && fail "the checked run left namespaces: $(ip netns list | grep "^$P1-")"

# --- 2. SIGINT in the middle of step 4 ------------------------------------------
P2="ndli$$"
# the lab's table names in the machine's own namespace (other tests may add
# and remove their own links and tables meanwhile: only ours are compared)
lab_tables() { nft list tables 2>/dev/null | grep -E ' (kube-proxy|lab-netpol)$' | sort; }
tables_before=$(lab_tables)
$LAB --auto --prefix "$P2" >"$TMP/int.out" 2>&1 &
PID=$!
# step 4 has started its capture on the node: the next thing is the curl
if ! poll_for 90 grep -q 'tcpdump -i any' "$TMP/int.out"; then
	fail "step 4's capture never started"
	tail -n 40 "$TMP/int.out" | sed 's/^/    /'
fi
# the inodes of the run's namespaces, to find any process left inside one
inodes=$(for f in /run/netns/"$P2"-*; do stat -L -c %i "$f" 2>/dev/null; done | sort -u)
[ -n "$inodes" ] || fail "no namespace of the interrupted run found"
log "SIGINT to the lab (pid $PID) during step 4; namespaces: $(ls /run/netns | grep -c "^$P2-")"
kill -INT "$PID"
poll_for 30 sh -c "! kill -0 $PID 2>/dev/null" || fail "the lab did not exit within 30 s of SIGINT"
wait "$PID"
rc=$?
PID=
[ "$rc" = 130 ] || fail "the interrupted lab exited $rc, not 130"
grep -q 'interrupted; cleaning up' "$TMP/int.out" || fail "the lab did not say it cleaned up"
grep -q '== Step 5' "$TMP/int.out" && fail "the lab went on to step 5 after SIGINT"
left=$(ip netns list | grep "^$P2-")
[ -z "$left" ] || fail "namespaces left: $left"
for p in /proc/[0-9]*; do
	i=$(stat -L -c %i "$p/ns/net" 2>/dev/null) || continue
	if printf '%s\n' "$inodes" | grep -qx "$i"; then
		fail "process ${p#/proc/} ($(tr '\0' ' ' <"$p/cmdline")) is still in a lab namespace"
	fi
done
ps -eo pid,args | grep -E "nodedns-lab\.$P2|$P2-" | grep -v grep && fail "processes of the lab left"
ls -d /etc/netns/"$P2"-* 2>/dev/null && fail "/etc/netns entries left"
ls -d /tmp/nodedns-lab."$P2".* 2>/dev/null && fail "state directory left"
ip -o link show | grep -F "$P2" && fail "interfaces of the lab left in the machine's namespace"
[ "$(lab_tables)" = "$tables_before" ] || fail "the machine's nftables tables changed"
tail -n 3 "$TMP/int.out" | sed 's/^/    /'

if [ "$FAILS" = 0 ]; then
	log "PASS: $n checks of the lab's steps; an interrupted run left nothing behind"
	exit 0
fi
log "$FAILS failure(s)"
exit 1
