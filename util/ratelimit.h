/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/ratelimit.h - at most N log lines per interval, shared by every worker without a lock. */
#ifndef UTIL_RATELIMIT_H
#define UTIL_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A token bucket in its GCRA form (the "theoretical arrival time" of the
 * next event): one word of state, updated with compare-and-swap, so the
 * workers that find something worth logging never wait for each other.
 * Used wherever a line per event could flood the log (slow queries,
 * search-list reports, signals). Times are the callers' microsecond
 * clocks; workers may pass times a little behind one another, a late one
 * only finds less room.
 */
struct nd_ratelimit {
	uint64_t tat_us;     /* next event's theoretical arrival (atomic) */
	uint64_t gap_us;     /* one event per gap_us on average */
	uint64_t burst_us;   /* how far ahead tat may run: (burst - 1) gaps */
	uint64_t suppressed; /* refused since the last one allowed (atomic) */
	uint64_t refused;    /* refused in all (atomic), for metrics */
};

/*
 * events per interval_us on average, up to burst at once (burst 0 is
 * taken as 1; events 0 allows nothing).
 */
void nd_ratelimit_init(struct nd_ratelimit *l, uint64_t events,
		       uint64_t interval_us, uint64_t burst);

/*
 * May one more event be logged at now_us? When it may and suppressed is
 * not NULL, *suppressed is the number refused since the last one allowed
 * (for "N similar suppressed"), and that count starts again.
 */
bool nd_ratelimit_allow(struct nd_ratelimit *l, uint64_t now_us,
			uint64_t *suppressed);

/* Events refused since init. */
uint64_t nd_ratelimit_refused(const struct nd_ratelimit *l);

#endif /* UTIL_RATELIMIT_H */
