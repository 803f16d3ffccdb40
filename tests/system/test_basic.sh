#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_basic.sh - every record type forwarded and answered,
# case echo, EDNS echo, no-EDNS, RD=0.
. "$(dirname "$0")/lib.sh"

start_nsd "$ND_ZONES/example.test.zone" example.test
start_nodedns --upstream "127.0.0.1:$NSD_PORT"

# has_rr DIG_OUTPUT SECTION NAME TYPE RDATA: the section holds that RR.
has_rr() {
	section_of "$1" "$2" | awk -v n="$3" -v t="$4" -v d="$5" '
		BEGIN { found = 1 }
		{
			r = $5; for (i = 6; i <= NF; i++) r = r " " $i
			if (tolower($1) == tolower(n) && $3 == "IN" && $4 == t && (d == "" || r == d)) found = 0
		}
		END { exit found }'
}

# expect NAME TYPE RCODE [SECTION OWNER RRTYPE RDATA]...
expect() {
	local name=$1 type=$2 rcode=$3 out
	shift 3
	out=$(q "$name" "$type")
	assert_eq "$name $type rcode" "$rcode" "$(rcode_of "$out")"
	while [ $# -ge 4 ]; do
		if has_rr "$out" "$1" "$2" "$3" "$4"; then
			pass "$name $type: $1 has $2 $3 $4"
		else
			fail "$name $type: expected $1 to hold '$2 IN $3 $4', got:"
			printf '%s\n' "$out" | sed 's/^/    | /'
		fi
		shift 4
	done
	LAST_OUT=$out
}

expect www.example.test A NOERROR ANSWER www.example.test. A 192.0.2.10
ttl=$(ttl_of "$LAST_OUT" www.example.test A)
assert_cmp "TTL of www A" "${ttl:-x}" -le 300
assert_cmp "TTL of www A" "${ttl:-x}" -gt 290
assert_match "flags of www A" "$(flags_of "$LAST_OUT")" '^qr .*rd ra'

expect www.example.test AAAA NOERROR ANSWER www.example.test. AAAA 2001:db8::10
expect example.test MX NOERROR ANSWER example.test. MX "10 mail.example.test."
expect txt.example.test TXT NOERROR ANSWER txt.example.test. TXT '"hello from example.test"'

# CNAME chain alias1 -> alias2 -> www: the whole chain in one answer
expect alias1.example.test A NOERROR \
	ANSWER alias1.example.test. CNAME alias2.example.test. \
	ANSWER alias2.example.test. CNAME www.example.test. \
	ANSWER www.example.test. A 192.0.2.10

# NXDOMAIN and NODATA carry the zone's SOA in the authority section (RFC 2308)
expect nope.example.test A NXDOMAIN AUTHORITY example.test. SOA ""
assert_eq "NXDOMAIN answer count" "" "$(section_of "$LAST_OUT" ANSWER)"
expect nodata.example.test A NOERROR AUTHORITY example.test. SOA ""
assert_contains "NODATA header" "$LAST_OUT" "ANSWER: 0,"

# The question comes back as the client spelled it (0x20), on a cache hit
# (www was asked above) and on a miss (mixed was not).
for name in WwW.ExAmPlE.tEsT MiXeD.eXaMpLe.TeSt; do
	out=$(q "$name" A)
	assert_eq "$name rcode" NOERROR "$(rcode_of "$out")"
	assert_match "$name question echoed as sent" "$out" "^;$name\.[[:space:]]+IN[[:space:]]+A$"
	assert_not_contains "$name: dig saw no mismatch" "$out" "mismatch"
done

# EDNS: the server's OPT advertises 1232 whatever the client offered
out=$(q www.example.test A +bufsize=4096)
assert_contains "EDNS reply" "$out" "OPT PSEUDOSECTION"
assert_match "server's EDNS udp size" "$out" "EDNS: version: 0, flags:.*; udp: 1232"
out=$(q www.example.test A +bufsize=512)
assert_match "server's EDNS udp size (client 512)" "$out" "udp: 1232"

# No EDNS in the query: no OPT in the answer (RFC 6891 7)
out=$(q www.example.test A +noedns)
assert_eq "no-EDNS rcode" NOERROR "$(rcode_of "$out")"
assert_not_contains "no-EDNS reply" "$out" "OPT PSEUDOSECTION"
assert_contains "no-EDNS answer" "$out" "192.0.2.10"

# RD=0 is still answered, RD echoed as 0
for name in www.example.test; do
	out=$(q "$name" A +norecurse)
	assert_eq "$name +norecurse rcode" NOERROR "$(rcode_of "$out")"
	assert_contains "$name +norecurse answer" "$out" "IN	A	192.0.2."
	assert_not_contains "$name +norecurse flags" " $(flags_of "$out") " " rd "
done

# The ID is echoed (dig checks it; a raw query checks it here)
r=$(raw_udp "$(dns_query_hex 43981 www.example.test 1)")
assert_eq "raw reply ID" 43981 "$(reply_field "$r" id)"
assert_eq "raw reply QR" 1 "$(reply_field "$r" qr)"
assert_eq "raw reply rcode" 0 "$(reply_field "$r" rcode)"

nd_done
