/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/query_log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/wire.h"
#include "resolver/metrics.h" /* ND_PROTO_UDP */
#include "resolver/observe.h"
#include "util/addr.h"
#include "util/json_escape.h"
#include "util/line_ring.h"
#include "util/log.h"

/* How often the writer looks at the buffers when it has nothing to do. */
#define WRITER_PERIOD_MS 50
#define LINE_MAX_BYTES 2048

struct nd_query_log {
	struct nd_line_ring *rings; /* max_threads; a buffer each, made at
				   the thread's first query */
	unsigned max_threads;
	unsigned n_claimed;	/* rings handed out (atomic) */
	int is_on;		/* atomic */
	uint32_t sample;	/* atomic; >= 1 */
	uint64_t written;	/* lines written out (atomic) */
	uint64_t dropped;	/* lines lost: buffer full or no ring (atomic) */
	pthread_t writer;
	bool has_writer;
	pthread_mutex_t lock;	/* only for the writer's wait and stop */
	pthread_cond_t cond;
	bool is_stopping;	/* under lock */
};

/* This thread's ring and sample count (workers are long-lived threads). */
static __thread struct nd_line_ring *tl_ring;
static __thread const struct nd_query_log *tl_owner;
static __thread uint64_t tl_seen;

static const char *rcode_name(int rcode, char *buf, size_t cap)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL",
					     "NXDOMAIN", "NOTIMP", "REFUSED" };

	if (rcode >= 0 && rcode < 6)
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	snprintf(buf, cap, "RCODE%d", rcode);
	return buf;
}

/* The line, text or JSON, with its newline; returns its length (0 when
 * it did not fit, which a 255-byte name with escapes cannot reach). */
static size_t format(char *line, size_t cap, const struct nd_query_event *ev,
		     const char *upstream)
{
	char name[ND_DNS_MAX_NAME * 4 + 2] = "", jname[sizeof(name) * 6];
	char client[ND_ADDR_STRLEN] = "-", stamp[32], tbuf[16], rc[16];
	const char *type;
	const char *proto = ev->proto == ND_PROTO_TCP ? "tcp" : "udp";
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	nd_log_stamp(stamp, sizeof(stamp), &ts);
	if (ev->qname_lc == NULL ||
	    nd_dns_name_to_text(ev->qname_lc, ev->qname_len, name,
				sizeof(name)) != 0)
		snprintf(name, sizeof(name), "-");
	if (ev->client != NULL)
		nd_addr_format(ev->client, client, sizeof(client));
	type = nd_dns_type_name(ev->qtype, tbuf, sizeof(tbuf));
	if (upstream == NULL)
		upstream = "-";
	if (nd_log_get_format() == ND_LOG_JSON) {
		/* Only the name can hold bytes JSON must escape (\DDD are
		 * printable, but a backslash is one of them). */
		nd_json_escape(jname, sizeof(jname), name, strlen(name));
		n = snprintf(line, cap,
			     "{\"ts\":\"%s\",\"level\":\"info\",\"group\":"
			     "\"query\",\"msg\":\"query\",\"client\":\"%s\","
			     "\"proto\":\"%s\",\"qname\":\"%s\",\"qtype\":"
			     "\"%s\",\"rcode\":\"%s\",\"source\":\"%s\","
			     "\"latency_us\":%llu,\"upstream\":\"%s\","
			     "\"attempts\":%u,\"tc\":%s}\n",
			     stamp, client, proto, jname, type,
			     rcode_name(ev->rcode, rc, sizeof(rc)),
			     nd_answer_source_name(ev->source),
			     (unsigned long long)ev->duration_us, upstream,
			     ev->attempts, ev->is_truncated ? "true" : "false");
	} else {
		n = snprintf(line, cap,
			     "%s info query: client=%s proto=%s qname=%s "
			     "qtype=%s rcode=%s source=%s latency_us=%llu "
			     "upstream=%s attempts=%u tc=%d\n",
			     stamp, client, proto, name, type,
			     rcode_name(ev->rcode, rc, sizeof(rc)),
			     nd_answer_source_name(ev->source),
			     (unsigned long long)ev->duration_us, upstream,
			     ev->attempts, ev->is_truncated ? 1 : 0);
	}
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static struct nd_line_ring *claim(struct nd_query_log *q)
{
	unsigned i;

	if (tl_owner == q)
		return tl_ring;
	tl_owner = q;
	tl_ring = NULL;
	tl_seen = 0;
	i = __atomic_fetch_add(&q->n_claimed, 1, __ATOMIC_RELAXED);
	/* Allocated once per worker thread, at its first query. */
	if (i >= q->max_threads ||
	    nd_line_ring_init(&q->rings[i], ND_QUERY_LOG_RING_BYTES) != 0)
		return NULL;
	tl_ring = &q->rings[i];
	return tl_ring;
}

bool nd_query_log_is_on(const struct nd_query_log *q)
{
	return q != NULL && __atomic_load_n(&q->is_on, __ATOMIC_RELAXED);
}

void nd_query_log_record(struct nd_query_log *q,
			 const struct nd_query_event *ev,
			 const char *upstream)
{
	char line[LINE_MAX_BYTES];
	struct nd_line_ring *r;
	size_t n;

	if (q == NULL || ev == NULL ||
	    !__atomic_load_n(&q->is_on, __ATOMIC_RELAXED))
		return;
	r = claim(q);
	if (tl_seen++ % __atomic_load_n(&q->sample, __ATOMIC_RELAXED) != 0)
		return;
	n = r != NULL ? format(line, sizeof(line), ev, upstream) : 0;
	if (n == 0 || !nd_line_ring_push(r, line, n))
		__atomic_fetch_add(&q->dropped, 1, __ATOMIC_RELAXED);
}

/* Write out what every ring holds, in pieces of whole lines up to
 * PIPE_BUF bytes (so a pipe such as journald's never splits one between
 * other log lines). */
static void drain_all(struct nd_query_log *q)
{
	unsigned n = __atomic_load_n(&q->n_claimed, __ATOMIC_RELAXED);
	char out[PIPE_BUF];

	if (n > q->max_threads)
		n = q->max_threads;
	for (unsigned i = 0; i < n; i++) {
		struct nd_line_ring *r = &q->rings[i];
		size_t k;

		if (__atomic_load_n(&r->buf, __ATOMIC_ACQUIRE) == NULL)
			continue;
		while ((k = nd_line_ring_take(r, out, sizeof(out))) > 0) {
			uint64_t lines = 0;

			for (size_t j = 0; j < k; j++)
				lines += out[j] == '\n';
			nd_log_write(out, k);
			__atomic_fetch_add(&q->written, lines,
					   __ATOMIC_RELAXED);
		}
	}
}

/*
 * The writer: the only thread that may block on the log (a full pipe,
 * a slow disk); workers only ever copy into their ring. It looks every
 * WRITER_PERIOD_MS, so a worker has 64 KiB for that long: about 400
 * lines, 8000 sampled queries a second per worker before drops.
 */
static void *writer_main(void *arg)
{
	struct nd_query_log *q = arg;
	bool stop = false;

	while (!stop) {
		struct timespec until;

		drain_all(q);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += WRITER_PERIOD_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&q->lock);
		if (!q->is_stopping)
			pthread_cond_timedwait(&q->cond, &q->lock, &until);
		stop = q->is_stopping;
		pthread_mutex_unlock(&q->lock);
	}
	drain_all(q);
	return NULL;
}

struct nd_query_log *nd_query_log_new(unsigned max_threads)
{
	struct nd_query_log *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->sample = 1;
	q->max_threads = max_threads;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->rings = calloc(max_threads ? max_threads : 1, sizeof(*q->rings));
	if (q->rings == NULL) {
		nd_query_log_free(q);
		return NULL;
	}
	return q;
}

int nd_query_log_start(struct nd_query_log *q)
{
	int rc;

	if (q == NULL)
		return -EINVAL;
	if (q->has_writer)
		return 0;
	rc = pthread_create(&q->writer, NULL, writer_main, q);
	if (rc != 0)
		return -rc;
	q->has_writer = true;
	return 0;
}

void nd_query_log_free(struct nd_query_log *q)
{
	if (q == NULL)
		return;
	if (q->has_writer) {
		pthread_mutex_lock(&q->lock);
		q->is_stopping = true;
		pthread_cond_signal(&q->cond);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->writer, NULL);
	}
	for (unsigned i = 0; q->rings != NULL && i < q->max_threads; i++)
		nd_line_ring_deinit(&q->rings[i]);
	free(q->rings);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void nd_query_log_set(struct nd_query_log *q, bool is_on, uint32_t sample)
{
	if (q == NULL)
		return;
	__atomic_store_n(&q->sample, sample ? sample : 1, __ATOMIC_RELAXED);
	__atomic_store_n(&q->is_on, is_on ? 1 : 0, __ATOMIC_RELAXED);
}

uint64_t nd_query_log_written(const struct nd_query_log *q)
{
	return q ? __atomic_load_n(&q->written, __ATOMIC_RELAXED) : 0;
}

uint64_t nd_query_log_dropped(const struct nd_query_log *q)
{
	return q ? __atomic_load_n(&q->dropped, __ATOMIC_RELAXED) : 0;
}
