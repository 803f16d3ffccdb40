/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/kube_stats.h"

#include <errno.h>
#include <stdio.h>

#include "util/prom.h"

#define L(k, v) ((struct nd_prom_label){ (k), (v) })

/* One counter per resource. */
static void per_kind(struct nd_prom *b, const char *name, const char *help,
		     const uint64_t v[ND_KIND_COUNT])
{
	nd_prom_family(b, name, "counter", help);
	for (int k = 0; k < ND_KIND_COUNT; k++) {
		const struct nd_prom_label l =
		    L("resource", nd_kube_kind_name((enum nd_kube_kind)k));

		nd_prom_sample(b, name, &l, 1, v[k]);
	}
}

static void programming(struct nd_prom *b,
			const struct nd_kube_client_stats *st)
{
	static const char *const h =
	    "nodedns_kube_dns_programming_duration_seconds";
	uint32_t bounds_us[ND_KUBE_PROG_BUCKETS];
	const struct nd_prom_hist ph = {
		.bounds_us = bounds_us,
		.n_bounds = ND_KUBE_PROG_BUCKETS,
		.bucket = st->prog_bucket,
		.sum_us = st->prog_sum_ms * 1000u,
		.sum_decimals = 3, /* whole milliseconds */
	};

	for (size_t i = 0; i < ND_KUBE_PROG_BUCKETS; i++)
		bounds_us[i] = nd_kube_prog_bounds_ms[i] * 1000u;
	nd_prom_family(b, h, "histogram",
		       "From an EndpointSlice's last-change-trigger-time to its "
		       "answers being served (Kubernetes' DNS programming "
		       "latency).");
	nd_prom_histogram(b, h, NULL, 0, &ph);
}

static void write_text(struct nd_prom *b,
		       const struct nd_kube_client_stats *st, uint64_t now_ms)
{
	char age[32];

	nd_prom_family(b, "nodedns_kube_events_total", "counter",
		       "Watch events received from the Kubernetes API, by "
		       "resource and type.");
	for (int k = 0; k < ND_KIND_COUNT; k++)
		for (int t = 0; t < ND_EV_TYPES; t++) {
			const struct nd_prom_label l[] = {
				L("resource",
				  nd_kube_kind_name((enum nd_kube_kind)k)),
				L("type", nd_kube_event_type_name(
					      (enum nd_kube_event_type)t)),
			};

			nd_prom_sample(b, "nodedns_kube_events_total", l, 2,
				       st->events[k][t]);
		}
	nd_prom_family(b, "nodedns_kube_watch_restarts_total", "counter",
		       "Watches that ended and were started again, by "
		       "resource and reason.");
	for (int k = 0; k < ND_KIND_COUNT; k++)
		for (int r = 0; r < ND_KUBE_RESTART_REASONS; r++) {
			const struct nd_prom_label l[] = {
				L("resource",
				  nd_kube_kind_name((enum nd_kube_kind)k)),
				L("reason", nd_kube_restart_reason_name(
						(enum nd_kube_restart_reason)r)),
			};

			nd_prom_sample(b, "nodedns_kube_watch_restarts_total",
				       l, 2, st->restarts[k][r]);
		}
	nd_prom_family(b, "nodedns_kube_retries_total", "counter",
		       "Waits before the next API request, by resource and "
		       "reason (failed: a request failed; short: watches "
		       "ended at once).");
	for (int k = 0; k < ND_KIND_COUNT; k++)
		for (int r = 0; r < ND_KUBE_RETRY_REASONS; r++) {
			const struct nd_prom_label l[] = {
				L("resource",
				  nd_kube_kind_name((enum nd_kube_kind)k)),
				L("reason", nd_kube_retry_reason_name(
						(enum nd_kube_retry_reason)r)),
			};

			nd_prom_sample(b, "nodedns_kube_retries_total", l, 2,
				       st->retries[k][r]);
		}
	per_kind(b, "nodedns_kube_lists_total",
		 "Full lists of a resource completed.", st->lists);
	per_kind(b, "nodedns_kube_api_errors_total",
		 "Failed requests to the Kubernetes API.", st->api_errors);
	per_kind(b, "nodedns_kube_bad_objects_total",
		 "Objects or watch events that did not decode and were skipped.",
		 st->bad_objects);
	nd_prom_family(b, "nodedns_kube_last_sync_age_seconds", "gauge",
		       "Seconds since the API last confirmed our state (-1: "
		       "never).");
	if (st->last_sync_ms == 0 || now_ms < st->last_sync_ms)
		snprintf(age, sizeof(age), "%s",
			 st->last_sync_ms == 0 ? "-1" : "0");
	else
		nd_prom_seconds_text((now_ms - st->last_sync_ms) * 1000u, 3,
				     age, sizeof(age));
	nd_prom_sample_text(b, "nodedns_kube_last_sync_age_seconds", NULL, 0,
			    age);
	programming(b, st);
	nd_prom_family(b, "nodedns_kube_buffer_bytes", "gauge",
		       "Bytes allocated to the API transport's list page and "
		       "watch line buffers (back under 64 KiB after a large "
		       "page or event).");
	nd_prom_sample(b, "nodedns_kube_buffer_bytes", NULL, 0,
		       st->buffer_bytes);
	nd_prom_family(b, "nodedns_kube_synced", "gauge",
		       "1 once every resource completed its first full list.");
	nd_prom_sample(b, "nodedns_kube_synced", NULL, 0, st->is_synced ? 1 : 0);
}

const uint32_t nd_kube_prog_bounds_ms[ND_KUBE_PROG_BUCKETS] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
};

void nd_kube_stats_observe_prog(struct nd_kube_client_stats *st, uint64_t ms)
{
	size_t i = 0;

	while (i < ND_KUBE_PROG_BUCKETS && ms > nd_kube_prog_bounds_ms[i])
		i++;
	__atomic_add_fetch(&st->prog_bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->prog_sum_ms, ms, __ATOMIC_RELAXED);
	__atomic_add_fetch(&st->prog_count, 1, __ATOMIC_RELAXED);
}

int nd_kube_stats_render(const struct nd_kube_client_stats *st,
			 uint64_t now_ms, char **text, size_t *len)
{
	struct nd_prom b;

	if (st == NULL || text == NULL || len == NULL ||
	    (*text == NULL && *len != 0))
		return -EINVAL;
	nd_prom_attach(&b, *text, *len);
	write_text(&b, st, now_ms);
	return nd_prom_finish(&b, text, len);
}
