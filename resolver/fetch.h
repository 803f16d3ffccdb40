/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/fetch.h - the retry policy of one upstream question: attempt outcomes and the time in, the next attempt or the end out. */
#ifndef RESOLVER_FETCH_H
#define RESOLVER_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/cookie.h"
#include "config/config.h"
#include "dns/upstream_msg.h"
#include "dns/wire.h"

struct nd_metrics;
struct nd_upstreams;

/* Room for our query: header, the longest name, QTYPE/QCLASS, OPT with
 * a COOKIE option. */
#define ND_FETCH_QUERY_MAX \
	(ND_DNS_HEADER_LEN + ND_DNS_MAX_NAME + 4 + 11 + ND_COOKIE_OPT_MAX)

/*
 * What the fetches of one worker share: the upstream set in force and
 * where to count. Owned by the caller; fields may change between calls
 * (nd_fetch_env_set_upstreams on SIGHUP).
 */
struct nd_fetch_env {
	struct nd_upstreams *ups;    /* borrowed; NULL or empty = none */
	unsigned ups_gen;	     /* bumped by every set swap */
	struct nd_metrics *m;	     /* borrowed; NULL = not counted */
	size_t slot_base;	     /* counter slot of the set's first
					upstream (ND_MAX_UPSTREAM_SLOTS) */
	const uint8_t *rows;	     /* counter row (resolver/upstream_rows.h)
					of each slot, ND_MAX_UPSTREAM_SLOTS
					entries, borrowed; NULL = the slot */
	uint32_t attempt_timeout_ms; /* one UDP attempt (TCP gets twice) */
	uint32_t query_timeout_ms;   /* the whole question, retries included */
	bool use_tcp;		     /* every attempt over TCP (--forward-tcp) */
	bool use_0x20;		     /* mix the case of names sent over UDP
					(--forward-0x20) */
	bool use_cookies;	     /* send DNS cookies (--forward-cookies) */
	/* Told of every failed attempt (the symptoms' log line); NULL = no
	 * one. outcome: enum nd_upstream_outcome. */
	void (*on_failure)(void *arg, const struct sockaddr *upstream,
			   int outcome);
	void *failure_arg;
};

/* The counter row of slot (where its per-upstream counters are), or
 * ND_MAX_UPSTREAM_SLOTS when slot is out of range. */
static inline size_t nd_fetch_env_row(const struct nd_fetch_env *env,
				      size_t slot)
{
	if (slot >= ND_MAX_UPSTREAM_SLOTS)
		return ND_MAX_UPSTREAM_SLOTS;
	return env->rows != NULL ? env->rows[slot] : slot;
}

/* Use another upstream set from the next decision on. */
void nd_fetch_env_set_upstreams(struct nd_fetch_env *env,
				struct nd_upstreams *ups);

/* How a fetch ended. */
enum nd_fetch_end {
	ND_FETCH_ANSWERED = 0,	  /* a usable reply (NOERROR/NXDOMAIN) */
	ND_FETCH_TIMED_OUT = 1,	  /* the deadline or the attempt cap passed
				     with attempts that timed out */
	ND_FETCH_REFUSED = 2,	  /* upstreams answered, but SERVFAIL,
				     REFUSED or garbage */
	ND_FETCH_UNREACHABLE = 3, /* ports closed, ICMP errors; or no
				     upstream at all */
	ND_FETCH_LOCAL = 4,	  /* our own failure: no socket, no memory */
	ND_FETCH_CANCELED = 5,	  /* shut down */
	ND_FETCH_LOOP = 6,	  /* every upstream forwards back to us */
};

/* "answered", "timeout", "refused", "unreachable", "local", "canceled",
 * "loop". */
const char *nd_fetch_end_name(enum nd_fetch_end e);

/* What the caller does next. */
enum nd_fetch_do {
	ND_FETCH_SEND = 0, /* close any attempt, then send msg to addr over
			      UDP (a fresh socket: a random source port) or
			      TCP, and arm the attempt timer */
	ND_FETCH_WAIT = 1, /* keep the current attempt and its timer: the
			      reply was not for us (RFC 5452 9.1) */
	ND_FETCH_DONE = 2, /* close any attempt; the fetch is over */
};

struct nd_fetch_action {
	enum nd_fetch_do what;
	bool is_tcp;		     /* SEND: over TCP (after TC) */
	const struct sockaddr *addr; /* SEND: the upstream (borrowed from
					the fetch) */
	const uint8_t *msg;	     /* SEND: the query (TCP: without the
					length prefix); borrowed */
	size_t len;		     /* SEND */
	uint32_t timeout_ms;	     /* SEND: the attempt timer */
	enum nd_fetch_end end;	     /* DONE */
	const uint8_t *reply;	     /* DONE + ANSWERED: the reply (the
					caller's bytes, borrowed) */
	size_t reply_len;
};

/* One upstream question. Embedded (in the in-flight entry); fields are
 * the module's. */
struct nd_fetch {
	struct nd_fetch_env *env;	/* borrowed */
	size_t slot_base;		/* env->slot_base when it started */
	uint8_t qname[ND_DNS_MAX_NAME];	/* lower-case wire name */
	struct nd_question qs;		/* points at qname */
	unsigned ups_gen;		/* env->ups_gen of the rotation */
	uint64_t deadline_us;		/* monotonic; query timeout */
	unsigned n_tries;		/* attempts started, UDP and TCP */
	unsigned rot;			/* next rotation step */
	size_t first;			/* upstream of rotation step 0 */
	unsigned fast_fails;		/* fast failures in a row */
	unsigned n_fast;		/* fast failures in all */
	bool saw_timeout;		/* some attempt timed out */
	bool saw_rcode;			/* some upstream answered badly */
	bool used_tcp;			/* some attempt went over TCP */
	bool saw_loop;			/* an upstream was skipped: it forwards
					   back to us */
	size_t pinned;			/* 1 + the index of the one upstream
					   a loop probe asks, once; 0 = any */
	bool is_done;			/* DONE was given */
	/* the current attempt */
	bool has_attempt;		/* one is running */
	bool is_tcp;
	bool counts;			/* its upstream is in the current set */
	size_t up;			/* upstream index in the set */
	struct sockaddr_storage addr;	/* copy: the set may be swapped */
	uint16_t id;
	uint64_t sent_us;		/* monotonic */
	bool sent_0x20;			/* the name went out case-mixed */
	uint8_t sent_name[ND_DNS_MAX_NAME]; /* as sent, when sent_0x20 */
	bool sent_cookie;		/* a client cookie went out */
	uint8_t cookie[ND_COOKIE_CLIENT_LEN]; /* the client cookie sent */
	bool saw_case_reject;		/* a reply differed only in case */
	bool saw_cookie_missing;	/* a reply lacked the expected cookie */
	bool did_badcookie;		/* asked again after BADCOOKIE */
	uint8_t msg[ND_FETCH_QUERY_MAX];
	size_t msg_len;
};

/*
 * Start fetching qs (copied) with env: act is the first attempt, or DONE
 * (no upstream). now_us: monotonic. Returns 0 or -EINVAL (NULL argument,
 * a name that is not an uncompressed wire name).
 */
int nd_fetch_start(struct nd_fetch *f, struct nd_fetch_env *env,
		   const struct nd_question *qs, uint64_t now_us,
		   struct nd_fetch_action *act);

/*
 * As nd_fetch_start, for a loop probe: one attempt, at upstream index of
 * env's set, whatever its health (and never skipped as a loop).
 */
int nd_fetch_start_pinned(struct nd_fetch *f, struct nd_fetch_env *env,
			  const struct nd_question *qs, size_t index,
			  uint64_t now_us, struct nd_fetch_action *act);

/*
 * The current attempt received pkt[0..len) from its upstream's address
 * and port (a connected socket; for TCP a whole message). A reply that
 * does not match the question and ID is waited past on UDP (WAIT) and
 * ends the attempt on TCP (the connection is ours alone). TC on UDP
 * asks the same upstream over TCP. Returns 0 or -EINVAL (no attempt).
 */
int nd_fetch_reply(struct nd_fetch *f, const uint8_t *pkt, size_t len,
		   uint64_t now_us, struct nd_fetch_action *act);

/* The attempt timer fired. Returns 0 or -EINVAL. */
int nd_fetch_timeout(struct nd_fetch *f, uint64_t now_us,
		     struct nd_fetch_action *act);

/* The attempt failed on the network: ICMP unreachable, connection
 * refused or reset, closed before a whole reply. Returns 0 or -EINVAL. */
int nd_fetch_neterr(struct nd_fetch *f, uint64_t now_us,
		    struct nd_fetch_action *act);

/* The caller could not start the SEND it was given (no socket, no
 * memory): the fetch ends with ND_FETCH_LOCAL. Returns 0 or -EINVAL. */
int nd_fetch_local_error(struct nd_fetch *f, struct nd_fetch_action *act);

/* Shut down: the fetch ends with ND_FETCH_CANCELED. */
void nd_fetch_cancel(struct nd_fetch *f, struct nd_fetch_action *act);

/* Counter slot (env->slot_base + index in the set) of the last upstream
 * asked, -1 = none. */
int nd_fetch_last_upstream(const struct nd_fetch *f);

#endif /* RESOLVER_FETCH_H */
