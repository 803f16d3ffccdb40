/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/debug.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/debug_view.h"
#include "server/http.h"
#include "util/errors.h"
#include "util/log.h"
#include "util/query_string.h"

#define CT_JSON "application/json"

#define MAX_PARAMS 4

/* The views, and the query parameters each accepts: anything else is a
 * 400, so a typo ("?ns=shop") is not silently ignored. */
static const struct view {
	const char *path;
	nd_debug_view_fn fn;
	const char *params[MAX_PARAMS]; /* NULL-terminated when shorter */
	const char *help;
} views[] = {
    {"/debug/services",
     nd_debug_view_services,
     {"namespace"},
     "Services with their endpoints [?namespace=NS]"},
    {"/debug/upstreams",
     nd_debug_view_upstreams,
     {NULL},
     "upstream servers: smoothed RTT, attempts and outcomes"},
    {"/debug/searchlist",
     nd_debug_view_searchlist,
     {"top"},
     "search-list (ndots) chains and recent signals [?top=N]"},
    {"/debug/kube",
     nd_debug_view_kube,
     {NULL},
     "the Kubernetes API list/watch of each resource: state, resourceVersion, failures, waits"},
    {"/debug/explain",
     nd_debug_view_explain,
     {"name", "client", "namespace", "resolve"},
     "walk a name as a pod would: ?name=N[&client=IP][&namespace=NS]"
     "[&resolve=1: ask the upstream for names not cached]"},
    {"/debug/status",
     nd_debug_view_status,
     {NULL},
     "version, uptime, sync state, cache, upstream health, log level"},
    {"/debug/node",
     nd_debug_view_node,
     {NULL},
     "node set-up: interface, node-local addresses, nftables rules, errors and repairs"},
};

#define N_VIEWS (sizeof(views) / sizeof(views[0]))

cJSON *nd_debug_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	cJSON *doc = cJSON_CreateObject();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (doc != NULL && cJSON_AddStringToObject(doc, "error", msg) == NULL) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

const char *nd_debug_param(const struct nd_qs *params, const char *key)
{
	return nd_qs_get(params, key);
}

static const struct view *view_find(const char *path)
{
	for (size_t i = 0; i < N_VIEWS; i++)
		if (strcmp(views[i].path, path) == 0)
			return &views[i];
	return NULL;
}

static int param_is_known(const struct view *v, const char *key)
{
	for (size_t i = 0; i < MAX_PARAMS && v->params[i] != NULL; i++)
		if (strcmp(v->params[i], key) == 0)
			return 1;
	return 0;
}

/* {"views": [{"path", "about"}...]}, also the body of an unknown view's
 * 404, so a lost user sees where to go. */
static cJSON *index_doc(const char *error)
{
	cJSON *doc = error ? nd_debug_error("%s", error) : cJSON_CreateObject();
	cJSON *arr = doc ? cJSON_AddArrayToObject(doc, "views") : NULL;

	if (arr == NULL)
		goto nomem;
	for (size_t i = 0; i < N_VIEWS; i++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			goto nomem;
		cJSON_AddItemToArray(arr, o);
		if (cJSON_AddStringToObject(o, "path", views[i].path) == NULL ||
		    cJSON_AddStringToObject(o, "about", views[i].help) == NULL)
			goto nomem;
	}
	return doc;
nomem:
	cJSON_Delete(doc);
	return NULL;
}

/* Route to the view: the status and its document (NULL = no memory);
 * ND_HTTP_LATER when the view answers through later. */
static int route(struct nd_daemon *d, const char *path, const char *query,
		 struct nd_http_later *later, cJSON **doc)
{
	struct nd_qs params;
	const struct view *v;
	int status;

	*doc = NULL;
	if (strcmp(path, "/debug") == 0 || strcmp(path, "/debug/") == 0) {
		*doc = index_doc(NULL);
		return 200;
	}
	v = view_find(path);
	if (v == NULL) {
		char msg[300];

		snprintf(msg, sizeof(msg), "unknown view %.200s", path);
		*doc = index_doc(msg);
		return 404;
	}
	status = nd_qs_parse(query, &params);
	if (status == -ENOMEM) {
		nd_qs_free(&params);
		return 500;
	}
	if (status != 0) {
		nd_qs_free(&params);
		*doc = nd_debug_error("malformed query string");
		return 400;
	}
	for (size_t i = 0; i < params.n; i++) {
		if (!param_is_known(v, params.v[i].key)) {
			*doc = nd_debug_error("unknown parameter '%.64s' for "
					      "%s",
					      params.v[i].key, v->path);
			nd_qs_free(&params);
			return 400;
		}
	}
	if (v->fn == nd_debug_view_explain &&
	    nd_debug_param(&params, "resolve") != NULL)
		status = nd_debug_explain_resolve(d, &params, later, doc);
	else
		status = v->fn(d, &params, doc);
	nd_qs_free(&params);
	if (status == ND_HTTP_LATER)
		return status;
	if (status < 0) {
		cJSON_Delete(*doc);
		*doc = NULL;
		nd_warn("http", "GET %s: %s", path,
			status == -ENOMEM ? "out of memory" : "failed");
		return 500;
	}
	return status;
}

int nd_debug_dispatch(struct nd_daemon *d, const struct nd_http_req *r,
		      char **body, size_t *len, const char **content_type)
{
	cJSON *doc = NULL;
	int status;

	if (d == NULL || r == NULL || r->path == NULL || body == NULL ||
	    len == NULL || content_type == NULL)
		return -EINVAL;
	*body = NULL;
	*len = 0;
	*content_type = CT_JSON;
	status = route(d, r->path, r->query, r->later, &doc);
	if (status == ND_HTTP_LATER)
		return status;
	return nd_debug_doc_text(doc, status, body, len);
}

int nd_debug_doc_text(cJSON *doc, int status, char **body, size_t *len)
{
	char *text = doc != NULL ? cJSON_Print(doc) : NULL;

	*body = NULL;
	*len = 0;
	cJSON_Delete(doc);
	if (text == NULL)
		return 500; /* no body: the endpoint answers 500 itself */

	/* A newline at the end, for curl on a terminal. */
	size_t n = strlen(text);
	char *out = realloc(text, n + 2);

	if (out == NULL) {
		free(text);
		return 500;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	*body = out;
	*len = n + 1;
	return status;
}
