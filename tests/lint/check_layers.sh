#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/lint/check_layers.sh - the layer table of docs/DESIGN.md, checked:
# reads every #include "..." of the daemon's and the control tool's sources
# and fails on an arrow the table forbids. Run by make check.
set -u
src=${ND_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || exit 99

# The folders each folder may include besides itself (docs/DESIGN.md).
allowed() {
	case $1 in
	util) echo "" ;;
	dns) echo "util" ;;
	kube) echo "dns util" ;;
	config) echo "dns util" ;;
	resolver) echo "kube dns config util" ;;
	resolver/diag) echo "resolver kube dns config util" ;;
	server) echo "resolver/diag resolver kube dns config util" ;;
	ctl) echo "" ;;
	*) echo "?" ;;
	esac
}

# The layer of a file or of an include path: its top folder, except
# that resolver/diag/ is a layer of its own on top of resolver/.
layer_of() {
	case $1 in
	resolver/diag/*) echo resolver/diag ;;
	*) echo "${1%%/*}" ;;
	esac
}

bad=0
files=0
for dir in util dns kube config resolver server ctl; do
	[ -d "$dir" ] || continue
	while IFS= read -r f; do
		files=$((files + 1))
		from=$(layer_of "$f")
		ok=" $from $(allowed "$from") "
		while IFS=: read -r line inc; do
			to=$(layer_of "$inc")
			case $ok in
			*" $to "*) ;;
			*)
				echo "$f:$line: $from/ may not include $inc (allowed: $from $(allowed "$from"))"
				bad=$((bad + 1))
				;;
			esac
		done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' "$f" |
			sed 's/^\([0-9]*\):.*"\([^"]*\)".*/\1:\2/')
	done < <(find "$dir" -name '*.[ch]' | sort)
done
if [ "$bad" -gt 0 ]; then
	echo "check_layers: $bad forbidden include(s) in $files files"
	exit 1
fi
echo "check_layers: $files files, every include follows the layer table"
