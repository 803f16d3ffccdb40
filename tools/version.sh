#!/bin/sh
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tools/version.sh SRCDIR - print the source revision nodedns is built from:
# SRCDIR/.tarball-revision when present (a `make dist` tarball records the
# revision it was made from there, and has no .git), else `git describe`
# of SRCDIR (a tag vX.Y.Z with the commits since it, or the short hash;
# "-dirty" for uncommitted changes), else "unknown".
# The tarball file comes first: a tarball unpacked inside a git checkout
# (make distcheck does so) must not take the checkout's revision.
srcdir=${1:-.}
if [ -f "$srcdir/.tarball-revision" ]; then
	rev=$(sed -n '1p' "$srcdir/.tarball-revision")
	[ -n "$rev" ] && { echo "$rev"; exit 0; }
fi
if [ -e "$srcdir/.git" ] && command -v git >/dev/null 2>&1; then
	rev=$(git -C "$srcdir" describe --tags --always --dirty \
		--match 'v[0-9]*' 2>/dev/null)
	[ -n "$rev" ] && { echo "$rev"; exit 0; }
fi
echo unknown
