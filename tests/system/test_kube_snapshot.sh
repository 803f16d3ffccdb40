#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_kube_snapshot.sh - --kube-snapshot with the demo cluster
# (deploy/demo/cluster.json): every Service answers as expected; SIGHUP
# with a changed file swaps the state while queries keep being answered;
# a broken file at start is a start-up error naming the file; a broken or
# missing file on SIGHUP keeps the old state serving.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kube.sh"

DEMO="$ND_SRCDIR/deploy/demo/cluster.json"
[ -f "$DEMO" ] || die "$DEMO not found"
SVC="svc.$ZONE"
SNAP="$ND_TMP/cluster.json"
cp "$DEMO" "$SNAP"

# the changed copy: shop/inventory removed, shop/checkout added,
# data/cassandra-2 ready
"$ND_PY" - "$DEMO" "$ND_TMP/changed.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["items"] = [i for i in d["items"]
              if not (i["metadata"].get("namespace") == "shop" and
                      i["metadata"]["name"].startswith("inventory"))]
for i in d["items"]:
    if i["kind"] == "EndpointSlice" and i["metadata"]["name"].startswith("cassandra"):
        for e in i["endpoints"]:
            e["conditions"] = {"ready": True, "serving": True, "terminating": False}
d["items"].append({"kind": "Service", "apiVersion": "v1",
                   "metadata": {"name": "checkout", "namespace": "shop"},
                   "spec": {"type": "ClusterIP", "clusterIP": "10.96.40.40", "clusterIPs": ["10.96.40.40"],
                            "ports": [{"name": "http", "protocol": "TCP", "port": 80}]}})
json.dump(d, open(sys.argv[2], "w"), indent=1)
EOF

# swap_to FILE: replace the snapshot atomically (as a ConfigMap update does)
swap_to() {
	cp "$1" "$SNAP.tmp"
	mv -f "$SNAP.tmp" "$SNAP"
}

demo_state() { # the demo file is served
	answer_is "inventory.shop.$SVC" A 10.96.20.20 &&
		rcode_is "checkout.shop.$SVC" A NXDOMAIN &&
		answer_is "cassandra.data.$SVC" A 10.244.1.31 10.244.2.32
}
changed_state() { # the changed file is served
	rcode_is "inventory.shop.$SVC" A NXDOMAIN &&
		answer_is "checkout.shop.$SVC" A 10.96.40.40 &&
		answer_is "cassandra.data.$SVC" A 10.244.1.31 10.244.2.32 10.244.3.33
}

# --- the demo cluster -------------------------------------------------------------
start_nodedns --upstream 127.0.0.1:9 --kube-snapshot "$SNAP"
wait_ready 50 || fail "/ready not 200 with a snapshot (got $(nd_http_code /ready))"

# default/trace-svc: ClusterIP, 2 ready backends: the cluster IP
k_expect "trace-svc.default.$SVC" A NOERROR
assert_eq "trace-svc A" 10.96.10.10 "$(k_rdata "$K_OUT" "trace-svc.default.$SVC" A)"
assert_match "trace-svc flags (aa)" " $(flags_of "$K_OUT") " " aa "
k_expect "_http._tcp.trace-svc.default.$SVC" SRV NOERROR \
	ANSWER "_http._tcp.trace-svc.default.$SVC." SRV "0 100 80 trace-svc.default.$SVC." \
	ADDITIONAL "trace-svc.default.$SVC." A 10.96.10.10
k_expect "10.10.96.10.in-addr.arpa" PTR NOERROR ANSWER "10.10.96.10.in-addr.arpa." PTR "trace-svc.default.$SVC."

# shop/inventory: ClusterIP with 0 ready endpoints still answers
k_expect "inventory.shop.$SVC" A NOERROR
assert_eq "inventory A (no ready endpoints)" 10.96.20.20 "$(k_rdata "$K_OUT" "inventory.shop.$SVC" A)"

# data/cassandra: headless, cassandra-0/1 ready, cassandra-2 not
k_expect "cassandra.data.$SVC" A NOERROR
assert_eq "cassandra A (ready only)" "10.244.1.31 10.244.2.32" "$(k_rdata "$K_OUT" "cassandra.data.$SVC" A)"
k_expect "cassandra-0.cassandra.data.$SVC" A NOERROR ANSWER "cassandra-0.cassandra.data.$SVC." A 10.244.1.31
k_expect "cassandra-1.cassandra.data.$SVC" A NOERROR ANSWER "cassandra-1.cassandra.data.$SVC." A 10.244.2.32
k_expect "cassandra-2.cassandra.data.$SVC" A NXDOMAIN AUTHORITY "$ZONE." SOA ""
out=$(q "_cql._tcp.cassandra.data.$SVC" SRV)
assert_eq "cassandra SRV targets" \
	"9042 cassandra-0.cassandra.data.$SVC. 9042 cassandra-1.cassandra.data.$SVC." \
	"$(section_of "$out" ANSWER | awk '$4 == "SRV" { print $7, tolower($8) }' | sort | paste -sd' ' -)"
k_expect "31.1.244.10.in-addr.arpa" PTR NOERROR ANSWER "31.1.244.10.in-addr.arpa." PTR "cassandra-0.cassandra.data.$SVC."

# shop/payments-api: ExternalName
k_expect "payments-api.shop.$SVC" CNAME NOERROR ANSWER "payments-api.shop.$SVC." CNAME payments.example.com.

# default/frontend: dual stack
k_expect "frontend.default.$SVC" A NOERROR
assert_eq "frontend A" 10.96.30.30 "$(k_rdata "$K_OUT" "frontend.default.$SVC" A)"
k_expect "frontend.default.$SVC" AAAA NOERROR
assert_eq "frontend AAAA" fd00:10:96::30 "$(k_rdata "$K_OUT" "frontend.default.$SVC" AAAA)"

# kube-system/kube-dns: no EndpointSlice at all
k_expect "kube-dns.kube-system.$SVC" A NOERROR ANSWER "kube-dns.kube-system.$SVC." A 10.96.0.10
k_expect "_dns._udp.kube-dns.kube-system.$SVC" SRV NOERROR \
	ANSWER "_dns._udp.kube-dns.kube-system.$SVC." SRV "0 100 53 kube-dns.kube-system.$SVC."

assert_eq "nodedns_kube_services" 6 "$(metric nodedns_kube_services)"
assert_eq "nodedns_kube_endpoints{state=ready}" 6 "$(metric_l nodedns_kube_endpoints 'state="ready"')"
assert_eq "nodedns_kube_endpoints{state=not_ready}" 3 "$(metric_l nodedns_kube_endpoints 'state="not_ready"')"

# reload_done_or_gone N: the log has the reload's last line ("reloaded" or
# "reload failed") after its first N lines, or the daemon exited.
reload_done_or_gone() { log_has_after "$1" 'config: reload(ed|failed)' || pid_gone "$ND_PID"; }

# --- SIGHUP swaps the state, no query fails meanwhile ---------------------------
log "=== SIGHUP reloads, queries polled every 20 ms"
if have_pid; then
	start_poller "trace-svc.default.$SVC" A
	poll_until 5000 poller_lines_at_least 5 || fail "the poller got no 5 replies within 5 s"
	for i in 1 2 3 4 5 6; do
		if [ $((i % 2)) = 1 ]; then f="$ND_TMP/changed.json" check=changed_state; else f="$DEMO" check=demo_state; fi
		swap_to "$f"
		kill -HUP "$ND_PID"
		if poll_until 5000 "$check"; then
			pass "reload $i ($(basename "$f")): new state served after ${POLL_MS} ms"
		else
			fail "reload $i ($(basename "$f")): state not swapped within 5 s"
			for n in inventory.shop checkout.shop cassandra.data; do
				q "$n.$SVC" A | grep -E 'status:|IN.A' | sed 's/^/    | /'
			done
		fi
	done
	poller_wait_more 5 || fail "the poller got no 5 more replies within 10 s"
	stop_poller
	log "poller: $POLL_TOTAL queries during 6 reloads, $POLL_BAD not NOERROR with an answer"
	assert_cmp "queries polled during the reloads" "$POLL_TOTAL" -ge 10
	assert_eq "failed polls during the reloads" 0 "$POLL_BAD"
	[ "$POLL_BAD" = 0 ] || sort "$POLL_LOG" | uniq -c | sed 's/^/    | /'
	# the last reload was the demo file; go to the changed one for what follows
	swap_to "$ND_TMP/changed.json"
	kill -HUP "$ND_PID"
	poll_until 5000 changed_state || fail "changed state not served after the last reload"
	assert_eq "nodedns_kube_services after reload" 6 "$(metric nodedns_kube_services)"
	assert_eq "nodedns_kube_endpoints{state=ready} after reload" 7 "$(metric_l nodedns_kube_endpoints 'state="ready"')"

	# --- a broken file, a missing file on SIGHUP: the old state stays ---------
	for kind in broken truncated missing; do
		log "=== SIGHUP with a $kind file"
		lines=$(wc -l <"$ND_LOG")
		case $kind in
		broken) printf '{ "kind": "List", "items": [ this is not json\n' >"$SNAP.tmp" && mv -f "$SNAP.tmp" "$SNAP" ;;
		truncated) head -c 700 "$ND_TMP/changed.json" >"$SNAP.tmp" && mv -f "$SNAP.tmp" "$SNAP" ;;
		missing) rm -f "$SNAP" ;;
		esac
		start_poller "checkout.shop.$SVC" A
		poll_until 5000 poller_lines_at_least 1 || fail "[$kind] the poller got no reply within 5 s"
		kill -HUP "$ND_PID"
		# the reload is over when it says so; then polls go on after it
		poll_until 5000 reload_done_or_gone "$lines" || fail "[$kind] no reload logged within 5 s"
		poller_wait_more 5 || fail "[$kind] the poller got no 5 more replies within 10 s"
		stop_poller
		assert_eq "[$kind] polls that failed after the SIGHUP" 0 "$POLL_BAD"
		if kill -0 "$ND_PID" 2>/dev/null; then
			pass "[$kind] nodedns still running"
		else
			fail "[$kind] nodedns exited on SIGHUP with a $kind snapshot"
			break
		fi
		poll_until 100 changed_state && pass "[$kind] the old state is still served" ||
			fail "[$kind] the old state is no longer served"
		k_expect "trace-svc.default.$SVC" A NOERROR ANSWER "trace-svc.default.$SVC." A 10.96.10.10
		msg=$(tail -n +"$((lines + 1))" "$ND_LOG")
		printf '%s\n' "$msg" | grep -iE 'error|warn' | sed 's/^/    log: /'
		assert_contains "[$kind] the log names the snapshot file" "$msg" "$SNAP"
	done
	# a good file again is loaded
	swap_to "$DEMO"
	kill -HUP "$ND_PID"
	if poll_until 5000 demo_state; then
		pass "a good file after the broken ones is loaded (${POLL_MS} ms)"
	else
		fail "the demo file after the broken ones was not loaded"
	fi
fi
stop_nodedns

# --- a broken or missing snapshot at start: exit non-zero, file named ------------
for kind in broken missing; do
	bad="$ND_TMP/bad-$kind.json"
	[ "$kind" = broken ] && printf '{"kind":"List","items":[{"kind":"Service",' >"$bad"
	p=$(free_port)
	hp=$(free_port)
	timeout 10 "$ND_BUILDDIR/nodedns" --listen "127.0.0.1:$p" --http-listen "127.0.0.1:$hp" \
		--debug-listen "127.0.0.1:$(free_port)" \
		--resolv-conf /dev/null --threads 1 --upstream 127.0.0.1:9 --kube-snapshot "$bad" \
		>"$ND_TMP/start-$kind.out" 2>"$ND_TMP/start-$kind.err" </dev/null
	rc=$?
	err=$(cat "$ND_TMP/start-$kind.err")
	printf '%s\n' "$err" | tail -n 5 | sed 's/^/    stderr: /'
	if [ "$rc" = 124 ]; then
		fail "[start, $kind snapshot] nodedns kept running (killed after 10 s); expected a non-zero exit"
	else
		assert_ne "[start, $kind snapshot] exit status" 0 "$rc"
	fi
	assert_contains "[start, $kind snapshot] stderr names the file" "$err" "$bad"
done

nd_done
