/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/kube_client.h - list and watch Services, EndpointSlices and Namespaces into the kube store. */
#ifndef SERVER_KUBE_CLIENT_H
#define SERVER_KUBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/kubeconfig.h"
#include "kube/sync.h"
#include "server/kube_stats.h"

struct event_base;
struct nd_kube_store;
struct nd_kube_client; /* opaque */

/* Tuning; a zeroed struct (or NULL) gives every default. */
struct nd_kube_client_options {
	struct nd_kube_sync_options sync; /* the list/watch policy (seed is
					     drawn per kind) */
	uint32_t connect_timeout_ms; /* TCP + TLS set-up; 0 = 10000 */
	uint32_t list_timeout_ms;    /* one list page, all of it; 0 = 60000 */
	size_t max_line;	     /* longest watch event line; a longer one
					restarts the watch; 0 = 16 MiB */
	size_t max_page;	     /* largest list page body; 0 = 256 MiB */
};

/*
 * Start listing and then watching the three kinds from the API at
 * creds->server (a path prefix, as kubectl proxy may have, is kept) in
 * base, the control thread's event loop. The first list of each kind
 * begins as soon as base dispatches.
 * Every list replaces that kind in store (relist_begin/relist_end, so
 * answers never go empty); watch events then put and delete objects.
 * While the API is unreachable the store is left alone and requests are
 * retried with capped exponential backoff.
 * base, store: borrowed; they must outlive the client. creds, opt:
 * copied. Calls curl_global_init(). Use the client only from the thread
 * that dispatches base.
 * Returns NULL on failure (bad arguments, memory).
 */
struct nd_kube_client *
nd_kube_client_new(struct event_base *base, struct nd_kube_store *store,
		   const struct nd_kube_creds *creds,
		   const struct nd_kube_client_options *opt);

/* Stop every transfer and free the client; NULL is fine. The store
 * keeps what it holds. */
void nd_kube_client_free(struct nd_kube_client *c);

/*
 * True once each kind completed its first full list; it stays true
 * while the API is away, since the store still serves the last state.
 * Any thread (an atomic read). NULL gives false.
 */
bool nd_kube_client_is_synced(const struct nd_kube_client *c);

/* Copy the counters (any thread; each is read atomically). */
void nd_kube_client_get_stats(const struct nd_kube_client *c,
			      struct nd_kube_client_stats *out);

/* Where one resource's list/watch is, for /debug/kube. */
struct nd_kube_watch_info {
	enum nd_kube_kind kind;
	enum nd_kube_sync_state state;
	uint64_t state_age_ms;	     /* in that state for this long */
	char rv[ND_KUBE_RV_MAX];     /* resourceVersion a watch resumes at */
	bool is_synced;		     /* listed in full once */
	uint32_t failures;	     /* failed requests in a row */
	uint32_t short_watches;	     /* watches in a row that ended at once */
	uint32_t last_delay_ms;	     /* the last wait before a request */
	uint32_t backoff_max_ms;     /* the cap of that wait */
};

/*
 * Fill out[k] for every kind (now_ms: monotonic, for the ages). On the
 * thread that dispatches the client's base only. Returns 0 or -EINVAL.
 */
int nd_kube_client_watch_info(const struct nd_kube_client *c, uint64_t now_ms,
			      struct nd_kube_watch_info out[ND_KIND_COUNT]);

#endif /* SERVER_KUBE_CLIENT_H */
