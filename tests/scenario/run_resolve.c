/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/scenario/run_resolve.c - drives resolver/resolve.c and
 * resolver/fetch.c (the query pipeline and the retry policy) through the
 * text scenarios in tests/scenario/resolve/NAME.scn with a fake clock and
 * a scripted upstream: no sockets, no sleeping. Each line is one step:
 *
 *   option NAME VALUE   before the first query: attempt_timeout_ms,
 *                       query_timeout_ms, upstreams (how many; they are
 *                       127.0.0.1:5301.. and never contacted), stale_s,
 *                       neg_max_ttl_s, min_ttl_s, max_ttl_s,
 *                       cache_max_ttl_s, zone (1: an empty cluster zone
 *                       cluster.local, not synced until "zone synced"),
 *                       allow CIDR (repeatable; default: everyone),
 *                       forward ZONE=N[,tcp] (a forward zone of N
 *                       upstreams, 127.0.0.1:5401.. for the first zone,
 *                       5411.. for the second, ...; tcp: asked over TCP
 *                       only), forward_tcp 1 (the default upstreams over
 *                       TCP only), max_fetches N, max_inflight N
 *                       (the process's bound; 0 = none, the default),
 *                       failure_cache_max_s N (0 = off; default 300, the
 *                       daemon's), drop_outside_allow 1, x20 1 (0x20
 *                       case mixing of upstream names)
 *   zone synced         the cluster zone has its first full view
 *   hosts ADDR NAME [ALIAS...]   a line of the hosts table (--hosts-file);
 *                       the lines so far are parsed and published, as a
 *                       new table replacing the last, at the next query
 *   hosts clear         empty the hosts table (published at the next
 *                       query: no table at all)
 *   hosts bad LINE      the next publish must fail at that line of the
 *                       table's text (the last good table stays)
 *   apply JSON          put a Service or EndpointSlice (the rest of the
 *                       line, one JSON object) into the cluster zone
 *   time +MS            the clock moves on
 *   query H NAME TYPE [edns] [tcp] [from=IP]   (TYPE: A, AAAA, TXT, SRV,
 *                       CNAME, PTR, MX)
 *                       a client query, named H in later steps
 *   reply H RCODE [cname=NAME] [a=IP]... [ttl=N] [soa=N] [tc] [mismatch]
 *                       [lowercase] [flipcase]
 *                       the upstream of the fetch H is waiting on (the
 *                       one it started, or the one its chain moved to)
 *                       answers its current attempt (cname: a CNAME from
 *                       the question's name first; soa=N: an SOA with
 *                       MINIMUM N in the authority section; mismatch: a
 *                       wrong ID; lowercase: the question's name in
 *                       lower case, as an upstream that does not echo
 *                       0x20 sends it; flipcase: every letter's case
 *                       the other way round, a spoof that guessed ID
 *                       and port but not the case)
 *   timeout H           that attempt's timer fires (fails when early)
 *   neterr H            that attempt fails on the network (ICMP, RST)
 *   expect H answer RCODE [an=N] [ttl=N] [ede=N] [src=SOURCE] [tc]
 *                       [attempts=N] [tcp] [aa] [qname=NAME]   H was
 *                       answered so (qname: the question's spelling,
 *                       byte for byte)
 *   expect H wait | drop | pending   joined a fetch | dropped | no
 *                       answer yet
 *   expect H send udp|tcp [upstream=N] [port=P] [timeout=MS]
 *                       [case=lower|mixed] (mixed: the name as sent
 *                       differs from its lower-case form)
 *                       the fetch H started sends its next attempt so
 *   expect H done       the fetch H started is over
 *   expect count NAME=N a worker counter: cache_hits, cache_misses,
 *                       cache_stale, inflight_joined, dropped,
 *                       kube_answers, hosts_answers, requests.N, tcp.N
 *                       (per upstream), fetches_refused,
 *                       inflight_capped, failcache_hits,
 *                       failcache_holds, drop_outside_allow,
 *                       rejected.N.REASON (REASON: id, question, case,
 *                       cookie); and inflight (fetches in flight now),
 *                       failcache_entries
 *
 * '#' starts a comment. A failed expectation prints FILE:LINE and what
 * was there instead.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "kube/apply.h"
#include "kube/store.h"
#include "resolver/cache.h"
#include "resolver/hosts.h"
#include "resolver/metrics.h"
#include "resolver/resolve.h"
#include "resolver/upstream.h"
#include "scn.h"
#include "util/addr.h"
#include "util/log.h"
#include "util/rcu.h"

#define MAX_QUERIES 64
#define UPSTREAM_PORT0 5301

enum qstate { Q_NONE, Q_ANSWERED, Q_WAITING, Q_DROPPED };

struct qrec {
	char name[32];
	enum qstate state;
	uint8_t *ans; /* malloc'd copy of the answer */
	size_t len;
	struct nd_query_event ev; /* pointers cleared: copied fields only */
	int fetch;		  /* index in fetches of the one it started,
				     -1 = none */
};

struct frec {
	struct nd_inflight_entry *e; /* NULL once over */
	struct nd_fetch_action act;  /* the last one */
	uint64_t act_at_us;
};

struct run {
	struct scn scn; /* first: the reader's view */
	uint64_t now_us;
	/* options */
	struct nd_cache_options co;
	struct nd_fetch_env env;
	unsigned n_upstreams;
	struct nd_acl acl;
	bool has_acl;
	bool has_zone;
	struct {
		uint8_t wire[ND_DNS_MAX_NAME];
		size_t wire_len;
		unsigned n;
		bool is_tcp;
		struct nd_upstreams *ups;
	} fz[ND_MAX_FORWARD_ZONES];	/* forward zones */
	size_t n_fz;
	bool forward_tcp;
	uint32_t max_fetches;
	uint32_t max_inflight;
	uint32_t failure_cache_max_s;
	bool drop_outside_allow;
	bool is_synced;
	uint32_t cache_max_ttl_s;
	char hosts[4096];	/* the hosts table's text so far */
	size_t hosts_len;
	bool is_hosts_dirty;	/* publish it at the next query */
	bool has_hosts;		/* hosts lines given (else no table) */
	unsigned hosts_bad_line; /* the next publish must fail here; 0 = no */
	/* built at the first query */
	bool is_set_up;
	struct nd_cache *cache;
	struct nd_kube_store *kube;
	struct nd_upstreams *ups;
	struct nd_resolver *res;
	struct nd_rs_worker *rw;
	struct nd_metrics m;
	uint8_t out[ND_DNS_MAX_MSG + 512];
	struct nd_rs_result result;
	struct nd_rs_result result_done;
	struct qrec q[MAX_QUERIES];
	int n_q;
	struct frec f[MAX_QUERIES];
	int n_f;
};

#define bad(r, ...) scn_bad(&(r)->scn, __VA_ARGS__)

static bool synced(void *arg)
{
	return ((struct run *)arg)->is_synced;
}

static struct nd_rs_policy policy(struct run *r)
{
	struct nd_rs_policy p = { r->has_acl ? &r->acl : NULL,
				  r->cache_max_ttl_s, r->drop_outside_allow };

	return p;
}

static bool set_up(struct run *r)
{
	struct sockaddr_storage addrs[ND_MAX_UPSTREAMS];

	if (r->is_set_up)
		return true;
	for (unsigned i = 0; i < r->n_upstreams; i++) {
		char spec[32];

		snprintf(spec, sizeof(spec), "127.0.0.1:%u",
			 UPSTREAM_PORT0 + i);
		if (nd_addr_parse(spec, 53, &addrs[i], NULL) != 0)
			return false;
	}
	r->cache = nd_cache_new(&r->co);
	r->ups = r->n_upstreams ? nd_upstreams_new(addrs, r->n_upstreams)
				: NULL;
	if (r->has_zone) {
		struct nd_kube_store_options ko = { .zone = "cluster.local",
						    .ttl_s = 5,
						    .pods = ND_PODS_INSECURE };

		r->kube = nd_kube_store_new(&ko);
		if (r->kube == NULL)
			return false;
	}
	struct nd_resolver_options ro = {
		.cache = r->cache,
		.kube = r->kube,
		.is_zone_synced = synced,
		.synced_arg = r,
		.io_size = sizeof(int),
		.max_fetches = r->max_fetches,
		.max_inflight = r->max_inflight,
		.failure_hold_max_s = r->failure_cache_max_s,
	};
	r->env.ups = r->ups;
	r->res = nd_resolver_new(&ro);
	r->rw = r->res ? nd_rs_worker_new(r->res, &r->m, &r->env) : NULL;
	if (r->cache == NULL || r->res == NULL || r->rw == NULL ||
	    (r->n_upstreams && r->ups == NULL))
		return false;
	if (r->n_fz > 0 || r->forward_tcp) {
		struct nd_rs_zone z[ND_MAX_FORWARD_ZONES];
		size_t slot = r->n_upstreams;

		for (size_t i = 0; i < r->n_fz; i++) {
			struct sockaddr_storage za[ND_MAX_ZONE_UPSTREAMS];

			for (unsigned k = 0; k < r->fz[i].n; k++) {
				char spec[32];

				snprintf(spec, sizeof(spec), "127.0.0.1:%zu",
					 5401 + 10 * i + k);
				if (nd_addr_parse(spec, 53, &za[k], NULL) != 0)
					return false;
			}
			r->fz[i].ups = nd_upstreams_new(za, r->fz[i].n);
			if (r->fz[i].ups == NULL)
				return false;
			z[i] = (struct nd_rs_zone){ r->fz[i].wire,
						    r->fz[i].wire_len,
						    r->fz[i].ups, slot,
						    r->fz[i].is_tcp };
			slot += r->fz[i].n;
		}
		if (nd_rs_worker_set_upstreams(r->rw, r->ups, r->forward_tcp, z,
					       r->n_fz, NULL, 0) != 0)
			return false;
	}
	r->is_set_up = true;
	return true;
}

static struct qrec *find_q(struct run *r, const char *name)
{
	for (int i = 0; i < r->n_q; i++)
		if (strcmp(r->q[i].name, name) == 0)
			return &r->q[i];
	bad(r, "no query named '%s'", name);
	return NULL;
}

static void record(struct qrec *q, const uint8_t *msg, size_t len,
		   const struct nd_query_event *ev)
{
	free(q->ans);
	q->ans = malloc(len ? len : 1);
	if (q->ans != NULL)
		memcpy(q->ans, msg, len);
	q->len = len;
	q->ev = *ev;
	q->ev.client = NULL;
	q->ev.qname_lc = NULL;
	q->state = len > 0 ? Q_ANSWERED : Q_DROPPED;
}

static void took(struct run *r, struct frec *f,
		 const struct nd_fetch_action *act);

/*
 * The fetch is over: every waiter gets its answer, or moves on to the
 * fetch of its CNAME's target (a new one is started after this fetch is
 * done with, as the daemon does).
 */
static void fetch_over(struct run *r, struct frec *f)
{
	struct nd_rs_policy p = policy(r);
	struct nd_rs_result *res = &r->result_done;
	struct nd_rs_request *rq;
	int started[MAX_QUERIES], n_started = 0;

	nd_resolve_done(r->rw, f->e, &f->act, r->now_us);
	while ((rq = nd_resolve_next(r->rw, &p, f->e, r->now_us, r->out,
				     sizeof(r->out), res)) != NULL) {
		int idx;

		memcpy(&idx, rq->io, sizeof(idx));
		switch (res->step) {
		case ND_RS_ANSWER:
		case ND_RS_DROP:
			if (idx >= 0 && idx < r->n_q)
				record(&r->q[idx], r->out, res->len, &res->ev);
			nd_rs_request_free(rq);
			break;
		case ND_RS_WAIT:
			r->q[idx].fetch = -1; /* joined another's fetch */
			break;
		case ND_RS_ASK:
			if (r->n_f == MAX_QUERIES) {
				bad(r, "too many fetches");
				break;
			}
			memset(&r->f[r->n_f], 0, sizeof(r->f[0]));
			r->f[r->n_f].e = res->fetch;
			r->f[r->n_f].act = res->act;
			r->q[idx].fetch = r->n_f;
			started[n_started++] = r->n_f++;
			break;
		}
	}
	free(f->e);
	f->e = NULL;
	for (int i = 0; i < n_started; i++) {
		struct frec *nf = &r->f[started[i]];
		struct nd_fetch_action act = nf->act;

		took(r, nf, &act);
	}
}

/* Take the fetch's next action; DONE ends it at once. */
static void took(struct run *r, struct frec *f,
		 const struct nd_fetch_action *act)
{
	if (act->what == ND_FETCH_WAIT)
		return; /* the attempt and its timer go on */
	f->act = *act;
	f->act_at_us = r->now_us;
	if (act->what == ND_FETCH_DONE)
		fetch_over(r, f);
}

/* The hosts lines given since the last query, as the table in force. */
static void publish_hosts(struct run *r)
{
	struct nd_hosts *h = NULL;
	struct nd_hosts_error err;
	int rc;

	if (!r->is_hosts_dirty)
		return;
	r->is_hosts_dirty = false;
	if (!r->has_hosts) {
		nd_resolver_set_hosts(r->res, NULL);
		return;
	}
	rc = nd_hosts_parse(r->hosts, r->hosts_len, ND_HOSTS_TTL_DEFAULT_S, &h,
			    &err);
	if (r->hosts_bad_line != 0) {
		if (rc == 0 || err.line != r->hosts_bad_line)
			bad(r, "hosts: want a failure at line %u, got %s "
			    "(line %u)", r->hosts_bad_line,
			    rc == 0 ? "none" : err.reason, err.line);
		r->hosts_bad_line = 0;
		nd_hosts_free(h);
		return;	/* as the daemon does: the last good table stays */
	}
	if (rc != 0) {
		bad(r, "hosts line %u: %s", err.line, err.reason);
		return;
	}
	nd_resolver_set_hosts(r->res, h);
}

static void do_hosts(struct run *r, char **t, int n)
{
	uint64_t v;

	if (n == 2 && strcmp(t[1], "clear") == 0) {
		r->hosts_len = 0;
		r->has_hosts = false;
		r->is_hosts_dirty = true;
		return;
	}
	if (n == 3 && strcmp(t[1], "bad") == 0 && scn_u64(t[2], &v) && v > 0) {
		r->hosts_bad_line = (unsigned)v;
		return;
	}
	for (int i = 1; i < n; i++) {
		size_t l = strlen(t[i]);

		if (r->hosts_len + l + 2 > sizeof(r->hosts)) {
			bad(r, "hosts: more than %zu bytes", sizeof(r->hosts));
			return;
		}
		memcpy(r->hosts + r->hosts_len, t[i], l);
		r->hosts_len += l;
		r->hosts[r->hosts_len++] = i + 1 < n ? ' ' : '\n';
	}
	r->has_hosts = true;
	r->is_hosts_dirty = true;
}

static void do_query(struct run *r, char **t, int n)
{
	uint8_t pkt[ND_DNS_HEADER_LEN + ND_DNS_MAX_NAME + 4 + 11];
	uint8_t name[ND_DNS_MAX_NAME];
	struct sockaddr_storage from;
	const char *from_s = "127.0.0.1";
	bool edns = false, tcp = false;
	struct qrec *q;
	uint16_t type;
	size_t len;
	int nl;

	if (n < 4 || r->n_q == MAX_QUERIES) {
		bad(r, "query H NAME TYPE [edns] [tcp] [from=IP]");
		return;
	}
	if (!set_up(r)) {
		bad(r, "could not set up the resolver");
		return;
	}
	publish_hosts(r);
	for (int i = 4; i < n; i++) {
		if (strcmp(t[i], "edns") == 0)
			edns = true;
		else if (strcmp(t[i], "tcp") == 0)
			tcp = true;
		else if (scn_kv(t[i], "from"))
			from_s = scn_kv(t[i], "from");
	}
	if (strcmp(t[3], "A") == 0)
		type = ND_TYPE_A;
	else if (strcmp(t[3], "AAAA") == 0)
		type = ND_TYPE_AAAA;
	else if (strcmp(t[3], "TXT") == 0)
		type = ND_TYPE_TXT;
	else if (strcmp(t[3], "SRV") == 0)
		type = ND_TYPE_SRV;
	else if (strcmp(t[3], "CNAME") == 0)
		type = ND_TYPE_CNAME;
	else if (strcmp(t[3], "PTR") == 0)
		type = ND_TYPE_PTR;
	else if (strcmp(t[3], "MX") == 0)
		type = ND_TYPE_MX;
	else {
		bad(r, "type A, AAAA, TXT, SRV, CNAME, PTR or MX");
		return;
	}
	nl = nd_dns_name_from_text(t[2], name, sizeof(name));
	if (nl <= 0 || nd_addr_parse(from_s, 40000, &from, NULL) != 0) {
		bad(r, "bad name or from=");
		return;
	}
	memset(pkt, 0, ND_DNS_HEADER_LEN);
	nd_put16(pkt, (uint16_t)(0x1000 + r->n_q));
	nd_put16(pkt + 2, ND_FLAG_RD);
	nd_put16(pkt + 4, 1);
	nd_put16(pkt + 10, edns ? 1 : 0);
	len = ND_DNS_HEADER_LEN;
	memcpy(pkt + len, name, (size_t)nl);
	len += (size_t)nl;
	nd_put16(pkt + len, type);
	nd_put16(pkt + len + 2, 1);
	len += 4;
	if (edns) {
		static const uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0,
						 0, 0, 0, 0, 0 };
		memcpy(pkt + len, opt, sizeof(opt));
		len += sizeof(opt);
	}
	q = &r->q[r->n_q];
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", t[1]);
	q->fetch = -1;
	int idx = r->n_q++;
	struct nd_rs_policy p = policy(r);
	if (nd_resolve_begin(r->rw, &p, tcp ? ND_PROTO_TCP : ND_PROTO_UDP,
			     (const struct sockaddr *)&from, &idx, pkt, len,
			     r->now_us, r->out, sizeof(r->out),
			     &r->result) != 0) {
		bad(r, "nd_resolve_begin failed");
		return;
	}
	switch (r->result.step) {
	case ND_RS_ANSWER:
		record(q, r->out, r->result.len, &r->result.ev);
		break;
	case ND_RS_DROP:
		q->state = Q_DROPPED;
		break;
	case ND_RS_WAIT:
		q->state = Q_WAITING;
		break;
	case ND_RS_ASK: {
		struct frec *f = &r->f[r->n_f];

		q->state = Q_WAITING;
		q->fetch = r->n_f++;
		memset(f, 0, sizeof(*f));
		f->e = r->result.fetch;
		took(r, f, &r->result.act);
		break;
	}
	}
}

/* The fetch query H started, still running; NULL with a failure. */
static struct frec *running(struct run *r, const char *h)
{
	struct qrec *q = find_q(r, h);

	if (q == NULL)
		return NULL;
	if (q->fetch < 0) {
		bad(r, "query %s started no fetch", h);
		return NULL;
	}
	if (r->f[q->fetch].e == NULL) {
		bad(r, "the fetch of %s is over", h);
		return NULL;
	}
	return &r->f[q->fetch];
}

/* Skip a (possibly compressed) name at p; NULL past the end. */
static const uint8_t *skip_name(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		if ((*p & 0xC0) == 0xC0)
			return p + 2 <= end ? p + 2 : NULL;
		if (*p == 0)
			return p + 1;
		p += 1 + *p;
	}
	return NULL;
}

static void do_reply(struct run *r, char **t, int n)
{
	static const struct {
		const char *name;
		int rcode;
	} rcodes[] = { { "NOERROR", 0 },  { "FORMERR", 1 }, { "SERVFAIL", 2 },
		       { "NXDOMAIN", 3 }, { "NOTIMP", 4 },  { "REFUSED", 5 } };
	struct frec *f = n >= 3 ? running(r, t[1]) : NULL;
	uint8_t pkt[2048];
	const uint8_t *qend;
	uint64_t ttl = 300, soa = 0;
	bool tc = false, mismatch = false, has_soa = false;
	bool lowercase = false, flipcase = false;
	int rcode = -1;
	uint16_t an = 0;
	size_t len;

	if (f == NULL) {
		if (n < 3)
			bad(r, "reply H RCODE ...");
		return;
	}
	if (f->act.what != ND_FETCH_SEND) {
		bad(r, "no attempt to reply to");
		return;
	}
	for (size_t i = 0; i < sizeof(rcodes) / sizeof(rcodes[0]); i++)
		if (strcmp(t[2], rcodes[i].name) == 0)
			rcode = rcodes[i].rcode;
	if (rcode < 0) {
		bad(r, "unknown rcode %s", t[2]);
		return;
	}
	for (int i = 3; i < n; i++) {
		if (strcmp(t[i], "tc") == 0)
			tc = true;
		else if (strcmp(t[i], "mismatch") == 0)
			mismatch = true;
		else if (strcmp(t[i], "lowercase") == 0)
			lowercase = true;
		else if (strcmp(t[i], "flipcase") == 0)
			flipcase = true;
		else if (scn_kv(t[i], "ttl"))
			scn_u64(scn_kv(t[i], "ttl"), &ttl);
		else if (scn_kv(t[i], "soa"))
			has_soa = scn_u64(scn_kv(t[i], "soa"), &soa);
	}
	/* Header and question from the query the fetch sent. */
	const uint8_t *msg = f->e->fetch.msg;
	size_t mlen = f->e->fetch.msg_len;
	qend = skip_name(msg + ND_DNS_HEADER_LEN, msg + mlen);
	if (qend == NULL || qend + 4 > msg + mlen) {
		bad(r, "the fetch's query is malformed");
		return;
	}
	qend += 4;
	len = (size_t)(qend - msg);
	memcpy(pkt, msg, len);
	if (mismatch)
		nd_put16(pkt, (uint16_t)(nd_get16(msg) + 1));
	/* The name's bytes: label lengths never fall in 'A'..'z' here (the
	 * scenarios' labels are short), so folding whole bytes is safe. */
	for (uint8_t *c = pkt + ND_DNS_HEADER_LEN; c < pkt + len - 4; c++) {
		bool letter = (*c >= 'a' && *c <= 'z') ||
			      (*c >= 'A' && *c <= 'Z');

		if (letter && lowercase)
			*c = (uint8_t)(*c | 0x20);
		else if (letter && flipcase)
			*c = (uint8_t)(*c ^ 0x20);
	}
	nd_put16(pkt + 2, (uint16_t)(ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA |
				     (tc ? ND_FLAG_TC : 0) | rcode));
	nd_put16(pkt + 10, 0);
	uint8_t owner[ND_DNS_MAX_NAME];
	size_t owner_len = 0;

	for (int i = 3; i < n; i++) {
		const char *target = scn_kv(t[i], "cname");
		uint8_t wire[ND_DNS_MAX_NAME];
		int wl;

		if (target == NULL)
			continue;
		wl = nd_dns_name_from_text(target, wire, sizeof(wire));
		if (wl <= 0) {
			bad(r, "bad cname %s", target);
			return;
		}
		nd_put16(pkt + len, 0xC00C);
		nd_put16(pkt + len + 2, ND_TYPE_CNAME);
		nd_put16(pkt + len + 4, 1);
		nd_put32(pkt + len + 6, (uint32_t)ttl);
		nd_put16(pkt + len + 10, (uint16_t)wl);
		memcpy(pkt + len + 12, wire, (size_t)wl);
		len += 12 + (size_t)wl;
		an++;
		/* The addresses that follow belong to the target. */
		memcpy(owner, wire, (size_t)wl);
		owner_len = (size_t)wl;
	}
	for (int i = 3; i < n; i++) {
		const char *ip = scn_kv(t[i], "a");
		uint8_t rd[16];
		bool v6;

		if (ip == NULL)
			continue;
		v6 = strchr(ip, ':') != NULL;
		if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, rd) != 1) {
			bad(r, "bad address %s", ip);
			return;
		}
		if (owner_len > 0) {
			memcpy(pkt + len, owner, owner_len);
			len += owner_len - 2; /* the 2 bytes of a pointer below */
		} else {
			nd_put16(pkt + len, 0xC00C);
		}
		nd_put16(pkt + len + 2, v6 ? ND_TYPE_AAAA : ND_TYPE_A);
		nd_put16(pkt + len + 4, 1);
		nd_put32(pkt + len + 6, (uint32_t)ttl);
		nd_put16(pkt + len + 10, v6 ? 16 : 4);
		memcpy(pkt + len + 12, rd, v6 ? 16 : 4);
		len += 12 + (v6 ? 16 : 4);
		an++;
	}
	nd_put16(pkt + 6, an);
	nd_put16(pkt + 8, has_soa ? 1 : 0);
	if (has_soa) {
		/* Root names for MNAME and RNAME: only MINIMUM matters. */
		nd_put16(pkt + len, 0xC00C);
		nd_put16(pkt + len + 2, ND_TYPE_SOA);
		nd_put16(pkt + len + 4, 1);
		nd_put32(pkt + len + 6, (uint32_t)soa);
		nd_put16(pkt + len + 10, 22);
		len += 12;
		memset(pkt + len, 0, 22);
		nd_put32(pkt + len + 18, (uint32_t)soa);
		len += 22;
	}
	struct nd_fetch_action act;
	if (nd_fetch_reply(&f->e->fetch, pkt, len, r->now_us, &act) != 0) {
		bad(r, "nd_fetch_reply refused the reply");
		return;
	}
	took(r, f, &act);
}

/* Section walk of an answer for expectations: the first answer TTL and
 * the EDE INFO-CODE (-1 = none). */
static void inspect(const uint8_t *m, size_t len, long *ttl, int *ede)
{
	const uint8_t *p = m + ND_DNS_HEADER_LEN, *end = m + len;
	unsigned counts[3] = { nd_get16(m + 6), nd_get16(m + 8),
			       nd_get16(m + 10) };

	*ttl = -1;
	*ede = -1;
	p = skip_name(p, end);
	if (p == NULL || p + 4 > end)
		return;
	p += 4;
	for (int s = 0; s < 3; s++) {
		for (unsigned i = 0; i < counts[s]; i++) {
			uint16_t type, rdlen;

			p = skip_name(p, end);
			if (p == NULL || p + 10 > end)
				return;
			type = nd_get16(p);
			if (s == 0 && i == 0)
				*ttl = (long)nd_get32(p + 4);
			rdlen = nd_get16(p + 8);
			p += 10;
			if (p + rdlen > end)
				return;
			if (s == 2 && type == ND_TYPE_OPT) {
				const uint8_t *o = p, *oe = p + rdlen;

				while (o + 4 <= oe) {
					uint16_t code = nd_get16(o),
						 ol = nd_get16(o + 2);

					if (code == 15 && ol >= 2 &&
					    o + 4 + ol <= oe)
						*ede = nd_get16(o + 4);
					o += 4 + ol;
				}
			}
			p += rdlen;
		}
	}
}

static void expect_answer(struct run *r, struct qrec *q, char **t, int n)
{
	static const char *const rcodes[] = { "NOERROR",  "FORMERR",
					      "SERVFAIL", "NXDOMAIN",
					      "NOTIMP",	  "REFUSED" };
	uint16_t flags;
	long ttl;
	int ede;

	if (q->state != Q_ANSWERED || q->len < ND_DNS_HEADER_LEN) {
		bad(r, "%s: no answer (%s)", q->name,
		    q->state == Q_WAITING ? "waiting" :
		    q->state == Q_DROPPED ? "dropped" : "none");
		return;
	}
	flags = nd_get16(q->ans + 2);
	inspect(q->ans, q->len, &ttl, &ede);
	if (n >= 4 && strcmp(t[3], rcodes[(flags & 0xF) < 6 ? (flags & 0xF) : 0]))
		bad(r, "%s: rcode %u, want %s", q->name, flags & 0xF, t[3]);
	for (int i = 4; i < n; i++) {
		const char *v;
		uint64_t want = 0;

		if (strcmp(t[i], "tc") == 0) {
			if (!(flags & ND_FLAG_TC))
				bad(r, "%s: TC not set", q->name);
		} else if (strcmp(t[i], "aa") == 0) {
			if (!(flags & ND_FLAG_AA))
				bad(r, "%s: AA not set", q->name);
		} else if ((v = scn_kv(t[i], "qname")) != NULL) {
			uint8_t want_name[ND_DNS_MAX_NAME];
			int wl = nd_dns_name_from_text(v, want_name,
						       sizeof(want_name));

			if (wl <= 0 || q->len < ND_DNS_HEADER_LEN + (size_t)wl ||
			    memcmp(q->ans + ND_DNS_HEADER_LEN, want_name,
				   (size_t)wl) != 0)
				bad(r, "%s: the question is not spelled %s",
				    q->name, v);
		} else if (strcmp(t[i], "tcp") == 0) {
			if (!q->ev.used_tcp)
				bad(r, "%s: no attempt went over TCP", q->name);
		} else if ((v = scn_kv(t[i], "src")) != NULL) {
			if (strcmp(v, nd_answer_source_name(q->ev.source)))
				bad(r, "%s: source %s, want %s", q->name,
				    nd_answer_source_name(q->ev.source), v);
		} else if ((v = scn_kv(t[i], "an")) && scn_u64(v, &want)) {
			if (nd_get16(q->ans + 6) != want)
				bad(r, "%s: %u answer records, want %s",
				    q->name, nd_get16(q->ans + 6), v);
		} else if ((v = scn_kv(t[i], "ttl")) && scn_u64(v, &want)) {
			if (ttl != (long)want)
				bad(r, "%s: first TTL %ld, want %s", q->name,
				    ttl, v);
		} else if ((v = scn_kv(t[i], "ede"))) {
			long w = strcmp(v, "none") == 0 ? -1 : atol(v);

			if (ede != w)
				bad(r, "%s: EDE %d, want %s", q->name, ede, v);
		} else if ((v = scn_kv(t[i], "attempts")) &&
			   scn_u64(v, &want)) {
			if (q->ev.attempts != want)
				bad(r, "%s: %u attempts, want %s", q->name,
				    q->ev.attempts, v);
		} else {
			bad(r, "unknown answer expectation '%s'", t[i]);
		}
	}
}

static void expect_send(struct run *r, struct qrec *q, char **t, int n)
{
	struct frec *f = q->fetch >= 0 ? &r->f[q->fetch] : NULL;
	const struct nd_fetch_action *a = f ? &f->act : NULL;

	if (a == NULL || f->e == NULL || a->what != ND_FETCH_SEND) {
		bad(r, "%s: no attempt being sent", q->name);
		return;
	}
	if (n >= 4 && strcmp(t[3], a->is_tcp ? "tcp" : "udp") != 0)
		bad(r, "%s: sends over %s, want %s", q->name,
		    a->is_tcp ? "tcp" : "udp", t[3]);
	for (int i = 4; i < n; i++) {
		const char *v;
		uint64_t want;

		if ((v = scn_kv(t[i], "upstream")) && scn_u64(v, &want)) {
			unsigned port = ntohs(
				((const struct sockaddr_in *)a->addr)->sin_port);

			if (port != UPSTREAM_PORT0 + want)
				bad(r, "%s: sends to upstream %u, want %s",
				    q->name, port - UPSTREAM_PORT0, v);
		} else if ((v = scn_kv(t[i], "port")) && scn_u64(v, &want)) {
			unsigned port = ntohs(
				((const struct sockaddr_in *)a->addr)->sin_port);

			if (port != want)
				bad(r, "%s: sends to port %u, want %s",
				    q->name, port, v);
		} else if ((v = scn_kv(t[i], "timeout")) &&
			   scn_u64(v, &want)) {
			if (a->timeout_ms != want)
				bad(r, "%s: attempt timer %u ms, want %s",
				    q->name, a->timeout_ms, v);
		} else if ((v = scn_kv(t[i], "case")) != NULL) {
			/* Mixing may leave every letter lower case: one
			 * chance in 2^letters, so scenarios use long names. */
			const struct nd_fetch *ft = &f->e->fetch;
			bool mixed = a->len >= (size_t)ND_DNS_HEADER_LEN +
						      ft->qs.qname_len &&
				     memcmp(a->msg + ND_DNS_HEADER_LEN,
					    ft->qs.qname_lc,
					    ft->qs.qname_len) != 0;

			if (strcmp(v, mixed ? "mixed" : "lower") != 0)
				bad(r, "%s: the name goes out %s, want %s",
				    q->name, mixed ? "mixed" : "lower", v);
		} else {
			bad(r, "unknown send expectation '%s'", t[i]);
		}
	}
}

static void expect_count(struct run *r, const char *spec)
{
	const char *eq = strchr(spec, '=');
	uint64_t want, got;
	unsigned i;
	char name[64], reason[16];

	if (eq == NULL || (size_t)(eq - spec) >= sizeof(name) ||
	    !scn_u64(eq + 1, &want)) {
		bad(r, "expect count NAME=N");
		return;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	if (strcmp(name, "cache_hits") == 0)
		got = r->m.cache_hits;
	else if (strcmp(name, "cache_misses") == 0)
		got = r->m.cache_misses;
	else if (strcmp(name, "cache_stale") == 0)
		got = r->m.cache_stale;
	else if (strcmp(name, "inflight_joined") == 0)
		got = r->m.inflight_joined;
	else if (strcmp(name, "dropped") == 0)
		got = r->m.dropped;
	else if (strcmp(name, "kube_answers") == 0)
		got = r->m.kube_answers;
	else if (strcmp(name, "fetches_refused") == 0)
		got = r->m.fetches_refused;
	else if (strcmp(name, "hosts_answers") == 0)
		got = r->m.hosts_answers;
	else if (strcmp(name, "inflight_capped") == 0)
		got = r->m.inflight_capped;
	else if (strcmp(name, "failcache_hits") == 0)
		got = r->m.failcache_hits;
	else if (strcmp(name, "failcache_holds") == 0)
		got = r->m.failcache_holds;
	else if (strcmp(name, "drop_outside_allow") == 0)
		got = r->m.drop_reason[ND_DROP_OUTSIDE_ALLOW];
	else if (strcmp(name, "inflight") == 0 ||
		 strcmp(name, "failcache_entries") == 0) {
		struct nd_resolver_stats st;

		nd_resolver_get_stats(r->res, &st);
		got = name[0] == 'i' ? st.inflight : st.failcache_entries;
	}
	else if (sscanf(name, "requests.%u", &i) == 1 && i < ND_MAX_UPSTREAMS)
		got = r->m.fwd_requests[i];
	else if (sscanf(name, "tcp.%u", &i) == 1 && i < ND_MAX_UPSTREAMS)
		got = r->m.fwd_tcp[i];
	else if (sscanf(name, "rejected.%u.%15s", &i, reason) == 2 &&
		 i < ND_MAX_UPSTREAMS) {
		int k;

		for (k = ND_FWD_REJ_ID; k < ND_FWD_REJ_COUNT; k++)
			if (strcmp(reason, nd_fwd_reject_name(k)) == 0)
				break;
		if (k == ND_FWD_REJ_COUNT) {
			bad(r, "unknown reason in %s", name);
			return;
		}
		got = r->m.fwd_rejected[i][k];
	}
	else {
		bad(r, "unknown counter %s", name);
		return;
	}
	if (got != want)
		bad(r, "counter %s is %llu, want %llu", name,
		    (unsigned long long)got, (unsigned long long)want);
}

static void do_expect(struct run *r, char **t, int n)
{
	struct qrec *q;

	if (n >= 2 && strcmp(t[1], "count") == 0) {
		for (int i = 2; i < n; i++)
			expect_count(r, t[i]);
		return;
	}
	if (n < 3 || (q = find_q(r, t[1])) == NULL) {
		if (n < 3)
			bad(r, "expect H WHAT ...");
		return;
	}
	if (strcmp(t[2], "answer") == 0) {
		expect_answer(r, q, t, n);
	} else if (strcmp(t[2], "send") == 0) {
		expect_send(r, q, t, n);
	} else if (strcmp(t[2], "wait") == 0 || strcmp(t[2], "pending") == 0) {
		if (q->state != Q_WAITING)
			bad(r, "%s is not waiting", q->name);
		if (strcmp(t[2], "wait") == 0 && q->fetch >= 0)
			bad(r, "%s started a fetch, it did not join one",
			    q->name);
	} else if (strcmp(t[2], "drop") == 0) {
		if (q->state != Q_DROPPED)
			bad(r, "%s was not dropped", q->name);
	} else if (strcmp(t[2], "done") == 0) {
		if (q->fetch < 0 || r->f[q->fetch].e != NULL)
			bad(r, "the fetch of %s is not over", q->name);
	} else {
		bad(r, "unknown expectation '%s'", t[2]);
	}
}

static bool set_option(struct run *r, const char *name, const char *value)
{
	uint64_t v;

	if (strcmp(name, "allow") == 0) {
		if (r->acl.n == ND_MAX_ALLOW ||
		    nd_cidr_parse(value, &r->acl.net[r->acl.n]) != 0)
			return false;
		r->acl.n++;
		r->has_acl = true;
		return true;
	}
	if (strcmp(name, "forward") == 0) {
		const char *eq = strchr(value, '=');
		char zone[256], count[16];
		bool is_tcp = false;
		int n;

		if (eq == NULL || r->n_fz == ND_MAX_FORWARD_ZONES ||
		    (size_t)(eq - value) >= sizeof(zone))
			return false;
		snprintf(count, sizeof(count), "%s", eq + 1);
		if (strchr(count, ',') != NULL) {
			is_tcp = strcmp(strchr(count, ','), ",tcp") == 0;
			if (!is_tcp)
				return false;
			*strchr(count, ',') = '\0';
		}
		if (!scn_u64(count, &v) || v == 0 || v > ND_MAX_ZONE_UPSTREAMS)
			return false;
		r->fz[r->n_fz].is_tcp = is_tcp;
		memcpy(zone, value, (size_t)(eq - value));
		zone[eq - value] = '\0';
		n = nd_dns_name_from_text(zone, r->fz[r->n_fz].wire,
					  sizeof(r->fz[0].wire));
		if (n <= 0)
			return false;
		nd_dns_name_lower(r->fz[r->n_fz].wire, (size_t)n);
		r->fz[r->n_fz].wire_len = (size_t)n;
		r->fz[r->n_fz].n = (unsigned)v;
		r->n_fz++;
		return true;
	}
	if (!scn_u64(value, &v) || v > UINT32_MAX)
		return false;
	if (strcmp(name, "attempt_timeout_ms") == 0)
		r->env.attempt_timeout_ms = (uint32_t)v;
	else if (strcmp(name, "query_timeout_ms") == 0)
		r->env.query_timeout_ms = (uint32_t)v;
	else if (strcmp(name, "upstreams") == 0 && v <= ND_MAX_UPSTREAMS)
		r->n_upstreams = (unsigned)v;
	else if (strcmp(name, "stale_s") == 0)
		r->co.stale_s = (uint32_t)v;
	else if (strcmp(name, "neg_max_ttl_s") == 0)
		r->co.neg_max_ttl_s = (uint32_t)v;
	else if (strcmp(name, "min_ttl_s") == 0)
		r->co.min_ttl_s = (uint32_t)v;
	else if (strcmp(name, "max_ttl_s") == 0)
		r->co.max_ttl_s = (uint32_t)v;
	else if (strcmp(name, "cache_max_ttl_s") == 0)
		r->cache_max_ttl_s = (uint32_t)v;
	else if (strcmp(name, "zone") == 0)
		r->has_zone = v != 0;
	else if (strcmp(name, "forward_tcp") == 0)
		r->forward_tcp = v != 0;
	else if (strcmp(name, "max_fetches") == 0)
		r->max_fetches = (uint32_t)v;
	else if (strcmp(name, "max_inflight") == 0)
		r->max_inflight = (uint32_t)v;
	else if (strcmp(name, "failure_cache_max_s") == 0)
		r->failure_cache_max_s = (uint32_t)v;
	else if (strcmp(name, "drop_outside_allow") == 0)
		r->drop_outside_allow = v != 0;
	else if (strcmp(name, "x20") == 0)
		r->env.use_0x20 = v != 0;
	else
		return false;
	return true;
}

static void do_apply(struct run *r, char **t, int n)
{
	char json[2048] = "", err[256];
	size_t len = 0;
	cJSON *obj, *kind;
	enum nd_kube_kind k;

	if (!r->has_zone || !set_up(r)) {
		bad(r, "apply needs option zone 1");
		return;
	}
	for (int i = 1; i < n; i++)
		len += (size_t)snprintf(json + len, sizeof(json) - len, "%s%s",
					i > 1 ? " " : "", t[i]);
	obj = cJSON_Parse(json);
	kind = obj ? cJSON_GetObjectItemCaseSensitive(obj, "kind") : NULL;
	if (!cJSON_IsString(kind)) {
		bad(r, "apply: not a JSON object with a kind");
		cJSON_Delete(obj);
		return;
	}
	k = strcmp(kind->valuestring, "EndpointSlice") == 0 ? ND_KIND_SLICE
							     : ND_KIND_SERVICE;
	if (nd_kube_apply_put(r->kube, k, obj, err, sizeof(err)) != 0)
		bad(r, "apply: %s", err);
	cJSON_Delete(obj);
}

static void step(struct scn *s, char **t, int n)
{
	struct run *r = (struct run *)s;
	uint64_t v;

	if (strcmp(t[0], "option") == 0) {
		if (r->is_set_up || n != 3 || !set_option(r, t[1], t[2]))
			bad(r, "bad option line (before any query: option NAME VALUE)");
	} else if (strcmp(t[0], "zone") == 0 && n == 2 &&
		   strcmp(t[1], "synced") == 0) {
		r->is_synced = true;
	} else if (strcmp(t[0], "hosts") == 0 && n >= 2) {
		do_hosts(r, t, n);
	} else if (strcmp(t[0], "apply") == 0 && n >= 2) {
		do_apply(r, t, n);
	} else if (strcmp(t[0], "time") == 0) {
		if (n != 2 || t[1][0] != '+' || !scn_u64(t[1] + 1, &v))
			bad(r, "time +MS");
		else
			r->now_us += v * 1000;
	} else if (strcmp(t[0], "query") == 0) {
		do_query(r, t, n);
	} else if (strcmp(t[0], "reply") == 0) {
		do_reply(r, t, n);
	} else if ((strcmp(t[0], "timeout") == 0 ||
		    strcmp(t[0], "neterr") == 0) && n == 2) {
		struct frec *f = running(r, t[1]);
		struct nd_fetch_action act;
		int rc;

		if (f == NULL)
			return;
		if (t[0][0] == 't') {
			if (f->act.what != ND_FETCH_SEND ||
			    r->now_us < f->act_at_us +
						(uint64_t)f->act.timeout_ms * 1000) {
				bad(r, "the attempt timer of %s has not run out",
				    t[1]);
				return;
			}
			rc = nd_fetch_timeout(&f->e->fetch, r->now_us, &act);
		} else {
			rc = nd_fetch_neterr(&f->e->fetch, r->now_us, &act);
		}
		if (rc != 0)
			bad(r, "%s refused", t[0]);
		else
			took(r, f, &act);
	} else if (strcmp(t[0], "expect") == 0) {
		do_expect(r, t, n);
	} else {
		bad(r, "unknown step '%s'", t[0]);
	}
}

static struct scn *begin(const char *path)
{
	struct run *r = calloc(1, sizeof(*r));

	(void)path;
	if (r == NULL)
		return NULL;
	/* The daemon's defaults. */
	r->co.max_bytes = (size_t)1 << 20;
	r->co.max_ttl_s = 86400;
	r->co.neg_max_ttl_s = 3600;
	r->co.stale_s = 86400;
	r->cache_max_ttl_s = 86400;
	r->env.attempt_timeout_ms = 1000;
	r->env.query_timeout_ms = 4000;
	r->n_upstreams = 1;
	r->failure_cache_max_s = 300;
	/* Start the clock away from zero, as a monotonic clock is. */
	r->now_us = (uint64_t)1000000 * 1000;
	return &r->scn;
}

static void end(struct scn *s)
{
	struct run *r = (struct run *)s;

	for (int i = 0; i < r->n_f; i++) {
		if (r->f[i].e != NULL) {
			struct nd_fetch_action act;

			nd_fetch_cancel(&r->f[i].e->fetch, &act);
			r->f[i].act = act;
			fetch_over(r, &r->f[i]);
		}
	}
	for (int i = 0; i < r->n_q; i++)
		free(r->q[i].ans);
	nd_rs_worker_free(r->rw);
	nd_resolver_free(r->res);
	nd_kube_store_free(r->kube);
	nd_upstreams_free(r->ups);
	for (size_t i = 0; i < r->n_fz; i++)
		nd_upstreams_free(r->fz[i].ups);
	nd_cache_free(r->cache);
	free(r);
}

int main(int argc, char **argv)
{
	static const struct scn_runner runner = { "resolve", begin, step,
						  end };

	nd_log_set_level(ND_LOG_ERROR);
	nd_rcu_register(); /* the cluster zone and the cache read under RCU */
	int rc = scn_main(argc, argv, &runner);
	nd_rcu_unregister();
	return rc;
}
