/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/symptoms.h - symptoms of blocked DNS, told in plain words. */
#ifndef RESOLVER_DIAG_SYMPTOMS_H
#define RESOLVER_DIAG_SYMPTOMS_H

#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"
#include "resolver/observe.h"
#include "resolver/upstream.h"
#include "util/addr.h"

/*
 * Named "symptoms" in the code so they are not confused with process
 * signals; users see them as "signals": the metric families stay
 * nodedns_signal_*, the log group "signals", the /debug key "signals".
 *
 * Each sign is a counter that always counts, plus a log line (group
 * "signals", level warn) that says what it likely means and what to check.
 * Lines are rate-limited per kind; an event ring keeps the last few for
 * /debug. Every window is measured on the monotonic clock the caller
 * passes in (struct nd_query_event's recv_us, nd_symptoms_tick's now_us).
 */
struct nd_symptoms; /* opaque */

/* The signs; also the "kind" of a ring event and of the log buckets. */
enum nd_symptom_kind {
	ND_SYM_RETRANSMIT = 0,	 /* a client asked again after our answer */
	ND_SYM_CONNTRACK_RACE = 1, /* ... 4.5-5.5 s later: glibc's 5 s retry */
	ND_SYM_TC_WITHOUT_TCP = 2, /* truncated answer, no TCP retry */
	ND_SYM_NO_READY_ENDPOINTS = 3, /* Service name with no ready endpoint */
	ND_SYM_UPSTREAM = 4,	 /* an upstream failed */
	ND_SYM_KINDS = 5,
};

/* "retransmit", "conntrack_race", "tc_without_tcp", "no_ready_endpoints",
 * "upstream"; "unknown" out of range. */
const char *nd_symptom_kind_name(enum nd_symptom_kind k);

/* Tuning; 0 in any field means its default. */
struct nd_symptoms_options {
	size_t max_entries;	   /* tracked queries, sockets and names over
				      all shards; default 65536, at least 64;
				      fixed at creation, never grows */
	uint32_t retransmit_window_ms; /* a repeat this long after our answer
					  still counts; default 10000 */
	uint32_t race_min_ms;	   /* conntrack race: repeat this long after
				      the first try or more; default 4500 */
	uint32_t race_max_ms;	   /* ... and at most this; default 5500 */
	uint32_t pair_window_us;   /* A and AAAA this close from one socket
				      count as sent together; default 1000 */
	uint32_t tc_window_ms;	   /* a TCP retry after a truncated answer
				      must arrive within; default 3000 */
	uint32_t tc_decide_lag_ms; /* extra wait before deciding "no TCP",
				      because a query is observed only once
				      answered; default 5000 (longer than the
				      default whole-query timeout) */
	uint32_t name_log_interval_s; /* one no-ready-endpoints line per name
					 per this; default 60 */
	uint32_t upstream_log_interval_s; /* one line per upstream and outcome
					     per this; default 30 */
	uint32_t log_lines_per_min; /* per kind, also the burst; default 5 */
	size_t ring_size;	   /* events kept for /debug; default 100 */
};

/* Counters, read without stopping the workers (each value whole). */
struct nd_symptoms_stats {
	uint64_t client_retransmits; /* repeats after our answer, races too */
	uint64_t conntrack_races;    /* repeats in the race window */
	uint64_t tc_without_tcp;     /* truncated, no TCP retry in time */
	uint64_t tc_followed;	     /* truncated, TCP retry in time */
	uint64_t tc_pending;	     /* truncated answers still waiting */
	uint64_t no_ready_endpoints; /* NOERROR for a Service with none ready */
	uint64_t upstream_failures[ND_UP_OUTCOMES]; /* by outcome; [ND_UP_OK]
						       stays 0 */
	uint64_t log_lines[ND_SYM_KINDS];  /* lines let through the limiter
					      (whatever nd_log_threshold) */
	uint64_t log_suppressed[ND_SYM_KINDS]; /* lines the limiter held back */
	uint64_t evictions;	     /* live entries overwritten by new ones */
	uint64_t tc_evictions;	     /* truncated answers dropped undecided
				        (pending table full) */
	size_t max_entries;	     /* table slots (after rounding down) */
};

/* Longest name text (\DDD escapes included) and message, with the NUL. */
#define ND_SYMPTOM_NAME_TEXT 1024
#define ND_SYMPTOM_MSG_TEXT 1024

/* One sign as the /debug ring keeps it. */
struct nd_symptom_event {
	uint64_t time_us;	   /* monotonic, as the caller passed it in */
	enum nd_symptom_kind kind;
	char client[ND_ADDR_STRLEN]; /* "10.0.0.5:41234"; the address only for
					tc_without_tcp; "" for upstream */
	char upstream[ND_ADDR_STRLEN]; /* upstream kind: as the caller named
					  it; "" otherwise */
	char name[ND_SYMPTOM_NAME_TEXT]; /* query name ("web.default.svc.
					   cluster.local."); "" for upstream */
	char type[16];		   /* query type ("AAAA"), or the upstream
				      outcome ("timeout") */
	char message[ND_SYMPTOM_MSG_TEXT]; /* the log line's text: what it
					     likely means, what to check */
};

/*
 * Create the tracker; o NULL means every default.
 * All memory is allocated here: observing never allocates.
 * Returns NULL on allocation failure or bad options (max_entries below
 * 64, race_min_ms > race_max_ms).
 */
struct nd_symptoms *nd_symptoms_new(const struct nd_symptoms_options *o);

/* Free s and everything it holds; NULL is fine. No call may be running. */
void nd_symptoms_free(struct nd_symptoms *s);

/*
 * Look at one answered query. Called by every worker after each answer;
 * thread-safe, takes one shard lock briefly (two with a no-ready-endpoints
 * name), allocates nothing, logs only when a sign fires (rate-limited).
 * Events without a client address (AF_INET/AF_INET6) or question are
 * ignored. s NULL or ev NULL: nothing happens.
 */
void nd_symptoms_observe(struct nd_symptoms *s, const struct nd_query_event *ev);

/*
 * Decide the signs that show by absence: truncated answers whose TCP
 * retry never came. Called every ~250 ms by one thread (the control
 * thread); safe against concurrent nd_symptoms_observe().
 * now_us: the monotonic clock, same base as the events' recv_us.
 */
void nd_symptoms_tick(struct nd_symptoms *s, uint64_t now_us);

/*
 * An upstream attempt failed. Counts it by outcome and logs what the
 * outcome usually means, at most once per upstream and outcome per
 * upstream_log_interval_s (and within the per-kind limit). Thread-safe.
 * upstream: its address as text ("10.0.0.10:53"), borrowed; NULL = "-".
 * outcome: an enum nd_upstream_outcome; ND_UP_OK and values out of range
 * are ignored.
 */
void nd_symptoms_upstream_failure(struct nd_symptoms *s, const char *upstream,
				 int outcome, uint64_t now_us);

/* Copy the counters into out. Returns 0 or -EINVAL (NULL argument). */
int nd_symptoms_get_stats(const struct nd_symptoms *s,
			 struct nd_symptoms_stats *out);

/*
 * Copy up to max of the most recent signal events into out, oldest first.
 * Thread-safe (a short lock while copying). *n: how many were copied.
 * Returns 0 or -EINVAL (NULL s, n, or out with max > 0).
 */
int nd_symptoms_recent(struct nd_symptoms *s, struct nd_symptom_event *out,
		      size_t max, size_t *n);

/*
 * Append the nodedns_signal_* families (HELP, TYPE, samples) in the
 * Prometheus text format to the malloc'd buffer *text of *len bytes.
 * *text may be NULL (with *len 0) to start a new buffer. On success *text
 * is reallocated as needed, NUL-terminated, and *len is its new length;
 * the caller frees it. On failure *len and the text are as they were,
 * though *text may have moved (util/prom.h).
 * Returns 0, -ENOMEM or -EINVAL (NULL argument, *text NULL with *len > 0).
 */
int nd_symptoms_render_metrics(const struct nd_symptoms *s, char **text,
			      size_t *len);

/*
 * The counters and the ring of recent signal events (oldest first), as
 * {"counters":{...},"events":[{"time","age_s","kind","client","name",
 * "type","message"}, ...]}: time is the event's wall-clock time (RFC 3339,
 * UTC), age_s how long before now_us it happened (tenths of a second).
 * now_us: the monotonic clock of the events; now_wall_ms: the wall clock
 * (ms since the epoch) read at the same moment.
 * json: receives a malloc'd NUL-terminated string; free() it.
 * Returns 0, -ENOMEM or -EINVAL.
 */
int nd_symptoms_render_json(struct nd_symptoms *s, uint64_t now_us,
			    uint64_t now_wall_ms, char **json);

#endif /* RESOLVER_DIAG_SYMPTOMS_H */
