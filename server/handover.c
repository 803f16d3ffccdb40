/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/handover.h"

#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "resolver/cache_dump.h"
#include "util/clock.h"
#include "util/errors.h"
#include "util/log.h"

#define ND_CONTROL_VERSION 1
#define ND_CONTROL_IO_TIMEOUT_S 5

struct nd_handover {
	struct event_base *base;	/* borrowed */
	struct nd_cache *cache;		/* borrowed */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned n_workers;		/* ours */
	uint16_t http_ports[2];		/* ours: --http-listen's and
					   --debug-listen's port */
	int listen_fd;			/* -1 = none */
	struct event *listen_ev;
	ino_t listen_ino;		/* of path when we bound it */
	int succ_fd;			/* the successor's connection; -1 */
	struct event *succ_ev;
	unsigned succ_workers;
	int pred_fd;			/* our predecessor's; -1 */
	struct event *pred_ev;
	unsigned pred_workers;
	void (*pred_gone)(void *);
	void *pred_gone_arg;
	void (*succ_came)(void *, const uint16_t ports[2]); /* a successor
					   took the cache; its HTTP ports */
	void *succ_came_arg;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void set_timeouts(int fd)
{
	struct timeval tv = { ND_CONTROL_IO_TIMEOUT_S, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void hello(uint8_t out[8], unsigned n_workers)
{
	memcpy(out, "NDHI", 4);
	put16(out + 4, ND_CONTROL_VERSION);
	put16(out + 6, (uint16_t)n_workers);
}

/* The successor's hello also names its HTTP ports: where they are ours,
 * it listens there too (SO_REUSEPORT) and we stop (see daemon.c). */
static void hello_successor(uint8_t out[12], const struct nd_handover *c)
{
	hello(out, c->n_workers);
	put16(out + 8, c->http_ports[0]);
	put16(out + 10, c->http_ports[1]);
}

/* The successor hung up (or died): no successor any more. */
static void on_succ_readable(evutil_socket_t fd, short what, void *arg)
{
	struct nd_handover *c = arg;
	uint8_t b[64];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	(void)what;

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	nd_warn("control", "the successor's connection closed: no "
			   "successor any more");
	event_free(c->succ_ev);
	c->succ_ev = NULL;
	close(c->succ_fd);
	c->succ_fd = -1;
}

static void on_pred_readable(evutil_socket_t fd, short what, void *arg)
{
	struct nd_handover *c = arg;
	uint8_t b[64];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	(void)what;

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	nd_info("control", "the nodedns we replaced has exited");
	event_free(c->pred_ev);
	c->pred_ev = NULL;
	close(c->pred_fd);
	c->pred_fd = -1;
	if (c->pred_gone != NULL)
		c->pred_gone(c->pred_gone_arg);
}

/* A successor says hello: send it the cache, keep the connection. */
static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct nd_handover *c = arg;
	uint8_t in[12], out[12], *doc = NULL;
	size_t doc_len = 0;
	long n;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), rc;
	uint64_t t0 = nd_clock_ms();
	(void)what;

	if (fd < 0)
		return;
	set_timeouts(fd);
	rc = read_all(fd, in, sizeof(in));
	if (rc != 0 || memcmp(in, "NDHI", 4) != 0 ||
	    get16(in + 4) != ND_CONTROL_VERSION) {
		nd_warn("control", "a client of the control socket said no "
				   "valid hello (%s); closed",
			rc != 0 ? nd_strerror(rc) : "bad magic or version");
		close(fd);
		return;
	}
	n = nd_cache_dump_write(c->cache, nd_clock_ms(),
				ND_CACHE_DUMP_MAX_BYTES, &doc, &doc_len);
	if (n < 0) {
		nd_err("control", "cannot write the cache for the successor: "
				  "%s", nd_strerror((int)n));
		close(fd);
		return;
	}
	hello(out, c->n_workers);
	out[8] = (uint8_t)(doc_len >> 24);
	out[9] = (uint8_t)(doc_len >> 16);
	out[10] = (uint8_t)(doc_len >> 8);
	out[11] = (uint8_t)doc_len;
	rc = write_all(fd, out, sizeof(out));
	if (rc == 0)
		rc = write_all(fd, doc, doc_len);
	free(doc);
	if (rc != 0) {
		nd_warn("control", "sending the cache to the successor: %s",
			nd_strerror(rc));
		close(fd);
		return;
	}
	if (c->succ_fd >= 0) {
		/* A newer one replaces it. */
		event_free(c->succ_ev);
		close(c->succ_fd);
	}
	c->succ_fd = fd;
	c->succ_workers = get16(in + 6);
	c->succ_ev = event_new(c->base, fd, EV_READ | EV_PERSIST,
			       on_succ_readable, c);
	if (c->succ_ev == NULL || event_add(c->succ_ev, NULL) != 0)
		nd_err("control", "cannot watch the successor's connection");
	nd_info("control", "a successor (%u workers) took the cache: %ld "
			   "entries, %zu bytes in %llu ms",
		c->succ_workers, n, doc_len,
		(unsigned long long)(nd_clock_ms() - t0));
	if (c->succ_came != NULL) {
		const uint16_t ports[2] = { get16(in + 8), get16(in + 10) };

		c->succ_came(c->succ_came_arg, ports);
	}
}

/* Ask the nodedns serving on path for its cache. Returns the connected
 * socket, -ECONNREFUSED (a socket file left by a dead process), -ENOENT,
 * or another -errno. */
static int take_over(struct nd_handover *c, size_t max_doc)
{
	struct sockaddr_un sa;
	uint8_t in[12], out[12], *doc;
	struct nd_cache_dump_stats st;
	char why[128] = "";
	uint32_t len;
	uint64_t t0 = nd_clock_ms();
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, strlen(c->path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	set_timeouts(fd);
	hello_successor(out, c);
	rc = write_all(fd, out, sizeof(out));
	if (rc == 0)
		rc = read_all(fd, in, sizeof(in));
	if (rc == 0 && (memcmp(in, "NDHI", 4) != 0 ||
			get16(in + 4) != ND_CONTROL_VERSION))
		rc = ND_EPARSE;
	len = rc == 0 ? ((uint32_t)in[8] << 24) | ((uint32_t)in[9] << 16) |
				((uint32_t)in[10] << 8) | in[11]
		      : 0;
	if (rc == 0 && len > max_doc) {
		nd_warn("control", "the cache offered is %u bytes, over the "
				   "bound of %zu: not taken",
			len, max_doc);
		rc = ND_EPARSE;
	}
	if (rc != 0) {
		nd_warn("control", "hand-over from the nodedns on %s failed "
				   "(%s): starting with an empty cache",
			c->path, nd_strerror(rc));
		close(fd);
		return -EPROTO; /* logged: connected, but no hand-over */
	}
	doc = malloc(len ? len : 1);
	if (doc == NULL) {
		close(fd);
		return -ENOMEM;
	}
	rc = read_all(fd, doc, len);
	if (rc == 0)
		rc = nd_cache_dump_load(c->cache, doc, len, nd_clock_ms(), &st,
					why, sizeof(why));
	free(doc);
	if (rc != 0) {
		nd_warn("control", "the cache from the nodedns on %s was not "
				   "taken (%s%s%s): starting with an empty "
				   "cache",
			c->path, nd_strerror(rc), why[0] ? ": " : "", why);
	} else {
		nd_info("control", "took over from the nodedns on %s (%u "
				   "workers): %llu cache entries (%llu "
				   "rejected) in %llu ms",
			c->path, get16(in + 6),
			(unsigned long long)st.loaded,
			(unsigned long long)st.rejected,
			(unsigned long long)(nd_clock_ms() - t0));
	}
	c->pred_workers = get16(in + 6);
	return fd;
}

static int listen_on(struct nd_handover *c)
{
	struct sockaddr_un sa;
	struct stat stt;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0),
	    rc;

	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, strlen(c->path));
	/* The predecessor keeps its socket, unreachable by name from now
	 * on: the next successor talks to us. */
	(void)unlink(c->path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 4) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (stat(c->path, &stt) == 0)
		c->listen_ino = stt.st_ino;
	c->listen_fd = fd;
	c->listen_ev = event_new(c->base, fd, EV_READ | EV_PERSIST, on_accept,
				 c);
	if (c->listen_ev == NULL || event_add(c->listen_ev, NULL) != 0)
		return -ENOMEM;
	return 0;
}

struct nd_handover *nd_handover_new(struct event_base *base, const char *path,
				  struct nd_cache *cache,
				  unsigned max_cache_bytes_mib,
				  unsigned n_workers,
				  const uint16_t http_ports[2], int *rc)
{
	struct nd_handover *c;
	int fd;

	*rc = -EINVAL;
	if (path == NULL ||
	    strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		nd_err("control", "control socket path too long (at most "
				  "%zu bytes)",
		       sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	*rc = -ENOMEM;
	if (c == NULL)
		return NULL;
	c->base = base;
	c->cache = cache;
	c->n_workers = n_workers;
	if (http_ports != NULL)
		memcpy(c->http_ports, http_ports, sizeof(c->http_ports));
	c->listen_fd = c->succ_fd = c->pred_fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);

	fd = take_over(c, (size_t)max_cache_bytes_mib * 2 << 20);
	if (fd == -ECONNREFUSED) {
		nd_info("control", "%s was left by a process that is gone "
				   "(connection refused): replacing it",
			path);
	} else if (fd >= 0) {
		c->pred_fd = fd;
		c->pred_ev = event_new(base, fd, EV_READ | EV_PERSIST,
				       on_pred_readable, c);
		if (c->pred_ev == NULL || event_add(c->pred_ev, NULL) != 0) {
			nd_handover_free(c);
			return NULL;
		}
	} else if (fd != -ENOENT && fd != -EPROTO) {
		nd_warn("control", "cannot reach %s (%s): starting with an "
				   "empty cache",
			path, nd_strerror(fd));
	}
	*rc = listen_on(c);
	if (*rc != 0) {
		nd_err("control", "cannot listen on %s: %s", path,
		       nd_strerror(*rc));
		nd_handover_free(c);
		return NULL;
	}
	nd_info("control", "control socket %s: listening for a successor",
		path);
	return c;
}

bool nd_handover_has_successor(const struct nd_handover *c,
			      unsigned *n_workers)
{
	if (c == NULL || c->succ_fd < 0)
		return false;
	if (n_workers != NULL)
		*n_workers = c->succ_workers;
	return true;
}

bool nd_handover_has_predecessor(const struct nd_handover *c,
				unsigned *n_workers)
{
	if (c == NULL || c->pred_fd < 0)
		return false;
	if (n_workers != NULL)
		*n_workers = c->pred_workers;
	return true;
}

void nd_handover_on_predecessor_gone(struct nd_handover *c, void (*fn)(void *),
				    void *arg)
{
	if (c == NULL)
		return;
	c->pred_gone = fn;
	c->pred_gone_arg = arg;
}

void nd_handover_on_successor(struct nd_handover *c,
			      void (*fn)(void *, const uint16_t ports[2]),
			      void *arg)
{
	if (c == NULL)
		return;
	c->succ_came = fn;
	c->succ_came_arg = arg;
}

void nd_handover_free(struct nd_handover *c)
{
	struct stat st;

	if (c == NULL)
		return;
	if (c->listen_ev != NULL)
		event_free(c->listen_ev);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		/* Only our own file: a successor has bound its own there. */
		if (stat(c->path, &st) == 0 && st.st_ino == c->listen_ino)
			(void)unlink(c->path);
	}
	if (c->succ_ev != NULL)
		event_free(c->succ_ev);
	if (c->succ_fd >= 0)
		close(c->succ_fd);
	if (c->pred_ev != NULL)
		event_free(c->pred_ev);
	if (c->pred_fd >= 0)
		close(c->pred_fd);
	free(c);
}
