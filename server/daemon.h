/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/daemon.h - the process-wide state the workers share, start-up, reload and shutdown. */
#ifndef SERVER_DAEMON_H
#define SERVER_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "resolver/resolve.h" /* struct nd_acl */
#include "server/fd_budget.h"

struct event_base;
struct nd_cache;
struct nd_hosts_file;
struct nd_http;
struct nd_resolver;
struct nd_kube_client;
struct nd_kube_store;
struct nd_node_setup;
struct nd_handover;
struct nd_searchlist;
struct nd_symptoms;
struct nd_upstreams;
struct nd_upstream_counters;
struct nd_worker;
struct nd_tcp_clients;

/* Settings the query path reads, replaced as a whole on SIGHUP. */
struct nd_runtime {
	struct nd_acl acl;		/* who may query */
	struct nd_upstreams *ups;	/* forward targets (owned) */
	struct {
		char name[254];		/* as --forward-zone gave it */
		uint8_t wire[255];	/* lower-case wire name */
		size_t wire_len;
		struct nd_upstreams *ups; /* its upstreams (owned) */
		size_t slot_base;	/* counter slot of its first one */
		bool is_tcp;		/* asked over TCP only */
	} zones[ND_MAX_FORWARD_ZONES];	/* --forward-zone, in order */
	size_t n_zones;
	char *upstream_names[ND_MAX_UPSTREAM_SLOTS]; /* "addr:port" per
					   counter slot: ups, then each
					   zone's (owned) */
	size_t n_slots;			/* slots in use */
	uint8_t row_of_slot[ND_MAX_UPSTREAM_SLOTS]; /* counter row of each
					   slot: the address's, kept across
					   reloads (server/upstream_counters.h) */
	bool forward_tcp;		/* default upstreams over TCP only */
	bool forward_0x20;		/* --forward-0x20 */
	bool forward_cookies;		/* --forward-cookies */
	bool owns_ups;			/* ups, the zones' sets and the names
					   are freed with this snapshot (a
					   reload that keeps the same upstreams
					   moves them) */
	uint32_t cache_max_ttl_s;	/* TTL cap when rendering fresh answers */
	bool drop_outside_allow;	/* --refuse-outside-allow drop */
	struct nd_runtime *retired_next; /* older snapshots not freed yet
					    (server/runtime_reap.c) */
	uint64_t gen;			/* 1 at start, +1 per reload */
	uint64_t left_ms;		/* monotonic ms when every worker had
					   taken a newer one; 0 = not yet */
};

struct nd_daemon {
	struct nd_config cfg;		/* the configuration in force */
	int argc;			/* command line, kept for SIGHUP */
	char **argv;
	struct nd_runtime *rt;		/* current snapshot: read with
					   nd_daemon_runtime(), never freed
					   while workers run */
	struct nd_cache *cache;		/* shared answer cache */
	struct nd_resolver *resolver;	/* the query decisions and the
					   shared in-flight table */
	struct nd_kube_store *kube;	/* the cluster zone; NULL when no
					   Kubernetes source is configured
					   (then every name is forwarded) */
	struct nd_kube_client *kube_client; /* API watch; NULL with a
					   snapshot or without Kubernetes */
	struct event *kube_dns_ev;	/* --kube-dns-config: checks the files
					   every 2 s; NULL without it */
	uint64_t kube_dns_sig;		/* what they were at the last read */
	struct nd_hosts_file *hosts;	/* --hosts-file watcher; NULL
					   without the option at start */
	struct nd_worker **workers;	/* n_workers */
	unsigned n_workers;
	struct nd_searchlist *searchlist; /* ndots chain tracker; NULL = off */
	struct nd_symptoms *symptoms;	/* signs of blocked DNS; NULL = off */
	struct event_base *control;	/* main thread: signals, HTTP */
	struct nd_http *http;		/* --http-listen: /metrics, probes */
	struct nd_http *debug_http;	/* --debug-listen: /debug/, /control/ */
	uint64_t reload_ms;		/* monotonic time of the last reload
					   (SIGHUP, control); 0 = none */
	char reload_outcome[ND_CONFIG_ERRLEN]; /* "accepted" or the reason
					   it was refused */
	struct event *sig_ev[5];	/* SIGTERM, SIGINT, SIGHUP, SIGUSR1,
					   SIGUSR2 */
	struct event *tick_ev;		/* diagnostics' periodic decisions */
	struct nd_tcp_clients *tcp_clients; /* TCP connections per client,
					   every worker's */
	struct nd_fd_budget fds;	/* descriptor limit, reserve and the
					   --max-inflight in force */
	struct event *reap_ev;		/* frees retired runtimes; NULL
					   before the first reload */
	uint64_t start_ms;		/* monotonic start time */
	int is_ready;			/* 1 once listeners are up (atomic) */
	int is_stopping;		/* 1 after SIGTERM (atomic) */
	struct nd_upstream_counters *upc; /* per-upstream counter rows by
					   address (control thread) */
	uint64_t reload_failed;		/* reloads refused (control thread) */
	struct nd_node_setup *node;	/* --node-local-ip set-up; NULL
					   without it */
	struct nd_handover *handover;		/* --control-socket; NULL without */
	struct event *stop_ev;		/* SIGTERM's deferred stop: the
					   lame duck, or the hand-over's
					   drain of the steered sockets */
	uint64_t stop_at_ms;		/* monotonic: stop no later */
	bool is_handing_over;		/* SIGTERM with a successor */
};

/* True when the cluster zone holds a full view: a snapshot was loaded, or
 * the API watch completed its first list of every kind (any thread). */
bool nd_daemon_kube_synced(struct nd_daemon *d);

/* The current runtime snapshot (acquire load). */
struct nd_runtime *nd_daemon_runtime(struct nd_daemon *d);

/*
 * Build everything from d->cfg (already loaded): cache, upstream set,
 * workers and their sockets, the HTTP endpoint. Every error is fatal at
 * start-up: logged with its reason, returns negative.
 */
int nd_daemon_start(struct nd_daemon *d);

/* Run the control loop until SIGTERM/SIGINT and the workers have
 * drained; returns the exit status. */
int nd_daemon_run(struct nd_daemon *d);

/*
 * Read the configuration again and apply what can change while serving
 * (SIGHUP, POST /control/reload; control thread only). why: the reason
 * when refused (a bad or emptied config file; the running configuration
 * is kept), else "". Returns 0 when taken, -1 when refused.
 */
int nd_daemon_reload(struct nd_daemon *d, char *why, size_t cap);

/* Free everything (after run, or a failed start). */
void nd_daemon_free(struct nd_daemon *d);

#endif /* SERVER_DAEMON_H */
