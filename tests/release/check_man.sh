#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/release/check_man.sh NODEDNS NODEDNSCTL MAN8 MAN5 MAN1 [README] -
# the man pages (and the README's options table) say what the programs do: every option of `nodedns --help` is in
# nodedns.8 (as --name) and every key a config file may hold is in
# nodedns.conf.5; every command and option of `nodednsctl --help` is in
# nodednsctl.1 (written by hand, so this is what keeps it true); and the
# other way round, every --option nodedns.8 lists exists. Prints what is
# missing; exit 1 if anything is.
set -u
nodedns=$1 ctl=$2 man8=$3 man5=$4 man1=$5 readme=${6:-}
bad=0

# render FILE: the page as plain text (mandoc, no overstrike).
render() { mandoc -Tutf8 "$1" | col -bx; }

t8=$(render "$man8") t5=$(render "$man5") t1=$(render "$man1")
help=$("$nodedns" --help)
opts=$(printf '%s\n' "$help" | sed -n 's/^    \(-[a-zA-Z], \)\{0,1\}--\([a-z0-9-]*\).*/\2/p')
# the options a file may hold: all but config and those without a value
file_opts=$(printf '%s\n' "$help" | sed -n 's/^    \(-[a-zA-Z], \)\{0,1\}--\([a-z0-9-]*\) .*/\2/p' | grep -vx config)
[ -n "$opts" ] || { echo "no options read from nodedns --help"; exit 1; }
n=0
for o in $opts; do
	n=$((n + 1))
	if ! printf '%s\n' "$t8" | grep -qE -- "^ +(-[a-zA-Z], )?--$o( |$)"; then
		echo "nodedns.8: option --$o of --help is not in OPTIONS"
		bad=1
	fi
	printf '%s\n' "$file_opts" | grep -qx -- "$o" || continue
	if ! printf '%s\n' "$t5" | grep -qE -- "^ +$o( |$)"; then
		echo "nodedns.conf.5: key $o is not in KEYS"
		bad=1
	fi
done
# options the page lists that --help does not know
for o in $(printf '%s\n' "$t8" | sed -n '/^OPTIONS/,/^SIGNALS/s/^     \(-[a-zA-Z], \)\{0,1\}--\([a-z0-9-]*\).*/\2/p'); do
	printf '%s\n' "$opts" | grep -qx -- "$o" || {
		echo "nodedns.8: lists --$o, which nodedns --help does not know"
		bad=1
	}
done

# nodednsctl: the entries under COMMANDS and OPTIONS of its --help (a
# line indented 7 columns whose next line is indented 14, or "help   text"):
# their first word, and every option word on them.
ctlhelp=$("$ctl" --help)
words=$(printf '%s\n' "$ctlhelp" | sed -n '/^COMMANDS/,/^EXIT STATUS/p' | awk '
	/^              [^ ]/ && prev ~ /^       [^ ]/ { print prev }
	/^       [a-z][a-z-]*   +[^ ]/ { sub(/^ +/, ""); sub(/ +.*/, ""); print }
	{ prev = $0 }' |
	awk '{ print $1; for (i = 2; i <= NF; i++) if ($i ~ /^-/) print $i }' |
	tr ',|' '\n\n' | grep -E '^(-[a-zA-Z]|--[a-z-]+|[a-z][a-z-]*)$' | sort -u)
m=0
for w in $words; do
	m=$((m + 1))
	case $w in
	-*) re="(^|[ [])$w([ ,]|$)" ;;	# an option, anywhere in the page
	*) re="^ +$w( |$)" ;;		# a command: an entry of its own
	esac
	if ! printf '%s\n' "$t1" | grep -qE -- "$re"; then
		echo "nodednsctl.1: '$w' of nodednsctl --help is missing"
		bad=1
	fi
done
# README.md: the first cell of a row of its options table names it.
if [ -n "$readme" ]; then
	# (a "\|" inside a cell is a literal bar, not a cell border)
	cells=$(awk -F'|' '/^\| `/ { gsub(/\\\|/, "/"); print $2 }' "$readme")
	for o in $opts; do
		printf '%s\n' "$cells" | grep -qE -- "--$o( |\`)" || {
			echo "README.md: option --$o is not in the options table"
			bad=1
		}
	done
fi
echo "check_man: $n nodedns options${readme:+ (man pages and README)}, $m nodednsctl words checked"
exit $bad
