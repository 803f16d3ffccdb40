/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/query_log.h - the sampled query log (--query-log): workers append lines to a buffer of their own, one thread writes them out. */
#ifndef SERVER_QUERY_LOG_H
#define SERVER_QUERY_LOG_H

#include <stdbool.h>
#include <stdint.h>

struct nd_query_event;
struct nd_query_log;

/* Bytes of lines one worker may have waiting; past it lines are dropped. */
#define ND_QUERY_LOG_RING_BYTES (64 * 1024)

/*
 * Create the log (off). max_threads: how many threads may record (each
 * takes a buffer at its first query; a thread past that count records
 * nothing and counts a drop). Returns NULL on failure (nothing left
 * behind).
 */
struct nd_query_log *nd_query_log_new(unsigned max_threads);

/*
 * Start the writer thread. Call it after the privilege drop: a thread
 * keeps the capabilities it was created with (they are per thread).
 * Returns 0 or -errno; a second call does nothing.
 */
int nd_query_log_start(struct nd_query_log *q);

/* Stop the writer after it wrote what is waiting; free. NULL is fine. */
void nd_query_log_free(struct nd_query_log *q);

/* On/off and 1-in-sample (>= 1); any thread, takes effect at once. */
void nd_query_log_set(struct nd_query_log *q, bool is_on, uint32_t sample);

/*
 * One answered query, from the worker that answered it: counted for the
 * sample, formatted (text or JSON as the log is) and copied into this
 * thread's buffer. Never blocks, never allocates but once per thread.
 * upstream: the answering upstream's "addr:port" or NULL (borrowed).
 */
void nd_query_log_record(struct nd_query_log *q,
			 const struct nd_query_event *ev,
			 const char *upstream);

/* Is the query log on (--query-log)? One relaxed load: the workers ask
 * before they gather what a line needs. */
bool nd_query_log_is_on(const struct nd_query_log *q);

/* Lines written out, and lines dropped (buffer full), since start. */
uint64_t nd_query_log_written(const struct nd_query_log *q);
uint64_t nd_query_log_dropped(const struct nd_query_log *q);

#endif /* SERVER_QUERY_LOG_H */
