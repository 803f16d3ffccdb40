/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/hosts_file.h - the --hosts-file on disk: read it, watch it for
 * changes, hand each good version to the resolver. */
#ifndef SERVER_HOSTS_FILE_H
#define SERVER_HOSTS_FILE_H

#include <stdint.h>

struct event_base;
struct nd_resolver;

/* How often the file is checked for a change (mtime, ctime, size, inode). */
#define ND_HOSTS_CHECK_MS 2000

struct nd_hosts_file; /* opaque; control thread only */

/* A watcher publishing into r (both borrowed); no file yet. NULL on
 * failure. */
struct nd_hosts_file *nd_hosts_file_new(struct event_base *base,
					struct nd_resolver *r);

/*
 * Serve path (NULL = no hosts table) with records of TTL ttl_s: read it
 * now, whether or not it changed (start-up, SIGHUP), then every
 * ND_HOSTS_CHECK_MS when it changed. A file that cannot be read or
 * parsed is logged with FILE:LINE and the reason, and the table in force
 * keeps serving. Returns 0, or the error of this read (fatal at start).
 */
int nd_hosts_file_set(struct nd_hosts_file *hf, const char *path,
		      uint32_t ttl_s);

/* Stop watching; the resolver keeps its table. NULL is fine. */
void nd_hosts_file_free(struct nd_hosts_file *hf);

#endif /* SERVER_HOSTS_FILE_H */
