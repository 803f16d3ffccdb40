/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/inflight.h - identical questions in flight share one upstream fetch, across workers. */
#ifndef RESOLVER_INFLIGHT_H
#define RESOLVER_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/query.h"
#include "resolver/fetch.h"

struct nd_rs_chain;

/* A client's query that waits for an upstream answer. */
struct nd_rs_request {
	struct nd_query q;	      /* the client's question, ID and EDNS */
	struct nd_rs_chain *chain;    /* the CNAME chain being completed:
					 it waits for the answer of the
					 chain's target (owned); NULL = it
					 waits for its own question */
	int proto;		      /* ND_PROTO_UDP or ND_PROTO_TCP */
	struct sockaddr_storage peer; /* the client's address and port */
	uint64_t start_us;	      /* monotonic receive time */
	struct nd_rs_request *next;   /* waiter list */
	_Alignas(max_align_t) unsigned char io[]; /* the server's: where the
						     answer goes */
};

struct nd_inflight; /* opaque; shared by every worker */

/* One question being fetched upstream and the requests waiting for it. */
struct nd_inflight_entry {
	uint8_t qname_lc[ND_DNS_MAX_NAME]; /* lower-case wire name */
	uint16_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	uint64_t hash;			   /* of the three above */
	struct nd_rs_request *waiters;	   /* requests to answer; owned */
	size_t n_waiters;
	struct nd_inflight_entry *next;	   /* bucket chain */
	/* The owner's alone (the worker that created it): */
	struct nd_fetch fetch;		   /* the retry policy */
	void *io;			   /* the owner's I/O state; borrowed */
	struct nd_inflight_entry *io_next; /* the owner's list link (fetches
					      whose end it delivers later) */
	struct nd_rs_request *done;	   /* waiters taken at the end */
	int end;			   /* enum nd_fetch_end, at the end */
	bool has_answer;		   /* the end brought a usable answer */
	bool is_probe;			   /* a loop probe: not in the table,
					      no waiters, never cached */
	uint32_t probe_round;		   /* its round */
	size_t probe_index;		   /* the upstream it asked */
};

/* A table; NULL on failure. */
struct nd_inflight *nd_inflight_new(void);
/* Free the table, any entries and their waiters (shutdown; free_req
 * gets each request first, NULL = none); NULL is fine. */
void nd_inflight_free(struct nd_inflight *t,
		      void (*free_req)(struct nd_rs_request *));

enum nd_inflight_join_result {
	ND_INFLIGHT_CREATED = 0, /* new entry: the caller must fetch */
	ND_INFLIGHT_JOINED = 1,	 /* an identical question is being fetched */
	ND_INFLIGHT_FULL = 2,	 /* too many waiters or no memory: answer
				    SERVFAIL now */
	ND_INFLIGHT_NO_NEW = 3,	 /* not in flight, and may_create was false */
};

/*
 * Add req (owned by the table from now on, except when FULL) as a waiter
 * for the question key (its own, or its chain's target); *entry gets the
 * entry. The caller on CREATED becomes the owner and must later call
 * nd_inflight_finish().
 */
int nd_inflight_join(struct nd_inflight *t, const struct nd_question *key,
		     struct nd_rs_request *req, bool may_create,
		     struct nd_inflight_entry **entry);

/*
 * Remove e from the table and hand back its waiter list (the caller owns
 * the requests and must answer each). e stays the caller's: free() it.
 */
struct nd_rs_request *nd_inflight_finish(struct nd_inflight *t,
					 struct nd_inflight_entry *e);

#endif /* RESOLVER_INFLIGHT_H */
