#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_diag_signals.sh - the signs of blocked DNS, each caused for
# real: pods in network namespaces (glibc getent, dig) ask nodedns in the
# node netns, and nftables rules drop what a NetworkPolicy or firewall
# would drop. tcpdump on the node's bridge shows what the clients really
# sent; the nodedns_signal_* counters, the forward failure metrics, the
# "signals" log lines, the Extended DNS Errors dig prints and nodednsctl
# explain must tell the story.
#   a. replies dropped on the way to the pod -> client retransmits
#   b. TCP 53 blocked in the pod -> truncated answer without TCP retry
#      (and the control: TCP allowed -> tc_followed)
#   c. the upstream behind a DROP rule -> SERVFAIL + EDE 22, reason timeout;
#      a stale answer meanwhile -> EDE 3
#   d. an upstream that answers REFUSED -> reason refused
#   e. a Service without ready endpoints -> no_ready_endpoints, explain
#   f. the first AAAA reply lost -> glibc's 5 s resend -> conntrack race
#   g. a pod outside --allow -> REFUSED + EDE 18
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_netns.sh"

POD_IP=169.254.30.2
OUT_IP=169.254.31.2 # outside --allow (169.254.30.0/24)
CTL="$ND_BUILDDIR/nodednsctl"
QT_MS=1500

nn_setup
nn_add_pod pod1 shop "$POD_IP"
nn_add_pod outsider shop "$OUT_IP"
nn_start_upstream
nn_start_nodedns --upstream-timeout 500 --query-timeout "$QT_MS"
POD_NS="$NN_TAG-pod1"

T0=
begin() {
	T0=$(now_ms)
	log "=== $*"
}
end() { log "    (took $(($(now_ms) - T0)) ms)"; }

# pdig ARGS...: dig from pod1 to nodedns
pdig() { nn_pod pod1 dig @"$NN_NODE_IP" "$@" 2>&1; }

# log_since N ERE: the log lines after the first N that match ERE
log_since() { tail -n +"$(($1 + 1))" "$ND_LOG" | grep -E -- "$2" || true; }

# nft_dropped NETNS: packets counted by the rules of table ndtest
nft_dropped() {
	ip netns exec "$1" nft list table inet ndtest 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

# nft_dropped_ge NETNS N: the rules of table ndtest counted N packets or more.
nft_dropped_ge() { [ "$(nft_dropped "$1")" -ge "$2" ]; }

# flush_after NETNS N: in the background, delete table ndtest of NETNS once
# its counters reach N packets (10 s at most). PID in FLUSH_PID.
flush_after() {
	local ns=$1 n=$2
	(
		poll_until 10000 nft_dropped_ge "$ns" "$n" || true
		nn_nft_flush "$ns"
	) &
	FLUSH_PID=$!
	nd_track "$FLUSH_PID"
}
# flush_wait: until the background flush is done (12 s at most).
flush_wait() {
	poll_until 12000 pid_gone "$FLUSH_PID" || log "flush_after still running after 12 s"
	nd_kill "$FLUSH_PID"
}

DROP_REPLIES='table inet ndtest {
	chain in {
		type filter hook input priority 0;
		ip saddr 169.254.20.10 udp sport 53 counter drop
	}
}'

# --- a. replies dropped: the client asks again ----------------------------------
begin "a. nodedns's UDP replies dropped in the pod: glibc resends"
r0=$(metric nodedns_signal_client_retransmits_total)
c0=$(metric nodedns_signal_conntrack_race_total)
n0=$(log_lines)
nn_capture_start
nn_nft "$POD_NS" "$DROP_REPLIES"
flush_after "$POD_NS" 2 # the first A and AAAA replies
# timeout:1 so that the resend comes after 1 s (the 5 s default is the
# conntrack race's story, tested in f.)
out=$(nn_pod pod1 env RES_OPTIONS="timeout:1 attempts:3" timeout 20 getent ahosts retx.example.com. 2>&1)
rc=$?
flush_wait
nn_capture_stop
assert_eq "a: getent exit status (answered on a resend)" 0 "$rc"
assert_contains "a: getent output" "$out" 192.0.2.50
summary=$(nn_dns_summary "$POD_IP")
printf '%s\n' "$summary" | sed 's/^/    | /'
# what tcpdump saw: the same (port, ID, type) sent more than once
resent=$(printf '%s\n' "$summary" | awk '{ k = $1 " " $5 " " $6; if (seen[k]++) n++ } END { print n + 0 }')
assert_cmp "a: tcpdump: queries glibc resent with the same port and ID" "$resent" -ge 1
assert_cmp "a: nodedns_signal_client_retransmits_total rise" \
	"$(($(metric nodedns_signal_client_retransmits_total) - r0))" -eq "$resent"
assert_eq "a: no conntrack race for a 1 s resend" "$c0" "$(metric nodedns_signal_conntrack_race_total)"
line=$(log_since "$n0" "signals: client $POD_IP:[0-9]+ asked retx\.example\.com\. A+ again")
assert_contains "a: log line" "$line" "our answer probably did not reach the pod"
end

begin "a'. dig +tries=2 +time=1 after a lost reply (how dig resends)"
r0=$(metric nodedns_signal_client_retransmits_total)
nn_capture_start
nn_nft "$POD_NS" "$DROP_REPLIES"
flush_after "$POD_NS" 1
out=$(pdig +tries=2 +time=1 api.example.com A)
flush_wait
nn_capture_stop
assert_eq "a': dig got the answer on its second try" NOERROR "$(rcode_of "$out")"
summary=$(nn_dns_summary "$POD_IP")
printf '%s\n' "$summary" | sed 's/^/    | /'
ids=$(printf '%s\n' "$summary" | awk '{ print $6 }' | sort -u | wc -l)
ports=$(printf '%s\n' "$summary" | awk '{ print $5 }' | sort -u | wc -l)
tries=$(printf '%s\n' "$summary" | grep -c . || true)
# dig (9.18) keeps the ID but sends each try from a new socket; nodedns
# matches repeats on (address, port, ID, question), so it cannot tell
# dig's resend from a new query. Recorded, not asserted.
log "a': dig sent $tries queries with $ids distinct ID(s) from $ports distinct port(s);" \
	"nodedns_signal_client_retransmits_total rose by $(($(metric nodedns_signal_client_retransmits_total) - r0))"
assert_eq "a': dig resent (tcpdump: 2 queries)" 2 "$tries"
end

# --- b. truncated answers and TCP ---------------------------------------------
begin "b. a truncated answer followed over TCP (control)"
f0=$(metric nodedns_signal_tc_followed_total)
w0=$(metric nodedns_signal_tc_without_tcp_total)
out=$(pdig +tries=1 +time=3 big.example.com TXT)
assert_eq "b: dig big TXT over TCP rcode" NOERROR "$(rcode_of "$out")"
assert_contains "b: dig retried over TCP" "$out" "Truncated, retrying in TCP mode"
poll_until 3000 metric_ge nodedns_signal_tc_followed_total $((f0 + 1)) || true
assert_eq "b: nodedns_signal_tc_followed_total rise" 1 "$(($(metric nodedns_signal_tc_followed_total) - f0))"
end

begin "b. TCP 53 blocked in the pod: truncated, no TCP retry"
n0=$(log_lines)
nn_nft "$POD_NS" 'table inet ndtest {
	chain out {
		type filter hook output priority 0;
		ip daddr 169.254.20.10 tcp dport 53 counter drop
	}
}'
nn_capture_start
out=$(pdig +tries=1 +time=2 big.example.com TXT)
nn_capture_stop
assert_contains "b: dig saw the truncated answer" "$out" "Truncated, retrying in TCP mode"
assert_ne "b: dig got no answer over TCP" NOERROR "$(rcode_of "$out")"
tc_seen=$(tcpdump -r "$NN_PCAP" -n 'udp and src host 169.254.20.10' 2>/dev/null | grep -cE ': [0-9]+[^ ]*\| ' || true)
syn_seen=$(tcpdump -r "$NN_PCAP" -n "tcp and src host $POD_IP" 2>/dev/null | grep -c . || true)
assert_cmp "b: tcpdump: a truncated UDP answer (flag |)" "$tc_seen" -ge 1
assert_eq "b: tcpdump: no TCP packet from the pod reached the node" 0 "$syn_seen"
assert_cmp "b: the pod's rule dropped the TCP attempt" "$(nft_dropped "$POD_NS")" -ge 1
nn_nft_flush "$POD_NS"
# decided tc-window (3 s) + lag (5 s) after the answer
if poll_until 12000 metric_ge nodedns_signal_tc_without_tcp_total $((w0 + 1)); then
	pass "b: nodedns_signal_tc_without_tcp_total rose after $POLL_MS ms"
else
	fail "b: nodedns_signal_tc_without_tcp_total did not rise within 12 s"
fi
assert_eq "b: tc_followed unchanged" 1 "$(($(metric nodedns_signal_tc_followed_total) - f0))"
line=$(log_since "$n0" "signals: client $POD_IP got a truncated UDP answer for big\.example\.com\. TXT")
assert_contains "b: log line" "$line" "TCP port 53 is probably blocked"
end

# --- c. the upstream behind a DROP rule -----------------------------------------
begin "c. the upstream behind a DROP rule in the node netns"
out=$(pdig +tries=1 +time=3 stale.example.com A) # cached now, TTL 1
assert_eq "c: stale.example.com first answer" NOERROR "$(rcode_of "$out")"
t0=$(metric_l nodedns_forward_failures_total 'reason="timeout"')
s0=$(metric_l nodedns_signal_upstream_failures_total 'outcome="timeout"')
st0=$(metric nodedns_cache_stale_total)
n0=$(log_lines)
# the upstream's input: our packets leave, nothing comes back (a firewall
# on the path; a DROP in this node's own OUTPUT chain is case c'.)
nn_nft "$NN_NODE" "table inet ndtest {
	chain in {
		type filter hook input priority 0;
		ip daddr 127.0.0.1 udp dport $NN_UP_PORT counter drop
		ip daddr 127.0.0.1 tcp dport $NN_UP_PORT counter drop
	}
}"
q0=$(now_ms)
out=$(pdig +tries=1 +time=5 drop.example.com A)
took=$(($(now_ms) - q0))
assert_eq "c: a forwarded name gets SERVFAIL" SERVFAIL "$(rcode_of "$out")"
assert_cmp "c: SERVFAIL within --query-timeout (+500 ms)" "$took" -le $((QT_MS + 500))
assert_match "c: dig shows EDE 22" "$out" 'EDE: 22 \(No Reachable Authority\)'
assert_cmp "c: nodedns_forward_failures_total{reason=timeout} rise" \
	"$(($(metric_l nodedns_forward_failures_total 'reason="timeout"') - t0))" -ge 1
assert_cmp "c: nodedns_signal_upstream_failures_total{outcome=timeout} rise" \
	"$(($(metric_l nodedns_signal_upstream_failures_total 'outcome="timeout"') - s0))" -ge 1
line=$(log_since "$n0" "signals: upstream 127\.0\.0\.1:$NN_UP_PORT gave no answer in time")
assert_contains "c: log line" "$line" "packets are dropped, by an egress NetworkPolicy or a firewall"
# meanwhile a cached answer, once expired, is served stale with EDE 3:
# ask until it is (a cache hit before that, the stale answer after)
is_stale() { out=$(pdig +tries=1 +time=5 stale.example.com A); [ "$(section_of "$out" ANSWER | awk '$4 == "A" { print $2 }')" = 30 ]; }
poll_until 10000 is_stale || fail "c: no stale answer for stale.example.com within 10 s"
assert_eq "c: expired answer served stale" NOERROR "$(rcode_of "$out")"
assert_eq "c: stale answer (rdata, TTL)" "192.0.2.30 30" \
	"$(section_of "$out" ANSWER | awk '$4 == "A" { print $5, $2 }')"
assert_match "c: dig shows EDE 3" "$out" 'EDE: 3 \(Stale Answer\)'
assert_eq "c: nodedns_cache_stale_total rise" 1 "$(($(metric nodedns_cache_stale_total) - st0))"
nn_nft_flush "$NN_NODE"
end

begin "c'. a DROP rule in the node's own OUTPUT chain (sendto fails with EPERM)"
t0=$(metric_l nodedns_forward_failures_total 'reason="network"')
n0=$(log_lines)
nn_nft "$NN_NODE" "table inet ndtest {
	chain out {
		type filter hook output priority 0;
		ip daddr 127.0.0.1 udp dport $NN_UP_PORT counter drop
		ip daddr 127.0.0.1 tcp dport $NN_UP_PORT counter drop
	}
}"
out=$(pdig +tries=1 +time=5 drop2.example.com A)
assert_eq "c': SERVFAIL" SERVFAIL "$(rcode_of "$out")"
assert_match "c': dig shows EDE 23" "$out" 'EDE: 23 \(Network Error\)'
assert_cmp "c': nodedns_forward_failures_total{reason=network} rise" \
	"$(($(metric_l nodedns_forward_failures_total 'reason="network"') - t0))" -ge 1
line=$(log_since "$n0" "signals: upstream 127\.0\.0\.1:$NN_UP_PORT is unreachable")
assert_contains "c': log line" "$line" "a firewall rejects the packets"
nn_nft_flush "$NN_NODE"
end

# --- d. an upstream that answers REFUSED ----------------------------------------
begin "d. the upstream answers REFUSED"
t0=$(metric_l nodedns_forward_failures_total 'reason="refused"')
s0=$(metric_l nodedns_signal_upstream_failures_total 'outcome="refused"')
n0=$(log_lines)
out=$(pdig +tries=1 +time=5 www.refused.test A)
assert_eq "d: unbound really refused (its log)" 1 "$(nn_up_count www.refused.test A)"
assert_ne "d: rcode to the pod is not NOERROR" NOERROR "$(rcode_of "$out")"
log "d: nodedns answered $(rcode_of "$out") ($(printf '%s\n' "$out" | grep 'EDE' || echo 'no EDE'))"
assert_cmp "d: nodedns_forward_failures_total{reason=refused} rise" \
	"$(($(metric_l nodedns_forward_failures_total 'reason="refused"') - t0))" -ge 1
assert_cmp "d: nodedns_signal_upstream_failures_total{outcome=refused} rise" \
	"$(($(metric_l nodedns_signal_upstream_failures_total 'outcome="refused"') - s0))" -ge 1
line=$(log_since "$n0" "signals: upstream 127\.0\.0\.1:$NN_UP_PORT answered REFUSED")
assert_contains "d: log line" "$line" "ACL on 127.0.0.1:$NN_UP_PORT"
end

# --- e. a Service without ready endpoints ----------------------------------------
begin "e. shop/inventory: two pods, none ready"
e0=$(metric nodedns_signal_no_ready_endpoints_total)
n0=$(log_lines)
out=$(nn_pod pod1 timeout 20 getent ahosts inventory 2>&1)
assert_contains "e: getent ahosts inventory (DNS works)" "$out" 10.96.20.20
assert_cmp "e: nodedns_signal_no_ready_endpoints_total rise" \
	"$(($(metric nodedns_signal_no_ready_endpoints_total) - e0))" -ge 1
line=$(log_since "$n0" "signals: inventory\.shop\.svc\.cluster\.local\. \(A, asked by $POD_IP")
assert_contains "e: log line" "$line" "has no ready endpoints"
assert_contains "e: log line" "$line" "check the Service's selector"
assert_contains "e: log line" "$line" "readiness"
out=$(nn_node "$CTL" --server "http://$NN_DEBUG" explain inventory.shop.svc.cluster.local --client "$POD_IP" 2>&1)
rc=$?
assert_eq "e: nodednsctl explain exit status (verdict: failure)" 3 "$rc"
assert_contains "e: nodednsctl explain" "$out" "shop/inventory"
assert_contains "e: nodednsctl explain names readiness" "$out" "readiness"
out=$(nn_node "$CTL" --server "http://$NN_DEBUG" explain trace-svc.default.svc.cluster.local --client "$POD_IP" 2>&1)
assert_eq "e: nodednsctl explain of a Service with ready endpoints exits 0" 0 "$?"
end

# --- f. the conntrack race: the first AAAA reply lost -------------------------------
begin "f. the first AAAA reply dropped: glibc's 5 s resend from the same socket"
r0=$(metric nodedns_signal_client_retransmits_total)
c0=$(metric nodedns_signal_conntrack_race_total)
n0=$(log_lines)
# the qtype of the reply's question: UDP header 8 + DNS header 12 + the
# wire name race.example.com. (18) = byte 38, bit 304
nn_nft "$POD_NS" 'table inet ndtest {
	chain in {
		type filter hook input priority 0;
		ip saddr 169.254.20.10 udp sport 53 @th,304,16 0x001c counter drop
	}
}'
flush_after "$POD_NS" 1
nn_capture_start
q0=$(now_ms)
out=$(nn_pod pod1 timeout 20 getent ahosts race.example.com. 2>&1)
rc=$?
took=$(($(now_ms) - q0))
flush_wait
nn_capture_stop
summary=$(nn_dns_summary "$POD_IP")
printf '%s\n' "$summary" | sed 's/^/    | /'
assert_eq "f: getent exit status" 0 "$rc"
assert_contains "f: getent got the AAAA in the end" "$out" 2001:db8::40
assert_cmp "f: the lookup took glibc's 5 s timeout (ms)" "$took" -ge 4500
same=$(printf '%s\n' "$summary" | awk '$1 == "AAAA" { k = $5 " " $6; if (seen[k]++) n++ } END { print n + 0 }')
assert_eq "f: tcpdump: AAAA resent with the same port and ID" 1 "$same"
assert_cmp "f: nodedns_signal_conntrack_race_total rise" \
	"$(($(metric nodedns_signal_conntrack_race_total) - c0))" -ge 1
assert_cmp "f: races count as retransmits too" \
	"$(($(metric nodedns_signal_client_retransmits_total) - r0))" -ge 1
line=$(log_since "$n0" "signals: client $POD_IP:[0-9]+ asked race\.example\.com\. AAAA again")
assert_contains "f: log line" "$line" "conntrack race"
assert_contains "f: log line names single-request-reopen" "$line" "single-request-reopen"
assert_contains "f: log line names use-vc" "$line" "use-vc"
assert_contains "f: log line names NOTRACK" "$line" "NOTRACK"
end

# --- g. a pod outside --allow --------------------------------------------------------
begin "g. a pod outside --allow"
out=$(nn_pod outsider dig @"$NN_NODE_IP" +tries=1 +time=3 api.example.com A 2>&1)
assert_eq "g: rcode" REFUSED "$(rcode_of "$out")"
assert_match "g: dig shows EDE 18" "$out" 'EDE: 18 \(Prohibited\)'
out=$(nn_pod outsider dig @"$NN_NODE_IP" +tries=1 +time=3 +noedns api.example.com A 2>&1)
assert_eq "g: rcode without EDNS" REFUSED "$(rcode_of "$out")"
assert_not_contains "g: no EDE without EDNS" "$out" "EDE"
end

nd_done
