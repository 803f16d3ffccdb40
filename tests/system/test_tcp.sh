#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_tcp.sh - truncation over UDP, the full answer over TCP,
# pipelining on one connection, the idle timeout (RFC 7766).
. "$(dirname "$0")/lib.sh"

start_nsd "$ND_ZONES/example.test.zone" example.test
start_nodedns --upstream "127.0.0.1:$NSD_PORT" --tcp-idle-timeout 500

# big TXT is over 2000 bytes: over UDP (EDNS 1232) TC=1, over TCP in full
out=$(q big.example.test TXT +ignore +notcp)
assert_eq "big over UDP: rcode" NOERROR "$(rcode_of "$out")"
assert_match "big over UDP: flags" " $(flags_of "$out") " " tc "
size=$(printf '%s\n' "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
assert_cmp "big over UDP: size" "${size:-99999}" -le 1232

out=$(q big.example.test TXT +noedns +ignore +notcp)
assert_match "big over UDP without EDNS: flags" " $(flags_of "$out") " " tc "
size=$(printf '%s\n' "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
assert_cmp "big over UDP without EDNS: size" "${size:-99999}" -le 512

out=$(q big.example.test TXT +tcp)
assert_eq "big over TCP: rcode" NOERROR "$(rcode_of "$out")"
assert_eq "big over TCP: TXT records" 10 "$(section_of "$out" ANSWER | grep -c 'IN	TXT')"
assert_not_contains "big over TCP: flags" " $(flags_of "$out") " " tc "

# dig without +ignore falls back to TCP itself and gets all 10
out=$(q big.example.test TXT)
assert_eq "big with dig's TC fallback" 10 "$(section_of "$out" ANSWER | grep -c 'IN	TXT')"

# Pipelining: 6 queries in one write on one connection, 6 answers back
# (in any order, RFC 7766 6.2.1.1), matched by ID and question.
res=$("$ND_PY" - "$ND_PORT" <<'EOF'
import socket, struct, sys, time
port = int(sys.argv[1])
qs = [("www.example.test", 1), ("www.example.test", 28), ("example.test", 15),
      ("txt.example.test", 16), ("nope.example.test", 1), ("big.example.test", 16)]
def msg(qid, name, qtype):
    qn = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qn + struct.pack("!HH", qtype, 1), qn
want, out = {}, b""
for i, (n, t) in enumerate(qs):
    m, qn = msg(0x7000 + i, n, t)
    want[0x7000 + i] = (qn, t)
    out += struct.pack("!H", len(m)) + m
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(out)
buf, got, end = b"", {}, time.time() + 5
def need(k):
    global buf
    while len(buf) < k:
        if time.time() > end:
            raise TimeoutError
        d = s.recv(65535)
        if not d:
            raise EOFError
        buf += d
try:
    while len(got) < len(qs):
        need(2)
        L = struct.unpack("!H", buf[:2])[0]
        need(2 + L)
        m, buf = buf[2:2 + L], buf[2 + L:]
        qid, fl = struct.unpack("!HH", m[:4])
        got[qid] = (m, fl)
except (TimeoutError, socket.timeout, EOFError) as e:
    print("answers %d of %d, then %s" % (len(got), len(qs), type(e).__name__))
    sys.exit(0)
bad = []
for qid, (m, fl) in got.items():
    if qid not in want:
        bad.append("unknown id %d" % qid); continue
    qn, t = want[qid]
    q = m[12:12 + len(qn) + 4]
    if q[:len(qn)].lower() != qn.lower() or struct.unpack("!H", q[len(qn):len(qn) + 2])[0] != t:
        bad.append("id %d: question differs" % qid)
    if fl & 0x0200:
        bad.append("id %d: TC set over TCP" % qid)
print("answers %d of %d%s" % (len(got), len(qs), ("; " + ", ".join(bad)) if bad else ""))
EOF
)
assert_eq "pipelined queries on one connection" "answers 6 of 6" "$res"

if command -v kdig >/dev/null 2>&1; then
	out=$(kdig @127.0.0.1 -p "$ND_PORT" +tcp +keepopen +timeout=2 +retry=0 \
		www.example.test A www.example.test AAAA example.test MX 2>&1)
	assert_eq "kdig +keepopen: answers" 3 "$(printf '%s\n' "$out" | grep -c 'status: NOERROR')"
fi

# A client that sends half a message and stops is closed after
# --tcp-idle-timeout (500 ms); so is one that sends nothing. The server
# answers others meanwhile.
idle_probe() { # MODE: prints the seconds until the server closed, or "open"
	"$ND_PY" - "$ND_PORT" "$1" <<'EOF'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
if mode == "half":
    s.sendall(b"\x00\x30" + b"\x12\x34\x01\x00\x00")  # 48 announced, 5 sent
t0 = time.time()
s.settimeout(4)
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
except ConnectionResetError:
    pass
except socket.timeout:
    print("open"); sys.exit(0)
print("%.2f" % (time.time() - t0))
EOF
}
half_out="$ND_TMP/idle_half.out"
c0=$(metric nodedns_tcp_connections_total)
idle_probe half >"$half_out" &
probe_pid=$!
nd_track "$probe_pid"
# the idle client is connected (accepted) before the others ask
poll_until 3000 metric_ge nodedns_tcp_connections_total $((c0 + 1)) ||
	fail "the idle client's connection was not accepted within 3 s"
out=$(q www.example.test A +tcp)
assert_eq "TCP answer during an idle client" NOERROR "$(rcode_of "$out")"
out=$(q www.example.test A)
assert_eq "UDP answer during an idle client" NOERROR "$(rcode_of "$out")"
wait "$probe_pid"
nd_forget "$probe_pid"
secs=$(cat "$half_out")
log "half-message client closed after: $secs s"
if [ "$secs" = open ] || [ -z "$secs" ]; then
	fail "half-message client: expected close after ~0.5 s, still open after 4 s"
else
	assert_cmp "half-message client closed within (ms)" "$(awk -v s="$secs" 'BEGIN{printf "%d", s*1000}')" -le 2500
	assert_cmp "half-message client kept at least (ms)" "$(awk -v s="$secs" 'BEGIN{printf "%d", s*1000}')" -ge 300
fi
secs=$(idle_probe silent)
log "silent client closed after: $secs s"
if [ "$secs" = open ] || [ -z "$secs" ]; then
	fail "silent client: expected close after ~0.5 s, still open after 4 s"
else
	assert_cmp "silent client closed within (ms)" "$(awk -v s="$secs" 'BEGIN{printf "%d", s*1000}')" -le 2500
fi

out=$(q www.example.test AAAA +tcp)
assert_eq "TCP still served afterwards" NOERROR "$(rcode_of "$out")"
assert_cmp "tcp requests in /metrics" "$(metric_l nodedns_dns_requests_total 'proto="tcp"')" -ge 5

nd_done
