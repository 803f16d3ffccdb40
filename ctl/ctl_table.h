/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* ctl/ctl_table.h - text tables with aligned columns, as kubectl prints them. */
#ifndef CTL_CTL_TABLE_H
#define CTL_CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define ND_CTL_TABLE_MAX_COLS 12

struct nd_ctl_table; /* opaque */

/*
 * A table with the n column headers head[0..n) (copied; n at most
 * ND_CTL_TABLE_MAX_COLS). NULL on bad arguments or out of memory.
 */
struct nd_ctl_table *nd_ctl_table_new(const char *const *head, size_t n);
void nd_ctl_table_free(struct nd_ctl_table *t); /* NULL is fine */

/* Add a row of as many cells as headers (copied; NULL prints "-").
 * Returns 0, -EINVAL or -ENOMEM. */
int nd_ctl_table_add(struct nd_ctl_table *t, const char *const *cells);

/* Rows added so far. */
size_t nd_ctl_table_rows(const struct nd_ctl_table *t);

/*
 * Print the headers and rows to f, each line after indent spaces, each
 * column as wide as its widest cell plus two spaces, the last one
 * unpadded.
 */
void nd_ctl_table_print(const struct nd_ctl_table *t, FILE *f, size_t indent);

#endif /* CTL_CTL_TABLE_H */
