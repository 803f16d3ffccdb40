#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_kube_records.sh - the records of the cluster zone, as the
# Kubernetes DNS specification defines them, answered from tests/system/
# kube/cluster.json: once watched through the test API server
# (--kube-api), once served from the same file (--kube-snapshot).
# A, AAAA, SRV, PTR (cluster IPs and ready endpoints), CNAME, TXT
# dns-version, SOA/NS, NXDOMAIN (a headless Service without ready
# endpoints too) and NODATA with the SOA, pod records in the three --pods
# modes, case echo, AA, TTL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kube.sh"

FIXTURE="$KUBE_FIXTURES/cluster.json"
TTL=7
SVC="svc.$ZONE"

# every RR of a section has TTL $TTL
check_ttls() {
	local what=$1 out=$2 sect=$3 ttls
	ttls=$(section_of "$out" "$sect" | awk '$4 != "OPT" { print $2 }' | sort -u | paste -sd' ' -)
	assert_eq "$what: TTLs in the $sect section" "$TTL" "$ttls"
}

check_aa() {
	assert_match "$1: flags (aa)" " $(flags_of "$2") " " aa "
}

# NXDOMAIN or NODATA: no answer, the zone's SOA in authority, TTL $TTL
check_negative() {
	local name=$1 type=$2 rcode=$3
	k_expect "$name" "$type" "$rcode" AUTHORITY "$ZONE." SOA ""
	assert_eq "$name $type: answer count" 0 "$(k_answer_count "$K_OUT")"
	check_aa "$name $type" "$K_OUT"
	check_ttls "$name $type" "$K_OUT" AUTHORITY
}

check_records() {
	local mode=$1 out srv

	# ClusterIP with ready endpoints: the cluster IP, not the endpoints
	k_expect "web.shop.$SVC" A NOERROR ANSWER "web.shop.$SVC." A 10.96.0.20
	assert_eq "[$mode] web A answer" 10.96.0.20 "$(k_rdata "$K_OUT" "web.shop.$SVC" A)"
	check_aa "[$mode] web A" "$K_OUT"
	check_ttls "[$mode] web A" "$K_OUT" ANSWER

	# ClusterIP with zero ready endpoints still answers
	k_expect "idle.shop.$SVC" A NOERROR ANSWER "idle.shop.$SVC." A 10.96.0.50

	# dual stack: A and AAAA
	k_expect "dual.default.$SVC" A NOERROR ANSWER "dual.default.$SVC." A 10.96.0.40
	assert_eq "[$mode] dual A answer" 10.96.0.40 "$(k_rdata "$K_OUT" "dual.default.$SVC" A)"
	k_expect "dual.default.$SVC" AAAA NOERROR ANSWER "dual.default.$SVC." AAAA fd00:10:96::40
	assert_eq "[$mode] dual AAAA answer" fd00:10:96::40 "$(k_rdata "$K_OUT" "dual.default.$SVC" AAAA)"
	check_ttls "[$mode] dual AAAA" "$K_OUT" ANSWER

	# headless: only the ready endpoints
	k_expect "db.data.$SVC" A NOERROR
	assert_eq "[$mode] headless db A = ready endpoints only" "10.244.1.20 10.244.2.21" \
		"$(k_rdata "$K_OUT" "db.data.$SVC" A)"
	check_aa "[$mode] db A" "$K_OUT"
	check_ttls "[$mode] db A" "$K_OUT" ANSWER

	# hostname.service names of ready endpoints; the not-ready one has none
	k_expect "db-0.db.data.$SVC" A NOERROR ANSWER "db-0.db.data.$SVC." A 10.244.1.20
	k_expect "db-1.db.data.$SVC" A NOERROR ANSWER "db-1.db.data.$SVC." A 10.244.2.21
	assert_eq "[$mode] db-0 A answer" 10.244.1.20 "$(k_rdata "$(q "db-0.db.data.$SVC" A)" "db-0.db.data.$SVC" A)"
	check_negative "db-2.db.data.$SVC" A NXDOMAIN

	# SRV of a ClusterIP Service: target = the Service name, its A in additional
	k_expect "_http._tcp.web.shop.$SVC" SRV NOERROR \
		ANSWER "_http._tcp.web.shop.$SVC." SRV "0 100 80 web.shop.$SVC." \
		ADDITIONAL "web.shop.$SVC." A 10.96.0.20
	assert_eq "[$mode] web SRV count" 1 "$(k_answer_count "$K_OUT")"
	check_aa "[$mode] web SRV" "$K_OUT"
	check_ttls "[$mode] web SRV" "$K_OUT" ANSWER
	check_ttls "[$mode] web SRV" "$K_OUT" ADDITIONAL

	# SRV of a headless Service: one per ready endpoint, target its hostname
	out=$(q "_pg._tcp.db.data.$SVC" SRV)
	assert_eq "[$mode] db SRV rcode" NOERROR "$(rcode_of "$out")"
	srv=$(section_of "$out" ANSWER | awk '$4 == "SRV" { print $7, tolower($8) }' | sort | paste -sd' ' -)
	assert_eq "[$mode] db SRV port+target per ready endpoint" \
		"5432 db-0.db.data.$SVC. 5432 db-1.db.data.$SVC." "$srv"
	if k_has_rr "$out" ADDITIONAL "db-0.db.data.$SVC." A 10.244.1.20 &&
		k_has_rr "$out" ADDITIONAL "db-1.db.data.$SVC." A 10.244.2.21; then
		pass "[$mode] db SRV: additional A of db-0 and db-1"
	else
		fail "[$mode] db SRV: expected additional A of db-0 and db-1, got:"
		printf '%s\n' "$out" | sed 's/^/    | /'
	fi
	assert_not_contains "[$mode] db SRV: no not-ready endpoint" "$out" "db-2"
	check_ttls "[$mode] db SRV" "$out" ANSWER

	# headless with no ready endpoint: NXDOMAIN (spec 2.4.1), for A, AAAA,
	# its SRV names and its not-ready endpoint; the namespace still exists
	check_negative "queue.data.$SVC" A NXDOMAIN
	check_negative "queue.data.$SVC" AAAA NXDOMAIN
	check_negative "_amqp._tcp.queue.data.$SVC" SRV NXDOMAIN
	check_negative "queue-0.queue.data.$SVC" A NXDOMAIN
	check_negative "data.$SVC" A NOERROR

	# PTR of a cluster IP and of a headless endpoint with a hostname
	k_expect 20.0.96.10.in-addr.arpa PTR NOERROR \
		ANSWER 20.0.96.10.in-addr.arpa. PTR "web.shop.$SVC."
	check_aa "[$mode] PTR 10.96.0.20" "$K_OUT"
	check_ttls "[$mode] PTR 10.96.0.20" "$K_OUT" ANSWER
	k_expect 20.1.244.10.in-addr.arpa PTR NOERROR \
		ANSWER 20.1.244.10.in-addr.arpa. PTR "db-0.db.data.$SVC."

	# PTR of the ready endpoints of ClusterIP Services too, as CoreDNS
	# answers: the dashed address under the Service, which resolves
	k_expect 10.1.244.10.in-addr.arpa PTR NOERROR \
		ANSWER 10.1.244.10.in-addr.arpa. PTR "10-244-1-10.web.shop.$SVC."
	check_aa "[$mode] PTR 10.244.1.10" "$K_OUT"
	check_ttls "[$mode] PTR 10.244.1.10" "$K_OUT" ANSWER
	k_expect "10-244-1-10.web.shop.$SVC" A NOERROR \
		ANSWER "10-244-1-10.web.shop.$SVC." A 10.244.1.10
	k_expect 0.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.4.4.2.0.0.1.0.0.0.0.d.f.ip6.arpa PTR NOERROR \
		ANSWER 0.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.4.4.2.0.0.1.0.0.0.0.d.f.ip6.arpa. \
		PTR "fd00-10-244-1--40.dual.default.$SVC."
	k_expect "fd00-10-244-1--40.dual.default.$SVC" AAAA NOERROR \
		ANSWER "fd00-10-244-1--40.dual.default.$SVC." AAAA fd00:10:244:1::40
	# not-ready endpoints (idle's, queue's) get no PTR: forwarded, as an
	# unknown address is (the upstream here is a closed port)
	for rev in 50.1.244.10.in-addr.arpa 60.3.244.10.in-addr.arpa; do
		out=$(q "$rev" PTR)
		assert_eq "[$mode] $rev PTR: no answer" 0 "$(k_answer_count "$out")"
		assert_not_contains "[$mode] $rev PTR: not authoritative" " $(flags_of "$out") " " aa "
		log "[$mode] $rev PTR: $(rcode_of "$out") (forwarded)"
	done

	# ExternalName: a CNAME
	k_expect "ext.shop.$SVC" CNAME NOERROR ANSWER "ext.shop.$SVC." CNAME api.example.com.
	check_aa "[$mode] ext CNAME" "$K_OUT"
	check_ttls "[$mode] ext CNAME" "$K_OUT" ANSWER
	# ... whose target nodedns resolves to complete the chain (stub
	# resolvers do not chase CNAMEs); here nothing listens on the
	# upstream port, so the target cannot be had: SERVFAIL, and EDE 23
	# says why. test_chain.sh checks completed chains.
	out=$(q "ext.shop.$SVC" A)
	if grep -q 'status: SERVFAIL' <<<"$out" && grep -q 'EDE: 23' <<<"$out"; then
		pass "[$mode] ext A: the target is asked upstream (dead here): SERVFAIL, EDE 23"
	else
		fail "[$mode] ext A: expected SERVFAIL with EDE 23 (the target's upstream is dead), got:"
		printf '%s\n' "$out" | sed 's/^/    | /'
	fi

	# dns-version, SOA and NS at the apex
	k_expect "dns-version.$ZONE" TXT NOERROR ANSWER "dns-version.$ZONE." TXT '"1.1.0"'
	check_ttls "[$mode] dns-version" "$K_OUT" ANSWER
	k_expect "$ZONE" SOA NOERROR ANSWER "$ZONE." SOA ""
	check_aa "[$mode] apex SOA" "$K_OUT"
	k_expect "$ZONE" NS NOERROR ANSWER "$ZONE." NS ""
	check_aa "[$mode] apex NS" "$K_OUT"

	# NXDOMAIN: a missing service, a missing namespace
	check_negative "nosuch.shop.$SVC" A NXDOMAIN
	check_negative "web.nosuchns.$SVC" A NXDOMAIN
	check_negative "nosuchns.$SVC" A NXDOMAIN

	# NODATA: an existing namespace (with and without Services), AAAA of an
	# IPv4-only Service
	check_negative "shop.$SVC" A NOERROR
	check_negative "quiet.$SVC" A NOERROR
	check_negative "web.shop.$SVC" AAAA NOERROR

	# case-insensitive, the question echoed as spelled
	out=$(q "WeB.sHoP.SvC.ClUsTeR.lOcAl" A)
	assert_eq "[$mode] mixed-case rcode" NOERROR "$(rcode_of "$out")"
	assert_match "[$mode] mixed-case question echoed" "$out" \
		'^;WeB\.sHoP\.SvC\.ClUsTeR\.lOcAl\.[[:space:]]+IN[[:space:]]+A$'
	assert_eq "[$mode] mixed-case answer" 10.96.0.20 "$(k_rdata "$out" "web.shop.$SVC" A)"
	assert_not_contains "[$mode] mixed-case: dig saw no mismatch" "$out" "mismatch"
}

# pods insecure: any a-b-c-d of any namespace
check_pods_insecure() {
	k_expect "10-244-9-9.shop.pod.$ZONE" A NOERROR ANSWER "10-244-9-9.shop.pod.$ZONE." A 10.244.9.9
	check_aa "[$1] pod insecure" "$K_OUT"
	check_ttls "[$1] pod insecure" "$K_OUT" ANSWER
}

# start_nd MODE PODS: nodedns on the fixture, ready
start_nd() {
	local mode=$1 pods=$2
	if [ "$mode" = api ]; then
		start_nodedns --upstream 127.0.0.1:9 --kube-api "$KAPI_URL" --ttl "$TTL" --pods "$pods"
	else
		start_nodedns --upstream 127.0.0.1:9 --kube-snapshot "$FIXTURE" --ttl "$TTL" --pods "$pods"
	fi
	wait_ready 10000 || fail "[$mode] /ready not 200 within 10 s (got $(nd_http_code /ready))"
}

start_kubeapi --state "$FIXTURE"

for mode in api snapshot; do
	log "=== $mode: --pods insecure, every record"
	start_nd "$mode" insecure
	check_records "$mode"
	check_pods_insecure "$mode"
	stop_nodedns

	log "=== $mode: --pods disabled"
	start_nd "$mode" disabled
	check_negative "10-244-9-9.shop.pod.$ZONE" A NXDOMAIN
	check_negative "10-244-1-10.shop.pod.$ZONE" A NXDOMAIN
	stop_nodedns

	log "=== $mode: --pods verified"
	start_nd "$mode" verified
	# 10.244.1.10 is an endpoint of shop/web; 10.244.1.20 of data/db
	k_expect "10-244-1-10.shop.pod.$ZONE" A NOERROR ANSWER "10-244-1-10.shop.pod.$ZONE." A 10.244.1.10
	check_aa "[$mode] pod verified" "$K_OUT"
	k_expect "10-244-1-20.data.pod.$ZONE" A NOERROR ANSWER "10-244-1-20.data.pod.$ZONE." A 10.244.1.20
	check_negative "10-244-1-20.shop.pod.$ZONE" A NXDOMAIN
	check_negative "10-244-9-9.shop.pod.$ZONE" A NXDOMAIN
	stop_nodedns
done

nd_done
