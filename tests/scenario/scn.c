/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "scn.h"

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void scn_bad(struct scn *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", s->file, s->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	s->failed++;
}

const char *scn_kv(const char *tok, const char *key)
{
	size_t n = strlen(key);

	if (tok != NULL && strncmp(tok, key, n) == 0 && tok[n] == '=')
		return tok + n + 1;
	return NULL;
}

bool scn_u64(const char *s, uint64_t *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static int run_file(const struct scn_runner *r, const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	struct scn *s;
	unsigned failed, lines;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	s = r->begin(path);
	if (s == NULL) {
		fclose(f);
		fprintf(stderr, "%s: could not set up\n", path);
		return 1;
	}
	s->file = path;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *t[SCN_MAX_TOKENS], *save = NULL, *hash = strchr(line, '#');
		int n = 0;

		s->line++;
		if (hash != NULL)
			*hash = '\0';
		for (char *p = strtok_r(line, " \t\r\n", &save);
		     p != NULL && n < SCN_MAX_TOKENS;
		     p = strtok_r(NULL, " \t\r\n", &save))
			t[n++] = p;
		if (n > 0)
			r->step(s, t, n);
	}
	fclose(f);
	failed = s->failed;
	lines = s->line;
	r->end(s);
	printf("%s %s (%u lines)\n", failed ? "FAIL" : "ok", path, lines);
	return failed ? 1 : 0;
}

int scn_main(int argc, char **argv, const struct scn_runner *r)
{
	int failed = 0, files = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++, files++)
			failed += run_file(r, argv[i]);
	} else {
		const char *src = getenv("ND_SRCDIR");
		char pat[4096];
		glob_t g;

		snprintf(pat, sizeof(pat), "%s/tests/scenario/%s/*.scn",
			 src ? src : ".", r->dir);
		if (glob(pat, 0, NULL, &g) != 0) {
			fprintf(stderr, "no scenarios match %s\n", pat);
			return 1;
		}
		for (size_t i = 0; i < g.gl_pathc; i++, files++)
			failed += run_file(r, g.gl_pathv[i]);
		globfree(&g);
	}
	printf("%d of %d scenarios passed\n", files - failed, files);
	return failed ? 1 : 0;
}
