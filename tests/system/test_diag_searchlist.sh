#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_diag_searchlist.sh - the search-list (ndots) tracker seen
# from a real client: glibc's getaddrinfo (getent ahosts) in a pod netns
# whose resolv.conf is kubelet's (ndots:5, three cluster search domains),
# against nodedns in the node netns. tcpdump on the node's bridge counts the
# queries independently; the chain nodedns logs, /debug/searchlist,
# nodednsctl searchlist and the nodedns_searchlist_* metrics must all agree
# with the capture.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_netns.sh"

POD_IP=169.254.30.2
CTL="$ND_BUILDDIR/nodednsctl"

nn_setup
nn_add_pod pod1 shop "$POD_IP"
nn_start_upstream
nn_start_nodedns

# field LINE KEY: the value of key=value in a searchlist log line
# (answered_by "." is the absolute name)
field() {
	printf '%s\n' "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"
}

# lookup BASE EXPECT_ADDR EXPECT_ANSWERED_BY(name in the capture) LOG_ANSWERED_BY
lookup() {
	local base=$1 addr=$2 want_ans=$3 log_ans=$4
	local c0 w0 q0 out rc counts nq nw ans line nlines0 json

	c0=$(metric nodedns_searchlist_chains_total)
	w0=$(metric nodedns_searchlist_wasted_queries_total)
	q0=$(metric nodedns_searchlist_queries_total)
	nlines0=$(grep -c "searchlist: chain .* name=$base " "$ND_LOG" || true)

	nn_capture_start
	out=$(nn_pod pod1 timeout 20 getent ahosts "$base" 2>&1)
	rc=$?
	# the report waits for the last type, at most the tracker's idle 2 s
	poll_until 5000 eval '[ "$(grep -c "searchlist: chain .* name=$base " "$ND_LOG")" -gt "$nlines0" ]' ||
		true
	nn_capture_stop

	assert_eq "getent ahosts $base exit status" 0 "$rc"
	assert_contains "getent ahosts $base output" "$out" "$addr"

	counts=$(nn_chain_counts "$POD_IP" "$base")
	read -r nq nw ans <<<"$counts"
	log "tcpdump saw for $base: queries=$nq wasted=$nw answered by $ans"
	nn_dns_summary "$POD_IP" | sed 's/^/    | /'
	assert_eq "$base: the candidate that answered (tcpdump)" "$want_ans" "$ans"
	assert_cmp "$base: queries seen by tcpdump" "$nq" -ge 4

	line=$(grep "searchlist: chain .* name=$base " "$ND_LOG" | tail -n 1)
	if [ -z "$line" ]; then
		fail "$base: no 'searchlist: chain' line in the log"
		return
	fi
	log "log: $line"
	assert_eq "$base: log client" "$POD_IP" "$(field "$line" client)"
	assert_eq "$base: log namespace" shop "$(field "$line" namespace)"
	assert_eq "$base: log name (as typed)" "$base" "$(field "$line" name)"
	assert_eq "$base: log queries = tcpdump's count" "$nq" "$(field "$line" queries)"
	assert_eq "$base: log wasted = tcpdump's count" "$nw" "$(field "$line" wasted)"
	assert_eq "$base: log answered_by" "$log_ans" "$(field "$line" answered_by)"
	assert_eq "$base: log pattern (A+AAAA from one socket, as tcpdump shows)" \
		parallel-a-aaaa "$(field "$line" pattern)"

	# /debug/searchlist: the name in top_names with the same counts
	json=$(nd_debug /debug/searchlist)
	assert_eq "$base: /debug/searchlist top_names entry (namespace chains wasted queries)" \
		"shop 1 $nw $nq" "$(printf '%s' "$json" | "$ND_PY" -c '
import json, sys
d = json.load(sys.stdin)
for e in d.get("top_names", []):
    if e.get("name") == sys.argv[1]:
        print(e.get("namespace"), e.get("chains"), e.get("wasted"), e.get("queries"))
        break
else:
    print("absent")' "$base")"

	assert_eq "$base: nodedns_searchlist_chains_total rise" 1 \
		"$(($(metric nodedns_searchlist_chains_total) - c0))"
	assert_eq "$base: nodedns_searchlist_wasted_queries_total rise" "$nw" \
		"$(($(metric nodedns_searchlist_wasted_queries_total) - w0))"
	assert_eq "$base: nodedns_searchlist_queries_total rise" "$nq" \
		"$(($(metric nodedns_searchlist_queries_total) - q0))"
	LAST_LINE=$line
}

log "=== an external name: every cluster suffix first, then the absolute name"
lookup api.example.com 192.0.2.10 api.example.com. "."
assert_eq "api.example.com: 8 queries (4 candidates x A+AAAA)" 8 "$(field "$LAST_LINE" queries)"
assert_eq "api.example.com: 6 wasted (3 cluster candidates x A+AAAA)" 6 "$(field "$LAST_LINE" wasted)"
advice=$(printf '%s\n' "$LAST_LINE" | sed -n 's/.* advice="\(.*\)"$/\1/p')
assert_match "api.example.com: advice names the FQDN or ndots" "$advice" "'api\.example\.com\.'|ndots"
# only the absolute name went upstream, once per type
assert_eq "upstream got api.example.com A once" 1 "$(nn_up_count api.example.com A)"
assert_eq "upstream got api.example.com AAAA once" 1 "$(nn_up_count api.example.com AAAA)"
assert_eq "upstream got no cluster candidate" 0 "$(grep -ci 'cluster\.local' "$NN_UP_LOG" || true)"

out=$(nn_node "$CTL" --server "http://$NN_DEBUG" searchlist 2>&1)
rc=$?
assert_eq "nodednsctl searchlist exit status" 0 "$rc"
assert_contains "nodednsctl searchlist" "$out" "api.example.com"
assert_contains "nodednsctl searchlist" "$out" "shop"
out=$(nn_node "$CTL" --server "http://$NN_DEBUG" -o json searchlist 2>&1)
assert_contains "nodednsctl -o json searchlist" "$out" '"api.example.com"'

log "=== a Service in another namespace: answered by the 2nd candidate"
lookup trace-svc.default 10.96.10.10 trace-svc.default.svc.cluster.local. svc.cluster.local
assert_eq "trace-svc.default: 4 queries" 4 "$(field "$LAST_LINE" queries)"
assert_eq "trace-svc.default: 2 wasted" 2 "$(field "$LAST_LINE" wasted)"
assert_contains "trace-svc.default: advice" "$LAST_LINE" "trace-svc.default.svc.cluster.local."

log "=== a name of the pod's own namespace: first candidate, no chain"
c0=$(metric nodedns_searchlist_chains_total)
out=$(nn_pod pod1 timeout 20 getent ahosts inventory 2>&1)
assert_contains "getent ahosts inventory" "$out" 10.96.20.20
log "=== a fully qualified name (trailing dot): no chain"
out=$(nn_pod pod1 timeout 20 getent ahosts api.example.com. 2>&1)
assert_contains "getent ahosts api.example.com." "$out" 192.0.2.10
# No chain may be reported once every open one has ended (idle): wait for
# that fact, then count.
no_open_chain() { [ "$(metric nodedns_searchlist_open_chains)" = 0 ]; }
poll_until 10000 no_open_chain || fail "chains still open after 10 s: $(metric nodedns_searchlist_open_chains)"
assert_eq "no chain for a first-candidate or absolute lookup" "$c0" "$(metric nodedns_searchlist_chains_total)"

nd_done
