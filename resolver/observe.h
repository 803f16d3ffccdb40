/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/observe.h - one finished query as the diagnostic features see it. */
#ifndef RESOLVER_OBSERVE_H
#define RESOLVER_OBSERVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Where an answer came from (also a metric label). */
enum nd_answer_source {
	ND_SRC_CLUSTER = 0,  /* the cluster zone (kube store) */
	ND_SRC_CACHE = 1,    /* a fresh cache entry */
	ND_SRC_UPSTREAM = 2, /* an upstream answered this query (or one it joined) */
	ND_SRC_STALE = 3,    /* an expired cache entry: every upstream failed */
	ND_SRC_FAILED = 4,   /* SERVFAIL: no upstream answered in time */
	ND_SRC_LOCAL = 5,    /* answered without a lookup: FORMERR, NOTIMP,
				REFUSED (--allow), BADVERS */
	ND_SRC_COUNT,
};

/* "cluster", "cache", "upstream", "stale", "failed", "local". */
const char *nd_answer_source_name(enum nd_answer_source s);

/*
 * A query and its answer, handed to the observers (search-list tracker,
 * signals, slow-query log) by the worker right after the answer is sent.
 * Every pointer is borrowed for the duration of the call.
 */
struct nd_query_event {
	const struct sockaddr *client; /* address and source port */
	int proto;		       /* ND_PROTO_UDP or ND_PROTO_TCP */
	uint16_t id;		       /* the client's message ID */
	const uint8_t *qname_lc;       /* lower-case wire name; NULL when the
					  query had no usable question */
	uint16_t qname_len;
	uint16_t qtype;
	int rcode;		   /* of the answer sent */
	uint16_t ancount;	   /* answer records sent (0 with NODATA) */
	bool is_truncated;	   /* TC was set (UDP) */
	enum nd_answer_source source;
	uint64_t recv_us;	   /* monotonic receive time, microseconds */
	uint64_t duration_us;	   /* receive to send */
	int kube_ready;		   /* the name is a Service (or its SRV) in
				      the cluster zone: its ready endpoint
				      addresses; -1 = not a Service name */
	int upstream;		   /* index of the upstream that answered,
				      -1 = none */
	uint16_t attempts;	   /* upstream attempts made (0 = none) */
	bool used_tcp;		   /* an upstream attempt went over TCP (TC) */
};

#endif /* RESOLVER_OBSERVE_H */
