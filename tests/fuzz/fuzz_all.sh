#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/fuzz/fuzz_all.sh SECONDS TARGET... - `make fuzz`: run every
# libFuzzer target for SECONDS (-max_total_time), FUZZ_JOBS (2) at a time,
# each from its seed corpus tests/fuzz/corpus/NAME (read only) plus a work
# corpus under fuzz-out/corpus/NAME where new inputs go. A crash, a leak
# or a timeout leaves its input in fuzz-out/crashes/ and fails the run.
# Ends with a table: target, executions, executions per second, result.
set -u

secs=${1:?usage: fuzz_all.sh SECONDS TARGET...}
shift
src=${ND_SRCDIR:-.}
out=${ND_BUILDDIR:-.}/fuzz-out
jobs=${FUZZ_JOBS:-2}
case $secs in '' | *[!0-9]*) echo "fuzz_all: SECONDS must be a number" >&2; exit 2 ;; esac
mkdir -p "$out/crashes" "$out/corpus" "$out/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# run TARGET: one libFuzzer run; its exit status goes to logs/NAME.rc.
run() {
	local t=$1 name
	name=$(basename "$t")
	name=${name#fuzz_}
	mkdir -p "$out/corpus/$name"
	"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 \
		-artifact_prefix="$out/crashes/$name-" \
		"$out/corpus/$name" "$src/tests/fuzz/corpus/$name" \
		>"$out/logs/$name.log" 2>&1
	echo $? >"$out/logs/$name.rc"
}

echo "fuzz: $# targets, ${secs}s each, $jobs at a time; logs in $out/logs"
running=0
for t in "$@"; do
	rm -f "$out/logs/$(basename "$t" | sed 's/^fuzz_//').rc"
	run "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

failed=0
printf '%-18s %12s %10s  %s\n' target executions exec/s result
for t in "$@"; do
	name=$(basename "$t")
	name=${name#fuzz_}
	log=$out/logs/$name.log
	rc=$(cat "$out/logs/$name.rc" 2>/dev/null || echo '?')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	result=ok
	if [ "$rc" != 0 ]; then
		result="FAILED (exit $rc; see $log)"
		failed=$((failed + 1))
	fi
	printf '%-18s %12s %10s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$result"
done
crashes=$(find "$out/crashes" -type f | wc -l)
if [ "$failed" -gt 0 ] || [ "$crashes" -gt 0 ]; then
	echo "fuzz: $failed target(s) failed, $crashes input(s) in $out/crashes"
	exit 1
fi
echo "fuzz: every target ran ${secs}s without a crash"
