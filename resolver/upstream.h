/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/upstream.h - the set of upstream servers, their health and the order to try them. */
#ifndef RESOLVER_UPSTREAM_H
#define RESOLVER_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/config.h" /* ND_MAX_UPSTREAMS */
#include "resolver/upstream_trust.h"

struct nd_upstreams; /* opaque; read and updated by every worker */

/* Why an attempt at an upstream ended (also the metric label). */
enum nd_upstream_outcome {
	ND_UP_OK = 0,	    /* usable answer */
	ND_UP_TIMEOUT = 1,  /* no answer in time */
	ND_UP_REFUSED = 2,  /* rcode REFUSED */
	ND_UP_SERVFAIL = 3, /* rcode SERVFAIL */
	ND_UP_NETWORK = 4,  /* ICMP unreachable, connection refused or reset */
	ND_UP_BAD = 5,	    /* malformed or other rcode */
	ND_UP_OUTCOMES = 6,
};

/* Label text of an outcome ("ok", "timeout", "refused", ...). */
const char *nd_upstream_outcome_name(enum nd_upstream_outcome o);

/* A set over n addresses (copied); NULL on failure or n > ND_MAX_UPSTREAMS. */
struct nd_upstreams *nd_upstreams_new(const struct sockaddr_storage *addrs,
				      size_t n);
void nd_upstreams_free(struct nd_upstreams *u); /* NULL is fine */

size_t nd_upstreams_count(const struct nd_upstreams *u);
/* Address of upstream i (borrowed, valid for the set's life). */
const struct sockaddr *nd_upstreams_addr(const struct nd_upstreams *u,
					 size_t i);

/*
 * Which upstream to use for the attempt-th try (0-based) of one query.
 * The first try goes to the healthiest upstream (fewest recent failures,
 * then lowest smoothed RTT); later tries walk the others in turn.
 * first: the index returned for attempt 0 of this query.
 */
size_t nd_upstreams_pick(struct nd_upstreams *u, unsigned attempt,
			 size_t first);

/* Record how an attempt ended; rtt_us counts for ND_UP_OK only. */
void nd_upstreams_report(struct nd_upstreams *u, size_t i,
			 enum nd_upstream_outcome o, uint32_t rtt_us);

/*
 * Forwarding loops: a probe sent to upstream i came back to us (it, or a
 * resolver behind it, forwards to us). Rounds number the probes: a round
 * that ends without the probe coming back clears the mark.
 */
void nd_upstreams_loop_seen(struct nd_upstreams *u, size_t i, uint32_t round);
void nd_upstreams_probe_ended(struct nd_upstreams *u, size_t i,
			      uint32_t round);
/* Does upstream i forward to us? */
int nd_upstreams_is_loop(const struct nd_upstreams *u, size_t i);

/* Attempts at upstream i that failed in a row (0 after an answer). */
uint32_t nd_upstreams_fails(const struct nd_upstreams *u, size_t i);

/* What upstream i has shown of the 0x20 case and cookies (borrowed,
 * valid for the set's life); NULL for i out of range. */
struct nd_upstream_trust *nd_upstreams_trust(struct nd_upstreams *u,
					     size_t i);

/* The secret of the set's client cookies (random per set; borrowed). */
const uint8_t *nd_upstreams_cookie_secret(const struct nd_upstreams *u);

/* Smoothed RTT of upstream i in microseconds (0 before any answer). */
uint32_t nd_upstreams_srtt_us(const struct nd_upstreams *u, size_t i);

/* A number no other set of this process has had (a freed set's memory
 * may be reused, its id is not); 0 for NULL. Keys what is remembered per
 * set, such as failures (resolver/failcache.h). */
uint64_t nd_upstreams_id(const struct nd_upstreams *u);

#endif /* RESOLVER_UPSTREAM_H */
