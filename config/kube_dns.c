/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "config/kube_dns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "dns/name_check.h"
#include "dns/wire.h"
#include "util/addr.h"
#include "util/errors.h"

/* The file's text (malloc'd, NUL-terminated) in *out; NULL when the file
 * does not exist. Returns 0, ND_EPARSE (too large) or -errno. */
static int slurp(const char *path, char **out)
{
	struct stat st;
	FILE *f;
	char *buf;
	size_t n;

	*out = NULL;
	f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fileno(f), &st) != 0 || st.st_size > ND_KUBE_DNS_MAX_FILE) {
		fclose(f);
		return ND_EPARSE;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* "ADDR[:PORT]" strings of a JSON array into list (at most max). */
static int addrs_of(const cJSON *arr, struct sockaddr_storage *list,
		    size_t *n, size_t max, const char *what, char *err,
		    size_t errlen)
{
	const cJSON *it;

	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, "%s: not a list of addresses", what);
		return ND_EPARSE;
	}
	cJSON_ArrayForEach(it, arr)
	{
		struct sockaddr_storage ss;

		if (!cJSON_IsString(it) ||
		    nd_addr_parse(it->valuestring, ND_DNS_PORT, &ss, NULL) != 0 ||
		    nd_addr_is_any((struct sockaddr *)&ss)) {
			snprintf(err, errlen, "%s: bad address %s%.64s%s", what,
				 cJSON_IsString(it) ? "'" : "",
				 cJSON_IsString(it) ? it->valuestring
						    : "(not a string)",
				 cJSON_IsString(it) ? "'" : "");
			return ND_EPARSE;
		}
		if (*n >= max) {
			snprintf(err, errlen, "%s: at most %zu addresses", what,
				 max);
			return ND_EPARSE;
		}
		list[(*n)++] = ss;
	}
	if (*n == 0) {
		snprintf(err, errlen, "%s: no address", what);
		return ND_EPARSE;
	}
	return 0;
}

static int read_stubs(const char *path, const char *text, struct nd_config *c,
		      char *err, size_t errlen)
{
	cJSON *doc = cJSON_Parse(text), *it;
	char what[4096 + 300];
	int rc = 0;

	if (!cJSON_IsObject(doc)) {
		snprintf(err, errlen, "%s: not a JSON object of zones", path);
		cJSON_Delete(doc);
		return ND_EPARSE;
	}
	cJSON_ArrayForEach(it, doc)
	{
		const char *name = it->string;
		struct nd_forward_zone z;
		size_t len = strlen(name);
		bool is_dup = false;
		int n;

		memset(&z, 0, sizeof(z));
		if (nd_dns_name_check(name, len, ND_NAME_TRAILING_DOT) !=
			    ND_NAME_OK ||
		    len >= sizeof(z.name)) {
			snprintf(err, errlen, "%s: bad zone '%.64s'", path,
				 name);
			rc = ND_EPARSE;
			break;
		}
		for (size_t i = 0; i < len; i++)
			z.name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'
						   ? name[i] - 'A' + 'a'
						   : name[i]);
		if (len > 1 && z.name[len - 1] == '.')
			z.name[len - 1] = '\0';
		n = nd_dns_name_from_text(z.name, z.wire, sizeof(z.wire));
		if (n <= 0) {
			snprintf(err, errlen, "%s: bad zone '%.64s'", path,
				 name);
			rc = ND_EPARSE;
			break;
		}
		z.wire_len = (size_t)n;
		snprintf(what, sizeof(what), "%s: zone %s", path, z.name);
		rc = addrs_of(it, z.upstreams, &z.n_upstreams,
			      ND_MAX_ZONE_UPSTREAMS, what, err, errlen);
		if (rc != 0)
			break;
		/* --forward-zone said it first: it wins. */
		for (size_t i = 0; i < c->n_zones; i++)
			if (strcmp(c->zones[i].name, z.name) == 0)
				is_dup = true;
		if (is_dup)
			continue;
		if (c->n_zones >= ND_MAX_FORWARD_ZONES) {
			snprintf(err, errlen, "%s: more than %d forward zones "
				 "in all", path, ND_MAX_FORWARD_ZONES);
			rc = ND_EPARSE;
			break;
		}
		c->zones[c->n_zones++] = z;
	}
	cJSON_Delete(doc);
	return rc;
}

/* DIR/name into *text (NULL: no such file), its path in path; err says
 * "PATH: reason" on failure. */
static int read_file(const char *dir, const char *name, char *path,
		     size_t cap, char **text, char *err, size_t errlen)
{
	int rc;

	snprintf(path, cap, "%s/%s", dir, name);
	rc = slurp(path, text);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path,
			 rc == ND_EPARSE ? "larger than 1 MiB" : nd_strerror(rc));
	return rc;
}

int nd_kube_dns_read(const char *dir, struct nd_config *c, char *err,
		     size_t errlen)
{
	char path[4096], *text;
	int rc;

	if (dir == NULL || c == NULL || err == NULL)
		return -EINVAL;
	rc = read_file(dir, ND_KUBE_DNS_STUBS, path, sizeof(path), &text, err,
		       errlen);
	if (rc != 0)
		return rc;
	if (text != NULL) {
		rc = read_stubs(path, text, c, err, errlen);
		free(text);
		if (rc != 0)
			return rc;
	}
	rc = read_file(dir, ND_KUBE_DNS_UPSTREAMS, path, sizeof(path), &text,
		       err, errlen);
	if (rc != 0)
		return rc;
	if (text != NULL) {
		cJSON *doc = cJSON_Parse(text);
		struct sockaddr_storage ups[ND_MAX_UPSTREAMS];
		size_t n = 0;

		free(text);
		if (doc == NULL) {
			snprintf(err, errlen, "%s: not JSON", path);
			return ND_EPARSE;
		}
		rc = addrs_of(doc, ups, &n, ND_MAX_UPSTREAMS, path, err,
			      errlen);
		cJSON_Delete(doc);
		if (rc != 0)
			return rc;
		/* --upstream given: it wins, as the command line does. */
		if (c->n_upstreams == 0) {
			memcpy(c->upstreams, ups, n * sizeof(ups[0]));
			c->n_upstreams = n;
		}
	}
	return 0;
}

uint64_t nd_kube_dns_signature(const char *dir)
{
	static const char *const files[] = { ND_KUBE_DNS_STUBS,
					     ND_KUBE_DNS_UPSTREAMS };
	uint64_t h = 0;

	if (dir == NULL)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		/* stat follows the ..data symlink a ConfigMap mount swaps. */
		if (stat(path, &st) != 0)
			continue;
		h = h * 1000003u ^ (uint64_t)st.st_ino;
		h = h * 1000003u ^ (uint64_t)st.st_size;
		h = h * 1000003u ^ (uint64_t)st.st_mtim.tv_sec;
		h = h * 1000003u ^ (uint64_t)st.st_mtim.tv_nsec;
		h |= 1; /* a file is there */
	}
	return h;
}
