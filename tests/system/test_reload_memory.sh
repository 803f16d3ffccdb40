#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_reload_memory.sh - SIGHUP does not leak: each reload
# replaces the runtime snapshot (ACL, upstream sets, names), and the old
# one is freed once every worker took the new one and the fetches begun
# with it had time to end (nodedns_runtimes_retired back to 0). 300
# reloads, alternating between two upstream sets so that each builds new
# ones, keep RSS within 1 MiB of what it was after 50 (issue: 2,000
# reloads took RSS from 9.7 to 13.1 MB, ~1.7 kB each; 250 reloads of the
# ~9 kB snapshot would be over 2 MiB). Queries keep being answered, and
# the sanitized run's LeakSanitizer checks the exit.
. "$(dirname "$0")/lib.sh"

N=300
WARM=50
TOLERANCE_KB=1024

need unbound
start_unbound_auth example.test 'www.example.test. 300 IN A 192.0.2.10'
CONF="$ND_TMP/nodedns.conf"
write_conf() { # which: 0 or 1
	if [ "$1" = 0 ]; then
		printf 'upstream 127.0.0.1:%s\n' "$UNBOUND_PORT" >"$CONF.tmp"
	else
		printf 'upstream 127.0.0.1:%s\nupstream 127.0.0.2:%s\n' \
			"$UNBOUND_PORT" "$UNBOUND_PORT" >"$CONF.tmp"
	fi
	mv "$CONF.tmp" "$CONF"
}
write_conf 0
# A short query timeout makes the grace before a free short (2 x 200 ms
# + 1 s), so the retired snapshots do not pile up while the test reloads.
start_nodedns --config "$CONF" --upstream-timeout 100 --query-timeout 200
have_pid || skip "needs the daemon's PID (ND_TARGET set)"
k() { dig @127.0.0.1 -p "$ND_PORT" +tries=1 +time=2 +short "$@" 2>&1; }
assert_eq "an answer before the reloads" 192.0.2.10 "$(k www.example.test A)"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$ND_PID/status"; }
reloads() { grep -c 'info config: reloaded:' "$ND_LOG"; }
reloads_are() { [ "$(reloads)" -ge "$1" ]; }
retired_is() { [ "$(metric nodedns_runtimes_retired)" = "$1" ]; }

rss_warm=
for i in $(seq 1 "$N"); do
	write_conf $((i % 2))
	kill -HUP "$ND_PID"
	poll_until 5000 reloads_are "$i" || die "reload $i not logged within 5 s"
	if [ "$i" = "$WARM" ]; then
		poll_until 10000 retired_is 0 ||
			fail "after $WARM reloads: $(metric nodedns_runtimes_retired) snapshots still retired after 10 s"
		rss_warm=$(rss_kb)
		log "RSS after $WARM reloads: $rss_warm kB"
	fi
done
assert_eq "an answer after $N reloads" 192.0.2.10 "$(k www.example.test A)"
if poll_until 10000 retired_is 0; then
	pass "every replaced snapshot freed ($POLL_MS ms after the last reload)"
else
	fail "$(metric nodedns_runtimes_retired) snapshots still retired 10 s after the last reload"
fi
rss_end=$(rss_kb)
log "RSS after $N reloads: $rss_end kB (after $WARM: $rss_warm kB)"
# A sanitized build's RSS is ASan's (freed memory waits in its
# quarantine): there the retired count above and LeakSanitizer at exit
# are the checks.
if grep -qa __asan_init "$ND_BUILDDIR/nodedns" 2>/dev/null; then
	log "sanitized build: RSS growth not checked"
else
	assert_cmp "RSS growth over $((N - WARM)) reloads (kB)" $((rss_end - rss_warm)) -le "$TOLERANCE_KB"
fi
nd_done
