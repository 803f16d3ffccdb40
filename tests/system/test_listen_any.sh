#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_listen_any.sh - nodedns listening on 0.0.0.0 and :: answers
# every query from the address it was sent to. A node has several addresses
# (169.254.20.10, a Service IP, its own); with a wildcard socket the kernel
# would pick the answer's source by route, and a client (dig here, glibc
# alike) drops an answer from an address it did not ask. In the node netns,
# extra addresses on lo; each query is sent from one address to another
# (dig -b), so that the route would pick the wrong source: answers from the
# store (sent at once) and forwarded ones (sent when the upstream answers,
# from another code path), over IPv4 and IPv6, and TCP alongside.
NN_ALLOW="169.254.0.0/16 127.0.0.0/8 fd00::/64 ::1/128"
NN_LISTEN="0.0.0.0:53 [::]:53"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_netns.sh"

nn_setup
ip -n "$NN_NODE" addr add 169.254.20.11/32 dev lo || die "cannot add 169.254.20.11"
ip -n "$NN_NODE" -6 addr add fd00::53/128 dev lo nodad || die "cannot add fd00::53"
ip -n "$NN_NODE" -6 addr add fd00::54/128 dev lo nodad || die "cannot add fd00::54"
nn_start_upstream
nn_start_nodedns

# ask FROM TO ARGS...: dig in the node netns from address FROM to TO.
ask() {
	local from=$1 to=$2
	shift 2
	nn_node dig -b "$from" @"$to" +tries=1 +time=2 "$@" 2>&1
}

# check FROM TO NAME RCODE [DIG ARGS...]
check() {
	local from=$1 to=$2 name=$3 want=$4 out
	shift 4
	out=$(ask "$from" "$to" "$name" A "$@")
	assert_not_contains "$name from $from to $to $*: answered from the address asked" "$out" "unexpected source"
	assert_contains "$name from $from to $to $*" "$out" "status: $want"
}

n=0
for pair in "127.0.0.1 127.0.0.2" "169.254.20.10 169.254.20.11" "169.254.20.11 169.254.20.10" \
	"fd00::53 fd00::54" "::1 fd00::53"; do
	read -r from to <<<"$pair"
	n=$((n + 1))
	# from the store, answered while the query is in hand
	check "$from" "$to" trace-svc.default.svc.cluster.local NOERROR
	# forwarded: a cache miss, answered when the upstream replies
	check "$from" "$to" "miss$n.example.com" NXDOMAIN
	check "$from" "$to" api.example.com NOERROR
	# TCP needs none of this (the connection has its address) but must work
	check "$from" "$to" trace-svc.default.svc.cluster.local NOERROR +tcp
done

# the answers carry the records, not just a status
out=$(ask 127.0.0.1 127.0.0.2 trace-svc.default.svc.cluster.local A +short)
assert_match "trace-svc A from 127.0.0.2" "$out" '^10\.' 

nd_done
