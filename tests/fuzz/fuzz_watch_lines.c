/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_watch_lines.c - a watch stream's bytes, arriving in
 * chunks of sizes the input chooses, through nd_kube_watch_line() as
 * server/kube_client.c drives it (append, take the lines, keep the rest).
 * The lines it hands out must be exactly those of a plain split of the
 * whole stream: the non-empty complete lines before the first one longer
 * than the limit, and the end with -EFBIG exactly when there is such a
 * line (or such an incomplete rest).
 *
 * Input: byte 0 picks the line limit, byte 1 the chunk sizes, the rest is
 * the stream.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/watch_lines.h"
#include "tests/fuzz/fuzz.h"

struct want {
	const char *stream;
	size_t len, pos;   /* pos: where the next expected line starts */
	size_t max_line;
};

/* The next line a plain split expects: 1 (line), 0 (none), -EFBIG. */
static int expect(struct want *w, const char **line, size_t *n)
{
	while (w->pos < w->len) {
		const char *nl = memchr(w->stream + w->pos, '\n',
					w->len - w->pos);
		size_t end = nl ? (size_t)(nl - w->stream) : w->len;

		if (end - w->pos > w->max_line)
			return -EFBIG;
		if (nl == NULL)
			return 0;
		*line = w->stream + w->pos;
		*n = end - w->pos;
		w->pos = end + 1;
		if (*n > 0)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct want w;
	char *buf;
	size_t len = 0, scan = 0, fed = 0, chunk_seed;
	int rc = 0, want_rc;
	const char *line, *wline;
	size_t line_len, wlen;

	if (size < 2)
		return 0;
	/* Limits around the stream's own line lengths, and "no limit". */
	w.max_line = data[0] == 255 ? (size_t)-1 : (size_t)data[0] * 2;
	chunk_seed = data[1];
	w.stream = (const char *)data + 2;
	w.len = size - 2;
	w.pos = 0;
	buf = malloc(w.len + 1);
	CHECK(buf != NULL);

	while (fed < w.len && rc == 0) {
		size_t chunk = 1 + (chunk_seed * 7 + fed) % 97, from = 0;

		if (chunk > w.len - fed)
			chunk = w.len - fed;
		memcpy(buf + len, w.stream + fed, chunk);
		len += chunk;
		fed += chunk;
		while ((rc = nd_kube_watch_line(buf, len, w.max_line, &from,
						&scan, &line,
						&line_len)) == 1) {
			CHECK(line >= buf && line + line_len <= buf + len);
			CHECK(line_len > 0 && line_len <= w.max_line);
			CHECK(line[line_len] == '\n');
			CHECK(memchr(line, '\n', line_len) == NULL);
			CHECK(expect(&w, &wline, &wlen) == 1);
			CHECK(wlen == line_len &&
			      memcmp(wline, line, wlen) == 0);
			CHECK(from <= len && scan == from);
		}
		CHECK(rc == 0 || rc == -EFBIG);
		if (rc == 0) {
			CHECK(scan == len && from <= len);
			CHECK(memchr(buf + from, '\n', len - from) == NULL);
			/* What the caller keeps for the next chunk. */
			memmove(buf, buf + from, len - from);
			len -= from;
			scan = len;
		}
	}
	want_rc = expect(&w, &wline, &wlen);
	if (rc == -EFBIG)
		CHECK(want_rc == -EFBIG);
	else
		CHECK(want_rc == 0);
	free(buf);
	return 0;
}
