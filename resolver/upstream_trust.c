/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/upstream_trust.h"

#include <netinet/in.h>
#include <string.h>

#include "util/siphash.h"

static void lock(struct nd_upstream_trust *t)
{
	while (__atomic_test_and_set(&t->lock, __ATOMIC_ACQUIRE))
		; /* held for a few dozen bytes' copy */
}

static void unlock(struct nd_upstream_trust *t)
{
	__atomic_clear(&t->lock, __ATOMIC_RELEASE);
}

bool nd_trust_is_no_0x20(const struct nd_upstream_trust *t, uint64_t now_us)
{
	uint64_t until;

	if (t == NULL)
		return false;
	until = __atomic_load_n(&t->no_0x20_until_us, __ATOMIC_RELAXED);
	return until != 0 && now_us < until;
}

bool nd_trust_use_0x20(struct nd_upstream_trust *t, uint64_t now_us)
{
	uint64_t until;

	if (t == NULL)
		return true;
	until = __atomic_load_n(&t->no_0x20_until_us, __ATOMIC_RELAXED);
	if (until == 0)
		return true;
	if (now_us < until)
		return false;
	/* The period is over: try mixing again (the upstream may have been
	 * replaced); the evidence has to build up anew. */
	if (__atomic_compare_exchange_n(&t->no_0x20_until_us, &until, 0,
					false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		__atomic_store_n(&t->case_evidence, 0, __ATOMIC_RELAXED);
	return true;
}

void nd_trust_case_ok(struct nd_upstream_trust *t)
{
	if (t != NULL &&
	    __atomic_load_n(&t->case_evidence, __ATOMIC_RELAXED) != 0)
		__atomic_store_n(&t->case_evidence, 0, __ATOMIC_RELAXED);
}

bool nd_trust_case_failed(struct nd_upstream_trust *t, uint64_t now_us)
{
	uint32_t n;
	uint64_t zero = 0;

	if (t == NULL)
		return false;
	n = __atomic_add_fetch(&t->case_evidence, 1, __ATOMIC_RELAXED);
	if (n < ND_0X20_EVIDENCE)
		return false;
	/* Only the worker whose report sets the mark says so. */
	return __atomic_compare_exchange_n(&t->no_0x20_until_us, &zero,
					   now_us + ND_0X20_OFF_US, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* The client cookie of addr in epoch: RFC 7873 4.1 wants it to depend on
 * the server's address and a secret only we know. */
static void client_cookie(const uint8_t *secret, const struct sockaddr *addr,
			  uint64_t epoch, uint8_t *out)
{
	uint8_t buf[2 + 16 + 2 + 8];
	size_t n = 0;
	uint64_t h;

	memset(buf, 0, sizeof(buf));
	buf[n++] = (uint8_t)(addr->sa_family >> 8);
	buf[n++] = (uint8_t)addr->sa_family;
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)addr;

		memcpy(buf + n, &s6->sin6_addr, 16);
		n += 16;
		memcpy(buf + n, &s6->sin6_port, 2);
		n += 2;
	} else {
		const struct sockaddr_in *s4 = (const void *)addr;

		memcpy(buf + n, &s4->sin_addr, 4);
		n += 4;
		memcpy(buf + n, &s4->sin_port, 2);
		n += 2;
	}
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(epoch >> (8 * i));
	h = nd_siphash24(secret, buf, n);
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(h >> (8 * i));
}

size_t nd_trust_cookie(struct nd_upstream_trust *t,
		       const uint8_t secret[ND_COOKIE_SECRET_LEN],
		       const struct sockaddr *addr, uint64_t now_us,
		       uint8_t *out)
{
	uint64_t epoch = now_us / ND_COOKIE_ROTATE_US + 1;
	size_t n;

	if (t == NULL || secret == NULL || addr == NULL || out == NULL ||
	    (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
		return 0;
	lock(t);
	if (t->cookie_epoch != epoch) {
		/* A server cookie answers one client cookie (RFC 7873 4.2):
		 * a new client cookie starts without one. */
		client_cookie(secret, addr, epoch, t->client);
		t->cookie_epoch = epoch;
		t->server_len = 0;
		t->cookie_evidence = 0;
	}
	memcpy(out, t->client, ND_COOKIE_CLIENT_LEN);
	memcpy(out + ND_COOKIE_CLIENT_LEN, t->server, t->server_len);
	n = ND_COOKIE_CLIENT_LEN + t->server_len;
	unlock(t);
	return n;
}

enum nd_cookie_verdict nd_trust_cookie_reply(struct nd_upstream_trust *t,
					     const uint8_t *sent, int found,
					     const struct nd_cookie *c)
{
	enum nd_cookie_verdict v = ND_COOKIE_OK;
	bool current;

	if (t == NULL || sent == NULL)
		return ND_COOKIE_OK;
	if (found < 0)
		return ND_COOKIE_WRONG;
	if (found > 0 && (c == NULL || memcmp(c->client, sent,
					      ND_COOKIE_CLIENT_LEN) != 0))
		return ND_COOKIE_WRONG;
	lock(t);
	current = t->cookie_epoch != 0 &&
		  memcmp(t->client, sent, ND_COOKIE_CLIENT_LEN) == 0;
	if (found == 0) {
		/*
		 * An upstream that gave us a server cookie for this client
		 * cookie answers with one (RFC 7873 5.3); without it the
		 * reply is likelier forged than real. One that never did
		 * does not support cookies and keeps working.
		 */
		if (current && t->server_len > 0)
			v = ND_COOKIE_MISSING;
	} else if (current && c->server_len > 0) {
		memcpy(t->server, c->server, c->server_len);
		t->server_len = (uint8_t)c->server_len;
		t->cookie_evidence = 0;
	}
	unlock(t);
	return v;
}

bool nd_trust_cookie_failed(struct nd_upstream_trust *t)
{
	bool dropped = false;

	if (t == NULL)
		return false;
	lock(t);
	if (t->server_len > 0 && ++t->cookie_evidence >= ND_COOKIE_EVIDENCE) {
		t->server_len = 0;
		t->cookie_evidence = 0;
		dropped = true;
	}
	unlock(t);
	return dropped;
}

bool nd_trust_has_server_cookie(struct nd_upstream_trust *t)
{
	bool has;

	if (t == NULL)
		return false;
	lock(t);
	has = t->server_len > 0;
	unlock(t);
	return has;
}
