/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "config/resolv_conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name_check.h"
#include "util/addr.h"
#include "util/log.h"

#define DNS_PORT 53

/* One "nameserver ADDR" value as resolv.conf(5) spells it; 0 or -1. */
static int parse_nameserver(const char *tok, struct sockaddr_storage *out)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	struct sockaddr_in *s4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
	char *scope;

	if (strlen(tok) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%s", tok);
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(DNS_PORT);
		return 0;
	}
	scope = strchr(host, '%');
	if (scope != NULL)
		*scope++ = '\0';
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
		return -1;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(DNS_PORT);
	/* A link-local upstream cannot be reached without its interface. */
	if (scope != NULL && *scope != '\0') {
		char *end;
		unsigned long idx = strtoul(scope, &end, 10);

		if (*end != '\0' || end == scope)
			idx = if_nametoindex(scope);
		if (idx <= UINT32_MAX)
			s6->sin6_scope_id = (uint32_t)idx;
	}
	return 0;
}

static void add_nameserver(const char *path, char *p,
			   struct nd_resolv_conf *out)
{
	struct sockaddr_storage ss;
	char *tok = p + strspn(p, " \t");

	tok[strcspn(tok, " \t\r\n#;")] = '\0';
	if (parse_nameserver(tok, &ss) != 0) {
		nd_debug("config", "%s: ignoring nameserver '%s'", path, tok);
		return;
	}
	for (size_t i = 0; i < out->n_ns; i++)
		if (nd_addr_equal((struct sockaddr *)&out->ns[i],
				  (struct sockaddr *)&ss))
			return;
	if (out->n_ns < ND_RESOLV_MAX_NS)
		out->ns[out->n_ns++] = ss;
}

/*
 * A search domain a stub resolver would append: LDH labels (underscore
 * allowed) of 1-63 bytes, 253 in all, no trailing dot (stripped before).
 */
static bool is_domain(const char *s, size_t n)
{
	return nd_dns_name_check(s, n, ND_NAME_UNDERSCORE) == ND_NAME_OK;
}

/* A "search" or "domain" line replaces the list: the last one wins. */
static void set_search(char *p, struct nd_resolv_conf *out)
{
	char *save = NULL;

	out->n_search = 0;
	for (char *tok = strtok_r(p, " \t\r\n", &save);
	     tok != NULL && out->n_search < ND_RESOLV_MAX_SEARCH;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		size_t n = strlen(tok);

		if (tok[0] == '#' || tok[0] == ';')
			break;
		while (n > 0 && tok[n - 1] == '.')
			tok[--n] = '\0';
		if (!is_domain(tok, n))
			continue;
		memcpy(out->search[out->n_search++], tok, n + 1);
	}
}

static void set_options(char *p, struct nd_resolv_conf *out)
{
	char *save = NULL;

	for (char *tok = strtok_r(p, " \t\r\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		char *end;
		unsigned long v;

		if (strncmp(tok, "ndots:", 6) != 0)
			continue;
		v = strtoul(tok + 6, &end, 10);
		if (end == tok + 6 || *end != '\0')
			continue;
		out->ndots = v > ND_RESOLV_NDOTS_MAX ? ND_RESOLV_NDOTS_MAX
						     : (unsigned)v;
	}
}

/* Does line p start with keyword kw and a blank (as glibc requires)? */
static char *keyword(char *p, const char *kw)
{
	size_t n = strlen(kw);

	if (strncmp(p, kw, n) != 0 || (p[n] != ' ' && p[n] != '\t'))
		return NULL;
	return p + n;
}

int nd_resolv_conf_read(const char *path, struct nd_resolv_conf *out)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int rc = 0;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ndots = 1;
	if (path == NULL)
		return -EINVAL;
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		char *p = line + strspn(line, " \t"), *rest;

		if ((rest = keyword(p, "nameserver")) != NULL)
			add_nameserver(path, rest, out);
		else if ((rest = keyword(p, "search")) != NULL ||
			 (rest = keyword(p, "domain")) != NULL)
			set_search(rest, out);
		else if ((rest = keyword(p, "options")) != NULL)
			set_options(rest, out);
	}
	/* getline sets errno only when it fails, as it just did. */
	if (ferror(f))
		rc = errno ? -errno : -EIO;
	free(line);
	fclose(f);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		out->ndots = 1;
		return rc;
	}
	out->is_read = true;
	return 0;
}
