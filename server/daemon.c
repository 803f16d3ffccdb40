/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/daemon.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/kubeconfig.h"
#include "resolver/cache.h"
#include "kube/store.h"
#include "resolver/metrics.h"
#include "resolver/upstream.h"
#include "server/hosts_file.h"
#include "config/kube_dns.h"
#include "server/http.h"
#include "server/kube_client.h"
#include "server/request.h"
#include "server/kube_snapshot.h"
#include "server/runtime_reap.h"
#include "server/observers.h"
#include "server/privileges.h"
#include "server/upstream_counters.h"
#include "server/process_metrics.h"
#include "resolver/metrics_coredns.h"
#include "util/prom.h"
#include "server/debug.h"
#include "server/control.h"
#include "server/fd_budget.h"
#include "server/state_dump.h"
#include "server/tcp_clients.h"
#include "server/node_setup.h"
#include "server/handover.h"
#include "server/listen_tcp.h"
#include "server/listen_udp.h"
#include "server/steer.h"
#include "server/worker_internal.h"
#include "util/clock.h"
#include "util/cpu_limit.h"
#include "util/errors.h"
#include "util/log.h"

/* Extra time a stopping worker gets beyond the query timeout. */
#define STOP_GRACE_MS 1000

struct nd_runtime *nd_daemon_runtime(struct nd_daemon *d)
{
	return __atomic_load_n(&d->rt, __ATOMIC_ACQUIRE);
}

bool nd_daemon_kube_synced(struct nd_daemon *d)
{
	return d->kube_client == NULL ||
	       nd_kube_client_is_synced(d->kube_client);
}

static bool zone_synced(void *arg)
{
	return nd_daemon_kube_synced(arg);
}

static void runtime_free(struct nd_runtime *rt)
{
	if (rt == NULL)
		return;
	if (rt->owns_ups) {
		nd_upstreams_free(rt->ups);
		for (size_t z = 0; z < ND_MAX_FORWARD_ZONES; z++)
			nd_upstreams_free(rt->zones[z].ups);
		for (size_t i = 0; i < ND_MAX_UPSTREAM_SLOTS; i++)
			free(rt->upstream_names[i]);
	}
	free(rt);
}

/* Name the next n counter slots after addrs. */
static int name_slots(struct nd_runtime *rt,
		      const struct sockaddr_storage *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char name[ND_ADDR_STRLEN];

		if (rt->n_slots >= ND_MAX_UPSTREAM_SLOTS)
			return -ENOSPC;
		nd_addr_format((const struct sockaddr *)&addrs[i], name,
			       sizeof(name));
		rt->upstream_names[rt->n_slots] = strdup(name);
		if (rt->upstream_names[rt->n_slots] == NULL)
			return -ENOMEM;
		rt->n_slots++;
	}
	return 0;
}

/* A snapshot of what cfg says the query path should use. */
static struct nd_runtime *runtime_new(const struct nd_config *cfg)
{
	struct nd_runtime *rt = calloc(1, sizeof(*rt));

	if (rt == NULL)
		return NULL;
	rt->acl.n = cfg->n_allow;
	memcpy(rt->acl.net, cfg->allow, cfg->n_allow * sizeof(cfg->allow[0]));
	rt->cache_max_ttl_s = cfg->cache_max_ttl_s;
	rt->drop_outside_allow = cfg->drop_outside_allow;
	rt->forward_tcp = cfg->forward_tcp;
	rt->forward_0x20 = cfg->forward_0x20;
	rt->forward_cookies = cfg->forward_cookies;
	rt->owns_ups = true;
	rt->ups = nd_upstreams_new(cfg->upstreams, cfg->n_upstreams);
	if (rt->ups == NULL ||
	    name_slots(rt, cfg->upstreams, cfg->n_upstreams) != 0)
		goto fail;
	for (size_t z = 0; z < cfg->n_zones; z++) {
		const struct nd_forward_zone *fz = &cfg->zones[z];

		memcpy(rt->zones[z].name, fz->name, sizeof(fz->name));
		memcpy(rt->zones[z].wire, fz->wire, fz->wire_len);
		rt->zones[z].wire_len = fz->wire_len;
		rt->zones[z].slot_base = rt->n_slots;
		rt->zones[z].is_tcp = fz->is_tcp;
		rt->zones[z].ups = nd_upstreams_new(fz->upstreams,
						    fz->n_upstreams);
		rt->n_zones = z + 1;
		if (rt->zones[z].ups == NULL ||
		    name_slots(rt, fz->upstreams, fz->n_upstreams) != 0)
			goto fail;
	}
	return rt;
fail:
	runtime_free(rt);
	return NULL;
}

static void cache_options(const struct nd_config *cfg,
			  struct nd_cache_options *o)
{
	o->max_bytes = cfg->cache_bytes;
	o->min_ttl_s = cfg->cache_min_ttl_s;
	o->max_ttl_s = cfg->cache_max_ttl_s;
	o->neg_max_ttl_s = cfg->cache_neg_max_ttl_s;
	o->stale_s = cfg->stale_s;
}

static bool same_addrs(const struct sockaddr_storage *a, size_t na,
		       const struct sockaddr_storage *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!nd_addr_equal((const struct sockaddr *)&a[i],
				   (const struct sockaddr *)&b[i]))
			return false;
	return true;
}

/* The same upstreams and forward zones, in the same order. */
static bool same_upstreams(const struct nd_config *a, const struct nd_config *b)
{
	if (!same_addrs(a->upstreams, a->n_upstreams, b->upstreams,
			b->n_upstreams) ||
	    a->n_zones != b->n_zones)
		return false;
	for (size_t z = 0; z < a->n_zones; z++)
		if (strcmp(a->zones[z].name, b->zones[z].name) != 0 ||
		    !same_addrs(a->zones[z].upstreams, a->zones[z].n_upstreams,
				b->zones[z].upstreams,
				b->zones[z].n_upstreams))
			return false;
	return true;
}

static int load_snapshot(struct nd_daemon *d, const char *path);
static int hosts_start(struct nd_daemon *d);

/* How long a snapshot every worker has left is kept: a fetch begun with
 * its upstream sets lasts --query-timeout at most. */
static uint64_t reap_grace_ms(const struct nd_daemon *d)
{
	return 2 * (uint64_t)d->cfg.query_timeout_ms + STOP_GRACE_MS;
}

/* Free the replaced snapshots no worker can hold; again in a second
 * while some are kept. */
static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct nd_daemon *d = arg;
	struct timeval tv = { 1, 0 };

	(void)fd;
	(void)what;
	if (nd_runtime_reap(d, nd_clock_ms(), reap_grace_ms(d),
			    runtime_free) > 0) {
		evtimer_add(d->reap_ev, &tv);
		return;
	}
	/* The snapshots (9 kB each) were freed among newer allocations:
	 * give their pages back, or RSS would keep the high-water mark of
	 * a burst of reloads. */
	malloc_trim(0);
}

/*
 * SIGHUP: read the configuration again. What the query path reads is
 * replaced as one snapshot; the old snapshot is freed once every worker
 * has taken the new one and its fetches have had time to end
 * (server/runtime_reap.c), since a worker may be reading it right now.
 */
static int reload_refused(struct nd_daemon *d, char *why, size_t cap,
			  const char *reason)
{
	nd_err("config", "reload failed, keeping the running configuration: "
			 "%s", reason);
	snprintf(d->reload_outcome, sizeof(d->reload_outcome), "refused: %s",
		 reason);
	d->reload_failed++;
	if (why != NULL && cap > 0)
		snprintf(why, cap, "%s", reason);
	return -1;
}

static void reload(struct nd_daemon *d)
{
	(void)nd_daemon_reload(d, NULL, 0);
}

int nd_daemon_reload(struct nd_daemon *d, char *why, size_t cap)
{
	char err[ND_CONFIG_ERRLEN] = "";
	struct nd_config cfg;
	struct nd_runtime *old = nd_daemon_runtime(d), *rt;
	struct nd_cache_options co;

	d->reload_ms = nd_clock_ms();
	if (why != NULL && cap > 0)
		why[0] = '\0';
	nd_config_init(&cfg);
	if (nd_config_load(&cfg, d->argc, d->argv, err, sizeof(err)) != 0) {
		nd_config_deinit(&cfg);
		return reload_refused(d, why, cap, err);
	}
	/*
	 * A config file that held options and now holds none is a file
	 * caught half-written (configuration management truncates, then
	 * writes): taking it would silently put every setting back to its
	 * default, the upstreams to resolv.conf's.
	 */
	if (cfg.config_file != NULL && cfg.n_file_options == 0 &&
	    d->cfg.n_file_options > 0) {
		snprintf(err, sizeof(err),
			 "%s holds no option (it held %u); an empty file is "
			 "taken only at start",
			 cfg.config_file, d->cfg.n_file_options);
		nd_config_deinit(&cfg);
		return reload_refused(d, why, cap, err);
	}
	/*
	 * Upstream lines that vanish (a file rewritten without them) would
	 * put resolv.conf's nameservers in place of the ones the operator
	 * gave, silently: that takes a restart, not a reload.
	 */
	if (cfg.is_upstream_from_resolv && !d->cfg.is_upstream_from_resolv) {
		snprintf(err, sizeof(err),
			 "the new configuration gives no upstream: it would "
			 "ask %s's nameservers instead of the %zu given; add "
			 "the upstream lines back, or restart to switch",
			 cfg.resolv_conf ? cfg.resolv_conf : "resolv.conf",
			 d->cfg.n_upstreams);
		nd_config_deinit(&cfg);
		return reload_refused(d, why, cap, err);
	}
	if (cfg.n_listen != d->cfg.n_listen || cfg.threads != d->cfg.threads ||
	    memcmp(cfg.listen, d->cfg.listen,
		   cfg.n_listen * sizeof(cfg.listen[0])) != 0 ||
	    !nd_addr_equal((struct sockaddr *)&cfg.http_listen,
			   (struct sockaddr *)&d->cfg.http_listen) ||
	    !nd_addr_equal((struct sockaddr *)&cfg.debug_listen,
			   (struct sockaddr *)&d->cfg.debug_listen))
		nd_warn("config", "listen addresses and threads change only "
				  "with a restart");
	rt = runtime_new(&cfg);
	if (rt == NULL ||
	    nd_upstream_counters_assign(d->upc, d, rt) != 0) {
		runtime_free(rt);
		nd_config_deinit(&cfg);
		return reload_refused(d, why, cap, "out of memory");
	}
	if (same_upstreams(&cfg, &d->cfg)) {
		/* Keep the sets so their health and RTT history survive. */
		nd_upstreams_free(rt->ups);
		rt->ups = old->ups;
		for (size_t z = 0; z < rt->n_zones; z++) {
			nd_upstreams_free(rt->zones[z].ups);
			rt->zones[z].ups = old->zones[z].ups;
		}
		for (size_t i = 0; i < ND_MAX_UPSTREAM_SLOTS; i++) {
			free(rt->upstream_names[i]);
			rt->upstream_names[i] = NULL;
		}
		memcpy(rt->upstream_names, old->upstream_names,
		       sizeof(rt->upstream_names));
		/* Readers of the old snapshot still use these pointers; it
		 * lives until exit, only the duty to free them moves. */
		rt->owns_ups = old->owns_ups;
		old->owns_ups = false;
	}
	cache_options(&cfg, &co);
	nd_cache_set_options(d->cache, &co);
	nd_log_set_level(cfg.log_level);
	nd_log_set_format(cfg.log_format);
	if ((cfg.log_file == NULL) != (d->cfg.log_file == NULL) ||
	    (cfg.log_file != NULL &&
	     strcmp(cfg.log_file, d->cfg.log_file) != 0))
		nd_warn("config", "--log-file changes only with a restart "
				  "(SIGUSR2 reopens the file in use)");
	rt->retired_next = old;
	rt->gen = old->gen + 1;
	__atomic_store_n(&d->rt, rt, __ATOMIC_RELEASE);
	/* Keep the listen-related settings of the running process. */
	memcpy(cfg.listen, d->cfg.listen, sizeof(cfg.listen));
	cfg.n_listen = d->cfg.n_listen;
	cfg.threads = d->cfg.threads;
	cfg.http_listen = d->cfg.http_listen;
	cfg.debug_listen = d->cfg.debug_listen;
	nd_config_deinit(&d->cfg);
	d->cfg = cfg;
	for (unsigned i = 0; i < d->n_workers; i++)
		nd_worker_reload(d->workers[i]);
	nd_observers_reload(d);
	if (d->reap_ev == NULL)
		d->reap_ev = evtimer_new(d->control, on_reap, d);
	if (d->reap_ev != NULL) {
		struct timeval tv = { 1, 0 };

		evtimer_add(d->reap_ev, &tv);
	}
	/* The store is written by this (the control) thread only. */
	if (d->kube != NULL && d->cfg.kube_snapshot != NULL)
		(void)load_snapshot(d, d->cfg.kube_snapshot);
	(void)hosts_start(d);
	nd_info("config", "reloaded: %zu upstreams, %zu allowed networks",
		d->cfg.n_upstreams, d->cfg.n_allow);
	snprintf(d->reload_outcome, sizeof(d->reload_outcome), "accepted");
	return 0;
}

/* The mounted kube-dns ConfigMap changed: read everything again. */
static void on_kube_dns_check(evutil_socket_t fd, short what, void *arg)
{
	struct nd_daemon *d = arg;
	uint64_t sig;

	(void)fd;
	(void)what;
	if (d->cfg.kube_dns_dir == NULL)
		return;
	sig = nd_kube_dns_signature(d->cfg.kube_dns_dir);
	if (sig == d->kube_dns_sig)
		return;
	/* Taken first: a bad file is logged once, not every 2 s. */
	d->kube_dns_sig = sig;
	nd_info("config", "%s changed; reloading", d->cfg.kube_dns_dir);
	reload(d);
}

/* Stop reading the listeners, finish the queries in flight, exit. */
static void stop_now(struct nd_daemon *d)
{
	nd_info("server", "no new queries, finishing those in flight");
	/* The rules first: from now on a kube-dns ClusterIP held here is
	 * the cluster DNS Service's again (see server/node_setup.h). */
	nd_node_setup_stop(d->node);
	uint64_t deadline = nd_clock_ms() + d->cfg.query_timeout_ms +
			    STOP_GRACE_MS;
	for (unsigned i = 0; i < d->n_workers; i++)
		nd_worker_stop(d->workers[i], deadline);
	event_base_loopexit(d->control, NULL);
}

/* Every UDP socket of ours has nothing queued. */
static bool listen_queues_empty(struct nd_daemon *d)
{
	for (unsigned w = 0; w < d->n_workers; w++) {
		struct nd_worker *wk = d->workers[w];

		for (size_t i = 0; i < wk->n_listen; i++)
			if (nd_steer_queued(nd_udp_listener_fd(wk->udp[i])) >
				    0 ||
			    nd_steer_accept_queued(
				    nd_tcp_listener_fd(wk->tcp[i])) > 0)
				return false;
	}
	return true;
}

/* The lame duck's end; or, in a hand-over, each check whether our
 * sockets still hold datagrams or connections queued before the steering
 * (the workers are reading and accepting them). */
static void on_stop_check(evutil_socket_t fd, short what, void *arg)
{
	struct nd_daemon *d = arg;
	struct timeval tv = { 0, 10 * 1000 };
	(void)fd;
	(void)what;

	if (d->is_handing_over && !listen_queues_empty(d) &&
	    nd_clock_ms() < d->stop_at_ms) {
		event_add(d->stop_ev, &tv);
		return;
	}
	stop_now(d);
}

/*
 * A successor is connected: every new datagram and connection to our
 * addresses goes to its sockets from now on (server/steer.h); ours keep
 * what was queued before, which the workers still read.
 */
static void steer_to_successor(struct nd_daemon *d, unsigned n_succ)
{
	struct nd_worker *w0 = d->workers[0];

	for (size_t i = 0; i < w0->n_listen; i++) {
		int u = nd_steer_to_successor(nd_udp_listener_fd(w0->udp[i]),
					      d->n_workers, n_succ);
		int t = nd_steer_to_successor(nd_tcp_listener_fd(w0->tcp[i]),
					      d->n_workers, n_succ);

		if (u != 0 || t != 0)
			nd_err("control", "cannot steer listen address %zu to "
					  "the successor (udp: %s, tcp: %s): "
					  "queries may be lost",
			       i, nd_strerror(u), nd_strerror(t));
	}
}

/* The nodedns we replaced has gone: the kernel's hash spreads queries
 * over our sockets again. */
/*
 * A successor has taken the cache and shares our addresses: from now on
 * its HTTP endpoints answer (the kubelet's probes of its pod, Prometheus),
 * as both listen on the same ports with SO_REUSEPORT. Ours stop taking
 * connections; the DNS sockets are steered at SIGTERM.
 */
static void on_successor(void *arg, const uint16_t ports[2])
{
	struct nd_daemon *d = arg;

	if (ports[0] != 0 &&
	    ports[0] == nd_addr_port((const struct sockaddr *)&d->cfg.http_listen)) {
		nd_http_stop_listening(d->http);
		nd_info("server", "the successor serves --http-listen's port "
				  "%u from now on", ports[0]);
	}
	if (ports[1] != 0 &&
	    ports[1] == nd_addr_port((const struct sockaddr *)&d->cfg.debug_listen)) {
		nd_http_stop_listening(d->debug_http);
		nd_info("server", "the successor serves --debug-listen's port "
				  "%u from now on", ports[1]);
	}
}

static void on_predecessor_gone(void *arg)
{
	struct nd_daemon *d = arg;
	struct nd_worker *w0 = d->workers ? d->workers[0] : NULL;

	for (size_t i = 0; w0 != NULL && i < w0->n_listen; i++) {
		(void)nd_steer_detach(nd_udp_listener_fd(w0->udp[i]));
		(void)nd_steer_detach(nd_tcp_listener_fd(w0->tcp[i]));
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct nd_daemon *d = arg;
	unsigned n_succ = 0;
	(void)what;

	if (sig == SIGHUP) {
		reload(d);
		return;
	}
	if (sig == SIGUSR1) {
		nd_state_dump(d);
		return;
	}
	if (sig == SIGUSR2) {
		/* logrotate moved the file: new lines go to a new one. */
		int rc = nd_log_reopen();

		if (rc != 0)
			nd_err("server", "SIGUSR2: cannot reopen %s: %s",
			       nd_log_path(), nd_strerror(rc));
		else
			nd_info("server", "SIGUSR2: log reopened");
		return;
	}
	if (__atomic_exchange_n(&d->is_stopping, 1, __ATOMIC_ACQ_REL))
		return;
	if (nd_handover_has_successor(d->handover, &n_succ) && d->stop_ev != NULL) {
		struct timeval tv = { 0, 10 * 1000 };

		nd_info("server", "signal %d: a successor is connected: "
				  "handing over",
			(int)sig);
		d->is_handing_over = true;
		nd_node_setup_hand_over(d->node);
		steer_to_successor(d, n_succ);
		d->stop_at_ms = nd_clock_ms() + 2000;
		event_add(d->stop_ev, &tv);
		return;
	}
	if (d->cfg.lameduck_ms > 0 && d->stop_ev != NULL) {
		struct timeval tv = { (time_t)(d->cfg.lameduck_ms / 1000),
				      (suseconds_t)(d->cfg.lameduck_ms % 1000) *
					      1000 };

		nd_info("server", "signal %d: lame duck for %u ms: answering, "
				  "/ready says 503",
			(int)sig, d->cfg.lameduck_ms);
		event_add(d->stop_ev, &tv);
		return;
	}
	nd_info("server", "signal %d", (int)sig);
	stop_now(d);
}

static int http_is_ready(void *arg);

/* What --metrics-compat coredns needs beyond the counters; buffers are
 * the caller's and must outlive the render. */
static const struct nd_coredns_compat *
coredns_compat(struct nd_daemon *d, struct nd_coredns_compat *c,
	       char *server, size_t cap, const struct nd_kube_client_stats *ks,
	       struct nd_prom_hist *prog, uint32_t *bounds_us)
{
	char addr[ND_ADDR_STRLEN] = "";

	if (d->cfg.n_listen > 0)
		nd_addr_format((const struct sockaddr *)&d->cfg.listen[0], addr,
			       sizeof(addr));
	snprintf(server, cap, "dns://%s", addr);
	memset(c, 0, sizeof(*c));
	c->server = server;
	c->version = nd_build_version();
	c->revision = nd_build_revision();
	c->compiler = nd_build_compiler();
	c->reload_failed = d->reload_failed;
	if (ks != NULL) {
		for (size_t i = 0; i < ND_KUBE_PROG_BUCKETS; i++)
			bounds_us[i] = nd_kube_prog_bounds_ms[i] * 1000u;
		memset(prog, 0, sizeof(*prog));
		prog->bounds_us = bounds_us;
		prog->n_bounds = ND_KUBE_PROG_BUCKETS;
		prog->bucket = ks->prog_bucket;
		prog->sum_us = ks->prog_sum_ms * 1000u;
		prog->sum_decimals = 3;
		c->kube_prog = prog;
	}
	return c;
}

static int http_metrics(void *arg, char **text, size_t *len)
{
	struct nd_daemon *d = arg;
	struct nd_runtime *rt = nd_daemon_runtime(d);
	struct nd_metrics *ms[d->n_workers];
	struct nd_metrics_gauges g;
	struct nd_cache_stats cs;

	memset(&g, 0, sizeof(g));
	for (unsigned i = 0; i < d->n_workers; i++)
		ms[i] = nd_worker_metrics(d->workers[i]);
	nd_cache_get_stats(d->cache, &cs);
	g.cache_entries = cs.entries;
	g.cache_negative = cs.negative;
	g.cache_bytes = cs.bytes;
	g.cache_evictions = cs.evictions;
	const char *up_names[ND_MAX_UPSTREAM_SLOTS];
	uint8_t up_rows[ND_MAX_UPSTREAM_SLOTS];
	nd_upstream_counters_gauges(d->upc, rt, up_names, up_rows, &g);
	g.uptime_s = (nd_clock_ms() - d->start_ms) / 1000;
	{
		struct nd_resolver_stats rs;

		nd_resolver_get_stats(d->resolver, &rs);
		g.inflight = rs.inflight;
		g.inflight_limit = rs.inflight_limit;
		g.failcache_entries = rs.failcache_entries;
		g.fd_limit = d->fds.limit;
		g.fd_reserved = d->fds.reserved;
	}
	g.is_ready = http_is_ready(d);
	struct nd_kube_store_stats ks;
	if (d->kube != NULL) {
		nd_kube_store_get_stats(d->kube, &ks);
		g.kube = &ks;
	}
	struct nd_kube_client_stats cs2;
	if (d->kube_client != NULL)
		nd_kube_client_get_stats(d->kube_client, &cs2);
	struct nd_coredns_compat compat;
	uint32_t prog_bounds[ND_KUBE_PROG_BUCKETS];
	struct nd_prom_hist prog;
	char server[ND_ADDR_STRLEN + 8];
	if (d->cfg.metrics_coredns)
		g.coredns = coredns_compat(d, &compat, server, sizeof(server),
					   d->kube_client != NULL ? &cs2 : NULL,
					   &prog, prog_bounds);
	int rc = nd_metrics_render(ms, d->n_workers, &g, text, len);
	if (rc == 0)
		(void)nd_observers_render_metrics(d, text, len);
	if (rc == 0 && d->node != NULL)
		rc = nd_node_setup_render_metrics(d->node, text, len);
	if (rc == 0)
		(void)nd_runtime_render_metrics(nd_runtime_retired(d), text,
						len);
	/* On failure the text so far is still served. */
	if (rc == 0 && d->kube_client != NULL)
		(void)nd_kube_stats_render(&cs2, nd_clock_ms(), text, len);
	if (rc == 0)
		(void)nd_process_metrics_render(d->reload_failed, text, len);
	return rc;
}

static int http_is_ready(void *arg)
{
	struct nd_daemon *d = arg;

	/* Ready once serving and, when watching the API, after the first
	 * full list of every kind (until then cluster names would be
	 * NXDOMAIN that is not true). */
	return __atomic_load_n(&d->is_ready, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&d->is_stopping, __ATOMIC_RELAXED) &&
	       (d->kube_client == NULL ||
		nd_kube_client_is_synced(d->kube_client));
}

static int http_is_healthy(void *arg)
{
	struct nd_daemon *d = arg;

	return !__atomic_load_n(&d->is_stopping, __ATOMIC_RELAXED);
}

/* Load (or reload, on SIGHUP) the --kube-snapshot file into the store. */
static int load_snapshot(struct nd_daemon *d, const char *path)
{
	char err[ND_CONFIG_ERRLEN] = "";
	int rc = nd_kube_load_snapshot(d->kube, path, err, sizeof(err));
	struct nd_kube_store_stats st;

	if (rc < 0) {
		nd_err("kube", "snapshot %s", err);
		return rc;
	}
	nd_kube_store_get_stats(d->kube, &st);
	nd_info("kube", "snapshot %s: %llu services, %llu endpoints (%llu ready), "
			"%llu namespaces%s", path,
		(unsigned long long)st.services,
		(unsigned long long)(st.endpoints_ready + st.endpoints_not_ready),
		(unsigned long long)st.endpoints_ready,
		(unsigned long long)st.namespaces,
		rc > 0 ? ", some items skipped (see above)" : "");
	return 0;
}

/* Where the API is: --kubeconfig, else --kube-api, else in-cluster; the
 * token and CA flags override what the first two give. */
static int kube_creds(struct nd_daemon *d, struct nd_kube_creds *creds)
{
	char err[ND_CONFIG_ERRLEN] = "";
	const struct nd_config *c = &d->cfg;
	int rc = 0;

	if (c->kubeconfig != NULL) {
		rc = nd_kubeconfig_load(c->kubeconfig, creds, err, sizeof(err));
	} else if (c->kube_api != NULL) {
		creds->server = strdup(c->kube_api);
		if (creds->server == NULL)
			rc = -ENOMEM;
		/* A trailing slash would double in every request path. */
		size_t n = creds->server ? strlen(creds->server) : 0;
		while (n > 0 && creds->server[n - 1] == '/')
			creds->server[--n] = '\0';
	} else {
		rc = nd_kube_creds_in_cluster(creds, NULL, err, sizeof(err));
	}
	if (rc != 0) {
		if (rc != ND_ENOTFOUND)
			nd_err("kube", "%s%s", err[0] ? err : nd_strerror(rc),
			       c->kubeconfig == NULL && c->kube_api == NULL ?
				       " (in a pod without a service-account "
				       "token? --kube-api none makes nodedns a "
				       "plain forwarding cache)" :
				       "");
		return rc;
	}
	if (c->kube_token_file != NULL) {
		free(creds->token_file);
		free(creds->token);
		creds->token = NULL;
		creds->token_file = strdup(c->kube_token_file);
		if (creds->token_file == NULL)
			return -ENOMEM;
	}
	if (c->kube_ca_file != NULL) {
		free(creds->ca_file);
		free(creds->ca_blob);
		creds->ca_blob = NULL;
		creds->ca_blob_len = 0;
		creds->ca_file = strdup(c->kube_ca_file);
		if (creds->ca_file == NULL)
			return -ENOMEM;
	}
	return 0;
}

/*
 * The cluster zone: from a snapshot file, or watched on the API. Without
 * any Kubernetes source (no flag and not in a pod) nodedns is a plain
 * forwarding cache and the cluster domain is forwarded like any name.
 */
static int kube_start(struct nd_daemon *d)
{
	struct nd_kube_store_options so = {
		.zone = d->cfg.cluster_domain,
		.ttl_s = d->cfg.ttl_s,
		.pods = d->cfg.pods,
		.max_service_records = d->cfg.kube_max_service_records,
		.max_bytes = d->cfg.kube_max_bytes,
	};
	struct nd_kube_creds creds;
	int rc = 0;

	memset(&creds, 0, sizeof(creds));
	if (d->cfg.is_kube_api_none && d->cfg.kube_snapshot == NULL) {
		nd_info("kube", "--kube-api none: no cluster zone; a plain "
				"forwarding cache (%s is forwarded like any name)",
			d->cfg.cluster_domain);
		return 0;
	}
	if (d->cfg.kube_snapshot == NULL) {
		rc = kube_creds(d, &creds);
		if (rc == ND_ENOTFOUND) {
			nd_info("kube", "no Kubernetes API configured and not "
					"in a pod: forwarding every name");
			return 0;
		}
		if (rc != 0)
			goto out;
	}
	d->kube = nd_kube_store_new(&so);
	if (d->kube == NULL) {
		nd_err("kube", "cannot create the cluster zone %s",
		       d->cfg.cluster_domain);
		rc = -ENOMEM;
		goto out;
	}
	if (d->cfg.kube_snapshot != NULL) {
		rc = load_snapshot(d, d->cfg.kube_snapshot);
		goto out;
	}
	struct nd_kube_client_options ko = {
		.sync = { .backoff_max_ms = d->cfg.kube_backoff_max_ms,
			  .start_jitter_ms = d->cfg.kube_start_jitter_ms },
	};
	d->kube_client = nd_kube_client_new(d->control, d->kube, &creds, &ko);
	if (d->kube_client == NULL) {
		rc = -ENOMEM;
		goto out;
	}
out:
	nd_kube_creds_deinit(&creds);
	return rc;
}

/*
 * --hosts-file: read now (start-up, SIGHUP) and watched from then on.
 * A file named only by a reload gets its watcher then.
 */
static int hosts_start(struct nd_daemon *d)
{
	if (d->hosts == NULL && d->cfg.hosts_file == NULL)
		return 0;
	if (d->hosts == NULL) {
		d->hosts = nd_hosts_file_new(d->control, d->resolver);
		if (d->hosts == NULL) {
			nd_err("hosts", "out of memory");
			return -ENOMEM;
		}
	}
	return nd_hosts_file_set(d->hosts, d->cfg.hosts_file,
				 d->cfg.hosts_ttl_s);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct nd_daemon *d = arg;
	(void)fd;
	(void)what;

	nd_observers_tick(d, nd_clock_us());
}

static int http_debug(void *arg, const struct nd_http_req *r, char **body,
		      size_t *len, const char **content_type)
{
	return nd_debug_dispatch(arg, r, body, len, content_type);
}

/* The node set-up's rules wait for this (see server/node_setup.h). */
static bool node_is_serving(void *arg)
{
	return http_is_ready(arg) != 0;
}

static int http_control(void *arg, const struct nd_http_req *r, char **body,
			size_t *len, const char **content_type)
{
	return nd_control_dispatch(arg, r, body, len, content_type);
}

/* --threads 0: a worker per CPU the process may use, not per CPU the
 * node has (a 100m pod on a 96-core node runs one worker). */
static unsigned worker_count(const struct nd_config *c)
{
	struct nd_cpu_usable u;
	unsigned n;

	if (c->threads != 0) {
		nd_info("server", "%u worker%s (--threads)", c->threads,
			c->threads == 1 ? "" : "s");
		return c->threads;
	}
	n = nd_cpus_usable(NULL, NULL, &u);
	if (n > 256)
		n = 256;
	char quota[32] = "none";

	if (u.quota != 0)
		snprintf(quota, sizeof(quota), "%u CPU%s", u.quota,
			 u.quota == 1 ? "" : "s");
	nd_info("server", "%u worker%s (--threads 0): %u CPUs online, %u in the affinity mask, cgroup CPU limit %s",
		n, n == 1 ? "" : "s", u.online, u.affinity, quota);
	return n;
}

int nd_daemon_start(struct nd_daemon *d)
{
	struct nd_cache_options co;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
				    SIGUSR2 };

	d->start_ms = nd_clock_ms();
	/* A client that goes away mid-answer must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0) {
		nd_err("server", "libevent has no thread support");
		return -ENOSYS;
	}
	d->rt = runtime_new(&d->cfg);
	if (d->rt != NULL)
		d->rt->gen = 1;
	d->upc = nd_upstream_counters_new();
	cache_options(&d->cfg, &co);
	d->cache = nd_cache_new(&co);
	d->control = event_base_new();
	if (d->rt == NULL || d->upc == NULL ||
	    nd_upstream_counters_assign(d->upc, d, d->rt) != 0 ||
	    d->cache == NULL || d->control == NULL) {
		nd_err("server", "out of memory at start-up");
		return -ENOMEM;
	}
	if (kube_start(d) != 0)
		return -EIO;
	/* The descriptor budget depends on the worker count. */
	d->n_workers = worker_count(&d->cfg);
	(void)nd_fd_budget_compute(&d->cfg, d->n_workers, &d->fds);
	struct nd_resolver_options ro = {
		.cache = d->cache,
		.kube = d->kube,
		.is_zone_synced = zone_synced,
		.synced_arg = d,
		.io_size = sizeof(struct nd_req_io),
		.max_fetches = d->cfg.max_fetches,
		.max_inflight = d->fds.max_inflight,
		.failure_hold_max_s = d->cfg.failure_cache_max_s,
	};
	d->resolver = nd_resolver_new(&ro);
	if (d->resolver == NULL) {
		nd_err("server", "out of memory at start-up");
		return -ENOMEM;
	}
	if (hosts_start(d) != 0)
		return -EIO;
	if (nd_observers_start(d) != 0)
		return -ENOMEM;
	d->tcp_clients = nd_tcp_clients_new(d->cfg.tcp_max_per_client);
	if (d->tcp_clients == NULL)
		return -ENOMEM;
	/* The node-local addresses before the listeners bind them. */
	if (nd_node_setup_is_configured(&d->cfg)) {
		int rc;

		d->node = nd_node_setup_new(d->control, &d->cfg, &rc);
		if (d->node == NULL)
			return rc;
	}
	/* Before the listeners: the cache of the nodedns we replace. */
	if (d->cfg.control_socket != NULL) {
		int rc;
		size_t mib = d->cfg.cache_bytes >> 20;

		const uint16_t ports[2] = {
			nd_addr_port((const struct sockaddr *)&d->cfg.http_listen),
			nd_addr_port((const struct sockaddr *)&d->cfg.debug_listen),
		};

		d->handover = nd_handover_new(d->control, d->cfg.control_socket,
					d->cache, mib ? (unsigned)mib : 1,
					d->n_workers, ports, &rc);
		if (d->handover == NULL)
			return rc;
		nd_handover_on_predecessor_gone(d->handover, on_predecessor_gone, d);
		nd_handover_on_successor(d->handover, on_successor, d);
	}
	d->stop_ev = event_new(d->control, -1, 0, on_stop_check, d);
	if (d->stop_ev == NULL)
		return -ENOMEM;
	d->workers = calloc(d->n_workers, sizeof(*d->workers));
	if (d->workers == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < d->n_workers; i++) {
		d->workers[i] = nd_worker_new(d, i);
		if (d->workers[i] == NULL) {
			nd_err("server", "worker %u could not start", i);
			return -EIO;
		}
	}
	char moved[ND_ADDR_STRLEN + 8];
	nd_addr_format((const struct sockaddr *)&d->cfg.debug_listen,
		       moved + 7, sizeof(moved) - 7);
	memcpy(moved, "http://", 7);
	struct nd_http_hooks hooks = {
		.arg = d,
		.role = ND_HTTP_PUBLIC,
		.metrics = http_metrics,
		.is_ready = http_is_ready,
		.is_healthy = http_is_healthy,
		.debug_moved_to = moved,
		.share_port = d->cfg.control_socket != NULL,
	};
	d->http = nd_http_new(d->control,
			      (const struct sockaddr *)&d->cfg.http_listen,
			      &hooks);
	if (d->http == NULL)
		return -EIO;
	struct nd_http_hooks dhooks = {
		.arg = d,
		.role = ND_HTTP_DEBUG,
		.debug = http_debug,
		.control = http_control,
		.share_port = d->cfg.control_socket != NULL,
	};
	if (nd_control_start(d) != 0)
		return -EINVAL;
	d->debug_http = nd_http_new(d->control,
				    (const struct sockaddr *)&d->cfg.debug_listen,
				    &dhooks);
	if (d->debug_http == NULL)
		return -EIO;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct event *ev = evsignal_new(d->control, sigs[i], on_signal, d);
		d->sig_ev[i] = ev;
		if (ev == NULL || event_add(ev, NULL) != 0)
			return -EIO;
	}
	/* A ConfigMap given at start is watched for changes (a reload
	 * that first names one reads it, but does not start the watch). */
	if (d->cfg.kube_dns_dir != NULL) {
		struct timeval tv = { 2, 0 };

		d->kube_dns_sig = nd_kube_dns_signature(d->cfg.kube_dns_dir);
		d->kube_dns_ev = event_new(d->control, -1, EV_PERSIST,
					   on_kube_dns_check, d);
		if (d->kube_dns_ev == NULL ||
		    event_add(d->kube_dns_ev, &tv) != 0)
			return -ENOMEM;
	}
	if (d->searchlist != NULL || d->symptoms != NULL) {
		struct timeval tv = { 0, ND_OBSERVERS_TICK_MS * 1000 };
		d->tick_ev = event_new(d->control, -1, EV_PERSIST, on_tick, d);
		if (d->tick_ev == NULL || event_add(d->tick_ev, &tv) != 0)
			return -ENOMEM;
	}
	/* Every socket is bound and no thread of ours runs yet
	 * (capabilities are per thread): the moment to give up root. */
	struct nd_priv_plan plan = {
		.user = d->cfg.user,
		.drop = d->cfg.drop_privileges,
		.keep_net_admin = nd_privileges_need_net_admin(&d->cfg),
	};
	if (nd_privileges_drop(&plan) != 0)
		return -EPERM;
	if (nd_observers_start_threads(d) != 0)
		return -EIO;
	for (unsigned i = 0; i < d->n_workers; i++) {
		int rc = nd_worker_start(d->workers[i]);
		if (rc != 0) {
			nd_err("server", "worker thread: %s", nd_strerror(rc));
			return rc;
		}
	}
	for (size_t i = 0; i < d->cfg.n_listen; i++) {
		char name[ND_ADDR_STRLEN];
		nd_addr_format((const struct sockaddr *)&d->cfg.listen[i], name,
			       sizeof(name));
		nd_info("server", "serving DNS on %s (udp, tcp) with %u workers",
			name, d->n_workers);
	}
	for (size_t i = 0; i < d->cfg.n_upstreams; i++)
		nd_info("server", "upstream %s", d->rt->upstream_names[i]);
	for (size_t z = 0; z < d->cfg.n_zones; z++)
		for (size_t i = 0; i < d->cfg.zones[z].n_upstreams; i++)
			nd_info("server", "forward zone %s: upstream %s",
				d->cfg.zones[z].name,
				d->rt->upstream_names[d->rt->zones[z].slot_base +
						      i]);
	__atomic_store_n(&d->is_ready, 1, __ATOMIC_RELEASE);
	if (d->node != NULL && nd_node_setup_start(d->node, node_is_serving,
						   d) != 0)
		return -ENOMEM;
	return 0;
}

int nd_daemon_run(struct nd_daemon *d)
{
	event_base_dispatch(d->control);
	for (unsigned i = 0; i < d->n_workers; i++)
		nd_worker_join(d->workers[i]);
	/* Drained: the addresses can go (no answer leaves from them now). */
	nd_node_setup_free(d->node);
	d->node = NULL;
	nd_info("server", "stopped");
	return 0;
}

void nd_daemon_free(struct nd_daemon *d)
{
	if (d == NULL)
		return;
	for (unsigned i = 0; d->workers && i < d->n_workers; i++)
		nd_worker_cancel(d->workers[i]);
	for (unsigned i = 0; d->workers && i < d->n_workers; i++)
		nd_worker_free(d->workers[i]);
	free(d->workers);
	nd_tcp_clients_free(d->tcp_clients);
	/* A failed start must not leave addresses nobody answers on. */
	nd_node_setup_free(d->node);
	d->node = NULL;
	nd_handover_free(d->handover);
	d->handover = NULL;
	if (d->stop_ev)
		event_free(d->stop_ev);
	nd_http_free(d->http);
	nd_debug_resolve_cancel_all(d);
	nd_http_free(d->debug_http);
	nd_hosts_file_free(d->hosts);
	nd_kube_client_free(d->kube_client);
	nd_kube_store_free(d->kube);
	if (d->tick_ev)
		event_free(d->tick_ev);
	if (d->reap_ev)
		event_free(d->reap_ev);
	if (d->kube_dns_ev)
		event_free(d->kube_dns_ev);
	nd_observers_stop(d);
	for (size_t i = 0; i < sizeof(d->sig_ev) / sizeof(d->sig_ev[0]); i++)
		if (d->sig_ev[i])
			event_free(d->sig_ev[i]);
	nd_resolver_free(d->resolver);
	nd_cache_free(d->cache);
	if (d->control)
		event_base_free(d->control);
	struct nd_runtime *rt = d->rt, *next;
	for (; rt != NULL; rt = next) {
		next = rt->retired_next;
		runtime_free(rt);
	}
	nd_upstream_counters_free(d->upc);
	nd_config_deinit(&d->cfg);
}
