#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_ctl_remote.sh - the debug listener on a node address
# (169.254.20.10:9154 in the test's own network namespaces), used from a pod's
# namespace: the views answer anyone who reaches the listener, a control
# request from a peer that is not loopback is refused (403) without
# --control-token, and with it taken only with the secret (nodednsctl
# --control-token); the metrics listener there has no /debug. Root only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_netns.sh"

CTL="$ND_BUILDDIR/nodednsctl"
[ -x "$CTL" ] || die "$CTL not found (build first; ND_BUILDDIR=$ND_BUILDDIR)"
POD_IP=169.254.30.2

nn_setup
nn_add_pod pod1 shop "$POD_IP"
nn_start_upstream

# pod_ctl ARGS...: nodednsctl in the pod's namespace against the node's
# debug listener; stdout in OUT, stderr in ERR, exit status in RC.
pod_ctl() {
	OUT=$(nn_pod pod1 timeout 20 "$CTL" --server "http://$NN_DEBUG" "$@" 2>"$ND_TMP/ctl.err")
	RC=$?
	ERR=$(cat "$ND_TMP/ctl.err")
}

log "=== without --control-token: control from loopback only"
nn_start_nodedns
if log_has_after 0 "control: debug listener $NN_DEBUG is not loopback and no --control-token is given"; then
	pass "start-up says who may send control requests"
else
	fail "no start-up line about control from loopback only"
fi
pod_ctl status
assert_eq "status from a pod: exit status" 0 "$RC"
assert_contains "status from a pod: the debug listener" "$OUT" "debug $NN_DEBUG"
pod_ctl flush --all
assert_eq "flush from a pod (not loopback): exit status (HTTP 403)" 2 "$RC"
assert_contains "flush from a pod: why" "$ERR" "loopback peers only"
pod_ctl log-level debug
assert_eq "log-level from a pod: exit status (HTTP 403)" 2 "$RC"
pod_ctl reload
assert_eq "reload from a pod: exit status (HTTP 403)" 2 "$RC"
# the node itself reaching the node address is no loopback peer either
out=$(nn_node "$CTL" --server "http://$NN_DEBUG" flush --all 2>&1)
assert_eq "flush from the node to its own address: exit status" 2 "$?"
assert_contains "flush from the node address: why" "$out" "loopback peers only"
if log_has_after 0 "control: POST /control/flush from $POD_IP refused: control requests are taken from loopback peers only"; then
	pass "the refusal is logged with the pod's address"
else
	fail "no log line naming the refused peer $POD_IP"
fi
code=$(nn_pod pod1 curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$NN_HTTP/debug/services")
assert_eq "/debug/services on the metrics listener from a pod: 404" 404 "$code"
stop_nodedns

log "=== with --control-token"
TOKEN="$ND_TMP/control.token"
printf 'pod-secret-%s\n' "$$" >"$TOKEN"
printf 'nope\n' >"$ND_TMP/wrong.token"
nn_start_nodedns --control-token "$TOKEN"
pod_ctl flush --all
assert_eq "flush from a pod without the token: exit status (HTTP 401)" 2 "$RC"
pod_ctl --control-token "$ND_TMP/wrong.token" flush --all
assert_eq "flush from a pod with a wrong token: exit status (HTTP 403)" 2 "$RC"
pod_ctl --control-token "$TOKEN" flush --all
assert_eq "flush from a pod with the token: exit status" 0 "$RC"
assert_match "flush from a pod with the token: output" "$OUT" '^flushed [0-9]+ cached answers? of every name'
pod_ctl --control-token "$TOKEN" log-level info
assert_eq "log-level from a pod with the token: exit status" 0 "$RC"

nd_done
