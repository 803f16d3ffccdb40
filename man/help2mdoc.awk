# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# man/help2mdoc.awk - the OPTIONS part of `nodedns --help` as an mdoc list,
# so nodedns(8) and nodedns.conf(5) are made from the option table that
# --help, the command line and the config file all use (config/config.c):
# the man pages cannot drift from the code.
#   mode=cmdline  every option, as ".It Fl \-name Ar ARG" (nodedns.8)
#   mode=file     the options a config file may hold (not config, nor
#                 those without a value: help, version, check-config),
#                 as ".It Cm name Ar ARG" (nodedns.conf.5)
# Text lines are escaped for roff: a backslash is \e, a line starting
# with '.' or "'" gets \& in front.

function esc(s) {
	gsub(/\\/, "\\e", s)
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}

# Print a text line, one sentence a line as roff wants (mandoc -Tlint:
# "new sentence, new line"): split after '.', '?' or '!' and blanks.
function text(s) {
	while (match(s, /[.?!][)"]* +[^ ]/)) {
		print esc(substr(s, 1, RSTART + RLENGTH - 2))
		s = substr(s, RSTART + RLENGTH - 1)
	}
	if (s != "")
		print esc(s)
}

function flush() {
	if (name == "")
		return
	# Command line only: config, and every option without a value
	# (help, version, check-config).
	if (mode == "file" && (name == "config" || arg == "")) {
		name = ""
		return
	}
	if (mode == "file")
		head = ".It Cm " name
	else if (short != "")
		head = ".It Fl " short " , Fl \\-" name
	else
		head = ".It Fl \\-" name
	if (arg != "")
		head = head " Ar \"" arg "\""
	print head
	for (i = 1; i <= nbody; i++)
		text(body[i])
	if (dflt != "") {
		print ".Pp"
		print "Default: " esc(dflt) "."
	}
	name = ""
}

BEGIN { on = 0; name = "" }

/^OPTIONS$/ { on = 1; print ".Bl -tag -width Ds"; next }
!on { next }

/^    -/ {
	flush()
	line = $0
	sub(/^    /, "", line)
	short = ""
	if (line ~ /^-[A-Za-z], /) {
		short = substr(line, 2, 1)
		line = substr(line, 5)
	}
	sub(/^--/, "", line)
	sp = index(line, " ")
	if (sp > 0) {
		name = substr(line, 1, sp - 1)
		arg = substr(line, sp + 1)
	} else {
		name = line
		arg = ""
	}
	nbody = 0
	dflt = ""
	indefault = 0
	next
}

/^        / {
	t = $0
	sub(/^        /, "", t)
	if (t ~ /^Default: /) {
		sub(/^Default: /, "", t)
		dflt = t
		indefault = 1
	} else if (indefault) {
		dflt = dflt " " t
	} else {
		body[++nbody] = t
	}
	next
}

END { flush(); if (on) print ".El" }
