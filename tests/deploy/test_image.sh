#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/deploy/test_image.sh - the container image, built offline and run:
# - the daemon builds out of tree without the tests' libraries (cmocka and
#   ldns hidden from pkg-config), and `make check` there stops with the
#   message that says what to install;
# - `make image` in that build writes nodedns-image.oci.tar (mmdebstrap
#   and umoci, Debian packages only), an OCI layout whose config runs
#   /usr/sbin/nodedns as the unprivileged user;
# - the image's root file system, unpacked with umoci and mounted
#   read-only, runs nodedns as that user in its own mount and PID
#   namespaces (chroot, no container runtime needed): it serves the demo
#   cluster and forwards to a loopback nsd, and exits 0 on SIGTERM.
. "$(dirname "$0")/../system/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (mmdebstrap, chroot, mounts)"
need mmdebstrap umoci unshare chroot pkg-config
if ldd "$ND_BUILDDIR/nodedns" | grep -q libasan; then
	skip "a sanitized build: the image is built and tested from a plain build (the plain run of make check does)"
fi

# --- the daemon without the tests' libraries ---------------------------------
PC="$ND_TMP/pkgconfig"
mkdir -p "$PC"
for d in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
	for f in "$d"/*.pc; do
		[ -e "$f" ] || continue
		case $(basename "$f") in cmocka.pc | ldns.pc) continue ;; esac
		ln -sf "$f" "$PC/"
	done
done
# A clean source tree (the distribution's files, as in the release
# tarball): the tree under test may be configured in place.
SRC="$ND_TMP/src"
make -s -C "$ND_BUILDDIR" distdir distdir="$SRC" >"$ND_TMP/distdir.out" 2>&1 ||
	{ tail -n 20 "$ND_TMP/distdir.out"; die "make distdir failed"; }
B="$ND_TMP/build"
mkdir -p "$B"
if ! (cd "$B" && PKG_CONFIG_LIBDIR="$PC" "$SRC/configure" >configure.out 2>&1); then
	sed 's/^/    | /' "$B/configure.out" | tail -n 20
	die "configure without cmocka and ldns failed"
fi
assert_contains "configure says the tests' libraries are missing" "$(cat "$B/configure.out")" \
	"test libs:   no (make check needs libcmocka-dev)"
if make -C "$B" -j2 nodedns nodednsctl >"$B/make.out" 2>&1; then
	pass "nodedns and nodednsctl build without cmocka and ldns"
else
	tail -n 30 "$B/make.out" | sed 's/^/    | /'
	die "the daemon does not build without the tests' libraries"
fi
rc=0
make -C "$B" check >"$B/check.out" 2>&1 || rc=$?
assert_ne "make check without the tests' libraries: exit status" 0 "$rc"
assert_contains "make check without them says what to install" "$(cat "$B/check.out")" \
	"make check needs cmocka and ldns: apt-get install libcmocka-dev libldns-dev"

# --- make image -----------------------------------------------------------------
if ! make -C "$B" image >"$B/image.out" 2>&1; then
	if grep -qE 'Failed to fetch|Could not resolve|Temporary failure|Unable to connect|no Debian package' "$B/image.out"; then
		tail -n 10 "$B/image.out" | sed 's/^/    | /'
		skip "mmdebstrap cannot reach the Debian mirror that apt uses here"
	fi
	tail -n 30 "$B/image.out" | sed 's/^/    | /'
	die "make image failed"
fi
IMG="$B/nodedns-image.oci.tar"
[ -s "$IMG" ] && pass "make image wrote nodedns-image.oci.tar ($(du -h "$IMG" | cut -f1))" ||
	die "no $IMG"

L="$ND_TMP/layout"
mkdir -p "$L"
tar -xf "$IMG" -C "$L"
assert_contains "an OCI image layout" "$(cat "$L/oci-layout")" '"imageLayoutVersion"'
cfg=$(umoci stat --image "$L:nodedns" --json 2>/dev/null || true)
manifest_cfg=$("$ND_PY" - "$L" <<'EOF2'
import json, os, sys
L = sys.argv[1]
idx = json.load(open(os.path.join(L, "index.json")))
def blob(d):
    a, h = d["digest"].split(":")
    return json.load(open(os.path.join(L, "blobs", a, h)))
m = blob(idx["manifests"][0])
c = blob(m["config"])["config"]
print(json.dumps({"Entrypoint": c.get("Entrypoint"), "User": c.get("User")}))
EOF2
)
assert_eq "the image runs nodedns as the unprivileged user" \
	'{"Entrypoint": ["/usr/sbin/nodedns"], "User": "65532:65532"}' "$manifest_cfg"

BUNDLE="$ND_TMP/bundle"
umoci unpack --image "$L:nodedns" "$BUNDLE" >/dev/null || die "umoci unpack failed"
R="$BUNDLE/rootfs"
[ -x "$R/usr/sbin/nodedns" ] && pass "the root file system holds /usr/sbin/nodedns" || fail "no nodedns in the image"
assert_eq "no compiler or shell in the image" "" "$(ls "$R/usr/bin/gcc" "$R/bin/sh" "$R/usr/bin/bash" 2>/dev/null)"

# --- run it, read-only, as the image's user --------------------------------------
start_nsd "$ND_ZONES/example.test.zone" example.test
CONF="$ND_TMP/conf"
mkdir -p "$CONF"
cp "$ND_SRCDIR/deploy/demo/cluster.json" "$CONF/cluster.json"
ND_PORT=$(free_port)
ND_HPORT=$(free_port)
ND_LOG="$ND_TMP/image-nodedns.log"
# In the new namespaces: the root file system bound read-only, /proc of
# the new PID namespace, the configuration bound in, then the daemon as
# uid 65532 (the image's user) as PID 1.
unshare --mount --pid --fork --kill-child=SIGTERM bash -c '
	set -e
	R=$1 CONF=$2; shift 2
	mount --make-rprivate /
	mount --bind "$R" "$R"
	mount -o remount,bind,ro "$R"
	mount -t proc proc "$R/proc"
	mount --bind "$CONF" "$R/etc/nodedns"
	mount -o remount,bind,ro "$R/etc/nodedns"
	exec chroot --userspec=65532:65532 "$R" /usr/sbin/nodedns "$@"
' bash "$R" "$CONF" --listen "127.0.0.1:$ND_PORT" --http-listen "127.0.0.1:$ND_HPORT" \
	--resolv-conf /dev/null --upstream "127.0.0.1:$NSD_PORT" \
	--kube-snapshot /etc/nodedns/cluster.json --threads 1 >"$ND_LOG" 2>&1 </dev/null &
IMG_PID=$!
nd_track "$IMG_PID"
if wait_health 10000; then
	pass "nodedns from the image is healthy"
else
	sed 's/^/    | /' "$ND_LOG" | tail -n 20
	die "nodedns from the image did not start"
fi
out=$(q trace-svc.default.svc.cluster.local A)
assert_eq "the image's nodedns answers the demo cluster" 10.96.10.10 \
	"$(section_of "$out" ANSWER | awk '$4 == "A" { print $5 }')"
out=$(q www.example.test A)
assert_eq "the image's nodedns forwards to the loopback nsd" NOERROR "$(rcode_of "$out")"
inner=$(pgrep -P "$IMG_PID" -x nodedns || true)
if [ -n "$inner" ]; then
	assert_eq "the daemon's uid" 65532 "$(awk '/^Uid:/ { print $3 }' "/proc/$inner/status")"
else
	fail "no nodedns process under the unshare (pid $IMG_PID)"
fi
# unshare waits for its child, the daemon, and exits with its status.
[ -n "$inner" ] && kill -TERM "$inner"
poll_until 5000 pid_gone "$IMG_PID" || fail "nodedns from the image still runs 5 s after SIGTERM"
st=0
wait "$IMG_PID" 2>/dev/null || st=$?
nd_forget "$IMG_PID"
assert_eq "nodedns from the image exits 0 on SIGTERM" 0 "$st"

nd_done
