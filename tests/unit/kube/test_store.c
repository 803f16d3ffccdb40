/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * Tests for the kube store (kube/store.c, lookup.c and the files
 * behind them): objects in, DNS answers out. Every answer is parsed with
 * ldns, an independent parser, and compared record by record.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/wire.h"
#include "kube/store.h"
#include "dns/query.h"
#include "util/rcu.h"

#define TTL 5
#define NO_EDNS 0

/* --- building objects by hand ------------------------------------------ */

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

static void port_add(struct nd_kube_port **v, size_t *n, const char *name,
		     int proto, uint16_t port)
{
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	assert_non_null(*v);
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].name = name; /* literals outlive the object */
	(*v)[*n].protocol = proto;
	(*v)[*n].port = port;
	(*n)++;
}

static void svc_init(struct nd_kube_service *s, const char *ns,
		     const char *name, enum nd_kube_service_type type)
{
	memset(s, 0, sizeof(*s));
	/* Literals outlive the object, as objects.h asks. */
	s->ns = ns;
	s->name = name;
	s->rv = "";
	s->external_name = "";
	s->type = type;
}

static void svc_ip(struct nd_kube_service *s, const char *text)
{
	ip_set(&s->ips[s->n_ips++], text);
}

static void svc_port(struct nd_kube_service *s, const char *name, int proto,
		     uint16_t port)
{
	port_add(&s->ports, &s->n_ports, name, proto, port);
}

static void slice_init(struct nd_kube_slice *sl, const char *ns,
		       const char *name, const char *service, int af)
{
	memset(sl, 0, sizeof(*sl));
	sl->ns = ns;
	sl->name = name;
	sl->service = service;
	sl->rv = "";
	sl->address_type = af;
}

static void slice_ep(struct nd_kube_slice *sl, const char *addr, bool ready,
		     const char *hostname)
{
	sl->eps = realloc(sl->eps, (sl->n_eps + 1) * sizeof(*sl->eps));
	assert_non_null(sl->eps);
	/* One address each, in the slice's block: the block moves, so
	 * every endpoint is pointed at it again. */
	sl->ips = realloc(sl->ips, (sl->n_eps + 1) * sizeof(*sl->ips));
	assert_non_null(sl->ips);

	struct nd_kube_endpoint *ep = &sl->eps[sl->n_eps++];

	memset(ep, 0, sizeof(*ep));
	for (size_t i = 0; i < sl->n_eps; i++)
		sl->eps[i].addrs = &sl->ips[i];
	ip_set(&ep->addrs[0], addr);
	ep->n_addrs = 1;
	ep->is_ready = ready;
	ep->is_serving = ready;
	/* Literals outlive the slice, as objects.h asks. */
	ep->hostname = hostname ? hostname : "";
	ep->node = "";
	ep->pod = "";
}

static void slice_port(struct nd_kube_slice *sl, const char *name, int proto,
		       uint16_t port)
{
	port_add(&sl->ports, &sl->n_ports, name, proto, port);
}

static struct nd_kube_store *store_make(enum nd_pods_mode pods)
{
	struct nd_kube_store_options o = {
		.zone = "cluster.local",
		.ttl_s = TTL,
		.pods = pods,
	};
	struct nd_kube_store *s = nd_kube_store_new(&o);

	assert_non_null(s);
	return s;
}

/* ClusterIP Service web.default: 10.96.0.10 and fd00::10, named port
 * http/tcp 80, named port dns/udp 53, an unnamed port 81. */
static void put_web(struct nd_kube_store *s)
{
	struct nd_kube_service svc;

	svc_init(&svc, "default", "web", ND_SVC_CLUSTER_IP);
	svc_ip(&svc, "10.96.0.10");
	svc_ip(&svc, "fd00::10");
	svc_port(&svc, "http", IPPROTO_TCP, 80);
	svc_port(&svc, "dns", IPPROTO_UDP, 53);
	svc_port(&svc, "", IPPROTO_TCP, 81);
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
	/* Ownership moved: the struct is zeroed. */
	assert_null(svc.ports);
	assert_int_equal(svc.n_ports, 0);
}

static void put_headless(struct nd_kube_store *s, const char *ns,
			 const char *name)
{
	struct nd_kube_service svc;

	svc_init(&svc, ns, name, ND_SVC_HEADLESS);
	svc_port(&svc, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
}

/* --- asking ------------------------------------------------------------ */

struct reply {
	int status; /* nd_kube_store_answer's return */
	size_t len;
	uint8_t b[65535];
	ldns_pkt *pkt; /* parsed when ANSWERED */
};

/* A query as a stub sends it, parsed by the real query parser. */
static void make_query(const char *name, uint16_t qtype, uint16_t edns_size,
		       struct nd_query *q)
{
	uint8_t pkt[512];
	size_t n = 0;
	int rcode = 0;

	nd_put16(pkt, 0xbeef);
	nd_put16(pkt + 2, ND_FLAG_RD);
	nd_put16(pkt + 4, 1);
	nd_put16(pkt + 6, 0);
	nd_put16(pkt + 8, 0);
	nd_put16(pkt + 10, edns_size ? 1 : 0);
	n = ND_DNS_HEADER_LEN;

	int l = nd_dns_name_from_text(name, pkt + n, sizeof(pkt) - n);

	assert_true(l > 0);
	n += (size_t)l;
	nd_put16(pkt + n, qtype);
	nd_put16(pkt + n + 2, ND_CLASS_IN);
	n += 4;
	if (edns_size) {
		pkt[n] = 0;
		nd_put16(pkt + n + 1, ND_TYPE_OPT);
		nd_put16(pkt + n + 3, edns_size);
		nd_put32(pkt + n + 5, 0);
		nd_put16(pkt + n + 9, 0);
		n += 11;
	}
	assert_int_equal(nd_query_parse(pkt, n, q, &rcode), ND_QUERY_OK);
}

static struct reply *ask_full(struct nd_kube_store *s, const char *name,
			      uint16_t qtype, uint16_t edns_size, size_t limit)
{
	struct reply *r = calloc(1, sizeof(*r));
	struct nd_query q;

	assert_non_null(r);
	make_query(name, qtype, edns_size, &q);
	r->status =
		nd_kube_store_answer(s, &q, limit, r->b, sizeof(r->b), &r->len);
	if (r->status == ND_KUBE_ANSWERED) {
		assert_int_equal(ldns_wire2pkt(&r->pkt, r->b, r->len),
				 LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(r->pkt), 0xbeef);
		assert_true(ldns_pkt_qr(r->pkt));
		assert_true(ldns_pkt_aa(r->pkt));
		assert_true(ldns_pkt_rd(r->pkt));
		assert_int_equal(ldns_pkt_edns(r->pkt), edns_size != 0);
		assert_int_equal(
			ldns_rr_list_rr_count(ldns_pkt_question(r->pkt)), 1);
	}
	return r;
}

static struct reply *ask(struct nd_kube_store *s, const char *name,
			 uint16_t qtype)
{
	return ask_full(s, name, qtype, NO_EDNS, 65535);
}

static void reply_free(struct reply *r)
{
	if (r->pkt != NULL)
		ldns_pkt_free(r->pkt);
	free(r);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "owner ttl TYPE rdata..." */
static char *rr_text(const ldns_rr *rr)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
	char buf[2048];
	int n = snprintf(buf, sizeof(buf), "%s %u %s", owner, ldns_rr_ttl(rr),
			 type);

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		char *rd = ldns_rdf2str(ldns_rr_rdf(rr, i));

		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " %s", rd);
		free(rd);
	}
	free(owner);
	free(type);
	return strdup(buf);
}

/* A section as its records' text, sorted, joined with '|'. */
static char *section_text(const ldns_rr_list *l)
{
	size_t n = ldns_rr_list_rr_count(l), len = 1;
	char **v = calloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		v[i] = rr_text(ldns_rr_list_rr(l, i));
		len += strlen(v[i]) + 1;
	}
	qsort(v, n, sizeof(*v), str_cmp);

	char *out = calloc(1, len);

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, "|");
		strcat(out, v[i]);
		free(v[i]);
	}
	free(v);
	return out;
}

/* The same for an expected list written in any order. */
static char *sorted(const char *want)
{
	char *copy = strdup(want), *save = NULL, *tok;
	char *v[512];
	size_t n = 0;

	for (tok = strtok_r(copy, "|", &save); tok != NULL;
	     tok = strtok_r(NULL, "|", &save))
		v[n++] = tok;
	qsort(v, n, sizeof(*v), str_cmp);

	char *out = calloc(1, strlen(want) + 2);

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, "|");
		strcat(out, v[i]);
	}
	free(copy);
	return out;
}

static void expect_section(const ldns_rr_list *l, const char *want)
{
	char *got = section_text(l), *exp = sorted(want);

	assert_string_equal(got, exp);
	free(got);
	free(exp);
}

#define SOA_TAIL "ns.dns.cluster.local. hostmaster.cluster.local."

/* Expect rcode, the three sections ("" for empty). */
static void expect(struct nd_kube_store *s, const char *name, uint16_t qtype,
		   ldns_pkt_rcode rcode, const char *an, const char *ns,
		   const char *ar)
{
	struct reply *r = ask(s, name, qtype);

	assert_int_equal(r->status, ND_KUBE_ANSWERED);
	assert_int_equal(ldns_pkt_get_rcode(r->pkt), rcode);
	assert_false(ldns_pkt_tc(r->pkt));
	expect_section(ldns_pkt_answer(r->pkt), an);
	expect_section(ldns_pkt_authority(r->pkt), ns);
	expect_section(ldns_pkt_additional(r->pkt), ar);
	reply_free(r);
}

static void expect_answer(struct nd_kube_store *s, const char *name,
			  uint16_t qtype, const char *an)
{
	expect(s, name, qtype, LDNS_RCODE_NOERROR, an, "", "");
}

/* Negative answers: the SOA's serial changes, so only its start and end
 * are compared. */
static void expect_negative(struct nd_kube_store *s, const char *name,
			    uint16_t qtype, ldns_pkt_rcode rcode)
{
	struct reply *r = ask(s, name, qtype);

	assert_int_equal(r->status, ND_KUBE_ANSWERED);
	assert_int_equal(ldns_pkt_get_rcode(r->pkt), rcode);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 0);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_additional(r->pkt)), 0);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_authority(r->pkt)), 1);

	char *t = section_text(ldns_pkt_authority(r->pkt));
	const char *head = "cluster.local. 5 SOA " SOA_TAIL " ";

	if (strstr(name, "in-addr.arpa") != NULL)
		head = "in-addr.arpa. 5 SOA " SOA_TAIL " ";
	else if (strstr(name, "ip6.arpa") != NULL)
		head = "ip6.arpa. 5 SOA " SOA_TAIL " ";
	if (strncmp(t, head, strlen(head)) != 0)
		fail_msg("authority '%s' does not start with '%s'", t, head);
	assert_non_null(strstr(t, " 7200 1800 86400 5"));
	free(t);
	reply_free(r);
}

static void expect_nxdomain(struct nd_kube_store *s, const char *name,
			    uint16_t qtype)
{
	expect_negative(s, name, qtype, LDNS_RCODE_NXDOMAIN);
}

static void expect_nodata(struct nd_kube_store *s, const char *name,
			  uint16_t qtype)
{
	expect_negative(s, name, qtype, LDNS_RCODE_NOERROR);
}

static void expect_not_ours(struct nd_kube_store *s, const char *name,
			    uint16_t qtype)
{
	struct reply *r = ask(s, name, qtype);

	assert_int_equal(r->status, ND_KUBE_NOT_OURS);
	assert_int_equal(r->len, 0);
	reply_free(r);
}

static uint32_t serial_of(struct nd_kube_store *s)
{
	struct reply *r = ask(s, "cluster.local", ND_TYPE_SOA);
	ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_answer(r->pkt), 0);
	uint32_t serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));

	reply_free(r);
	return serial;
}

#define W "web.default.svc.cluster.local."
#define D "db.default.svc.cluster.local."

/* --- tests ------------------------------------------------------------- */

static void test_cluster_ip(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);

	put_web(s);
	expect_answer(s, W, ND_TYPE_A, W " 5 A 10.96.0.10");
	expect_answer(s, W, ND_TYPE_AAAA, W " 5 AAAA fd00::10");
	expect_answer(s, W, ND_TYPE_ANY,
		      W " 5 A 10.96.0.10|" W " 5 AAAA fd00::10");
	expect(s, "_http._tcp." W, ND_TYPE_SRV, LDNS_RCODE_NOERROR,
	       "_http._tcp." W " 5 SRV 0 100 80 " W, "",
	       W " 5 A 10.96.0.10|" W " 5 AAAA fd00::10");
	expect(s, "_dns._udp." W, ND_TYPE_SRV, LDNS_RCODE_NOERROR,
	       "_dns._udp." W " 5 SRV 0 100 53 " W, "",
	       W " 5 A 10.96.0.10|" W " 5 AAAA fd00::10");
	/* RFC 2782: the SRV target goes uncompressed (31 bytes here). */
	struct reply *r = ask(s, "_http._tcp." W, ND_TYPE_SRV);
	size_t at =
		ND_DNS_HEADER_LEN + sizeof("\x05_http\x04_tcp") - 1 + 31 + 4;

	assert_int_equal(nd_get16(r->b + at), 0xc00c);
	assert_int_equal(nd_get16(r->b + at + 10), 6 + 31);
	reply_free(r);

	/* The wrong protocol, an unnamed port. */
	expect_nxdomain(s, "_http._udp." W, ND_TYPE_SRV);
	expect_nxdomain(s, "_81._tcp." W, ND_TYPE_SRV);
	/* Empty non-terminals and names that exist without the type. */
	expect_nodata(s, "_tcp." W, ND_TYPE_SRV);
	expect_nodata(s, "_tcp." W, ND_TYPE_A);
	expect_nodata(s, W, ND_TYPE_TXT);
	expect_nodata(s, W, ND_TYPE_SRV);
	expect_nodata(s, "default.svc.cluster.local", ND_TYPE_A);
	expect_nodata(s, "svc.cluster.local", ND_TYPE_A);
	expect_nodata(s, "pod.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "other.svc.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "nope.default.svc.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "x." W, ND_TYPE_A);
	/* Reverse names of the cluster IPs. */
	expect_answer(s, "10.0.96.10.in-addr.arpa", ND_TYPE_PTR,
		      "10.0.96.10.in-addr.arpa. 5 PTR " W);
	expect_answer(s,
		      "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		      "0.0.d.f.ip6.arpa",
		      ND_TYPE_PTR,
		      "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		      "0.0.d.f.ip6.arpa. 5 PTR " W);
	expect_nodata(s, "10.0.96.10.in-addr.arpa", ND_TYPE_A);
	expect_nodata(s,
		      "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		      "0.0.d.f.ip6.arpa",
		      ND_TYPE_TXT);
	nd_kube_store_free(s);
}

static void test_case_and_edns(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);

	put_web(s);

	struct reply *r = ask_full(s, "WeB.DeFault.SVC.Cluster.LOCAL",
				   ND_TYPE_A, 1232, 1232);
	char *q;

	assert_int_equal(r->status, ND_KUBE_ANSWERED);
	q = ldns_rdf2str(
		ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(r->pkt), 0)));
	assert_string_equal(q, "WeB.DeFault.SVC.Cluster.LOCAL.");
	free(q);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 1);
	assert_int_equal(ldns_pkt_edns_udp_size(r->pkt), ND_EDNS_ADVERTISED);
	reply_free(r);

	/* The negative answers echo the spelling too. */
	r = ask_full(s, "NoPe.Default.Svc.Cluster.Local", ND_TYPE_A, 1232,
		     1232);
	assert_int_equal(ldns_pkt_get_rcode(r->pkt), LDNS_RCODE_NXDOMAIN);
	q = ldns_rdf2str(
		ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(r->pkt), 0)));
	assert_string_equal(q, "NoPe.Default.Svc.Cluster.Local.");
	free(q);
	reply_free(r);

	/* Reverse names are case-insensitive as well. */
	r = ask(s, "10.0.96.10.IN-ADDR.ARPA", ND_TYPE_PTR);
	assert_int_equal(r->status, ND_KUBE_ANSWERED);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 1);
	reply_free(r);
	nd_kube_store_free(s);
}

static void test_zone_apex(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);

	expect_answer(s, "dns-version.cluster.local", ND_TYPE_TXT,
		      "dns-version.cluster.local. 5 TXT \"1.1.0\"");
	expect_answer(s, "cluster.local", ND_TYPE_NS,
		      "cluster.local. 5 NS ns.dns.cluster.local.");

	struct reply *r = ask(s, "cluster.local", ND_TYPE_SOA);
	char *t = section_text(ldns_pkt_answer(r->pkt));

	assert_string_equal(t, "cluster.local. 5 SOA " SOA_TAIL
			       " 1 7200 1800 86400 5");
	free(t);
	reply_free(r);

	r = ask(s, "cluster.local", ND_TYPE_ANY);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 2);
	reply_free(r);

	expect_nodata(s, "cluster.local", ND_TYPE_A);
	expect_nodata(s, "dns-version.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "nothing.cluster.local", ND_TYPE_A);

	/* Every change moves the serial forward, in answers and in the
	 * authority section of negative ones. */
	uint32_t before = serial_of(s);

	put_web(s);
	assert_true(serial_of(s) > before);
	r = ask(s, "nothing.cluster.local", ND_TYPE_A);
	assert_int_equal(
		ldns_rdf2native_int32(ldns_rr_rdf(
			ldns_rr_list_rr(ldns_pkt_authority(r->pkt), 0), 2)),
		serial_of(s));
	reply_free(r);
	nd_kube_store_free(s);
}

static void test_not_ours(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);

	put_web(s);
	expect_not_ours(s, "example.com", ND_TYPE_A);
	expect_not_ours(s, "local", ND_TYPE_A);
	expect_not_ours(s, "xcluster.local", ND_TYPE_A);
	expect_not_ours(s, "web.default.svc.cluster.local.example.com",
			ND_TYPE_A);
	expect_not_ours(s, "8.8.8.8.in-addr.arpa", ND_TYPE_PTR);
	expect_not_ours(s, "96.10.in-addr.arpa", ND_TYPE_PTR);
	expect_not_ours(s, "in-addr.arpa", ND_TYPE_SOA);
	expect_not_ours(s, "1.0.0.0.ip6.arpa", ND_TYPE_PTR);
	nd_kube_store_free(s);
}

static void test_headless(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_slice a, b, c;

	put_headless(s, "default", "db");
	/* No ready endpoint yet: spec 2.4.1, NXDOMAIN for the Service
	 * name and its SRV names; the namespace exists. */
	expect_nxdomain(s, D, ND_TYPE_A);
	expect_nxdomain(s, D, ND_TYPE_AAAA);
	expect_nxdomain(s, D, ND_TYPE_ANY);
	expect_nxdomain(s, "_pg._tcp." D, ND_TYPE_SRV);
	expect_nodata(s, "default.svc.cluster.local", ND_TYPE_A);

	slice_init(&a, "default", "db-abc", "db", AF_INET);
	slice_ep(&a, "10.1.0.1", true, "db-0");
	slice_ep(&a, "10.1.0.2", true, NULL);
	slice_ep(&a, "10.1.0.3", false, "db-2");
	slice_port(&a, "pg", IPPROTO_TCP, 5432);
	slice_port(&a, "", IPPROTO_TCP, 9999);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	assert_null(a.eps);

	/* A second slice repeats an address and adds one, with its own
	 * port number for the same port name. */
	slice_init(&b, "default", "db-def", "db", AF_INET);
	slice_ep(&b, "10.1.0.1", true, "db-0");
	slice_ep(&b, "10.1.0.4", true, NULL);
	slice_port(&b, "pg", IPPROTO_TCP, 6432);
	assert_int_equal(nd_kube_store_put_slice(s, &b), 0);

	slice_init(&c, "default", "db-v6", "db", AF_INET6);
	slice_ep(&c, "fd00::4", true, "db-6");
	slice_port(&c, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_slice(s, &c), 0);

	expect_answer(s, D, ND_TYPE_A,
		      D " 5 A 10.1.0.1|" D " 5 A 10.1.0.2|" D " 5 A 10.1.0.4");
	expect_answer(s, D, ND_TYPE_AAAA, D " 5 AAAA fd00::4");
	expect_answer(s, "db-0." D, ND_TYPE_A, "db-0." D " 5 A 10.1.0.1");
	expect_answer(s, "10-1-0-2." D, ND_TYPE_A,
		      "10-1-0-2." D " 5 A 10.1.0.2");
	expect_answer(s, "db-6." D, ND_TYPE_AAAA, "db-6." D " 5 AAAA fd00::4");
	expect_nodata(s, "db-6." D, ND_TYPE_A);
	/* Not ready: no record at all. */
	expect_nxdomain(s, "db-2." D, ND_TYPE_A);
	expect_nxdomain(s, "10-1-0-3." D, ND_TYPE_A);
	/* With a hostname, the dashed name is not made. */
	expect_nxdomain(s, "10-1-0-1." D, ND_TYPE_A);

	expect(s, "_pg._tcp." D, ND_TYPE_SRV, LDNS_RCODE_NOERROR,
	       "_pg._tcp." D " 5 SRV 0 100 5432 db-0." D "|_pg._tcp." D
	       " 5 SRV 0 100 6432 db-0." D "|_pg._tcp." D
	       " 5 SRV 0 100 5432 10-1-0-2." D "|_pg._tcp." D
	       " 5 SRV 0 100 6432 10-1-0-4." D "|_pg._tcp." D
	       " 5 SRV 0 100 5432 db-6." D,
	       "",
	       "db-0." D " 5 A 10.1.0.1|10-1-0-2." D " 5 A 10.1.0.2|10-1-0-4." D
	       " 5 A 10.1.0.4|db-6." D " 5 AAAA fd00::4");
	expect_nodata(s, "_tcp." D, ND_TYPE_SRV);

	/* PTR for every ready endpoint address, to its hostname or its
	 * dashed name as CoreDNS does; a not-ready one is forwarded. */
	expect_answer(s, "1.0.1.10.in-addr.arpa", ND_TYPE_PTR,
		      "1.0.1.10.in-addr.arpa. 5 PTR db-0." D);
	expect_answer(s, "2.0.1.10.in-addr.arpa", ND_TYPE_PTR,
		      "2.0.1.10.in-addr.arpa. 5 PTR 10-1-0-2." D);
	expect_answer(s, "4.0.1.10.in-addr.arpa", ND_TYPE_PTR,
		      "4.0.1.10.in-addr.arpa. 5 PTR 10-1-0-4." D);
	expect_answer(s,
		      "4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		      "0.0.d.f.ip6.arpa",
		      ND_TYPE_PTR,
		      "4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		      "0.0.d.f.ip6.arpa. 5 PTR db-6." D);
	expect_not_ours(s, "3.0.1.10.in-addr.arpa", ND_TYPE_PTR);

	/* 10.1.0.2 goes not-ready: it leaves every answer. */
	slice_init(&a, "default", "db-abc", "db", AF_INET);
	slice_ep(&a, "10.1.0.1", true, "db-0");
	slice_ep(&a, "10.1.0.2", false, NULL);
	slice_ep(&a, "10.1.0.3", false, "db-2");
	slice_port(&a, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_answer(s, D, ND_TYPE_A, D " 5 A 10.1.0.1|" D " 5 A 10.1.0.4");
	expect_nxdomain(s, "10-1-0-2." D, ND_TYPE_A);
	expect_not_ours(s, "2.0.1.10.in-addr.arpa", ND_TYPE_PTR);
	expect(s, "_pg._tcp." D, ND_TYPE_SRV, LDNS_RCODE_NOERROR,
	       "_pg._tcp." D " 5 SRV 0 100 5432 db-0." D "|_pg._tcp." D
	       " 5 SRV 0 100 6432 db-0." D "|_pg._tcp." D
	       " 5 SRV 0 100 6432 10-1-0-4." D "|_pg._tcp." D
	       " 5 SRV 0 100 5432 db-6." D,
	       "",
	       "db-0." D " 5 A 10.1.0.1|10-1-0-4." D " 5 A 10.1.0.4|db-6." D
	       " 5 AAAA fd00::4");

	/* Deleting a slice removes what it gave; the shared address stays
	 * through the other slice. */
	assert_int_equal(nd_kube_store_del_slice(s, "default", "db-abc"), 0);
	expect_answer(s, D, ND_TYPE_A, D " 5 A 10.1.0.1|" D " 5 A 10.1.0.4");
	assert_int_equal(nd_kube_store_del_slice(s, "default", "db-def"), 0);
	expect_nodata(s, D, ND_TYPE_A);
	expect_nxdomain(s, "db-0." D, ND_TYPE_A);
	expect_not_ours(s, "1.0.1.10.in-addr.arpa", ND_TYPE_PTR);
	expect_answer(s, D, ND_TYPE_AAAA, D " 5 AAAA fd00::4");
	/* Deleting what is not there is fine. */
	assert_int_equal(nd_kube_store_del_slice(s, "default", "db-abc"), 0);

	/* The Service goes: its names and its namespace go. */
	assert_int_equal(nd_kube_store_del_service(s, "default", "db"), 0);
	expect_nxdomain(s, D, ND_TYPE_A);
	expect_nxdomain(s, "db-6." D, ND_TYPE_AAAA);
	expect_nxdomain(s, "default.svc.cluster.local", ND_TYPE_A);
	assert_int_equal(nd_kube_store_del_service(s, "default", "db"), 0);
	nd_kube_store_free(s);
}

static void test_slice_before_service(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_slice a;

	slice_init(&a, "default", "db-abc", "db", AF_INET);
	slice_ep(&a, "10.1.0.1", true, "db-0");
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_nxdomain(s, D, ND_TYPE_A);
	expect_nxdomain(s, "default.svc.cluster.local", ND_TYPE_A);

	put_headless(s, "default", "db");
	expect_answer(s, D, ND_TYPE_A, D " 5 A 10.1.0.1");
	expect_answer(s, "db-0." D, ND_TYPE_A, "db-0." D " 5 A 10.1.0.1");

	/* The Service goes and comes back: the kept slice serves again. */
	assert_int_equal(nd_kube_store_del_service(s, "default", "db"), 0);
	expect_nxdomain(s, D, ND_TYPE_A);
	put_headless(s, "default", "db");
	expect_answer(s, D, ND_TYPE_A, D " 5 A 10.1.0.1");

	/* A slice relabelled to another Service leaves the first. */
	slice_init(&a, "default", "db-abc", "other", AF_INET);
	slice_ep(&a, "10.1.0.1", true, "db-0");
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_nxdomain(s, D, ND_TYPE_A);
	expect_nodata(s, "default.svc.cluster.local", ND_TYPE_A);
	nd_kube_store_free(s);
}

static void test_external_name(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_service svc;
	const char *e = "ext.default.svc.cluster.local.";
	const char *cname = "ext.default.svc.cluster.local. 5 CNAME "
			    "db.example.com.";

	svc_init(&svc, "default", "ext", ND_SVC_EXTERNAL_NAME);
	svc.external_name = "db.example.com";
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
	expect_answer(s, e, ND_TYPE_A, cname);
	expect_answer(s, e, ND_TYPE_AAAA, cname);
	expect_answer(s, e, ND_TYPE_CNAME, cname);
	expect_answer(s, e, ND_TYPE_TXT, cname);
	expect_answer(s, e, ND_TYPE_ANY, cname);
	expect_answer(s, "EXT.default.svc.cluster.local", ND_TYPE_SRV,
		      "EXT.default.svc.cluster.local. 5 CNAME db.example.com.");
	expect_nxdomain(s, "x.ext.default.svc.cluster.local", ND_TYPE_A);

	/* Turned into a ClusterIP Service: the CNAME goes. */
	svc_init(&svc, "default", "ext", ND_SVC_CLUSTER_IP);
	svc_ip(&svc, "10.96.0.99");
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
	expect_answer(s, e, ND_TYPE_A,
		      "ext.default.svc.cluster.local. 5 A "
		      "10.96.0.99");
	expect_nodata(s, e, ND_TYPE_CNAME);
	nd_kube_store_free(s);
}

static void test_namespaces(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_VERIFIED);

	expect_nxdomain(s, "empty.svc.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "empty.pod.cluster.local", ND_TYPE_A);
	assert_int_equal(nd_kube_store_put_namespace(s, "empty"), 0);
	assert_int_equal(nd_kube_store_put_namespace(s, "empty"), 0);
	expect_nodata(s, "empty.svc.cluster.local", ND_TYPE_A);
	expect_nodata(s, "Empty.Svc.cluster.local", ND_TYPE_SRV);
	expect_nodata(s, "empty.pod.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "x.empty.svc.cluster.local", ND_TYPE_A);

	/* A Service keeps its namespace alive without the Namespace. */
	put_web(s);
	assert_int_equal(nd_kube_store_put_namespace(s, "default"), 0);
	assert_int_equal(nd_kube_store_del_namespace(s, "default"), 0);
	expect_nodata(s, "default.svc.cluster.local", ND_TYPE_A);
	assert_int_equal(nd_kube_store_del_service(s, "default", "web"), 0);
	expect_nxdomain(s, "default.svc.cluster.local", ND_TYPE_A);

	assert_int_equal(nd_kube_store_del_namespace(s, "empty"), 0);
	assert_int_equal(nd_kube_store_del_namespace(s, "empty"), 0);
	expect_nxdomain(s, "empty.svc.cluster.local", ND_TYPE_A);
	nd_kube_store_free(s);
}

static void test_shared_ptr(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_slice a;
	const char *rev = "7.0.2.10.in-addr.arpa";

	put_headless(s, "default", "one");
	put_headless(s, "default", "two");
	slice_init(&a, "default", "one-x", "one", AF_INET);
	slice_ep(&a, "10.2.0.7", true, "pod-7");
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	slice_init(&a, "default", "two-x", "two", AF_INET);
	slice_ep(&a, "10.2.0.7", true, "pod-7");
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);

	expect_answer(s, rev, ND_TYPE_PTR,
		      "7.0.2.10.in-addr.arpa. 5 PTR "
		      "pod-7.one.default.svc.cluster.local.|"
		      "7.0.2.10.in-addr.arpa. 5 PTR "
		      "pod-7.two.default.svc.cluster.local.");
	expect_nodata(s, rev, ND_TYPE_A);

	assert_int_equal(nd_kube_store_del_service(s, "default", "one"), 0);
	expect_answer(s, rev, ND_TYPE_PTR,
		      "7.0.2.10.in-addr.arpa. 5 PTR "
		      "pod-7.two.default.svc.cluster.local.");
	assert_int_equal(nd_kube_store_del_slice(s, "default", "two-x"), 0);
	expect_not_ours(s, rev, ND_TYPE_PTR);
	nd_kube_store_free(s);
}

/* The endpoints of a ClusterIP Service get PTRs too, as CoreDNS gives
 * them: to the hostname under the Service, else to the dashed name. */
static void test_endpoint_ptr(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_slice a;
	const char *v6 = "5.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
			 "0.0.0.d.f.ip6.arpa";

	put_web(s);
	slice_init(&a, "default", "web-abc", "web", AF_INET);
	slice_ep(&a, "10.1.1.1", true, NULL);
	slice_ep(&a, "10.1.1.2", false, NULL);
	slice_ep(&a, "10.1.1.3", true, "w-3");
	slice_port(&a, "http", IPPROTO_TCP, 8080);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	slice_init(&a, "default", "web-v6", "web", AF_INET6);
	slice_ep(&a, "fd00::1:5", true, NULL);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);

	expect_answer(s, "1.1.1.10.in-addr.arpa", ND_TYPE_PTR,
		      "1.1.1.10.in-addr.arpa. 5 PTR 10-1-1-1." W);
	expect_answer(s, "3.1.1.10.in-addr.arpa", ND_TYPE_PTR,
		      "3.1.1.10.in-addr.arpa. 5 PTR w-3." W);
	expect_answer(s, v6, ND_TYPE_PTR,
		      "5.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		      "0.0.d.f.ip6.arpa. 5 PTR fd00--1-5." W);
	expect_nodata(s, "1.1.1.10.in-addr.arpa", ND_TYPE_A);
	/* Not ready: no PTR, forwarded like any unknown address. */
	expect_not_ours(s, "2.1.1.10.in-addr.arpa", ND_TYPE_PTR);
	/* The cluster IP's PTR is unchanged, and so are the Service's
	 * forward answers: the cluster IP, not the endpoints. */
	expect_answer(s, "10.0.96.10.in-addr.arpa", ND_TYPE_PTR,
		      "10.0.96.10.in-addr.arpa. 5 PTR " W);
	expect_answer(s, W, ND_TYPE_A, W " 5 A 10.96.0.10");
	/* The names the PTRs point at resolve, as CoreDNS answers them. */
	expect_answer(s, "10-1-1-1." W, ND_TYPE_A, "10-1-1-1." W " 5 A 10.1.1.1");
	expect_answer(s, "w-3." W, ND_TYPE_A, "w-3." W " 5 A 10.1.1.3");
	expect_answer(s, "fd00--1-5." W, ND_TYPE_AAAA,
		      "fd00--1-5." W " 5 AAAA fd00::1:5");
	expect_nodata(s, "w-3." W, ND_TYPE_AAAA);
	expect_nxdomain(s, "10-1-1-2." W, ND_TYPE_A);
	expect_nxdomain(s, "10-1-1-3." W, ND_TYPE_A);

	/* An address in a ClusterIP and a headless Service: a PTR each. */
	put_headless(s, "default", "db");
	slice_init(&a, "default", "db-abc", "db", AF_INET);
	slice_ep(&a, "10.1.1.1", true, "db-0");
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_answer(s, "1.1.1.10.in-addr.arpa", ND_TYPE_PTR,
		      "1.1.1.10.in-addr.arpa. 5 PTR 10-1-1-1." W
		      "|1.1.1.10.in-addr.arpa. 5 PTR db-0." D);

	/* 10.1.1.1 goes not ready in web: db's PTR stays. */
	slice_init(&a, "default", "web-abc", "web", AF_INET);
	slice_ep(&a, "10.1.1.1", false, NULL);
	slice_ep(&a, "10.1.1.3", true, "w-3");
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_answer(s, "1.1.1.10.in-addr.arpa", ND_TYPE_PTR,
		      "1.1.1.10.in-addr.arpa. 5 PTR db-0." D);
	expect_nxdomain(s, "10-1-1-1." W, ND_TYPE_A);

	/* The Service goes: its endpoints' PTRs go with it. */
	assert_int_equal(nd_kube_store_del_service(s, "default", "web"), 0);
	expect_not_ours(s, "3.1.1.10.in-addr.arpa", ND_TYPE_PTR);
	expect_not_ours(s, v6, ND_TYPE_PTR);
	expect_not_ours(s, "10.0.96.10.in-addr.arpa", ND_TYPE_PTR);
	expect_nxdomain(s, "w-3." W, ND_TYPE_A);
	nd_kube_store_free(s);
}

static void test_relist(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_service svc;
	struct nd_kube_slice a;

	put_web(s);
	put_headless(s, "default", "db");
	slice_init(&a, "default", "db-1", "db", AF_INET);
	slice_ep(&a, "10.1.0.1", true, NULL);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	slice_init(&a, "default", "db-2", "db", AF_INET);
	slice_ep(&a, "10.1.0.2", true, NULL);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	assert_int_equal(nd_kube_store_put_namespace(s, "gone"), 0);
	assert_int_equal(nd_kube_store_put_namespace(s, "kept"), 0);

	/* Services: web comes again, db does not. */
	nd_kube_store_relist_begin(s, ND_KIND_SERVICE);
	put_web(s);
	expect_answer(s, D, ND_TYPE_A, D " 5 A 10.1.0.1|" D " 5 A 10.1.0.2");
	svc_init(&svc, "default", "new", ND_SVC_CLUSTER_IP);
	svc_ip(&svc, "10.96.0.20");
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
	assert_int_equal(nd_kube_store_relist_end(s, ND_KIND_SERVICE), 1);
	expect_answer(s, W, ND_TYPE_A, W " 5 A 10.96.0.10");
	expect_answer(s, "new.default.svc.cluster.local", ND_TYPE_A,
		      "new.default.svc.cluster.local. 5 A 10.96.0.20");
	expect_nxdomain(s, D, ND_TYPE_A);

	/* Slices: db-2 comes again; db-1 does not. The Service returns
	 * and finds only db-2. */
	nd_kube_store_relist_begin(s, ND_KIND_SLICE);
	slice_init(&a, "default", "db-2", "db", AF_INET);
	slice_ep(&a, "10.1.0.2", true, NULL);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	assert_int_equal(nd_kube_store_relist_end(s, ND_KIND_SLICE), 1);
	put_headless(s, "default", "db");
	expect_answer(s, D, ND_TYPE_A, D " 5 A 10.1.0.2");

	nd_kube_store_relist_begin(s, ND_KIND_NAMESPACE);
	assert_int_equal(nd_kube_store_put_namespace(s, "kept"), 0);
	assert_int_equal(nd_kube_store_relist_end(s, ND_KIND_NAMESPACE), 1);
	expect_nodata(s, "kept.svc.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "gone.svc.cluster.local", ND_TYPE_A);

	/* An end without a begin deletes nothing. */
	assert_int_equal(nd_kube_store_relist_end(s, ND_KIND_SERVICE), 0);

	struct nd_kube_store_stats st;

	nd_kube_store_get_stats(s, &st);
	assert_int_equal(st.services, 3);
	assert_int_equal(st.slices, 1);
	assert_int_equal(st.namespaces, 1);
	assert_int_equal(st.endpoints_ready, 1);
	assert_true(st.names > 10);
	assert_true(st.bytes > 1000);
	assert_true(st.renders >= 8);
	nd_kube_store_free(s);
}

static void test_pods(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	const char *p4 = "10-2-3-4.any.pod.cluster.local";
	const char *p6 = "fd00--5.any.pod.cluster.local";

	expect_answer(s, p4, ND_TYPE_A,
		      "10-2-3-4.any.pod.cluster.local. 5 A "
		      "10.2.3.4");
	expect_answer(s, p4, ND_TYPE_ANY,
		      "10-2-3-4.any.pod.cluster.local. 5 A "
		      "10.2.3.4");
	expect_nodata(s, p4, ND_TYPE_AAAA);
	expect_answer(s, p6, ND_TYPE_AAAA,
		      "fd00--5.any.pod.cluster.local. 5 "
		      "AAAA fd00::5");
	expect_answer(s, "10-2-3-4.ANY.Pod.cluster.local", ND_TYPE_A,
		      "10-2-3-4.ANY.Pod.cluster.local. 5 A 10.2.3.4");
	expect_nodata(s, "any.pod.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "not-an-ip.any.pod.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "10-2-3-256.any.pod.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "x.10-2-3-4.any.pod.cluster.local", ND_TYPE_A);
	nd_kube_store_free(s);

	/* Verified: only endpoint addresses of that namespace, ready or
	 * not. */
	struct nd_kube_slice a;

	s = store_make(ND_PODS_VERIFIED);
	expect_nxdomain(s, "10-2-3-4.prod.pod.cluster.local", ND_TYPE_A);
	slice_init(&a, "prod", "x-1", "x", AF_INET);
	slice_ep(&a, "10.2.3.4", true, NULL);
	slice_ep(&a, "10.2.3.5", false, NULL);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_answer(s, "10-2-3-4.prod.pod.cluster.local", ND_TYPE_A,
		      "10-2-3-4.prod.pod.cluster.local. 5 A 10.2.3.4");
	expect_answer(s, "10-2-3-5.prod.pod.cluster.local", ND_TYPE_A,
		      "10-2-3-5.prod.pod.cluster.local. 5 A 10.2.3.5");
	expect_nxdomain(s, "10-2-3-4.dev.pod.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "10-2-3-6.prod.pod.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "dev.pod.cluster.local", ND_TYPE_A);
	assert_int_equal(nd_kube_store_del_slice(s, "prod", "x-1"), 0);
	expect_nxdomain(s, "10-2-3-4.prod.pod.cluster.local", ND_TYPE_A);
	nd_kube_store_free(s);

	s = store_make(ND_PODS_DISABLED);
	expect_nxdomain(s, "10-2-3-4.any.pod.cluster.local", ND_TYPE_A);
	expect_nxdomain(s, "any.pod.cluster.local", ND_TYPE_A);
	expect_nodata(s, "pod.cluster.local", ND_TYPE_A);
	nd_kube_store_free(s);
}

static void test_truncation(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_slice a;
	char addr[32];

	put_headless(s, "default", "db");
	slice_init(&a, "default", "db-big", "db", AF_INET);
	for (int i = 0; i < 100; i++) {
		snprintf(addr, sizeof(addr), "10.3.0.%d", i + 1);
		slice_ep(&a, addr, true, NULL);
	}
	slice_port(&a, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);

	/* 100 A records (16 bytes each) do not fit 512 bytes: TC and the
	 * 29 that fit after header and question (12 + 34 + 29 * 16 = 510),
	 * whole, for stubs that do not retry over TCP. */
	struct reply *r = ask_full(s, D, ND_TYPE_A, NO_EDNS, 512);

	assert_int_equal(r->status, ND_KUBE_ANSWERED);
	assert_true(ldns_pkt_tc(r->pkt));
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 29);
	assert_int_equal(ldns_pkt_ancount(r->pkt), 29);
	assert_int_equal(ldns_pkt_arcount(r->pkt), 0);
	assert_int_equal(r->len, 510);
	reply_free(r);
	/* With EDNS 512 the OPT record takes its 11 bytes: 28 records. */
	r = ask_full(s, D, ND_TYPE_A, 512, 512);
	assert_true(ldns_pkt_tc(r->pkt));
	assert_true(ldns_pkt_edns(r->pkt));
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 28);
	assert_true(r->len <= 512);
	reply_free(r);

	/* Over TCP all of them. */
	r = ask_full(s, D, ND_TYPE_A, 1232, 65535);
	assert_false(ldns_pkt_tc(r->pkt));
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 100);
	reply_free(r);

	/* Three endpoints: the SRV records fit 512 bytes, their additional
	 * records do not; the answer goes without them and without TC. */
	slice_init(&a, "default", "db-big", "db", AF_INET);
	for (int i = 0; i < 8; i++) {
		snprintf(addr, sizeof(addr), "10.3.0.%d", i + 1);
		slice_ep(&a, addr, true, NULL);
	}
	slice_port(&a, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	r = ask_full(s, "_pg._tcp." D, ND_TYPE_SRV, 1232, 1232);
	assert_false(ldns_pkt_tc(r->pkt));
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 8);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_additional(r->pkt)), 8);
	reply_free(r);
	r = ask_full(s, "_pg._tcp." D, ND_TYPE_SRV, 600, 600);
	assert_false(ldns_pkt_tc(r->pkt));
	assert_true(r->len <= 600);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 8);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_additional(r->pkt)), 0);
	assert_true(ldns_pkt_edns(r->pkt));
	reply_free(r);
	/* The same cut for ANY, which this name answers from its SRV
	 * answer: the question stays ANY. */
	r = ask_full(s, "_pg._tcp." D, ND_TYPE_ANY, 600, 600);
	assert_false(ldns_pkt_tc(r->pkt));
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)), 8);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_additional(r->pkt)), 0);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(
				 ldns_pkt_question(r->pkt), 0)),
			 LDNS_RR_TYPE_ANY);
	reply_free(r);
	/* 200 bytes: the SRV records that fit, whole (their targets are
	 * not compressed, RFC 2782), TC, no additional records. */
	r = ask_full(s, "_pg._tcp." D, ND_TYPE_SRV, NO_EDNS, 200);
	assert_true(ldns_pkt_tc(r->pkt));
	assert_true(r->len <= 200);
	assert_true(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)) >= 1);
	assert_true(ldns_rr_list_rr_count(ldns_pkt_answer(r->pkt)) < 8);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_additional(r->pkt)), 0);
	reply_free(r);
	nd_kube_store_free(s);
}

/* The last byte of each answer address of r, in order, into last[]. */
static size_t answer_lasts(const struct reply *r, ldns_rr_type type,
			   int *last, size_t max)
{
	const ldns_rr_list *an = ldns_pkt_answer(r->pkt);
	size_t n = ldns_rr_list_rr_count(an);

	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rdf *rd = ldns_rr_rdf(rr, 0);

		assert_int_equal(ldns_rr_get_type(rr), type);
		last[i] = ldns_rdf_data(rd)[ldns_rdf_size(rd) - 1];
	}
	return n;
}

/* A headless Service's addresses rotate per answer (CoreDNS's
 * loadbalance), whole and truncated alike. */
static void test_rotation(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_slice a;
	char addr[32];
	int last[64];
	bool seen[64] = {false};

	put_headless(s, "default", "db");
	slice_init(&a, "default", "db-ten", "db", AF_INET);
	for (int i = 0; i < 10; i++) {
		snprintf(addr, sizeof(addr), "10.4.0.%d", i + 1);
		slice_ep(&a, addr, true, NULL);
	}
	slice_port(&a, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);

	/* Ten answers: each address leads once; each answer holds all ten,
	 * in the stored order rotated. */
	int order[10];
	struct reply *r = ask(s, D, ND_TYPE_A);

	assert_int_equal(answer_lasts(r, LDNS_RR_TYPE_A, order, 10), 10);
	reply_free(r);
	for (int k = 0; k < 10; k++) {
		r = ask(s, D, ND_TYPE_A);
		assert_false(ldns_pkt_tc(r->pkt));
		assert_int_equal(answer_lasts(r, LDNS_RR_TYPE_A, last, 64),
				 10);
		assert_false(seen[last[0]]);
		seen[last[0]] = true;

		int at = 0;

		while (order[at] != last[0])
			at++;
		for (int i = 0; i < 10; i++)
			assert_int_equal(last[i], order[(at + i) % 10]);
		reply_free(r);
	}

	/* Sixty, truncated to 29 at 512 bytes: two clients get two
	 * different runs of 29. */
	slice_init(&a, "default", "db-ten", "db", AF_INET);
	for (int i = 0; i < 60; i++) {
		snprintf(addr, sizeof(addr), "10.4.0.%d", i + 1);
		slice_ep(&a, addr, true, NULL);
	}
	slice_port(&a, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);

	struct reply *r1 = ask_full(s, D, ND_TYPE_A, NO_EDNS, 512);
	struct reply *r2 = ask_full(s, D, ND_TYPE_A, NO_EDNS, 512);
	int last2[64];

	assert_true(ldns_pkt_tc(r1->pkt) && ldns_pkt_tc(r2->pkt));
	assert_int_equal(answer_lasts(r1, LDNS_RR_TYPE_A, last, 64), 29);
	assert_int_equal(answer_lasts(r2, LDNS_RR_TYPE_A, last2, 64), 29);
	assert_int_not_equal(last[0], last2[0]);
	reply_free(r1);
	reply_free(r2);

	/* AAAA too. */
	slice_init(&a, "default", "db-v6", "db", AF_INET6);
	slice_ep(&a, "fd00::1", true, NULL);
	slice_ep(&a, "fd00::2", true, NULL);
	slice_ep(&a, "fd00::3", true, NULL);
	slice_port(&a, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	r1 = ask(s, D, ND_TYPE_AAAA);
	r2 = ask(s, D, ND_TYPE_AAAA);
	assert_int_equal(answer_lasts(r1, LDNS_RR_TYPE_AAAA, last, 64), 3);
	assert_int_equal(answer_lasts(r2, LDNS_RR_TYPE_AAAA, last2, 64), 3);
	assert_int_not_equal(last[0], last2[0]);
	reply_free(r1);
	reply_free(r2);
	/* ANY is not rotated; its answer holds both families. */
	r1 = ask(s, D, ND_TYPE_ANY);
	r2 = ask(s, D, ND_TYPE_ANY);
	assert_int_equal(r1->len, r2->len);
	assert_memory_equal(r1->b + 2, r2->b + 2, r1->len - 2);
	reply_free(r1);
	reply_free(r2);
	nd_kube_store_free(s);
}

static void test_einval(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_store_options o = {.zone = ".", .ttl_s = 5};
	struct nd_kube_service svc;
	struct nd_kube_slice sl;
	struct nd_query q;
	uint8_t out[512];
	size_t len;

	assert_null(nd_kube_store_new(NULL));
	assert_null(nd_kube_store_new(&o));
	o.zone = NULL;
	assert_null(nd_kube_store_new(&o));
	o.zone = "cluster..local";
	assert_null(nd_kube_store_new(&o));
	o.zone = "cluster.local";
	o.pods = (enum nd_pods_mode)7;
	assert_null(nd_kube_store_new(&o));
	nd_kube_store_free(NULL);

	memset(&svc, 0, sizeof(svc));
	assert_int_equal(nd_kube_store_put_service(NULL, &svc), -EINVAL);
	assert_int_equal(nd_kube_store_put_service(s, NULL), -EINVAL);
	assert_int_equal(nd_kube_store_put_service(s, &svc), -EINVAL);
	memset(&sl, 0, sizeof(sl));
	assert_int_equal(nd_kube_store_put_slice(s, &sl), -EINVAL);
	assert_int_equal(nd_kube_store_del_service(s, NULL, "x"), -EINVAL);
	assert_int_equal(nd_kube_store_del_slice(s, "x", ""), -EINVAL);
	assert_int_equal(nd_kube_store_put_namespace(s, ""), -EINVAL);
	assert_int_equal(nd_kube_store_del_namespace(NULL, "x"), -EINVAL);

	make_query(W, ND_TYPE_A, 0, &q);
	assert_int_equal(
		nd_kube_store_answer(NULL, &q, 512, out, sizeof(out), &len),
		-EINVAL);
	assert_int_equal(
		nd_kube_store_answer(s, NULL, 512, out, sizeof(out), &len),
		-EINVAL);
	assert_int_equal(
		nd_kube_store_answer(s, &q, 512, NULL, sizeof(out), &len),
		-EINVAL);
	assert_int_equal(
		nd_kube_store_answer(s, &q, 512, out, sizeof(out), NULL),
		-EINVAL);
	q.has_question = false;
	assert_int_equal(
		nd_kube_store_answer(s, &q, 512, out, sizeof(out), &len),
		-EINVAL);
	/* Too small a buffer is an error, not a cut message. */
	make_query(W, ND_TYPE_A, 0, &q);
	put_web(s);
	assert_true(nd_kube_store_answer(s, &q, 512, out, 20, &len) < 0);
	nd_kube_store_free(s);
}

/* A name with one record type answers ANY from that type's answer (no
 * message is kept for it): the same records, the client's question. */
static void test_any_one_type(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	static const uint8_t asked[] = "\x05_HTTP\x04_tCP\x03web";

	put_web(s);
	expect(s, "_HTTP._tCP." W, ND_TYPE_ANY, LDNS_RCODE_NOERROR,
	       "_HTTP._tCP." W " 5 SRV 0 100 80 " W, "",
	       W " 5 A 10.96.0.10|" W " 5 AAAA fd00::10");
	expect_answer(s, "10.0.96.10.in-addr.arpa", ND_TYPE_ANY,
		      "10.0.96.10.in-addr.arpa. 5 PTR " W);
	/* Two types: an ANY answer of its own. */
	expect_answer(s, W, ND_TYPE_ANY,
		      W " 5 A 10.96.0.10|" W " 5 AAAA fd00::10");

	struct reply *r = ask(s, "_HTTP._tCP." W, ND_TYPE_ANY);
	const uint8_t *q = r->b + ND_DNS_HEADER_LEN;
	size_t qlen = sizeof("_http._tcp." W);

	assert_memory_equal(q, asked, sizeof(asked) - 1);
	assert_int_equal(nd_get16(q + qlen), ND_TYPE_ANY);
	reply_free(r);
	/* The SRV answer itself still says SRV. */
	r = ask(s, "_http._tcp." W, ND_TYPE_SRV);
	assert_int_equal(nd_get16(r->b + ND_DNS_HEADER_LEN + qlen),
			 ND_TYPE_SRV);
	reply_free(r);
	nd_kube_store_free(s);
}

/*
 * Thousands of names: the name table grows while they come (table.c
 * resizes it, not urcu's worker) and shrinks when they go; every name
 * answers across the resizes, and the stats come back to where they
 * started.
 */
static void test_many_names(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_store_stats st0, st;
	struct nd_kube_slice a;
	char addr[32], name[128], want[192];
	enum { N = 3000 };

	nd_kube_store_get_stats(s, &st0);
	assert_int_equal(st0.object_bytes, 0);
	assert_int_equal(st0.bytes, st0.object_bytes + st0.index_bytes +
					    st0.answer_bytes);
	put_headless(s, "default", "db");
	slice_init(&a, "default", "db-many", "db", AF_INET);
	for (int i = 0; i < N; i++) {
		snprintf(addr, sizeof(addr), "10.4.%d.%d", i / 250,
			 i % 250 + 1);
		slice_ep(&a, addr, true, NULL);
	}
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	nd_kube_store_get_stats(s, &st);
	assert_true(st.names > st0.names + N);
	assert_true(st.object_bytes > N * sizeof(struct nd_kube_endpoint));
	assert_true(st.index_bytes > st0.index_bytes);
	assert_true(st.answer_bytes > st0.answer_bytes);
	assert_int_equal(st.bytes,
			 st.object_bytes + st.index_bytes + st.answer_bytes);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "10-4-%d-%d." D, i / 250,
			 i % 250 + 1);
		snprintf(want, sizeof(want), "%s 5 A 10.4.%d.%d", name,
			 i / 250, i % 250 + 1);
		expect_answer(s, name, ND_TYPE_A, want);
	}

	assert_int_equal(nd_kube_store_del_slice(s, "default", "db-many"), 0);
	for (int i = 0; i < N; i += 97) {
		snprintf(name, sizeof(name), "10-4-%d-%d." D, i / 250,
			 i % 250 + 1);
		expect_nxdomain(s, name, ND_TYPE_A);
	}
	expect_nxdomain(s, D, ND_TYPE_A);
	assert_int_equal(nd_kube_store_del_service(s, "default", "db"), 0);
	nd_kube_store_get_stats(s, &st);
	assert_int_equal(st.names, st0.names);
	assert_int_equal(st.object_bytes, 0);
	assert_int_equal(st.answer_bytes, st0.answer_bytes);
	/* The writer's hash tables keep their buckets. */
	assert_true(st.index_bytes >= st0.index_bytes);
	expect_nxdomain(s, D, ND_TYPE_A);
	expect_nxdomain(s, "default.svc.cluster.local", ND_TYPE_A);
	nd_kube_store_free(s);
}

/* Objects whose text and addresses are in blocks they own, as the
 * decoder makes them: the store frees them with the object (the
 * sanitizers check), and counts them. */
static void test_owned_text(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	static const char text[] = "default\0db-x\0db\0web-0\0node-1";
	struct nd_kube_store_stats st1, st2;
	struct nd_kube_slice a;

	put_headless(s, "default", "db");
	for (int round = 0; round < 2; round++) {
		memset(&a, 0, sizeof(a));
		a.strs = malloc(sizeof(text));
		a.ips = calloc(1, sizeof(*a.ips));
		a.eps = calloc(1, sizeof(*a.eps));
		assert_non_null(a.strs);
		assert_non_null(a.ips);
		assert_non_null(a.eps);
		memcpy(a.strs, text, sizeof(text));
		a.ns = a.strs;
		a.name = a.strs + 8;
		a.service = a.strs + 13;
		a.rv = "";
		a.address_type = AF_INET;
		a.n_eps = 1;
		a.eps[0].addrs = a.ips;
		a.eps[0].n_addrs = 1;
		ip_set(&a.ips[0], round ? "10.5.0.2" : "10.5.0.1");
		a.eps[0].is_ready = true;
		a.eps[0].hostname = a.strs + 16;
		a.eps[0].node = a.strs + 22;
		a.eps[0].pod = "";
		assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
		assert_null(a.strs);
		nd_kube_store_get_stats(s, round ? &st2 : &st1);
	}
	expect_answer(s, "web-0." D, ND_TYPE_A, "web-0." D " 5 A 10.5.0.2");
	/* The same sizes in, the same bytes counted. */
	assert_int_equal(st1.object_bytes, st2.object_bytes);

	/* Text that is missing, or does not fit its field, is refused. */
	slice_init(&a, "default", "db-y", "db", AF_INET);
	slice_ep(&a, "10.5.0.3", true, NULL);
	a.eps[0].node = NULL;
	assert_int_equal(nd_kube_store_put_slice(s, &a), -EINVAL);
	a.eps[0].node = "";
	a.rv = NULL;
	assert_int_equal(nd_kube_store_put_slice(s, &a), -EINVAL);
	nd_kube_slice_deinit(&a);

	struct nd_kube_service svc;
	char long_name[ND_KUBE_FQDN_MAX + 1];

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	svc_init(&svc, "default", "ext", ND_SVC_EXTERNAL_NAME);
	svc.external_name = long_name;
	assert_int_equal(nd_kube_store_put_service(s, &svc), -EINVAL);
	svc.external_name = NULL;
	assert_int_equal(nd_kube_store_put_service(s, &svc), -EINVAL);
	nd_kube_service_deinit(&svc);
	nd_kube_store_free(s);
}

/* --- answer info: the Service behind a name ----------------------------- */

/* Ask through nd_kube_store_answer_info; *rcode gets the answer's RCODE. */
static struct nd_kube_answer_info
info_of(struct nd_kube_store *s, const char *name, uint16_t qtype, int *rcode)
{
	struct nd_kube_answer_info info = {.ready = 42, .is_headless = true};
	struct nd_query q;
	uint8_t out[4096];
	size_t len = 0;

	make_query(name, qtype, 1232, &q);
	assert_int_equal(nd_kube_store_answer_info(s, &q, 4096, out,
						   sizeof(out), &len, &info),
			 ND_KUBE_ANSWERED);
	assert_true(len >= ND_DNS_HEADER_LEN);
	*rcode = nd_get16(out + 2) & 0xf;
	return info;
}

static void expect_info(struct nd_kube_store *s, const char *name,
			uint16_t qtype, int rcode, int ready, bool is_headless)
{
	int got_rcode;
	struct nd_kube_answer_info info = info_of(s, name, qtype, &got_rcode);

	if (got_rcode != rcode || info.ready != ready ||
	    info.is_headless != is_headless)
		fail_msg("%s type %u: rcode %d ready %d headless %d, want "
			 "%d %d %d",
			 name, qtype, got_rcode, info.ready, info.is_headless,
			 rcode, ready, is_headless);
}

static void web_slice(struct nd_kube_store *s, bool ready1, bool ready2)
{
	struct nd_kube_slice a;

	slice_init(&a, "default", "web-abc", "web", AF_INET);
	slice_ep(&a, "10.1.1.1", ready1, NULL);
	slice_ep(&a, "10.1.1.2", ready2, NULL);
	slice_port(&a, "http", IPPROTO_TCP, 8080);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
}

static void test_info_cluster_ip(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	const char *v4only = "v4.default.svc.cluster.local";
	struct nd_kube_service svc;
	uint32_t serial;

	/* A slice before its Service: counted as soon as the Service comes. */
	web_slice(s, true, true);
	expect_info(s, W, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, -1, false);
	put_web(s);
	expect_info(s, W, ND_TYPE_A, LDNS_RCODE_NOERROR, 2, false);
	expect_info(s, W, ND_TYPE_ANY, LDNS_RCODE_NOERROR, 2, false);
	expect_info(s, "WEB.Default.svc.cluster.local", ND_TYPE_AAAA,
		    LDNS_RCODE_NOERROR, 2, false);
	expect_info(s, "_http._tcp." W, ND_TYPE_SRV, LDNS_RCODE_NOERROR, 2,
		    false);
	expect_info(s, "_dns._udp." W, ND_TYPE_SRV, LDNS_RCODE_NOERROR, 2,
		    false);
	/* So do the names of its endpoints, which its PTRs point at. */
	expect_info(s, "10-1-1-1." W, ND_TYPE_A, LDNS_RCODE_NOERROR, 2, false);
	/* NODATA on the Service's names still names the Service. */
	expect_info(s, W, ND_TYPE_TXT, LDNS_RCODE_NOERROR, 2, false);
	expect_info(s, "_tcp." W, ND_TYPE_SRV, LDNS_RCODE_NOERROR, 2, false);
	/* NXDOMAIN, reverse names, the namespace and the zone: no Service. */
	expect_info(s, "nope." W, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, -1, false);
	expect_info(s, "_http._udp." W, ND_TYPE_SRV, LDNS_RCODE_NXDOMAIN, -1,
		    false);
	expect_info(s, "10.0.96.10.in-addr.arpa", ND_TYPE_PTR,
		    LDNS_RCODE_NOERROR, -1, false);
	expect_info(s, "default.svc.cluster.local", ND_TYPE_A,
		    LDNS_RCODE_NOERROR, -1, false);
	expect_info(s, "cluster.local", ND_TYPE_SOA, LDNS_RCODE_NOERROR, -1,
		    false);
	expect_info(s, "10-2-3-4.default.pod.cluster.local", ND_TYPE_A,
		    LDNS_RCODE_NOERROR, -1, false);
	expect_info(s, "10-2-3-4.default.pod.cluster.local", ND_TYPE_AAAA,
		    LDNS_RCODE_NOERROR, -1, false);

	/* One endpoint goes not ready: the A records stay as they were,
	 * the count follows. */
	web_slice(s, true, false);
	expect_answer(s, W, ND_TYPE_A, W " 5 A 10.96.0.10");
	expect_info(s, W, ND_TYPE_A, LDNS_RCODE_NOERROR, 1, false);
	expect_info(s, "_http._tcp." W, ND_TYPE_SRV, LDNS_RCODE_NOERROR, 1,
		    false);
	/* The same slice again changes nothing. */
	serial = serial_of(s);
	web_slice(s, true, false);
	assert_int_equal(serial_of(s), serial);
	expect_info(s, W, ND_TYPE_A, LDNS_RCODE_NOERROR, 1, false);

	/* None ready: DNS answers, connections will fail. */
	web_slice(s, false, false);
	expect_answer(s, W, ND_TYPE_A, W " 5 A 10.96.0.10");
	expect_info(s, W, ND_TYPE_A, LDNS_RCODE_NOERROR, 0, false);
	expect_info(s, "_http._tcp." W, ND_TYPE_SRV, LDNS_RCODE_NOERROR, 0,
		    false);
	web_slice(s, true, true);
	expect_info(s, W, ND_TYPE_A, LDNS_RCODE_NOERROR, 2, false);
	assert_int_equal(nd_kube_store_del_slice(s, "default", "web-abc"), 0);
	expect_info(s, W, ND_TYPE_A, LDNS_RCODE_NOERROR, 0, false);

	/* An IPv4-only Service asked for AAAA: NODATA with its count. */
	svc_init(&svc, "default", "v4", ND_SVC_CLUSTER_IP);
	svc_ip(&svc, "10.96.0.11");
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
	expect_nodata(s, v4only, ND_TYPE_AAAA);
	expect_info(s, v4only, ND_TYPE_AAAA, LDNS_RCODE_NOERROR, 0, false);

	/* The Service goes: its names are no Service's any more. */
	assert_int_equal(nd_kube_store_del_service(s, "default", "web"), 0);
	expect_info(s, W, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, -1, false);

	/* Not ours: *info says no Service; a NULL info is fine. */
	struct nd_kube_answer_info info = {.ready = 7};
	struct nd_query q;
	uint8_t out[512];
	size_t len;

	make_query("example.com", ND_TYPE_A, 0, &q);
	assert_int_equal(nd_kube_store_answer_info(s, &q, 512, out, sizeof(out),
						   &len, &info),
			 ND_KUBE_NOT_OURS);
	assert_int_equal(info.ready, -1);
	make_query(v4only, ND_TYPE_A, 0, &q);
	assert_int_equal(nd_kube_store_answer_info(s, &q, 512, out, sizeof(out),
						   &len, NULL),
			 ND_KUBE_ANSWERED);
	assert_int_equal(nd_kube_store_answer_info(NULL, &q, 512, out,
						   sizeof(out), &len, &info),
			 -EINVAL);
	nd_kube_store_free(s);
}

static void test_info_headless(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_INSECURE);
	struct nd_kube_service svc;
	struct nd_kube_slice a;

	/* No endpoints: NXDOMAIN (spec 2.4.1), and still the Service with
	 * 0 ready, for its name and the names that would be under it. */
	put_headless(s, "default", "db");
	expect_nxdomain(s, D, ND_TYPE_A);
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, true);
	expect_info(s, D, ND_TYPE_AAAA, LDNS_RCODE_NXDOMAIN, 0, true);
	expect_info(s, "_pg._tcp." D, ND_TYPE_SRV, LDNS_RCODE_NXDOMAIN, 0,
		    true);
	expect_info(s, "db-0." D, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, true);
	/* The namespace is no Service's name. */
	expect_info(s, "default.svc.cluster.local", ND_TYPE_A,
		    LDNS_RCODE_NOERROR, -1, false);
	expect_info(s, "nope.default.svc.cluster.local", ND_TYPE_A,
		    LDNS_RCODE_NXDOMAIN, -1, false);
	slice_init(&a, "default", "db-abc", "db", AF_INET);
	slice_ep(&a, "10.1.0.1", false, "db-0");
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, true);
	expect_info(s, "db-0." D, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, true);

	/* An address in two slices is one backend; both families count;
	 * not-ready addresses do not. */
	slice_init(&a, "default", "db-abc", "db", AF_INET);
	slice_ep(&a, "10.1.0.1", true, "db-0");
	slice_ep(&a, "10.1.0.2", false, NULL);
	slice_port(&a, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	slice_init(&a, "default", "db-def", "db", AF_INET);
	slice_ep(&a, "10.1.0.1", true, "db-0");
	slice_ep(&a, "10.1.0.4", true, NULL);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	slice_init(&a, "default", "db-v6", "db", AF_INET6);
	slice_ep(&a, "fd00::4", true, "db-6");
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NOERROR, 3, true);
	expect_info(s, D, ND_TYPE_AAAA, LDNS_RCODE_NOERROR, 3, true);
	expect_info(s, "_pg._tcp." D, ND_TYPE_SRV, LDNS_RCODE_NOERROR, 3, true);
	/* Per-endpoint names carry their Service's count. */
	expect_info(s, "db-0." D, ND_TYPE_A, LDNS_RCODE_NOERROR, 3, true);
	expect_info(s, "db-6." D, ND_TYPE_A, LDNS_RCODE_NOERROR, 3, true);
	expect_info(s, "10-1-0-4." D, ND_TYPE_A, LDNS_RCODE_NOERROR, 3, true);
	expect_info(s, "10-1-0-2." D, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, -1,
		    false);
	/* A PTR name is not a Service name, even with one Service. */
	expect_info(s, "1.0.1.10.in-addr.arpa", ND_TYPE_PTR, LDNS_RCODE_NOERROR,
		    -1, false);

	assert_int_equal(nd_kube_store_del_slice(s, "default", "db-def"), 0);
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NOERROR, 2, true);
	expect_info(s, "db-0." D, ND_TYPE_A, LDNS_RCODE_NOERROR, 2, true);

	/* Turned into an ExternalName: no endpoints by design. */
	svc_init(&svc, "default", "db", ND_SVC_EXTERNAL_NAME);
	svc.external_name = "db.example.com";
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NOERROR, -1, false);
	expect_info(s, D, ND_TYPE_CNAME, LDNS_RCODE_NOERROR, -1, false);
	expect_info(s, "db-0." D, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, -1, false);

	/* And back to ClusterIP: the slices count again. */
	svc_init(&svc, "default", "db", ND_SVC_CLUSTER_IP);
	svc_ip(&svc, "10.96.0.30");
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NOERROR, 2, false);

	/* Headless again, and every endpoint goes not ready: the name
	 * goes (NXDOMAIN) and comes back with the first ready one. */
	put_headless(s, "default", "db");
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NOERROR, 2, true);
	assert_int_equal(nd_kube_store_del_slice(s, "default", "db-v6"), 0);
	slice_init(&a, "default", "db-abc", "db", AF_INET);
	slice_ep(&a, "10.1.0.1", false, "db-0");
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_nxdomain(s, D, ND_TYPE_A);
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, true);
	expect_info(s, "_pg._tcp." D, ND_TYPE_SRV, LDNS_RCODE_NXDOMAIN, 0,
		    true);
	slice_init(&a, "default", "db-abc", "db", AF_INET);
	slice_ep(&a, "10.1.0.1", true, "db-0");
	slice_port(&a, "pg", IPPROTO_TCP, 5432);
	assert_int_equal(nd_kube_store_put_slice(s, &a), 0);
	expect_answer(s, D, ND_TYPE_A, D " 5 A 10.1.0.1");
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NOERROR, 1, true);
	expect_info(s, "_pg._tcp." D, ND_TYPE_SRV, LDNS_RCODE_NOERROR, 1,
		    true);

	/* The Service goes: its absent name goes with it. */
	assert_int_equal(nd_kube_store_del_slice(s, "default", "db-abc"), 0);
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, true);
	assert_int_equal(nd_kube_store_del_service(s, "default", "db"), 0);
	expect_info(s, D, ND_TYPE_A, LDNS_RCODE_NXDOMAIN, -1, false);
	expect_info(s, "_pg._tcp." D, ND_TYPE_SRV, LDNS_RCODE_NXDOMAIN, -1,
		    false);
	nd_kube_store_free(s);
}

/* --- readers while the writer churns ----------------------------------- */

struct hammer {
	struct nd_kube_store *s;
	int iterations;
	int answered;
	int failures;
	volatile int *stop;
};

static void *reader_main(void *arg)
{
	struct hammer *h = arg;
	static const char *const names[] = {
		D,
		"db-0." D,
		"_pg._tcp." D,
		"1.0.1.10.in-addr.arpa",
		W,
		"default.svc.cluster.local",
		"nope." D,
	};
	static const uint16_t types[] = {ND_TYPE_A,   ND_TYPE_A, ND_TYPE_SRV,
					 ND_TYPE_PTR, ND_TYPE_A, ND_TYPE_A,
					 ND_TYPE_A};
	struct nd_query q[7];
	static __thread uint8_t out[65535];

	for (int i = 0; i < 7; i++)
		make_query(names[i], types[i], 1232, &q[i]);
	nd_rcu_register();
	for (int i = 0; i < h->iterations; i++) {
		size_t len;
		int k = i % 7;
		struct nd_kube_answer_info info;
		int r = nd_kube_store_answer_info(h->s, &q[k], 65535, out,
						  sizeof(out), &len, &info);
		ldns_pkt *p = NULL;

		/* The count comes with the answer it was published with:
		 * the headless name is the Service's whenever it exists. */
		if (r == ND_KUBE_ANSWERED && k == 0 &&
		    (nd_get16(out + 2) & 0xf) == ND_RCODE_NOERROR &&
		    (info.ready < 0 || !info.is_headless))
			h->failures++;

		if (r == ND_KUBE_NOT_OURS)
			continue;
		if (r != ND_KUBE_ANSWERED ||
		    ldns_wire2pkt(&p, out, len) != LDNS_STATUS_OK ||
		    (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR &&
		     ldns_pkt_get_rcode(p) != LDNS_RCODE_NXDOMAIN))
			h->failures++;
		else
			h->answered++;
		if (p != NULL)
			ldns_pkt_free(p);
	}
	nd_rcu_unregister();
	return NULL;
}

static void *writer_main(void *arg)
{
	struct hammer *h = arg;
	struct nd_kube_slice a;
	char addr[32];

	for (int i = 0; i < h->iterations; i++) {
		slice_init(&a, "default", i % 2 ? "db-a" : "db-b", "db",
			   AF_INET);
		for (int e = 0; e < 1 + i % 5; e++) {
			snprintf(addr, sizeof(addr), "10.1.%d.%d", i % 3,
				 e + 1);
			slice_ep(&a, addr, (i + e) % 3 != 0,
				 e == 0 ? "db-0" : NULL);
		}
		slice_port(&a, "pg", IPPROTO_TCP, (uint16_t)(5000 + i % 7));
		if (nd_kube_store_put_slice(h->s, &a) != 0)
			h->failures++;
		if (i % 50 == 0 &&
		    nd_kube_store_del_slice(h->s, "default", "db-a") != 0)
			h->failures++;
		if (i % 97 == 0) {
			nd_kube_store_del_service(h->s, "default", "db");
			put_headless(h->s, "default", "db");
		}
	}
	/* The writer thread exits registered: its key unregisters it. */
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	struct nd_kube_store *s = store_make(ND_PODS_VERIFIED);
	struct hammer rd[2] = {
		{.s = s, .iterations = 20000},
		{.s = s, .iterations = 20000},
	};
	struct hammer wr = {.s = s, .iterations = 1500};
	pthread_t t[3];

	put_web(s);
	put_headless(s, "default", "db");
	for (int i = 0; i < 2; i++)
		assert_int_equal(
			pthread_create(&t[i], NULL, reader_main, &rd[i]), 0);
	assert_int_equal(pthread_create(&t[2], NULL, writer_main, &wr), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(rd[0].failures + rd[1].failures + wr.failures, 0);
	assert_true(rd[0].answered > 0 && rd[1].answered > 0);

	struct nd_kube_store_stats st;

	nd_kube_store_get_stats(s, &st);
	assert_int_equal(st.services, 2);
	assert_true(st.renders >= 1500);
	nd_kube_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster_ip),
		cmocka_unit_test(test_case_and_edns),
		cmocka_unit_test(test_zone_apex),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_headless),
		cmocka_unit_test(test_slice_before_service),
		cmocka_unit_test(test_external_name),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_shared_ptr),
		cmocka_unit_test(test_endpoint_ptr),
		cmocka_unit_test(test_relist),
		cmocka_unit_test(test_pods),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_any_one_type),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_owned_text),
		cmocka_unit_test(test_info_cluster_ip),
		cmocka_unit_test(test_info_headless),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
