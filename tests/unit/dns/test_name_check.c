/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for dns/name_check.c: the one validator of presentation names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns/name_check.h"

#define CHECK(s, f) nd_dns_name_check((s), strlen(s), (f))

static void test_names(void **state)
{
	char label63[64], label64[65], name[300];

	(void)state;
	memset(label63, 'a', 63);
	label63[63] = '\0';
	memset(label64, 'b', 64);
	label64[64] = '\0';
	assert_int_equal(CHECK("cluster.local", 0), ND_NAME_OK);
	assert_int_equal(CHECK("Cluster.Local", 0), ND_NAME_OK);
	assert_int_equal(CHECK("x", 0), ND_NAME_OK);
	assert_int_equal(CHECK("", 0), ND_NAME_EMPTY);
	assert_int_equal(CHECK(".", ND_NAME_TRAILING_DOT), ND_NAME_EMPTY);
	assert_int_equal(CHECK("a..b", 0), ND_NAME_EMPTY_LABEL);
	assert_int_equal(CHECK(".a", 0), ND_NAME_EMPTY_LABEL);
	assert_int_equal(CHECK("a.", 0), ND_NAME_EMPTY_LABEL);
	assert_int_equal(CHECK("a.", ND_NAME_TRAILING_DOT), ND_NAME_OK);
	assert_int_equal(CHECK("a..", ND_NAME_TRAILING_DOT),
			 ND_NAME_EMPTY_LABEL);
	assert_int_equal(CHECK("_http._tcp.x", 0), ND_NAME_BAD_CHAR);
	assert_int_equal(CHECK("_http._tcp.x", ND_NAME_UNDERSCORE), ND_NAME_OK);
	assert_int_equal(CHECK("a b", ND_NAME_UNDERSCORE), ND_NAME_BAD_CHAR);
	assert_int_equal(CHECK("-a.b", 0), ND_NAME_OK); /* labels only */
	assert_int_equal(CHECK(label63, 0), ND_NAME_OK);
	assert_int_equal(CHECK(label64, 0), ND_NAME_LABEL_TOO_LONG);
	/* 3 x 63 + 61 + 3 dots = 253 is the longest; 254 is too long. */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63,
		 label63, label63);
	assert_int_equal(CHECK(name, 0), ND_NAME_OK);
	strcat(name, ".");
	assert_int_equal(CHECK(name, ND_NAME_TRAILING_DOT), ND_NAME_OK);
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label63, label63,
		 label63, label63);
	assert_int_equal(CHECK(name, 0), ND_NAME_TOO_LONG);
	assert_int_equal(nd_dns_name_check(NULL, 0, 0), ND_NAME_EMPTY);
}

static void test_labels(void **state)
{
	(void)state;
	assert_int_equal(nd_dns_label_check("web", 3), ND_NAME_OK);
	assert_int_equal(nd_dns_label_check("web-1", 5), ND_NAME_OK);
	assert_int_equal(nd_dns_label_check("-web", 4), ND_NAME_HYPHEN_AT_END);
	assert_int_equal(nd_dns_label_check("web-", 4), ND_NAME_HYPHEN_AT_END);
	assert_int_equal(nd_dns_label_check("w.b", 3), ND_NAME_BAD_CHAR);
	assert_int_equal(nd_dns_label_check("w_b", 3), ND_NAME_BAD_CHAR);
	assert_int_equal(nd_dns_label_check("", 0), ND_NAME_EMPTY);
	assert_string_equal(nd_name_problem_text(ND_NAME_EMPTY_LABEL),
			    "empty label");
	assert_string_equal(nd_name_problem_text((enum nd_name_problem)99),
			    "invalid");
}

/* Names as the Kubernetes API validates them. */
static void test_k8s(void **state)
{
	(void)state;
	assert_int_equal(nd_dns_k8s_label_check("web-1", 5, 0), ND_NAME_OK);
	assert_int_equal(nd_dns_k8s_label_check("1web", 4, 0), ND_NAME_OK);
	assert_int_equal(nd_dns_k8s_label_check("Web", 3, 0),
			 ND_NAME_UPPER_CASE);
	assert_int_equal(nd_dns_k8s_label_check("1web", 4, ND_K8S_RFC1035),
			 ND_NAME_DIGIT_FIRST);
	assert_int_equal(nd_dns_k8s_label_check("web", 3, ND_K8S_RFC1035),
			 ND_NAME_OK);
	assert_int_equal(nd_dns_k8s_label_check("we_b", 4, 0),
			 ND_NAME_BAD_CHAR);
	assert_int_equal(nd_dns_k8s_label_check("web-", 4, ND_K8S_RFC1035),
			 ND_NAME_HYPHEN_AT_END);
	assert_int_equal(nd_dns_k8s_subdomain_check("web-abc12", 9),
			 ND_NAME_OK);
	assert_int_equal(nd_dns_k8s_subdomain_check("a.b-c.d", 7), ND_NAME_OK);
	assert_int_equal(nd_dns_k8s_subdomain_check("a.-b", 4),
			 ND_NAME_HYPHEN_AT_END);
	assert_int_equal(nd_dns_k8s_subdomain_check("a.B", 3),
			 ND_NAME_UPPER_CASE);
	assert_int_equal(nd_dns_k8s_subdomain_check("a..b", 4),
			 ND_NAME_EMPTY_LABEL);
	assert_int_equal(nd_dns_k8s_subdomain_check("a.", 2),
			 ND_NAME_EMPTY_LABEL);
	assert_string_equal(nd_name_problem_text(ND_NAME_DIGIT_FIRST),
			    "starts with a digit (a Service name is an RFC "
			    "1035 label)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_k8s),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
