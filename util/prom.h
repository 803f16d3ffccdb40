/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/prom.h - the Prometheus text exposition format (0.0.4): families, samples with escaped labels, histograms, into a growing buffer. */
#ifndef UTIL_PROM_H
#define UTIL_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A text being written. Writes never fail one by one: an allocation that
 * fails marks the buffer, later writes do nothing, and nd_prom_finish()
 * says so once. Zero-initialise it (or nd_prom_attach() a text to go on).
 */
struct nd_prom {
	char *p;	/* malloc'd, NUL-terminated when not NULL */
	size_t len;	/* bytes written, without the NUL */
	size_t cap;	/* bytes allocated */
	size_t start;	/* len when attached: restored on failure */
	bool failed;	/* an allocation failed */
};

/* One label; value is escaped when written (\\, \", \n). */
struct nd_prom_label {
	const char *key;   /* a label name: written as is */
	const char *value; /* any text */
};

/*
 * A histogram's observations: n_bounds upper bounds in microseconds
 * (written as exact decimal seconds), n_bounds + 1 non-cumulative bucket
 * counts (the last one +Inf), and the sum. _count and the +Inf bucket
 * print the larger of count and the buckets' total, as the format wants
 * them equal while writers may be half-way through an observation.
 */
struct nd_prom_hist {
	const uint32_t *bounds_us; /* ascending */
	size_t n_bounds;
	const uint64_t *bucket;	   /* n_bounds + 1 counts */
	uint64_t count;		   /* observations; 0 = the buckets' total */
	uint64_t sum_us;	   /* their sum, microseconds */
	unsigned sum_decimals;	   /* 0: the sum as exact seconds
				      ("0.25"); 1..6: with exactly that
				      many decimals ("0.250") */
};

/*
 * Go on writing after the len bytes of text (malloc'd and NUL-terminated,
 * or NULL with len 0); the buffer takes it over until nd_prom_finish().
 */
void nd_prom_attach(struct nd_prom *b, char *text, size_t len);

/*
 * Hand the text back: *text and *len are set to the buffer (which may
 * have moved). Returns 0, or -ENOMEM when a write failed: then the text
 * is cut back to what was attached (nothing written counts), still
 * handed back. The buffer is empty afterwards.
 */
int nd_prom_finish(struct nd_prom *b, char **text, size_t *len);

/* "# HELP name help\n# TYPE name type\n". type: counter, gauge,
 * histogram. help: written as is (no newline in it). */
void nd_prom_family(struct nd_prom *b, const char *name, const char *type,
		    const char *help);

/* name{k="v",...} value; n 0 (labels may be NULL): no braces. */
void nd_prom_sample(struct nd_prom *b, const char *name,
		    const struct nd_prom_label *labels, size_t n, uint64_t v);

/* The same with microseconds written as exact decimal seconds. */
void nd_prom_sample_seconds(struct nd_prom *b, const char *name,
			    const struct nd_prom_label *labels, size_t n,
			    uint64_t us);

/* The same with the value already written as text ("-1", "0.125"). */
void nd_prom_sample_text(struct nd_prom *b, const char *name,
			 const struct nd_prom_label *labels, size_t n,
			 const char *value);

/* A histogram's sample lines: name_bucket{labels,le="..."}, name_sum,
 * name_count (the family line is nd_prom_family's). */
void nd_prom_histogram(struct nd_prom *b, const char *name,
		       const struct nd_prom_label *labels, size_t n,
		       const struct nd_prom_hist *h);

/* Append n bytes of text already in the format (whole lines). */
void nd_prom_raw(struct nd_prom *b, const char *text, size_t n);

/*
 * Microseconds as decimal seconds into buf (at least 32 bytes), with
 * integer arithmetic so bounds and sums print exactly: decimals 0 = the
 * shortest exact form ("0.00005", "2.5", "1"), 1..6 = that many
 * decimals ("1.200"). Returns buf.
 */
const char *nd_prom_seconds_text(uint64_t us, unsigned decimals, char *buf,
				 size_t cap);

#endif /* UTIL_PROM_H */
