/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/kube_stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One counter per resource. */
static void per_kind(FILE *f, const char *name, const char *help,
		     const uint64_t v[ND_KIND_COUNT])
{
	family(f, name, "counter", help);
	for (int k = 0; k < ND_KIND_COUNT; k++)
		fprintf(f, "%s{resource=\"%s\"} %" PRIu64 "\n", name,
			nd_kube_kind_name((enum nd_kube_kind)k), v[k]);
}

static void write_text(FILE *f, const struct nd_kube_client_stats *st,
		       uint64_t now_ms)
{
	family(f, "nodedns_kube_events_total", "counter",
	       "Watch events received from the Kubernetes API, by resource and type.");
	for (int k = 0; k < ND_KIND_COUNT; k++)
		for (int t = 0; t < ND_EV_TYPES; t++)
			fprintf(f,
				"nodedns_kube_events_total{resource=\"%s\",type=\"%s\"} %" PRIu64 "\n",
				nd_kube_kind_name((enum nd_kube_kind)k),
				nd_kube_event_type_name(
					(enum nd_kube_event_type)t),
				st->events[k][t]);
	family(f, "nodedns_kube_watch_restarts_total", "counter",
	       "Watches that ended and were started again, by resource and reason.");
	for (int k = 0; k < ND_KIND_COUNT; k++)
		for (int r = 0; r < ND_KUBE_RESTART_REASONS; r++)
			fprintf(f,
				"nodedns_kube_watch_restarts_total{resource=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
				nd_kube_kind_name((enum nd_kube_kind)k),
				nd_kube_restart_reason_name(
					(enum nd_kube_restart_reason)r),
				st->restarts[k][r]);
	family(f, "nodedns_kube_retries_total", "counter",
	       "Waits before the next API request, by resource and reason (failed: a request failed; short: watches ended at once).");
	for (int k = 0; k < ND_KIND_COUNT; k++)
		for (int r = 0; r < ND_KUBE_RETRY_REASONS; r++)
			fprintf(f,
				"nodedns_kube_retries_total{resource=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
				nd_kube_kind_name((enum nd_kube_kind)k),
				nd_kube_retry_reason_name(
					(enum nd_kube_retry_reason)r),
				st->retries[k][r]);
	per_kind(f, "nodedns_kube_lists_total",
		 "Full lists of a resource completed.", st->lists);
	per_kind(f, "nodedns_kube_api_errors_total",
		 "Failed requests to the Kubernetes API.", st->api_errors);
	per_kind(f, "nodedns_kube_bad_objects_total",
		 "Objects or watch events that did not decode and were skipped.",
		 st->bad_objects);
	family(f, "nodedns_kube_last_sync_age_seconds", "gauge",
	       "Seconds since the API last confirmed our state (-1: never).");
	if (st->last_sync_ms == 0 || now_ms < st->last_sync_ms)
		fprintf(f, "nodedns_kube_last_sync_age_seconds %s\n",
			st->last_sync_ms == 0 ? "-1" : "0");
	else
		fprintf(f, "nodedns_kube_last_sync_age_seconds %.3f\n",
			(double)(now_ms - st->last_sync_ms) / 1000.0);
	family(f, "nodedns_kube_dns_programming_duration_seconds", "histogram",
	       "From an EndpointSlice's last-change-trigger-time to its "
	       "answers being served (Kubernetes' DNS programming latency).");
	uint64_t cum = 0;
	for (size_t i = 0; i < ND_KUBE_PROG_BUCKETS; i++) {
		cum += st->prog_bucket[i];
		fprintf(f, "nodedns_kube_dns_programming_duration_seconds_bucket"
			   "{le=\"%g\"} %llu\n",
			nd_kube_prog_bounds_ms[i] / 1000.0,
			(unsigned long long)cum);
	}
	cum += st->prog_bucket[ND_KUBE_PROG_BUCKETS];
	fprintf(f, "nodedns_kube_dns_programming_duration_seconds_bucket"
		   "{le=\"+Inf\"} %llu\n"
		   "nodedns_kube_dns_programming_duration_seconds_sum %.3f\n"
		   "nodedns_kube_dns_programming_duration_seconds_count %llu\n",
		(unsigned long long)cum, (double)st->prog_sum_ms / 1000.0,
		(unsigned long long)cum);
	family(f, "nodedns_kube_synced", "gauge",
	       "1 once every resource completed its first full list.");
	fprintf(f, "nodedns_kube_synced %d\n", st->is_synced ? 1 : 0);
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
	char *mine = NULL, *grown;
	size_t n = 0;
	FILE *f;

	if (st == NULL || text == NULL || len == NULL ||
	    (*text == NULL && *len != 0))
		return -EINVAL;
	f = open_memstream(&mine, &n);
	if (f == NULL)
		return -ENOMEM;
	write_text(f, st, now_ms);
	if (ferror(f) != 0) {
		fclose(f);
		free(mine);
		return -ENOMEM;
	}
	if (fclose(f) != 0) {
		free(mine);
		return -ENOMEM;
	}
	grown = realloc(*text, *len + n + 1);
	if (grown == NULL) {
		free(mine);
		return -ENOMEM;
	}
	memcpy(grown + *len, mine, n + 1);
	*text = grown;
	*len += n;
	free(mine);
	return 0;
}
