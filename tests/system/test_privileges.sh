#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_privileges.sh - least privilege: started as root,
# nodedns binds its sockets, then runs as --user (a user this test creates
# and removes) with no capability in any set and no_new_privs, in every
# thread; no other process but root can join its SO_REUSEPORT group (not
# even one of the same user: the sockets were made by root); it still
# serves, reloads (SIGHUP with a changed upstream) and exits 0.
# --no-drop-privileges keeps root with a warning; an unknown --user stops
# start-up; run unprivileged with CAP_NET_BIND_SERVICE (ambient, or the
# file capability of setcap) it binds a port below 1024 and then drops
# that capability too.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root: it starts nodedns as root and creates a user"
need useradd userdel setpriv timeout

TUSER="ndpriv$$"
# Retried for a while: another test may hold the lock on /etc/passwd.
add_user() {
	id "$TUSER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin --user-group "$TUSER" 2>/dev/null
}
poll_until 10000 add_user || die "cannot create the test user $TUSER"
# userdel -f: even if a failed step left a process of it running.
trap 'rc=$?; userdel -f "$TUSER" >/dev/null 2>&1; (exit $rc); nd_cleanup' EXIT
TUID=$(id -u "$TUSER")
TGID=$(id -g "$TUSER")
log "test user $TUSER: uid $TUID gid $TGID"
# What the daemon reads again on SIGHUP must be readable by that user.
chmod 755 "$ND_TMP"

# reuse_bind PORT SETPRIV_ARGS...: try to join 127.0.0.1:PORT's UDP
# SO_REUSEPORT group as the given user; prints "bound" or "errno N".
reuse_bind() {
	local port=$1
	shift
	setpriv "$@" -- "$ND_PY" - "$port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    print("bound")
except OSError as e:
    print("errno %d" % e.errno)
s.close()
PY
}

# status_field PID|PID/task/TID FIELD: the value(s) of a /proc status line.
status_field() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^[ \t]+/, ""); print }' "/proc/$1/status"; }

ZERO=0000000000000000

# check_dropped WHAT UID GID: every thread runs as UID/GID with no
# capability in any set and no_new_privs.
check_dropped() {
	local what=$1 uid=$2 gid=$3 t n=0 bad=0 id
	assert_eq "$what: Uid (real, effective, saved, fs)" "$uid $uid $uid $uid" "$(status_field "$ND_PID" Uid)"
	assert_eq "$what: Gid (real, effective, saved, fs)" "$gid $gid $gid $gid" "$(status_field "$ND_PID" Gid)"
	assert_eq "$what: no supplementary groups" "" "$(status_field "$ND_PID" Groups)"
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		assert_eq "$what: $f" "$ZERO" "$(status_field "$ND_PID" $f)"
	done
	assert_eq "$what: NoNewPrivs" 1 "$(status_field "$ND_PID" NoNewPrivs)"
	# Capabilities are per thread: every thread, not just the first.
	for t in /proc/"$ND_PID"/task/*; do
		id=${t#/proc/}
		n=$((n + 1))
		[ "$(status_field "$id" CapEff)" = "$ZERO" ] &&
			[ "$(status_field "$id" CapPrm)" = "$ZERO" ] &&
			[ "$(status_field "$id" CapBnd)" = "$ZERO" ] &&
			[ "$(status_field "$id" Uid)" = "$uid $uid $uid $uid" ] ||
			bad=$((bad + 1))
	done
	assert_eq "$what: threads (of $n) with a capability or another uid" 0 "$bad"
}

start_unbound_auth example.test 'www.example.test. 300 IN A 192.0.2.1'
U1_PORT=$UNBOUND_PORT
start_unbound_auth example.test 'new.example.test. 300 IN A 192.0.2.99'
U2_PORT=$UNBOUND_PORT

conf="$ND_TMP/nodedns.conf"
printf 'upstream 127.0.0.1:%s\n' "$U1_PORT" >"$conf"
chmod 644 "$conf"

# --- root -> --user: what the process holds -----------------------------------
start_nodedns -c "$conf" --user "$TUSER"
if grep -q "dropped root: uid $TUID gid $TGID, capabilities: none" "$ND_LOG"; then
	pass "the log says root was dropped"
else
	fail "no 'dropped root: uid $TUID gid $TGID, capabilities: none' line"
fi
check_dropped "--user $TUSER" "$TUID" "$TGID"
out=$(q www.example.test A +short)
assert_eq "serves after the drop" 192.0.2.1 "$out"

# --- the SO_REUSEPORT group -----------------------------------------------------
# Linux lets a socket join a reuseport group only under the uid that made
# the group's sockets: root here, before the drop.
assert_eq "another uid (nobody) cannot join the port" "errno 98" \
	"$(reuse_bind "$ND_PORT" --reuid=nobody --regid=nogroup --clear-groups)"
assert_eq "the daemon's own user cannot join the port" "errno 98" \
	"$(reuse_bind "$ND_PORT" --reuid="$TUID" --regid="$TGID" --clear-groups)"
# What remains (docs/DESIGN.md "Privileges"): root can.
assert_eq "root still can join the port" "bound" \
	"$(reuse_bind "$ND_PORT" --reuid=0 --regid=0 --keep-groups)"

# --- SIGHUP with a changed upstream, after the drop -------------------------------
printf 'upstream 127.0.0.1:%s\n' "$U2_PORT" >"$conf"
n0=$(log_lines)
kill -HUP "$ND_PID"
reloaded() { log_has_after "$n0" 'config: reload(ed|failed)' || pid_gone "$ND_PID"; }
poll_until 5000 reloaded || fail "no reload logged within 5 s of SIGHUP"
if log_has_after "$n0" 'config: reloaded'; then pass "SIGHUP as $TUSER: reloaded"; else fail "SIGHUP as $TUSER: not reloaded"; fi
out=$(q new.example.test A +short)
assert_eq "the new upstream answers after the reload" 192.0.2.99 "$out"
check_dropped "after SIGHUP" "$TUID" "$TGID"
stop_nodedns

# --- as the DaemonSet starts it: root with only the capabilities it adds ------------
# (deploy/kubernetes/node-local/daemonset.yaml: drop ALL, add NET_ADMIN,
# NET_BIND_SERVICE, SETUID, SETGID; no CAP_SETPCAP, so the bounding set
# cannot be emptied: the drop must work anyway.)
ND_WRAP="setpriv --bounding-set -all,+net_admin,+net_bind_service,+setuid,+setgid --inh-caps -all --" \
	start_nodedns --upstream "127.0.0.1:$U1_PORT" --user "$TUSER"
assert_eq "the DaemonSet's capabilities: Uid after the drop" "$TUID $TUID $TUID $TUID" "$(status_field "$ND_PID" Uid)"
assert_eq "the DaemonSet's capabilities: CapEff after the drop" "$ZERO" "$(status_field "$ND_PID" CapEff)"
assert_eq "the DaemonSet's capabilities: CapPrm after the drop" "$ZERO" "$(status_field "$ND_PID" CapPrm)"
assert_eq "the DaemonSet's capabilities: NoNewPrivs" 1 "$(status_field "$ND_PID" NoNewPrivs)"
out=$(q www.example.test A +short)
assert_ne "the DaemonSet's capabilities: it answers" "" "$out"
stop_nodedns

# --- --no-drop-privileges keeps root, warned ---------------------------------------
start_nodedns --upstream "127.0.0.1:$U1_PORT" --no-drop-privileges
assert_eq "--no-drop-privileges: uid 0" "0 0 0 0" "$(status_field "$ND_PID" Uid)"
if grep -q "keeping root and every capability (--no-drop-privileges)" "$ND_LOG"; then
	pass "--no-drop-privileges is warned"
else
	fail "--no-drop-privileges: no warning"
fi
stop_nodedns

# --- an unknown user stops start-up -------------------------------------------------
p1=$(free_port)
p2=$(free_port)
err=$(timeout 5 "$ND_BUILDDIR/nodedns" --listen "127.0.0.1:$p1" --http-listen "127.0.0.1:$p2" \
	--resolv-conf /dev/null --upstream "127.0.0.1:$U1_PORT" --user "nosuch$$" 2>&1 </dev/null)
rc=$?
assert_ne "--user nosuch$$: exit status" 0 "$rc"
assert_ne "--user nosuch$$: not killed by timeout" 124 "$rc"
assert_contains "--user nosuch$$: says why" "$err" "no such user"

# --- unprivileged with an ambient CAP_NET_BIND_SERVICE --------------------------------
# A free port below 1024 on 127.0.0.1 (UDP and TCP).
low=
for p in $(shuf -i 600-1023 -n 40); do
	if ! ss -Htuln "sport = :$p" | grep -q .; then low=$p; break; fi
done
[ -n "$low" ] || die "no free port below 1024"
# A copy the test user can reach (the build tree may sit under a
# directory only root may enter).
mkdir -p "$ND_TMP/bin"
cp "$ND_BUILDDIR/nodedns" "$ND_TMP/bin/nodedns"
chmod 755 "$ND_TMP/bin" "$ND_TMP/bin/nodedns"
ND_BUILDDIR="$ND_TMP/bin" \
	ND_WRAP="setpriv --reuid=$TUID --regid=$TGID --clear-groups --inh-caps=+net_bind_service --ambient-caps=+net_bind_service --" \
	start_nodedns --upstream "127.0.0.1:$U1_PORT" --listen "127.0.0.1:$low"
out=$(dig @127.0.0.1 -p "$low" +tries=1 +time=2 www.example.test A +short 2>&1)
assert_eq "unprivileged: serves on port $low" 192.0.2.1 "$out"
if grep -q "dropped the capabilities binding needed" "$ND_LOG"; then
	pass "unprivileged: the log says the capability was dropped"
else
	fail "unprivileged: no 'dropped the capabilities binding needed' line"
fi
for f in CapPrm CapEff CapAmb; do
	assert_eq "unprivileged after binding: $f" "$ZERO" "$(status_field "$ND_PID" $f)"
done
assert_eq "unprivileged: NoNewPrivs" 1 "$(status_field "$ND_PID" NoNewPrivs)"
stop_nodedns

# --- unprivileged with the file capability (setcap) ----------------------------------
if command -v setcap >/dev/null 2>&1 &&
	setcap cap_net_bind_service=ep "$ND_TMP/bin/nodedns" 2>/dev/null; then
	ND_BUILDDIR="$ND_TMP/bin" \
		ND_WRAP="setpriv --reuid=$TUID --regid=$TGID --clear-groups --" \
		start_nodedns --upstream "127.0.0.1:$U1_PORT" --listen "127.0.0.1:$low"
	out=$(dig @127.0.0.1 -p "$low" +tries=1 +time=2 www.example.test A +short 2>&1)
	assert_eq "setcap: serves on port $low" 192.0.2.1 "$out"
	for f in CapPrm CapEff CapAmb; do
		assert_eq "setcap, after binding: $f" "$ZERO" "$(status_field "$ND_PID" $f)"
	done
	stop_nodedns
else
	# setup.sh installs libcap2-bin; a filesystem without xattrs
	# cannot hold a file capability.
	log "setcap unavailable or refused on $ND_TMP: the file-capability run is not tested"
fi

nd_done
