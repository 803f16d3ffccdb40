#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_malformed.sh - bad and unsupported queries: FORMERR,
# NOTIMP, REFUSED, BADVERS, and packets that get no reply at all.
. "$(dirname "$0")/lib.sh"

start_nsd "$ND_ZONES/example.test.zone" example.test
start_nodedns --upstream "127.0.0.1:$NSD_PORT"

# raw_expect WHAT HEX RCODE: a reply with QR=1, the same ID and RCODE.
raw_expect() {
	local what=$1 hex=$2 want=$3 r id
	id=$((16#${hex:0:4}))
	r=$(raw_udp "$hex")
	if [ "$r" = TIMEOUT ]; then
		fail "$what: expected rcode $want, got no reply in 1.5 s"
		return
	fi
	assert_eq "$what: reply ID" "$id" "$(reply_field "$r" id)"
	assert_eq "$what: QR" 1 "$(reply_field "$r" qr)"
	assert_eq "$what: rcode" "$want" "$(reply_field "$r" rcode)"
}

# raw_silent WHAT HEX: no reply at all.
raw_silent() {
	local r
	r=$(raw_udp "$2" 1.0)
	assert_eq "$1: no reply" TIMEOUT "$r"
}

# QDCOUNT=2 (RFC 9619: exactly one question) -> FORMERR
raw_expect "QDCOUNT=2" "$(dns_query_hex 4097 www.example.test 1 0100 2)" 1

# QDCOUNT=1 but the question stops inside the name -> FORMERR
full=$(dns_query_hex 4098 www.example.test 1)
raw_expect "truncated question (name cut)" "${full:0:32}" 1
# ... or after the name, inside QTYPE/QCLASS
raw_expect "truncated question (no class)" "${full:0:$((${#full} - 4))}" 1

# QDCOUNT=0 with opcode QUERY -> FORMERR
raw_expect "QDCOUNT=0" "100300000000000000000000" 1

# opcodes other than QUERY -> NOTIMP
raw_expect "opcode STATUS" "$(dns_query_hex 4100 www.example.test 1 0100 1 2)" 4
raw_expect "opcode NOTIFY" "$(dns_query_hex 4101 example.test 6 0000 1 4)" 4
raw_expect "opcode UPDATE" "$(dns_query_hex 4102 example.test 6 0000 1 5)" 4
out=$(q www.example.test A +opcode=status)
assert_eq "dig +opcode=status" NOTIMP "$(rcode_of "$out")"

# class CH (version.bind and friends) -> REFUSED
out=$(q version.bind TXT -c CH)
assert_eq "class CH" REFUSED "$(rcode_of "$out")"
raw_expect "class CH (raw)" "$(dns_query_hex 4103 id.server 16 0100 1 0 3)" 5

# EDNS version 1 -> BADVERS with an OPT of version 0 (RFC 6891 6.1.3)
out=$(q www.example.test A +edns=1 +noednsnegotiation)
assert_eq "EDNS version 1" BADVERS "$(rcode_of "$out")"
assert_match "BADVERS reply's OPT" "$out" "EDNS: version: 0"

# QR=1 (a response sent to us): dropped, never answered (no reflection loops)
raw_silent "QR=1 packet" "$(dns_query_hex 4104 www.example.test 1 8100)"
# shorter than a header: dropped
raw_silent "5-byte packet" "1234010000"
# a bare header with QR=1: dropped
raw_silent "header only, QR=1" "123481000001000000000000"

# ... and the server still answers afterwards
out=$(q www.example.test A)
assert_eq "after the junk: rcode" NOERROR "$(rcode_of "$out")"
assert_contains "after the junk: answer" "$out" "192.0.2.10"

# FORMERR counted in /metrics
assert_cmp "responses with rcode FORMERR" "$(metric_l nodedns_dns_responses_total 'rcode="FORMERR"')" -ge 4
assert_cmp "responses with rcode NOTIMP" "$(metric_l nodedns_dns_responses_total 'rcode="NOTIMP"')" -ge 4

have_pid && { kill -0 "$ND_PID" 2>/dev/null && pass "daemon still running" || fail "daemon died"; }

# a client outside --allow: REFUSED, and RFC 8914 says why (EDE 18)
if [ -z "${ND_TARGET:-}" ]; then
	stop_nodedns
	start_nodedns --upstream "127.0.0.1:$NSD_PORT" --allow 10.0.0.0/8
	out=$(q www.example.test A)
	assert_eq "client outside --allow" REFUSED "$(rcode_of "$out")"
	assert_contains "client outside --allow: EDE 18" "$out" "EDE: 18 (Prohibited)"
	out=$(q www.example.test A +noedns)
	assert_eq "outside --allow without EDNS" REFUSED "$(rcode_of "$out")"
	assert_not_contains "no EDE without EDNS" "$out" "EDE:"
fi
nd_done
