/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/debug_view.h - what the /debug views share: their entry points and JSON helpers (server/debug*.c only). */
#ifndef SERVER_DEBUG_VIEW_H
#define SERVER_DEBUG_VIEW_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct evkeyvalq;
struct nd_daemon;
struct nd_kube_ip;
struct nd_kube_svc_desc;

/*
 * A view: build the document for the decoded query parameters params
 * (only the names the dispatcher lists for the view reach it).
 * *doc: set to the document, or to an error document (nd_debug_error)
 * for a status other than 200; owned by the caller.
 * Returns the HTTP status, or -ENOMEM (then *doc is NULL).
 */
typedef int (*nd_debug_view_fn)(struct nd_daemon *d,
				const struct evkeyvalq *params, cJSON **doc);

int nd_debug_view_services(struct nd_daemon *d, const struct evkeyvalq *params,
			   cJSON **doc);
int nd_debug_view_upstreams(struct nd_daemon *d, const struct evkeyvalq *params,
			    cJSON **doc);
int nd_debug_view_searchlist(struct nd_daemon *d,
			     const struct evkeyvalq *params, cJSON **doc);
int nd_debug_view_kube(struct nd_daemon *d, const struct evkeyvalq *params,
		       cJSON **doc);
int nd_debug_view_explain(struct nd_daemon *d, const struct evkeyvalq *params,
			  cJSON **doc);

/* {"error": "<formatted message>"}; NULL when out of memory. */
cJSON *nd_debug_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The value of parameter key (decoded, borrowed from params), or NULL. */
const char *nd_debug_param(const struct evkeyvalq *params, const char *key);

/*
 * Is s a Kubernetes namespace or Service name (an RFC 1123 label: 1-63
 * of a-z, 0-9 and '-', not starting or ending with '-')?
 */
int nd_debug_is_label(const char *s);

/* The address as text ("10.0.0.1", "fd00::1") into buf (at least 46
 * bytes); "?" for an unknown family. Returns buf. */
const char *nd_debug_ip_text(const struct nd_kube_ip *ip, char *buf,
			     size_t cap);

/*
 * One Service as /debug/services shows it: namespace, name, type,
 * clusterIPs, ports, externalName, endpoints (address, ready, serving,
 * terminating, hostname, node, pod) and the counts. NULL when out of
 * memory. d: borrowed from a describe list (writer thread).
 */
cJSON *nd_debug_service_json(const struct nd_kube_svc_desc *d);

/* "ClusterIP", "Headless" or "ExternalName" for an nd_kube_service_type. */
const char *nd_debug_service_type(int type);

/* "TCP", "UDP", "SCTP" or "?" for an IPPROTO_ value. */
const char *nd_debug_proto(int protocol);

#endif /* SERVER_DEBUG_VIEW_H */
