/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/debug_view.h - what the /debug views share: their entry points and JSON helpers (server/debug*.c only). */
#ifndef SERVER_DEBUG_VIEW_H
#define SERVER_DEBUG_VIEW_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "resolver/diag/service_json.h" /* the views' shared helpers */

struct nd_qs;
struct nd_daemon;

/*
 * A view: build the document for the decoded query parameters params
 * (only the names the dispatcher lists for the view reach it).
 * *doc: set to the document, or to an error document (nd_debug_error)
 * for a status other than 200; owned by the caller.
 * Returns the HTTP status, or -ENOMEM (then *doc is NULL).
 */
typedef int (*nd_debug_view_fn)(struct nd_daemon *d,
				const struct nd_qs *params, cJSON **doc);

int nd_debug_view_services(struct nd_daemon *d, const struct nd_qs *params,
			   cJSON **doc);
int nd_debug_view_upstreams(struct nd_daemon *d, const struct nd_qs *params,
			    cJSON **doc);
int nd_debug_view_searchlist(struct nd_daemon *d,
			     const struct nd_qs *params, cJSON **doc);
int nd_debug_view_kube(struct nd_daemon *d, const struct nd_qs *params,
		       cJSON **doc);
int nd_debug_view_explain(struct nd_daemon *d, const struct nd_qs *params,
			  cJSON **doc);
int nd_debug_view_status(struct nd_daemon *d, const struct nd_qs *params,
			 cJSON **doc);

struct nd_http_later;

/*
 * /debug/explain?...&resolve=1: as nd_debug_view_explain, but the names
 * the stub would send upstream are asked (through our own listener, so
 * the answer is also cached) before the verdict. Returns a status with
 * *doc set (a bad request), or ND_HTTP_LATER: the answer goes through
 * later (taken) when the queries are done (server/debug_resolve.c).
 */
int nd_debug_explain_resolve(struct nd_daemon *d,
			     const struct nd_qs *params,
			     struct nd_http_later *later, cJSON **doc);

/*
 * Fill in from the request and the daemon what the explain engine is
 * fed (server/debug_explain.c); all borrowed from params, d, ip and
 * upstreams (cap bytes). Returns 0, or 400 with *doc set.
 */
struct nd_explain_input;
struct nd_kube_ip;
int nd_debug_explain_input(struct nd_daemon *d, const struct nd_qs *params,
			   struct nd_explain_input *in, struct nd_kube_ip *ip,
			   char *upstreams, size_t cap, cJSON **doc);

int nd_debug_view_node(struct nd_daemon *d, const struct nd_qs *params,
		       cJSON **doc);

/* {"error": "<formatted message>"}; NULL when out of memory. */
cJSON *nd_debug_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The value of parameter key (decoded, borrowed from params), or NULL. */
const char *nd_debug_param(const struct nd_qs *params, const char *key);

#endif /* SERVER_DEBUG_VIEW_H */
