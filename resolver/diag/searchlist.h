/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist.h - recognises search-list (ndots) expansion chains per client and reports what they cost. */
#ifndef RESOLVER_DIAG_SEARCHLIST_H
#define RESOLVER_DIAG_SEARCHLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct nd_query_event;

/*
 * A pod's stub resolver with "search <ns>.svc.<zone> svc.<zone> <zone>
 * [node domains...]" and "options ndots:5" turns a name with fewer than
 * five dots into one query per search domain, then the name as is, for A
 * and AAAA, and stops at the first candidate with an answer. The tracker
 * sees every finished A/AAAA query (nd_searchlist_observe), groups the
 * candidates of one lookup into a chain per client address (not port:
 * glibc may use several sockets) and reports each chain once it is over.
 *
 * Candidates, in the order a stub resolver tries them (index in brackets):
 *   [0] <base>.<ns>.svc.<zone>   (ns: the pod's namespace)
 *   [1] <base>.svc.<zone>
 *   [2] <base>.<zone>
 *   [3..] <base>.<node domain>, then <base>.<extra suffix>
 *   [last] <base>.                (the absolute name)
 * A chain begins with a query that ends in one of the suffixes above and
 * keeps at least one label of its own (<base>). A query matching no chain
 * and no suffix costs one hash and one table lookup.
 *
 * A chain is over when a candidate has a positive answer (NOERROR with
 * answer records), when the absolute name was answered (any rcode), when
 * the client asks again for a (candidate, type) it already asked (a new
 * lookup of the same name), or after idle_ms without a query. When the
 * chain has shown both A and AAAA, the report waits for the other type of
 * the final candidate (glibc sends both and waits for both), or idle_ms.
 *
 * Only chains that tried at least two candidates are reported and counted:
 * a name answered by its first candidate cost nothing, and a name typed
 * with enough dots (sent as is first) is no chain at all. Names typed with
 * ndots or more dots that fail as is and then walk the search list form a
 * chain without their first (absolute) query.
 */

#define ND_SL_MAX_CANDIDATES 32 /* search suffixes + the absolute name */
#define ND_SL_NAME_TEXT 1024	/* a presentation name with \DDD escapes, NUL */
#define ND_SL_NS_TEXT 256	/* one escaped label, NUL */
#define ND_SL_ADVICE_TEXT 1280	/* advice: a sentence around two names */

/* How the client sent A and AAAA for one candidate. */
enum nd_sl_pattern {
	ND_SL_PATTERN_UNKNOWN = 0,    /* one type only: no evidence */
	ND_SL_PATTERN_PARALLEL = 1,   /* same source port, within 10 ms */
	ND_SL_PATTERN_SEQUENTIAL = 2, /* further apart or another port */
};

/* Why a chain ended. */
enum nd_sl_end {
	ND_SL_END_ANSWERED = 0,	 /* a candidate had a positive answer */
	ND_SL_END_EXHAUSTED = 1, /* the absolute name had no data either */
	ND_SL_END_IDLE = 2,	 /* no query for idle_ms */
	ND_SL_END_RESTART = 3,	 /* the client started the same lookup again */
};

/*
 * One finished chain, handed to on_chain. Valid only during the call
 * (it lives on the caller's stack).
 */
struct nd_chain_report {
	struct sockaddr_storage client; /* address, and the source port of
					   the chain's first query */
	char ns[ND_SL_NS_TEXT];		/* namespace from <ns>.svc.<zone>;
					   "" = unknown */
	char name[ND_SL_NAME_TEXT];	/* the name as typed, no trailing dot */
	unsigned queries;		/* queries in the chain, A and AAAA
					   each counted */
	unsigned wasted;		/* answered NXDOMAIN or NODATA on a
					   candidate that did not answer */
	unsigned candidates;		/* distinct names tried (>= 2) */
	uint64_t added_us;		/* receive time of the first query to
					   that of the last, microseconds */
	char answered_by[ND_SL_NAME_TEXT]; /* suffix that answered, no
					   trailing dot ("svc.cluster.local");
					   "" = the absolute name; "none" =
					   nothing answered */
	bool is_answered;		/* a candidate had a positive answer */
	bool is_parallel;		/* A and AAAA of a candidate came from
					   one port within 10 ms */
	enum nd_sl_pattern pattern;	/* the chain's A/AAAA pattern */
	enum nd_sl_end end;		/* why the chain ended */
	char advice[ND_SL_ADVICE_TEXT];	/* what would save the queries; ""
					   when nothing was wasted */
};

/*
 * Tracker settings; zero means the default. Strings are copied by
 * nd_searchlist_new(); the caller keeps ownership.
 */
struct nd_searchlist_options {
	const char *zone;		  /* cluster zone;
					     NULL = "cluster.local" */
	const char *const *node_domains;  /* the node's search domains, in
					     resolv.conf order (kubelet
					     appends them to every pod's) */
	size_t n_node_domains;
	const char *const *extra_suffixes; /* more search suffixes tried after
					     the node domains (pod dnsConfig) */
	size_t n_extra;			  /* 3 + n_node_domains + n_extra + 1
					     must fit ND_SL_MAX_CANDIDATES */
	size_t max_clients;		  /* client addresses tracked; the
					     least recently seen is evicted;
					     default 4096 */
	size_t max_chains_per_client;	  /* open chains per client; the
					     oldest is evicted; default 16 */
	size_t max_chains;		  /* open chains in all; the least
					     recently active is evicted;
					     default max_clients */
	size_t max_names;		  /* names kept for /debug (LRU);
					     default 1024 */
	uint32_t idle_ms;		  /* a chain ends after no query for
					     this long; default 2000 */
	uint32_t window_s;		  /* /debug window; default 600 */
	uint32_t log_per_s;		  /* nd_searchlist_should_log() rate,
					     lines per second; default 10 */
	uint32_t log_burst;		  /* and its burst; default 50 */
	void (*on_chain)(void *arg, const struct nd_chain_report *r);
					  /* called for every reported chain,
					     from the thread of observe() or
					     tick(), with no tracker lock held;
					     NULL = none */
	void *arg;			  /* passed to on_chain */
	bool is_on_chain_limited;	  /* call on_chain only while
					     nd_searchlist_should_log() says
					     yes (the counters still count
					     every chain): formatting a
					     report costs more than finding
					     the chain, so a busy node skips
					     it for chains nobody will read */
};

/* Counters since start (relaxed reads: each value whole). */
struct nd_searchlist_stats {
	uint64_t chains;	    /* chains reported */
	uint64_t wasted;	    /* their wasted queries */
	uint64_t queries;	    /* their queries */
	uint64_t clients;	    /* client addresses tracked now */
	uint64_t open_chains;	    /* chains in progress now */
	uint64_t client_evictions;  /* clients evicted to make room */
	uint64_t chain_evictions;   /* open chains dropped unreported to make
				       room (per client or in all) */
	uint64_t log_suppressed;    /* should_log() answers of false */
	uint64_t pool_bytes;	    /* memory of the fixed pools, bytes */
};

struct nd_searchlist; /* opaque; observe() is safe from every thread */

/*
 * A tracker with every pool allocated up front, so observing never
 * allocates. o: copied. Returns NULL on bad options (logged) or when
 * memory runs out.
 */
struct nd_searchlist *nd_searchlist_new(const struct nd_searchlist_options *o);

/* Free the tracker; open chains are dropped unreported. NULL is fine. */
void nd_searchlist_free(struct nd_searchlist *t);

/*
 * Feed one finished query (any worker thread, after the answer was sent).
 * Queries other than A and AAAA, or without a question, are ignored.
 * ev: borrowed for the call. May call on_chain (at most twice).
 */
void nd_searchlist_observe(struct nd_searchlist *t,
			   const struct nd_query_event *ev);

/*
 * Housekeeping, from the control thread every ~250 ms: reports chains
 * idle for idle_ms (calling on_chain), forgets clients and names unseen
 * for window_s. now_us: the monotonic clock of the events' recv_us.
 */
void nd_searchlist_tick(struct nd_searchlist *t, uint64_t now_us);

/*
 * Token bucket for logging reports (log_per_s, burst log_burst): true
 * when the caller may log one more line; false counts one suppressed
 * line. Thread-safe. now_us: monotonic microseconds.
 */
bool nd_searchlist_should_log(struct nd_searchlist *t, uint64_t now_us);

/* Copy the counters into out; zeros when t is NULL. */
void nd_searchlist_get_stats(const struct nd_searchlist *t,
			     struct nd_searchlist_stats *out);

/*
 * Append the tracker's Prometheus families (HELP and TYPE each):
 * nodedns_searchlist_chains_total, _wasted_queries_total, _queries_total,
 * _added_latency_seconds (histogram), _clients, _evictions_total{kind},
 * _log_suppressed_total.
 * text: a malloc'd NUL-terminated buffer of *len bytes, or NULL with *len
 * 0; grown with realloc (caller frees). On failure its text is as it
 * was, though *text may have moved (util/prom.h).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int nd_searchlist_render_metrics(const struct nd_searchlist *t, char **text,
				 size_t *len);

/*
 * The /debug/searchlist document over the last window_s (at least half
 * of it; see searchlist.c):
 * {"window_s":N,
 *  "top_names":[{"name","namespace","chains","wasted","queries",
 *                "avg_added_ms","answered_by","advice"}],
 *  "top_clients":[{"client","namespace","chains","wasted","queries",
 *                  "resolver":"glibc|musl|unknown",
 *                  "pattern":"parallel|sequential|unknown"}]}
 * both ordered by wasted, then chains, descending. "resolver" is a guess
 * from the A/AAAA pattern only: "glibc" = parallel on one socket,
 * "musl" = sequential. Both libraries send in parallel by default (musl
 * always; glibc unless "single-request"), so trust "pattern" over it.
 * top_n: entries per list; 0 = all. json: malloc'd string (caller frees).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int nd_searchlist_render_json(struct nd_searchlist *t, uint64_t now_us,
			      size_t top_n, char **json);

#endif /* RESOLVER_DIAG_SEARCHLIST_H */
