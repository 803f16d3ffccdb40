/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_resolv_conf.c - a resolv.conf's bytes through
 * nd_resolv_conf_read() (from a memfd, as it reads a path). Checks the
 * contract of struct nd_resolv_conf: at most 16 distinct nameservers on
 * port 53, at most 8 search domains that are DNS names without a
 * trailing dot, ndots within glibc's cap.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "config/resolv_conf.h"
#include "dns/name_check.h"
#include "tests/fuzz/fuzz.h"
#include "util/addr.h"

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct nd_resolv_conf rc;

	if (path == NULL)
		return 0;
	CHECK(nd_resolv_conf_read(path, &rc) == 0);
	CHECK(rc.is_read);
	CHECK(rc.n_ns <= ND_RESOLV_MAX_NS);
	for (size_t i = 0; i < rc.n_ns; i++) {
		CHECK(rc.ns[i].ss_family == AF_INET ||
		      rc.ns[i].ss_family == AF_INET6);
		CHECK(port_of(&rc.ns[i]) == 53);
		for (size_t j = 0; j < i; j++)
			CHECK(!nd_addr_equal((struct sockaddr *)&rc.ns[i],
					     (struct sockaddr *)&rc.ns[j]));
	}
	CHECK(rc.n_search <= ND_RESOLV_MAX_SEARCH);
	for (size_t i = 0; i < rc.n_search; i++) {
		const char *s = rc.search[i];
		const char *nul = memchr(s, '\0', ND_RESOLV_NAME_TEXT);

		CHECK(nul != NULL && nul > s && nul[-1] != '.');
		CHECK(nd_dns_name_check(s, (size_t)(nul - s),
					ND_NAME_UNDERSCORE) == ND_NAME_OK);
	}
	CHECK(rc.ndots <= ND_RESOLV_NDOTS_MAX);
	return 0;
}
