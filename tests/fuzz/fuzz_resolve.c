/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_resolve.c - end to end through resolver/resolve.c: a
 * cluster zone loaded from deploy/demo/cluster.json with the snapshot
 * loader, a cache warmed with upstream answers (a plain A, a CNAME to a
 * cluster Service, an NXDOMAIN, a TXT too big for 512 bytes, the target
 * of the demo's ExternalName), then the input as a client query through
 * nd_resolve_begin(); for every upstream question it asks (and the ones
 * a CNAME chain leads to), the next part of the input is the upstream's
 * reply fed to nd_fetch_reply(), and when the parts run out the attempt
 * times out. Every answer a client gets must be a whole DNS message no
 * larger than the client's size, with its ID, QR and its question as
 * spelled.
 *
 * Input: [ctl][len hi][len lo][query][reply part]...; each reply part is
 * [mode][len hi][len lo][bytes]. ctl bit 0: TCP; bits 1-2: the time of
 * the query (warm, later, expired but within serve-stale, past it);
 * mode 0: the bytes as they are; 1: with the upstream query's ID;
 * 2: our ID and question, the part's flags, counts and records after
 * its 12-byte header.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/query.h"
#include "dns/wire.h"
#include "kube/snapshot.h"
#include "kube/store.h"
#include "resolver/cache.h"
#include "resolver/metrics.h"
#include "resolver/resolve.h"
#include "resolver/upstream.h"
#include "tests/fuzz/fuzz.h"
#include "util/addr.h"
#include "util/log.h"
#include "util/rcu.h"

#ifndef ND_FUZZ_FIXTURE
#define ND_FUZZ_FIXTURE "deploy/demo/cluster.json"
#endif

#define T0_US 1000000000000ULL /* the warm-up's time */
#define FETCHES_MAX 32	       /* fetches one input may start */
#define STEPS_MAX 16	       /* actions fed to one fetch */
#define OUT_CAP (ND_DNS_MAX_MSG + 512)

struct world {
	struct nd_cache *cache;
	struct nd_upstreams *ups;
	struct nd_resolver *res;
	struct nd_rs_worker *rw;
	struct nd_metrics m;
	struct nd_fetch_env env;
	struct nd_rs_policy pol;
	uint64_t now_us;
	/* the client whose answers are checked; NULL during warm-up */
	const uint8_t *query;
	size_t query_len;
	size_t limit;
	bool is_checked;
	/* reply parts, and the warm-up's canned replies */
	const uint8_t *parts;
	size_t parts_left;
	const uint8_t *canned;
	size_t canned_len;
	/* fetches started and not yet driven */
	struct nd_inflight_entry *todo[FETCHES_MAX];
	struct nd_fetch_action todo_act[FETCHES_MAX];
	size_t n_todo, n_started;
};

static struct nd_kube_store *store;
static uint8_t out[OUT_CAP];
static uint8_t reply[ND_DNS_MAX_MSG];

static bool synced(void *arg)
{
	(void)arg;
	return true;
}

static void load_zone(void)
{
	const char *path = ND_FUZZ_FIXTURE;
	/* The limits as the daemon's defaults set them. */
	struct nd_kube_store_options o = {
		.zone = "cluster.local",
		.ttl_s = 5,
		.pods = ND_PODS_INSECURE,
		.max_service_records = 100000,
		.max_bytes = (uint64_t)1 << 30,
	};
	char err[256], *text;
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL) {
		fprintf(stderr, "fuzz_resolve: %s: cannot open\n", path);
		abort();
	}
	CHECK(fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0);
	CHECK(fseek(f, 0, SEEK_SET) == 0);
	text = malloc((size_t)n);
	CHECK(text != NULL && fread(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	store = nd_kube_store_new(&o);
	CHECK(store != NULL);
	CHECK(nd_kube_snapshot_apply(store, text, (size_t)n, path, err,
				     sizeof(err)) == 0);
	free(text);
}

/* What every answer to the checked client must be. */
static void check_answer(const struct world *w, const uint8_t *a, size_t len)
{
	struct nd_query q;
	int rcode;

	if (!w->is_checked)
		return;
	CHECK(len >= ND_DNS_HEADER_LEN && len <= w->limit);
	CHECK(fuzz_msg_is_whole(a, len));
	CHECK(nd_get16(a) == nd_get16(w->query));
	CHECK(nd_get16(a + 2) & ND_FLAG_QR);
	if (nd_query_parse(w->query, w->query_len, &q, &rcode) !=
		    ND_QUERY_DROP &&
	    q.has_question && nd_get16(a + 4) == 1)
		CHECK(memcmp(a + ND_DNS_HEADER_LEN, q.qname, q.qname_len) == 0);
}

/* The next reply part for the upstream query msg, in reply[]; 0 when
 * the input has no more. */
static size_t next_reply(struct world *w, const uint8_t *msg, size_t msg_len)
{
	const uint8_t *p;
	size_t n, len, qend;
	uint8_t mode;
	int r;

	if (w->canned != NULL) {
		memcpy(reply, w->canned, w->canned_len);
		memcpy(reply, msg, 2);
		w->canned = NULL;
		return w->canned_len;
	}
	if (w->parts_left < 3)
		return 0;
	mode = w->parts[0] % 3;
	n = nd_get16(w->parts + 1);
	if (n > w->parts_left - 3)
		n = w->parts_left - 3;
	p = w->parts + 3;
	w->parts += 3 + n;
	w->parts_left -= 3 + n;
	if (mode != 2 || n < ND_DNS_HEADER_LEN) {
		memcpy(reply, p, n);
		if (mode == 1 && n >= 2)
			memcpy(reply, msg, 2);
		return n ? n : 0;
	}
	r = nd_dns_name_skip(msg, msg_len, ND_DNS_HEADER_LEN);
	CHECK(r > 0 && (size_t)r + 4 <= msg_len);
	qend = (size_t)r + 4;
	if (qend + n - ND_DNS_HEADER_LEN > sizeof(reply))
		n = sizeof(reply) - qend + ND_DNS_HEADER_LEN;
	memcpy(reply, msg, qend);
	nd_put16(reply + 2, nd_get16(p + 2) | ND_FLAG_QR);
	nd_put16(reply + 4, 1);
	memcpy(reply + 6, p + 6, 6);
	memcpy(reply + qend, p + ND_DNS_HEADER_LEN, n - ND_DNS_HEADER_LEN);
	len = qend + n - ND_DNS_HEADER_LEN;
	return len;
}

static void started(struct world *w, struct nd_inflight_entry *e,
		    const struct nd_fetch_action *act)
{
	struct nd_fetch_action a;

	if (w->n_todo == FETCHES_MAX || w->n_started++ >= FETCHES_MAX) {
		/* Bounded work per input: the rest are shut down. */
		nd_fetch_cancel(&e->fetch, &a);
		w->todo[w->n_todo] = e;
		w->todo_act[w->n_todo++] = a;
		return;
	}
	w->todo[w->n_todo] = e;
	w->todo_act[w->n_todo++] = *act;
}

/* The fetch e is DONE: every waiter gets its answer or moves on. */
static void finish(struct world *w, struct nd_inflight_entry *e,
		   const struct nd_fetch_action *act)
{
	struct nd_rs_result res;
	struct nd_rs_request *rq;

	nd_resolve_done(w->rw, e, act, w->now_us);
	while ((rq = nd_resolve_next(w->rw, &w->pol, e, w->now_us, out,
				     sizeof(out), &res)) != NULL) {
		switch (res.step) {
		case ND_RS_ANSWER:
			check_answer(w, out, res.len);
			nd_rs_request_free(rq);
			break;
		case ND_RS_DROP:
			nd_rs_request_free(rq);
			break;
		case ND_RS_WAIT:
			break; /* the table holds it: a fetch in todo */
		case ND_RS_ASK:
			started(w, res.fetch, &res.act);
			break;
		}
	}
	free(e);
}

/* Drive one fetch to its end with the input's replies, then timeouts. */
static void drive(struct world *w, struct nd_inflight_entry *e,
		  struct nd_fetch_action act)
{
	uint8_t msg[ND_FETCH_QUERY_MAX];
	size_t msg_len = 0;

	for (int step = 0; act.what != ND_FETCH_DONE; step++) {
		struct nd_fetch_action next;
		size_t n;

		if (act.what == ND_FETCH_SEND) {
			CHECK(act.len <= sizeof(msg) &&
			      fuzz_msg_is_whole(act.msg, act.len));
			memcpy(msg, act.msg, act.len);
			msg_len = act.len;
		}
		if (step == STEPS_MAX) {
			nd_fetch_cancel(&e->fetch, &act);
			break;
		}
		n = msg_len ? next_reply(w, msg, msg_len) : 0;
		if (n > 0)
			CHECK(nd_fetch_reply(&e->fetch, reply, n, w->now_us,
					     &next) == 0);
		else
			CHECK(nd_fetch_timeout(&e->fetch,
					       w->now_us += 1000000,
					       &next) == 0);
		act = next;
	}
	finish(w, e, &act);
}

static void drain(struct world *w)
{
	/* Bounded: at most FETCHES_MAX are driven, the rest canceled. */
	while (w->n_todo > 0) {
		struct nd_inflight_entry *e = w->todo[0];
		struct nd_fetch_action act = w->todo_act[0];

		w->n_todo--;
		memmove(w->todo, w->todo + 1, w->n_todo * sizeof(w->todo[0]));
		memmove(w->todo_act, w->todo_act + 1,
			w->n_todo * sizeof(w->todo_act[0]));
		drive(w, e, act);
	}
}

/* Ask pkt as a client at w->now_us. */
static void ask(struct world *w, int proto, const uint8_t *pkt, size_t len)
{
	struct sockaddr_in peer = { .sin_family = AF_INET,
				    .sin_port = htons(40000) };
	struct nd_rs_result res;
	int io = 0;

	peer.sin_addr.s_addr = htonl(0x0a000105); /* 10.0.1.5 */
	CHECK(nd_resolve_begin(w->rw, &w->pol, proto,
			       (const struct sockaddr *)&peer, &io, pkt, len,
			       w->now_us, out, sizeof(out), &res) == 0);
	if (res.step == ND_RS_ANSWER)
		check_answer(w, out, res.len);
	else if (res.step == ND_RS_ASK)
		started(w, res.fetch, &res.act);
	drain(w);
}

/* A query for name/type, and the upstream's reply to it. */
static size_t build(uint8_t *b, const char *name, uint16_t type, bool edns)
{
	int n;

	memset(b, 0, ND_DNS_HEADER_LEN);
	nd_put16(b, 0x4242);
	nd_put16(b + 2, ND_FLAG_RD);
	nd_put16(b + 4, 1);
	n = nd_dns_name_from_text(name, b + ND_DNS_HEADER_LEN,
				  ND_DNS_MAX_NAME);
	CHECK(n > 0);
	nd_put16(b + ND_DNS_HEADER_LEN + n, type);
	nd_put16(b + ND_DNS_HEADER_LEN + n + 2, ND_CLASS_IN);
	n += ND_DNS_HEADER_LEN + 4;
	if (edns) {
		static const uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0 };

		nd_put16(b + 10, 1);
		memcpy(b + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return (size_t)n;
}

/* Append a record owned by the question's name (pointer to 12). */
static size_t add_rr(uint8_t *b, size_t n, uint16_t type, uint32_t ttl,
		     const uint8_t *rdata, size_t rdlen)
{
	nd_put16(b + n, 0xc00c);
	nd_put16(b + n + 2, type);
	nd_put16(b + n + 4, ND_CLASS_IN);
	nd_put32(b + n + 6, ttl);
	nd_put16(b + n + 10, (uint16_t)rdlen);
	memcpy(b + n + 12, rdata, rdlen);
	return n + 12 + rdlen;
}

static void warm(struct world *w, const char *name, uint16_t type,
		 unsigned rcode, uint16_t rtype, const uint8_t *rdata,
		 size_t rdlen, unsigned count)
{
	static uint8_t q[512], r[ND_DNS_MAX_MSG];
	size_t qlen = build(q, name, type, false), n = qlen;

	memcpy(r, q, qlen);
	nd_put16(r + 2, ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA | rcode);
	for (unsigned i = 0; i < count; i++)
		n = add_rr(r, n, rtype, 300, rdata, rdlen);
	nd_put16(r + (rtype == ND_TYPE_SOA ? 8 : 6), (uint16_t)count);
	w->canned = r;
	w->canned_len = n;
	ask(w, ND_PROTO_UDP, q, qlen);
	w->canned = NULL;
}

static void world_init(struct world *w)
{
	struct sockaddr_storage addrs[2];
	struct nd_cache_options co = { (size_t)1 << 20, 0, 86400, 3600,
					86400 };
	struct nd_resolver_options ro = { 0 };
	static const uint8_t a[4] = { 192, 0, 2, 1 };
	static const uint8_t soa[22] = { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2,
					 0, 0, 0, 3, 0, 0, 0, 4, 0, 60 };
	uint8_t cname[ND_DNS_MAX_NAME], txt[256];
	int n;

	memset(w, 0, sizeof(*w));
	CHECK(nd_addr_parse("127.0.0.1:5301", 53, &addrs[0], NULL) == 0);
	CHECK(nd_addr_parse("[::1]:5302", 53, &addrs[1], NULL) == 0);
	w->cache = nd_cache_new(&co);
	w->ups = nd_upstreams_new(addrs, 2);
	CHECK(w->cache != NULL && w->ups != NULL);
	ro.cache = w->cache;
	ro.kube = store;
	ro.is_zone_synced = synced;
	ro.io_size = sizeof(int);
	w->env.ups = w->ups;
	w->env.attempt_timeout_ms = 1000;
	w->env.query_timeout_ms = 4000;
	w->res = nd_resolver_new(&ro);
	CHECK(w->res != NULL);
	w->rw = nd_rs_worker_new(w->res, &w->m, &w->env);
	CHECK(w->rw != NULL);
	w->pol.cache_max_ttl_s = 86400;
	w->now_us = T0_US;

	warm(w, "example.com", ND_TYPE_A, ND_RCODE_NOERROR, ND_TYPE_A, a,
	     sizeof(a), 3);
	n = nd_dns_name_from_text("frontend.default.svc.cluster.local", cname,
				  sizeof(cname));
	CHECK(n > 0);
	warm(w, "www.example.com", ND_TYPE_A, ND_RCODE_NOERROR,
	     ND_TYPE_CNAME, cname, (size_t)n, 1);
	warm(w, "nx.example.com", ND_TYPE_A, ND_RCODE_NXDOMAIN, ND_TYPE_SOA,
	     soa, sizeof(soa), 1);
	txt[0] = 254;
	memset(txt + 1, 't', 254);
	warm(w, "big.example.com", ND_TYPE_TXT, ND_RCODE_NOERROR,
	     ND_TYPE_TXT, txt, 255, 4);
	warm(w, "payments.example.com", ND_TYPE_A, ND_RCODE_NOERROR,
	     ND_TYPE_A, a, sizeof(a), 1);
}

static void world_free(struct world *w)
{
	nd_rs_worker_free(w->rw);
	nd_resolver_free(w->res);
	nd_upstreams_free(w->ups);
	nd_cache_free(w->cache);
}

/*
 * Freeing the cache waits for an RCU grace period (milliseconds), so
 * under libFuzzer one warmed world serves this many inputs before it is
 * built again; replays (make check, a crash input) build it for each.
 */
static unsigned fresh_every = 1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fresh_every = 1000;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	static bool has_world;
	static unsigned uses;
	static const uint64_t later_us[4] = { 0, 10000000ULL, 400000000ULL,
					      2 * 86400000000ULL };
	uint8_t *query, ctl;
	size_t qlen;
	int proto;

	if (store == NULL) {
		nd_log_set_level(ND_LOG_ERROR);
		nd_rcu_register();
		load_zone();
	}
	if (size < 3)
		return 0;
	ctl = data[0];
	qlen = nd_get16(data + 1);
	if (qlen > size - 3)
		qlen = size - 3;
	/* The query in a block of its own size: ASan sees a read past it. */
	query = malloc(qlen ? qlen : 1);
	CHECK(query != NULL);
	memcpy(query, data + 3, qlen);
	if (!has_world || uses++ % fresh_every == 0) {
		if (has_world)
			world_free(&w);
		world_init(&w);
		has_world = true;
	}
	w.n_todo = w.n_started = 0;
	proto = (ctl & 1) ? ND_PROTO_TCP : ND_PROTO_UDP;
	w.now_us = T0_US + later_us[(ctl >> 1) & 3];
	w.query = query;
	w.query_len = qlen;
	w.is_checked = true;
	w.parts = data + 3 + qlen;
	w.parts_left = size - 3 - qlen;
	if (proto == ND_PROTO_TCP) {
		w.limit = ND_DNS_MAX_MSG;
	} else {
		struct nd_query q;
		int rcode;

		nd_query_parse(w.query, qlen, &q, &rcode);
		w.limit = nd_query_udp_limit(&q);
	}
	ask(&w, proto, w.query, qlen);
	w.is_checked = false;
	w.query = NULL;
	w.parts = NULL;
	w.parts_left = 0;
	free(query);
	return 0;
}
