/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* The explain engine: the walk and its verdict as one JSON document. */
#include "resolver/diag/explain.h"

#include "resolver/diag/service_json.h"

static const char *source_name(enum nd_explain_source s)
{
	switch (s) {
	case ND_EXPLAIN_CLUSTER:
		return "cluster";
	case ND_EXPLAIN_NOT_SYNCED:
		return "cluster (not synced)";
	case ND_EXPLAIN_CACHE:
		return "cache";
	case ND_EXPLAIN_FORWARD:
		return "upstream";
	case ND_EXPLAIN_TOO_LONG:
		return "none";
	case ND_EXPLAIN_RESOLVED:
		return "upstream (asked now)";
	case ND_EXPLAIN_NO_ANSWER:
		return "upstream (no answer)";
	}
	return "?";
}

static const char *const ns_from_name[] = {
    [ND_EXPLAIN_NS_CLIENT] = "client",
    [ND_EXPLAIN_NS_PARAMETER] = "parameter",
    [ND_EXPLAIN_NS_DEFAULT] = "default",
};

/* One candidate; index: 1-based position, 0 for the CNAME target. */
static cJSON *cand_json(const struct nd_explain *e,
			const struct nd_explain_cand *c, size_t index)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char rc[16];
	bool has_reply = c->source == ND_EXPLAIN_CLUSTER ||
			 c->source == ND_EXPLAIN_CACHE ||
			 c->source == ND_EXPLAIN_NOT_SYNCED ||
			 c->source == ND_EXPLAIN_RESOLVED ||
			 c->source == ND_EXPLAIN_NO_ANSWER;

	if (o == NULL ||
	    (index > 0 &&
	     !cJSON_AddNumberToObject(o, "index", (double)index)) ||
	    !cJSON_AddStringToObject(o, "name", c->name) ||
	    !cJSON_AddBoolToObject(o, "tried", c->is_tried))
		goto nomem;
	if (!c->is_tried) {
		if (!cJSON_AddStringToObject(o, "note",
					     c->source == ND_EXPLAIN_TOO_LONG
						 ? "longer than a DNS name: "
						   "never sent"
						 : "not sent: the stub "
						   "stops at the answer"))
			goto nomem;
		return o;
	}
	if (!cJSON_AddStringToObject(o, "source", source_name(c->source)) ||
	    !cJSON_AddBoolToObject(o, "search_miss", c->is_search_miss) ||
	    (c->is_search_miss &&
	     !cJSON_AddStringToObject(o, "note",
				      "search-list expansion: NXDOMAIN "
				      "expected, the stub tries the next")))
		goto nomem;
	if ((c->source == ND_EXPLAIN_FORWARD ||
	     c->source == ND_EXPLAIN_RESOLVED ||
	     c->source == ND_EXPLAIN_NO_ANSWER) &&
	    !cJSON_AddStringToObject(o, "upstream", e->upstream))
		goto nomem;
	if (!has_reply)
		return o;
	if (!cJSON_AddStringToObject(
		o, "rcode",
		nd_diag_rcode_name(c->reply.rcode, rc, sizeof(rc))) ||
	    (arr = cJSON_AddArrayToObject(o, "answers")) == NULL)
		goto nomem;
	for (size_t k = 0; k < c->reply.n_addrs && k < ND_DIAG_REPLY_ADDRS;
	     k++) {
		cJSON *s = cJSON_CreateString(c->reply.addrs[k]);

		if (s == NULL)
			goto nomem;
		cJSON_AddItemToArray(arr, s);
	}
	if ((c->reply.cname[0] != '\0' &&
	     !cJSON_AddStringToObject(o, "cname", c->reply.cname)) ||
	    (c->reply.ttl_s >= 0 &&
	     !cJSON_AddNumberToObject(o, "ttl", (double)c->reply.ttl_s)))
		goto nomem;
	return o;
nomem:
	cJSON_Delete(o);
	return NULL;
}

static cJSON *client_json(const struct nd_explain *e)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    (e->client ? !cJSON_AddStringToObject(o, "address", e->client)
		       : !cJSON_AddNullToObject(o, "address")) ||
	    !cJSON_AddStringToObject(o, "namespace", e->ns) ||
	    !cJSON_AddStringToObject(o, "namespace_from",
				     ns_from_name[e->ns_from]) ||
	    !cJSON_AddBoolToObject(o, "allowed", e->is_client_allowed))
		goto nomem;
	if (e->is_client_pod &&
	    (!cJSON_AddStringToObject(o, "pod", e->client_ep->pod) ||
	     !cJSON_AddStringToObject(o, "node", e->client_ep->node) ||
	     !cJSON_AddStringToObject(o, "service", e->client_service)))
		goto nomem;
	return o;
nomem:
	cJSON_Delete(o);
	return NULL;
}

cJSON *nd_explain_json(const struct nd_explain *e)
{
	cJSON *doc = cJSON_CreateObject(), *arr, *item;

	if (doc == NULL || !cJSON_AddStringToObject(doc, "name", e->name) ||
	    !cJSON_AddStringToObject(doc, "qtype", "A") ||
	    (item = client_json(e)) == NULL)
		goto nomem;
	if (!cJSON_AddItemToObject(doc, "client", item)) {
		cJSON_Delete(item);
		goto nomem;
	}
	if (!cJSON_AddStringToObject(doc, "zone", e->zone) ||
	    !cJSON_AddNumberToObject(doc, "ndots", e->ndots) ||
	    !cJSON_AddNumberToObject(doc, "dots", e->dots) ||
	    (arr = cJSON_AddArrayToObject(doc, "search")) == NULL)
		goto nomem;
	for (size_t i = 0; i < e->n_search; i++) {
		if ((item = cJSON_CreateString(e->search[i])) == NULL)
			goto nomem;
		cJSON_AddItemToArray(arr, item);
	}
	if ((arr = cJSON_AddArrayToObject(doc, "candidates")) == NULL)
		goto nomem;
	for (size_t i = 0; i < e->n_cand; i++) {
		if ((item = cand_json(e, &e->cand[i], i + 1)) == NULL)
			goto nomem;
		cJSON_AddItemToArray(arr, item);
	}
	if ((e->answered >= 0
		 ? !cJSON_AddNumberToObject(doc, "answered_by", e->answered + 1)
		 : !cJSON_AddNullToObject(doc, "answered_by")))
		goto nomem;
	if (!cJSON_AddNumberToObject(doc, "asked_upstream_now",
				     (double)e->n_resolved))
		goto nomem;
	if (e->svc.n == 1) {
		if ((item = nd_diag_service_json(&e->svc.v[0])) == NULL)
			goto nomem;
		if (!cJSON_AddItemToObject(doc, "service", item)) {
			cJSON_Delete(item);
			goto nomem;
		}
	}
	if (e->svc_name[0] != '\0') {
		if ((arr = cJSON_AddArrayToObject(doc, "same_name_in")) == NULL)
			goto nomem;
		for (size_t i = 0; i < e->same_name.n; i++) {
			item = cJSON_CreateString(e->same_name.v[i].svc->ns);
			if (item == NULL)
				goto nomem;
			cJSON_AddItemToArray(arr, item);
		}
	}
	if (e->has_target) {
		if ((item = cand_json(e, &e->target, 0)) == NULL)
			goto nomem;
		if (!cJSON_AddItemToObject(doc, "cname_target", item)) {
			cJSON_Delete(item);
			goto nomem;
		}
		/* Every step, the first again: the whole chain in order. */
		if ((arr = cJSON_AddArrayToObject(doc, "chain")) == NULL)
			goto nomem;
		for (size_t i = 0; i < e->n_chain; i++) {
			if ((item = cand_json(e, &e->chain[i], 0)) == NULL)
				goto nomem;
			cJSON_AddItemToArray(arr, item);
		}
		if (e->is_chain_loop &&
		    !cJSON_AddBoolToObject(doc, "chain_loop", true))
			goto nomem;
	}
	if (e->upstream[0] != '\0' &&
	    ((item = cJSON_AddObjectToObject(doc, "upstream")) == NULL ||
	     !cJSON_AddStringToObject(item, "address", e->upstream) ||
	     !cJSON_AddNumberToObject(item, "srtt_ms", e->upstream_srtt_ms)))
		goto nomem;
	if (nd_explain_verdict(e, doc) < 0)
		goto nomem;
	return doc;
nomem:
	cJSON_Delete(doc);
	return NULL;
}
