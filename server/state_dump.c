/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/state_dump.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kube/decode.h"
#include "kube/store.h"
#include "kube/sync.h"
#include "resolver/cache.h"
#include "resolver/metrics.h"
#include "resolver/upstream.h"
#include "server/daemon.h"
#include "server/kube_client.h"
#include "server/observers.h"
#include "server/upstream_counters.h"
#include "server/worker.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/log.h"
#include "version.h"

#define dump(...) nd_log_emit(ND_LOG_INFO, "dump", __VA_ARGS__)

static const char *const level_names[] = { "error", "warn", "info",
					   "debug" };

static const char *onoff(bool b)
{
	return b ? "on" : "off";
}

static void dump_config(const struct nd_daemon *d)
{
	const struct nd_config *c = &d->cfg;
	char listen[ND_MAX_LISTEN * (ND_ADDR_STRLEN + 1)] = "";
	char http[ND_ADDR_STRLEN], debug[ND_ADDR_STRLEN];
	size_t n = 0;

	for (size_t i = 0; i < c->n_listen; i++) {
		char a[ND_ADDR_STRLEN];

		nd_addr_format((const struct sockaddr *)&c->listen[i], a,
			       sizeof(a));
		n += (size_t)snprintf(listen + n, sizeof(listen) - n, "%s%s",
				      i ? "," : "", a);
		if (n >= sizeof(listen))
			break;
	}
	nd_addr_format((const struct sockaddr *)&c->http_listen, http,
		       sizeof(http));
	nd_addr_format((const struct sockaddr *)&c->debug_listen, debug,
		       sizeof(debug));
	dump("config: file=%s listen=%s http-listen=%s debug-listen=%s "
	     "threads=%u "
	     "cluster-domain=%s upstreams=%zu forward-zones=%zu "
	     "forward-tcp=%s allow=%zu",
	     c->config_file ? c->config_file : "-", listen, http, debug,
	     d->n_workers,
	     c->cluster_domain, c->n_upstreams, c->n_zones,
	     onoff(c->forward_tcp), c->n_allow);
	dump("config: cache-size=%zu cache-min-ttl=%u cache-max-ttl=%u "
	     "cache-neg-max-ttl=%u stale-ttl=%u upstream-timeout=%u "
	     "query-timeout=%u max-fetches=%u",
	     c->cache_bytes, c->cache_min_ttl_s, c->cache_max_ttl_s,
	     c->cache_neg_max_ttl_s, c->stale_s, c->upstream_timeout_ms,
	     c->query_timeout_ms, c->max_fetches);
	dump("config: kube=%s hosts-file=%s kube-dns-config=%s "
	     "diagnostics=%s log-level=%s log-format=%s log-file=%s "
	     "query-log=%s query-log-sample=%u",
	     c->kube_snapshot  ? "snapshot"
	     : c->kubeconfig   ? "kubeconfig"
	     : c->kube_api     ? c->kube_api
	     : d->kube != NULL ? "in-cluster"
			       : "none",
	     c->hosts_file ? c->hosts_file : "-",
	     c->kube_dns_dir ? c->kube_dns_dir : "-", onoff(c->diagnostics),
	     level_names[nd_log_threshold & 3], nd_log_format_name(nd_log_get_format()),
	     nd_log_path() ? nd_log_path() : "stderr", onoff(c->query_log),
	     c->query_log_sample);
}

/* Sum of the workers' counters, as /metrics reads them (the per-upstream
 * rows less the baseline of rows that changed hands). */
static void sum_metrics(const struct nd_daemon *d, struct nd_metrics *sum)
{
	struct nd_metrics *ms[d->n_workers ? d->n_workers : 1];

	for (unsigned w = 0; w < d->n_workers; w++)
		ms[w] = nd_worker_metrics(d->workers[w]);
	nd_metrics_sum(sum, ms, d->n_workers,
		       nd_upstream_counters_baseline(d->upc));
}

/* Replies with rcode r, whatever the answer's source. */
static uint64_t responses(const struct nd_metrics *m, enum nd_metric_rcode r)
{
	uint64_t n = 0;

	for (int src = 0; src < ND_SRC_COUNT; src++)
		n += m->responses_src[src][r];
	return n;
}

static void dump_set(const struct nd_runtime *rt, const struct nd_metrics *m,
		     const char *zone, const struct nd_upstreams *ups,
		     size_t slot_base)
{
	for (size_t i = 0; i < nd_upstreams_count(ups); i++) {
		size_t s = slot_base + i, row;
		const uint64_t *o;

		if (s >= ND_MAX_UPSTREAM_SLOTS || rt->upstream_names[s] == NULL)
			break;
		/* Counters live in the address's row, not the slot's. */
		row = rt->row_of_slot[s];
		if (row >= ND_MAX_UPSTREAM_SLOTS)
			continue;
		o = m->fwd_responses[row];
		uint32_t fails = nd_upstreams_fails(ups, i);

		dump("upstream %s zone=%s health=%s fails_in_a_row=%u "
		     "srtt_ms=%.1f requests=%llu "
		     "ok=%llu timeout=%llu refused=%llu servfail=%llu "
		     "network=%llu bad=%llu tcp=%llu",
		     rt->upstream_names[s], zone,
		     nd_upstreams_is_loop(ups, i) ? "loop"
		     : fails > 0		  ? "failing"
						  : "ok",
		     fails, nd_upstreams_srtt_us(ups, i) / 1000.0,
		     (unsigned long long)m->fwd_requests[row],
		     (unsigned long long)o[ND_UP_OK],
		     (unsigned long long)o[ND_UP_TIMEOUT],
		     (unsigned long long)o[ND_UP_REFUSED],
		     (unsigned long long)o[ND_UP_SERVFAIL],
		     (unsigned long long)o[ND_UP_NETWORK],
		     (unsigned long long)o[ND_UP_BAD],
		     (unsigned long long)m->fwd_tcp[row]);
	}
}

static void dump_kube(struct nd_daemon *d, uint64_t now_ms)
{
	struct nd_kube_store_stats ks;

	if (d->kube == NULL) {
		dump("kube: no cluster zone (every name is forwarded)");
		return;
	}
	nd_kube_store_get_stats(d->kube, &ks);
	dump("kube: source=%s synced=%s services=%llu endpointslices=%llu "
	     "namespaces=%llu endpoints_ready=%llu endpoints_not_ready=%llu "
	     "names=%llu bytes=%llu",
	     d->kube_client ? "api" : "snapshot",
	     nd_daemon_kube_synced(d) ? "yes" : "no",
	     (unsigned long long)ks.services, (unsigned long long)ks.slices,
	     (unsigned long long)ks.namespaces,
	     (unsigned long long)ks.endpoints_ready,
	     (unsigned long long)ks.endpoints_not_ready,
	     (unsigned long long)ks.names, (unsigned long long)ks.bytes);
	if (d->kube_client == NULL)
		return;
	struct nd_kube_watch_info wi[ND_KIND_COUNT];
	struct nd_kube_client_stats cs;

	nd_kube_client_get_stats(d->kube_client, &cs);
	if (nd_kube_client_watch_info(d->kube_client, now_ms, wi) != 0)
		return;
	for (int k = 0; k < ND_KIND_COUNT; k++)
		dump("kube %s: state=%s for_ms=%llu listed=%s failures=%u "
		     "resource_version=%s lists=%llu api_errors=%llu",
		     nd_kube_kind_name((enum nd_kube_kind)k),
		     nd_kube_sync_state_name(wi[k].state),
		     (unsigned long long)wi[k].state_age_ms,
		     wi[k].is_synced ? "yes" : "no", wi[k].failures,
		     wi[k].rv[0] ? wi[k].rv : "-",
		     (unsigned long long)cs.lists[k],
		     (unsigned long long)cs.api_errors[k]);
	if (cs.last_sync_ms != 0)
		dump("kube: last known current %llu ms ago",
		     (unsigned long long)(now_ms - cs.last_sync_ms));
}

void nd_state_dump(struct nd_daemon *d)
{
	struct nd_runtime *rt = nd_daemon_runtime(d);
	static struct nd_metrics m; /* large; the control thread only */
	struct nd_cache_stats cst;
	uint64_t now_ms = nd_clock_ms(), queries = 0, qw, qd;

	dump("nodedns %s pid %ld uptime %llu s ready=%d stopping=%d "
	     "(SIGUSR1: state dump begins)",
	     ND_VERSION_STRING, (long)getpid(),
	     (unsigned long long)((now_ms - d->start_ms) / 1000),
	     __atomic_load_n(&d->is_ready, __ATOMIC_RELAXED),
	     __atomic_load_n(&d->is_stopping, __ATOMIC_RELAXED));
	dump_config(d);
	sum_metrics(d, &m);
	dump_set(rt, &m, "-", rt->ups, 0);
	for (size_t z = 0; z < rt->n_zones; z++)
		dump_set(rt, &m, rt->zones[z].name, rt->zones[z].ups,
			 rt->zones[z].slot_base);
	nd_cache_get_stats(d->cache, &cst);
	dump("cache: entries=%llu bytes=%llu limit=%zu evictions=%llu "
	     "expired=%llu hits=%llu misses=%llu stale=%llu",
	     (unsigned long long)cst.entries, (unsigned long long)cst.bytes,
	     d->cfg.cache_bytes, (unsigned long long)cst.evictions,
	     (unsigned long long)cst.expired,
	     (unsigned long long)m.cache_hits,
	     (unsigned long long)m.cache_misses,
	     (unsigned long long)m.cache_stale);
	dump_kube(d, now_ms);
	for (int p = 0; p < ND_PROTO_COUNT; p++)
		for (int t = 0; t < ND_MQT_COUNT; t++)
			queries += m.requests[p][t];
	dump("counters: queries=%llu noerror=%llu nxdomain=%llu "
	     "servfail=%llu refused=%llu formerr=%llu dropped=%llu "
	     "truncated=%llu cluster=%llu hosts=%llu inflight_joined=%llu "
	     "fetches_refused=%llu tcp_connections=%llu tcp_rejected=%llu",
	     (unsigned long long)queries,
	     (unsigned long long)responses(&m, ND_MRC_NOERROR),
	     (unsigned long long)responses(&m, ND_MRC_NXDOMAIN),
	     (unsigned long long)responses(&m, ND_MRC_SERVFAIL),
	     (unsigned long long)responses(&m, ND_MRC_REFUSED),
	     (unsigned long long)responses(&m, ND_MRC_FORMERR),
	     (unsigned long long)m.dropped, (unsigned long long)m.truncated,
	     (unsigned long long)m.kube_answers,
	     (unsigned long long)m.hosts_answers,
	     (unsigned long long)m.inflight_joined,
	     (unsigned long long)m.fetches_refused,
	     (unsigned long long)m.tcp_connections,
	     (unsigned long long)m.tcp_rejected);
	nd_observers_query_log_counts(&qw, &qd);
	dump("query log: lines=%llu dropped=%llu; state dump ends",
	     (unsigned long long)qw, (unsigned long long)qd);
}
