/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/tcp_clients.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/rand.h"

#define BUCKETS 1024

struct client {
	uint8_t key[ND_TCP_CLIENT_KEY_LEN];
	unsigned n;		/* its open connections */
	struct client *next;	/* bucket chain */
};

struct nd_tcp_clients {
	pthread_mutex_t lock;
	unsigned max;		/* per client */
	uint64_t seed;
	struct client *bucket[BUCKETS];
};

void nd_tcp_client_key(const struct sockaddr *sa,
		       uint8_t key[ND_TCP_CLIENT_KEY_LEN])
{
	memset(key, 0, ND_TCP_CLIENT_KEY_LEN);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		key[0] = 4;
		memcpy(key + 1, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		/* An IPv4-mapped address is the IPv4 client it maps. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			key[0] = 4;
			memcpy(key + 1, a + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a, 8); /* the /64 */
		}
	}
}

struct nd_tcp_clients *nd_tcp_clients_new(unsigned max_per_client)
{
	struct nd_tcp_clients *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->max = max_per_client ? max_per_client : 1;
	t->seed = ((uint64_t)nd_rand_u32() << 32) | nd_rand_u32();
	return t;
}

void nd_tcp_clients_free(struct nd_tcp_clients *t)
{
	if (t == NULL)
		return;
	for (size_t b = 0; b < BUCKETS; b++) {
		struct client *c = t->bucket[b], *next;

		for (; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The link that points at key's entry (or the end of its chain). */
static struct client **slot_of(struct nd_tcp_clients *t, const uint8_t *key)
{
	struct client **pp =
		&t->bucket[nd_hash(key, ND_TCP_CLIENT_KEY_LEN, t->seed) %
			   BUCKETS];

	while (*pp != NULL &&
	       memcmp((*pp)->key, key, ND_TCP_CLIENT_KEY_LEN) != 0)
		pp = &(*pp)->next;
	return pp;
}

bool nd_tcp_clients_take(struct nd_tcp_clients *t, const struct sockaddr *sa)
{
	uint8_t key[ND_TCP_CLIENT_KEY_LEN];
	struct client **pp;
	bool ok = true;

	if (t == NULL)
		return true;
	nd_tcp_client_key(sa, key);
	pthread_mutex_lock(&t->lock);
	pp = slot_of(t, key);
	if (*pp == NULL) {
		*pp = calloc(1, sizeof(**pp));
		if (*pp == NULL)
			ok = false;
		else
			memcpy((*pp)->key, key, sizeof(key));
	}
	if (ok && (*pp)->n >= t->max)
		ok = false;
	else if (ok)
		(*pp)->n++;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

void nd_tcp_clients_put(struct nd_tcp_clients *t, const struct sockaddr *sa)
{
	uint8_t key[ND_TCP_CLIENT_KEY_LEN];
	struct client **pp, *c;

	if (t == NULL)
		return;
	nd_tcp_client_key(sa, key);
	pthread_mutex_lock(&t->lock);
	pp = slot_of(t, key);
	c = *pp;
	if (c != NULL && c->n > 0 && --c->n == 0) {
		*pp = c->next;
		free(c);
	}
	pthread_mutex_unlock(&t->lock);
}
