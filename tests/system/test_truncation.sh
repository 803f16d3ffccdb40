#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_truncation.sh - an answer too big for the client's UDP
# size carries the whole answer records that fit, with TC=1 (musl before
# 1.2.4 does not retry over TCP and uses them), and multi-address answers
# rotate per query: a headless Service of 60 ready endpoints (from a
# --kube-snapshot written here) and an upstream name of 60 A records
# (nsd, a zone written here), asked with dig +ignore +bufsize=512 +noedns.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kube.sh"

SNAP="$ND_TMP/cluster.json"
"$ND_PY" - "$SNAP" <<'EOF'
import json, sys
eps = [{"addresses": ["10.60.0.%d" % i],
        "conditions": {"ready": True, "serving": True, "terminating": False}}
       for i in range(1, 61)]
items = [
    {"apiVersion": "v1", "kind": "Namespace",
     "metadata": {"name": "big", "resourceVersion": "1"}},
    {"apiVersion": "v1", "kind": "Service",
     "metadata": {"name": "many", "namespace": "big", "resourceVersion": "2"},
     "spec": {"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
              "ports": [{"name": "http", "protocol": "TCP", "port": 80}]}},
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": {"name": "many-abcde", "namespace": "big", "resourceVersion": "3",
                  "labels": {"kubernetes.io/service-name": "many"}},
     "addressType": "IPv4", "endpoints": eps,
     "ports": [{"name": "http", "protocol": "TCP", "port": 80}]},
]
json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
           "items": items}, open(sys.argv[1], "w"), indent=1)
EOF

ZONEFILE="$ND_TMP/rot.test.zone"
{
	printf '$ORIGIN rot.test.\n$TTL 300\n'
	printf '@ IN SOA ns1.rot.test. hostmaster.rot.test. ( 1 3600 600 86400 300 )\n'
	printf '@ IN NS ns1.rot.test.\nns1 IN A 127.0.0.1\n'
	for i in $(seq 1 60); do printf 'many IN A 192.0.2.%d\n' "$i"; done
} >"$ZONEFILE"

start_nsd "$ZONEFILE" rot.test
# One worker: its round-robin counter moves on at every answer, so two
# queries in a row lead with different addresses.
ND_THREADS=1 start_nodedns --upstream "127.0.0.1:$NSD_PORT" --kube-snapshot "$SNAP"
wait_ready 10000 || fail "/ready not 200 with a snapshot (got $(nd_http_code /ready))"

size_of() { printf '%s\n' "$1" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p'; }
# first_a DIG_OUTPUT: the first address of the answer section.
first_a() { section_of "$1" ANSWER | awk '$4 == "A" { print $5; exit }'; }

# check_truncated LABEL NAME PREFIX DIG_OPTIONS...: asked over UDP, the
# reply has TC and 2 to 59 A records (whole: dig parsed them), every one
# an address PREFIX.N with N in 1..60, none twice; it is within 512 bytes
# and one more record (16 bytes) would not have fit. OUT: dig's output.
check_truncated() {
	local label=$1 name=$2 prefix=$3 n size bad
	shift 3
	OUT=$(q "$name" A +ignore +notcp "$@")
	assert_eq "$label: rcode" NOERROR "$(rcode_of "$OUT")"
	assert_match "$label: flags" " $(flags_of "$OUT") " " tc "
	n=$(k_answer_count "$OUT")
	size=$(size_of "$OUT")
	assert_cmp "$label: answer records" "$n" -ge 2
	assert_cmp "$label: answer records" "$n" -lt 60
	assert_cmp "$label: size" "${size:-99999}" -le 512
	assert_cmp "$label: size + one more record" "$((${size:-0} + 16))" -gt 512
	bad=$(section_of "$OUT" ANSWER | awk -v p="$prefix" '
		$4 != "A" || index($5, p) != 1 || seen[$5]++ { print }')
	assert_eq "$label: only distinct A records of the set" "" "$bad"
	assert_eq "$label: no additional records" "" "$(section_of "$OUT" ADDITIONAL)"
	log "$label: $n records, size $size, first $(first_a "$OUT")"
}

# both_ways LABEL NAME PREFIX: the brief's dig form (dig 9.18 still sends
# EDNS, at 512 bytes, when +bufsize is given) and a stub without EDNS (musl
# sends none); two queries in a row lead with different addresses.
both_ways() {
	local label=$1 name=$2 prefix=$3 first1
	check_truncated "$label, EDNS 512" "$name" "$prefix" +bufsize=512 +noedns
	first1=$(first_a "$OUT")
	check_truncated "$label, no EDNS" "$name" "$prefix" +noedns
	assert_ne "$label: two queries lead with different addresses" "$first1" "$(first_a "$OUT")"
}

SVC="many.big.svc.$ZONE"
# --- the cluster zone: 60 endpoints -------------------------------------------------
both_ways headless "$SVC" 10.60.0.
# 12 + 28 + 4 + 29 * 16 = 508 bytes
assert_eq "headless: records kept at 512 bytes" 29 "$(k_answer_count "$OUT")"

# over TCP all 60, rotated too
out=$(q "$SVC" A +tcp)
assert_not_contains "headless over TCP: flags" " $(flags_of "$out") " " tc "
assert_eq "headless over TCP: all addresses" 60 "$(section_of "$out" ANSWER | awk '$4 == "A"' | sort -u | grep -c .)"
out2=$(q "$SVC" A +tcp)
assert_ne "headless over TCP: rotated" "$(first_a "$out")" "$(first_a "$out2")"

# --- an upstream answer from the cache: 60 A records --------------------------------
# The first asks nsd (over TCP after its TC) and fills the cache.
out=$(q many.rot.test A +tcp)
assert_eq "upstream over TCP: all addresses" 60 "$(section_of "$out" ANSWER | awk '$4 == "A"' | sort -u | grep -c .)"
both_ways upstream many.rot.test 192.0.2.
# 12 + 15 + 4 + 30 * 16 = 511 bytes
assert_eq "upstream: records kept at 512 bytes" 30 "$(k_answer_count "$OUT")"
# the truncated replies did not replace the full entry in the cache
out=$(q many.rot.test A +tcp)
assert_eq "upstream over TCP again: all addresses" 60 "$(section_of "$out" ANSWER | awk '$4 == "A"' | sort -u | grep -c .)"

# dig without +ignore retries over TCP on TC and gets all of them
out=$(q "$SVC" A +noedns)
assert_eq "headless with dig's TC fallback" 60 "$(k_answer_count "$out")"

stop_nodedns
nd_done
