#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_kube_dns_config.sh - --kube-dns-config DIR, the
# kube-dns ConfigMap as NodeLocal DNSCache reads it: stubDomains become
# forward zones, upstreamNameservers the upstreams; a changed file is
# read again by itself (no SIGHUP), a broken one is logged and the last
# good one keeps serving; a broken one at start stops start-up.
. "$(dirname "$0")/lib.sh"

need unbound
start_unbound_auth example.test 'www.example.test. 300 IN A 192.0.2.10'
DEF_PORT=$UNBOUND_PORT
start_unbound_auth corp.internal 'www.corp.internal. 300 IN A 10.20.0.1'
CORP_PORT=$UNBOUND_PORT
start_unbound_auth corp.internal 'www.corp.internal. 300 IN A 10.30.0.1'
NEW_PORT=$UNBOUND_PORT

DIR="$ND_TMP/kube-dns"
mkdir -p "$DIR"
# write FILE TEXT: replace a file at once, as a ConfigMap update does
write() { printf '%s\n' "$2" >"$DIR/.$1.tmp" && mv -f "$DIR/.$1.tmp" "$DIR/$1"; }
write stubDomains "{\"corp.internal\": [\"127.0.0.1:$CORP_PORT\"]}"
write upstreamNameservers "[\"127.0.0.1:$DEF_PORT\"]"

start_nodedns --kube-dns-config "$DIR" --cache-max-ttl 1
a_of() { q "$1" A +short | head -n 1; }
assert_eq "a stub domain's name from its upstream" 10.20.0.1 "$(a_of www.corp.internal)"
assert_eq "another name from upstreamNameservers" 192.0.2.10 "$(a_of www.example.test)"
zone_of=$(nd_debug /debug/upstreams | "$ND_PY" -c '
import json, sys
for u in json.load(sys.stdin)["upstreams"]:
    print(u["address"], u.get("zone", "-"))')
assert_contains "/debug/upstreams: the stub domain" "$zone_of" "127.0.0.1:$CORP_PORT corp.internal"
assert_contains "/debug/upstreams: upstreamNameservers" "$zone_of" "127.0.0.1:$DEF_PORT -"

# the ConfigMap changes: read again without a signal
n0=$(log_lines)
write stubDomains "{\"corp.internal\": [\"127.0.0.1:$NEW_PORT\"]}"
poll_until 10000 log_has_after "$n0" 'kube-dns changed; reloading' &&
	pass "the change is noticed by itself" || fail "no reload after the ConfigMap changed"
moved() { [ "$(a_of www.corp.internal)" = 10.30.0.1 ]; }
poll_until 5000 moved && pass "the stub domain now goes to its new upstream" ||
	fail "www.corp.internal is $(a_of www.corp.internal), want 10.30.0.1"

# a broken file: logged, the last good one keeps serving
n0=$(log_lines)
write stubDomains '{"corp.internal": [not json'
poll_until 10000 log_has_after "$n0" "reload failed, keeping the running configuration: $DIR/stubDomains: not a JSON object" &&
	pass "a broken stubDomains is logged with its path" || fail "no error line for the broken file"
assert_eq "and the last good one keeps serving" 10.30.0.1 "$(a_of www.corp.internal)"
nd_kill "$ND_PID"

# broken at start: no start
out=$("$ND_BUILDDIR/nodedns" --listen "127.0.0.1:$(free_port)" --http-listen "127.0.0.1:$(free_port)" \
	--debug-listen "127.0.0.1:$(free_port)" \
	--resolv-conf /dev/null --kube-dns-config "$DIR" 2>&1)
rc=$?
assert_cmp "a broken ConfigMap at start stops start-up" "$rc" -ne 0
assert_contains "and names the file" "$out" "$DIR/stubDomains: not a JSON object"

nd_done
