/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/edns_opts.h - checking the options of a query's OPT record. */
#ifndef DNS_EDNS_OPTS_H
#define DNS_EDNS_OPTS_H

#include <stddef.h>
#include <stdint.h>

#define ND_EDNS_OPT_COOKIE 10 /* RFC 7873 */

/*
 * Are the options in an OPT record's RDATA rdata[0..len) well formed?
 * Each option's length must stay within the RDATA (RFC 6891 6.1.2), and
 * a COOKIE must be a client cookie of 8 bytes alone or with a server
 * cookie of 8..32 (RFC 7873 4, 5.2.2: 8 or 16..40 bytes in all).
 * Returns 0, or ND_EMALFORMED (the query gets FORMERR).
 */
int nd_edns_opts_check(const uint8_t *rdata, size_t len);

#endif /* DNS_EDNS_OPTS_H */
