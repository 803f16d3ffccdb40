/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "tests/unit/resolver/diag/explain_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kube/store.h"
#include "util/rcu.h"

static void ip_set(struct nd_kube_ip *ip, const char *text)
{
	memset(ip, 0, sizeof(*ip));
	assert_int_equal(inet_pton(AF_INET, text, ip->addr), 1);
	ip->family = AF_INET;
}

static void put_svc(struct nd_kube_store *s, const char *ns, const char *name,
		    enum nd_kube_service_type type, const char *ip)
{
	struct nd_kube_service svc;

	memset(&svc, 0, sizeof(svc));
	/* Literals outlive the object, as objects.h asks. */
	svc.ns = ns;
	svc.name = name;
	svc.rv = "";
	svc.external_name = "";
	svc.type = type;
	if (ip != NULL)
		ip_set(&svc.ips[svc.n_ips++], ip);
	svc.ports = calloc(1, sizeof(*svc.ports));
	assert_non_null(svc.ports);
	svc.ports[0].name = "http";
	svc.ports[0].protocol = IPPROTO_TCP;
	svc.ports[0].port = 80;
	svc.n_ports = 1;
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
}

struct ep_spec {
	const char *addr;
	bool ready;
	const char *pod, *hostname;
};

static void put_slice(struct nd_kube_store *s, const char *ns, const char *name,
		      const char *service, const struct ep_spec *eps, size_t n)
{
	struct nd_kube_slice sl;

	memset(&sl, 0, sizeof(sl));
	sl.ns = ns;
	sl.name = name;
	sl.service = service;
	sl.rv = "";
	sl.address_type = AF_INET;
	sl.eps = calloc(n, sizeof(*sl.eps));
	sl.ips = calloc(n, sizeof(*sl.ips));
	assert_non_null(sl.eps);
	assert_non_null(sl.ips);
	sl.n_eps = n;
	for (size_t i = 0; i < n; i++) {
		struct nd_kube_endpoint *ep = &sl.eps[i];

		ep->addrs = &sl.ips[i];
		ip_set(&ep->addrs[0], eps[i].addr);
		ep->n_addrs = 1;
		ep->is_ready = eps[i].ready;
		ep->is_serving = eps[i].ready;
		ep->hostname = eps[i].hostname ? eps[i].hostname : "";
		ep->node = "node-a";
		ep->pod = eps[i].pod;
	}
	assert_int_equal(nd_kube_store_put_slice(s, &sl), 0);
}

struct nd_kube_store *fx_store(void)
{
	struct nd_kube_store_options o = {
	    .zone = "cluster.local",
	    .ttl_s = 5,
	    .pods = ND_PODS_INSECURE,
	};
	struct nd_kube_store *s = nd_kube_store_new(&o);
	static const struct ep_spec web[] = {
	    {"10.244.1.11", true, "web-1", NULL},
	    {"10.244.2.12", true, "web-2", NULL},
	};
	static const struct ep_spec inv[] = {
	    {"10.244.1.21", false, "inventory-1", NULL},
	    {"10.244.2.22", false, "inventory-2", NULL},
	};
	static const struct ep_spec api[] = {
	    {"10.244.1.31", true, "api-1", NULL},
	};
	static const struct ep_spec db[] = {
	    {"10.244.3.31", true, "db-0", "db-0"},
	};

	assert_non_null(s);
	put_svc(s, "default", "web", ND_SVC_CLUSTER_IP, "10.96.0.10");
	put_slice(s, "default", "web-x", "web", web, 2);
	put_svc(s, "default", "kubernetes", ND_SVC_CLUSTER_IP, "10.96.0.1");
	put_svc(s, "shop", "inventory", ND_SVC_CLUSTER_IP, "10.96.20.20");
	put_slice(s, "shop", "inventory-x", "inventory", inv, 2);
	put_svc(s, "shop", "api", ND_SVC_CLUSTER_IP, "10.96.20.30");
	put_slice(s, "shop", "api-x", "api", api, 1);
	put_svc(s, "data", "db", ND_SVC_HEADLESS, NULL);
	put_slice(s, "data", "db-x", "db", db, 1);
	return s;
}

static const char node_domains[][ND_RESOLV_NAME_TEXT] = {"corp.example"};

void fx_input(struct nd_explain_input *in, struct nd_kube_store *store,
	      const char *name)
{
	memset(in, 0, sizeof(*in));
	in->name = name;
	in->is_client_allowed = true;
	in->zone = "cluster.local";
	in->node_domains = node_domains;
	in->n_node_domains = 1;
	in->ndots = ND_EXPLAIN_NDOTS;
	in->kube = store;
	in->is_synced = store != NULL;
	in->now_ms = 1000;
	in->upstream = "127.0.0.1:5300";
	in->n_upstreams = 1;
	in->upstreams = "127.0.0.1:5300";
}

cJSON *fx_explain(const struct nd_explain_input *in, struct nd_explain *e)
{
	cJSON *doc;

	assert_int_equal(nd_explain_run(in, e), 0);
	doc = nd_explain_json(e);
	assert_non_null(doc);
	return doc;
}

const char *fx_verdict(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "verdict");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, key);

	return cJSON_IsString(s) ? s->valuestring : "";
}

int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	nd_rcu_register();
	f->store = fx_store();
	f->e = calloc(1, sizeof(*f->e));
	*state = f;
	return f->e != NULL ? 0 : -1;
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	cJSON_Delete(f->doc);
	nd_explain_deinit(f->e);
	free(f->e);
	nd_kube_store_free(f->store);
	nd_rcu_unregister();
	free(f);
	return 0;
}
