/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_snapshot.c - a --kube-snapshot file's bytes (a
 * `kubectl get ... -o json` List) through nd_kube_snapshot_apply() into a
 * store, as server/kube_snapshot.c loads it. Each input replaces the
 * whole zone (every kind is re-listed), so the store holds what this
 * input says. Then every Service it holds (the first 16) is asked for by
 * name (A, AAAA, SRV) with a 512-byte limit: each answer must be a whole
 * DNS message within the limit with the client's ID and question.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dns/query.h"
#include "dns/wire.h"
#include "kube/describe.h"
#include "kube/snapshot.h"
#include "kube/store.h"
#include "tests/fuzz/fuzz.h"
#include "util/errors.h"
#include "util/log.h"
#include "util/rcu.h"

#define ASKED_MAX 16

static void ask(struct nd_kube_store *s, const char *name, uint16_t type)
{
	static uint8_t out[ND_DNS_MAX_MSG];
	uint8_t pkt[ND_DNS_HEADER_LEN + ND_DNS_MAX_NAME + 4];
	struct nd_query q;
	size_t len = 0;
	int n, rcode, r;

	memset(pkt, 0, ND_DNS_HEADER_LEN);
	nd_put16(pkt, 0xbeef);
	nd_put16(pkt + 2, ND_FLAG_RD);
	nd_put16(pkt + 4, 1);
	n = nd_dns_name_from_text(name, pkt + ND_DNS_HEADER_LEN,
				  ND_DNS_MAX_NAME);
	if (n <= 0)
		return;
	nd_put16(pkt + ND_DNS_HEADER_LEN + n, type);
	nd_put16(pkt + ND_DNS_HEADER_LEN + n + 2, ND_CLASS_IN);
	if (nd_query_parse(pkt, ND_DNS_HEADER_LEN + (size_t)n + 4, &q,
			   &rcode) != ND_QUERY_OK)
		return;
	r = nd_kube_store_answer(s, &q, ND_DNS_MIN_UDP, out, sizeof(out),
				 &len);
	CHECK(r == ND_KUBE_ANSWERED);
	CHECK(len >= ND_DNS_HEADER_LEN && len <= ND_DNS_MIN_UDP);
	CHECK(fuzz_msg_is_whole(out, len));
	CHECK(nd_get16(out) == 0xbeef);
	CHECK(nd_get16(out + 2) & ND_FLAG_QR);
	CHECK(nd_get16(out + 4) == 1);
	CHECK(memcmp(out + ND_DNS_HEADER_LEN, q.qname, q.qname_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nd_kube_store *store;
	/* The limits as the daemon's defaults set them. */
	struct nd_kube_store_options o = {
		.zone = "cluster.local",
		.ttl_s = 5,
		.pods = ND_PODS_INSECURE,
		.max_service_records = 100000,
		.max_bytes = (uint64_t)1 << 30,
	};
	struct nd_kube_store_stats st;
	struct nd_kube_desc_list l;
	char err[256];
	int rc;

	if (store == NULL) {
		nd_log_set_level(ND_LOG_ERROR);
		nd_rcu_register();
		store = nd_kube_store_new(&o);
		CHECK(store != NULL);
	}
	memset(err, 'x', sizeof(err));
	rc = nd_kube_snapshot_apply(store, (const char *)data, size,
				    "snapshot", err, sizeof(err));
	CHECK(rc >= 0 || rc == ND_EPARSE || rc == -ENOMEM);
	if (rc < 0) {
		CHECK(strncmp(err, "snapshot: ", 10) == 0);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		return 0;
	}
	CHECK(nd_kube_describe_services(store, NULL, NULL, &l) == 0);
	nd_kube_store_get_stats(store, &st);
	CHECK(l.n <= st.services);
	for (size_t i = 0; i < l.n && i < ASKED_MAX; i++) {
		char name[600];

		snprintf(name, sizeof(name), "%s.%s.svc.cluster.local",
			 l.v[i].svc->name, l.v[i].svc->ns);
		ask(store, name, ND_TYPE_A);
		ask(store, name, ND_TYPE_AAAA);
		snprintf(name, sizeof(name), "_http._tcp.%s.%s.svc.cluster.local",
			 l.v[i].svc->name, l.v[i].svc->ns);
		ask(store, name, ND_TYPE_SRV);
	}
	nd_kube_desc_list_deinit(&l);
	return 0;
}
