/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/upstream_counters.h - per-upstream counters that follow the
 * upstream's address across reloads (the rows and their restarts). */
#ifndef SERVER_UPSTREAM_COUNTERS_H
#define SERVER_UPSTREAM_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

struct nd_daemon;
struct nd_metrics;
struct nd_metrics_gauges;
struct nd_runtime;

struct nd_upstream_counters; /* opaque */

struct nd_upstream_counters *nd_upstream_counters_new(void);
void nd_upstream_counters_free(struct nd_upstream_counters *uc); /* NULL ok */

/*
 * Fill rt->row_of_slot from rt->upstream_names (an address that stays
 * keeps its row; see resolver/upstream_rows.h) and restart from 0 the rows
 * that now belong to another address, summing d's workers (control thread,
 * before rt is published). Returns 0 or -EINVAL.
 */
int nd_upstream_counters_assign(struct nd_upstream_counters *uc,
				struct nd_daemon *d, struct nd_runtime *rt);

/* The values to subtract from the workers' sums (nd_metrics_sum). */
const struct nd_metrics *
nd_upstream_counters_baseline(const struct nd_upstream_counters *uc);

/*
 * The per-upstream part of g for /metrics: each address of rt once (in
 * slot order), its row and smoothed RTT, the baseline. names and rows are
 * the caller's arrays of ND_MAX_UPSTREAM_SLOTS entries that g points into
 * (names borrowed from rt).
 */
void nd_upstream_counters_gauges(const struct nd_upstream_counters *uc,
				 const struct nd_runtime *rt,
				 const char **names, uint8_t *rows,
				 struct nd_metrics_gauges *g);

#endif /* SERVER_UPSTREAM_COUNTERS_H */
