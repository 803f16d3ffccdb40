#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_forward_zone.sh - --forward-zone with real upstreams:
# three unbound servers, the default one for example.test, one for the
# stub domain corp.internal and one that replaces it on SIGHUP. Names under
# the zone are asked of its upstream and counted under its address; other
# names of the default one; /debug/upstreams names the zone; a config file
# change moves the zone on SIGHUP; a zone that forwards to ourselves stops
# start-up.
. "$(dirname "$0")/lib.sh"

need unbound
start_unbound_auth example.test 'www.example.test. 300 IN A 192.0.2.10'
DEF_PORT=$UNBOUND_PORT
start_unbound_auth corp.internal 'www.corp.internal. 300 IN A 10.20.0.1' \
	'corp.internal. 300 IN SOA ns.corp.internal. h.corp.internal. 1 3600 600 86400 60'
CORP_PORT=$UNBOUND_PORT
CORP_LOG=$UNBOUND_LOG
start_unbound_auth corp.internal 'www.corp.internal. 300 IN A 10.30.0.1'
NEW_PORT=$UNBOUND_PORT

CONF="$ND_TMP/nodedns.conf"
# the zone over TCP only (",tcp", as NodeLocal DNSCache asks kube-dns)
printf 'forward-zone corp.internal=127.0.0.1:%s,tcp\n' "$CORP_PORT" >"$CONF"
start_nodedns -c "$CONF" --upstream "127.0.0.1:$DEF_PORT" --cache-max-ttl 1

k_a() { q "$1" A +short | head -n 1; }
assert_eq "www.corp.internal from the zone's upstream" 10.20.0.1 "$(k_a www.corp.internal)"
assert_eq "WWW.Corp.Internal too (case)" 10.20.0.1 "$(k_a WWW.Corp.Internal)"
assert_eq "www.example.test from the default upstream" 192.0.2.10 "$(k_a www.example.test)"
# the zone's upstream saw the zone's name and never the other one
poll_until 3000 grep -q 'www.corp.internal. A IN' "$CORP_LOG" &&
	pass "the zone's upstream was asked" || fail "the zone's upstream saw no query"
if grep -q 'www.example.test' "$CORP_LOG"; then
	fail "the zone's upstream was asked a name outside the zone"
else
	pass "the zone's upstream was asked nothing else"
fi
# a name under the zone that its upstream does not have: its NXDOMAIN
out=$(q nope.corp.internal A)
assert_eq "nope.corp.internal: the zone's NXDOMAIN" NXDOMAIN "$(rcode_of "$out")"
if section_of "$out" AUTHORITY | grep -q 'corp.internal.*SOA'; then
	pass "with the zone's SOA"
else
	fail "no SOA of corp.internal in: $out"
fi

# counters and /debug/upstreams by address, the zone named
sent_to() { metric_l nodedns_forward_requests_total "upstream=\"127.0.0.1:$1\""; }
assert_cmp "forward_requests_total of the zone's upstream" "$(sent_to "$CORP_PORT")" -ge 2
assert_cmp "forward_requests_total of the default upstream" "$(sent_to "$DEF_PORT")" -ge 1
tcp_to() { metric_l nodedns_forward_tcp_total "upstream=\"127.0.0.1:$1\""; }
assert_eq "every attempt at the zone's upstream over TCP (,tcp)" "$(sent_to "$CORP_PORT")" "$(tcp_to "$CORP_PORT")"
assert_eq "none at the default upstream" 0 "$(tcp_to "$DEF_PORT")"
zone_of=$(nd_debug /debug/upstreams | "$ND_PY" -c '
import json, sys
for u in json.load(sys.stdin)["upstreams"]:
    print(u["address"], u.get("zone", "-"))')
assert_contains "/debug/upstreams names the zone" "$zone_of" "127.0.0.1:$CORP_PORT corp.internal"
assert_contains "/debug/upstreams keeps the default one" "$zone_of" "127.0.0.1:$DEF_PORT -"

# SIGHUP: the file now sends the zone elsewhere
printf 'forward-zone corp.internal=127.0.0.1:%s\n' "$NEW_PORT" >"$CONF"
n0=$(log_lines)
kill -HUP "$ND_PID"
poll_until 5000 log_has_after "$n0" 'config: reloaded' || fail "no reload logged after SIGHUP"
moved() { [ "$(k_a www.corp.internal)" = 10.30.0.1 ]; }
poll_until 5000 moved && pass "after SIGHUP the zone's names go to its new upstream" ||
	fail "after SIGHUP www.corp.internal is $(k_a www.corp.internal), want 10.30.0.1"
assert_eq "the default upstream still answers its names" 192.0.2.10 "$(k_a www.example.test)"
nd_kill "$ND_PID"

# a zone that forwards to our own listen address stops start-up
port=$(free_port)
out=$("$ND_BUILDDIR/nodedns" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$(free_port)" \
	--debug-listen "127.0.0.1:$(free_port)" \
	--resolv-conf /dev/null --upstream "127.0.0.1:$DEF_PORT" \
	--forward-zone "corp.internal=127.0.0.1:$port" 2>&1)
rc=$?
assert_cmp "start-up with a looping zone fails" "$rc" -ne 0
assert_contains "and says why" "$out" "forward zone corp.internal: upstream 127.0.0.1:$port is our own listen address"

nd_done
