#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# deploy/image/runtime-packages.sh BIN... - the Debian packages that hold
# the shared libraries the binaries load (the C library included), one
# per line, as dpkg knows them on this machine: the runtime of an image,
# found from what was built rather than kept as a list by hand.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: runtime-packages.sh BIN..." >&2; exit 2; }
for bin in "$@"; do
	if ldd "$bin" | grep -q 'libasan\|libubsan'; then
		echo "runtime-packages.sh: $bin is built with sanitizers; use a plain build" >&2
		exit 1
	fi
	ldd "$bin" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
done | sort -u | while read -r lib; do
	dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null ||
		{ echo "runtime-packages.sh: no package holds $lib" >&2; exit 1; }
done | cut -d: -f1 | sort -u
