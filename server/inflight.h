/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/inflight.h - identical questions in flight share one upstream query, across workers. */
#ifndef SERVER_INFLIGHT_H
#define SERVER_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

struct nd_request;
struct nd_worker;

struct nd_inflight; /* opaque; shared by every worker */

/* One question being resolved upstream and the requests waiting for it. */
struct nd_inflight_entry {
	uint8_t qname_lc[255];	     /* lower-case wire name */
	uint16_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	uint64_t hash;		     /* of the three above */
	struct nd_worker *owner;     /* the worker whose forwarder asks */
	struct nd_request *waiters;  /* requests to answer; owned */
	size_t n_waiters;
	struct nd_inflight_entry *next; /* bucket chain */
};

/* A table; NULL on failure. */
struct nd_inflight *nd_inflight_new(void);
/* Free the table, any entries and their waiters (shutdown); NULL is fine. */
void nd_inflight_free(struct nd_inflight *t,
		      void (*free_req)(struct nd_request *));

enum nd_inflight_join_result {
	ND_INFLIGHT_CREATED = 0, /* new entry: the caller must ask upstream */
	ND_INFLIGHT_JOINED = 1,	 /* an identical question is already asked */
	ND_INFLIGHT_FULL = 2,	 /* too many waiters: answer SERVFAIL now */
};

/*
 * Add req (owned by the table from now on, except when FULL) as a waiter
 * for its question; *entry gets the entry. The caller on CREATED becomes
 * the owner and must later call nd_inflight_finish().
 */
int nd_inflight_join(struct nd_inflight *t, struct nd_request *req,
		     struct nd_worker *w, struct nd_inflight_entry **entry);

/*
 * Remove e from the table and hand back its waiter list (the caller owns
 * the requests and must answer each). e is freed.
 */
struct nd_request *nd_inflight_finish(struct nd_inflight *t,
				      struct nd_inflight_entry *e);

#endif /* SERVER_INFLIGHT_H */
