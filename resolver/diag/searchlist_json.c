/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_json.c - the /debug/searchlist document: the top names and clients over the window. */
#include "resolver/diag/searchlist_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/addr.h"

/* --- /debug/searchlist -------------------------------------------------- */

/* A name's or a client's totals, copied out under its lock. */
struct sl_row {
	uint64_t v[SL_W_COUNT];
	int ans_idx;
	unsigned last_saved, last_wasted;
	uint8_t base_len, ns_len, family;
	uint8_t ns[SL_LABEL_MAX];
	uint8_t base[SL_BASE_MAX];
	uint8_t addr[16];
};

static int row_cmp(const void *a, const void *b)
{
	const struct sl_row *x = a, *y = b;

	if (x->v[SL_W_WASTED] != y->v[SL_W_WASTED])
		return x->v[SL_W_WASTED] > y->v[SL_W_WASTED] ? -1 : 1;
	if (x->v[SL_W_CHAINS] != y->v[SL_W_CHAINS])
		return x->v[SL_W_CHAINS] > y->v[SL_W_CHAINS] ? -1 : 1;
	/* Then a stable order: by name (names) or address (clients). */
	if (x->base_len != y->base_len)
		return x->base_len < y->base_len ? -1 : 1;
	if (x->base_len != 0)
		return memcmp(x->base, y->base, x->base_len);
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static size_t collect_names(struct nd_searchlist *t, uint64_t now_us,
			    struct sl_row *rows)
{
	struct sl_names *n = &t->names;
	size_t k = 0;

	pthread_mutex_lock(&n->lock);
	for (uint32_t i = 0; i < n->cap; i++) {
		const struct sl_name *e = &n->e[i];
		struct sl_row *r = &rows[k];

		if (!e->in_use)
			continue;
		sl_win_read(&e->win, t->half_us, now_us, r->v);
		if (r->v[SL_W_CHAINS] == 0)
			continue;
		r->ans_idx = e->ans_idx;
		r->last_saved = e->last_saved;
		r->last_wasted = e->last_wasted;
		r->base_len = e->base_len;
		r->ns_len = e->ns_len;
		memcpy(r->base, e->base, e->base_len);
		memcpy(r->ns, e->ns, e->ns_len);
		k++;
	}
	pthread_mutex_unlock(&n->lock);
	return k;
}

static size_t collect_clients(struct nd_searchlist *t, uint64_t now_us,
			      struct sl_row *rows, size_t cap)
{
	size_t k = 0;

	for (unsigned si = 0; si < t->n_shards; si++) {
		struct sl_shard *s = &t->shards[si];

		pthread_mutex_lock(&s->lock);
		for (uint32_t i = 0; i < s->client_cap && k < cap; i++) {
			const struct sl_client *c = &s->clients[i];
			struct sl_row *r = &rows[k];

			if (!c->in_use)
				continue;
			sl_win_read(&c->win, t->half_us, now_us, r->v);
			if (r->v[SL_W_CHAINS] == 0)
				continue;
			r->family = c->family;
			memcpy(r->addr, c->addr, sizeof(r->addr));
			r->ns_len = c->ns_len;
			memcpy(r->ns, c->ns, c->ns_len);
			r->base_len = 0;
			k++;
		}
		pthread_mutex_unlock(&s->lock);
	}
	return k;
}

static cJSON *name_json(const struct nd_searchlist *t, const struct sl_row *r)
{
	char name[ND_SL_NAME_TEXT], ns[ND_SL_NS_TEXT], by[ND_SL_NAME_TEXT];
	char advice[ND_SL_ADVICE_TEXT];
	cJSON *o = cJSON_CreateObject();
	uint64_t chains = r->v[SL_W_CHAINS];

	if (o == NULL)
		return NULL;
	sl_base_text(r->base, r->base_len, name, sizeof(name));
	sl_label_text(r->ns, r->ns_len, ns, sizeof(ns));
	sl_suffix_text(t, r->ans_idx, r->ns, r->ns_len, by, sizeof(by));
	sl_advice(t, r->base, r->base_len, r->ns, r->ns_len, r->ans_idx,
		  r->last_wasted, r->last_saved, advice, sizeof(advice));
	if (!cJSON_AddStringToObject(o, "name", name) ||
	    !cJSON_AddStringToObject(o, "namespace", ns) ||
	    !cJSON_AddNumberToObject(o, "chains", (double)chains) ||
	    !cJSON_AddNumberToObject(o, "wasted", (double)r->v[SL_W_WASTED]) ||
	    !cJSON_AddNumberToObject(o, "queries",
				     (double)r->v[SL_W_QUERIES]) ||
	    !cJSON_AddNumberToObject(o, "avg_added_ms",
				     (double)r->v[SL_W_ADDED_US] /
					     (double)chains / 1000.0) ||
	    !cJSON_AddStringToObject(o, "answered_by", by) ||
	    !cJSON_AddStringToObject(o, "advice", advice)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *client_json(const struct sl_row *r)
{
	char addr[ND_ADDR_STRLEN], ns[ND_SL_NS_TEXT];
	struct sockaddr_storage ss = { 0 };
	uint64_t par = r->v[SL_W_PARALLEL], seq = r->v[SL_W_SEQUENTIAL];
	const char *resolver = "unknown", *pattern = "unknown";
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	if (r->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, r->addr, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, r->addr, 16);
	}
	if (nd_addr_format_ip((struct sockaddr *)&ss, addr, sizeof(addr)) != 0)
		snprintf(addr, sizeof(addr), "?");
	sl_label_text(r->ns, r->ns_len, ns, sizeof(ns));
	/* The majority of the client's chains that showed both types. */
	if (par > 0 && par >= seq) {
		resolver = "glibc";
		pattern = "parallel";
	} else if (seq > 0) {
		resolver = "musl";
		pattern = "sequential";
	}
	if (!cJSON_AddStringToObject(o, "client", addr) ||
	    !cJSON_AddStringToObject(o, "namespace", ns) ||
	    !cJSON_AddNumberToObject(o, "chains", (double)r->v[SL_W_CHAINS]) ||
	    !cJSON_AddNumberToObject(o, "wasted", (double)r->v[SL_W_WASTED]) ||
	    !cJSON_AddNumberToObject(o, "queries",
				     (double)r->v[SL_W_QUERIES]) ||
	    !cJSON_AddStringToObject(o, "resolver", resolver) ||
	    !cJSON_AddStringToObject(o, "pattern", pattern)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Sort rows, then add the first top_n (0 = all) to a new array at key. */
static int add_rows(cJSON *root, const char *key, const struct nd_searchlist *t,
		    struct sl_row *rows, size_t n, size_t top_n, bool is_name)
{
	cJSON *arr = cJSON_AddArrayToObject(root, key);

	if (arr == NULL)
		return -ENOMEM;
	qsort(rows, n, sizeof(*rows), row_cmp);
	if (top_n != 0 && n > top_n)
		n = top_n;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = is_name ? name_json(t, &rows[i]) :
				     client_json(&rows[i]);

		if (o == NULL)
			return -ENOMEM;
		cJSON_AddItemToArray(arr, o);
	}
	return 0;
}

int nd_searchlist_render_json(struct nd_searchlist *t, uint64_t now_us,
			      size_t top_n, char **json)
{
	struct sl_row *rows = NULL;
	cJSON *root = NULL;
	size_t cap = 0, n;
	int rc = -ENOMEM;

	if (t == NULL || json == NULL)
		return -EINVAL;
	*json = NULL;
	for (unsigned i = 0; i < t->n_shards; i++)
		cap += t->shards[i].client_cap;
	if (cap < t->names.cap)
		cap = t->names.cap;
	/* Copied out so no lock is held while the text is built. */
	rows = malloc(cap * sizeof(*rows));
	root = cJSON_CreateObject();
	if (rows == NULL || root == NULL)
		goto out;
	if (!cJSON_AddNumberToObject(root, "window_s", t->window_s))
		goto out;
	n = collect_names(t, now_us, rows);
	if (add_rows(root, "top_names", t, rows, n, top_n, true) != 0)
		goto out;
	n = collect_clients(t, now_us, rows, cap);
	if (add_rows(root, "top_clients", t, rows, n, top_n, false) != 0)
		goto out;
	*json = cJSON_PrintUnformatted(root);
	if (*json != NULL)
		rc = 0;
out:
	cJSON_Delete(root);
	free(rows);
	return rc;
}
