/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for config/kube_dns.c: the kube-dns ConfigMap's stubDomains and
 * upstreamNameservers into forward zones and upstreams. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/kube_dns.h"
#include "util/errors.h"

static char dir[] = "/tmp/nd_test_kube_dns_XXXXXX";
static char err[1024];

static void put(const char *file, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (text == NULL) {
		unlink(path);
		return;
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/nd_test_kube_dns_XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	put(ND_KUBE_DNS_STUBS, NULL);
	put(ND_KUBE_DNS_UPSTREAMS, NULL);
	rmdir(dir);
	return 0;
}

static void addr_is(const struct sockaddr_storage *ss, const char *want)
{
	char buf[ND_ADDR_STRLEN];

	assert_int_equal(nd_addr_format((const struct sockaddr *)ss, buf,
					sizeof(buf)),
			 0);
	assert_string_equal(buf, want);
}

static void test_read(void **state)
{
	struct nd_config c;

	(void)state;
	put(ND_KUBE_DNS_STUBS,
	    "{\"Acme.Local\": [\"10.0.0.53\", \"10.0.0.54:5353\"],\n"
	    " \"10.in-addr.arpa.\": [\"[fd00::53]:53\"]}");
	put(ND_KUBE_DNS_UPSTREAMS, "[\"192.0.2.1\", \"192.0.2.2:5300\"]");
	nd_config_init(&c);
	assert_int_equal(nd_kube_dns_read(dir, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_zones, 2);
	assert_string_equal(c.zones[0].name, "acme.local");
	assert_int_equal(c.zones[0].n_upstreams, 2);
	addr_is(&c.zones[0].upstreams[1], "10.0.0.54:5353");
	assert_int_equal(c.zones[0].wire_len, 12);
	assert_string_equal(c.zones[1].name, "10.in-addr.arpa");
	addr_is(&c.zones[1].upstreams[0], "[fd00::53]:53");
	assert_int_equal(c.n_upstreams, 2);
	addr_is(&c.upstreams[0], "192.0.2.1:53");
	addr_is(&c.upstreams[1], "192.0.2.2:5300");
	nd_config_deinit(&c);
}

/* --forward-zone and --upstream win; missing files are no error. */
static void test_precedence_and_missing(void **state)
{
	struct nd_config c;

	(void)state;
	nd_config_init(&c);
	assert_int_equal(nd_kube_dns_read(dir, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_zones, 0);
	assert_int_equal(c.n_upstreams, 0);
	nd_config_deinit(&c);

	put(ND_KUBE_DNS_STUBS, "{\"acme.local\": [\"10.0.0.53\"]}");
	put(ND_KUBE_DNS_UPSTREAMS, "[\"192.0.2.1\"]");
	nd_config_init(&c);
	assert_int_equal(nd_config_set(&c, "forward-zone",
				       "acme.local=10.9.9.9", err, sizeof(err)),
			 0);
	assert_int_equal(nd_config_set(&c, "upstream", "192.0.2.99", err,
				       sizeof(err)),
			 0);
	assert_int_equal(nd_kube_dns_read(dir, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_zones, 1);
	addr_is(&c.zones[0].upstreams[0], "10.9.9.9:53");
	assert_int_equal(c.n_upstreams, 1);
	addr_is(&c.upstreams[0], "192.0.2.99:53");
	nd_config_deinit(&c);
}

static void expect_error(const char *stubs, const char *ups,
			 const char *reason)
{
	struct nd_config c;

	put(ND_KUBE_DNS_STUBS, stubs);
	put(ND_KUBE_DNS_UPSTREAMS, ups);
	nd_config_init(&c);
	err[0] = '\0';
	assert_int_equal(nd_kube_dns_read(dir, &c, err, sizeof(err)),
			 ND_EPARSE);
	if (strstr(err, reason) == NULL || strstr(err, dir) == NULL)
		fail_msg("error '%s' lacks '%s' or the path", err, reason);
	nd_config_deinit(&c);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("{not json", NULL, "stubDomains: not a JSON object");
	expect_error("[\"10.0.0.1\"]", NULL, "stubDomains: not a JSON object");
	expect_error("{\"bad..zone\": [\"10.0.0.1\"]}", NULL,
		     "bad zone 'bad..zone'");
	expect_error("{\"acme.local\": \"10.0.0.1\"}", NULL,
		     "zone acme.local: not a list of addresses");
	expect_error("{\"acme.local\": []}", NULL, "zone acme.local: no address");
	expect_error("{\"acme.local\": [\"10.0.0.300\"]}", NULL,
		     "bad address '10.0.0.300'");
	expect_error("{\"acme.local\": [5]}", NULL,
		     "bad address (not a string)");
	expect_error("{\"acme.local\": [\"10.0.0.1\", \"10.0.0.2\", "
		     "\"10.0.0.3\", \"10.0.0.4\", \"10.0.0.5\"]}",
		     NULL, "at most 4 addresses");
	expect_error(NULL, "not json", "upstreamNameservers: not JSON");
	expect_error(NULL, "{\"a\": 1}",
		     "upstreamNameservers: not a list of addresses");
	expect_error(NULL, "[\"0.0.0.0\"]", "bad address '0.0.0.0'");
	assert_int_equal(nd_kube_dns_read(NULL, NULL, err, sizeof(err)),
			 -EINVAL);
}

static void test_signature(void **state)
{
	uint64_t s0, s1, s2;

	(void)state;
	assert_int_equal(nd_kube_dns_signature(dir), 0);
	put(ND_KUBE_DNS_STUBS, "{}");
	s0 = nd_kube_dns_signature(dir);
	assert_int_not_equal(s0, 0);
	assert_int_equal(nd_kube_dns_signature(dir), s0);
	/* a new file (as the ConfigMap's ..data swap makes) */
	put(ND_KUBE_DNS_STUBS, NULL);
	put(ND_KUBE_DNS_STUBS, "{\"a.local\": [\"10.0.0.1\"]}");
	s1 = nd_kube_dns_signature(dir);
	assert_int_not_equal(s1, s0);
	put(ND_KUBE_DNS_UPSTREAMS, "[]");
	s2 = nd_kube_dns_signature(dir);
	assert_int_not_equal(s2, s1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence_and_missing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
