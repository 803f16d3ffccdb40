#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_cookies.sh - DNS cookies (RFC 7873) toward upstreams:
# knot with mod-cookies (it answers a client cookie alone with BADCOOKIE
# and its server cookie) is asked again with that cookie, answers, and
# nodedns keeps its server cookie (gauge, /debug/upstreams); unbound (no
# cookie support in Debian 12's 1.17) keeps working without; an upstream
# whose replies carry another client cookie is not believed: its replies
# are discarded and counted (reason "cookie") and the client gets
# SERVFAIL; with --forward-cookies off that upstream is believed again.
. "$(dirname "$0")/lib.sh"

need knotd

# start_knot: knotd with mod-cookies serving example.test. Sets KNOT_PORT.
start_knot() {
	local dir="$ND_TMP/knot" attempt
	mkdir -p "$dir"
	cat >"$dir/example.test.zone" <<'ZONE'
$ORIGIN example.test.
$TTL 300
@	IN SOA ns.example.test. host.example.test. 1 3600 900 604800 300
@	IN NS ns.example.test.
ns	IN A 192.0.2.53
www	IN A 192.0.2.1
ZONE
	for attempt in 1 2 3; do
		KNOT_PORT=$(free_port)
		cat >"$dir/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$KNOT_PORT
    rundir: $dir
database:
    storage: $dir
log:
  - target: $dir/knot.log
    any: info
mod-cookies:
  - id: cookies
template:
  - id: default
    storage: $dir
    global-module: mod-cookies/cookies
zone:
  - domain: example.test
    file: $dir/example.test.zone
CONF
		knotd -c "$dir/knot.conf" >>"$dir/knot.out" 2>&1 &
		KNOT_PID=$!
		nd_track "$KNOT_PID"
		if wait_dns "$KNOT_PORT" 5000 && kill -0 "$KNOT_PID" 2>/dev/null; then
			log "knot (cookies) on 127.0.0.1:$KNOT_PORT (pid $KNOT_PID)"
			return 0
		fi
		sed 's/^/    /' "$dir/knot.out" "$dir/knot.log" 2>/dev/null | tail -n 20
		nd_kill "$KNOT_PID"
	done
	die "cannot start knotd"
}

# start_bad_cookie_upstream: a python3 upstream that answers every A
# question with 192.0.2.66, echoing the question, with a COOKIE option
# whose client cookie is not the one asked with. Sets BAD_PORT.
start_bad_cookie_upstream() {
	BAD_PORT=$(free_port)
	"$ND_PY" - "$BAD_PORT" <<'PY' &
import socket, struct, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", int(sys.argv[1])))
u.settimeout(1.0)
end = time.time() + 300  # bounded
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
    question = q[12:i + 5]
    # the client cookie of the query, if any, with its first bit flipped
    cc = bytes(8)
    p = q.find(b"\x00\x0a\x00", i)
    if p > 0:
        cc = bytes([q[p + 4] ^ 1]) + q[p + 5:p + 12]
    cookie = struct.pack("!HH", 10, 16) + cc + b"S" * 8
    opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, len(cookie)) + cookie
    ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 66])
    hdr = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 1)
    u.sendto(hdr + question + ans + opt, addr)
PY
	BAD_PID=$!
	nd_track "$BAD_PID"
	wait_dns "$BAD_PORT" 5000 || die "the bad-cookie upstream did not start"
	log "bad-cookie upstream on 127.0.0.1:$BAD_PORT (pid $BAD_PID)"
}

up_json() { nd_debug /debug/upstreams | "$ND_PY" -c "import json,sys; u=json.load(sys.stdin)['upstreams'][0]; print(u$1)"; }

# --- knot: cookies learned and sent back ------------------------------------------------
start_knot
start_nodedns --upstream "127.0.0.1:$KNOT_PORT"
out=$(q www.example.test A +short)
assert_eq "knot (cookies): answered" 192.0.2.1 "$out"
assert_eq "knot: server cookie known (gauge)" 1 "$(metric_l nodedns_upstream_cookie "upstream=\"127.0.0.1:$KNOT_PORT\"")"
assert_eq "knot: server cookie known (/debug/upstreams)" True "$(up_json "['server_cookie']")"
for n in a b c d; do q "$n.example.test" A >/dev/null; done
out=$(q nope.example.test A)
assert_eq "knot: NXDOMAIN with the cookie" NXDOMAIN "$(rcode_of "$out")"
assert_eq "knot: no reply rejected" 0 "$(metric nodedns_upstream_rejected_total)"
# knot answers a client cookie alone with BADCOOKIE once; with the server
# cookie every later question takes one attempt.
req=$(metric_l nodedns_forward_requests_total "upstream=\"127.0.0.1:$KNOT_PORT\"")
q e.example.test A >/dev/null
req2=$(metric_l nodedns_forward_requests_total "upstream=\"127.0.0.1:$KNOT_PORT\"")
assert_eq "knot: one attempt per question once the cookie is known" 1 $((req2 - req))
stop_nodedns

# --- unbound 1.17: no cookie support, keeps working --------------------------------------
start_unbound_auth example.test 'www.example.test. 300 IN A 192.0.2.1'
start_nodedns --upstream "127.0.0.1:$UNBOUND_PORT"
out=$(q www.example.test A +short)
assert_eq "unbound (no cookies): answered" 192.0.2.1 "$out"
assert_eq "unbound: no server cookie" 0 "$(metric nodedns_upstream_cookie)"
assert_eq "unbound: no reply rejected" 0 "$(metric nodedns_upstream_rejected_total)"
stop_nodedns

# --- another client cookie in the replies: not believed -------------------------------------
start_bad_cookie_upstream
start_nodedns --upstream "127.0.0.1:$BAD_PORT" --upstream-timeout 200 --query-timeout 600
out=$(q forged.example.test A)
assert_eq "wrong client cookie: SERVFAIL" SERVFAIL "$(rcode_of "$out")"
assert_not_contains "wrong client cookie: the address not served" "$out" 192.0.2.66
assert_cmp "wrong client cookie: rejected as cookie" \
	"$(metric_l nodedns_upstream_rejected_total 'reason="cookie"')" -ge 1
stop_nodedns
start_nodedns --upstream "127.0.0.1:$BAD_PORT" --forward-cookies off
out=$(q forged.example.test A +short)
assert_eq "--forward-cookies off: no cookie, no check" 192.0.2.66 "$out"
stop_nodedns

nd_done
