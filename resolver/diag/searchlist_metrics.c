/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_metrics.c - the tracker's /metrics families. */
#include "resolver/diag/searchlist_internal.h"

#include <errno.h>

#include "util/prom.h"

static void one(struct nd_prom *b, const char *name, const char *type,
		const char *help, uint64_t v)
{
	nd_prom_family(b, name, type, help);
	nd_prom_sample(b, name, NULL, 0, v);
}

int nd_searchlist_render_metrics(const struct nd_searchlist *t, char **text,
				 size_t *len)
{
	static const char *const h = "nodedns_searchlist_added_latency_seconds";
	static const struct nd_prom_label client = { "kind", "client" };
	static const struct nd_prom_label chain = { "kind", "chain" };
	struct nd_searchlist_stats st;
	uint64_t bucket[SL_HIST_BUCKETS + 1];
	struct nd_prom_hist ph = {
		.bounds_us = nd_sl_hist_bounds_us,
		.n_bounds = SL_HIST_BUCKETS,
		.bucket = bucket,
	};
	struct nd_prom b;

	if (t == NULL || text == NULL || len == NULL ||
	    (*text == NULL && *len != 0))
		return -EINVAL;
	nd_searchlist_get_stats(t, &st);
	for (size_t i = 0; i <= SL_HIST_BUCKETS; i++)
		bucket[i] = SL_LOAD(t->hist[i]);
	ph.count = SL_LOAD(t->hist_count);
	ph.sum_us = SL_LOAD(t->hist_sum_us);

	nd_prom_attach(&b, *text, *len);
	one(&b, "nodedns_searchlist_chains_total", "counter",
	    "Search-list chains (two or more candidates of one lookup) seen.",
	    st.chains);
	one(&b, "nodedns_searchlist_wasted_queries_total", "counter",
	    "Queries of those chains answered NXDOMAIN or NODATA before the "
	    "candidate that answered.",
	    st.wasted);
	one(&b, "nodedns_searchlist_queries_total", "counter",
	    "Queries that were part of a search-list chain.", st.queries);
	nd_prom_family(&b, h, "histogram",
		       "Time from the first to the last query of a chain.");
	nd_prom_histogram(&b, h, NULL, 0, &ph);
	one(&b, "nodedns_searchlist_clients", "gauge",
	    "Client addresses the search-list tracker holds.", st.clients);
	one(&b, "nodedns_searchlist_open_chains", "gauge",
	    "Chains in progress: each ends (reported or dropped) after the "
	    "tracker's idle time without a further candidate.",
	    st.open_chains);
	nd_prom_family(&b, "nodedns_searchlist_evictions_total", "counter",
		       "Clients, and open chains lost unreported, evicted to "
		       "stay within the tracker's bounds.");
	nd_prom_sample(&b, "nodedns_searchlist_evictions_total", &client, 1,
		       st.client_evictions);
	nd_prom_sample(&b, "nodedns_searchlist_evictions_total", &chain, 1,
		       st.chain_evictions);
	one(&b, "nodedns_searchlist_log_suppressed_total", "counter",
	    "Chain reports not logged because of the log rate limit.",
	    st.log_suppressed);
	return nd_prom_finish(&b, text, len);
}
