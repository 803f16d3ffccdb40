/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/hosts_file.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "resolver/hosts.h"
#include "resolver/resolve.h"
#include "util/errors.h"
#include "util/log.h"

/* What tells one version of the file from the next without reading it. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct nd_hosts_file {
	struct event_base *base; /* borrowed */
	struct nd_resolver *r;	 /* borrowed */
	struct event *timer;	 /* the periodic check; owned */
	char *path;		 /* owned; NULL = no file */
	uint32_t ttl_s;
	struct file_id seen; /* the version read last, good or bad */
	bool has_seen;	     /* seen is valid (the file was there) */
	bool has_table;	     /* a table of ours is in force */
};

static void id_of(const struct stat *st, struct file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

static bool id_equal(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* The whole file, at most one byte past the bound (so "too large" is
 * told from "exactly at the bound"). *text: malloc'd. */
static int read_all(const char *path, char **text, size_t *len,
		    struct file_id *id)
{
	size_t cap = ND_HOSTS_MAX_FILE_BYTES + 1, n = 0;
	struct stat st;
	char *buf;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	id_of(&st, id);
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (n < cap) {
		ssize_t got = read(fd, buf + n, cap - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*text = buf;
	*len = n;
	return 0;
}

/* Read and publish the file. */
static int load(struct nd_hosts_file *hf)
{
	const char *keep = hf->has_table ? "; keeping the last good table" : "";
	struct nd_hosts_error err;
	struct nd_hosts *h = NULL;
	struct file_id id;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = read_all(hf->path, &text, &len, &id);
	if (rc != 0) {
		nd_err("hosts", "%s: %s%s", hf->path, nd_strerror(rc), keep);
		hf->has_seen = false;
		return rc;
	}
	hf->seen = id;
	hf->has_seen = true;
	rc = nd_hosts_parse(text, len, hf->ttl_s, &h, &err);
	free(text);
	if (rc == ND_EPARSE) {
		if (err.line > 0)
			nd_err("hosts", "%s:%u: %s%s", hf->path, err.line,
			       err.reason, keep);
		else
			nd_err("hosts", "%s: %s%s", hf->path, err.reason, keep);
		return rc;
	}
	if (rc != 0) {
		nd_err("hosts", "%s: %s%s", hf->path, nd_strerror(rc), keep);
		return rc;
	}
	nd_info("hosts", "%s %s: %zu entries, %zu names",
		hf->has_table ? "reloaded" : "loaded", hf->path,
		nd_hosts_entries(h), nd_hosts_names(h));
	nd_resolver_set_hosts(hf->r, h);
	hf->has_table = true;
	return 0;
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
	struct nd_hosts_file *hf = arg;
	struct file_id id;
	struct stat st;

	(void)fd;
	(void)what;
	if (hf->path == NULL)
		return;
	if (stat(hf->path, &st) != 0) {
		/* Gone (an editor's rename in progress, say): keep serving
		 * the last table; a new file is read when it appears. */
		if (hf->has_seen)
			nd_warn("hosts", "%s: %s; keeping the last good table",
				hf->path, nd_strerror(-errno));
		hf->has_seen = false;
		return;
	}
	id_of(&st, &id);
	if (hf->has_seen && id_equal(&id, &hf->seen))
		return;
	(void)load(hf);
}

struct nd_hosts_file *nd_hosts_file_new(struct event_base *base,
					struct nd_resolver *r)
{
	struct nd_hosts_file *hf;

	if (base == NULL || r == NULL)
		return NULL;
	hf = calloc(1, sizeof(*hf));
	if (hf == NULL)
		return NULL;
	hf->base = base;
	hf->r = r;
	hf->timer = event_new(base, -1, EV_PERSIST, on_check, hf);
	if (hf->timer == NULL) {
		nd_hosts_file_free(hf);
		return NULL;
	}
	return hf;
}

int nd_hosts_file_set(struct nd_hosts_file *hf, const char *path,
		      uint32_t ttl_s)
{
	struct timeval tv = {ND_HOSTS_CHECK_MS / 1000,
			     (ND_HOSTS_CHECK_MS % 1000) * 1000};
	char *p = NULL;

	if (hf == NULL)
		return -EINVAL;
	if (path == NULL) {
		if (hf->path != NULL)
			nd_info("hosts", "no --hosts-file any more: "
					 "table dropped");
		event_del(hf->timer);
		free(hf->path);
		hf->path = NULL;
		hf->has_seen = false;
		hf->has_table = false;
		nd_resolver_set_hosts(hf->r, NULL);
		return 0;
	}
	if (hf->path == NULL || strcmp(hf->path, path) != 0) {
		p = strdup(path);
		if (p == NULL)
			return -ENOMEM;
		free(hf->path);
		hf->path = p;
		hf->has_seen = false;
	}
	hf->ttl_s = ttl_s;
	if (event_add(hf->timer, &tv) != 0)
		return -ENOMEM;
	return load(hf);
}

void nd_hosts_file_free(struct nd_hosts_file *hf)
{
	if (hf == NULL)
		return;
	if (hf->timer != NULL)
		event_free(hf->timer);
	free(hf->path);
	free(hf);
}
