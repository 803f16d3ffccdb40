/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/resolver/diag/explain_fixture.h - a small cluster zone and explain inputs for the explain engine's tests. */
#ifndef TESTS_UNIT_RESOLVER_DIAG_EXPLAIN_FIXTURE_H
#define TESTS_UNIT_RESOLVER_DIAG_EXPLAIN_FIXTURE_H

#include <cjson/cJSON.h>

#include "kube/objects.h"
#include "resolver/diag/explain.h"

/*
 * The zone cluster.local with:
 *   default/web       ClusterIP 10.96.0.10, pods web-1 (ready, 10.244.1.11)
 *                     and web-2 (ready, 10.244.2.12)
 *   default/kubernetes ClusterIP 10.96.0.1, no endpoints
 *   shop/inventory    ClusterIP 10.96.20.20, inventory-1 and -2 not ready
 *   shop/api          ClusterIP 10.96.20.30, api-1 ready (10.244.1.31)
 *   data/db           headless, db-0 ready (10.244.3.31, hostname db-0)
 * The caller frees it with nd_kube_store_free().
 */
struct nd_kube_store *fx_store(void);

/* Inputs for name over store (NULL = no cluster zone), one upstream
 * 127.0.0.1:5300, search domains of the node: corp.example. */
void fx_input(struct nd_explain_input *in, struct nd_kube_store *store,
	      const char *name);

/* What each test of the explain engine works on (setup/teardown below). */
struct fx {
	struct nd_kube_store *store; /* fx_store() */
	struct nd_explain *e;	     /* zeroed, deinit by teardown */
	cJSON *doc;		     /* a test's document, deleted by teardown */
};

/* cmocka group fixtures: a struct fx in *state, this thread an RCU
 * reader. */
int fx_setup(void **state);
int fx_teardown(void **state);

/* Run the engine, then return its document (cJSON_Delete it). */
cJSON *fx_explain(const struct nd_explain_input *in, struct nd_explain *e);

/* doc["verdict"][key], or "" when absent. */
const char *fx_verdict(const cJSON *doc, const char *key);

#endif /* TESTS_UNIT_RESOLVER_DIAG_EXPLAIN_FIXTURE_H */
