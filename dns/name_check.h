/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/name_check.h - is this text a DNS name or label we accept: the one validator of presentation names. */
#ifndef DNS_NAME_CHECK_H
#define DNS_NAME_CHECK_H

#include <stddef.h>

/* Flags of nd_dns_name_check(). */
#define ND_NAME_UNDERSCORE 0x1u	  /* '_' in labels (SRV-style owners) */
#define ND_NAME_TRAILING_DOT 0x2u /* "example.com." (absolute) accepted */

/* What is wrong with a name; 0 = nothing. */
enum nd_name_problem {
	ND_NAME_OK = 0,
	ND_NAME_EMPTY = 1,	     /* "" (or "." alone) */
	ND_NAME_TOO_LONG = 2,	     /* over 253 characters */
	ND_NAME_EMPTY_LABEL = 3,     /* "a..b", ".a", "a." without the flag */
	ND_NAME_LABEL_TOO_LONG = 4,  /* a label over 63 characters */
	ND_NAME_BAD_CHAR = 5,	     /* not a letter, digit, '-' (or '_') */
	ND_NAME_HYPHEN_AT_END = 6,   /* a label that starts or ends with '-'
					(labels only, RFC 1123) */
	ND_NAME_UPPER_CASE = 7,	     /* an upper-case letter where the
					Kubernetes API allows lower case only */
	ND_NAME_DIGIT_FIRST = 8,     /* an RFC 1035 label (a Service name)
					that does not start with a letter */
};

/* "empty", "too long", ... for messages. */
const char *nd_name_problem_text(enum nd_name_problem p);

/*
 * Check the presentation name s[0..len): labels of 1-63 letters, digits
 * and '-' (and '_' with ND_NAME_UNDERSCORE), 253 characters in all
 * without the trailing dot (allowed with ND_NAME_TRAILING_DOT). Case is
 * not checked: DNS names are case-insensitive. Returns an
 * nd_name_problem.
 */
enum nd_name_problem nd_dns_name_check(const char *s, size_t len,
				       unsigned flags);

/*
 * Check one RFC 1123 label s[0..len): 1-63 letters, digits and '-', not
 * starting or ending with '-' (the names of Kubernetes objects).
 */
enum nd_name_problem nd_dns_label_check(const char *s, size_t len);

/* Flags of nd_dns_k8s_label_check(). */
#define ND_K8S_RFC1035 0x1u /* a Service name: starts with a letter */

/*
 * Check a name as the Kubernetes API validates it before it stores an
 * object, so that nodedns serves nothing the API would have refused
 * (a broken proxy, a hand-written snapshot): an RFC 1123 label in lower
 * case (IsDNS1123Label: namespaces, port names, hostnames), with
 * ND_K8S_RFC1035 also starting with a letter (IsDNS1035Label: Service
 * names). Returns an nd_name_problem.
 */
enum nd_name_problem nd_dns_k8s_label_check(const char *s, size_t len,
					    unsigned flags);

/*
 * An RFC 1123 subdomain in lower case (IsDNS1123Subdomain: the names of
 * EndpointSlices): 253 characters at most, dot-separated RFC 1123
 * labels. Returns an nd_name_problem.
 */
enum nd_name_problem nd_dns_k8s_subdomain_check(const char *s, size_t len);

#endif /* DNS_NAME_CHECK_H */
