/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/watch_lines.h"

#include <errno.h>
#include <string.h>

int nd_kube_watch_line(const char *buf, size_t len, size_t max_line,
		       size_t *from, size_t *scan, const char **line,
		       size_t *line_len)
{
	size_t pos;

	if (from == NULL || scan == NULL || line == NULL || line_len == NULL ||
	    (buf == NULL && len > 0) || *from > len)
		return -EINVAL;
	pos = *scan < *from ? *from : *scan;
	/* Bounded: every round moves pos past a newline or ends. */
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end, start = *from;

		if (nl == NULL)
			break;
		end = (size_t)(nl - buf);
		if (end - start > max_line)
			return -EFBIG;
		*from = *scan = pos = end + 1;
		if (end > start) {
			*line = buf + start;
			*line_len = end - start;
			return 1;
		}
	}
	*scan = len;
	if (len - *from > max_line)
		return -EFBIG;
	return 0;
}
