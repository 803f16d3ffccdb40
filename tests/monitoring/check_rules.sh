#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/monitoring/check_rules.sh - the shipped Prometheus rules and
# dashboard: `promtool check rules`, `promtool test rules` with the unit
# tests of tests/monitoring/, every shipped rule named by a test, and the
# dashboard is JSON whose every panel has a query.
set -u
src=${ND_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
rules="$src/deploy/monitoring/nodedns-rules.yaml"
tests="$src/tests/monitoring/nodedns-rules.test.yaml"
dash="$src/deploy/monitoring/nodedns-dashboard.json"
fails=0

command -v promtool >/dev/null 2>&1 || {
	echo "SKIP: promtool not found (Debian package prometheus; setup.sh installs it)"
	exit 77
}

promtool check rules "$rules" || fails=$((fails + 1))
promtool test rules "$tests" || fails=$((fails + 1))

# Every rule of the file appears in the tests: an alert by its alertname,
# a recording rule by its name in a promql_expr_test.
for name in $(sed -n 's/^ *- \(alert\|record\): *\([^ ]*\).*/\2/p' "$rules"); do
	if grep -qE "(alertname|expr): +$name\$" "$tests"; then
		echo "ok: rule $name has a test"
	else
		echo "FAIL: rule $name has no test in $tests"
		fails=$((fails + 1))
	fi
done

python3 - "$dash" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
bad = 0
panels = [p for p in d["panels"] if p.get("type") != "row"]
for p in panels:
    exprs = [t.get("expr", "") for t in p.get("targets", [])]
    if not exprs or not all(exprs):
        print("FAIL: dashboard panel %r has no query" % p.get("title"))
        bad += 1
print("ok: dashboard %s: %d panels" % (d["title"], len(panels)))
sys.exit(1 if bad else 0)
PY

if [ "$fails" -gt 0 ]; then
	echo "$fails check(s) FAILED"
	exit 1
fi
echo "all checks passed"
