#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# deploy/image/build-image.sh - the nodedns container image, offline from
# Debian packages alone (`make image` runs it): mmdebstrap extracts the
# runtime libraries the built binaries link (found with ldd and dpkg -S,
# so a new dependency needs no edit here) into a root file system, the
# binaries and a passwd with the unprivileged user go in, and umoci writes
# it as an OCI image archive (load it with `podman load -i FILE` or
# `skopeo copy oci-archive:FILE docker://REGISTRY/nodedns:TAG`).
#
# usage: build-image.sh --out FILE --nodedns BIN --nodednsctl BIN
#                       --version V [--revision R]
# Needs root (or an unshare-capable user) and Debian's mirrors as apt on
# this machine has them (its sources files are passed to mmdebstrap).
set -euo pipefail

OUT= ND= CTL= VERSION= REVISION=unknown
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--nodedns) ND=$2; shift 2 ;;
	--nodednsctl) CTL=$2; shift 2 ;;
	--version) VERSION=$2; shift 2 ;;
	--revision) REVISION=$2; shift 2 ;;
	*) echo "build-image.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$OUT" ] && [ -x "$ND" ] && [ -x "$CTL" ] && [ -n "$VERSION" ] || {
	echo "usage: build-image.sh --out FILE --nodedns BIN --nodednsctl BIN --version V [--revision R]" >&2
	exit 2
}
for tool in mmdebstrap umoci dpkg ldd; do
	command -v "$tool" >/dev/null || {
		echo "build-image.sh: $tool not found (apt-get install mmdebstrap umoci; ./setup.sh does)" >&2
		exit 3
	}
done

# The image's user: unprivileged, no login, the uid distroless images use.
ND_UID=65532

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nodedns-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

pkgs=$("$(dirname "$0")/runtime-packages.sh" "$ND" "$CTL" | paste -sd, -)
[ -n "$pkgs" ] || { echo "build-image.sh: no Debian package found for the binaries' libraries" >&2; exit 1; }

# The same mirrors and suite as this machine's apt.
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || { echo "build-image.sh: no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }
mirrors=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -s "$f" ] && grep -qv '^\s*\(#\|$\)' "$f" && mirrors+=("$f")
done
[ ${#mirrors[@]} -gt 0 ] || mirrors=("deb http://deb.debian.org/debian $suite main")

echo "build-image.sh: root file system of $suite with $pkgs"
mmdebstrap --quiet --variant=extract --include="$pkgs" \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/lintian/*' \
	"$suite" "$WORK/rootfs.tar" "${mirrors[@]}"

umoci init --layout "$WORK/oci"
umoci new --image "$WORK/oci:nodedns"
umoci unpack --image "$WORK/oci:nodedns" "$WORK/bundle" >/dev/null
R="$WORK/bundle/rootfs"
tar -xf "$WORK/rootfs.tar" -C "$R"
install -D -m 0755 "$ND" "$R/usr/sbin/nodedns"
install -D -m 0755 "$CTL" "$R/usr/bin/nodednsctl"
strip --strip-unneeded "$R/usr/sbin/nodedns" "$R/usr/bin/nodednsctl" 2>/dev/null || true
mkdir -p "$R/etc/nodedns" "$R/run/nodedns" "$R/tmp" "$R/proc" "$R/sys" "$R/dev"
chmod 1777 "$R/tmp"
cat >"$R/etc/passwd" <<EOF2
root:x:0:0:root:/root:/usr/sbin/nologin
nodedns:x:$ND_UID:$ND_UID:nodedns:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF2
cat >"$R/etc/group" <<EOF2
root:x:0:
nodedns:x:$ND_UID:
nogroup:x:65534:
EOF2
# glibc resolves users through files only; no other NSS module is in here.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$R/etc/nsswitch.conf"
# The system CAs, for an API server whose certificate a public CA signed
# (the service account's ca.crt is what a cluster normally uses).
if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
	install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
fi
umoci repack --image "$WORK/oci:nodedns" "$WORK/bundle" >/dev/null
umoci config --image "$WORK/oci:nodedns" \
	--config.entrypoint /usr/sbin/nodedns \
	--config.user "$ND_UID:$ND_UID" \
	--config.workingdir / \
	--config.stopsignal SIGTERM \
	--config.exposedports 53/udp --config.exposedports 53/tcp \
	--config.exposedports 9153/tcp \
	--config.label "org.opencontainers.image.title=nodedns" \
	--config.label "org.opencontainers.image.version=$VERSION" \
	--config.label "org.opencontainers.image.revision=$REVISION" \
	--config.label "org.opencontainers.image.licenses=MIT" \
	--history.created_by "deploy/image/build-image.sh"
umoci gc --layout "$WORK/oci"
tar -cf "$OUT.tmp" -C "$WORK/oci" .
mv -f "$OUT.tmp" "$OUT"
echo "build-image.sh: wrote $OUT ($(du -h "$OUT" | cut -f1)), image nodedns:$VERSION"
