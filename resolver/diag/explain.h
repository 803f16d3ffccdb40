/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/explain.h - the explain engine: one name walked as a pod's stub resolver would, where each candidate's answer comes from, and the verdict in plain words. */
#ifndef RESOLVER_DIAG_EXPLAIN_H
#define RESOLVER_DIAG_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config/resolv_conf.h"
#include "kube/describe.h"
#include "resolver/diag/reply.h"

/*
 * Pure: fed a store snapshot, the cache, the node's search domains and a
 * client, it reads (never sends) and decides. No libevent, no daemon:
 * server/debug_explain.c gathers the inputs and writes the reply.
 */

#define ND_EXPLAIN_NDOTS	  5 /* kubelet's "options ndots:5" */
#define ND_EXPLAIN_NODE_DOMAINS	  ND_RESOLV_MAX_SEARCH /* node search
					       domains taken at most */
#define ND_EXPLAIN_MAX_SEARCH	  (3 + ND_EXPLAIN_NODE_DOMAINS)
#define ND_EXPLAIN_MAX_CANDIDATES (ND_EXPLAIN_MAX_SEARCH + 1)
/* A name built from a checked name and a suffix, both at most 253 bytes. */
#define ND_EXPLAIN_TEXT 512

/* Where a candidate's answer comes from. */
enum nd_explain_source {
	ND_EXPLAIN_CLUSTER = 0,	   /* the cluster zone (kube store) */
	ND_EXPLAIN_NOT_SYNCED = 1, /* the cluster zone, before the first
				      sync: SERVFAIL */
	ND_EXPLAIN_CACHE = 2,	   /* a fresh cache entry */
	ND_EXPLAIN_FORWARD = 3,	   /* not cached: an upstream would be asked */
	ND_EXPLAIN_TOO_LONG = 4,   /* longer than a DNS name: never sent */
	ND_EXPLAIN_RESOLVED = 5,   /* not cached, and asked just now for
				      explain (input resolved[]) */
	ND_EXPLAIN_NO_ANSWER = 6,  /* not cached, asked just now, and no
				      answer came in time */
};

/* A name explain had resolved for real (?resolve=1), and how it ended. */
struct nd_explain_resolved {
	char name[ND_EXPLAIN_TEXT];  /* absolute, trailing dot */
	bool has_reply;		     /* false: no answer in time */
	struct nd_diag_reply reply;  /* when has_reply */
};

/* How the client's namespace was chosen. */
enum nd_explain_ns_from {
	ND_EXPLAIN_NS_CLIENT = 0,    /* the client address is a known pod */
	ND_EXPLAIN_NS_PARAMETER = 1, /* the one asked for (input ns) */
	ND_EXPLAIN_NS_DEFAULT = 2,   /* neither: "default" */
};

/* One name the stub resolver would send (an A query). */
struct nd_explain_cand {
	char name[ND_EXPLAIN_TEXT]; /* absolute, trailing dot */
	enum nd_explain_source source;
	int search_idx;		     /* search domain appended (index in
					nd_explain.search); -1 = the name
					as typed */
	struct nd_diag_reply reply; /* for CLUSTER, CACHE and RESOLVED */
	bool is_tried;		     /* sent; false: after the answer */
	bool is_search_miss;	     /* a search-list expansion into the
					cluster zone that does not exist: the
					NXDOMAIN the search list expects, not
					a failure */
	bool is_positive;	     /* NOERROR with answer records: the stub
					stops here */
};

/* Everything the walk found; the verdict is told from it alone. */
struct nd_explain {
	const char *name;   /* as asked (borrowed from the input) */
	const char *client; /* the client's address text; NULL = none */
	char ns[64];	    /* the client's namespace */
	enum nd_explain_ns_from ns_from;
	bool is_client_pod;	/* client found as an endpoint */
	bool is_client_allowed; /* client may query (--allow);
				   true without a client */
	const struct nd_kube_endpoint *client_ep; /* that endpoint (borrowed) */
	const char *client_service; /* its Service, "" = none (borrowed) */
	char zone[256];		    /* cluster domain, no trailing dot */
	char search[ND_EXPLAIN_MAX_SEARCH][ND_EXPLAIN_TEXT];
	size_t n_search;
	size_t n_node_domains; /* of search, from the node */
	unsigned ndots;	       /* the pod's ndots the walk used */
	unsigned dots;	       /* dots in the name (trailing one
				  not counted) */
	bool is_absolute;      /* typed with a trailing dot */
	struct nd_explain_cand cand[ND_EXPLAIN_MAX_CANDIDATES];
	size_t n_cand;
	int answered;		       /* index of the candidate that
					  answers; -1 = none known */
	struct nd_explain_cand target; /* the answer's CNAME target (an
					  ExternalName's), looked up the
					  same way; valid when has_target;
					  = chain[0] */
	bool has_target;
	/* Every step of the CNAME chain nodedns completes (the resolver
	 * follows at most 11), each looked up in the zone and the cache
	 * only: the walk stops at a target that would go upstream, at a
	 * loop, or at the cap. */
	struct nd_explain_cand chain[11];
	size_t n_chain;
	bool is_chain_loop;		/* a target named an earlier step */
	size_t n_unknown; /* tried candidates that would go
			     upstream (outcome unknown) */
	size_t n_resolved; /* tried candidates asked upstream just now */
	bool has_kube;	  /* a cluster zone is configured */
	bool is_synced;	  /* and it had its first full view */
	/* The Service the name means: from the answering candidate, else
	 * the first "<svc>.<ns>.svc.<zone>" candidate. */
	char svc_ns[64]; /* "" = the name means no Service */
	char svc_name[64];
	char svc_host[64];	      /* "<host>" of "<host>.<svc>.<ns>.svc.
					 <zone>"; "" = none */
	bool is_svc_intent;	      /* the name was typed as a Service name
					 (no dot, a name into a namespace that
					 holds Services, or ending in .svc) */
	struct nd_kube_desc_list svc; /* that Service (0 or 1) */
	struct nd_kube_desc_list same_name; /* Services of that name in
					   every namespace */
	bool is_ns_known;	 /* svc_ns holds at least one Service */
	bool is_ns_typed;	 /* svc_ns was part of the name as typed,
				    not the client's namespace from the
				    search list */
	char upstream[64];	 /* where a forwarded query would go;
				    "" = no upstream */
	double upstream_srtt_ms; /* its smoothed RTT; 0 = not measured */
	size_t n_upstreams;
	char upstreams[256]; /* every upstream, comma-separated */
};

struct nd_cache;
struct nd_kube_ip;
struct nd_kube_store;

/* What the walk is fed; every pointer is borrowed for the call. */
struct nd_explain_input {
	const char *name;	/* as asked; nd_explain_name_is_ok() */
	const char *client;	/* the client's address as text, for the
				   document; NULL = no client */
	const struct nd_kube_ip *client_ip; /* that address; NULL = none */
	bool is_client_allowed;	/* the client may query (the allow list);
				   true without a client */
	const char *ns;		/* the namespace asked for when the client
				   is no known pod; NULL = "default" */
	const char *zone;	/* cluster domain, no trailing dot */
	const char (*node_domains)[ND_RESOLV_NAME_TEXT]; /* the node's
				   search domains (resolv.conf, as config
				   read it), which kubelet appends */
	size_t n_node_domains;
	unsigned ndots;		/* the pod's ndots; 0 = ND_EXPLAIN_NDOTS */
	struct nd_kube_store *kube; /* the cluster zone; NULL = none. The
				   calling thread is an RCU reader. */
	bool is_synced;		/* the zone had its first full view */
	struct nd_cache *cache;	/* the answer cache; NULL = empty */
	uint64_t now_ms;	/* the cache's clock (monotonic ms) */
	const char *upstream;	/* where a forwarded query would go now;
				   NULL or "" = no upstream */
	double upstream_srtt_ms; /* its smoothed RTT; 0 = not measured */
	size_t n_upstreams;	/* upstreams configured */
	const char *upstreams;	/* all of them, comma-separated; NULL = "" */
	const struct nd_explain_resolved *resolved; /* names asked for real
				   (resolve): a candidate not in the zone
				   or the cache takes its outcome from
				   here; NULL = none */
	size_t n_resolved;
};

/*
 * Is s a name a stub resolver would send: LDH labels (underscore allowed
 * for SRV-style names) of 1-63 bytes, 253 at most, an optional trailing
 * dot?
 */
bool nd_explain_name_is_ok(const char *s);

/*
 * Walk in->name: the client's namespace (from the store when the client
 * is a pod), the search list, the candidates in glibc's order, where
 * each one's answer comes from, and the Service the name means.
 * e: the caller's (large: allocate it), filled from scratch; its
 * pointers borrow from in and the store (valid while both are).
 * nd_explain_deinit() it afterwards, whatever this returns.
 * Returns 0, -EINVAL (NULL argument, bad name) or -ENOMEM.
 */
int nd_explain_run(const struct nd_explain_input *in, struct nd_explain *e);

/* Free what nd_explain_run() allocated in e; e may be all zero. */
void nd_explain_deinit(struct nd_explain *e);

/* The whole document, verdict included; NULL when out of memory. */
cJSON *nd_explain_json(const struct nd_explain *e);

/*
 * The first name the walk would send upstream with no local answer (a
 * candidate, else the CNAME target nodedns would ask for the client):
 * not in the zone, not cached, not resolved. NULL = none; else borrowed
 * from e. With resolve the daemon asks it, then walks again.
 */
const char *nd_explain_next_unknown(const struct nd_explain *e);

/*
 * Add "verdict" to doc: {"status": "ok"|"fail"|"not_cached", "dns",
 * "service", "upstream", "text"}, the steps in the troubleshooting order
 * DNS -> Service selection -> endpoints -> upstream, in plain words. The
 * verdict is about the name the stub ends with: the search list's
 * expected NXDOMAINs on the way there are no failure.
 * "fail": the name does not resolve, or resolves to a Service without
 * ready endpoints; "not_cached": the answer depends on an upstream not
 * asked (explain sends nothing unless told to resolve).
 * Returns 0, -EINVAL (NULL argument) or -ENOMEM.
 */
int nd_explain_verdict(const struct nd_explain *e, cJSON *doc);

#endif /* RESOLVER_DIAG_EXPLAIN_H */
