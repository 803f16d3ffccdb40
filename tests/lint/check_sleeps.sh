#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/lint/check_sleeps.sh - system tests wait on facts, not sleeps: fails
# on a `sleep` command in tests/system/*.sh that is not on the allow-list
# below. A wait for a state is `poll_until MAX_MS CMD` (tests/system/lib.sh)
# on something the daemon or the machine shows (a metric, a log line, a pid
# gone, a file written); a sleep is kept only where a duration must really
# pass (a TTL that must expire), and that line carries the marker
# `# sleep-ok: WHY` with the reason listed here. Python's time.sleep inside
# a helper script is not a shell sleep and is not checked. Run by make check.
set -u
src=${ND_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || exit 99

# FILE|REASON: a deliberate duration, one per line of the tests; the line
# must end in "# sleep-ok: REASON".
ALLOW='tests/system/lib.sh|the poll interval of poll_until'

bad=0
seen=0
used=
for f in tests/system/*.sh; do
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		# The shell code of the line, without its comment (a "#" that
		# starts a word); `time.sleep(` and words like `sleeps` do not
		# match: sleep must be a command word followed by a blank.
		code=$(printf '%s\n' "$line" | sed -e 's/^[[:space:]]*#.*//' -e 's/[[:space:]]#.*//')
		printf '%s\n' "$code" | grep -qE '(^|[;&|({[:space:]])sleep([[:space:]]|$)' || continue
		seen=$((seen + 1))
		why=$(printf '%s\n' "$line" | sed -n 's/.*# sleep-ok: *\(.*[^[:space:]]\)[[:space:]]*$/\1/p')
		if [ -z "$why" ]; then
			echo "$f:$n: a sleep without a '# sleep-ok: WHY' marker: wait with poll_until on a fact instead"
			echo "    $line"
			bad=$((bad + 1))
		elif ! printf '%s\n' "$ALLOW" | grep -qxF "$f|$why"; then
			echo "$f:$n: '# sleep-ok: $why' is not on the allow-list of $0"
			bad=$((bad + 1))
		else
			used+="$f|$why"$'\n'
		fi
	done <"$f"
done

# An allow-list entry no line uses any more goes too.
while IFS= read -r entry; do
	if ! printf '%s' "$used" | grep -qxF "$entry"; then
		echo "check_sleeps: allow-list entry not used (remove it): $entry"
		bad=$((bad + 1))
	fi
done <<<"$ALLOW"

if [ "$bad" -gt 0 ]; then
	echo "check_sleeps: $bad problem(s) among $seen sleep(s) in tests/system"
	exit 1
fi
echo "check_sleeps: $seen sleep(s) in tests/system, each a deliberate duration on the allow-list"
