#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_hosts.sh - --hosts-file with dig and a real upstream:
# A, AAAA and PTR from the file with AA, NODATA for a type a name lacks,
# case, a name not in the file forwarded to unbound; the file changed
# while running is re-read (the reload log line) and a broken one keeps
# the last good table; a broken file at start stops start-up naming
# FILE:LINE; SIGHUP re-reads it.
. "$(dirname "$0")/lib.sh"

need unbound
start_unbound_auth example.test 'www.example.test. 300 IN A 192.0.2.10' \
	'web.example.test. 300 IN A 192.0.2.99'

HOSTS="$ND_TMP/hosts"
cat >"$HOSTS" <<'HOSTS_EOF'
# hosts for the test
10.1.0.1   web.example.test   web-alias.internal
10.1.0.2   web.example.test
fd00::10   v6only.internal    # comment after the names
10.1.0.3   Mixed.Internal
HOSTS_EOF
start_nodedns --hosts-file "$HOSTS" --upstream "127.0.0.1:$UNBOUND_PORT"

poll_until 3000 grep -qE "hosts: loaded $HOSTS: 5 entries" "$ND_LOG" &&
	pass "load logged with the entry count" || fail "no 'loaded' line: $(grep hosts: "$ND_LOG")"

out=$(q web.example.test A)
assert_eq "A from the file" NOERROR "$(rcode_of "$out")"
assert_eq "both addresses" "10.1.0.1 10.1.0.2" \
	"$(section_of "$out" ANSWER | awk '{ print $5 }' | sort | xargs)"
assert_contains "authoritative" "$(flags_of "$out")" "aa"
assert_eq "TTL 60" 60 "$(ttl_of "$out" web.example.test A)"
# the file's name wins over the upstream's (192.0.2.99 there)
assert_not_contains "not the upstream's answer" "$out" "192.0.2.99"
out=$(q web-alias.internal A +short)
assert_eq "an alias" 10.1.0.1 "$out"
out=$(q MIXED.internal A +short)
assert_eq "names are case-insensitive" 10.1.0.3 "$out"
out=$(q v6only.internal AAAA +short)
assert_eq "AAAA from the file" fd00::10 "$out"

out=$(q v6only.internal A)
assert_eq "NODATA: the name exists without A" NOERROR "$(rcode_of "$out")"
assert_eq "NODATA has no answer" "" "$(section_of "$out" ANSWER)"
assert_contains "NODATA is authoritative" "$(flags_of "$out")" "aa"
out=$(q web.example.test MX)
assert_eq "NODATA for MX" NOERROR "$(rcode_of "$out")"
assert_eq "no MX" "" "$(section_of "$out" ANSWER)"

out=$(q 1.0.1.10.in-addr.arpa PTR +short)
assert_eq "PTR to the first name of the address" web.example.test. "$out"
out=$(dig @127.0.0.1 -p "$ND_PORT" +tries=1 +time=2 +short -x fd00::10 2>&1)
assert_eq "ip6.arpa PTR" v6only.internal. "$out"

out=$(q www.example.test A +short)
assert_eq "a name not in the file goes upstream" 192.0.2.10 "$out"
assert_cmp "nodedns_hosts_answers_total" "$(metric nodedns_hosts_answers_total)" -ge 8

# --- the file changes while running: re-read within the check period ----------
n0=$(log_lines)
cat >"$HOSTS" <<'HOSTS_EOF'
10.2.0.1 other.internal
10.2.0.9 new.internal
HOSTS_EOF
poll_until 8000 log_has_after "$n0" "hosts: reloaded $HOSTS: 2 entries" &&
	pass "change noticed and logged with the entry count" || fail "no reload line after the change"
assert_eq "new names served" "10.2.0.1 10.2.0.9" \
	"$(q other.internal A +short) $(q new.internal A +short)"
assert_eq "a name gone from the file is the upstream's again" 192.0.2.99 \
	"$(q web.example.test A +short)"

# --- a broken file while running: logged with FILE:LINE, old answers kept ------
n0=$(log_lines)
printf '10.3.0.1 new.internal\n10.3.0.300 broken.internal\n' >"$HOSTS"
poll_until 8000 log_has_after "$n0" "hosts: $HOSTS:2: bad address '10.3.0.300'; keeping the last good table" &&
	pass "broken file logged with FILE:LINE" || fail "no error line for the broken file: $(tail -n 5 "$ND_LOG")"
assert_eq "the last good table still answers" 10.2.0.9 "$(q new.internal A +short)"
if kill -0 "$ND_PID" 2>/dev/null; then pass "alive with a broken file"; else fail "died on a broken file"; fi

# --- SIGHUP re-reads the file ---------------------------------------------------
printf '10.4.0.1 new.internal\n' >"$HOSTS"
n0=$(log_lines)
kill -HUP "$ND_PID"
poll_until 5000 log_has_after "$n0" "hosts: reloaded $HOSTS: 1 entries" &&
	pass "SIGHUP re-reads the file" || fail "no reload line after SIGHUP"
assert_eq "after SIGHUP" 10.4.0.1 "$(q new.internal A +short)"
stop_nodedns

# --- a broken file at start: exit non-zero, FILE:LINE on stderr ----------------
printf '# ok\n10.5.0.1 fine.internal\n10.5.0.2 bad..name\n' >"$HOSTS"
out=$("$ND_BUILDDIR/nodedns" --listen "127.0.0.1:$(free_port)" --http-listen "127.0.0.1:$(free_port)" \
	--debug-listen "127.0.0.1:$(free_port)" \
	--resolv-conf /dev/null --upstream "127.0.0.1:$UNBOUND_PORT" --hosts-file "$HOSTS" 2>&1 </dev/null)
rc=$?
assert_cmp "start-up with a broken hosts file fails" "$rc" -ne 0
assert_contains "and names FILE:LINE" "$out" "$HOSTS:3: bad name 'bad..name'"
out=$("$ND_BUILDDIR/nodedns" --listen "127.0.0.1:$(free_port)" --http-listen "127.0.0.1:$(free_port)" \
	--debug-listen "127.0.0.1:$(free_port)" \
	--resolv-conf /dev/null --upstream "127.0.0.1:$UNBOUND_PORT" --hosts-file "$ND_TMP/absent" 2>&1 </dev/null)
rc=$?
assert_cmp "start-up with a missing hosts file fails" "$rc" -ne 0
assert_contains "and names the file" "$out" "$ND_TMP/absent"

nd_done
