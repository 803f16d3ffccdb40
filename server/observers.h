/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/observers.h - hand each finished query to the diagnostic features. */
#ifndef SERVER_OBSERVERS_H
#define SERVER_OBSERVERS_H

#include <stddef.h>
#include <stdint.h>

struct nd_daemon;
struct nd_query_event;

/*
 * Called by a worker after every answer: the search-list tracker, the
 * signals and the slow-query log see it (each only when enabled). Any
 * worker thread.
 */
void nd_observers_run(struct nd_daemon *d, const struct nd_query_event *ev);

/* Start the diagnostic features from d->cfg (start-up; fatal errors are
 * logged and returned). */
int nd_observers_start(struct nd_daemon *d);

/* Decisions that need time to pass (idle chains, TC never followed by
 * TCP); the control thread calls this every ND_OBSERVERS_TICK_MS. */
#define ND_OBSERVERS_TICK_MS 250
void nd_observers_tick(struct nd_daemon *d, uint64_t now_us);

/* Append the diagnostic features' metric families to *text (malloc'd,
 * *len bytes); 0 or -ENOMEM (then the text is as it was, though *text
 * may have moved). */
int nd_observers_render_metrics(struct nd_daemon *d, char **text,
				size_t *len);

/* Start the observers' own threads (the query log's writer): after the
 * privilege drop, so they hold nothing the process gave up. */
int nd_observers_start_threads(struct nd_daemon *d);

/* Take the settings SIGHUP may change (--query-log and its sample)
 * from d->cfg; control thread. */
void nd_observers_reload(struct nd_daemon *d);

/* The query log's lines written and dropped since start. */
void nd_observers_query_log_counts(uint64_t *written, uint64_t *dropped);

/* Free what nd_observers_start made. */
void nd_observers_stop(struct nd_daemon *d);

#endif /* SERVER_OBSERVERS_H */
