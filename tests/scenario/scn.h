/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/scenario/scn.h - the scenario file reader the runners share: lines to tokens, failures with FILE:LINE. */
#ifndef TESTS_SCENARIO_SCN_H
#define TESTS_SCENARIO_SCN_H

#include <stdbool.h>
#include <stdint.h>

#define SCN_MAX_TOKENS 16

/* Where a runner is in its file; embed it first in the runner's state. */
struct scn {
	const char *file;
	unsigned line;
	unsigned failed; /* expectations that did not hold */
};

/* Report a failed expectation at the current FILE:LINE. */
__attribute__((format(printf, 2, 3))) void scn_bad(struct scn *s,
						   const char *fmt, ...);

/* "key=value" -> value when the key matches, else NULL. */
const char *scn_kv(const char *tok, const char *key);

/* A decimal number; false when s is not one. */
bool scn_u64(const char *s, uint64_t *out);

/* What a runner does with one file. */
struct scn_runner {
	const char *dir;			/* under tests/scenario/ */
	struct scn *(*begin)(const char *path); /* a fresh state */
	void (*step)(struct scn *s, char **t, int n);
	void (*end)(struct scn *s);		/* free it */
};

/*
 * Run the files named in argv, or with none every
 * $ND_SRCDIR/tests/scenario/DIR/NAME.scn. Each line is split at blanks
 * into at most SCN_MAX_TOKENS tokens; '#' starts a comment. Returns the
 * exit status: 0 when every file passed.
 */
int scn_main(int argc, char **argv, const struct scn_runner *r);

#endif /* TESTS_SCENARIO_SCN_H */
