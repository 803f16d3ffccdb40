/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/upstream_rows.h - which per-upstream counter row each upstream
 * address owns, kept across reloads. */
#ifndef RESOLVER_UPSTREAM_ROWS_H
#define RESOLVER_UPSTREAM_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/addr.h"

/*
 * A counter belongs to an upstream address, not to its place in the list:
 * the per-upstream counters of struct nd_metrics are indexed by a row, and
 * this table gives each address in use its row. A reload that keeps an
 * address keeps its row (so its counts); a new address gets a free row
 * (never used rows first, then the one freed longest ago) and the caller
 * restarts that row from 0; a removed address frees its row and its series
 * disappear. The same address in two sets (the default upstreams and a
 * forward zone) shares one row. One writer (the control thread).
 */
#define ND_UPSTREAM_ROWS ND_MAX_UPSTREAM_SLOTS

struct nd_upstream_rows {
	char name[ND_UPSTREAM_ROWS][ND_ADDR_STRLEN]; /* "addr:port"; "" = free */
	uint64_t freed_seq[ND_UPSTREAM_ROWS]; /* assign call that freed it;
						 0 = never used */
	uint64_t seq;			      /* assign calls so far */
};

/* An empty table (every row free and never used). */
void nd_upstream_rows_init(struct nd_upstream_rows *r);

/*
 * Give each of names[0..n) (the "addr:port" of each counter slot, in slot
 * order; repeats allowed) a row: row_of[i] receives the row of names[i].
 * Rows of addresses not in names are freed. fresh[row] is set true for each
 * row that now belongs to an address it did not belong to before the call
 * (the caller restarts its counters from 0), false otherwise; fresh may be
 * NULL. Returns 0, -EINVAL (a NULL argument, an empty name, n too large).
 */
int nd_upstream_rows_assign(struct nd_upstream_rows *r,
			    const char *const *names, size_t n,
			    uint8_t *row_of, bool *fresh);

#endif /* RESOLVER_UPSTREAM_ROWS_H */
