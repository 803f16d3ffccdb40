/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/watch_lines.h - a watch stream's bytes into its lines (one JSON event each), as chunks arrive. */
#ifndef KUBE_WATCH_LINES_H
#define KUBE_WATCH_LINES_H

#include <stddef.h>

/*
 * The next complete line of the stream bytes held in buf[0..len). Lines
 * end with '\n'; empty lines (keep-alives) are skipped.
 * from: in/out, where the first line not yet returned starts.
 * scan: in/out, how far from buf's start the bytes were already searched
 *    for a newline (at least *from), so a large line arriving in many
 *    chunks is searched once: linear time.
 * max_line: the longest line taken, in bytes without its newline.
 * Returns 1 with *line, *line_len (without the newline; borrowed from
 * buf) and *from, *scan past it; 0 when no complete line is left (*scan =
 * len; the caller keeps buf[*from..len) for the next chunk); -EFBIG when
 * a line, or the incomplete rest, is longer than max_line (the stream
 * cannot be resynchronised: end it); -EINVAL for bad arguments.
 */
int nd_kube_watch_line(const char *buf, size_t len, size_t max_line,
		       size_t *from, size_t *scan, const char **line,
		       size_t *line_len);

#endif /* KUBE_WATCH_LINES_H */
