/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * The symptoms' counters as Prometheus text, under the families users
 * know: nodedns_signal_*. Built only from resolver/diag/symptoms.h's
 * public calls.
 */
#include "resolver/diag/symptoms.h"

#include <errno.h>

#include "util/prom.h"

/* One family with a single unlabelled sample. */
static void one(struct nd_prom *b, const char *name, const char *type,
		const char *help, uint64_t v)
{
	nd_prom_family(b, name, type, help);
	nd_prom_sample(b, name, NULL, 0, v);
}

/* One counter per symptom kind. */
static void per_kind(struct nd_prom *b, const char *name, const char *help,
		     const uint64_t v[ND_SYM_KINDS])
{
	nd_prom_family(b, name, "counter", help);
	for (int k = 0; k < ND_SYM_KINDS; k++) {
		const struct nd_prom_label l = { "kind",
						 nd_symptom_kind_name(k) };

		nd_prom_sample(b, name, &l, 1, v[k]);
	}
}

int nd_symptoms_render_metrics(const struct nd_symptoms *s, char **text,
			       size_t *len)
{
	struct nd_symptoms_stats st;
	struct nd_prom b;

	if (s == NULL || text == NULL || len == NULL ||
	    (*text == NULL && *len > 0))
		return -EINVAL;
	nd_symptoms_get_stats(s, &st);
	nd_prom_attach(&b, *text, *len);
	one(&b, "nodedns_signal_client_retransmits_total", "counter",
	    "UDP queries a client sent again (same port, ID and question) "
	    "after we had answered: the answer did not reach the pod.",
	    st.client_retransmits);
	one(&b, "nodedns_signal_conntrack_race_total", "counter",
	    "Repeats 4.5-5.5 s after the first try: glibc's 5 s retry "
	    "after the conntrack race.",
	    st.conntrack_races);
	one(&b, "nodedns_signal_tc_without_tcp_total", "counter",
	    "Truncated UDP answers never followed by a TCP query: TCP 53 "
	    "probably blocked.",
	    st.tc_without_tcp);
	one(&b, "nodedns_signal_tc_followed_total", "counter",
	    "Truncated UDP answers followed by a TCP query in time.",
	    st.tc_followed);
	one(&b, "nodedns_signal_tc_pending", "gauge",
	    "Truncated UDP answers still waiting for their TCP query.",
	    st.tc_pending);
	one(&b, "nodedns_signal_no_ready_endpoints_total", "counter",
	    "Service names answered while the Service has no ready "
	    "endpoints (NOERROR for a ClusterIP Service, NXDOMAIN for a "
	    "headless one).",
	    st.no_ready_endpoints);
	nd_prom_family(&b, "nodedns_signal_upstream_failures_total", "counter",
		       "Failed upstream attempts by outcome.");
	for (int o = ND_UP_OK + 1; o < ND_UP_OUTCOMES; o++) {
		const struct nd_prom_label l = { "outcome",
						 nd_upstream_outcome_name(o) };

		nd_prom_sample(&b, "nodedns_signal_upstream_failures_total", &l,
			       1, st.upstream_failures[o]);
	}
	per_kind(&b, "nodedns_signal_log_lines_total",
		 "Signal log lines let out by the rate limiter.", st.log_lines);
	per_kind(&b, "nodedns_signal_log_suppressed_total",
		 "Signal log lines held back by the rate limiter.",
		 st.log_suppressed);
	one(&b, "nodedns_signal_evictions_total", "counter",
	    "Tracked queries overwritten before their window ended "
	    "(the table is full).",
	    st.evictions + st.tc_evictions);
	return nd_prom_finish(&b, text, len);
}
