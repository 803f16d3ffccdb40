/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_config.c - a config file's bytes (-c FILE) through
 * nd_config_parse_file() (from a memfd, as it reads a path), then, when
 * it parses, nd_config_finalize() with a fixed resolv.conf. Checks that a
 * refusal says FILE:LINE: and why, and that what is taken stays within
 * the struct's bounds. Paths the file names are kept but not opened
 * (the kube-dns ConfigMap directory is dropped before finalize).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config.h"
#include "tests/fuzz/fuzz.h"
#include "util/errors.h"
#include "util/log.h"

/* A resolv.conf for finalize, so it reads nothing of this machine. */
static const char *resolv_path(void)
{
	static const char text[] = "nameserver 127.0.0.53\n"
				   "search example.com svc.example.org\n"
				   "options ndots:5\n";
	static char path[64];
	int fd;

	if (path[0] != '\0')
		return path;
	fd = memfd_create("fuzz-resolv", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return path;
}

static void check_bounds(const struct nd_config *c)
{
	CHECK(c->n_listen <= ND_MAX_LISTEN);
	CHECK(c->n_upstreams <= ND_MAX_UPSTREAMS);
	CHECK(c->n_allow <= ND_MAX_ALLOW);
	CHECK(c->n_zones <= ND_MAX_FORWARD_ZONES);
	for (size_t i = 0; i < c->n_zones; i++) {
		CHECK(c->zones[i].n_upstreams >= 1 &&
		      c->zones[i].n_upstreams <= ND_MAX_ZONE_UPSTREAMS);
		CHECK(memchr(c->zones[i].name, '\0',
			     sizeof(c->zones[i].name)) != NULL);
		CHECK(c->zones[i].wire_len <= sizeof(c->zones[i].wire));
	}
	CHECK(memchr(c->cluster_domain, '\0', sizeof(c->cluster_domain)));
	CHECK(c->n_search_suffixes <= ND_MAX_SEARCH_SUFFIXES);
	for (size_t i = 0; i < c->n_search_suffixes; i++)
		CHECK(memchr(c->search_suffixes[i], '\0',
			     sizeof(c->search_suffixes[i])) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct nd_config c;
	char err[ND_CONFIG_ERRLEN], prefix[80];
	int rc;

	if (path == NULL)
		return 0;
	nd_log_set_level(ND_LOG_ERROR);
	nd_config_init(&c);
	memset(err, 'x', sizeof(err));
	rc = nd_config_parse_file(&c, path, err, sizeof(err));
	check_bounds(&c);
	if (rc != 0) {
		CHECK(rc == ND_EPARSE || rc == -ENOMEM ||
		      (rc < 0 && rc > -4096));
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		snprintf(prefix, sizeof(prefix), "%s:", path);
		CHECK(strncmp(err, prefix, strlen(prefix)) == 0);
		if (rc == ND_EPARSE) {
			/* "FILE:LINE: reason" */
			const char *p = err + strlen(prefix);
			char *end;
			long line = strtol(p, &end, 10);

			CHECK(line >= 1 && end[0] == ':' && end[1] == ' ' &&
			      end[2] != '\0');
		}
		nd_config_deinit(&c);
		return 0;
	}
	CHECK(c.n_file_options <= size);
	free(c.resolv_conf);
	c.resolv_conf = strdup(resolv_path());
	CHECK(c.resolv_conf != NULL);
	free(c.kube_dns_dir);
	c.kube_dns_dir = NULL;
	memset(err, 'x', sizeof(err));
	rc = nd_config_finalize(&c, err, sizeof(err));
	check_bounds(&c);
	if (rc == 0) {
		CHECK(c.n_upstreams >= 1 || c.n_zones >= 1);
		CHECK(c.query_timeout_ms >= c.upstream_timeout_ms);
		CHECK(c.cache_min_ttl_s <= c.cache_max_ttl_s);
	} else {
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	}
	nd_config_deinit(&c);
	return 0;
}
