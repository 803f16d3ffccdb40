/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/http.h - the HTTP endpoints: /metrics, /health, /ready; /debug/ and /control/ on a listener of their own. */
#ifndef SERVER_HTTP_H
#define SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct nd_http;
struct nd_http_later;

/*
 * Which paths a listener serves. PUBLIC (--http-listen): /metrics,
 * /health, /ready, for Prometheus and probes; a /debug/ path there gets
 * 404 saying where it moved. DEBUG (--debug-listen): GET /debug/... and
 * POST /control/..., nothing else.
 */
enum nd_http_role {
	ND_HTTP_PUBLIC = 0,
	ND_HTTP_DEBUG = 1,
};

/* A hook's status meaning "the answer comes later" (see later below). */
#define ND_HTTP_LATER 0

/* One /debug or /control request as the hooks see it (all borrowed for
 * the call). */
struct nd_http_req {
	const char *path;	     /* "/debug/explain", "/control/flush" */
	const char *query;	     /* raw query string; NULL = none */
	const struct sockaddr *peer; /* the client; NULL = unknown */
	const char *authorization;   /* its Authorization header; NULL */
	struct nd_http_later *later; /* for a hook that returns
					ND_HTTP_LATER: it then owns this and
					must call nd_http_later_reply() once */
};

/*
 * A /debug or /control hook: sets *body (malloc'd, freed by the
 * endpoint), *len and *content_type (static) and returns the HTTP status;
 * or returns ND_HTTP_LATER, setting nothing, and answers through
 * req->later. Called on the HTTP (control) thread.
 */
typedef int (*nd_http_view_fn)(void *arg, const struct nd_http_req *req,
			       char **body, size_t *len,
			       const char **content_type);

/* What the endpoint asks the daemon for; called on the HTTP thread. */
struct nd_http_hooks {
	void *arg;
	enum nd_http_role role;
	/* PUBLIC: Prometheus text, malloc'd (freed by the endpoint); 0 or
	 * negative. */
	int (*metrics)(void *arg, char **text, size_t *len);
	/* PUBLIC: 1 when the first sync is done and the daemon serves. */
	int (*is_ready)(void *arg);
	/* PUBLIC: 1 while alive and not shutting down. */
	int (*is_healthy)(void *arg);
	/* PUBLIC: where /debug/ went ("http://127.0.0.1:9154"), for the
	 * 404 of a /debug/ path; NULL = a plain 404. Copied. */
	const char *debug_moved_to;
	/* DEBUG: GET and HEAD of /debug and /debug/...; NULL: 404. */
	nd_http_view_fn debug;
	/* DEBUG: POST /control/...; NULL: 404. */
	nd_http_view_fn control;
	/* Bind with SO_REUSEPORT, so an upgrade's successor can listen on
	 * the same address while this process still serves (see
	 * nd_http_stop_listening()). */
	bool share_port;
};

/*
 * Serve HTTP on addr in base (libevent evhttp), the paths of hooks->role:
 * GET /metrics (200, text/plain; version=0.0.4), /health (200 "ok" or
 * 503), /ready (200 "ready" or 503 "not ready"); or GET /debug/... and
 * POST /control/... through their hooks. 404 otherwise, 405 for a method
 * the path does not take. hooks is copied. NULL on failure (logged).
 */
struct nd_http *nd_http_new(struct event_base *base,
			    const struct sockaddr *addr,
			    const struct nd_http_hooks *hooks);
void nd_http_free(struct nd_http *h); /* NULL is fine */

/*
 * Stop taking connections (an upgrade's successor listens on the same
 * address with SO_REUSEPORT and gets them all from now on); connections
 * already accepted are served. NULL, and a second call, are fine.
 */
void nd_http_stop_listening(struct nd_http *h);

/*
 * Answer a request a hook kept (ND_HTTP_LATER): body (malloc'd; taken,
 * NULL = out of memory: 500), len, content_type (static). When the
 * client went away meanwhile the answer is dropped. Frees l.
 */
void nd_http_later_reply(struct nd_http_later *l, int status, char *body,
			 size_t len, const char *content_type);

#endif /* SERVER_HTTP_H */
