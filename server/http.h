/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/http.h - the HTTP endpoint: /metrics, /health, /ready. */
#ifndef SERVER_HTTP_H
#define SERVER_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct nd_http;

/* What the endpoint asks the daemon for; called on the HTTP thread. */
struct nd_http_hooks {
	void *arg;
	/* Prometheus text, malloc'd (freed by the endpoint); 0 or negative. */
	int (*metrics)(void *arg, char **text, size_t *len);
	/* 1 when the first sync is done and the daemon serves; 0 otherwise. */
	int (*is_ready)(void *arg);
	/* 1 while alive and not shutting down. */
	int (*is_healthy)(void *arg);
	/*
	 * GET /debug/ paths: path (e.g. "/debug/explain") and the raw query
	 * string (NULL when none). Sets *body (malloc'd, freed by the
	 * endpoint), *len and *content_type (static); returns the HTTP
	 * status (404 for an unknown view). NULL hook: every /debug path is
	 * 404.
	 */
	int (*debug)(void *arg, const char *path, const char *query,
		     char **body, size_t *len, const char **content_type);
};

/*
 * Serve HTTP on addr in base (libevent evhttp): GET /debug/ paths through the
 * debug hook, GET /metrics (200,
 * text/plain; version=0.0.4), /health (200 "ok" or 503), /ready (200
 * "ready" or 503 "not ready"); 404 otherwise, 405 for methods other than
 * GET and HEAD. hooks is copied. NULL on failure (logged).
 */
struct nd_http *nd_http_new(struct event_base *base,
			    const struct sockaddr *addr,
			    const struct nd_http_hooks *hooks);
void nd_http_free(struct nd_http *h); /* NULL is fine */

#endif /* SERVER_HTTP_H */
