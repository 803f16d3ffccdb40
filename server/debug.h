/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/debug.h - the /debug/... views of the HTTP endpoint, as JSON. */
#ifndef SERVER_DEBUG_H
#define SERVER_DEBUG_H

#include <stddef.h>

struct nd_daemon;

/*
 * Answer GET /debug/<view>?<query> with a JSON document:
 *   /debug/services[?namespace=NS]      Services with their endpoints
 *   /debug/upstreams                    upstreams: smoothed RTT, outcomes
 *   /debug/searchlist[?top=N]           search-list chains (+ signals)
 *   /debug/explain?name=N[&client=IP][&namespace=NS]
 *                                       a name walked as a pod's stub
 *                                       resolver would, with a verdict
 *   /debug/ (or /debug)                 the list of views
 * Errors are JSON too: {"error": "..."} with 400 (bad or unknown
 * parameter), 404 (unknown view; a view whose feature is off) or 500.
 * Reads the kube store's writer-side indexes: call it on the control
 * thread only (the store's one writer), as the HTTP endpoint does.
 * d: the daemon (borrowed). path: the URL path ("/debug/explain").
 * query: the raw query string, undecoded; NULL when none.
 * body: receives the malloc'd document (caller frees), *len its length,
 * *content_type a static string.
 * Returns the HTTP status (200, 400, 404, 500); on 500 *body may be NULL
 * (out of memory). -EINVAL (and nothing set) for NULL d, path, body, len
 * or content_type.
 */
int nd_debug_dispatch(struct nd_daemon *d, const char *path, const char *query,
		      char **body, size_t *len, const char **content_type);

#endif /* SERVER_DEBUG_H */
