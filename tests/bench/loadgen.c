/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/bench/loadgen.c - DNS-over-UDP load generator (and bare reflector).
 *
 * dnsperf tops out near 100-120k QPS from one core, which is below what a
 * single nodedns worker should do, so the benchmark needs a client that is
 * clearly faster than the server it measures. This one pre-builds every
 * query, sends and receives in batches with sendmmsg/recvmmsg on a few
 * connected sockets from one thread, and matches replies by (socket, ID).
 *
 *   loadgen -s 127.0.0.1 -p 5353 -d queries.txt --duration 5
 *           [--sockets 4] [--window 512] [--rate QPS] [--timeout-ms 1000]
 *           [--count N] [--edns[=SIZE]] [--batch 32]
 *   loadgen --reflector 127.0.0.1:5300 --duration 5
 *
 * The query file is dnsperf's: one "name type" per line, '#' comments.
 * Max-rate mode keeps at most --window queries outstanding per socket (the
 * window opens over the first 100 ms); --rate offers a fixed rate from a
 * token bucket (latency at a given load). A reply counts when its ID is
 * outstanding on that socket and it echoes the question; freed IDs are
 * reused last, so a late reply is seen as late, not as a wrong answer.
 * Latency is measured from the sendmmsg call to the recvmmsg return that
 * brought the reply, into a log-linear histogram (1/64 of a power of two
 * per bucket: under 0.8 % error). qps counts the answers received before
 * --duration ends; the drain that follows (up to --timeout-ms) only
 * settles which queries were lost. The last line of output is
 * machine-readable: "qps=... sent=... recv=... lost=... p50_us=...".
 *
 * Only libc; Linux only (recvmmsg, sendmmsg).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* recvmmsg, sendmmsg; the build passes -D_GNU_SOURCE */
#endif
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LG_MAX_SOCKETS	  64
#define LG_MAX_BATCH	  256
#define LG_MAX_DURATION_S 120
#define LG_RAMP_MS	  100 /* max-rate mode: time to open the full window */
#define LG_IDS		  65536
#define LG_MAX_QUERY	  512 /* one pre-built query, EDNS included */
#define LG_RX_BYTES	  4096 /* larger replies are cut; only the header matters */
#define LG_HIST_SUB_BITS  6
#define LG_HIST_SUB	  (1u << LG_HIST_SUB_BITS)
#define LG_HIST_BUCKETS	  (64 * LG_HIST_SUB)
#define LG_NONE		  (-1)

static volatile sig_atomic_t lg_stop;

static void on_signal(int sig)
{
	(void)sig;
	lg_stop = 1;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* --- latency histogram ------------------------------------------------- */

/*
 * Log-linear: values below 2^SUB_BITS ns have a bucket each; above, each
 * power of two is cut into SUB buckets. Bounded memory, fixed relative
 * error, and merging is an addition.
 */
struct hist {
	uint64_t count[LG_HIST_BUCKETS];
	uint64_t n;	 /* samples */
	uint64_t sum_ns; /* for the mean */
	uint64_t max_ns;
};

static unsigned hist_index(uint64_t v)
{
	unsigned e;

	if (v < LG_HIST_SUB)
		return (unsigned)v;
	e = 63 - (unsigned)__builtin_clzll(v); /* >= SUB_BITS */
	return (e - LG_HIST_SUB_BITS + 1) * LG_HIST_SUB +
	       (unsigned)((v >> (e - LG_HIST_SUB_BITS)) & (LG_HIST_SUB - 1));
}

/* Midpoint of a bucket, in ns. */
static double hist_value(unsigned i)
{
	unsigned e, sub;
	double lo, width;

	if (i < LG_HIST_SUB)
		return i;
	e = i / LG_HIST_SUB + LG_HIST_SUB_BITS - 1;
	sub = i % LG_HIST_SUB;
	width = (double)(1ull << (e - LG_HIST_SUB_BITS));
	lo = (double)(1ull << e) + sub * width;
	return lo + width / 2;
}

static void hist_add(struct hist *h, uint64_t v)
{
	h->count[hist_index(v)]++;
	h->n++;
	h->sum_ns += v;
	if (v > h->max_ns)
		h->max_ns = v;
}

/* The q-quantile in microseconds; 0 without samples. */
static double hist_quantile_us(const struct hist *h, double q)
{
	uint64_t want, seen = 0;
	unsigned i;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	for (i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen > want)
			return hist_value(i) / 1000.0;
	}
	return (double)h->max_ns / 1000.0;
}

/* --- queries ------------------------------------------------------------ */

struct query {
	uint32_t off;  /* into the packet blob */
	uint16_t len;  /* whole packet */
	uint16_t qlen; /* question section (name, type, class) */
};

struct qset {
	struct query *q;
	size_t n, cap;
	uint8_t *blob;
	size_t blob_len, blob_cap;
};

static const struct {
	const char *name;
	uint16_t type;
} qtypes[] = {
    {"A", 1},	   {"NS", 2},	  {"CNAME", 5}, {"SOA", 6},
    {"PTR", 12},   {"MX", 15},	  {"TXT", 16},	{"AAAA", 28},
    {"SRV", 33},   {"NAPTR", 35}, {"DS", 43},	{"DNSKEY", 48},
    {"HTTPS", 65}, {"SVCB", 64},  {"CAA", 257}, {"ANY", 255},
};

static int parse_type(const char *s, uint16_t *type)
{
	size_t i;
	char *end;
	unsigned long v;

	for (i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++) {
		if (strcasecmp(s, qtypes[i].name) == 0) {
			*type = qtypes[i].type;
			return 0;
		}
	}
	if (strncasecmp(s, "TYPE", 4) == 0) {
		errno = 0;
		v = strtoul(s + 4, &end, 10);
		if (errno == 0 && *end == '\0' && end != s + 4 && v <= 65535) {
			*type = (uint16_t)v;
			return 0;
		}
	}
	return -EINVAL;
}

/* Presentation name to wire form (no escapes); returns its length or < 0. */
static int encode_name(const char *name, uint8_t *out, size_t cap)
{
	size_t pos = 0, len;
	const char *p = name, *dot;

	if (strcmp(name, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*p) {
		dot = strchr(p, '.');
		len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len > 63 || pos + 1 + len + 1 > cap ||
		    pos + 1 + len + 1 > 255)
			return -EINVAL;
		out[pos++] = (uint8_t)len;
		memcpy(out + pos, p, len);
		pos += len;
		if (!dot)
			break;
		p = dot + 1;
	}
	out[pos++] = 0;
	return (int)pos;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Build one query (ID 0, RD=1) and append it to the set. */
static int qset_add(struct qset *qs, const char *name, uint16_t type,
		    int edns_size)
{
	uint8_t pkt[LG_MAX_QUERY];
	int nl;
	size_t len;

	memset(pkt, 0, 12);
	put16(pkt + 2, 0x0100); /* RD */
	put16(pkt + 4, 1);
	nl = encode_name(name, pkt + 12, sizeof(pkt) - 12 - 4 - 11);
	if (nl < 0)
		return nl;
	len = 12 + (size_t)nl;
	put16(pkt + len, type);
	put16(pkt + len + 2, 1); /* IN */
	len += 4;
	if (edns_size > 0) {
		put16(pkt + 10, 1); /* ARCOUNT */
		pkt[len] = 0;	    /* root owner */
		put16(pkt + len + 1, 41);
		put16(pkt + len + 3, (uint16_t)edns_size);
		/* extended rcode, version, flags, rdlength: all zero */
		memset(pkt + len + 5, 0, 6);
		len += 11;
	}
	if (qs->n == qs->cap) {
		qs->cap = qs->cap ? qs->cap * 2 : 1024;
		qs->q = realloc(qs->q, qs->cap * sizeof(*qs->q));
		if (!qs->q)
			die("out of memory");
	}
	while (qs->blob_len + len > qs->blob_cap) {
		qs->blob_cap = qs->blob_cap ? qs->blob_cap * 2 : 65536;
		qs->blob = realloc(qs->blob, qs->blob_cap);
		if (!qs->blob)
			die("out of memory");
	}
	if (qs->blob_len + len > UINT32_MAX)
		die("query file too large");
	memcpy(qs->blob + qs->blob_len, pkt, len);
	qs->q[qs->n].off = (uint32_t)qs->blob_len;
	qs->q[qs->n].len = (uint16_t)len;
	qs->q[qs->n].qlen = (uint16_t)(nl + 4);
	qs->blob_len += len;
	qs->n++;
	return 0;
}

static void qset_load(struct qset *qs, const char *path, int edns_size)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char line[1024], *name, *type, *save;
	unsigned lineno = 0;
	uint16_t t;

	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		name = strtok_r(line, " \t\r\n", &save);
		if (!name || name[0] == '#' || name[0] == ';')
			continue;
		type = strtok_r(NULL, " \t\r\n", &save);
		if (!type)
			type = "A"; /* as dnsperf */
		if (parse_type(type, &t) != 0)
			die("%s:%u: unknown type '%s'", path, lineno, type);
		if (qset_add(qs, name, t, edns_size) != 0)
			die("%s:%u: bad name '%s'", path, lineno, name);
	}
	if (f != stdin)
		fclose(f);
	if (qs->n == 0)
		die("%s: no queries", path);
}

/* --- sockets and in-flight state ---------------------------------------- */

/*
 * One outstanding query. Slots are indexed by DNS ID; in-flight slots are
 * also on a list in send order, so the oldest is at the head and timeouts
 * are found without scanning (every query has the same timeout).
 */
struct slot {
	uint64_t sent_ns; /* monotonic; 0 = free */
	uint32_t qidx;	  /* which query, to check the echoed question */
	int32_t prev;	  /* send-order list; LG_NONE at the ends */
	int32_t next;
};

struct lsock {
	int fd;
	struct slot *slot;  /* LG_IDS */
	uint16_t *freeq;    /* FIFO of free IDs: a freed ID waits longest */
	uint32_t free_head; /* index of the next free ID in freeq */
	uint32_t free_n;    /* free IDs */
	int32_t old;	    /* oldest in-flight ID, LG_NONE if none */
	int32_t young;	    /* newest in-flight ID */
	uint32_t inflight;
	struct mmsghdr *tx; /* batch */
	struct iovec *tx_iov;
	uint8_t *tx_buf; /* batch * LG_MAX_QUERY */
	struct mmsghdr *rx;
	struct iovec *rx_iov;
	uint8_t *rx_buf; /* batch * LG_RX_BYTES */
};

struct stats {
	uint64_t sent;
	uint64_t recv;	      /* matched replies, drain included */
	uint64_t recv_in_run; /* matched replies before the send phase ended */
	uint64_t lost;	      /* no reply within the timeout */
	uint64_t late;	      /* a reply for an ID no longer outstanding */
	uint64_t mismatch;    /* ID outstanding, question different */
	uint64_t malformed;   /* short or QR=0 */
	uint64_t send_err;    /* sendmmsg errors other than EAGAIN */
	uint64_t recv_err;    /* e.g. ECONNREFUSED (ICMP port unreachable) */
	uint64_t no_id;	      /* --rate: every ID of a socket in flight */
	uint64_t rcode[16];
	uint64_t tc;
	struct hist lat;
};

struct opts {
	const char *server;
	const char *port;
	const char *data;
	const char *reflector;
	unsigned sockets;
	unsigned window;
	unsigned batch;
	double rate; /* 0 = as fast as the window allows */
	unsigned duration_s;
	unsigned timeout_ms;
	uint64_t count; /* 0 = unbounded */
	int edns_size;	/* 0 = no EDNS */
	bool quiet;
};

static void set_bufs(int fd, int bytes)
{
	/* root may exceed rmem_max/wmem_max; everybody else gets the cap */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

static struct addrinfo *resolve(const char *host, const char *port, int flags)
{
	struct addrinfo hints = {0}, *ai;
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | flags;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		die("address %s port %s: %s", host, port, gai_strerror(rc));
	return ai;
}

static void lsock_init(struct lsock *s, const struct addrinfo *ai,
		       unsigned batch)
{
	unsigned i;

	s->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		die("socket: %s", strerror(errno));
	set_bufs(s->fd, 4 << 20);
	if (connect(s->fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("connect: %s", strerror(errno));
	s->slot = calloc(LG_IDS, sizeof(*s->slot));
	s->freeq = malloc(LG_IDS * sizeof(*s->freeq));
	s->tx = calloc(batch, sizeof(*s->tx));
	s->tx_iov = calloc(batch, sizeof(*s->tx_iov));
	s->tx_buf = malloc((size_t)batch * LG_MAX_QUERY);
	s->rx = calloc(batch, sizeof(*s->rx));
	s->rx_iov = calloc(batch, sizeof(*s->rx_iov));
	s->rx_buf = malloc((size_t)batch * LG_RX_BYTES);
	if (!s->slot || !s->freeq || !s->tx || !s->tx_iov || !s->tx_buf ||
	    !s->rx || !s->rx_iov || !s->rx_buf)
		die("out of memory");
	/* start at a random ID so that reruns do not look like retransmits */
	uint16_t base = (uint16_t)(mono_ns() ^ (uintptr_t)s);
	for (i = 0; i < LG_IDS; i++)
		s->freeq[i] = (uint16_t)(base + i);
	s->free_head = 0;
	s->free_n = LG_IDS;
	s->old = s->young = LG_NONE;
	for (i = 0; i < batch; i++) {
		s->tx_iov[i].iov_base = s->tx_buf + (size_t)i * LG_MAX_QUERY;
		s->tx[i].msg_hdr.msg_iov = &s->tx_iov[i];
		s->tx[i].msg_hdr.msg_iovlen = 1;
		s->rx_iov[i].iov_base = s->rx_buf + (size_t)i * LG_RX_BYTES;
		s->rx_iov[i].iov_len = LG_RX_BYTES;
		s->rx[i].msg_hdr.msg_iov = &s->rx_iov[i];
		s->rx[i].msg_hdr.msg_iovlen = 1;
	}
}

static void lsock_deinit(struct lsock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->slot);
	free(s->freeq);
	free(s->tx);
	free(s->tx_iov);
	free(s->tx_buf);
	free(s->rx);
	free(s->rx_iov);
	free(s->rx_buf);
}

static void slot_unlink(struct lsock *s, uint16_t id)
{
	struct slot *sl = &s->slot[id];

	if (sl->prev != LG_NONE)
		s->slot[sl->prev].next = sl->next;
	else
		s->old = sl->next;
	if (sl->next != LG_NONE)
		s->slot[sl->next].prev = sl->prev;
	else
		s->young = sl->prev;
	sl->sent_ns = 0;
	s->freeq[(s->free_head + s->free_n) % LG_IDS] = id;
	s->free_n++;
	s->inflight--;
}

/* Send up to n queries on s, taking queries from *next in rotation. */
static unsigned send_batch(struct lsock *s, unsigned n, const struct qset *qs,
			   size_t *next, uint64_t now, struct stats *st)
{
	unsigned i, k = 0;
	int r;

	if (n > s->free_n)
		n = s->free_n;
	for (i = 0; i < n; i++) {
		const struct query *q = &qs->q[*next];
		uint16_t id = s->freeq[(s->free_head + i) % LG_IDS];
		uint8_t *buf = s->tx_iov[i].iov_base;

		memcpy(buf, qs->blob + q->off, q->len);
		put16(buf, id);
		s->tx_iov[i].iov_len = q->len;
		s->slot[id].qidx = (uint32_t)*next;
		if (++*next == qs->n)
			*next = 0;
	}
	while (k < n) {
		r = sendmmsg(s->fd, s->tx + k, n - k, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != ENOBUFS)
				st->send_err++;
			break;
		}
		k += (unsigned)r;
	}
	/* queries that did not go out give their query index back */
	if (k < n) {
		size_t back = n - k;

		*next = (*next + qs->n - back % qs->n) % qs->n;
	}
	for (i = 0; i < k; i++) {
		uint16_t id = s->freeq[s->free_head];
		struct slot *sl = &s->slot[id];

		s->free_head = (s->free_head + 1) % LG_IDS;
		s->free_n--;
		sl->sent_ns = now;
		sl->next = LG_NONE;
		sl->prev = s->young;
		if (s->young != LG_NONE)
			s->slot[s->young].next = id;
		else
			s->old = id;
		s->young = id;
		s->inflight++;
	}
	st->sent += k;
	return k;
}

static bool same_question(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	/* label length bytes are < 64, so tolower() leaves them alone */
	for (i = 0; i < len; i++)
		if (a[i] != b[i] && tolower(a[i]) != tolower(b[i]))
			return false;
	return true;
}

/* Drain replies from s; returns how many datagrams were read. */
static unsigned recv_all(struct lsock *s, unsigned batch, const struct qset *qs,
			 bool in_run, struct stats *st)
{
	unsigned total = 0, i;
	int r, rounds;

	/* bounded so that sending is not starved by a flood of replies */
	for (rounds = 0; rounds < 8; rounds++) {
		r = recvmmsg(s->fd, s->rx, batch, MSG_DONTWAIT, NULL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				st->recv_err++;
			break;
		}
		uint64_t now = mono_ns();

		for (i = 0; i < (unsigned)r; i++) {
			const uint8_t *p = s->rx_iov[i].iov_base;
			unsigned len = s->rx[i].msg_len;
			uint16_t id, flags;
			struct slot *sl;
			const struct query *q;

			if (len < 12 || !(p[2] & 0x80)) {
				st->malformed++;
				continue;
			}
			id = (uint16_t)(p[0] << 8 | p[1]);
			flags = (uint16_t)(p[2] << 8 | p[3]);
			sl = &s->slot[id];
			if (sl->sent_ns == 0) {
				st->late++;
				continue;
			}
			q = &qs->q[sl->qidx];
			if (len < 12u + q->qlen ||
			    !same_question(p + 12, qs->blob + q->off + 12,
					   q->qlen)) {
				st->mismatch++;
				continue;
			}
			hist_add(&st->lat,
				 now > sl->sent_ns ? now - sl->sent_ns : 0);
			st->rcode[flags & 15]++;
			if (flags & 0x0200)
				st->tc++;
			st->recv++;
			if (in_run)
				st->recv_in_run++;
			slot_unlink(s, id);
		}
		total += (unsigned)r;
		if ((unsigned)r < batch)
			break;
	}
	return total;
}

static void expire(struct lsock *s, uint64_t now, uint64_t timeout_ns,
		   struct stats *st)
{
	while (s->old != LG_NONE &&
	       now - s->slot[s->old].sent_ns >= timeout_ns) {
		slot_unlink(s, (uint16_t)s->old);
		st->lost++;
	}
}

/* --- load mode ----------------------------------------------------------- */

static const char *const rcode_names[16] = {
    "noerror",	"formerr", "servfail", "nxdomain", "notimp",  "refused",
    "yxdomain", "yxrrset", "nxrrset",  "notauth",  "notzone", "rcode11",
    "rcode12",	"rcode13", "rcode14",  "rcode15",
};

static void report(const struct opts *o, const struct stats *st, double run_s,
		   double cpu, const struct qset *qs)
{
	double qps = run_s > 0 ? st->recv_in_run / run_s : 0;
	double sent_rate = run_s > 0 ? st->sent / run_s : 0;
	double cpu_pct = run_s > 0 ? 100.0 * cpu / run_s : 0;
	double mean = st->lat.n ? st->lat.sum_ns / 1000.0 / st->lat.n : 0;
	double p50 = hist_quantile_us(&st->lat, 0.50);
	double p90 = hist_quantile_us(&st->lat, 0.90);
	double p99 = hist_quantile_us(&st->lat, 0.99);
	double p999 = hist_quantile_us(&st->lat, 0.999);
	uint64_t other = 0;
	unsigned i;

	for (i = 0; i < 16; i++)
		if (i != 0 && i != 2 && i != 3 && i != 5)
			other += st->rcode[i];
	if (!o->quiet) {
		printf("loadgen: %s port %s, %zu queries in the file, %u "
		       "sockets, ",
		       o->server, o->port, qs->n, o->sockets);
		if (o->rate > 0)
			printf("offered rate %.0f QPS", o->rate);
		else
			printf("window %u per socket", o->window);
		printf(", %u s, timeout %u ms%s\n", o->duration_s,
		       o->timeout_ms, o->edns_size ? ", EDNS" : "");
		printf("  run %.3f s: sent %llu (%.0f/s), answered %llu "
		       "(%.0f QPS in the run), lost %llu (%.3f %%)\n",
		       run_s, (unsigned long long)st->sent, sent_rate,
		       (unsigned long long)st->recv, qps,
		       (unsigned long long)st->lost,
		       st->sent ? 100.0 * st->lost / st->sent : 0.0);
		printf("  latency us: mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  "
		       "p99.9 %.1f  max %.1f\n",
		       mean, p50, p90, p99, p999, st->lat.max_ns / 1000.0);
		printf("  rcodes:");
		for (i = 0; i < 16; i++)
			if (st->rcode[i])
				printf(" %s %llu", rcode_names[i],
				       (unsigned long long)st->rcode[i]);
		printf("; truncated %llu\n", (unsigned long long)st->tc);
		if (st->late || st->mismatch || st->malformed || st->send_err ||
		    st->recv_err || st->no_id)
			printf(
			    "  anomalies: late %llu, wrong question %llu, "
			    "malformed %llu, send errors %llu, receive errors "
			    "%llu, no free ID %llu\n",
			    (unsigned long long)st->late,
			    (unsigned long long)st->mismatch,
			    (unsigned long long)st->malformed,
			    (unsigned long long)st->send_err,
			    (unsigned long long)st->recv_err,
			    (unsigned long long)st->no_id);
		printf("  client CPU %.1f %% of one core\n", cpu_pct);
	}
	printf("qps=%.0f sent=%llu recv=%llu lost=%llu sent_rate=%.0f "
	       "mean_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f "
	       "max_us=%.1f noerror=%llu nxdomain=%llu servfail=%llu "
	       "refused=%llu other_rcode=%llu tc=%llu late=%llu mismatch=%llu "
	       "errors=%llu client_cpu_pct=%.1f duration_s=%.3f\n",
	       qps, (unsigned long long)st->sent, (unsigned long long)st->recv,
	       (unsigned long long)st->lost, sent_rate, mean, p50, p90, p99,
	       p999, st->lat.max_ns / 1000.0, (unsigned long long)st->rcode[0],
	       (unsigned long long)st->rcode[3],
	       (unsigned long long)st->rcode[2],
	       (unsigned long long)st->rcode[5], (unsigned long long)other,
	       (unsigned long long)st->tc, (unsigned long long)st->late,
	       (unsigned long long)st->mismatch,
	       (unsigned long long)(st->malformed + st->send_err +
				    st->recv_err + st->no_id),
	       cpu_pct, run_s);
	fflush(stdout);
}

static int run_load(const struct opts *o)
{
	struct qset qs = {0};
	struct lsock *socks;
	struct pollfd *pfd;
	struct stats *st;
	struct addrinfo *ai;
	uint64_t start, end, drain_end = 0, now, last, timeout_ns;
	double tokens = 0, burst = 0, cpu0, run_s = 0;
	size_t next = 0;
	unsigned i, rr = 0, window = 1; /* current per-socket window */
	int rc;
	bool sending = true;

	qset_load(&qs, o->data, o->edns_size);
	ai = resolve(o->server, o->port, 0);
	socks = calloc(o->sockets, sizeof(*socks));
	pfd = calloc(o->sockets, sizeof(*pfd));
	st = calloc(1, sizeof(*st));
	if (!socks || !pfd || !st)
		die("out of memory");
	for (i = 0; i < o->sockets; i++) {
		lsock_init(&socks[i], ai, o->batch);
		pfd[i].fd = socks[i].fd;
		pfd[i].events = POLLIN;
	}
	freeaddrinfo(ai);
	/* short sleeps must be short: the default slack is 50 us */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	timeout_ns = (uint64_t)o->timeout_ms * 1000000u;
	if (o->rate > 0) {
		/*
		 * Catch up at most 10 ms after a stall of the client (a busy
		 * machine wakes us late): enough to keep the offered rate,
		 * short enough not to turn into a burst that measures the
		 * server's queue rather than its latency.
		 */
		burst = o->rate / 100.0;
		if (burst < 8)
			burst = 8;
	}
	cpu0 = cpu_s();
	start = last = mono_ns();
	end = start + (uint64_t)o->duration_s * 1000000000u;
	for (;;) {
		uint64_t wait_ns = UINT64_MAX, inflight = 0;
		unsigned did = 0;

		now = mono_ns();
		if (sending && (now >= end || lg_stop ||
				(o->count && st->sent >= o->count))) {
			sending = false;
			run_s = (now - start) / 1e9;
			drain_end = now + timeout_ns;
		}
		for (i = 0; i < o->sockets; i++) {
			expire(&socks[i], now, timeout_ns, st);
			inflight += socks[i].inflight;
		}
		if (!sending && (inflight == 0 || now >= drain_end))
			break;

		if (sending) {
			/*
			 * Open the window over the first LG_RAMP_MS: a full
			 * window at once is a burst that overflows the receive
			 * buffer of a server with default buffers, and every
			 * query lost then holds its slot for the whole timeout.
			 */
			if (window < o->window) {
				uint64_t w = (uint64_t)o->window *
					     (now - start) /
					     (LG_RAMP_MS * 1000000u);

				window = w < 1		 ? 1
					 : w > o->window ? o->window
							 : (unsigned)w;
			}
			if (o->rate > 0) {
				tokens += (now - last) * o->rate / 1e9;
				if (tokens > burst)
					tokens = burst;
			}
			last = now;
			for (i = 0; i < o->sockets; i++) {
				struct lsock *s = &socks[(rr + i) % o->sockets];
				uint64_t n = o->batch;

				if (o->rate > 0) {
					if (tokens < 1)
						break;
					if (n > (uint64_t)tokens)
						n = (uint64_t)tokens;
					/* spread over the sockets */
					if (n > 1 && o->sockets > 1)
						n = (n + o->sockets - 1) /
						    o->sockets;
					if (s->free_n == 0) {
						st->no_id += n;
						tokens -= (double)n;
						continue;
					}
				} else {
					if (s->inflight >= window)
						continue;
					if (n > window - s->inflight)
						n = window - s->inflight;
				}
				if (o->count && n > o->count - st->sent)
					n = o->count - st->sent;
				if (n == 0)
					continue;
				n = send_batch(s, (unsigned)n, &qs, &next, now,
					       st);
				did += (unsigned)n;
				if (o->rate > 0)
					tokens -= (double)n;
			}
			rr++;
		}
		/*
		 * At max rate every socket has replies pending, so read them
		 * all. At a fixed rate most are idle at any moment: ppoll
		 * says which to read, which keeps the client's own system
		 * calls (and so its share of the latency) low.
		 */
		if (o->rate == 0) {
			for (i = 0; i < o->sockets; i++)
				did += recv_all(&socks[i], o->batch, &qs,
						sending, st);
			if (did)
				continue;
		}

		/* sleep until a reply, a token, a timeout or the end */
		now = mono_ns();
		if (o->rate == 0 && window < o->window)
			wait_ns = 100000; /* the window opens further */
		for (i = 0; i < o->sockets; i++) {
			struct lsock *s = &socks[i];

			if (s->old != LG_NONE) {
				uint64_t due =
				    s->slot[s->old].sent_ns + timeout_ns;

				if (due <= now)
					wait_ns = 0;
				else if (due - now < wait_ns)
					wait_ns = due - now;
			}
		}
		if (sending) {
			if (now >= end)
				wait_ns = 0;
			else if (end - now < wait_ns)
				wait_ns = end - now;
			if (o->rate > 0) {
				uint64_t t = tokens >= 1
						 ? 0
						 : (uint64_t)((1 - tokens) *
							      1e9 / o->rate);

				if (t < wait_ns)
					wait_ns = t;
			}
		} else if (drain_end > now && drain_end - now < wait_ns) {
			wait_ns = drain_end - now;
		}
		if (wait_ns == UINT64_MAX)
			wait_ns = 1000000;
		if (wait_ns > 0 || o->rate > 0) {
			struct timespec ts = {
			    .tv_sec = (time_t)(wait_ns / 1000000000u),
			    .tv_nsec = (long)(wait_ns % 1000000000u),
			};

			for (i = 0; i < o->sockets; i++)
				pfd[i].revents = 0;
			ppoll(pfd, o->sockets, &ts, NULL);
		}
		if (o->rate > 0)
			for (i = 0; i < o->sockets; i++)
				if (pfd[i].revents)
					recv_all(&socks[i], o->batch, &qs,
						 sending, st);
	}
	if (run_s == 0)
		run_s = (mono_ns() - start) / 1e9;
	report(o, st, run_s, cpu_s() - cpu0, &qs);
	rc = st->recv > 0 ? 0 : 1;
	for (i = 0; i < o->sockets; i++)
		lsock_deinit(&socks[i]);
	free(socks);
	free(pfd);
	free(st);
	free(qs.q);
	free(qs.blob);
	return rc;
}

/* --- reflector ----------------------------------------------------------- */

/*
 * A bare UDP echo that sets QR: the ceiling of this machine for one core
 * of request/response over loopback, with no DNS work at all.
 */
static int run_reflector(const struct opts *o)
{
	char host[256];
	const char *port;
	char *colon;
	struct addrinfo *ai;
	struct mmsghdr msg[LG_MAX_BATCH];
	struct iovec iov[LG_MAX_BATCH];
	struct sockaddr_storage peer[LG_MAX_BATCH];
	uint8_t *buf;
	uint64_t start, end, first = 0, last = 0, pkts = 0, calls = 0;
	double cpu0, run_s, cpu, busy_s;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	int fd, one = 1, r, k;
	unsigned i, batch = o->batch;

	if (snprintf(host, sizeof(host), "%s", o->reflector) >=
	    (int)sizeof(host))
		die("--reflector: address too long");
	colon = strrchr(host, ':');
	if (!colon)
		die("--reflector wants ADDR:PORT");
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[' && colon > host && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	ai = resolve(host, port, AI_PASSIVE);
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_bufs(fd, 4 << 20);
	/* a timeout so that --duration and signals are noticed when idle */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("bind %s: %s", o->reflector, strerror(errno));
	freeaddrinfo(ai);
	buf = malloc((size_t)batch * LG_RX_BYTES);
	if (!buf)
		die("out of memory");
	if (!o->quiet)
		fprintf(stderr, "loadgen: reflecting on %s for %u s\n",
			o->reflector, o->duration_s);
	cpu0 = cpu_s();
	start = mono_ns();
	end = start + (uint64_t)o->duration_s * 1000000000u;
	while (!lg_stop && mono_ns() < end) {
		for (i = 0; i < batch; i++) {
			iov[i].iov_base = buf + (size_t)i * LG_RX_BYTES;
			iov[i].iov_len = LG_RX_BYTES;
			memset(&msg[i].msg_hdr, 0, sizeof(msg[i].msg_hdr));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &peer[i];
			msg[i].msg_hdr.msg_namelen = sizeof(peer[i]);
		}
		/* block for the first datagram, then take what is queued */
		r = recvmmsg(fd, msg, batch, MSG_WAITFORONE, NULL);
		if (r <= 0)
			continue;
		last = mono_ns();
		if (!first)
			first = last;
		calls++;
		for (k = 0; k < r; k++) {
			if (msg[k].msg_len >= 3)
				((uint8_t *)iov[k].iov_base)[2] |= 0x80;
			iov[k].iov_len = msg[k].msg_len;
		}
		for (k = 0; k < r;) {
			int s = sendmmsg(fd, msg + k, (unsigned)(r - k), 0);

			if (s <= 0) {
				if (s < 0 && errno == EINTR)
					continue;
				break; /* dropped, as a busy server would */
			}
			k += s;
		}
		pkts += (uint64_t)r;
	}
	run_s = (mono_ns() - start) / 1e9;
	cpu = cpu_s() - cpu0;
	/* rates over the busy part: from the first to the last datagram */
	busy_s = (last - first) / 1e9;
	printf("reflector_qps=%.0f packets=%llu batches=%llu "
	       "cpu_s=%.3f busy_s=%.3f duration_s=%.3f\n",
	       busy_s > 0 ? pkts / busy_s : 0, (unsigned long long)pkts,
	       (unsigned long long)calls, cpu, busy_s, run_s);
	close(fd);
	free(buf);
	return 0;
}

/* --- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: loadgen -d FILE --duration S [-s ADDR] [-p PORT] "
	    "[options]\n"
	    "       loadgen --reflector ADDR:PORT --duration S\n"
	    "\n"
	    "  -s, --server ADDR     target address (default 127.0.0.1)\n"
	    "  -p, --port PORT       target port (default 53)\n"
	    "  -d, --data FILE       queries, \"name type\" per line (dnsperf "
	    "format)\n"
	    "  -l, --duration S      run time, 1..%d s (required)\n"
	    "  -c, --sockets N       UDP sockets, each connected (default 4)\n"
	    "  -q, --window N        outstanding queries per socket at max "
	    "rate\n"
	    "                        (default 512)\n"
	    "  -Q, --rate QPS        offer a fixed rate instead (token "
	    "bucket)\n"
	    "  -t, --timeout-ms MS   a query without reply by then is lost\n"
	    "                        (default 1000)\n"
	    "  -n, --count N         stop after N queries (default: no limit)\n"
	    "  -e, --edns[=SIZE]     add an OPT record (default size 1232)\n"
	    "  -b, --batch N         datagrams per sendmmsg/recvmmsg (default "
	    "32)\n"
	    "      --reflector A:P   echo datagrams with QR set, nothing else\n"
	    "      --quiet           only the machine-readable line\n"
	    "  -h, --help\n",
	    LG_MAX_DURATION_S);
}

static unsigned long parse_num(const char *opt, const char *s, unsigned long lo,
			       unsigned long hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		die("%s: expected an integer in %lu..%lu, got '%s'", opt, lo,
		    hi, s);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"port", required_argument, NULL, 'p'},
	    {"data", required_argument, NULL, 'd'},
	    {"duration", required_argument, NULL, 'l'},
	    {"sockets", required_argument, NULL, 'c'},
	    {"window", required_argument, NULL, 'q'},
	    {"rate", required_argument, NULL, 'Q'},
	    {"timeout-ms", required_argument, NULL, 't'},
	    {"count", required_argument, NULL, 'n'},
	    {"edns", optional_argument, NULL, 'e'},
	    {"batch", required_argument, NULL, 'b'},
	    {"reflector", required_argument, NULL, 'R'},
	    {"quiet", no_argument, NULL, 'z'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {
	    .server = "127.0.0.1",
	    .port = "53",
	    .sockets = 4,
	    .window = 512,
	    .batch = 32,
	    .timeout_ms = 1000,
	};
	struct sigaction sa = {0};
	int c;

	while ((c = getopt_long(argc, argv, "s:p:d:l:c:q:Q:t:n:e::b:h",
				longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.server = optarg;
			break;
		case 'p':
			parse_num("--port", optarg, 1, 65535);
			o.port = optarg;
			break;
		case 'd':
			o.data = optarg;
			break;
		case 'l':
			o.duration_s = (unsigned)parse_num(
			    "--duration", optarg, 1, LG_MAX_DURATION_S);
			break;
		case 'c':
			o.sockets = (unsigned)parse_num("--sockets", optarg, 1,
							LG_MAX_SOCKETS);
			break;
		case 'q':
			o.window = (unsigned)parse_num("--window", optarg, 1,
						       LG_IDS - 1);
			break;
		case 'Q':
			o.rate =
			    (double)parse_num("--rate", optarg, 1, 100000000);
			break;
		case 't':
			o.timeout_ms = (unsigned)parse_num("--timeout-ms",
							   optarg, 1, 60000);
			break;
		case 'n':
			o.count = parse_num("--count", optarg, 1, ULONG_MAX);
			break;
		case 'e':
			o.edns_size = optarg ? (int)parse_num("--edns", optarg,
							      512, 65535)
					     : 1232;
			break;
		case 'b':
			o.batch = (unsigned)parse_num("--batch", optarg, 1,
						      LG_MAX_BATCH);
			break;
		case 'R':
			o.reflector = optarg;
			break;
		case 'z':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o.duration_s == 0)
		die("--duration is required (1..%d s): every run is bounded",
		    LG_MAX_DURATION_S);
	/* no SA_RESTART: a signal must end a blocking receive */
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (o.reflector)
		return run_reflector(&o);
	if (!o.data)
		die("-d FILE is required");
	return run_load(&o);
}
