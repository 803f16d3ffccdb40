/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/resolve.h - every decision about a client query, as steps with the clock passed in. */
#ifndef RESOLVER_RESOLVE_H
#define RESOLVER_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/config.h" /* ND_MAX_ALLOW */
#include "dns/query.h"
#include "resolver/fetch.h"
#include "resolver/inflight.h"
#include "resolver/observe.h"
#include "util/addr.h"

/* CNAMEs followed to complete one answer, at most (unbound's limit too);
 * a longer chain gets SERVFAIL with an Extended DNS Error. */
#define ND_CHAIN_MAX_STEPS 11

struct nd_cache;
struct nd_hosts;
struct nd_kube_store;
struct nd_metrics;

/* Who may query (--allow). */
struct nd_acl {
	size_t n;			   /* networks in net */
	struct nd_cidr net[ND_MAX_ALLOW];
};

/*
 * The settings a step reads that SIGHUP may replace: the caller passes
 * the snapshot in force with every call (borrowed for the call).
 */
struct nd_rs_policy {
	const struct nd_acl *acl;  /* who may query; NULL = everyone */
	uint32_t cache_max_ttl_s;  /* TTL cap when rendering fresh answers */
	bool drop_outside_allow;   /* a query from outside acl (well formed
				      or not) is dropped and counted; else
				      it gets REFUSED (FORMERR, NOTIMP) */
};

struct nd_resolver_options {
	struct nd_cache *cache;	     /* borrowed; required */
	struct nd_kube_store *kube;  /* borrowed; NULL = no cluster zone */
	/* Does the cluster zone hold a full view yet? Any thread; NULL =
	 * always. */
	bool (*is_zone_synced)(void *arg);
	void *synced_arg;
	size_t io_size;		     /* bytes of the caller's per-request
					state copied into each waiting
					request (nd_rs_request.io) */
	uint32_t max_fetches;	     /* upstream questions one worker has in
					flight at most (each holds a socket):
					past it a new question gets stale or
					SERVFAIL at once; 0 = 4096 */
	uint32_t max_inflight;	     /* upstream questions in flight in the
					whole process at most (every
					worker's): past it the same as
					max_fetches; 0 = no bound but
					max_fetches */
	uint32_t failure_hold_max_s; /* a failed resolution is answered from
					the failure cache (RFC 9520) for 1 s,
					doubling on repeated failure up to
					this; 0 = no failure cache */
};

/* What nd_resolver_get_stats reports. */
struct nd_resolver_stats {
	uint64_t inflight;	    /* upstream questions in flight now */
	uint64_t inflight_limit;    /* max_inflight; 0 = none */
	uint64_t failcache_entries; /* questions the failure cache holds */
};

struct nd_rs_result;

/* Shared by every worker: the in-flight table and what it reads. */
struct nd_resolver; /* opaque */

/* NULL on failure. */
struct nd_resolver *nd_resolver_new(const struct nd_resolver_options *opt);
/* Free (every fetch finished first); NULL is fine. */
void nd_resolver_free(struct nd_resolver *r);

/* Fill *st (gauges for /metrics); any thread. */
void nd_resolver_get_stats(const struct nd_resolver *r,
			   struct nd_resolver_stats *st);

/*
 * Answer the names of h (--hosts-file) from the next query on, before the
 * cluster zone; NULL = none. Takes ownership of h; the table it replaces
 * is freed after an RCU grace period (workers read it without a lock).
 * One writer at a time (the control thread). r NULL: h is freed.
 */
void nd_resolver_set_hosts(struct nd_resolver *r, struct nd_hosts *h);

/*
 * One worker's side: scratch space for parsing upstream answers, its
 * counters, its upstream set. Used on one thread. NULL on failure.
 * m: borrowed; env: copied (its ups borrowed).
 */
struct nd_rs_worker;
struct nd_rs_worker *nd_rs_worker_new(struct nd_resolver *r,
				      struct nd_metrics *m,
				      const struct nd_fetch_env *env);
void nd_rs_worker_free(struct nd_rs_worker *w); /* NULL is fine */
/* Its fetch environment of the default upstreams. */
struct nd_fetch_env *nd_rs_worker_env(struct nd_rs_worker *w);

/* A forward zone as a worker uses it (--forward-zone). */
struct nd_rs_zone {
	const uint8_t *wire;	   /* lower-case wire name (copied) */
	size_t wire_len;
	struct nd_upstreams *ups;  /* its upstreams (borrowed) */
	size_t slot_base;	   /* counter slot of its first upstream */
	bool use_tcp;		   /* ask them over TCP only */
};

/*
 * Fetch with these upstreams from the next decision on (start, SIGHUP):
 * names: "addr:port" of each counter slot (n_names; borrowed until the
 * next call), for the forwarding-loop line and EDE;
 * ups for every name, but names under a zone (the longest that matches)
 * go to the zone's. Fetches in flight go on in the set now at their
 * place (a zone removed: they fail). Returns 0 or -EINVAL (more than
 * ND_MAX_FORWARD_ZONES, a NULL argument).
 */
int nd_rs_worker_set_upstreams(struct nd_rs_worker *w,
			       struct nd_upstreams *ups, bool use_tcp,
			       const struct nd_rs_zone *zones, size_t n,
			       const char *const *names, size_t n_names);

/*
 * Forwarding loops (an upstream that forwards back to us, directly or
 * through other resolvers): a probe, a question for a name of random
 * labels under "nodedns-loop-probe.", is sent to each upstream slot in
 * turn; when one comes back to us, that upstream is marked and names that
 * would go there get SERVFAIL at once (EDE 22, "forwarding loop through
 * ADDR") instead of a timeout; a later round whose probe does not come
 * back clears the mark. Counter slots: 0.. the default upstreams, then
 * each zone's.
 */
#define ND_LOOP_PROBE_ZONE "nodedns-loop-probe"
/* Probes go out at start and after each reload, and again every minute
 * while an upstream is marked (so a loop that is mended clears): a
 * healthy node sends none in between. A loop that begins later is found
 * at the next reload. */

/* Upstream slots in use. */
size_t nd_rs_worker_slots(const struct nd_rs_worker *w);

/* Is some upstream marked as forwarding back to us? */
bool nd_rs_worker_has_loop(struct nd_rs_worker *w);

/*
 * The probe of counter slot (round: which round it belongs to) as an ASK
 * in *res (res->fetch: a fetch outside the in-flight table, ended like
 * any other with nd_resolve_done, then free()). Returns 0, -EINVAL (no
 * such slot) or -ENOMEM.
 */
int nd_resolve_probe(struct nd_rs_worker *w, size_t slot, uint32_t round,
		     uint64_t now_us, struct nd_rs_result *res);

/* What the caller does with a client query. */
enum nd_rs_step {
	ND_RS_ANSWER = 0, /* send out[0..len) now */
	ND_RS_DROP = 1,	  /* send nothing (malformed, QR=1): counted */
	ND_RS_WAIT = 2,	  /* it joined an identical question in flight:
			     its answer comes from that fetch's end */
	ND_RS_ASK = 3,	  /* a new fetch: carry out act (and what follows
			     from it) with the nd_fetch_* calls on
			     &fetch->fetch; when a CNAME chain is being
			     completed, the fetch is for its target */
};

struct nd_rs_result {
	enum nd_rs_step step;
	size_t len;			/* ANSWER: bytes in out */
	struct nd_query_event ev;	/* ANSWER: for the observers; its
					   pointers into q and the caller's
					   peer */
	struct nd_query q;		/* the parsed query */
	struct nd_inflight_entry *fetch; /* ASK: the fetch (owned by the
					   caller until nd_resolve_done) */
	struct nd_fetch_action act;	/* ASK: its first action */
};

/*
 * A client query pkt[0..len) arrived from peer over proto (ND_PROTO_UDP
 * or ND_PROTO_TCP) at now_us (monotonic): ACL, the hosts table, the
 * cluster zone (SERVFAIL before its first sync), the cache, then an
 * upstream fetch shared with identical questions. An answer that stops
 * at a CNAME is completed: the target from the cluster zone, the cache
 * or a fetch, up to
 * ND_CHAIN_MAX_STEPS. io (io_size bytes) is copied into the request when
 * it waits. out/cap: where an immediate answer goes (it never exceeds
 * the client's UDP size, or 65535 over TCP). Returns 0 or -EINVAL.
 */
int nd_resolve_begin(struct nd_rs_worker *w, const struct nd_rs_policy *p,
		     int proto, const struct sockaddr *peer, const void *io,
		     const uint8_t *pkt, size_t len, uint64_t now_us,
		     uint8_t *out, size_t cap, struct nd_rs_result *res);

/*
 * The fetch of e said DONE (act, whose reply bytes are borrowed for this
 * call): take e out of the table and put a usable answer into the cache.
 * Then call nd_resolve_next() until it returns NULL, then free(e).
 */
void nd_resolve_done(struct nd_rs_worker *w, struct nd_inflight_entry *e,
		     const struct nd_fetch_action *act, uint64_t now_us);

/*
 * The next waiter of e, with what to do for it in *res:
 * - ANSWER: its answer in out[0..res->len) and its event in res->ev
 *   (pointers into the request): the fetched answer, or when the fetch
 *   failed a stale answer (RFC 8767) or SERVFAIL, each with the Extended
 *   DNS Error that says why; the caller sends it, then frees the request
 *   (nd_rs_request_free).
 * - WAIT: the answer was a CNAME whose target is being fetched; the
 *   request moved to that fetch (the table owns it again).
 * - ASK: the same, for a new fetch (res->fetch, first action res->act).
 * NULL when every waiter is handed back. On this worker's thread, before
 * its next nd_resolve_done().
 */
struct nd_rs_request *nd_resolve_next(struct nd_rs_worker *w,
				      const struct nd_rs_policy *p,
				      struct nd_inflight_entry *e,
				      uint64_t now_us, uint8_t *out,
				      size_t cap, struct nd_rs_result *res);

/* Free a request handed back (and its chain); NULL is fine. */
void nd_rs_request_free(struct nd_rs_request *rq);

#endif /* RESOLVER_RESOLVE_H */
