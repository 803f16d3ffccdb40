/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * Tests for kube/describe.c: the Services, merged endpoints and
 * address owners the debug views read, from a store built with the
 * writer's own put/delete calls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "kube/describe.h"
#include "kube/store.h"
#include "util/errors.h"

/* --- building objects by hand --------------------------------------------- */

static void ip_set(struct nd_kube_ip *ip, const char *text)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, text, ip->addr) == 1) {
		ip->family = AF_INET;
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, text, ip->addr), 1);
	ip->family = AF_INET6;
}

static void ip_text(const struct nd_kube_ip *ip, char *buf, size_t cap)
{
	assert_non_null(inet_ntop(ip->family, ip->addr, buf, (socklen_t)cap));
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
	const char *addr; /* NULL = an endpoint without address */
	bool ready, serving, terminating;
	const char *node, *pod;
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
	sl.eps = calloc(n ? n : 1, sizeof(*sl.eps));
	sl.ips = calloc(n ? n : 1, sizeof(*sl.ips));
	assert_non_null(sl.eps);
	assert_non_null(sl.ips);
	sl.n_eps = n;
	for (size_t i = 0; i < n; i++) {
		struct nd_kube_endpoint *ep = &sl.eps[i];

		if (eps[i].addr != NULL) {
			ep->addrs = &sl.ips[i];
			ip_set(&ep->addrs[0], eps[i].addr);
			ep->n_addrs = 1;
			if (ep->addrs[0].family == AF_INET6)
				sl.address_type = AF_INET6;
		}
		ep->is_ready = eps[i].ready;
		ep->is_serving = eps[i].serving;
		ep->is_terminating = eps[i].terminating;
		/* Literals outlive the slice, as objects.h asks. */
		ep->hostname = "";
		ep->node = eps[i].node ? eps[i].node : "";
		ep->pod = eps[i].pod ? eps[i].pod : "";
	}
	assert_int_equal(nd_kube_store_put_slice(s, &sl), 0);
}

static struct nd_kube_store *store_make(void)
{
	struct nd_kube_store_options o = {
	    .zone = "cluster.local",
	    .ttl_s = 5,
	    .pods = ND_PODS_INSECURE,
	};
	struct nd_kube_store *s = nd_kube_store_new(&o);

	assert_non_null(s);
	return s;
}

/*
 * The demo shapes: default/web with two slices (one ready endpoint in
 * each, plus a terminating one), shop/inventory with two not-ready
 * endpoints, shop/web with none, data/db headless, and a slice whose
 * Service has not arrived (default/ghost).
 */
static struct nd_kube_store *store_demo(void)
{
	struct nd_kube_store *s = store_make();
	static const struct ep_spec web_a[] = {
	    {"10.244.2.12", true, true, false, "node-b", "web-2"},
	    {"10.244.9.99", false, true, true, "node-c", "web-old"},
	};
	static const struct ep_spec web_b[] = {
	    {"10.244.1.11", true, true, false, "node-a", "web-1"},
	};
	static const struct ep_spec inv[] = {
	    {"10.244.1.21", false, false, false, "node-a", "inventory-1"},
	    {"10.244.2.22", false, false, false, "node-b", "inventory-2"},
	};
	static const struct ep_spec db[] = {
	    {"10.244.3.31", true, true, false, "node-c", "db-0"},
	};
	static const struct ep_spec ghost[] = {
	    {"10.244.7.77", true, true, false, "node-a", "ghost-1"},
	};

	put_svc(s, "default", "web", ND_SVC_CLUSTER_IP, "10.96.0.10");
	put_slice(s, "default", "web-a", "web", web_a, 2);
	put_slice(s, "default", "web-b", "web", web_b, 1);
	put_svc(s, "shop", "inventory", ND_SVC_CLUSTER_IP, "10.96.20.20");
	put_slice(s, "shop", "inventory-x", "inventory", inv, 2);
	put_svc(s, "shop", "web", ND_SVC_CLUSTER_IP, "10.96.20.21");
	put_svc(s, "data", "db", ND_SVC_HEADLESS, NULL);
	put_slice(s, "data", "db-x", "db", db, 1);
	put_slice(s, "default", "ghost-x", "ghost", ghost, 1);
	return s;
}

static const char *svc_id(const struct nd_kube_svc_desc *d, char *buf,
			  size_t cap)
{
	snprintf(buf, cap, "%s/%s", d->svc->ns, d->svc->name);
	return buf;
}

/* --- tests ---------------------------------------------------------------- */

static void test_all_sorted(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_demo();
	struct nd_kube_desc_list l;
	char buf[160];
	static const char *const want[] = {"data/db", "default/web",
					   "shop/inventory", "shop/web"};

	assert_int_equal(nd_kube_describe_services(s, NULL, NULL, &l), 0);
	/* ghost has slices but no Service: left out */
	assert_int_equal(l.n, 4);
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(svc_id(&l.v[i], buf, sizeof(buf)), want[i]);
	nd_kube_desc_list_deinit(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	nd_kube_desc_list_deinit(&l); /* twice is fine */
	nd_kube_desc_list_deinit(NULL);
	nd_kube_store_free(s);
}

static void test_merged_endpoints(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_demo();
	struct nd_kube_desc_list l;
	char a[64];

	assert_int_equal(nd_kube_describe_services(s, "default", "web", &l), 0);
	assert_int_equal(l.n, 1);

	const struct nd_kube_svc_desc *d = &l.v[0];

	assert_int_equal(d->svc->type, ND_SVC_CLUSTER_IP);
	assert_int_equal(d->svc->n_ips, 1);
	assert_int_equal(d->svc->n_ports, 1);
	assert_int_equal(d->n_slices, 2);
	assert_int_equal(d->n_eps, 3);
	assert_int_equal(d->n_ready, 2);
	assert_int_equal(d->n_serving, 3);
	assert_int_equal(d->n_terminating, 1);
	/* both slices merged, in address order */
	ip_text(&d->eps[0].ep->addrs[0], a, sizeof(a));
	assert_string_equal(a, "10.244.1.11");
	assert_string_equal(d->eps[0].slice, "web-b");
	assert_string_equal(d->eps[0].ep->pod, "web-1");
	assert_string_equal(d->eps[0].ep->node, "node-a");
	ip_text(&d->eps[1].ep->addrs[0], a, sizeof(a));
	assert_string_equal(a, "10.244.2.12");
	assert_string_equal(d->eps[1].slice, "web-a");
	ip_text(&d->eps[2].ep->addrs[0], a, sizeof(a));
	assert_string_equal(a, "10.244.9.99");
	assert_true(d->eps[2].ep->is_terminating);
	assert_false(d->eps[2].ep->is_ready);
	nd_kube_desc_list_deinit(&l);
	nd_kube_store_free(s);
}

static void test_filters(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_demo();
	struct nd_kube_desc_list l;
	char buf[160];

	/* one namespace */
	assert_int_equal(nd_kube_describe_services(s, "shop", NULL, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(svc_id(&l.v[0], buf, sizeof(buf)),
			    "shop/inventory");
	assert_int_equal(l.v[0].n_eps, 2);
	assert_int_equal(l.v[0].n_ready, 0);
	assert_string_equal(svc_id(&l.v[1], buf, sizeof(buf)), "shop/web");
	assert_int_equal(l.v[1].n_eps, 0);
	assert_int_equal(l.v[1].n_slices, 0);
	assert_null(l.v[1].eps);
	nd_kube_desc_list_deinit(&l);

	/* one name in every namespace */
	assert_int_equal(nd_kube_describe_services(s, NULL, "web", &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(svc_id(&l.v[0], buf, sizeof(buf)), "default/web");
	assert_string_equal(svc_id(&l.v[1], buf, sizeof(buf)), "shop/web");
	nd_kube_desc_list_deinit(&l);

	/* nothing matches: 0 and an empty list */
	assert_int_equal(nd_kube_describe_services(s, "nope", NULL, &l), 0);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	assert_int_equal(nd_kube_describe_services(s, "default", "nope", &l),
			 0);
	assert_int_equal(l.n, 0);
	/* slices without their Service are no Service */
	assert_int_equal(nd_kube_describe_services(s, "default", "ghost", &l),
			 0);
	assert_int_equal(l.n, 0);
	/* a name longer than any key */
	char longname[200];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(nd_kube_describe_services(s, longname, "x", &l), 0);
	assert_int_equal(l.n, 0);
	nd_kube_store_free(s);
}

static void test_changes_seen(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_demo();
	struct nd_kube_desc_list l;
	static const struct ep_spec ready[] = {
	    {"10.244.1.21", true, true, false, "node-a", "inventory-1"},
	};

	/* the inventory slice replaced: one endpoint, ready */
	put_slice(s, "shop", "inventory-x", "inventory", ready, 1);
	assert_int_equal(nd_kube_describe_services(s, "shop", "inventory", &l),
			 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].n_eps, 1);
	assert_int_equal(l.v[0].n_ready, 1);
	nd_kube_desc_list_deinit(&l);

	/* the ghost Service arrives: its early slice is merged */
	put_svc(s, "default", "ghost", ND_SVC_CLUSTER_IP, "10.96.0.77");
	assert_int_equal(nd_kube_describe_services(s, "default", "ghost", &l),
			 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].n_eps, 1);
	nd_kube_desc_list_deinit(&l);

	/* a deleted Service goes */
	assert_int_equal(nd_kube_store_del_service(s, "default", "web"), 0);
	assert_int_equal(nd_kube_describe_services(s, "default", NULL, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].svc->name, "ghost");
	nd_kube_desc_list_deinit(&l);
	nd_kube_store_free(s);
}

static void test_address(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_demo();
	struct nd_kube_addr_desc a;
	struct nd_kube_ip ip;

	ip_set(&ip, "10.244.2.22");
	assert_int_equal(nd_kube_describe_address(s, &ip, &a), 0);
	assert_string_equal(a.ns, "shop");
	assert_string_equal(a.service, "inventory");
	assert_string_equal(a.ep->pod, "inventory-2");
	assert_string_equal(a.ep->node, "node-b");

	/* a pod behind a Service not seen yet still names its namespace */
	ip_set(&ip, "10.244.7.77");
	assert_int_equal(nd_kube_describe_address(s, &ip, &a), 0);
	assert_string_equal(a.ns, "default");
	assert_string_equal(a.ep->pod, "ghost-1");

	ip_set(&ip, "10.244.200.1");
	assert_int_equal(nd_kube_describe_address(s, &ip, &a), ND_ENOTFOUND);
	/* same bytes, other family: not a match */
	ip_set(&ip, "::");
	memcpy(ip.addr, "\x0a\xf4\x02\x16", 4);
	assert_int_equal(nd_kube_describe_address(s, &ip, &a), ND_ENOTFOUND);
	nd_kube_store_free(s);
}

static void test_address_prefers_named(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make();
	struct nd_kube_addr_desc a;
	struct nd_kube_ip ip;
	static const struct ep_spec bare[] = {
	    {"fd00::5", true, true, false, NULL, NULL},
	};
	static const struct ep_spec named[] = {
	    {"fd00::5", true, true, false, "node-a", "api-0"},
	};

	put_slice(s, "apps", "manual", "", bare, 1);
	put_slice(s, "apps", "api-x", "api", named, 1);
	ip_set(&ip, "fd00::5");
	assert_int_equal(nd_kube_describe_address(s, &ip, &a), 0);
	assert_string_equal(a.ns, "apps");
	assert_string_equal(a.service, "api");
	assert_string_equal(a.ep->pod, "api-0");
	nd_kube_store_free(s);
}

static void test_empty_and_einval(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make();
	struct nd_kube_desc_list l = {.v = (void *)&l, .n = 7};
	struct nd_kube_addr_desc a;
	struct nd_kube_ip ip;
	static const struct ep_spec none[] = {
	    {NULL, true, true, false, NULL, "no-address"},
	};

	assert_int_equal(nd_kube_describe_services(s, NULL, NULL, &l), 0);
	assert_int_equal(l.n, 0);
	assert_null(l.v);

	/* an endpoint without an address sorts last and matches nothing */
	put_svc(s, "x", "y", ND_SVC_CLUSTER_IP, "10.96.1.1");
	put_slice(s, "x", "y-1", "y", none, 1);
	assert_int_equal(nd_kube_describe_services(s, "x", NULL, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].n_eps, 1);
	assert_int_equal(l.v[0].eps[0].ep->n_addrs, 0);
	nd_kube_desc_list_deinit(&l);

	assert_int_equal(nd_kube_describe_services(NULL, NULL, NULL, &l),
			 -EINVAL);
	assert_int_equal(nd_kube_describe_services(s, NULL, NULL, NULL),
			 -EINVAL);
	ip_set(&ip, "10.0.0.1");
	assert_int_equal(nd_kube_describe_address(NULL, &ip, &a), -EINVAL);
	assert_int_equal(nd_kube_describe_address(s, NULL, &a), -EINVAL);
	assert_int_equal(nd_kube_describe_address(s, &ip, NULL), -EINVAL);
	ip.family = AF_UNIX;
	assert_int_equal(nd_kube_describe_address(s, &ip, &a), -EINVAL);
	nd_kube_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_sorted),
	    cmocka_unit_test(test_merged_endpoints),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_changes_seen),
	    cmocka_unit_test(test_address),
	    cmocka_unit_test(test_address_prefers_named),
	    cmocka_unit_test(test_empty_and_einval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
