#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_config.sh - the config file and options as the binary
# sees them: errors name FILE:LINE, --help, SIGHUP keeps serving, SIGTERM
# exits 0.
. "$(dirname "$0")/lib.sh"

bin="$ND_BUILDDIR/nodedns"
[ -x "$bin" ] || die "$bin not found (build first)"
need timeout

# run_bad WHAT ARGS...: nodedns must exit non-zero within 5 s at start-up.
# Its stderr ends up in ERR. Ports are explicit so that a daemon that
# wrongly starts binds nothing it should not.
run_bad() {
	local what=$1 rc
	shift
	ERR=$(timeout 5 "$bin" "$@" 2>&1 >/dev/null </dev/null)
	rc=$?
	if [ "$rc" = 124 ]; then
		fail "$what: expected a non-zero exit at start-up, it kept running (killed after 5 s)"
	else
		assert_ne "$what: exit status" 0 "$rc"
	fi
}

p1=$(free_port)
p2=$(free_port)
common=(--listen "127.0.0.1:$p1" --http-listen "127.0.0.1:$p2" --debug-listen "127.0.0.1:$(free_port)" --resolv-conf /dev/null)

# --- a bad line in the config file: FILE:LINE: in stderr -----------------------
conf="$ND_TMP/bad.conf"
cat >"$conf" <<EOF
# a comment, then a blank line

upstream 127.0.0.1:$p1
no-such-option 1
EOF
run_bad "unknown key on line 4" -c "$conf" "${common[@]}" --upstream 127.0.0.1:9
assert_contains "unknown key: stderr" "$ERR" "$conf:4:"

cat >"$conf" <<EOF
upstream-timeout 300
threads many
EOF
run_bad "bad value on line 2" -c "$conf" "${common[@]}" --upstream 127.0.0.1:9
assert_contains "bad value: stderr" "$ERR" "$conf:2:"

cat >"$conf" <<EOF
listen not-an-address
EOF
run_bad "bad address on line 1" --config "$conf" "${common[@]}" --upstream 127.0.0.1:9
assert_contains "bad address: stderr" "$ERR" "$conf:1:"

run_bad "missing config file" -c "$ND_TMP/does-not-exist.conf" "${common[@]}" --upstream 127.0.0.1:9
assert_contains "missing config file: stderr names it" "$ERR" "does-not-exist.conf"

# --- bad command lines -----------------------------------------------------------
run_bad "unknown option" "${common[@]}" --upstream 127.0.0.1:9 --no-such-option
assert_contains "unknown option: stderr" "$ERR" "no-such-option"
run_bad "bad --threads" "${common[@]}" --upstream 127.0.0.1:9 --threads -3
run_bad "bad --upstream" "${common[@]}" --upstream 999.1.2.3
# the only upstream is our own listen address: dropped (a loop), none left
run_bad "upstream = own listen address" "${common[@]}" --upstream "127.0.0.1:$p1"
# no upstream at all (resolv.conf empty, none given)
run_bad "no upstream" "${common[@]}"

# --- --help ------------------------------------------------------------------------
out=$(timeout 5 "$bin" --help 2>&1)
assert_eq "--help exit status" 0 "$?"
assert_contains "--help text" "$out" "--listen"
assert_contains "--help text" "$out" "--upstream"

# --- a good config file; the command line wins ------------------------------------
start_nsd "$ND_ZONES/example.test.zone" example.test
conf="$ND_TMP/good.conf"
cat >"$conf" <<EOF
# nodedns test configuration
listen 127.0.0.1:9
upstream 127.0.0.1:$NSD_PORT
upstream-timeout 500
query-timeout 2000
tcp-idle-timeout 2000
EOF
start_nodedns -c "$conf"
out=$(q www.example.test A)
assert_eq "served with a config file (upstream from the file)" NOERROR "$(rcode_of "$out")"
assert_contains "answer" "$out" "192.0.2.10"

# --- the shipped example configuration stays loadable -------------------------
example="$ND_SRCDIR/config/nodedns.conf.example"
if [ -f "$example" ] && have_pid; then
	stop_nodedns
	start_nodedns -c "$example" --upstream "127.0.0.1:$NSD_PORT"
	out=$(q www.example.test A)
	assert_eq "served with config/nodedns.conf.example" NOERROR "$(rcode_of "$out")"
fi

# --- SIGHUP keeps serving ------------------------------------------------------------
# reload_done_or_gone N: the log has a reload result after its first N
# lines, or the daemon exited.
reload_done_or_gone() { log_has_after "$1" 'config: reload(ed|failed)' || pid_gone "$ND_PID"; }
if have_pid; then
	n0=$(log_lines)
	kill -HUP "$ND_PID"
	poll_until 5000 reload_done_or_gone "$n0" || fail "no reload logged within 5 s of SIGHUP"
	if log_has_after "$n0" 'config: reloaded'; then pass "SIGHUP: reload logged"; else fail "SIGHUP: no 'reloaded' line"; fi
	if kill -0 "$ND_PID" 2>/dev/null; then pass "alive after SIGHUP"; else fail "died on SIGHUP"; fi
	out=$(q www.example.test AAAA)
	assert_eq "answers after SIGHUP" NOERROR "$(rcode_of "$out")"
	assert_eq "/health after SIGHUP" 200 "$(nd_http_code /health)"

	# --- SIGTERM: exit 0, promptly ---------------------------------------------------
	t0=$(date +%s%N)
	stop_nodedns
	ms=$((($(date +%s%N) - t0) / 1000000))
	assert_eq "exit status on SIGTERM" 0 "$ND_LAST_STATUS"
	assert_cmp "exit on SIGTERM within (ms)" "$ms" -lt 3000
	out=$(dig @127.0.0.1 -p "$ND_PORT" +tries=1 +time=1 www.example.test A 2>&1)
	assert_eq "nothing answers after SIGTERM" none "$(rcode_of "$out")"

	# SIGINT behaves the same
	start_nodedns --upstream "127.0.0.1:$NSD_PORT"
	kill -INT "$ND_PID"
	poll_until 3000 pid_gone "$ND_PID" || fail "still running 3 s after SIGINT"
	stop_nodedns
	assert_eq "exit status on SIGINT" 0 "$ND_LAST_STATUS"
else
	log "ND_TARGET: signal checks skipped (no PID)"
fi

# --- a config file emptied (half-written) is refused on SIGHUP -------------------
if [ -z "${ND_TARGET:-}" ]; then
	conf="$ND_TMP/emptied.conf"
	printf 'upstream 127.0.0.1:%s\nttl 7\n' "$NSD_PORT" >"$conf"
	# a resolv.conf with a nameserver, as a node has: an empty file would
	# otherwise be taken, its upstreams that one (never asked here)
	printf 'nameserver 127.0.0.2\n' >"$ND_TMP/node-resolv.conf"
	start_nodedns -c "$conf" --resolv-conf "$ND_TMP/node-resolv.conf"
	: >"$conf"
	n0=$(log_lines)
	kill -HUP "$ND_PID"
	poll_until 5000 log_has_after "$n0" "reload failed, keeping the running configuration: $conf holds no option \\(it held 2\\)" &&
		pass "an emptied config file is refused on SIGHUP" ||
		fail "no refusal of the emptied file: $(tail -n 3 "$ND_LOG")"
	out=$(q www.example.test A)
	assert_eq "the running upstream still answers" NOERROR "$(rcode_of "$out")"
	printf 'upstream 127.0.0.1:%s\n' "$NSD_PORT" >"$conf"
	n0=$(log_lines)
	kill -HUP "$ND_PID"
	poll_until 5000 log_has_after "$n0" 'config: reloaded' &&
		pass "a written file is taken again" || fail "no reload of the written file"
	stop_nodedns

	# A file that loses its upstream lines would swap the upstreams for
	# resolv.conf's on SIGHUP: refused. (127.0.0.9: nothing listens there,
	# and nothing is asked while the reload is refused.)
	printf 'nameserver 127.0.0.9\n' >"$ND_TMP/resolv.test"
	printf 'upstream 127.0.0.1:%s\ncache-size 32m\n' "$NSD_PORT" >"$conf"
	start_nodedns -c "$conf" --resolv-conf "$ND_TMP/resolv.test"
	printf 'cache-size 16m\n' >"$conf"
	n0=$(log_lines)
	kill -HUP "$ND_PID"
	poll_until 5000 log_has_after "$n0" "reload failed, keeping the running configuration: the new configuration gives no upstream: it would ask $ND_TMP/resolv.test's nameservers instead of the 1 given" &&
		pass "a file without its upstream lines is refused on SIGHUP" ||
		fail "no refusal of the file without upstreams: $(tail -n 3 "$ND_LOG")"
	out=$(q www.example.test A)
	assert_eq "the given upstream still answers" NOERROR "$(rcode_of "$out")"
	stop_nodedns
fi

# --- --check-config ------------------------------------------------------------
log "=== --check-config"
printf 'upstream 127.0.0.1:5399\nthreads 2\n' >"$ND_TMP/good.conf"
rc=0
out=$("$ND_BUILDDIR/nodedns" --check-config -c "$ND_TMP/good.conf" 2>&1) || rc=$?
assert_eq "--check-config of a good file: exit status" 0 "$rc"
assert_contains "--check-config of a good file" "$out" "good.conf and the command line: OK"
printf 'upstream 127.0.0.1:5399\nthreads lots\n' >"$ND_TMP/bad.conf"
rc=0
out=$("$ND_BUILDDIR/nodedns" --check-config -c "$ND_TMP/bad.conf" 2>&1) || rc=$?
assert_eq "--check-config of a bad file: exit status" 2 "$rc"
assert_contains "--check-config of a bad file names FILE:LINE" "$out" "bad.conf:2:"
rc=0
out=$("$ND_BUILDDIR/nodedns" --check-config -c "$ND_TMP/good.conf" --threads 999 2>&1) || rc=$?
assert_eq "--check-config with a bad command-line value: exit status" 2 "$rc"

nd_done
