/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/upstream_rows.h"

#include <errno.h>
#include <string.h>

void nd_upstream_rows_init(struct nd_upstream_rows *r)
{
	if (r != NULL)
		memset(r, 0, sizeof(*r));
}

static int find(const struct nd_upstream_rows *r, const char *name)
{
	for (int i = 0; i < ND_UPSTREAM_ROWS; i++)
		if (r->name[i][0] != '\0' && strcmp(r->name[i], name) == 0)
			return i;
	return -1;
}

static bool listed(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/*
 * A free row: one never used, else the one freed longest ago, so a late
 * increment from an attempt that started before the reload (it counts in
 * the row of the address it was sent to) lands on a row that is, as far
 * as possible, not someone else's yet.
 */
static int free_row(const struct nd_upstream_rows *r)
{
	int best = -1;

	for (int i = 0; i < ND_UPSTREAM_ROWS; i++) {
		if (r->name[i][0] != '\0')
			continue;
		if (r->freed_seq[i] == 0)
			return i;
		if (best < 0 || r->freed_seq[i] < r->freed_seq[best])
			best = i;
	}
	return best;
}

int nd_upstream_rows_assign(struct nd_upstream_rows *r,
			    const char *const *names, size_t n,
			    uint8_t *row_of, bool *fresh)
{
	if (r == NULL || n > ND_UPSTREAM_ROWS || (n > 0 && names == NULL) ||
	    (n > 0 && row_of == NULL))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (names[i] == NULL || names[i][0] == '\0' ||
		    strlen(names[i]) >= ND_ADDR_STRLEN)
			return -EINVAL;
	r->seq++;
	if (fresh != NULL)
		memset(fresh, 0, ND_UPSTREAM_ROWS * sizeof(*fresh));
	/* Free the rows of addresses that went away first, so there is
	 * room for the new ones (n <= ND_UPSTREAM_ROWS). */
	for (int i = 0; i < ND_UPSTREAM_ROWS; i++) {
		if (r->name[i][0] == '\0' || listed(names, n, r->name[i]))
			continue;
		r->name[i][0] = '\0';
		r->freed_seq[i] = r->seq;
	}
	for (size_t i = 0; i < n; i++) {
		int row = find(r, names[i]);

		if (row < 0) {
			row = free_row(r); /* there is one: n rows at most */
			strcpy(r->name[row], names[i]);
			r->freed_seq[row] = r->seq;
			if (fresh != NULL)
				fresh[row] = true;
		}
		row_of[i] = (uint8_t)row;
	}
	return 0;
}
