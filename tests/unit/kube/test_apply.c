/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for kube/apply.c: API objects (JSON) into the store and out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "kube/apply.h"
#include "kube/store.h"
#include "util/errors.h"
#include "util/rcu.h"

static const char SVC[] =
	"{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":"
	"{\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":"
	"{\"clusterIP\":\"10.96.0.20\",\"ports\":[{\"name\":\"http\","
	"\"protocol\":\"TCP\",\"port\":80}]}}";

static struct nd_kube_store *store(void)
{
	struct nd_kube_store_options o = { .zone = "cluster.local",
					   .ttl_s = 5,
					   .pods = ND_PODS_INSECURE };
	struct nd_kube_store *s = nd_kube_store_new(&o);

	assert_non_null(s);
	return s;
}

static uint64_t services(struct nd_kube_store *s)
{
	struct nd_kube_store_stats st;

	nd_kube_store_get_stats(s, &st);
	return st.services;
}

static void test_put_then_delete(void **state)
{
	struct nd_kube_store *s = store();
	cJSON *obj = cJSON_Parse(SVC);
	char err[256] = "";

	(void)state;
	assert_non_null(obj);
	assert_int_equal(nd_kube_apply_put(s, ND_KIND_SERVICE, obj, err,
					   sizeof(err)),
			 0);
	assert_int_equal(services(s), 1);
	/* The same object again replaces it. */
	assert_int_equal(nd_kube_apply_put(s, ND_KIND_SERVICE, obj, err,
					   sizeof(err)),
			 0);
	assert_int_equal(services(s), 1);
	assert_int_equal(nd_kube_apply_del(s, ND_KIND_SERVICE, obj, err,
					   sizeof(err)),
			 0);
	assert_int_equal(services(s), 0);
	/* Deleting what is not there is fine. */
	assert_int_equal(nd_kube_apply_del(s, ND_KIND_SERVICE, obj, err,
					   sizeof(err)),
			 0);
	cJSON_Delete(obj);
	nd_kube_store_free(s);
}

static void test_bad_object_changes_nothing(void **state)
{
	struct nd_kube_store *s = store();
	cJSON *good = cJSON_Parse(SVC);
	cJSON *bad = cJSON_Parse(
		"{\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
		"\"namespace\":\"shop\"},\"spec\":{\"clusterIP\":\"not-an-ip\"}}");
	char err[256] = "";

	(void)state;
	assert_non_null(good);
	assert_non_null(bad);
	assert_int_equal(nd_kube_apply_put(s, ND_KIND_SERVICE, good, err,
					   sizeof(err)),
			 0);
	assert_int_equal(nd_kube_apply_put(s, ND_KIND_SERVICE, bad, err,
					   sizeof(err)),
			 ND_EPARSE);
	/* The reason names the object. */
	assert_non_null(strstr(err, "shop/web"));
	assert_int_equal(services(s), 1);
	/* A delete reads only the names, so even the bad one deletes. */
	assert_int_equal(nd_kube_apply_del(s, ND_KIND_SERVICE, bad, err,
					   sizeof(err)),
			 0);
	assert_int_equal(services(s), 0);
	cJSON_Delete(good);
	cJSON_Delete(bad);
	nd_kube_store_free(s);
}

static void test_arguments(void **state)
{
	struct nd_kube_store *s = store();
	cJSON *noname = cJSON_Parse("{\"metadata\":{}}");
	char err[64];

	(void)state;
	assert_int_equal(nd_kube_apply_put(NULL, ND_KIND_SERVICE, noname, err,
					   sizeof(err)),
			 -EINVAL);
	assert_int_equal(nd_kube_apply_del(s, ND_KIND_SERVICE, noname, err,
					   sizeof(err)),
			 ND_EPARSE);
	cJSON_Delete(noname);
	nd_kube_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_then_delete),
		cmocka_unit_test(test_bad_object_changes_nothing),
		cmocka_unit_test(test_arguments),
	};
	int rc;

	nd_rcu_register();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	nd_rcu_unregister();
	return rc;
}
