#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_0x20.sh - an upstream that does not echo the 0x20 case
# (a python3 server that answers with the question in lower case): its
# first replies are discarded and counted (reason "case"), and after 3
# attempts in a row that saw nothing else it is marked: logged once,
# nodedns_upstream_no_0x20 1, "no_0x20": true in /debug/upstreams, and
# asked in lower case from then on, so names resolve again in one
# attempt. unbound, which echoes the case, is never marked.
. "$(dirname "$0")/lib.sh"

# start_lower_upstream: answers every A question with 192.0.2.8, the
# question's name folded to lower case. Sets LOW_PORT and LOW_LOG (one
# line per query: the name as received).
start_lower_upstream() {
	LOW_PORT=$(free_port)
	LOW_LOG="$ND_TMP/lower.log"
	: >"$LOW_LOG"
	"$ND_PY" - "$LOW_PORT" "$LOW_LOG" <<'PY' &
import socket, struct, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", int(sys.argv[1])))
u.settimeout(1.0)
end = time.time() + 300  # bounded
with open(sys.argv[2], "a", buffering=1) as log:
    while time.time() < end:
        try:
            q, addr = u.recvfrom(65535)
        except socket.timeout:
            continue
        if len(q) < 12:
            continue
        i = 12
        while i < len(q) and q[i] != 0:
            i += 1 + q[i]
        name = q[12:i + 1]
        log.write(name.decode("ascii", "replace") + "\n")
        question = name.lower() + q[i + 1:i + 5]
        ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 8])
        u.sendto(q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + question + ans, addr)
PY
	LOW_PID=$!
	nd_track "$LOW_PID"
	wait_dns "$LOW_PORT" 5000 || die "the lower-case upstream did not start"
	log "lower-case upstream on 127.0.0.1:$LOW_PORT (pid $LOW_PID)"
}

up_json() { nd_debug /debug/upstreams | "$ND_PY" -c "import json,sys; u=json.load(sys.stdin)['upstreams'][0]; print(u$1)"; }
marked_line() { grep -c "upstream 127.0.0.1:$LOW_PORT does not echo the 0x20 case" "$ND_LOG"; }

start_lower_upstream
start_nodedns --upstream "127.0.0.1:$LOW_PORT" --upstream-timeout 200 --query-timeout 2000
: >"$LOW_LOG"
out=$(q FirstQuestionOfMany.example.test A +short)
assert_eq "first question: answered once the upstream is marked" 192.0.2.8 "$out"
assert_eq "rejected as case mismatches" 3 "$(metric_l nodedns_upstream_rejected_total 'reason="case"')"
assert_eq "marked: nodedns_upstream_no_0x20" 1 "$(metric nodedns_upstream_no_0x20)"
assert_eq "marked: /debug/upstreams no_0x20" True "$(up_json "['no_0x20']")"
# The upstream saw 3 mixed-case names, then the lower-case one.
mixed=$(grep -c '[A-Z]' "$LOW_LOG")
assert_eq "mixed-case names sent before the mark" 3 "$mixed"
assert_eq "then lower case" 1 "$(grep -ac 'firstquestionofmany' "$LOW_LOG")"
req=$(metric nodedns_forward_requests_total)
for n in two three four five; do
	out=$(q "Name$n.example.test" A +short)
	assert_eq "Name$n: answered" 192.0.2.8 "$out"
done
assert_eq "one attempt per question once marked" 4 $(($(metric nodedns_forward_requests_total) - req))
assert_eq "the mark is logged once" 1 "$(marked_line)"
assert_eq "no more case mismatches" 3 "$(metric_l nodedns_upstream_rejected_total 'reason="case"')"
stop_nodedns

# unbound echoes the case: never marked, nothing rejected.
start_unbound_auth example.test 'www.example.test. 300 IN A 192.0.2.1'
start_nodedns --upstream "127.0.0.1:$UNBOUND_PORT"
for n in 1 2 3 4 5 6; do
	out=$(q "www.example.test" A +short)
	q "n$n.example.test" A >/dev/null
done
assert_eq "unbound: answered" 192.0.2.1 "$out"
assert_eq "unbound: not marked" 0 "$(metric nodedns_upstream_no_0x20)"
assert_eq "unbound: nothing rejected" 0 "$(metric nodedns_upstream_rejected_total)"
assert_cmp "unbound: got mixed-case names" \
	"$(grep -cE 'info: [0-9.]+ [a-z0-9.-]*[A-Z]' "$UNBOUND_LOG")" -ge 1
stop_nodedns

nd_done
