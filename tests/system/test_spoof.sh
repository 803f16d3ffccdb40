#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_spoof.sh - a spoofer on the node races forged answers
# to nodedns's upstream queries (loopback only, bounded): it sniffs each
# query to the upstream off lo, so it knows the message ID and nodedns's
# source port (more than the socket table tells), and at once sends 4
# forged replies (A 192.0.2.66) from the upstream's address and port,
# with the question in lower case, upper case and 2 random cases; the
# real upstream answers (A 192.0.2.77) 50 ms later. With 0x20 on (the
# default) no client of 1,000 queries may get the forged address, and the
# forgeries are counted in nodedns_upstream_rejected_total{reason="case"}.
# With --no-0x20 the number of poisoned answers is reported, not asserted.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root: the spoofer sniffs lo and sends raw packets"

QUERIES=1000

start_slow_upstream 50

# race PORT: the spoofer and 1,000 client queries for distinct long
# names (about 40 letters each: a case guess is right once in 2^40);
# prints "real R forged F other O lost L spoofed S".
race() {
	"$ND_PY" - "$1" "$SLOW_PORT" "$QUERIES" "$2" <<'PY'
import random, select, socket, struct, sys, threading, time
nd_port, up_port, n, tag = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
FORGED, REAL = bytes([192, 0, 2, 66]), bytes([192, 0, 2, 77])
deadline = time.time() + 120  # bounded whatever happens
stop = False
spoofed = 0
ready = threading.Event()

def qname_wire(name):
    return b"".join(bytes([len(l)]) + l for l in name.split(b".") if l) + b"\0"

def ip_udp(sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)  # no UDP checksum (IPv4)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 0, 0, 64, 17, 0,
                     socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    return ip + udp + payload

def spoofer():
    global spoofed
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sniff.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)  # miss fewer queries
    sniff.bind(("lo", 0))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rng = random.Random(7)
    ready.set()
    while not stop and time.time() < deadline:
        r, _, _ = select.select([sniff], [], [], 0.2)
        if not r:
            continue
        frame, addr = sniff.recvfrom(65535)
        if addr[2] != socket.PACKET_OUTGOING or len(frame) < 14 + 20 + 8 + 12:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17:
            continue
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        dns = ip[ihl + 8:]
        if dport != up_port or len(dns) < 12 or dns[2] & 0x80:
            continue
        qid = dns[:2]
        i, labels = 12, []
        while i < len(dns) and dns[i] != 0:
            labels.append(dns[i + 1:i + 1 + dns[i]])
            i += 1 + dns[i]
        if i + 5 > len(dns):
            continue
        name = b".".join(labels).lower()
        qtail = dns[i + 1:i + 5]
        guesses = [name, name.upper()]
        for _ in range(2):
            guesses.append(bytes(c ^ 0x20 if 97 <= c <= 122 and rng.random() < 0.5 else c for c in name))
        for g in guesses:
            reply = (qid + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + qname_wire(g) + qtail +
                     b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + FORGED)
            raw.sendto(ip_udp(up_port, sport, reply), ("127.0.0.1", 0))
            spoofed += 1

t = threading.Thread(target=spoofer, daemon=True)
t.start()
ready.wait(10)  # the sniffer is bound to lo before the first query

c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.setblocking(False)
pending, real, forged, other = {}, 0, 0, 0
nxt, window = 0, 64
while (nxt < n or pending) and time.time() < deadline:
    while nxt < n and len(pending) < window:
        name = ("%s-q%04d-abcdefghijklmnopqrstuvwxyz.spoof.example.test" % (tag, nxt)).encode()
        qid = nxt
        c.sendto(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname_wire(name) + struct.pack("!HH", 1, 1),
                 ("127.0.0.1", nd_port))
        pending[qid] = time.time()
        nxt += 1
    r, _, _ = select.select([c], [], [], 0.1)
    if r:
        try:
            data = c.recv(65535)
        except BlockingIOError:
            continue
        qid = struct.unpack("!H", data[:2])[0]
        if qid not in pending:
            continue
        del pending[qid]
        an = struct.unpack("!H", data[6:8])[0]
        if an >= 1 and data[-4:] == FORGED:
            forged += 1
        elif an >= 1 and data[-4:] == REAL:
            real += 1
        else:
            other += 1
    now = time.time()
    for qid in [k for k, v in pending.items() if now - v > 5]:
        del pending[qid]
stop = True
t.join(1)
print("real %d forged %d other %d lost %d spoofed %d" % (real, forged, other, n - real - forged - other, spoofed))
PY
}

field() { printf '%s\n' "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

# --- 0x20 on (the default) ----------------------------------------------------------
start_nodedns --upstream "127.0.0.1:$SLOW_PORT" --upstream-timeout 1000
res=$(race "$ND_PORT" on)
log "0x20 on: $res"
assert_eq "0x20 on: clients given the forged address" 0 "$(field "$res" forged)"
assert_cmp "0x20 on: clients given the real address" "$(field "$res" real)" -ge $((QUERIES * 9 / 10))
assert_cmp "0x20 on: forged replies sent" "$(field "$res" spoofed)" -ge "$QUERIES"
rej=$(metric_l nodedns_upstream_rejected_total 'reason="case"')
log "0x20 on: nodedns_upstream_rejected_total{reason=\"case\"} = $rej"
assert_cmp "0x20 on: forgeries counted as case mismatches" "$rej" -ge "$QUERIES"
assert_eq "0x20 on: the upstream is not marked as not echoing" 0 "$(metric nodedns_upstream_no_0x20)"
stop_nodedns

# --- 0x20 off: what the spoofer gets (reported) ------------------------------------------
start_nodedns --upstream "127.0.0.1:$SLOW_PORT" --upstream-timeout 1000 --no-0x20
res=$(race "$ND_PORT" off)
log "0x20 off: $res"
log "0x20 off: $(field "$res" forged) of $QUERIES clients got the forged address"
assert_cmp "0x20 off: clients answered" $(($(field "$res" real) + $(field "$res" forged))) -ge $((QUERIES * 9 / 10))
stop_nodedns

nd_done
