#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_bounds.sh - nothing a flood or a client can do takes
# the node's DNS down: (a) a flood of unique names at a black-hole
# upstream stays under the descriptor cap (--max-inflight from
# RLIMIT_NOFILE) while TCP, /health and cached names keep working; (b) 2,000
# idle TCP connections (slowloris) do not lock a TCP client out; (c) the
# failure cache (RFC 9520): 20 queries to a silent upstream cost the
# attempts of one resolution; (d) oversize UDP queries are counted, a
# malformed COOKIE gets FORMERR, --refuse-outside-allow drop answers
# nothing.
. "$(dirname "$0")/lib.sh"

need prlimit
LOADGEN="$ND_BUILDDIR/tests/bench/loadgen"
[ -x "$LOADGEN" ] || die "$LOADGEN not found (make check builds it)"

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# ask_udp N NAME: N UDP queries for NAME A, one at a time (1 s timeout
# each, no retry); prints how many got NOERROR with an address.
ask_udp() {
	"$ND_PY" - "$ND_PORT" "$1" "$2" <<'EOF'
import socket, struct, sys
port, n, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
qn = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
ok = 0
for i in range(n):
    qid = (0x5000 + i) & 0xffff
    s.sendto(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qn +
             struct.pack("!HH", 1, 1), ("127.0.0.1", port))
    try:
        while True:
            r = s.recv(4096)
            if struct.unpack("!H", r[:2])[0] == qid:
                break
    except socket.timeout:
        continue
    fl, qd, an = struct.unpack("!HHH", r[2:8])
    if fl & 15 == 0 and an >= 1:
        ok += 1
print(ok)
EOF
}

# --- (a) unique-name flood at a black hole ------------------------------------
start_nsd "$ND_ZONES/example.test.zone" example.test
start_blackhole
# 1024 descriptors: the reserve for 2 workers, one address and 256 TCP
# connections each is 64 + 2 x (8 + 2) + 2 x 256 + 64 = 660, so 364 fetches.
ND_WRAP="prlimit --nofile=1024:1024" start_nodedns --upstream "127.0.0.1:$BH_PORT" \
	--forward-zone "example.test=127.0.0.1:$NSD_PORT" \
	--upstream-timeout 1000 --query-timeout 4000
assert_eq "descriptor limit seen" 1024 "$(metric nodedns_fd_limit)"
assert_eq "reserve" 660 "$(metric nodedns_fd_reserved)"
assert_eq "--max-inflight from the limit" 364 "$(metric nodedns_inflight_limit)"
out=$(q www.example.test A)
assert_contains "warm the cached name (forward zone)" "$out" "192.0.2.10"

seq 1 40000 | sed 's/.*/f&.flood.test A/' >"$ND_TMP/flood.txt"
"$LOADGEN" -s 127.0.0.1 -p "$ND_PORT" -d "$ND_TMP/flood.txt" --rate 4000 \
	--duration 12 --timeout-ms 200 >"$ND_TMP/loadgen.out" 2>&1 &
LG_PID=$!
nd_track "$LG_PID"
capped() { [ "$(metric nodedns_inflight_capped_total)" -gt 0 ]; }
poll_until 15000 capped || fail "the flood never reached --max-inflight"
log "the in-flight bound was reached after $POLL_MS ms of flood"
max_fd=0
for i in 1 2 3 4 5; do
	n=$(fd_count "$ND_PID")
	[ "$n" -gt "$max_fd" ] && max_fd=$n
	inflight=$(metric nodedns_inflight_fetches)
	assert_cmp "fetches in flight under the bound (sample $i)" "$inflight" -le 364
	tcp=$(q www.example.test A +tcp)
	assert_contains "TCP query during the flood (sample $i)" "$tcp" "192.0.2.10"
	assert_eq "/health during the flood (sample $i)" 200 "$(nd_http_code /health)"
done
ok=$(ask_udp 100 www.example.test)
n=$(fd_count "$ND_PID")
[ "$n" -gt "$max_fd" ] && max_fd=$n
assert_eq "cached name answered during the flood (of 100)" 100 "$ok"
kill -0 "$LG_PID" 2>/dev/null && pass "the flood still ran while checking" ||
	fail "the flood ended before the checks did (results not during it)"
assert_cmp "open descriptors during the flood (max seen)" "$max_fd" -lt 1024
assert_cmp "open descriptors under bound + reserve" "$max_fd" -le $((364 + 660))
log "max descriptors seen $max_fd; capped $(metric nodedns_inflight_capped_total), failure-cache hits $(metric nodedns_failure_cache_hits_total)"
nd_kill "$LG_PID"
# The fetches at the black hole end within --query-timeout; a stop before
# that would wait for them (drain) longer than stop_nodedns does.
drained() { [ "$(metric nodedns_inflight_fetches)" = 0 ]; }
poll_until 10000 drained || fail "fetches still in flight 10 s after the flood"
stop_nodedns
stop_blackhole

# --- (b) slowloris: 2,000 idle connections from 100 addresses -----------------
start_nodedns --upstream "127.0.0.1:$NSD_PORT"
q www.example.test A >/dev/null
res=$("$ND_PY" - "$ND_PORT" <<'EOF'
import os, resource, selectors, signal, socket, struct, sys, time
port = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard < 2300:
    print("SKIP hard descriptor limit %d < 2300" % hard); raise SystemExit
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
# The attacker: a child holding 2,000 idle connections from 127.0.0.2..101
# (20 each), opening a new one whenever the server closes one; bounded.
# It says on a pipe when all 2,000 were opened.
rfd, wfd = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(rfd)
    sel = selectors.DefaultSelector()
    def opener(src):
        s = socket.socket()
        s.setblocking(False)
        s.bind((src, 0))
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        except OSError:
            s.close(); return
        sel.register(s, selectors.EVENT_READ, src)
    srcs = ["127.0.0.%d" % (2 + i % 100) for i in range(2000)]
    for src in srcs:
        opener(src)
    os.write(wfd, b"x")
    end = time.time() + 90
    while time.time() < end:
        for key, _ in sel.select(0.5):
            try:
                d = key.fileobj.recv(512)
            except OSError:
                d = b""
            if not d:
                sel.unregister(key.fileobj); key.fileobj.close()
                opener(key.data)
    os._exit(0)
os.close(wfd)
os.read(rfd, 1)  # the attacker holds its 2,000 first
qn = b"\x03www\x07example\x04test\x00"
ok = 0
for i in range(200):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        m = struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + qn + struct.pack("!HH", 1, 1)
        c.sendall(struct.pack("!H", len(m)) + m)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            d = c.recv(4096)
            if not d:
                break
            buf += d
        c.close()
        if len(buf) > 14 and struct.unpack("!H", buf[2:4])[0] == i and buf[5] & 15 == 0:
            ok += 1
    except OSError:
        pass
os.kill(pid, signal.SIGTERM)
os.waitpid(pid, 0)
print(ok)
EOF
)
case $res in
SKIP*) log "slowloris part skipped: $res" ;;
*)
	assert_cmp "TCP queries answered under slowloris (of 200)" "${res:-0}" -ge 198
	assert_cmp "idle connections closed at the cap" "$(metric_l nodedns_tcp_evicted_total 'reason="cap"')" -gt 0
	;;
esac
# One address opening 100 connections: its own oldest go (per client).
"$ND_PY" - "$ND_PORT" <<'EOF'
import socket, sys
port = int(sys.argv[1])
conns = []
for i in range(100):
    s = socket.socket()
    s.bind(("127.0.0.9", 0))
    s.connect(("127.0.0.1", port))
    conns.append(s)
EOF
per_client() { [ "$(metric_l nodedns_tcp_evicted_total 'reason="per_client"')" -gt 0 ] ||
	[ "$(metric nodedns_tcp_rejected_per_client_total)" -gt 0 ]; }
if poll_until 5000 per_client; then
	pass "100 connections of one address: its own closed or refused at --tcp-max-per-client (evicted $(metric_l nodedns_tcp_evicted_total 'reason="per_client"'), refused $(metric nodedns_tcp_rejected_per_client_total))"
else
	fail "100 connections of one address: nothing evicted or refused at --tcp-max-per-client"
fi
out=$(q www.example.test A +tcp)
assert_contains "TCP still answers" "$out" "192.0.2.10"
stop_nodedns

# --- (c) failure cache: 20 queries to a silent upstream ----------------------
start_blackhole
start_nodedns --upstream "127.0.0.1:$BH_PORT" --upstream-timeout 200 --query-timeout 1000
bh_count() { grep -c '^udp' "$BH_LOG"; }
probe_seen() { [ "$(bh_count)" -ge 1 ]; }
poll_until 5000 probe_seen || fail "the loop probe never reached the black hole"
base=$(bh_count)
out=$(q dead.example.net A +time=3)
assert_eq "first query to the silent upstream" SERVFAIL "$(rcode_of "$out")"
first=$(($(bh_count) - base))
assert_cmp "attempts of the first resolution" "$first" -ge 1
# 19 more at once, within the 1 s hold
"$ND_PY" - "$ND_PORT" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
qn = b"\x04dead\x07example\x03net\x00"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i in range(19):
    s.sendto(struct.pack("!HHHHHH", 0x6000 + i, 0x0100, 1, 0, 0, 0) + qn +
             struct.pack("!HH", 1, 1), ("127.0.0.1", port))
got = 0
try:
    while got < 19:
        s.recv(4096); got += 1
except socket.timeout:
    pass
print(got)
EOF
assert_eq "upstream datagrams for 20 queries: the first resolution's" "$first" "$(($(bh_count) - base))"
assert_cmp "answered from the failure cache" "$(metric nodedns_failure_cache_hits_total)" -ge 19
asked_again() { q dead.example.net A +time=3 >/dev/null; [ "$(($(bh_count) - base))" -gt "$first" ]; }
poll_until 10000 asked_again || fail "not asked again after the hold"
log "asked again $POLL_MS ms after the 20 queries"
stop_nodedns
stop_blackhole

# --- (d) input hygiene ----------------------------------------------------------
start_nodedns --upstream "127.0.0.1:$NSD_PORT"
oversize() {
	"$ND_PY" - "$ND_PORT" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
qn = b"\x03www\x07example\x04test\x00"
m = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + qn + struct.pack("!HH", 1, 1)
m += b"\0" * (5000 - len(m))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(m, ("127.0.0.1", port))
try:
    s.recv(4096); print("REPLY")
except socket.timeout:
    print("TIMEOUT")
EOF
}
assert_eq "a 5000-byte UDP query gets no answer" TIMEOUT "$(oversize)"
oversize_counted() { [ "$(metric_l nodedns_dropped_total 'reason="oversize"')" -ge 1 ]; }
poll_until 3000 oversize_counted || fail "oversize query not counted"
# COOKIE with a 5-byte client cookie (RFC 7873 5.2.2: FORMERR)
hex=$(dns_query_hex 4660 www.example.test 1)
hex="${hex:0:20}0001${hex:24}0000291000000000000009000a0005aabbccddee"
reply=$(raw_udp "$hex")
assert_eq "short COOKIE: rcode" 1 "$(reply_field "$reply" rcode)"
assert_eq "short COOKIE: answer id" 4660 "$(reply_field "$reply" id)"
# a whole client cookie is served
hex=$(dns_query_hex 4661 www.example.test 1)
hex="${hex:0:20}0001${hex:24}000029100000000000000c000a00080102030405060708"
reply=$(raw_udp "$hex")
assert_eq "8-byte COOKIE: rcode" 0 "$(reply_field "$reply" rcode)"
out=$(q www.example.test A +cookie=0102030405060708aa)
assert_eq "dig with a 9-byte cookie (server cookie of 1)" FORMERR "$(rcode_of "$out")"
stop_nodedns
start_nodedns --upstream "127.0.0.1:$NSD_PORT" --allow 10.0.0.0/8 --refuse-outside-allow drop
reply=$(raw_udp "$(dns_query_hex 77 www.example.test 1)")
assert_eq "outside --allow, drop: no reply" TIMEOUT "$reply"
reply=$(raw_udp "$(dns_query_hex 78 www.example.test 1 0100 2)")
assert_eq "outside --allow, drop: no FORMERR either" TIMEOUT "$reply"
assert_cmp "drops counted" "$(metric_l nodedns_dropped_total 'reason="outside_allow"')" -ge 2
stop_nodedns
start_nodedns --upstream "127.0.0.1:$NSD_PORT" --allow 10.0.0.0/8
out=$(q www.example.test A)
assert_eq "outside --allow, refuse (the default)" REFUSED "$(rcode_of "$out")"
nd_done
