/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/kube_stats.h - the API transport's counters and their Prometheus text. */
#ifndef SERVER_KUBE_STATS_H
#define SERVER_KUBE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "kube/decode.h"
#include "kube/sync.h"

#define ND_KUBE_PROG_BUCKETS 13

/*
 * Counters of the API transport. The control thread is the only writer
 * and bumps them with relaxed atomics, so any thread may read a copy
 * (nd_kube_client_get_stats()). Indexed by enum nd_kube_kind.
 */
struct nd_kube_client_stats {
	uint64_t events[ND_KIND_COUNT][ND_EV_TYPES]; /* watch events by type */
	uint64_t restarts[ND_KIND_COUNT][ND_KUBE_RESTART_REASONS]; /* watches
				  that were running (HTTP 200) and ended */
	uint64_t retries[ND_KIND_COUNT][ND_KUBE_RETRY_REASONS]; /* waits
				  before a request, by reason */
	uint64_t lists[ND_KIND_COUNT];	     /* full lists completed */
	uint64_t api_errors[ND_KIND_COUNT];  /* failed requests: connect, TLS,
						HTTP status, bad body */
	uint64_t bad_objects[ND_KIND_COUNT]; /* objects or events skipped */
	uint64_t last_sync_ms;		     /* monotonic ms when the client
						last knew it was current (a
						list done, a watch event or
						bookmark); 0 = never */
	uint64_t is_synced;		     /* 1 once every kind listed */
	/* DNS programming latency (Kubernetes scalability SLI): from an
	 * EndpointSlice's last-change-trigger-time annotation to the moment
	 * its changed answers are published to the workers, in ms. */
	uint64_t prog_bucket[ND_KUBE_PROG_BUCKETS + 1]; /* last: +Inf */
	uint64_t prog_count;
	uint64_t prog_sum_ms;
	uint64_t buffer_bytes;		     /* allocated to the list page and
						watch line buffers now */
};

/* Upper bounds of the programming-latency buckets, milliseconds. */
extern const uint32_t nd_kube_prog_bounds_ms[ND_KUBE_PROG_BUCKETS];

/* Record one programming latency (control thread). */
void nd_kube_stats_observe_prog(struct nd_kube_client_stats *st,
				uint64_t ms);

/*
 * Append st as Prometheus text (HELP and TYPE for every family):
 * nodedns_kube_events_total{resource,type},
 * nodedns_kube_watch_restarts_total{resource,reason},
 * nodedns_kube_lists_total{resource}, nodedns_kube_api_errors_total
 * {resource}, nodedns_kube_bad_objects_total{resource},
 * nodedns_kube_last_sync_age_seconds (-1 = never) and nodedns_kube_synced.
 * now_ms: monotonic ms (nd_clock_ms()), for the age.
 * text, len: a malloc'd NUL-terminated buffer and its length; *text may
 * be NULL (then *len must be 0). It is realloc'd and appended to, so the
 * text of nd_metrics_render() can be passed in. On failure the text is
 * as it was (*text may have moved) and still the caller's.
 * Returns 0, -EINVAL or -ENOMEM.
 */
int nd_kube_stats_render(const struct nd_kube_client_stats *st,
			 uint64_t now_ms, char **text, size_t *len);

#endif /* SERVER_KUBE_STATS_H */
