/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/hosts.h - a hosts(5) file as an immutable table of authoritative
 * answers (--hosts-file). */
#ifndef RESOLVER_HOSTS_H
#define RESOLVER_HOSTS_H

#include <stddef.h>
#include <stdint.h>

struct nd_query;

/* Bounds of one file; past any of them the file is refused. */
#define ND_HOSTS_MAX_FILE_BYTES	    (1024u * 1024u) /* bytes of the file */
#define ND_HOSTS_MAX_LINES	    65536u /* lines, comments included */
#define ND_HOSTS_MAX_NAMES_PER_LINE 32u	   /* names (and aliases) per line */
#define ND_HOSTS_MAX_ENTRIES	    65536u /* distinct (name, address) pairs */
#define ND_HOSTS_MAX_ADDRS_PER_NAME 64u /* addresses of one family per name */
#define ND_HOSTS_TTL_DEFAULT_S	    60u /* TTL of every record by default */

/* What nd_hosts_answer() did. */
enum nd_hosts_result {
	ND_HOSTS_NOT_OURS = 0, /* the name is not in the table */
	ND_HOSTS_ANSWERED = 1, /* the answer is in out */
};

/* Where and why a file was refused. */
struct nd_hosts_error {
	unsigned line;	  /* 1-based line; 0 = the file as a whole */
	char reason[192]; /* what is wrong, without the file and line */
};

struct nd_hosts; /* opaque, immutable once parsed */

/*
 * Parse text[0..len) in hosts(5) format: "ADDR NAME [ALIAS...]" lines,
 * '#' to the end of a line is a comment, blank lines are skipped. ADDR
 * is IPv4 or IPv6 (an IPv6 zone "%eth0" is dropped); each name gets A or
 * AAAA records with its addresses in file order (a pair seen again is
 * ignored), and the reverse name of each address answers PTR with the
 * first name listed for that address. Names are absolute and case-
 * insensitive. Every record has TTL ttl_s.
 * *out: the table (owned by the caller: nd_hosts_free), NULL on failure.
 * err: filled on ND_EPARSE (may be NULL).
 * Returns 0, ND_EPARSE (a bad line or a bound passed), -EINVAL, -ENOMEM.
 */
int nd_hosts_parse(const char *text, size_t len, uint32_t ttl_s,
		   struct nd_hosts **out, struct nd_hosts_error *err);

/* Free a table; NULL is fine. Only once no reader can hold it. */
void nd_hosts_free(struct nd_hosts *h);

/* Distinct (name, address) pairs the table holds. */
size_t nd_hosts_entries(const struct nd_hosts *h);

/* Names (forward and reverse) the table answers for. */
size_t nd_hosts_names(const struct nd_hosts *h);

/*
 * Answer q (parsed, class IN) when its name is in the table: A, AAAA or
 * PTR records it holds, else NODATA (NOERROR, no records, as CoreDNS's
 * hosts plugin does); AA=1, the client's ID, RD and question spelling,
 * OPT for EDNS clients. Over limit bytes: TC=1 with the records that fit.
 * A run of A (AAAA) records rotates per answer (dns/answer.h).
 * Allocates nothing, takes no lock: any thread, while h is alive.
 * Returns an nd_hosts_result (*out_len set when ANSWERED), ND_ENOSPACE
 * or -EINVAL.
 */
int nd_hosts_answer(const struct nd_hosts *h, const struct nd_query *q,
		    size_t limit, uint8_t *out, size_t cap, size_t *out_len);

#endif /* RESOLVER_HOSTS_H */
