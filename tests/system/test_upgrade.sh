#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_upgrade.sh - upgrades without losing a query and
# without a cold cache, on a node netns: nodedns A serves 169.254.20.10
# (node set-up on lo) with --control-socket; its cache holds 20 names.
# While a client (tests/system/dns_stream.py) sends a steady stream of
# queries (fixed rate, UDP and every 5th over TCP, bounded count), B starts
# with the same addresses and control socket, takes A's cache, and A gets
# SIGTERM: 0 queries lost or failed, A exits 0, the node set-up stays (B
# serves it), and B answered the 20 names without asking the upstream
# (unbound's query log: still one query per name, A's). Then C takes over
# from B and B is killed with SIGKILL: the queries lost are measured and
# reported, not asserted. C is killed too, leaving its socket file: D
# starts, finds nobody listening there (ECONNREFUSED), replaces it; D's
# lame duck (--lameduck-ms) answers after SIGTERM with /ready 503.
. "$(dirname "$0")/lib.sh"
NAMES=()
NN_UP_EXTRA=
for i in $(seq 1 20); do
	NAMES+=("n$i.example.com")
	NN_UP_EXTRA+="	local-data: \"n$i.example.com. 600 IN A 192.0.2.$((100 + i))\"
"
done
. "$(dirname "$0")/lib_netns.sh"
need unbound dig

LOCAL_IP=169.254.20.10
CTL="$ND_TMP/control.sock"
STREAM="$ND_SRCDIR/tests/system/dns_stream.py"
COUNT=${ND_UPGRADE_COUNT:-1500}
RATE=${ND_UPGRADE_RATE:-250}

ip netns add "$NN_NODE" || die "cannot create netns $NN_NODE"
NN_NETNS+=("$NN_NODE")
ip -n "$NN_NODE" link set lo up
nn_start_upstream
printf 'nameserver 127.0.0.1\n' >"$ND_TMP/resolv.conf"
# An upstream that never answers (bounded: 60 s): a question to it keeps
# the old nodedns draining for --query-timeout after SIGTERM, the window
# in which a datagram the kernel still gave its sockets would be lost.
SLOW_PORT=5399
nn_node "$ND_PY" -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", '$SLOW_PORT'))
time.sleep(60)' &
nd_track $!

# start_nd NAME HTTP_PORT [ARGS...]: a nodedns in the node netns; its pid in
# PID_<NAME>, its log in $ND_TMP/NAME.log
start_nd() {
	local name=$1 port=$2
	shift 2
	ip netns exec "$NN_NODE" "$ND_BUILDDIR/nodedns" --listen 127.0.0.1:53 \
		--http-listen "127.0.0.1:$port" --debug-listen "127.0.0.1:$((port + 100))" \
		--resolv-conf "$ND_TMP/resolv.conf" \
		--upstream "127.0.0.1:$NN_UP_PORT" --threads 2 \
		--node-local-ip $LOCAL_IP --node-interface lo --node-interface-shared on \
		--control-socket "$CTL" --forward-zone "slow.test=127.0.0.1:$SLOW_PORT" \
		--query-timeout 3000 "$@" >"$ND_TMP/$name.log" 2>&1 </dev/null &
	printf -v "PID_$name" '%s' $!
	nd_track $!
	log "nodedns $name (pid $!) on $LOCAL_IP, http 127.0.0.1:$port $*"
}
http_code() { nn_node curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$1$2"; }
is_ready() { [ "$(http_code "$1" /ready)" = 200 ]; }
ready_or_gone() { is_ready "$1" || pid_gone "$2"; }
metric_at() {
	nn_node curl -s --max-time 3 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}
metric_sum() {
	nn_node curl -s --max-time 3 "http://127.0.0.1:$1/metrics" |
		awk -v m="$2" 'index($1, m) == 1 && (substr($1, length(m) + 1, 1) == "{" || $1 == m) { s += $2 } END { printf "%d\n", s }'
}
log_has() { grep -qE -- "$2" "$ND_TMP/$1.log"; }
# (the client rewrites the file after each query: read empty, it is 0)
sent() {
	local n
	n=$(sed -n 's/^sent //p' "$ND_TMP/progress" 2>/dev/null)
	echo "${n:-0}"
}
sent_ge() { [ "$(sent)" -ge "$1" ]; }
exited_status() { # exited_status PID: wait for it (bounded by the caller's poll)
	wait "$1" 2>/dev/null
	echo $?
}

# stream_start: the client, in the background; result in $ND_TMP/stream.out
stream_start() {
	: >"$ND_TMP/progress"
	nn_node "$ND_PY" "$STREAM" $LOCAL_IP 53 "$COUNT" "$RATE" 5 "$ND_TMP/progress" \
		"${NAMES[@]}" >"$ND_TMP/stream.out" 2>"$ND_TMP/stream.err" &
	STREAM_PID=$!
	nd_track "$STREAM_PID"
}
stream_wait() {
	poll_until $((COUNT * 1000 / ${RATE%.*} + 30000)) pid_gone "$STREAM_PID" || die "the client did not finish"
	wait "$STREAM_PID" 2>/dev/null
	nd_forget "$STREAM_PID"
	STREAM_RESULT=$(cat "$ND_TMP/stream.out")
	log "client: $STREAM_RESULT"
	[ -s "$ND_TMP/stream.err" ] && sed 's/^/    client: /' "$ND_TMP/stream.err" | head -n 20
	return 0
}
field() { printf '%s\n' "$STREAM_RESULT" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

# --- A serves, its cache holds the 20 names ---------------------------------------

start_nd A 9153
poll_until 10000 ready_or_gone 9153 "$PID_A" && is_ready 9153 || die "A not ready: $(tail -n 5 "$ND_TMP/A.log")"
for n in "${NAMES[@]}"; do
	[ -n "$(nn_node dig @$LOCAL_IP +short +tries=1 +time=2 "$n" A)" ] || fail "A did not answer $n"
done
for n in "${NAMES[@]}"; do
	[ "$(nn_up_count "$n" A)" = 1 ] || fail "upstream queries for $n after priming: $(nn_up_count "$n" A), expected 1"
done
pass "A's cache holds the 20 names (the upstream was asked once for each)"

# --- B takes over while the stream runs, A gets SIGTERM -----------------------------

stream_start
poll_until 10000 sent_ge 200 || die "the client did not start"
start_nd B 9154
poll_until 10000 ready_or_gone 9154 "$PID_B" && is_ready 9154 || die "B not ready: $(tail -n 5 "$ND_TMP/B.log")"
log_has B "took over from the nodedns on $CTL \(2 workers\): 20 cache entries" &&
	pass "B took A's cache: $(grep -oE 'took over.*' "$ND_TMP/B.log")" ||
	fail "B did not take A's 20 entries: $(grep control "$ND_TMP/B.log")"
log_has A "a successor \(2 workers\) took the cache: 20 entries" && pass "A handed its cache to B" ||
	fail "A: $(grep control "$ND_TMP/A.log")"
poll_until 10000 sent_ge 600 || die "the client stalled"
# questions in flight at A (and B: the kernel spreads them) when A stops
for i in 1 2 3 4 5 6 7 8; do
	nn_node dig @$LOCAL_IP +tries=1 +time=5 "q$i.slow.test" A >/dev/null 2>&1 &
	nd_track $!
done
poll_until 5000 eval '[ "$(metric_sum 9153 nodedns_forward_requests_total)" -ge 1 ]' ||
	log "no slow question reached A (the kernel gave them all to B)"
kill -TERM "$PID_A"
poll_until 10000 pid_gone "$PID_A" || fail "A did not exit within 10 s of SIGTERM"
st=$(exited_status "$PID_A")
nd_forget "$PID_A"
assert_eq "A's exit status after handing over" 0 "$st"
log_has A "a successor is connected: handing over" && pass "A logged the hand-over" || fail "A: no hand-over logged"
stream_wait
assert_eq "queries lost while B took over from A" 0 "$(field lost)"
assert_eq "queries failed while B took over from A" 0 "$(field failed)"
assert_eq "queries answered" "$COUNT" "$(field answered)"
assert_cmp "TCP queries among them" "$(field tcp)" -ge $((COUNT / 5))

ip -n "$NN_NODE" -j addr show dev lo | grep -qF "\"$LOCAL_IP\"" && pass "after A's exit $LOCAL_IP is still on lo (B serves it)" ||
	fail "A removed $LOCAL_IP though B serves it"
nn_node nft list table inet nodedns >/dev/null 2>&1 && pass "after A's exit table inet nodedns is still there" ||
	fail "A removed the nftables table though B serves"
for n in "${NAMES[@]}"; do
	[ "$(nn_up_count "$n" A)" = 1 ] || fail "upstream queries for $n: $(nn_up_count "$n" A): B asked the upstream"
done
pass "B answered the 20 names from A's cache: the upstream was not asked again"
assert_cmp "B answered part of the stream" "$(metric_sum 9154 nodedns_dns_requests_total)" -ge $((COUNT / 2))
assert_cmp "B's cache misses (the slow.test questions only)" "$(metric_at 9154 nodedns_cache_misses_total)" -le 8

# --- C takes over, B is killed with SIGKILL: measured ------------------------------

stream_start
poll_until 10000 sent_ge 200 || die "the client did not start"
start_nd C 9155
poll_until 10000 ready_or_gone 9155 "$PID_C" && is_ready 9155 || die "C not ready: $(tail -n 5 "$ND_TMP/C.log")"
poll_until 10000 sent_ge 600 || die "the client stalled"
kill -KILL "$PID_B"
poll_until 5000 pid_gone "$PID_B"
wait "$PID_B" 2>/dev/null
nd_forget "$PID_B"
stream_wait
log "MEASURED: B killed with SIGKILL while C served too: $(field lost) of $COUNT queries lost, $(field failed) failed"
poll_until 5000 log_has C "the nodedns we replaced has exited" && pass "C saw B go" || fail "C did not see B go"

# --- C killed too: its socket file stays; D replaces it -----------------------------

kill -KILL "$PID_C"
poll_until 5000 pid_gone "$PID_C"
wait "$PID_C" 2>/dev/null
nd_forget "$PID_C"
[ -S "$CTL" ] && pass "C's control socket file is left behind" || fail "no socket file at $CTL after SIGKILL"
start_nd D 9156 --lameduck-ms 1500
poll_until 10000 ready_or_gone 9156 "$PID_D" && is_ready 9156 || die "D not ready: $(tail -n 5 "$ND_TMP/D.log")"
log_has D "was left by a process that is gone \(connection refused\): replacing it" &&
	pass "D found the dead socket and replaced it" || fail "D: $(grep control "$ND_TMP/D.log")"
kill -TERM "$PID_D"
poll_until 3000 eval '[ "$(http_code 9156 /ready)" = 503 ]' && pass "lame duck: /ready 503" || fail "lame duck: /ready not 503"
assert_eq "lame duck: still answering" 192.0.2.101 "$(nn_node dig @$LOCAL_IP +short +tries=1 +time=2 n1.example.com A)"
kill -0 "$PID_D" 2>/dev/null && pass "lame duck: still running" || fail "lame duck: gone at once"
poll_until 10000 pid_gone "$PID_D" || fail "D did not exit after its lame duck"
st=$(exited_status "$PID_D")
nd_forget "$PID_D"
assert_eq "D's exit status after the lame duck" 0 "$st"
log_has D "lame duck for 1500 ms" && pass "D logged its lame duck" || fail "D: no lame duck logged"
ip -n "$NN_NODE" -j addr show dev lo | grep -qF "\"$LOCAL_IP\"" && fail "D left $LOCAL_IP on lo" ||
	pass "without a successor D removed its address at exit"
# --- E and F on the same HTTP and debug ports, as a DaemonSet's two pods ---------
# Both listen with SO_REUSEPORT; once F has taken E's cache, E stops
# listening, so the kubelet's probes (and Prometheus) reach F.

start_nd E 9160
poll_until 10000 ready_or_gone 9160 "$PID_E" && is_ready 9160 || die "E not ready: $(tail -n 5 "$ND_TMP/E.log")"
start_nd F 9160
poll_until 10000 log_has E "the successor serves --http-listen.s port 9160 from now on" &&
	pass "E stopped listening on HTTP once F took its cache" || fail "E: $(tail -n 3 "$ND_TMP/E.log")"
poll_until 10000 log_has F "listening on http://127.0.0.1:9160" || fail "F did not listen on E's HTTP port: $(tail -n 5 "$ND_TMP/F.log")"
listeners() { nn_node ss -Hltnp "sport = :$1" | grep -o 'pid=[0-9]*' | sort -u | paste -sd' ' -; }
assert_eq "the HTTP port's only listener is F" "pid=$PID_F" "$(listeners 9160)"
assert_eq "the debug port's only listener is F" "pid=$PID_F" "$(listeners 9260)"
poll_until 10000 is_ready 9160 && pass "F answers /ready on the shared port" || fail "F: /ready on 9160 is $(http_code 9160 /ready)"
kill -TERM "$PID_E"
poll_until 10000 pid_gone "$PID_E" || fail "E did not exit"
assert_eq "E's exit status after the hand-over" 0 "$(exited_status "$PID_E")"
nd_forget "$PID_E"
assert_eq "after E left, F still answers /ready" 200 "$(http_code 9160 /ready)"
kill -TERM "$PID_F"
poll_until 10000 pid_gone "$PID_F" || fail "F did not exit"
assert_eq "F's exit status" 0 "$(exited_status "$PID_F")"
nd_forget "$PID_F"

for l in A B C D E F; do
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$ND_TMP/$l.log"; then
		fail "sanitizer report in $l's log"
		grep -E -A30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$ND_TMP/$l.log" | head -n 40
	fi
done
nd_done
