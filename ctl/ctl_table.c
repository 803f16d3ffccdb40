/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "ctl/ctl_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct nd_ctl_table {
	size_t n_cols;
	char **cells;	 /* (n_rows + 1) * n_cols; row 0 is the header */
	size_t n_rows;	 /* data rows */
	size_t cap_rows; /* rows cells has room for, header included */
};

static void free_row(char **row, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(row[i]);
}

void nd_ctl_table_free(struct nd_ctl_table *t)
{
	if (t == NULL)
		return;
	if (t->cells != NULL)
		free_row(t->cells, (t->n_rows + 1) * t->n_cols);
	free(t->cells);
	free(t);
}

static int put_row(struct nd_ctl_table *t, size_t row, const char *const *cells)
{
	char **dst = &t->cells[row * t->n_cols];

	for (size_t i = 0; i < t->n_cols; i++) {
		dst[i] = strdup(cells[i] != NULL ? cells[i] : "-");
		if (dst[i] == NULL) {
			free_row(dst, i);
			return -ENOMEM;
		}
	}
	return 0;
}

struct nd_ctl_table *nd_ctl_table_new(const char *const *head, size_t n)
{
	struct nd_ctl_table *t;

	if (head == NULL || n == 0 || n > ND_CTL_TABLE_MAX_COLS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->n_cols = n;
	t->cap_rows = 16;
	t->cells = calloc(t->cap_rows * n, sizeof(*t->cells));
	if (t->cells == NULL || put_row(t, 0, head) < 0) {
		free(t->cells);
		free(t);
		return NULL;
	}
	return t;
}

int nd_ctl_table_add(struct nd_ctl_table *t, const char *const *cells)
{
	if (t == NULL || cells == NULL)
		return -EINVAL;
	if (t->n_rows + 2 > t->cap_rows) {
		size_t cap = t->cap_rows * 2;
		char **p = realloc(t->cells, cap * t->n_cols * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		t->cells = p;
		t->cap_rows = cap;
	}
	if (put_row(t, t->n_rows + 1, cells) < 0)
		return -ENOMEM;
	t->n_rows++;
	return 0;
}

size_t nd_ctl_table_rows(const struct nd_ctl_table *t)
{
	return t ? t->n_rows : 0;
}

void nd_ctl_table_print(const struct nd_ctl_table *t, FILE *f, size_t indent)
{
	size_t w[ND_CTL_TABLE_MAX_COLS] = {0};

	if (t == NULL || f == NULL)
		return;
	for (size_t r = 0; r <= t->n_rows; r++)
		for (size_t c = 0; c < t->n_cols; c++) {
			size_t len = strlen(t->cells[r * t->n_cols + c]);

			if (len > w[c])
				w[c] = len;
		}
	for (size_t r = 0; r <= t->n_rows; r++) {
		fprintf(f, "%*s", (int)indent, "");
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *s = t->cells[r * t->n_cols + c];

			if (c + 1 == t->n_cols)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)w[c], s);
		}
	}
}
