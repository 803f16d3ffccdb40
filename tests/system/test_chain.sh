#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_chain.sh - CNAME chains completed by nodedns, with a
# real upstream (unbound serving example.com and example.net): an
# ExternalName Service answers its CNAME and the target's addresses
# (stub resolvers do not chase CNAMEs); the target's NODATA keeps the
# CNAME with the SOA; an upstream answer that stops at a CNAME is
# completed too; the second time the target comes from the cache.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kube.sh"

FIXTURE="$KUBE_FIXTURES/cluster.json"
SVC="svc.$ZONE"

# example.net in a second local zone of the same unbound: the target of
# alias.example.com, which unbound answers with the CNAME alone.
UNBOUND_EXTRA='	local-zone: "example.net." static
	local-data: "example.net. 300 IN SOA ns.example.net. h.example.net. 1 3600 600 86400 60"
	local-data: "edge.example.net. 300 IN A 192.0.2.55"' \
	start_unbound_auth example.com \
	'example.com. 300 IN SOA ns.example.com. h.example.com. 1 3600 600 86400 60' \
	'api.example.com. 300 IN A 192.0.2.44' \
	'alias.example.com. 300 IN CNAME edge.example.net.'
start_nodedns --upstream "127.0.0.1:$UNBOUND_PORT" --kube-snapshot "$FIXTURE" --ttl 5

# ExternalName shop/ext -> api.example.com
k_expect "ext.shop.$SVC" A NOERROR \
	ANSWER "ext.shop.$SVC." CNAME api.example.com. \
	ANSWER api.example.com. A 192.0.2.44
assert_eq "ext A: two records" 2 "$(section_of "$K_OUT" ANSWER | grep -c 'IN')"
# the target has no AAAA: NODATA, the CNAME kept, the SOA of example.com
k_expect "ext.shop.$SVC" AAAA NOERROR \
	ANSWER "ext.shop.$SVC." CNAME api.example.com. \
	AUTHORITY example.com. SOA ""
# without EDNS, and over TCP: the same chain
for how in +noedns +tcp; do
	out=$(q "ext.shop.$SVC" A "$how")
	if [ "$(rcode_of "$out")" = NOERROR ] &&
		k_has_rr "$out" ANSWER api.example.com. A 192.0.2.44; then
		pass "ext A ($how): the chain completed"
	else
		fail "ext A ($how): expected the chain, got:"
		printf '%s\n' "$out" | sed 's/^/    | /' | head -n 30
	fi
done

# An upstream answer that stops at a CNAME: nodedns asks for the target.
k_expect alias.example.com A NOERROR \
	ANSWER alias.example.com. CNAME edge.example.net. \
	ANSWER edge.example.net. A 192.0.2.55

# unbound answered alias.example.com with the CNAME alone and was asked
# for the target by nodedns (its query log says so).
poll_until 3000 grep -qi 'edge.example.net. A IN' "$UNBOUND_LOG" &&
	pass "nodedns asked the upstream for the CNAME's target" ||
	fail "no query for edge.example.net in the upstream's log"

# The second time, the target comes from the cache: no new upstream query.
sent() { metric_l nodedns_forward_requests_total; }
s0=$(sent)
k_expect "ext.shop.$SVC" A NOERROR ANSWER api.example.com. A 192.0.2.44
k_expect alias.example.com A NOERROR ANSWER edge.example.net. A 192.0.2.55
assert_eq "chains answered again without asking upstream" "$s0" "$(sent)"

nd_done
