/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/debug.h - the /debug/... views of the HTTP endpoint, as JSON. */
#ifndef SERVER_DEBUG_H
#define SERVER_DEBUG_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct nd_daemon;
struct nd_http_req;

/*
 * Answer GET /debug/<view>?<query> with a JSON document:
 *   /debug/services[?namespace=NS]      Services with their endpoints
 *   /debug/upstreams                    upstreams: smoothed RTT, outcomes
 *   /debug/searchlist[?top=N]           search-list chains (+ signals)
 *   /debug/explain?name=N[&client=IP][&namespace=NS][&resolve=1]
 *                                       a name walked as a pod's stub
 *                                       resolver would, with a verdict;
 *                                       resolve: the names that would go
 *                                       upstream are asked (answered
 *                                       later, ND_HTTP_LATER)
 *   /debug/status                       version, uptime, sync, cache,
 *                                       upstream health, log level
 *   /debug/ (or /debug)                 the list of views
 * Errors are JSON too: {"error": "..."} with 400 (bad or unknown
 * parameter), 404 (unknown view; a view whose feature is off) or 500.
 * Reads the kube store's writer-side indexes: call it on the control
 * thread only (the store's one writer), as the HTTP endpoint does.
 * d: the daemon (borrowed). r: the request (path, raw query, later).
 * body: receives the malloc'd document (caller frees), *len its length,
 * *content_type a static string.
 * Returns the HTTP status (200, 400, 404, 500); on 500 *body may be NULL
 * (out of memory); ND_HTTP_LATER when r->later will carry the answer.
 * -EINVAL (and nothing set) for NULL d, r, body, len or content_type.
 */
int nd_debug_dispatch(struct nd_daemon *d, const struct nd_http_req *r,
		      char **body, size_t *len, const char **content_type);

/*
 * doc (taken; NULL = out of memory) as indented JSON text with a final
 * newline into *body (malloc'd) and *len. Returns status, or 500 when
 * there is no memory (then *body is NULL).
 */
int nd_debug_doc_text(cJSON *doc, int status, char **body, size_t *len);

/*
 * Answer every /debug/explain?resolve=1 still waiting for its queries
 * with 503 and free them (at exit, before the event base goes).
 */
void nd_debug_resolve_cancel_all(struct nd_daemon *d);

#endif /* SERVER_DEBUG_H */
