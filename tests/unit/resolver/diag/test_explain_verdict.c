/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * Tests for resolver/diag/explain_verdict.c: the verdict in the
 * troubleshooting order DNS -> Service selection -> endpoints ->
 * upstream, for the shapes an operator asks about.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/store.h"
#include "resolver/diag/explain.h"
#include "tests/unit/resolver/diag/explain_fixture.h"
#include "util/rcu.h"

/* The verdict of name (namespace ns, NULL = default) over the store. */
static void verdict_of(struct fx *f, const char *name, const char *ns)
{
	struct nd_explain_input in;

	fx_input(&in, f->store, name);
	in.ns = ns;
	f->doc = fx_explain(&in, f->e);
}

static void assert_has(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("'%s' lacks '%s'", text, want);
}

static void assert_lacks(const char *text, const char *unwanted)
{
	if (strstr(text, unwanted) != NULL)
		fail_msg("'%s' has '%s'", text, unwanted);
}

/* A healthy Service: answered by the first candidate, every pod ready. */
static void test_healthy_service(void **state)
{
	struct fx *f = *state;

	verdict_of(f, "web", NULL);
	assert_string_equal(fx_verdict(f->doc, "status"), "ok");
	assert_has(fx_verdict(f->doc, "dns"),
		   "answered by the 1st candidate "
		   "web.default.svc.cluster.local. from the cluster zone: "
		   "10.96.0.10");
	assert_has(fx_verdict(f->doc, "service"),
		   "default/web selects 2 of 2 endpoints ready");
	assert_has(fx_verdict(f->doc, "service"), "web-1");
	assert_string_equal(fx_verdict(f->doc, "upstream"), "");
	/* The whole in one sentence, in the order of the steps. */
	assert_has(fx_verdict(f->doc, "text"), "DNS: answered");
	assert_has(fx_verdict(f->doc, "text"), " Service selection: default/web");
}

/* Found in the zone, but no endpoint ready: the name resolves to a
 * virtual IP no connection will get through. */
static void test_no_ready_endpoints(void **state)
{
	struct fx *f = *state;

	verdict_of(f, "inventory", "shop");
	assert_string_equal(fx_verdict(f->doc, "status"), "fail");
	assert_has(fx_verdict(f->doc, "dns"), "10.96.20.20");
	assert_has(fx_verdict(f->doc, "service"),
		   "shop/inventory has 2 endpoints, none ready");
	assert_has(fx_verdict(f->doc, "service"), "inventory-1");
	assert_has(fx_verdict(f->doc, "service"), "10.96.20.20:80/TCP");
}

/* A Service that does not exist: every cluster candidate NXDOMAIN, the
 * rest a formality upstream; the verdict names the missing Service. */
static void test_name_does_not_exist(void **state)
{
	struct fx *f = *state;

	verdict_of(f, "nosuch", NULL);
	assert_string_equal(fx_verdict(f->doc, "status"), "fail");
	assert_has(fx_verdict(f->doc, "dns"),
		   "NXDOMAIN for every candidate in the cluster zone");
	assert_has(fx_verdict(f->doc, "service"),
		   "no Service named nosuch in namespace default (no "
		   "namespace has a Service of that name).");
	cJSON_Delete(f->doc);
	f->doc = NULL;
	nd_explain_deinit(f->e);

	/* The same name in another namespace is pointed out. */
	verdict_of(f, "inventory", NULL);
	assert_string_equal(fx_verdict(f->doc, "status"), "fail");
	assert_has(fx_verdict(f->doc, "service"),
		   "no Service named inventory in namespace default "
		   "(namespaces with a Service of that name: shop)");
}

/*
 * An external name, not cached: the verdict is about the upstream it
 * will be forwarded to, not about a Service (the bug: "no Service named
 * com in namespace default" for api.example.com).
 */
static void test_external_not_cached(void **state)
{
	struct fx *f = *state;

	verdict_of(f, "api.example.com", NULL);
	assert_string_equal(fx_verdict(f->doc, "status"), "not_cached");
	assert_has(fx_verdict(f->doc, "dns"),
		   "not cached: the 4th candidate api.example.com.corp.example. "
		   "would be forwarded upstream, and explain sends no query");
	/* The cluster-zone expansions before it are no failure. */
	assert_has(fx_verdict(f->doc, "dns"),
		   "The 3 search-list expansions before it got NXDOMAIN from "
		   "the cluster zone, as a search list expects.");
	assert_lacks(fx_verdict(f->doc, "text"), "fail");
	assert_string_equal(nd_explain_next_unknown(f->e),
			    "api.example.com.corp.example.");
	assert_has(fx_verdict(f->doc, "upstream"),
		   "not cached: the first query will go to upstream "
		   "127.0.0.1:5300 (no RTT measured yet).");
	assert_string_equal(fx_verdict(f->doc, "service"), "");
	assert_lacks(fx_verdict(f->doc, "text"), "no Service named");
	assert_lacks(fx_verdict(f->doc, "text"), "Service selection");
}

/* An outcome asked upstream for explain (?resolve=1). */
static struct nd_explain_resolved resolved(const char *name, int rcode,
					   const char *addr)
{
	struct nd_explain_resolved r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.has_reply = true;
	r.reply.rcode = rcode;
	r.reply.ttl_s = 300;
	if (addr != NULL) {
		r.reply.ancount = 1;
		r.reply.n_addrs = 1;
		snprintf(r.reply.addrs[0], sizeof(r.reply.addrs[0]), "%s",
			 addr);
	}
	return r;
}

/*
 * Resolved for real: the node's search domain gets NXDOMAIN upstream,
 * the name as typed an address. The verdict is the stub's last name's:
 * ok, from the upstream; nothing is left unknown.
 */
static void test_external_resolved(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;
	struct nd_explain_resolved r[2] = {
	    resolved("api.example.com.corp.example.", 3, NULL),
	    resolved("api.example.com.", 0, "192.0.2.10"),
	};

	fx_input(&in, f->store, "api.example.com");
	in.resolved = r;
	in.n_resolved = 2;
	f->doc = fx_explain(&in, f->e);
	assert_string_equal(fx_verdict(f->doc, "status"), "ok");
	assert_has(fx_verdict(f->doc, "dns"),
		   "answered by the 5th candidate api.example.com. from the "
		   "upstream (asked now): 192.0.2.10");
	assert_has(fx_verdict(f->doc, "dns"),
		   "The 3 search-list expansions before it got NXDOMAIN");
	assert_int_equal(f->e->n_resolved, 2);
	assert_int_equal(f->e->n_unknown, 0);
	assert_null(nd_explain_next_unknown(f->e));
	assert_int_equal(
	    cJSON_GetObjectItem(f->doc, "asked_upstream_now")->valueint, 2);
}

/* Resolved, and the upstream has no such name: a failure of the name the
 * stub ends with, said as such. */
static void test_external_resolved_nxdomain(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;
	struct nd_explain_resolved r[2] = {
	    resolved("nope.example.com.corp.example.", 3, NULL),
	    resolved("nope.example.com.", 3, NULL),
	};

	fx_input(&in, f->store, "nope.example.com");
	in.resolved = r;
	in.n_resolved = 2;
	f->doc = fx_explain(&in, f->e);
	assert_string_equal(fx_verdict(f->doc, "status"), "fail");
	assert_has(fx_verdict(f->doc, "dns"),
		   "the stub ends with nope.example.com., and the upstream "
		   "answers it NXDOMAIN.");
	assert_lacks(fx_verdict(f->doc, "text"), "no Service named");
}

/* Asked, and no answer came in time: SERVFAIL to the client. */
static void test_external_resolved_no_answer(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;
	struct nd_explain_resolved r[2] = {
	    resolved("slow.example.com.corp.example.", 3, NULL),
	    resolved("slow.example.com.", 0, NULL),
	};

	r[1].has_reply = false;
	fx_input(&in, f->store, "slow.example.com");
	in.resolved = r;
	in.n_resolved = 2;
	f->doc = fx_explain(&in, f->e);
	assert_string_equal(fx_verdict(f->doc, "status"), "fail");
	assert_has(fx_verdict(f->doc, "dns"),
		   "answers it nothing in time (SERVFAIL)");
}

/* A client outside the allow list is refused whatever the name. */
static void test_refused_client(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;

	fx_input(&in, f->store, "web");
	in.client = "192.0.2.1";
	in.is_client_allowed = false;
	f->doc = fx_explain(&in, f->e);
	assert_string_equal(fx_verdict(f->doc, "status"), "fail");
	assert_has(fx_verdict(f->doc, "dns"),
		   "REFUSED: client 192.0.2.1 is not in the allow list");
}

/* Without a cluster zone a Service name goes upstream like any other. */
static void test_no_kube(void **state)
{
	struct fx *f = *state;
	struct nd_explain_input in;

	fx_input(&in, NULL, "web");
	f->doc = fx_explain(&in, f->e);
	assert_string_equal(fx_verdict(f->doc, "status"), "not_cached");
	assert_has(fx_verdict(f->doc, "service"),
		   "no Kubernetes source is configured here");
}

static void test_bad_arguments(void **state)
{
	struct fx *f = *state;
	cJSON *doc = cJSON_CreateObject();

	assert_int_equal(nd_explain_verdict(NULL, doc), -EINVAL);
	assert_int_equal(nd_explain_verdict(f->e, NULL), -EINVAL);
	cJSON_Delete(doc);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_healthy_service),
		T(test_no_ready_endpoints),
		T(test_name_does_not_exist),
		T(test_external_not_cached),
		T(test_external_resolved),
		T(test_external_resolved_nxdomain),
		T(test_external_resolved_no_answer),
		T(test_refused_client),
		T(test_no_kube),
		T(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
