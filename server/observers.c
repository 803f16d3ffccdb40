/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/observers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "resolver/observe.h"
#include "resolver/diag/searchlist.h"
#include "resolver/diag/symptoms.h"
#include "server/daemon.h"
#include "server/query_log.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/prom.h"
#include "util/ratelimit.h"

/* Slow-query lines per second at most, so a slow upstream does not turn
 * the log into the bottleneck; the rest are counted. */
#define SLOW_LINES_PER_S 5

static struct nd_ratelimit slow_limit; /* set by nd_observers_start */
/* --query-log; made at start whether on or not, so SIGHUP can turn it on */
static struct nd_query_log *query_log;
/* Threads that may record: every worker (at most 256) and a margin. */
#define QUERY_LOG_THREADS 264

/* One line that says where the time of a slow query went. */
static void log_slow(struct nd_daemon *d, const struct nd_query_event *ev)
{
	struct nd_runtime *rt = nd_daemon_runtime(d);
	char name[ND_DNS_MAX_NAME * 4 + 2] = "?", type[16], client[ND_ADDR_STRLEN];
	char where[160];

	if (ev->qname_lc != NULL)
		nd_dns_name_to_text(ev->qname_lc, ev->qname_len, name,
				    sizeof(name));
	nd_addr_format(ev->client, client, sizeof(client));
	switch (ev->source) {
	case ND_SRC_UPSTREAM:
	case ND_SRC_STALE:
	case ND_SRC_FAILED:
		snprintf(where, sizeof(where),
			 "cache miss; upstream %s after %u attempt%s%s%s",
			 ev->upstream >= 0 && ev->upstream < ND_MAX_UPSTREAM_SLOTS &&
					 rt->upstream_names[ev->upstream]
				 ? rt->upstream_names[ev->upstream]
				 : "(none)",
			 ev->attempts, ev->attempts == 1 ? "" : "s",
			 ev->attempts > 1 ? " (retries: the first upstreams "
					    "timed out or failed)" : "",
			 ev->used_tcp ? ", TCP fallback after a truncated "
					"UDP answer" : "");
		break;
	default:
		snprintf(where, sizeof(where),
			 "answered locally (%s): the time went to the worker "
			 "being busy",
			 nd_answer_source_name(ev->source));
		break;
	}
	nd_warn("slow", "%s %s from %s took %llu ms, answer %s: %s", name,
		nd_dns_type_name(ev->qtype, type, sizeof(type)), client,
		(unsigned long long)(ev->duration_us / 1000),
		nd_answer_source_name(ev->source), where);
}

void nd_observers_run(struct nd_daemon *d, const struct nd_query_event *ev)
{
	/* Off (the default), a query costs one load here, not the
	 * runtime's upstream names. */
	if (nd_query_log_is_on(query_log)) {
		struct nd_runtime *rt = nd_daemon_runtime(d);
		const char *up = NULL;

		if (ev->upstream >= 0 && ev->upstream < ND_MAX_UPSTREAM_SLOTS)
			up = rt->upstream_names[ev->upstream];
		nd_query_log_record(query_log, ev, up);
	}
	if (d->searchlist != NULL)
		nd_searchlist_observe(d->searchlist, ev);
	if (d->symptoms != NULL)
		nd_symptoms_observe(d->symptoms, ev);
	if (d->cfg.slow_query_ms > 0 &&
	    ev->duration_us >= (uint64_t)d->cfg.slow_query_ms * 1000u &&
	    nd_ratelimit_allow(&slow_limit, ev->recv_us + ev->duration_us,
			       NULL))
		log_slow(d, ev);
}

void nd_observers_tick(struct nd_daemon *d, uint64_t now_us)
{
	if (d->searchlist != NULL)
		nd_searchlist_tick(d->searchlist, now_us);
	if (d->symptoms != NULL)
		nd_symptoms_tick(d->symptoms, now_us);
}

int nd_observers_render_metrics(struct nd_daemon *d, char **text,
				size_t *len)
{
	struct nd_prom b;
	int rc = 0;

	if (d->searchlist != NULL)
		rc = nd_searchlist_render_metrics(d->searchlist, text, len);
	if (rc == 0 && d->symptoms != NULL)
		rc = nd_symptoms_render_metrics(d->symptoms, text, len);
	if (rc != 0)
		return rc;
	nd_prom_attach(&b, *text, *len);
	nd_prom_family(&b, "nodedns_slow_queries_suppressed_total", "counter",
		       "Slow queries not logged (rate limit).");
	nd_prom_sample(&b, "nodedns_slow_queries_suppressed_total", NULL, 0,
		       nd_ratelimit_refused(&slow_limit));
	nd_prom_family(&b, "nodedns_query_log_lines_total", "counter",
		       "Query log lines written (--query-log).");
	nd_prom_sample(&b, "nodedns_query_log_lines_total", NULL, 0,
		       nd_query_log_written(query_log));
	nd_prom_family(&b, "nodedns_query_log_dropped_total", "counter",
		       "Sampled query log lines dropped: the worker's buffer "
		       "was full.");
	nd_prom_sample(&b, "nodedns_query_log_dropped_total", NULL, 0,
		       nd_query_log_dropped(query_log));
	return nd_prom_finish(&b, text, len);
}

/* One structured line per finished chain; the tracker calls this only
 * within its log rate (is_on_chain_limited). */
static void on_chain(void *arg, const struct nd_chain_report *r)
{
	char client[ND_ADDR_STRLEN];
	(void)arg;

	nd_addr_format_ip((const struct sockaddr *)&r->client, client,
			  sizeof(client));
	nd_info("searchlist",
		"chain client=%s namespace=%s name=%s queries=%u wasted=%u "
		"added_ms=%.1f answered_by=%s pattern=%s advice=\"%s\"",
		client, r->ns[0] ? r->ns : "-", r->name, r->queries, r->wasted,
		(double)r->added_us / 1000.0,
		r->answered_by[0] ? r->answered_by : ".",
		r->pattern == ND_SL_PATTERN_PARALLEL	   ? "parallel-a-aaaa"
		: r->pattern == ND_SL_PATTERN_SEQUENTIAL ? "sequential"
							 : "unknown",
		r->advice);
}

int nd_observers_start(struct nd_daemon *d)
{
	const char *dp[ND_RESOLV_MAX_SEARCH], *xp[ND_MAX_SEARCH_SUFFIXES];
	struct nd_searchlist_options so;
	size_t nd = d->cfg.resolv.n_search;

	nd_ratelimit_init(&slow_limit, SLOW_LINES_PER_S, 1000000u,
			  SLOW_LINES_PER_S);
	query_log = nd_query_log_new(QUERY_LOG_THREADS);
	if (query_log == NULL) {
		nd_err("server", "cannot start the query log (memory)");
		return -ENOMEM;
	}
	nd_observers_reload(d);
	if (!d->cfg.diagnostics)
		return 0;
	/* kubelet appends the node's search domains to every pod's search
	 * list, so chains walk them too. */
	for (size_t i = 0; i < nd; i++)
		dp[i] = d->cfg.resolv.search[i];
	for (size_t i = 0; i < d->cfg.n_search_suffixes; i++)
		xp[i] = d->cfg.search_suffixes[i];
	memset(&so, 0, sizeof(so));
	so.zone = d->cfg.cluster_domain;
	so.node_domains = dp;
	so.n_node_domains = nd;
	so.extra_suffixes = xp;
	so.n_extra = d->cfg.n_search_suffixes;
	so.on_chain = on_chain;
	so.arg = NULL;
	so.is_on_chain_limited = true;
	d->searchlist = nd_searchlist_new(&so);
	d->symptoms = nd_symptoms_new(NULL);
	if (d->searchlist == NULL || d->symptoms == NULL) {
		nd_err("server", "cannot start the diagnostics (memory)");
		return -ENOMEM;
	}
	return 0;
}

int nd_observers_start_threads(struct nd_daemon *d)
{
	int rc = nd_query_log_start(query_log);

	(void)d;
	if (rc != 0)
		nd_err("server", "cannot start the query log's writer: %s",
		       strerror(-rc));
	return rc;
}

void nd_observers_reload(struct nd_daemon *d)
{
	nd_query_log_set(query_log, d->cfg.query_log, d->cfg.query_log_sample);
}

void nd_observers_query_log_counts(uint64_t *written, uint64_t *dropped)
{
	*written = nd_query_log_written(query_log);
	*dropped = nd_query_log_dropped(query_log);
}

void nd_observers_stop(struct nd_daemon *d)
{
	/* The workers have stopped: the writer writes what they left. */
	nd_query_log_free(query_log);
	query_log = NULL;
	nd_searchlist_free(d->searchlist);
	d->searchlist = NULL;
	nd_symptoms_free(d->symptoms);
	d->symptoms = NULL;
}
