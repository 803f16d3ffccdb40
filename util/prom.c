/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/prom.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_FIRST_CAP 4096

/* Room for more bytes and the NUL. */
static bool reserve(struct nd_prom *b, size_t more)
{
	size_t cap;
	char *np;

	if (b->failed)
		return false;
	if (b->p != NULL && more < b->cap - b->len)
		return true;
	cap = b->cap ? b->cap : PROM_FIRST_CAP;
	while (more >= cap - b->len) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	np = realloc(b->p, cap);
	if (np == NULL)
		goto fail;
	b->p = np;
	b->cap = cap;
	return true;
fail:
	b->failed = true;
	return false;
}

static void add(struct nd_prom *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void add_str(struct nd_prom *b, const char *s)
{
	add(b, s, strlen(s));
}

static void add_u64(struct nd_prom *b, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	add(b, num, (size_t)n);
}

void nd_prom_attach(struct nd_prom *b, char *text, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->p = text;
	b->len = text != NULL ? len : 0;
	b->cap = text != NULL ? len + 1 : 0;
	b->start = b->len;
}

int nd_prom_finish(struct nd_prom *b, char **text, size_t *len)
{
	int rc = 0;

	if (b->failed) {
		/* Cut back to what was attached: a half-written family
		 * would break the whole scrape. */
		b->len = b->start;
		if (b->p != NULL)
			b->p[b->len] = '\0';
		rc = -ENOMEM;
	}
	*text = b->p;
	*len = b->len;
	memset(b, 0, sizeof(*b));
	return rc;
}

void nd_prom_raw(struct nd_prom *b, const char *text, size_t n)
{
	add(b, text, n);
}

void nd_prom_family(struct nd_prom *b, const char *name, const char *type,
		    const char *help)
{
	add_str(b, "# HELP ");
	add_str(b, name);
	add_str(b, " ");
	add_str(b, help);
	add_str(b, "\n# TYPE ");
	add_str(b, name);
	add_str(b, " ");
	add_str(b, type);
	add_str(b, "\n");
}

/* A label value, escaped as the text format requires. */
static void label_value(struct nd_prom *b, const char *v)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '\\':
			add(b, "\\\\", 2);
			break;
		case '"':
			add(b, "\\\"", 2);
			break;
		case '\n':
			add(b, "\\n", 2);
			break;
		default:
			add(b, v, 1);
			break;
		}
	}
}

/* name + suffix + {labels[,le="le"]}; no braces when there is nothing. */
static void series(struct nd_prom *b, const char *name, const char *suffix,
		   const struct nd_prom_label *labels, size_t n, const char *le)
{
	add_str(b, name);
	add_str(b, suffix);
	if (n == 0 && le == NULL)
		return;
	add_str(b, "{");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			add_str(b, ",");
		add_str(b, labels[i].key);
		add_str(b, "=\"");
		label_value(b, labels[i].value ? labels[i].value : "");
		add_str(b, "\"");
	}
	if (le != NULL) {
		add_str(b, n > 0 ? ",le=\"" : "le=\"");
		add_str(b, le);
		add_str(b, "\"");
	}
	add_str(b, "}");
}

void nd_prom_sample_text(struct nd_prom *b, const char *name,
			 const struct nd_prom_label *labels, size_t n,
			 const char *value)
{
	series(b, name, "", labels, n, NULL);
	add_str(b, " ");
	add_str(b, value);
	add_str(b, "\n");
}

void nd_prom_sample(struct nd_prom *b, const char *name,
		    const struct nd_prom_label *labels, size_t n, uint64_t v)
{
	series(b, name, "", labels, n, NULL);
	add_str(b, " ");
	add_u64(b, v);
	add_str(b, "\n");
}

void nd_prom_sample_seconds(struct nd_prom *b, const char *name,
			    const struct nd_prom_label *labels, size_t n,
			    uint64_t us)
{
	char s[32];

	nd_prom_sample_text(b, name, labels, n,
			    nd_prom_seconds_text(us, 0, s, sizeof(s)));
}

void nd_prom_histogram(struct nd_prom *b, const char *name,
		       const struct nd_prom_label *labels, size_t n,
		       const struct nd_prom_hist *h)
{
	uint64_t cum = 0;
	char s[32];

	for (size_t i = 0; i < h->n_bounds; i++) {
		cum += h->bucket[i];
		series(b, name, "_bucket", labels, n,
		       nd_prom_seconds_text(h->bounds_us[i], 0, s, sizeof(s)));
		add_str(b, " ");
		add_u64(b, cum);
		add_str(b, "\n");
	}
	cum += h->bucket[h->n_bounds];
	if (h->count > cum)
		cum = h->count;
	series(b, name, "_bucket", labels, n, "+Inf");
	add_str(b, " ");
	add_u64(b, cum);
	add_str(b, "\n");
	series(b, name, "_sum", labels, n, NULL);
	add_str(b, " ");
	add_str(b, nd_prom_seconds_text(h->sum_us, h->sum_decimals, s,
					sizeof(s)));
	add_str(b, "\n");
	series(b, name, "_count", labels, n, NULL);
	add_str(b, " ");
	add_u64(b, cum);
	add_str(b, "\n");
}

const char *nd_prom_seconds_text(uint64_t us, unsigned decimals, char *buf,
				 size_t cap)
{
	char frac[8];
	int n;

	if (decimals > 6)
		decimals = 6;
	n = snprintf(frac, sizeof(frac), "%06u", (unsigned)(us % 1000000));
	if (decimals > 0) {
		frac[decimals] = '\0';
	} else {
		while (n > 0 && frac[n - 1] == '0')
			n--;
		frac[n] = '\0';
	}
	if (frac[0] == '\0')
		snprintf(buf, cap, "%" PRIu64, us / 1000000);
	else
		snprintf(buf, cap, "%" PRIu64 ".%s", us / 1000000, frac);
	return buf;
}
