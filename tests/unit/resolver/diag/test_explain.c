/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * Tests for resolver/diag/explain.c: the candidates in glibc's order,
 * where each answer comes from, the client's namespace and the Service
 * a name means, from a store built with the writer's own calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/wire.h"
#include "kube/store.h"
#include "resolver/diag/explain.h"
#include "tests/unit/resolver/diag/explain_fixture.h"
#include "util/rcu.h"

static void test_name_is_ok(void **state)
{
	(void)state;
	assert_true(nd_explain_name_is_ok("web"));
	assert_true(nd_explain_name_is_ok("_http._tcp.web.default."));
	assert_false(nd_explain_name_is_ok(""));
	assert_false(nd_explain_name_is_ok("."));
	assert_false(nd_explain_name_is_ok("a..b"));
	assert_false(nd_explain_name_is_ok("a b"));
	assert_false(nd_explain_name_is_ok(NULL));
}

static void test_bad_input(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;

	fx_input(&in, f->store, "bad name");
	assert_int_equal(nd_explain_run(&in, f->e), -EINVAL);
	assert_int_equal(nd_explain_run(NULL, f->e), -EINVAL);
	fx_input(&in, f->store, "web");
	assert_int_equal(nd_explain_run(&in, NULL), -EINVAL);
	in.zone = NULL;
	assert_int_equal(nd_explain_run(&in, f->e), -EINVAL);
}

/* Fewer dots than ndots: every search domain first (the node's last),
 * the name as typed at the end; the stub stops at the first answer. */
static void test_candidates_search_first(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;
	struct nd_explain *e = f->e;

	fx_input(&in, f->store, "web");
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_int_equal(e->n_search, 4);
	assert_string_equal(e->search[0], "default.svc.cluster.local");
	assert_string_equal(e->search[3], "corp.example");
	assert_int_equal(e->n_node_domains, 1);
	assert_int_equal(e->n_cand, 5);
	assert_string_equal(e->cand[0].name, "web.default.svc.cluster.local.");
	assert_int_equal(e->cand[0].search_idx, 0);
	assert_string_equal(e->cand[3].name, "web.corp.example.");
	assert_string_equal(e->cand[4].name, "web.");
	assert_int_equal(e->cand[4].search_idx, -1);
	assert_int_equal(e->answered, 0);
	assert_int_equal(e->cand[0].source, ND_EXPLAIN_CLUSTER);
	assert_true(e->cand[0].is_positive);
	assert_int_equal(e->cand[0].reply.n_addrs, 1);
	assert_string_equal(e->cand[0].reply.addrs[0], "10.96.0.10");
	assert_false(e->cand[1].is_tried);
	assert_int_equal(e->n_unknown, 0);
	assert_string_equal(e->svc_ns, "default");
	assert_string_equal(e->svc_name, "web");
	assert_int_equal(e->svc.n, 1);
	assert_true(e->is_svc_intent);
}

/* ndots or more dots: as typed first; a trailing dot: alone. */
static void test_candidates_as_is_first(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;
	struct nd_explain *e = f->e;

	fx_input(&in, f->store, "a.b.c.d.e.example");
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_int_equal(e->dots, 5);
	assert_string_equal(e->cand[0].name, "a.b.c.d.e.example.");
	assert_int_equal(e->n_cand, 5);
	assert_int_equal(e->cand[0].source, ND_EXPLAIN_FORWARD);
	/* Nothing answers locally: every candidate is tried. */
	assert_int_equal(e->answered, -1);
	assert_int_equal(e->n_unknown, 2); /* as typed, and corp.example */
	/* The three cluster expansions are the search list's expected
	 * misses; the names that go upstream are not. */
	assert_false(e->cand[0].is_search_miss);
	for (size_t i = 1; i <= 3; i++) {
		assert_int_equal(e->cand[i].source, ND_EXPLAIN_CLUSTER);
		assert_true(e->cand[i].is_search_miss);
	}
	assert_false(e->cand[4].is_search_miss);
	assert_string_equal(nd_explain_next_unknown(e), "a.b.c.d.e.example.");
	nd_explain_deinit(e);

	fx_input(&in, f->store, "web.default.svc.cluster.local.");
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_true(e->is_absolute);
	assert_int_equal(e->n_cand, 1);
	assert_int_equal(e->answered, 0);
}

/* A client address that is a pod of shop: its namespace is shop. */
static void test_client_namespace(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;
	struct nd_explain *e = f->e;
	struct nd_kube_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "10.244.1.31", ip.addr), 1);
	fx_input(&in, f->store, "inventory");
	in.client = "10.244.1.31";
	in.client_ip = &ip;
	in.ns = "default"; /* the pod's own namespace wins */
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_string_equal(e->ns, "shop");
	assert_int_equal(e->ns_from, ND_EXPLAIN_NS_CLIENT);
	assert_true(e->is_client_pod);
	assert_string_equal(e->client_service, "api");
	assert_string_equal(e->search[0], "shop.svc.cluster.local");
	nd_explain_deinit(e);

	fx_input(&in, f->store, "inventory");
	in.ns = "shop";
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_string_equal(e->ns, "shop");
	assert_int_equal(e->ns_from, ND_EXPLAIN_NS_PARAMETER);
	nd_explain_deinit(e);

	fx_input(&in, f->store, "inventory");
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_string_equal(e->ns, "default");
	assert_int_equal(e->ns_from, ND_EXPLAIN_NS_DEFAULT);
}

static void put_external(struct nd_kube_store *s, const char *ns,
			 const char *name, const char *target)
{
	struct nd_kube_service svc;

	memset(&svc, 0, sizeof(svc));
	svc.ns = ns;
	svc.name = name;
	svc.rv = "";
	svc.external_name = target;
	svc.type = ND_SVC_EXTERNAL_NAME;
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
}

/*
 * Every step of a CNAME chain, from the zone and the cache only: to a
 * Service of the zone (two steps, then its address), a loop, and a
 * target that would go upstream (the walk stops there).
 */
static void test_chain_steps(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;
	struct nd_explain *e = f->e;
	cJSON *doc;

	put_external(f->store, "shop", "alias", "alias2.shop.svc.cluster.local");
	put_external(f->store, "shop", "alias2", "web.default.svc.cluster.local");
	put_external(f->store, "shop", "ping", "pong.shop.svc.cluster.local");
	put_external(f->store, "shop", "pong", "ping.shop.svc.cluster.local");
	put_external(f->store, "shop", "out", "api.example.com");

	fx_input(&in, f->store, "alias.shop");
	doc = fx_explain(&in, e);
	assert_int_equal(e->n_chain, 2);
	assert_string_equal(e->chain[0].name, "alias2.shop.svc.cluster.local.");
	assert_string_equal(e->chain[1].name, "web.default.svc.cluster.local.");
	assert_int_equal(e->chain[1].reply.n_addrs, 1);
	assert_false(e->is_chain_loop);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "chain")),
			 2);
	cJSON_Delete(doc);
	nd_explain_deinit(e);

	fx_input(&in, f->store, "ping.shop");
	doc = fx_explain(&in, e);
	assert_true(e->is_chain_loop);
	assert_int_equal(e->n_chain, 1);
	assert_non_null(strstr(fx_verdict(doc, "upstream"), "loops back"));
	cJSON_Delete(doc);
	nd_explain_deinit(e);

	fx_input(&in, f->store, "out.shop");
	doc = fx_explain(&in, e);
	assert_int_equal(e->n_chain, 1);
	assert_int_equal(e->chain[0].source, ND_EXPLAIN_FORWARD);
	cJSON_Delete(doc);
	nd_explain_deinit(e);
}

/*
 * A name outside the cluster zone means no Service: "api.example.com"
 * must not be read as Service "com" in the client's namespace, though
 * that namespace holds Services.
 */
static void test_external_name_means_no_service(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;
	struct nd_explain *e = f->e;

	fx_input(&in, f->store, "api.example.com");
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_int_equal(e->answered, -1);
	assert_int_equal(e->cand[3].source, ND_EXPLAIN_FORWARD);
	assert_false(e->is_ns_typed);
	assert_false(e->is_svc_intent);
	assert_int_equal(e->svc.n, 0);
	nd_explain_deinit(e);

	/* The namespace typed in the name: "api.shop" means shop/api. */
	fx_input(&in, f->store, "api.shop");
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_string_equal(e->cand[e->answered].name,
			    "api.shop.svc.cluster.local.");
	assert_string_equal(e->svc_ns, "shop");
	assert_true(e->is_ns_typed);
	assert_int_equal(e->svc.n, 1);
	nd_explain_deinit(e);

	/* A headless pod typed relative to the client's namespace. */
	fx_input(&in, f->store, "db-0.db");
	in.ns = "data";
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_int_equal(e->answered, 0);
	assert_string_equal(e->svc_name, "db");
	assert_string_equal(e->svc_host, "db-0");
}

/* Before the first full list the worker answers SERVFAIL, and so does
 * the walk; without a cluster zone everything goes upstream. */
static void test_not_synced_and_no_kube(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;
	struct nd_explain *e = f->e;

	fx_input(&in, f->store, "web");
	in.is_synced = false;
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_int_equal(e->cand[0].source, ND_EXPLAIN_NOT_SYNCED);
	assert_int_equal(e->cand[0].reply.rcode, ND_RCODE_SERVFAIL);
	assert_int_equal(e->answered, -1);
	nd_explain_deinit(e);

	fx_input(&in, NULL, "web");
	assert_int_equal(nd_explain_run(&in, e), 0);
	assert_false(e->has_kube);
	for (size_t i = 0; i < e->n_cand; i++)
		assert_int_equal(e->cand[i].source, ND_EXPLAIN_FORWARD);
	assert_int_equal(e->n_unknown, e->n_cand);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_name_is_ok),
		T(test_bad_input),
		T(test_candidates_search_first),
		T(test_candidates_as_is_first),
		T(test_client_namespace),
		T(test_external_name_means_no_service),
		T(test_chain_steps),
		T(test_not_synced_and_no_kube),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
