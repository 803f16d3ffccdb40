#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/release/test_install.sh - `make install DESTDIR=...` from the build
# tree installs exactly the expected files (binaries, man pages, example
# configuration, systemd unit, documents); each man page renders with
# man -l and passes mandoc -Tlint with nothing above style; the man pages
# and the README's options table hold every option (check_man.sh); the unit passes systemd-analyze
# verify; the installed nodedns --version names the source revision; and
# `make uninstall` removes every file again. Works in make distcheck too
# (its build tree, its prefix).
set -u
build=${ND_BUILDDIR:?set by make check}
src=${ND_SRCDIR:?set by make check}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nd-install.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

for tool in mandoc man col; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (setup.sh installs it)"; exit 77; }
done

# A make of our own: not the check run's jobserver, nor its flags.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$build" "$@"; }

eval "$(mk nd-print-dirs)" || { bad "make nd-print-dirs"; exit 1; }
if mk install DESTDIR="$tmp" >"$tmp.out" 2>&1; then
	ok "make install DESTDIR=$tmp"
else
	bad "make install failed:"; sed 's/^/    | /' "$tmp.out"; rm -f "$tmp.out"; exit 1
fi
rm -f "$tmp.out"

expected=$(printf '%s\n' \
	"$sbindir/nodedns" "$bindir/nodednsctl" \
	"$mandir/man8/nodedns.8" "$mandir/man5/nodedns.conf.5" \
	"$mandir/man1/nodednsctl.1" \
	"$sysconfdir/nodedns/nodedns.conf.example" \
	"$systemdsystemunitdir/nodedns.service" \
	"$docdir/README.md" "$docdir/DESIGN.md" "$docdir/NEWS" \
	"$docdir/LICENSE" | sort)
installed=$(cd "$tmp" && find . -type f -o -type l | sed 's|^\.||' | sort)
if [ "$installed" = "$expected" ]; then
	ok "installed exactly the $(printf '%s\n' "$expected" | wc -l) expected files"
else
	bad "installed files differ from the expected list (< expected, > installed):"
	diff <(printf '%s\n' "$expected") <(printf '%s\n' "$installed") | sed 's/^/    | /'
fi

# --- man pages --------------------------------------------------------------
for page in man8/nodedns.8 man5/nodedns.conf.5 man1/nodednsctl.1; do
	f="$tmp$mandir/$page"
	[ -f "$f" ] || continue
	out=$(MANWIDTH=80 man -l "$f" 2>"$tmp.err" | col -bx)
	# A long install prefix (make distcheck's) is a path troff cannot
	# break at 80 columns: that warning says nothing about the page.
	sed -i "/warning .*can't break line/d" "$tmp.err"
	if [ -n "$out" ] && [ ! -s "$tmp.err" ] && printf '%s\n' "$out" | grep -q '^NAME'; then
		ok "man -l $page renders ($(printf '%s\n' "$out" | wc -l) lines)"
	else
		bad "man -l $page: no NAME section or messages:"; sed 's/^/    | /' "$tmp.err"
	fi
	rm -f "$tmp.err"
	lint=$(mandoc -Tlint -Wwarning "$f" 2>&1)
	if [ -z "$lint" ]; then
		ok "mandoc -Tlint $page: nothing above style"
	else
		bad "mandoc -Tlint $page:"; printf '%s\n' "$lint" | sed 's/^/    | /'
	fi
done
if out=$("$src/tests/release/check_man.sh" "$tmp$sbindir/nodedns" "$tmp$bindir/nodednsctl" \
	"$tmp$mandir/man8/nodedns.8" "$tmp$mandir/man5/nodedns.conf.5" \
	"$tmp$mandir/man1/nodednsctl.1" "$src/README.md"); then
	ok "$out"
else
	bad "the man pages miss options:"; printf '%s\n' "$out" | sed 's/^/    | /'
fi

subst=$(cd "$tmp" && grep -lE '@(VERSION|sysconfdir|sbindir|OPTIONS)@' \
	".$mandir/man8/nodedns.8" ".$mandir/man5/nodedns.conf.5" \
	".$systemdsystemunitdir/nodedns.service" 2>&1)
[ -z "$subst" ] && ok "no @placeholder@ left in the man pages and the unit" ||
	bad "@placeholder@ left in: $subst"

# --- the systemd unit ---------------------------------------------------------
unit="$tmp$systemdsystemunitdir/nodedns.service"
if grep -qx "ExecStart=$sbindir/nodedns -c $sysconfdir/nodedns/nodedns.conf" "$unit" &&
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit"; then
	ok "unit: ExecStart names the installed binary and config, ExecReload is SIGHUP"
else
	bad "unit: ExecStart/ExecReload lines:"; grep -E '^Exec' "$unit" | sed 's/^/    | /'
fi
for want in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	DynamicUser=yes Restart=on-failure SystemCallFilter=@system-service \
	'AmbientCapabilities=CAP_NET_BIND_SERVICE' 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK'; do
	grep -qx -- "$want" "$unit" || bad "unit: no line $want"
done
if command -v systemd-analyze >/dev/null; then
	# The unit as installed names $sbindir, outside DESTDIR: verify a copy
	# that names the binary where this test installed it, with the
	# installed man pages on MANPATH (verify runs man for Documentation=).
	sed "s|$sbindir/nodedns|$tmp$sbindir/nodedns|" "$unit" >"$tmp/nodedns.service"
	if out=$(MANPATH="$tmp$mandir" systemd-analyze verify "$tmp/nodedns.service" 2>&1); then
		ok "systemd-analyze verify: no complaint"
	else
		bad "systemd-analyze verify:"; printf '%s\n' "$out" | sed 's/^/    | /'
	fi
	rm -f "$tmp/nodedns.service"
else
	echo "SKIP (part): systemd-analyze missing (apt-get install systemd); unit not verified"
fi

# --- the installed binary names its revision -----------------------------------
rev=$(sh "$src/tools/version.sh" "$src")
v=$("$tmp$sbindir/nodedns" --version)
# "unknown" only for a tree with neither .git nor .tarball-revision (say,
# a `git archive` export); a checkout or a tarball must name its revision.
has_rev=0
[ -e "$src/.git" ] || [ -f "$src/.tarball-revision" ] && has_rev=1
if [ "$v" = "nodedns $(sed -n 's/^#define ND_VERSION "\(.*\)"$/\1/p' "$build/version.h") ($rev)" ] &&
	{ [ "$rev" != unknown ] || [ "$has_rev" = 0 ]; }; then
	ok "installed nodedns --version: $v"
else
	bad "installed nodedns --version: '$v', source revision '$rev'"
fi

# --- uninstall leaves no file ---------------------------------------------------
mk uninstall DESTDIR="$tmp" >/dev/null 2>&1 || bad "make uninstall failed"
left=$(cd "$tmp" && find . -type f -o -type l)
if [ -z "$left" ]; then
	ok "make uninstall removed every file"
else
	bad "make uninstall left:"; printf '%s\n' "$left" | sed 's/^/    | /'
fi

[ "$fails" = 0 ] && { echo "test_install: all passed"; exit 0; }
echo "test_install: $fails failed"
exit 1
