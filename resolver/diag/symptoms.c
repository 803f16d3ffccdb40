/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/diag/symptoms.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "resolver/metrics.h"
#include "util/addr.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/pages.h"
#include "util/rand.h"
#include "util/ratelimit.h"

/*
 * State lives in fixed tables split into shards, each behind its own
 * mutex, so that workers observing different clients rarely meet. A
 * client's queries, its A/AAAA pairing and its truncated answers are all
 * sharded by the client's IP address (not its port: the TCP retry after a
 * truncated answer comes from a new port), so one observation takes one
 * lock. Tables are set-associative with a few ways per bucket; a new entry
 * takes an empty or expired way, else the one closest to expiry, so memory
 * is fixed at creation and a flood of distinct queries only costs the
 * oldest state.
 */
#define SHARDS 16
#define WAYS 4
#define MIN_ENTRIES (SHARDS * WAYS)
#define UP_SLOTS 64	   /* upstream+outcome pairs remembered for the log */
#define TC_BATCH 8	   /* truncated answers decided per lock in tick */

#define MS 1000ull
#define SEC 1000000ull

/* Domain tags mixed into keys so entries of different kinds never match. */
enum key_tag { TAG_QUERY = 1, TAG_PAIR = 2, TAG_TC = 3, TAG_NAME = 4 };

/*
 * One remembered thing. key 0 marks a free way.
 * TAG_QUERY: t_a = receive time of the last copy, t_b = when we answered it.
 * TAG_PAIR:  t_a = last A receive time, t_b = last AAAA (0 = none).
 * TAG_NAME:  t_a = when its no-ready-endpoints line was last let out.
 */
struct slot {
	uint64_t key;
	uint64_t t_a;
	uint64_t t_b;
	uint64_t expires_us; /* may be overwritten freely from then on */
};

union client_addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/* A truncated UDP answer waiting for its TCP retry. key 0 = free. */
struct tc_pending {
	uint64_t key;
	uint64_t deadline_us; /* the TCP query must arrive by then */
	union client_addr client;
	uint16_t qtype;
	uint16_t qname_len;
	uint8_t qname[ND_DNS_MAX_NAME];
};

struct shard {
	pthread_mutex_t lock;
	struct slot *slots;    /* nbuckets * WAYS */
	struct tc_pending *tc; /* n_tc */
	size_t tc_used;	       /* live entries in tc */
} __attribute__((aligned(64)));

struct up_slot {
	uint64_t key;	  /* 0 = free */
	uint64_t last_us; /* last line let out for this upstream+outcome */
};

/* Shared counters: many writers, so atomic adds (only on a sign). */
struct counters {
	uint64_t retransmits;
	uint64_t races;
	uint64_t tc_without_tcp;
	uint64_t tc_followed;
	uint64_t tc_pending;
	uint64_t no_ready;
	uint64_t upstream[ND_UP_OUTCOMES];
	uint64_t log_lines[ND_SYM_KINDS];
	uint64_t log_suppressed[ND_SYM_KINDS];
	uint64_t evictions;
	uint64_t tc_evictions;
};

struct nd_symptoms {
	/* Options, in microseconds. */
	uint64_t retx_window_us;
	uint64_t race_min_us;
	uint64_t race_max_us;
	uint64_t pair_window_us;
	uint64_t tc_window_us;
	uint64_t tc_lag_us;
	uint64_t name_interval_us;
	uint64_t up_interval_us;

	uint64_t seed;
	size_t nbuckets; /* per shard */
	size_t n_tc;	 /* per shard */
	struct shard shards[SHARDS];
	int shards_ready; /* shards with an initialised mutex */

	pthread_mutex_t up_lock;
	struct up_slot up[UP_SLOTS];

	struct nd_ratelimit limit[ND_SYM_KINDS]; /* log lines per kind */

	pthread_mutex_t ring_lock;
	struct nd_symptom_event *ring;
	size_t ring_size;
	size_t ring_next;  /* where the next event goes */
	size_t ring_count; /* events held, up to ring_size */

	bool has_locks; /* up_lock, ring_lock initialised */
	struct counters c;
};

static const char *const kind_names[ND_SYM_KINDS] = {
	[ND_SYM_RETRANSMIT] = "retransmit",
	[ND_SYM_CONNTRACK_RACE] = "conntrack_race",
	[ND_SYM_TC_WITHOUT_TCP] = "tc_without_tcp",
	[ND_SYM_NO_READY_ENDPOINTS] = "no_ready_endpoints",
	[ND_SYM_UPSTREAM] = "upstream",
};

const char *nd_symptom_kind_name(enum nd_symptom_kind k)
{
	if ((unsigned)k >= ND_SYM_KINDS)
		return "unknown";
	return kind_names[k];
}

static inline void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static inline void uncount(uint64_t *c)
{
	__atomic_fetch_sub(c, 1, __ATOMIC_RELAXED);
}

static inline uint64_t load(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* splitmix64's finaliser: a bijection, so distinct inputs stay distinct. */
static inline uint64_t fmix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/*
 * Combine the seeded hashes of the address and the name with the small
 * fields. For one address and name the result is a bijection of
 * (tag, port, id, qtype), so only different clients or names can collide,
 * with the odds of a 64-bit seeded hash.
 */
static uint64_t make_key(uint64_t h_ip, uint64_t h_name, enum key_tag tag,
			 uint16_t port, uint16_t id, uint16_t qtype)
{
	uint64_t small = ((uint64_t)tag << 48) | ((uint64_t)port << 32) |
			 ((uint64_t)id << 16) | qtype;
	uint64_t k = fmix(h_ip ^ fmix(h_name ^ small));

	return k != 0 ? k : 1;
}

/* The address bytes hashed for a client: family, then 16 address bytes. */
static bool client_hash(const struct nd_symptoms *s, const struct sockaddr *sa,
			uint64_t *h)
{
	uint8_t b[17] = { 0 };

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		b[0] = 4;
		memcpy(b + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		b[0] = 6;
		memcpy(b + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		       16);
	} else {
		return false;
	}
	*h = nd_hash(b, sizeof(b), s->seed);
	return true;
}

static struct shard *shard_of(struct nd_symptoms *s, uint64_t h)
{
	return &s->shards[(h >> 59) % SHARDS];
}

/* ---- set-associative table (caller holds the shard lock) ---------------- */

static struct slot *bucket_of(const struct nd_symptoms *s, struct shard *sh,
			      uint64_t key)
{
	/* Multiply-shift range reduction: no power-of-two size needed. */
	size_t b = (size_t)(((key & 0xffffffffull) * s->nbuckets) >> 32);

	return sh->slots + b * WAYS;
}

static struct slot *slot_find(const struct nd_symptoms *s, struct shard *sh,
			      uint64_t key)
{
	struct slot *w = bucket_of(s, sh, key);

	for (int i = 0; i < WAYS; i++)
		if (w[i].key == key)
			return &w[i];
	return NULL;
}

/* A way for key: its own, a free or expired one, else the soonest to expire. */
static struct slot *slot_claim(struct nd_symptoms *s, struct shard *sh,
			       uint64_t key, uint64_t now_us)
{
	struct slot *w = bucket_of(s, sh, key);
	struct slot *victim = &w[0];

	for (int i = 0; i < WAYS; i++) {
		if (w[i].key == key)
			return &w[i];
		if (w[i].key == 0 || w[i].expires_us <= now_us) {
			victim = &w[i];
			goto take;
		}
		if (w[i].expires_us < victim->expires_us)
			victim = &w[i];
	}
	count(&s->c.evictions);
take:
	memset(victim, 0, sizeof(*victim));
	victim->key = key;
	return victim;
}

/* ---- reporting: limiter, ring, log ------------------------------------- */

/*
 * A signal that fired, gathered under the shard lock and reported after
 * it is released: formatting and writing to stderr must not hold up the
 * other workers of the shard.
 */
struct firing {
	enum nd_symptom_kind kind;
	uint64_t time_us;
	union client_addr client;
	bool client_ip_only; /* TCP retries come from another port */
	uint16_t qtype;
	uint16_t id;
	uint16_t qname_len;
	uint8_t qname[ND_DNS_MAX_NAME];
	uint64_t gap_us;  /* retransmits: time since the previous copy */
	bool is_paired;	  /* race: A and AAAA sent together */
	int rcode;	  /* of the answer (no ready endpoints: NOERROR for
			     a ClusterIP Service, NXDOMAIN for a headless
			     one) */
	const char *upstream; /* ND_SYM_UPSTREAM: borrowed */
	int outcome;
};

/* May a line of kind k be logged now? Counts both outcomes. */
static bool limiter_allow(struct nd_symptoms *s, enum nd_symptom_kind k,
			  uint64_t now_us, uint64_t *suppressed)
{
	bool ok = nd_ratelimit_allow(&s->limit[k], now_us, suppressed);

	if (ok)
		count(&s->c.log_lines[k]);
	else
		count(&s->c.log_suppressed[k]);
	return ok;
}

static void ring_add(struct nd_symptoms *s, const struct nd_symptom_event *e)
{
	if (s->ring_size == 0)
		return;
	pthread_mutex_lock(&s->ring_lock);
	s->ring[s->ring_next] = *e;
	s->ring_next = (s->ring_next + 1) % s->ring_size;
	if (s->ring_count < s->ring_size)
		s->ring_count++;
	pthread_mutex_unlock(&s->ring_lock);
}

static const char *const remedy_race =
	"remedies: 'options single-request-reopen' (or single-request) in "
	"the pod's dnsConfig, 'options use-vc' (ask over TCP), or a "
	"node-local DNS address exempt from conntrack (NOTRACK)";

/*
 * The plain-words meaning of an upstream outcome, in two parts around the
 * upstream's address (kept as plain strings, not formats, so that no
 * format string is ever chosen at run time).
 */
static void upstream_meaning(int outcome, const char **before,
			     const char **after)
{
	switch (outcome) {
	case ND_UP_TIMEOUT:
		*before = "gave no answer in time: packets are dropped, by an "
			  "egress NetworkPolicy or a firewall, or the upstream "
			  "is down; check that this node can reach ";
		*after = " over UDP and TCP";
		break;
	case ND_UP_NETWORK:
		*before = "is unreachable (ICMP unreachable, connection "
			  "refused or reset, or this node's own firewall or "
			  "egress policy refused to send): nothing listens on ";
		*after = ", or a firewall rejects the packets";
		break;
	case ND_UP_REFUSED:
		*before = "answered REFUSED: the upstream refuses us; an "
			  "ACL on ";
		*after = " (allow-query, allow-recursion) does not include "
			 "this node's address";
		break;
	case ND_UP_SERVFAIL:
		*before = "answered SERVFAIL: ";
		*after = " could not resolve the name; its own upstreams fail "
			 "or DNSSEC validation fails there";
		break;
	default:
		*before = "sent a malformed answer or an unexpected rcode: "
			  "something on the path rewrites DNS, or ";
		*after = " is not a DNS resolver";
		break;
	}
}

/*
 * snprintf that accepts cutting: a message is at most a log line, and a
 * long name (up to ~1000 characters escaped) may not leave room for the
 * advice; the cut is marked so nobody reads a half sentence as whole.
 */
__attribute__((format(printf, 3, 4))) static void
msg_printf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= cap && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
}

static void format_message(const struct nd_symptoms *s,
			   const struct firing *f,
			   const struct nd_symptom_event *e, char *msg,
			   size_t cap)
{
	double gap_s = (double)f->gap_us / 1e6;

	switch (f->kind) {
	case ND_SYM_RETRANSMIT:
		msg_printf(msg, cap,
			 "client %s asked %s %s again (ID %u) %.1f s after we "
			 "had answered: our answer probably did not reach the "
			 "pod; check the return path from this node's DNS "
			 "address to the pod: a NetworkPolicy or firewall "
			 "dropping UDP replies, conntrack (conntrack -S: "
			 "insert_failed, drop)",
			 e->client, e->name, e->type, f->id, gap_s);
		break;
	case ND_SYM_CONNTRACK_RACE:
		msg_printf(msg, cap,
			 "client %s asked %s %s again (ID %u) %.1f s after its "
			 "first try%s: the conntrack race behind five-second "
			 "lookups (glibc resends after its 5 s timeout when "
			 "parallel queries from one socket lose a race in the "
			 "conntrack table); %s",
			 e->client, e->name, e->type, f->id, gap_s,
			 f->is_paired ? ", which sent A and AAAA together "
					"from one socket"
				      : "",
			 remedy_race);
		break;
	case ND_SYM_TC_WITHOUT_TCP:
		msg_printf(msg, cap,
			 "client %s got a truncated UDP answer for %s %s and "
			 "did not ask again over TCP within %.1f s: TCP port "
			 "53 is probably blocked; check NetworkPolicies and "
			 "firewalls between the pod and this node: they must "
			 "allow TCP 53 as well as UDP 53 (or the pod's stub "
			 "never retries over TCP and uses the records a "
			 "truncated answer holds, as musl 1.2.3 and older do)",
			 e->client, e->name, e->type,
			 (double)s->tc_window_us / 1e6);
		break;
	case ND_SYM_NO_READY_ENDPOINTS:
		if (f->rcode == ND_RCODE_NXDOMAIN)
			msg_printf(msg, cap,
				 "%s (%s, asked by %s) answers NXDOMAIN because "
				 "its headless Service has no ready endpoints "
				 "(Kubernetes DNS specification 2.4.1); check "
				 "the Service's selector against its pods' "
				 "labels, and the pods' readiness probes",
				 e->name, e->type, e->client);
		else
			msg_printf(msg, cap,
				 "%s (%s, asked by %s) resolves but the Service "
				 "has no ready endpoints: DNS works, connecting "
				 "will fail; check the Service's selector against "
				 "its pods' labels, and the pods' readiness probes",
				 e->name, e->type, e->client);
		break;
	case ND_SYM_UPSTREAM: {
		const char *before, *after;

		upstream_meaning(f->outcome, &before, &after);
		msg_printf(msg, cap, "upstream %s %s%s%s", e->upstream, before,
			 e->upstream, after);
		break;
	}
	default:
		msg_printf(msg, cap, "unknown signal");
		break;
	}
}

/*
 * Describe f, keep it in the ring, and log it if its kind's bucket allows.
 * The caller has counted it already: counters count every sign, only the
 * lines are limited.
 */
static void report(struct nd_symptoms *s, const struct firing *f)
{
	struct nd_symptom_event ev_buf, *e = &ev_buf;
	uint64_t suppressed = 0;

	memset(e, 0, sizeof(*e));
	e->time_us = f->time_us;
	e->kind = f->kind;
	if (f->kind == ND_SYM_UPSTREAM) {
		snprintf(e->upstream, sizeof(e->upstream), "%s",
			 f->upstream ? f->upstream : "-");
		snprintf(e->type, sizeof(e->type), "%s",
			 nd_upstream_outcome_name(f->outcome));
	} else {
		int r = f->client_ip_only
				? nd_addr_format_ip(&f->client.sa, e->client,
						    sizeof(e->client))
				: nd_addr_format(&f->client.sa, e->client,
						 sizeof(e->client));
		if (r != 0)
			snprintf(e->client, sizeof(e->client), "?");
		if (nd_dns_name_to_text(f->qname, f->qname_len, e->name,
					sizeof(e->name)) != 0)
			snprintf(e->name, sizeof(e->name), "?");
		char tbuf[16];
		snprintf(e->type, sizeof(e->type), "%s",
			 nd_dns_type_name(f->qtype, tbuf, sizeof(tbuf)));
	}
	format_message(s, f, e, e->message, sizeof(e->message));
	ring_add(s, e);
	if (!limiter_allow(s, f->kind, f->time_us, &suppressed))
		return;
	if (suppressed > 0)
		nd_warn("signals", "%s (%llu similar suppressed)", e->message,
			(unsigned long long)suppressed);
	else
		nd_warn("signals", "%s", e->message);
}

/* ---- construction ------------------------------------------------------ */

static uint64_t ms_or(uint32_t v, uint32_t def)
{
	return (uint64_t)(v ? v : def) * MS;
}

struct nd_symptoms *nd_symptoms_new(const struct nd_symptoms_options *o)
{
	struct nd_symptoms_options d = { 0 };
	struct nd_symptoms *s;

	if (o == NULL)
		o = &d;
	size_t max = o->max_entries ? o->max_entries : 65536;

	if (max < MIN_ENTRIES)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->retx_window_us = ms_or(o->retransmit_window_ms, 10000);
	s->race_min_us = ms_or(o->race_min_ms, 4500);
	s->race_max_us = ms_or(o->race_max_ms, 5500);
	s->pair_window_us = o->pair_window_us ? o->pair_window_us : 1000;
	s->tc_window_us = ms_or(o->tc_window_ms, 3000);
	s->tc_lag_us = ms_or(o->tc_decide_lag_ms, 5000);
	s->name_interval_us =
		(uint64_t)(o->name_log_interval_s ? o->name_log_interval_s
						  : 60) * SEC;
	s->up_interval_us =
		(uint64_t)(o->upstream_log_interval_s
				   ? o->upstream_log_interval_s
				   : 30) * SEC;
	uint64_t per_min = o->log_lines_per_min ? o->log_lines_per_min : 5;
	for (int k = 0; k < ND_SYM_KINDS; k++)
		nd_ratelimit_init(&s->limit[k], per_min, 60 * SEC, per_min);
	s->ring_size = o->ring_size ? o->ring_size : 100;
	if (s->race_min_us > s->race_max_us)
		goto fail;

	s->seed = ((uint64_t)nd_rand_u32() << 32) | nd_rand_u32();
	s->nbuckets = max / SHARDS / WAYS;
	s->n_tc = s->nbuckets * WAYS / 64;
	if (s->n_tc < 4)
		s->n_tc = 4;
	if (pthread_mutex_init(&s->up_lock, NULL) != 0)
		goto fail;
	if (pthread_mutex_init(&s->ring_lock, NULL) != 0) {
		pthread_mutex_destroy(&s->up_lock);
		goto fail;
	}
	s->has_locks = true;
	s->ring = calloc(s->ring_size, sizeof(*s->ring));
	if (s->ring == NULL)
		goto fail;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *sh = &s->shards[i];

		/* Pages of untouched slots stay out of RSS (util/pages.h). */
		sh->slots = nd_pages_zalloc(s->nbuckets * WAYS,
					    sizeof(*sh->slots));
		sh->tc = nd_pages_zalloc(s->n_tc, sizeof(*sh->tc));
		if (sh->slots == NULL || sh->tc == NULL ||
		    pthread_mutex_init(&sh->lock, NULL) != 0) {
			nd_pages_free(sh->slots, s->nbuckets * WAYS,
				      sizeof(*sh->slots));
			nd_pages_free(sh->tc, s->n_tc, sizeof(*sh->tc));
			sh->slots = NULL;
			sh->tc = NULL;
			goto fail;
		}
		s->shards_ready = i + 1;
	}
	return s;
fail:
	nd_symptoms_free(s);
	return NULL;
}

void nd_symptoms_free(struct nd_symptoms *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < s->shards_ready; i++) {
		pthread_mutex_destroy(&s->shards[i].lock);
		nd_pages_free(s->shards[i].slots, s->nbuckets * WAYS,
			      sizeof(*s->shards[i].slots));
		nd_pages_free(s->shards[i].tc, s->n_tc,
			      sizeof(*s->shards[i].tc));
	}
	if (s->has_locks) {
		pthread_mutex_destroy(&s->up_lock);
		pthread_mutex_destroy(&s->ring_lock);
	}
	free(s->ring);
	free(s);
}

/* ---- observing --------------------------------------------------------- */

static void firing_init(struct firing *f, enum nd_symptom_kind kind,
			const struct nd_query_event *ev)
{
	f->kind = kind;
	f->time_us = ev->recv_us;
	memset(&f->client, 0, sizeof(f->client));
	memcpy(&f->client, ev->client, nd_addr_len(ev->client));
	f->client_ip_only = false;
	f->qtype = ev->qtype;
	f->id = ev->id;
	f->qname_len = ev->qname_len;
	memcpy(f->qname, ev->qname_lc, ev->qname_len);
	f->gap_us = 0;
	f->is_paired = false;
	f->rcode = ev->rcode;
}

static inline uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/*
 * A UDP query: was it a repeat of one we answered (a, b)? Remember it,
 * its A/AAAA partner, and a truncated answer awaiting TCP (c).
 * Returns the kind that fired, or -1.
 */
static int observe_udp(struct nd_symptoms *s, struct shard *sh,
		       const struct nd_query_event *ev, uint64_t h_ip,
		       uint64_t h_name, struct firing *f)
{
	uint16_t port = nd_addr_port(ev->client);
	uint64_t recv = ev->recv_us;
	uint64_t sent = recv + ev->duration_us;
	bool is_pairable = ev->qtype == ND_TYPE_A || ev->qtype == ND_TYPE_AAAA;
	uint64_t partner_us = 0;
	struct slot *p = NULL, *q;
	int fired = -1;

	/*
	 * glibc sends A and AAAA at once from one socket; the two packets
	 * race to create one conntrack entry and one can be dropped
	 * (insert_failed). Remember when each type last came, per socket
	 * and name, to tell that story when the 5 s retry shows up.
	 */
	if (is_pairable) {
		uint64_t kp = make_key(h_ip, h_name, TAG_PAIR, port, 0, 0);

		p = slot_find(s, sh, kp);
		if (p != NULL)
			partner_us = ev->qtype == ND_TYPE_A ? p->t_b : p->t_a;
	}

	uint64_t kq = make_key(h_ip, h_name, TAG_QUERY, port, ev->id,
			       ev->qtype);

	q = slot_find(s, sh, kq);
	/*
	 * Only a copy that arrived after our answer left says the answer
	 * was lost; one that came while we were still working means the
	 * client's timer is shorter than our latency, which is another
	 * story (and the slow-query log's).
	 */
	if (q != NULL && recv >= q->t_b && recv - q->t_b <= s->retx_window_us) {
		uint64_t gap = recv - q->t_a;

		firing_init(f, ND_SYM_RETRANSMIT, ev);
		f->gap_us = gap;
		fired = ND_SYM_RETRANSMIT;
		/* glibc waits 5 s per try, timed from its send. */
		if (gap >= s->race_min_us && gap <= s->race_max_us) {
			f->kind = ND_SYM_CONNTRACK_RACE;
			fired = ND_SYM_CONNTRACK_RACE;
			uint64_t pw = s->pair_window_us;

			f->is_paired = partner_us != 0 &&
				       (absdiff(partner_us, q->t_a) <= pw ||
					absdiff(partner_us, recv) <= pw);
		}
	}
	if (q == NULL || recv >= q->t_b) {
		q = slot_claim(s, sh, kq, recv);
		q->t_a = recv;
		q->t_b = sent;
		q->expires_us = sent + s->retx_window_us;
	}
	/*
	 * Otherwise this copy came before our answer to the one held left:
	 * the client gave up sooner than we answered, or an older copy is
	 * observed late. The one held stays the reference.
	 */

	if (is_pairable) {
		uint64_t kp = make_key(h_ip, h_name, TAG_PAIR, port, 0, 0);
		uint64_t *t;

		/* slot_claim() may have reused the way p pointed to. */
		p = slot_claim(s, sh, kp, recv);
		t = ev->qtype == ND_TYPE_A ? &p->t_a : &p->t_b;
		if (recv > *t)
			*t = recv;
		uint64_t last = p->t_a > p->t_b ? p->t_a : p->t_b;
		p->expires_us = last + s->race_max_us + s->pair_window_us;
	}

	if (ev->is_truncated) {
		uint64_t kt = make_key(h_ip, h_name, TAG_TC, 0, 0, ev->qtype);
		struct tc_pending *slot = NULL, *soonest = NULL;

		for (size_t i = 0; i < s->n_tc; i++) {
			struct tc_pending *t = &sh->tc[i];

			if (t->key == kt) {
				slot = t;
				break;
			}
			if (t->key == 0) {
				if (slot == NULL)
					slot = t;
			} else if (soonest == NULL ||
				   t->deadline_us < soonest->deadline_us) {
				soonest = t;
			}
		}
		if (slot == NULL) {
			/* Full: drop the one nearest its decision rather
			 * than grow; counted so it is not silent. */
			slot = soonest;
			count(&s->c.tc_evictions);
			slot->key = 0;
			sh->tc_used--;
			uncount(&s->c.tc_pending);
		}
		if (slot->key == 0) {
			slot->key = kt;
			sh->tc_used++;
			count(&s->c.tc_pending);
			memset(&slot->client, 0, sizeof(slot->client));
			memcpy(&slot->client, ev->client,
			       nd_addr_len(ev->client));
			slot->qtype = ev->qtype;
			slot->qname_len = ev->qname_len;
			memcpy(slot->qname, ev->qname_lc, ev->qname_len);
			slot->deadline_us = 0;
		}
		if (sent + s->tc_window_us > slot->deadline_us)
			slot->deadline_us = sent + s->tc_window_us;
	}
	return fired;
}

/* A TCP query: the retry a truncated answer asked for? */
static void observe_tcp(struct nd_symptoms *s, struct shard *sh,
			const struct nd_query_event *ev, uint64_t h_ip,
			uint64_t h_name)
{
	uint64_t kt;

	if (sh->tc_used == 0)
		return;
	kt = make_key(h_ip, h_name, TAG_TC, 0, 0, ev->qtype);
	for (size_t i = 0; i < s->n_tc; i++) {
		struct tc_pending *t = &sh->tc[i];

		if (t->key != kt)
			continue;
		/* Past the window it is left to tick: a much later TCP
		 * query is most likely another lookup. */
		if (ev->recv_us <= t->deadline_us) {
			t->key = 0;
			sh->tc_used--;
			uncount(&s->c.tc_pending);
			count(&s->c.tc_followed);
		}
		return;
	}
}

/* A Service name answered while it has no ready endpoint (d). */
static void observe_not_ready(struct nd_symptoms *s,
			      const struct nd_query_event *ev, uint64_t h_name)
{
	struct shard *sh = shard_of(s, h_name);
	uint64_t kn = make_key(0, h_name, TAG_NAME, 0, 0, 0);
	uint64_t now = ev->recv_us;
	bool is_due;
	struct slot *n;

	count(&s->c.no_ready);
	pthread_mutex_lock(&sh->lock);
	n = slot_find(s, sh, kn);
	/* A time behind the last line (another worker's clock read a
	 * moment earlier) is within the interval too. */
	is_due = n == NULL || (now >= n->t_a &&
			       now - n->t_a >= s->name_interval_us);
	if (is_due) {
		n = slot_claim(s, sh, kn, now);
		n->t_a = now;
		n->expires_us = now + s->name_interval_us;
	}
	pthread_mutex_unlock(&sh->lock);
	if (is_due) {
		struct firing f;

		firing_init(&f, ND_SYM_NO_READY_ENDPOINTS, ev);
		report(s, &f);
	}
}

void nd_symptoms_observe(struct nd_symptoms *s, const struct nd_query_event *ev)
{
	struct firing f;
	uint64_t h_ip, h_name;
	struct shard *sh;
	int fired = -1;

	if (s == NULL || ev == NULL || ev->qname_lc == NULL ||
	    ev->qname_len == 0 || ev->qname_len > ND_DNS_MAX_NAME)
		return;
	if (!client_hash(s, ev->client, &h_ip))
		return;
	h_name = nd_hash(ev->qname_lc, ev->qname_len, s->seed);
	sh = shard_of(s, h_ip);

	pthread_mutex_lock(&sh->lock);
	/*
	 * Only UDP is checked for repeats: a TCP client that retries opens
	 * a new connection (a new port), and TCP itself retransmits lost
	 * segments, so a repeat there says nothing about dropped replies.
	 */
	if (ev->proto == ND_PROTO_UDP)
		fired = observe_udp(s, sh, ev, h_ip, h_name, &f);
	else if (ev->proto == ND_PROTO_TCP)
		observe_tcp(s, sh, ev, h_ip, h_name);
	pthread_mutex_unlock(&sh->lock);

	if (fired >= 0) {
		count(&s->c.retransmits);
		if (fired == ND_SYM_CONNTRACK_RACE)
			count(&s->c.races);
		report(s, &f);
	}
	/* A ClusterIP Service without ready endpoints still resolves; a
	 * headless one answers NXDOMAIN (spec 2.4.1): either way the
	 * reason is the endpoints, not DNS. */
	if (ev->kube_ready == 0 && (ev->rcode == ND_RCODE_NOERROR ||
				    ev->rcode == ND_RCODE_NXDOMAIN))
		observe_not_ready(s, ev, h_name);
}

/* ---- deciding by absence ------------------------------------------------ */

void nd_symptoms_tick(struct nd_symptoms *s, uint64_t now_us)
{
	struct tc_pending batch[TC_BATCH];
	struct firing f;

	if (s == NULL)
		return;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *sh = &s->shards[i];
		size_t n;

		do {
			n = 0;
			pthread_mutex_lock(&sh->lock);
			for (size_t k = 0; k < s->n_tc && n < TC_BATCH &&
					   sh->tc_used > 0;
			     k++) {
				struct tc_pending *t = &sh->tc[k];

				if (t->key == 0 ||
				    now_us <= t->deadline_us + s->tc_lag_us)
					continue;
				batch[n++] = *t;
				t->key = 0;
				sh->tc_used--;
				uncount(&s->c.tc_pending);
			}
			pthread_mutex_unlock(&sh->lock);
			for (size_t k = 0; k < n; k++) {
				struct tc_pending *t = &batch[k];

				count(&s->c.tc_without_tcp);
				memset(&f, 0, sizeof(f));
				f.kind = ND_SYM_TC_WITHOUT_TCP;
				f.time_us = now_us;
				f.client = t->client;
				f.client_ip_only = true;
				f.qtype = t->qtype;
				f.qname_len = t->qname_len;
				memcpy(f.qname, t->qname, t->qname_len);
				report(s, &f);
			}
		} while (n == TC_BATCH);
	}
}

/* ---- upstream failures ------------------------------------------------- */

void nd_symptoms_upstream_failure(struct nd_symptoms *s, const char *upstream,
				 int outcome, uint64_t now_us)
{
	const char *name = upstream ? upstream : "-";
	struct up_slot *slot = NULL, *oldest = NULL;
	bool is_due;

	if (s == NULL || outcome <= ND_UP_OK || outcome >= ND_UP_OUTCOMES)
		return;
	count(&s->c.upstream[outcome]);

	uint64_t key = fmix(nd_hash(name, strlen(name), s->seed) ^
			    (uint64_t)outcome);
	if (key == 0)
		key = 1;
	pthread_mutex_lock(&s->up_lock);
	for (int i = 0; i < UP_SLOTS; i++) {
		struct up_slot *u = &s->up[i];

		if (u->key == key) {
			slot = u;
			break;
		}
		if (oldest == NULL || u->key == 0 ||
		    (oldest->key != 0 && u->last_us < oldest->last_us))
			oldest = u;
	}
	is_due = slot == NULL || (now_us >= slot->last_us &&
				  now_us - slot->last_us >= s->up_interval_us);
	if (is_due) {
		if (slot == NULL) {
			slot = oldest;
			slot->key = key;
		}
		slot->last_us = now_us;
	}
	pthread_mutex_unlock(&s->up_lock);
	if (is_due) {
		struct firing f;

		memset(&f, 0, sizeof(f));
		f.kind = ND_SYM_UPSTREAM;
		f.time_us = now_us;
		f.upstream = name;
		f.outcome = outcome;
		report(s, &f);
	}
}

/* ---- reading ------------------------------------------------------------ */

int nd_symptoms_get_stats(const struct nd_symptoms *s,
			 struct nd_symptoms_stats *out)
{
	if (s == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->client_retransmits = load(&s->c.retransmits);
	out->conntrack_races = load(&s->c.races);
	out->tc_without_tcp = load(&s->c.tc_without_tcp);
	out->tc_followed = load(&s->c.tc_followed);
	out->tc_pending = load(&s->c.tc_pending);
	out->no_ready_endpoints = load(&s->c.no_ready);
	for (int i = 0; i < ND_UP_OUTCOMES; i++)
		out->upstream_failures[i] = load(&s->c.upstream[i]);
	for (int k = 0; k < ND_SYM_KINDS; k++) {
		out->log_lines[k] = load(&s->c.log_lines[k]);
		out->log_suppressed[k] = load(&s->c.log_suppressed[k]);
	}
	out->evictions = load(&s->c.evictions);
	out->tc_evictions = load(&s->c.tc_evictions);
	out->max_entries = s->nbuckets * WAYS * SHARDS;
	return 0;
}

int nd_symptoms_recent(struct nd_symptoms *s, struct nd_symptom_event *out,
		      size_t max, size_t *n)
{
	if (s == NULL || n == NULL || (out == NULL && max > 0))
		return -EINVAL;
	pthread_mutex_lock(&s->ring_lock);
	size_t take = s->ring_count < max ? s->ring_count : max;
	/* The newest take events, oldest of them first. */
	size_t first = (s->ring_next + s->ring_size - take) % s->ring_size;

	for (size_t i = 0; i < take; i++)
		out[i] = s->ring[(first + i) % s->ring_size];
	pthread_mutex_unlock(&s->ring_lock);
	*n = take;
	return 0;
}
