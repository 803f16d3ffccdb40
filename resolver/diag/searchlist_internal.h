/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_internal.h - the tracker's layout, shared by the searchlist*.c files and nobody else. */
#ifndef RESOLVER_DIAG_SEARCHLIST_INTERNAL_H
#define RESOLVER_DIAG_SEARCHLIST_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"
#include "resolver/diag/searchlist.h"
#include "util/ratelimit.h"

#define SL_NIL UINT32_MAX	/* "no slot" in the index-linked lists */
#define SL_PAIR_US 10000u	/* A and AAAA this close, one port: parallel */
#define SL_BASE_MAX (ND_DNS_MAX_NAME - 1) /* a base name, root label excluded */
#define SL_LABEL_MAX 63		/* bytes of one label (RFC 1035 2.3.4) */
#define SL_HIST_BUCKETS 16	/* added-latency bounds, then +Inf */

/*
 * Hash bucket heads hold a slot index plus one, so an empty bucket is 0
 * and the bucket arrays come from calloc: their pages stay untouched (and
 * out of RSS) until a client or name lands in them. The unsigned
 * wrap-around maps SL_NIL to 0 and back.
 */
static inline uint32_t sl_bucket_head(uint32_t b)
{
	return b - 1u;
}

static inline uint32_t sl_bucket_of_head(uint32_t i)
{
	return i + 1u;
}

extern const uint32_t nd_sl_hist_bounds_us[SL_HIST_BUCKETS];

/*
 * Counters over a sliding window made of two halves: cur counts since the
 * start of half-window epoch, prev the half before it. Reading at time t
 * sums the halves still inside the window, so a reading covers between
 * window_s / 2 and window_s seconds of history with two words per counter.
 */
enum sl_win_field {
	SL_W_CHAINS,	 /* reported chains */
	SL_W_WASTED,	 /* their wasted queries */
	SL_W_QUERIES,	 /* their queries */
	SL_W_ADDED_US,	 /* their added latency, summed (us) */
	SL_W_PARALLEL,	 /* chains with the parallel pattern */
	SL_W_SEQUENTIAL, /* chains with the sequential pattern */
	SL_W_COUNT
};

struct sl_win {
	uint64_t epoch;		    /* half-window number of cur */
	uint64_t cur[SL_W_COUNT];   /* this half */
	uint64_t prev[SL_W_COUNT];  /* the half before */
};

enum sl_chain_state {
	SL_FREE = 0,	 /* on the free list */
	SL_ACTIVE = 1,	 /* walking the candidates */
	SL_ANSWERED = 2, /* final candidate known; waiting for its other type */
};

/* One lookup in progress: a base name and the candidates tried so far. */
struct sl_chain {
	uint32_t client;	/* owner's slot in the shard */
	uint32_t cprev, cnext;	/* the owner's chains, oldest first */
	uint32_t lprev, lnext;	/* shard LRU by activity; lnext links the
				   free list */
	uint8_t state;		/* enum sl_chain_state */
	int8_t first_idx;	/* candidate that began the chain */
	int8_t max_idx;		/* highest candidate seen */
	int8_t final_idx;	/* the candidate that ended it (ANSWERED) */
	int8_t pair_idx;	/* candidate of the pending A/AAAA pair;
				   -1 = none */
	bool is_pair_done;	/* that pair was classified */
	bool saw_parallel;	/* some candidate's pair was parallel */
	bool saw_sequential;	/* some candidate's pair was sequential */
	uint8_t base_len;	/* bytes of base */
	uint8_t ns_len;		/* bytes of ns; 0 = unknown */
	uint16_t pair_type;	/* type of the pair's first query */
	uint16_t pair_port;	/* and its source port */
	uint16_t first_port;	/* source port of the chain's first query */
	uint16_t queries;	/* queries in the chain (saturates) */
	uint32_t tried;		/* candidates asked, bit per index */
	uint32_t seen_a;	/* candidates asked for A */
	uint32_t seen_aaaa;	/* candidates asked for AAAA */
	uint32_t pos;		/* candidates with a positive answer */
	uint32_t tc_a, tc_aaaa;	/* candidates whose A / AAAA came back
				   truncated without records: the next one
				   is the client's retry over TCP */
	uint64_t pair_us;	/* receive time of the pair's first query */
	uint64_t first_us;	/* earliest receive time, monotonic us */
	uint64_t last_us;	/* latest receive time */
	uint64_t active_us;	/* latest answer time (receive + duration):
				   idle_ms counts from here */
	uint8_t n_q[ND_SL_MAX_CANDIDATES];   /* queries per candidate (sat.) */
	uint8_t n_neg[ND_SL_MAX_CANDIDATES]; /* NXDOMAIN/NODATA per candidate */
	uint8_t ns[SL_LABEL_MAX];	     /* namespace label, raw bytes */
	uint8_t base[SL_BASE_MAX];	     /* wire labels, no root */
};

/* One client address and its windowed totals. */
struct sl_client {
	uint64_t hash;		/* of family and address */
	uint32_t hnext;		/* hash bucket chain; free list link */
	uint32_t lprev, lnext;	/* shard LRU by last query */
	uint32_t chead, ctail;	/* its open chains, oldest first */
	uint16_t n_chains;	/* open chains */
	bool in_use;		/* false on the free list */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* 4 bytes used for AF_INET */
	uint8_t ns_len;		/* learned namespace; 0 = unknown */
	uint8_t ns[SL_LABEL_MAX]; /* its label bytes */
	uint64_t last_us;	/* latest receive time */
	struct sl_win win;	/* reported chains in the window */
};

/*
 * A shard of clients and chains: one mutex, fixed pools. Aligned so two
 * shards' locks never share a cache line.
 */
struct sl_shard {
	pthread_mutex_t lock;	   /* guards everything below */
	bool has_lock;		   /* lock initialised (half-built tracker) */
	struct sl_client *clients; /* client_cap slots */
	uint32_t client_cap;	   /* slots in clients */
	uint32_t n_clients;	   /* in use (atomic: read by stats) */
	uint32_t client_free;	   /* free list through hnext */
	uint32_t client_unused;	   /* slots from here on never used yet:
				      taken before they are touched, so an
				      idle tracker's pool costs no RSS */
	uint32_t clru_head, clru_tail; /* least recently seen first */
	uint32_t *buckets;	   /* hash heads + 1 (sl_bucket_head) */
	uint32_t bucket_mask;	   /* buckets - 1 (a power of two) */
	struct sl_chain *chains;   /* chain_cap slots */
	uint32_t chain_cap;	   /* slots in chains */
	uint32_t n_chains;	   /* open (atomic: read by stats) */
	uint32_t chain_free;	   /* free list through lnext */
	uint32_t chain_unused;	   /* slots from here on never used yet */
	uint32_t chlru_head, chlru_tail; /* least recently active first */
} __attribute__((aligned(64)));

/* A typed name's windowed totals, for /debug (LRU table). */
struct sl_name {
	uint64_t hash;		/* of base and namespace */
	uint32_t hnext;		/* bucket chain; free list link */
	uint32_t lprev, lnext;	/* LRU by last report */
	bool in_use;		/* false on the free list */
	int8_t ans_idx;		/* last chain's answering candidate;
				   -1 = none */
	uint8_t base_len, ns_len; /* bytes of base and ns (0 = unknown) */
	uint16_t last_saved;	/* last chain's queries before its answer */
	uint16_t last_wasted;	/* last chain's wasted queries */
	uint8_t ns[SL_LABEL_MAX];  /* namespace label bytes */
	uint8_t base[SL_BASE_MAX]; /* wire labels, no root */
	struct sl_win win;	/* its reported chains in the window */
};

struct sl_names {
	pthread_mutex_t lock;	/* guards everything below */
	bool has_lock;		/* lock initialised (half-built tracker) */
	struct sl_name *e;	/* cap slots */
	uint32_t cap;		/* slots in e (max_names) */
	uint32_t free;		/* free list through hnext */
	uint32_t unused;	/* slots never handed out: [unused, cap) */
	uint32_t lru_head, lru_tail; /* least recently reported first */
	uint32_t *buckets;	/* hash heads + 1 (sl_bucket_head) */
	uint32_t bucket_mask;	/* buckets - 1 (a power of two) */
};

/*
 * A chain that just ended, copied out of its shard so the report is
 * built, counted and handed to on_chain after the shard lock is dropped.
 */
struct sl_done {
	struct sl_chain c;		/* the chain as it ended */
	struct sockaddr_storage client;	/* address + first query's port */
	enum nd_sl_end end;		/* why it ended */
	int ans_idx;			/* answering candidate; -1 = none */
	unsigned queries;		/* as in nd_chain_report */
	unsigned wasted;		/* as in nd_chain_report */
	unsigned saved;			/* queries on other candidates than
					   the answering one */
	unsigned candidates;		/* names tried */
	uint64_t added_us;		/* first to last receive time */
	enum nd_sl_pattern pattern;	/* A/AAAA pattern */
};

struct nd_searchlist {
	/* Read-only after nd_searchlist_new(); see the options. */
	size_t max_chains_per_client;
	uint64_t idle_us;	/* idle_ms in microseconds */
	uint64_t half_us;	/* half the window, microseconds */
	uint32_t window_s;	/* the /debug window */
	void (*on_chain)(void *arg, const struct nd_chain_report *r);
	void *arg;		/* for on_chain */
	bool is_on_chain_limited; /* on_chain only within the log rate */
	uint64_t seed;		/* hash seed (hash flooding) */
	unsigned n_cand;	/* candidates: 3 + node + extra + 1 */
	unsigned abs_idx;	/* index of the absolute name: n_cand - 1 */
	uint8_t sfx_len[ND_SL_MAX_CANDIDATES];	/* wire bytes with the root;
						   [0] unused (per chain) */
	uint8_t sfx[ND_SL_MAX_CANDIDATES][ND_DNS_MAX_NAME]; /* lower-case
					   wire suffix per candidate */
	unsigned n_shards;	/* a power of two */
	struct sl_shard *shards; /* picked by client hash */
	struct sl_names names;	/* for /debug top_names */
	uint64_t pool_bytes;	/* all fixed allocations, bytes */

	/* Counters, relaxed atomics (any thread adds). */
	uint64_t chains, wasted, queries; /* of reported chains */
	uint64_t client_evictions, chain_evictions, log_suppressed;
	uint64_t hist[SL_HIST_BUCKETS + 1]; /* added latency; non-cumulative;
					       last = +Inf */
	uint64_t hist_count, hist_sum_us; /* observations, their sum (us) */

	struct nd_ratelimit log_limit; /* nd_searchlist_should_log() */
};

#define SL_ADD(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)
#define SL_LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* A client's identity: the address without the port. */
struct sl_key {
	uint8_t family;	   /* AF_INET (IPv4-mapped too) or AF_INET6 */
	uint8_t addr[16];  /* network bytes */
	uint8_t len; /* bytes of addr used */
};

/* Where a query would begin a chain. */
struct sl_start {
	int idx;	   /* its candidate index */
	size_t base_len;   /* bytes of the base name */
	size_t ns_off;	   /* namespace label bytes in the query (idx 0) */
	size_t ns_len;	   /* 0 = none in the query */
};

struct nd_query_event;

/* Slots (searchlist_pool.c); call with the shard's lock held. */

/* The client key and source port of sa; false for other families. */
bool sl_key_of(const struct sockaddr *sa, struct sl_key *k, uint16_t *port);
/* Move a client / a chain within its shard's LRU list. */
void sl_clru_unlink(struct sl_shard *s, uint32_t i);
void sl_clru_append(struct sl_shard *s, uint32_t i);
void sl_chlru_unlink(struct sl_shard *s, uint32_t i);
void sl_chlru_append(struct sl_shard *s, uint32_t i);
/* The slot of key k with hash h, or SL_NIL. */
uint32_t sl_client_find(const struct sl_shard *s, const struct sl_key *k,
			uint64_t h);
/* A new client slot (evicting the least recently seen when full). */
uint32_t sl_client_alloc(struct nd_searchlist *t, struct sl_shard *s,
			 const struct sl_key *k, uint64_t h);
/* Free a client and its open chains (those count as evictions). */
void sl_client_drop(struct nd_searchlist *t, struct sl_shard *s, uint32_t i);
/* A new chain of client ci (evicting its oldest, or the shard's least
 * recently active, when full); fields zeroed, linked everywhere. */
uint32_t sl_chain_alloc(struct nd_searchlist *t, struct sl_shard *s,
			uint32_t ci);
/* Free chain i; is_eviction counts it when a report is lost. */
void sl_chain_drop(struct nd_searchlist *t, struct sl_shard *s, uint32_t i,
		   bool is_eviction);

/* Chains (searchlist_chain.c); call with the shard's lock held. */

/* Does q begin a chain, and where? c: the client, NULL when new. */
bool sl_start_form(const struct nd_searchlist *t, const uint8_t *q,
		   size_t qlen, const struct sl_client *c, struct sl_start *st);
/* The chain of client c that q belongs to, or SL_NIL; *idx its candidate;
 * *is_repeat when q only repeats a query of it (a new lookup). */
uint32_t sl_match_chain(const struct nd_searchlist *t,
			const struct sl_shard *s, const struct sl_client *c,
			const uint8_t *q, size_t qlen, bool is_a, int *idx,
			bool *is_repeat);
/* Add query ev (candidate idx, source port) to ch; true when it ended. */
bool sl_chain_apply(const struct nd_searchlist *t, struct sl_chain *ch,
		    int idx, const struct nd_query_event *ev, uint16_t port);
/* End chain i: fill d and return true when it is to be reported. */
bool sl_chain_finish(struct nd_searchlist *t, struct sl_shard *s, uint32_t i,
		     enum nd_sl_end open_end, uint64_t now_us,
		     struct sl_done *d);

/* Windowed counters (searchlist_window.c): add at now_us, read at now_us. */
void sl_win_add(struct sl_win *w, uint64_t half_us, uint64_t now_us,
		const uint64_t add[SL_W_COUNT]);
void sl_win_read(const struct sl_win *w, uint64_t half_us, uint64_t now_us,
		 uint64_t out[SL_W_COUNT]);

/* Text (searchlist_text.c). */

/*
 * Suffix text of candidate idx without the trailing dot ("" for the
 * absolute name, "none" for -1); ns is used for candidate 0.
 */
void sl_suffix_text(const struct nd_searchlist *t, int idx, const uint8_t *ns,
		    size_t ns_len, char *buf, size_t cap);

/* The advice sentence (see nd_chain_report.advice). */
void sl_advice(const struct nd_searchlist *t, const uint8_t *base,
	       size_t base_len, const uint8_t *ns, size_t ns_len, int ans_idx,
	       unsigned wasted, unsigned saved, char *buf, size_t cap);

/* A base name as typed ("api.example.com"), a label as text. */
void sl_base_text(const uint8_t *base, size_t base_len, char *buf, size_t cap);
void sl_label_text(const uint8_t *label, size_t len, char *buf, size_t cap);

/*
 * Report a chain that ended (searchlist_report.c): counters, histogram,
 * names table, on_chain. Call with no lock held.
 */
void sl_report(struct nd_searchlist *t, const struct sl_done *d);

/* Names table (searchlist_names.c). */
int sl_names_init(struct sl_names *n, size_t cap);
void sl_names_deinit(struct sl_names *n);
/* The entry of (base, ns), made (evicting the least recent) if new;
 * call with the table's lock held. */
struct sl_name *sl_name_get(struct nd_searchlist *t, const uint8_t *base,
			    size_t base_len, const uint8_t *ns, size_t ns_len);
/* Forget names with nothing left in the window. */
void sl_names_expire(struct nd_searchlist *t, uint64_t now_us);

#endif /* RESOLVER_DIAG_SEARCHLIST_INTERNAL_H */
