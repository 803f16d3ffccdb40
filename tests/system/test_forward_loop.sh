#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_forward_loop.sh - a forwarding loop found while
# running: nodedns's upstream is an unbound that forwards everything back
# to nodedns. The loop probe sent at the reload comes back; the log says
# "forwarding loop through UPSTREAM", nodedns_forward_loops_total counts
# it, and a name sent there gets SERVFAIL at once with EDE 22 naming the
# upstream, instead of a timeout. A reload onto another, healthy upstream
# resolves names again. (A mark cleared by a later probe that does not
# come back is checked in tests/unit/resolver/test_upstream.c.)
. "$(dirname "$0")/lib.sh"

need unbound
# the healthy upstream, for the end of the test
start_unbound_auth example.test 'www.example.test. 300 IN A 192.0.2.10'
GOOD_PORT=$UNBOUND_PORT

# nodedns first, its upstream a port where nothing listens yet (the start
# probe finds no loop); then the unbound that forwards everything back to
# nodedns; then a reload, whose probe comes back
LOOP_PORT=$(free_port)
CONF="$ND_TMP/nodedns.conf"
printf 'upstream 127.0.0.1:%s\n' "$LOOP_PORT" >"$CONF"
start_nodedns -c "$CONF" --upstream-timeout 1000 --query-timeout 4000
dir="$ND_TMP/unbound-loop"
mkdir -p "$dir"
{
	unbound_server_head "$LOOP_PORT" "$dir" "$dir/unbound.log"
	cat <<CONF
	verbosity: 1
	num-threads: 1
	module-config: "iterator"
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	qname-minimisation: no
forward-zone:
	name: "."
	forward-addr: 127.0.0.1@$ND_PORT
remote-control:
	control-enable: no
CONF
} >"$dir/unbound.conf"
unbound -d -c "$dir/unbound.conf" >>"$dir/unbound.out" 2>&1 &
LOOP_PID=$!
nd_track "$LOOP_PID"
poll_until 5000 udp_bound "$LOOP_PORT" || die "the looping unbound did not start"
log "unbound forwarding everything to 127.0.0.1:$ND_PORT on 127.0.0.1:$LOOP_PORT (pid $LOOP_PID)"
n0=$(log_lines)
kill -HUP "$ND_PID"
poll_until 5000 log_has_after "$n0" 'config: reloaded' || fail "no reload logged"

UP="127.0.0.1:$LOOP_PORT"
seen_loop() { grep -q "forwarding loop through upstream $UP" "$ND_LOG"; }
poll_until 10000 seen_loop && pass "the log says: forwarding loop through upstream $UP" ||
	fail "no loop line in the log within 10 s"
assert_cmp "nodedns_forward_loops_total{upstream=$UP}" \
	"$(metric_l nodedns_forward_loops_total "upstream=\"$UP\"")" -ge 1

t0=$(now_ms)
out=$(q www.example.test A)
took=$(($(now_ms) - t0))
assert_eq "a name sent there: SERVFAIL" SERVFAIL "$(rcode_of "$out")"
assert_contains "with EDE 22 naming the upstream" "$out" "forwarding loop through $UP"
assert_cmp "at once, not after the 4 s query timeout (ms)" "$took" -lt 2000

# mended: the upstream is now the healthy one; the reload sends a probe
# that does not come back, and names resolve
printf 'upstream 127.0.0.1:%s\n' "$GOOD_PORT" >"$CONF"
n0=$(log_lines)
kill -HUP "$ND_PID"
poll_until 5000 log_has_after "$n0" 'config: reloaded' || fail "no reload logged"
resolves() { [ "$(q www.example.test A +short | head -n 1)" = 192.0.2.10 ]; }
poll_until 5000 resolves && pass "after the reload the name resolves" ||
	fail "after the reload: $(q www.example.test A | grep -E 'status|EDE')"

nd_done
