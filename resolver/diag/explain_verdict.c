/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * The explain engine's verdict in plain words, in the order an operator
 * troubleshoots: DNS (which candidate answers, from where, at what ndots
 * cost), then Service selection and its endpoints, then the upstream.
 */
#include "resolver/diag/explain.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dns/wire.h"
#include "resolver/diag/service_json.h"

#define SENTENCE   2048
#define PODS_NAMED 4 /* pods named in a sentence; the rest are counted */

/* A sentence being written; text past the end is cut, never overrun. */
struct sb {
	char s[SENTENCE];
	size_t n;
};

static __attribute__((format(printf, 2, 3))) void sb_add(struct sb *b,
							 const char *fmt, ...)
{
	va_list ap;
	int w;

	if (b->n >= sizeof(b->s) - 1)
		return;
	va_start(ap, fmt);
	w = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		b->n += (size_t)w < sizeof(b->s) - b->n
			    ? (size_t)w
			    : sizeof(b->s) - 1 - b->n;
}

/* "1st", "2nd", "3rd", "4th", ... into buf. */
static const char *ordinal(size_t n, char *buf, size_t cap)
{
	const char *suf = "th";

	if (n % 100 < 11 || n % 100 > 13) {
		if (n % 10 == 1)
			suf = "st";
		else if (n % 10 == 2)
			suf = "nd";
		else if (n % 10 == 3)
			suf = "rd";
	}
	snprintf(buf, cap, "%zu%s", n, suf);
	return buf;
}

/* End a sentence: a period, unless it ends in a name's dot already. */
static void sb_end(struct sb *b)
{
	if (b->n == 0 || b->s[b->n - 1] != '.')
		sb_add(b, ".");
}

/* "10.0.0.1, 10.0.0.2" or "CNAME x." or "no records". */
static void answer_text(struct sb *b, const struct nd_diag_reply *r)
{
	if (r->cname[0] != '\0')
		sb_add(b, "CNAME %s%s", r->cname, r->n_addrs ? " -> " : "");
	for (size_t i = 0; i < r->n_addrs && i < ND_DIAG_REPLY_ADDRS; i++)
		sb_add(b, "%s%s", i ? ", " : "", r->addrs[i]);
	if (r->n_addrs > ND_DIAG_REPLY_ADDRS)
		sb_add(b, " and %zu more", r->n_addrs - ND_DIAG_REPLY_ADDRS);
	if (r->cname[0] == '\0' && r->n_addrs == 0)
		sb_add(b, "no records");
}

static void srtt_text(struct sb *b, const struct nd_explain *e)
{
	if (e->upstream_srtt_ms > 0)
		sb_add(b, "srtt %.1f ms", e->upstream_srtt_ms);
	else
		sb_add(b, "no RTT measured yet");
}

/* "upstream U" or "one of the upstreams U1, U2". */
static void upstreams_text(struct sb *b, const struct nd_explain *e)
{
	if (e->n_upstreams <= 1)
		sb_add(b, "%s", e->upstream[0] ? e->upstream : "(none)");
	else
		sb_add(b, "one of %s", e->upstreams);
}

/* The pods behind endpoints with ready == want, named up to PODS_NAMED. */
static void pods_text(struct sb *b, const struct nd_kube_svc_desc *d, bool want)
{
	size_t named = 0, more = 0;
	char ip[64];

	for (size_t i = 0; i < d->n_eps; i++) {
		const struct nd_kube_endpoint *ep = d->eps[i].ep;

		if (ep->is_ready != want)
			continue;
		if (named == PODS_NAMED) {
			more++;
			continue;
		}
		sb_add(b, "%s%s", named ? ", " : "",
		       ep->pod[0]
			   ? ep->pod
			   : (ep->n_addrs ? nd_diag_ip_text(&ep->addrs[0], ip,
							     sizeof(ip))
					  : "?"));
		if (ep->node[0] != '\0')
			sb_add(b, " on %s", ep->node);
		if (ep->is_terminating)
			sb_add(b, " (terminating)");
		named++;
	}
	if (more > 0)
		sb_add(b, " and %zu more", more);
}

/* "10.96.0.10:80, 10.96.0.10:443": where clients connect. */
static void targets_text(struct sb *b, const struct nd_kube_service *svc)
{
	char ip[64];

	if (svc->n_ips == 0) {
		sb_add(b, "the Service");
		return;
	}
	nd_diag_ip_text(&svc->ips[0], ip, sizeof(ip));
	if (svc->n_ports == 0)
		sb_add(b, "%s", ip);
	for (size_t i = 0; i < svc->n_ports && i < 3; i++)
		sb_add(b, "%s%s%s%s:%u/%s", i ? ", " : "",
		       svc->ips[0].family == AF_INET6 ? "[" : "", ip,
		       svc->ips[0].family == AF_INET6 ? "]" : "",
		       svc->ports[i].port,
		       nd_diag_proto(svc->ports[i].protocol));
}

/* --- Service selection and endpoints -------------------------------------- */

/* The Service step when the name is a Service's; returns "fail" or "ok". */
static const char *service_text(struct sb *b, const struct nd_explain *e)
{
	const struct nd_kube_svc_desc *d = &e->svc.v[0];
	const struct nd_kube_service *svc = d->svc;
	size_t not_ready = d->n_eps - d->n_ready;

	if (svc->type == ND_SVC_EXTERNAL_NAME) {
		sb_add(b,
		       "%s/%s is an ExternalName Service: a CNAME to %s, "
		       "which nodedns follows and adds to the answer (stub "
		       "resolvers do not follow CNAMEs); it has no endpoints "
		       "of its own.",
		       svc->ns, svc->name, svc->external_name);
		return "ok";
	}
	if (d->n_eps == 0) {
		sb_add(b,
		       "%s/%s has no endpoints: its selector matches no pod, "
		       "or no EndpointSlice has arrived; connections to ",
		       svc->ns, svc->name);
		targets_text(b, svc);
		sb_add(b,
		       " will fail. Compare the Service's selector with the "
		       "pods' labels (kubectl get endpointslices -n %s -l "
		       "kubernetes.io/service-name=%s).",
		       svc->ns, svc->name);
		return "fail";
	}
	if (d->n_ready == 0) {
		sb_add(b,
		       "%s/%s has %zu endpoint%s, none ready: the pods exist "
		       "but fail readiness; ",
		       svc->ns, svc->name, d->n_eps, d->n_eps == 1 ? "" : "s");
		if (svc->type == ND_SVC_HEADLESS) {
			sb_add(b, "a headless Service's name answers "
				  "NXDOMAIN until one is ready (Kubernetes DNS "
				  "specification 2.4.1).");
		} else {
			sb_add(b, "connections to ");
			targets_text(b, svc);
			sb_add(b, " will fail.");
		}
		sb_add(b, " Check the readiness probe of pods ");
		pods_text(b, d, false);
		sb_add(b, " (kubectl describe pod -n %s).", svc->ns);
		return "fail";
	}
	if (svc->type == ND_SVC_HEADLESS) {
		sb_add(b,
		       "%s/%s is headless: the answer is its %zu ready pod "
		       "address%s, no virtual IP (pods ",
		       svc->ns, svc->name, d->n_ready,
		       d->n_ready == 1 ? "" : "es");
	} else {
		sb_add(b,
		       "%s/%s selects %zu of %zu endpoint%s ready; "
		       "connections to ",
		       svc->ns, svc->name, d->n_ready, d->n_eps,
		       d->n_eps == 1 ? "" : "s");
		targets_text(b, svc);
		sb_add(b, " are balanced over pods ");
	}
	pods_text(b, d, true);
	sb_add(b, "%s.", svc->type == ND_SVC_HEADLESS ? ")" : "");
	if (not_ready > 0) {
		sb_add(b, " Not ready (left out): ");
		pods_text(b, d, false);
		sb_add(b, ".");
	}
	return "ok";
}

/*
 * "<host>.<svc>.<ns>.svc.<zone>" got no answer: a headless Service
 * publishes an endpoint's hostname only while it is ready. Returns false
 * when the Service has no such hostname either way (then the Service as
 * a whole is described).
 */
static bool host_text(struct sb *b, const struct nd_explain *e)
{
	const struct nd_kube_svc_desc *d = &e->svc.v[0];

	for (size_t i = 0; i < d->n_eps; i++) {
		const struct nd_kube_endpoint *ep = d->eps[i].ep;

		if (strcmp(ep->hostname, e->svc_host) != 0)
			continue;
		if (ep->is_ready) {
			sb_add(b,
			       "%s/%s's endpoint %s is ready but has no "
			       "IPv4 address (an A query has nothing to "
			       "answer; ask AAAA).",
			       d->svc->ns, d->svc->name, e->svc_host);
			return true;
		}
		sb_add(b,
		       "%s/%s has an endpoint named %s (pod %s%s%s) that is "
		       "not ready%s: a pod's own name is published only "
		       "while it is ready. Check the readiness probe of pod "
		       "%s (kubectl describe pod -n %s %s).",
		       d->svc->ns, d->svc->name, e->svc_host,
		       ep->pod[0] ? ep->pod : "?", ep->node[0] ? " on " : "",
		       ep->node, ep->is_terminating ? " and terminating" : "",
		       ep->pod[0] ? ep->pod : e->svc_host, d->svc->ns,
		       ep->pod[0] ? ep->pod : e->svc_host);
		return true;
	}
	sb_add(b, "%s/%s has no endpoint named %s; ", d->svc->ns, d->svc->name,
	       e->svc_host);
	return false;
}

/* The Service the name means does not exist: say where it does. */
static void missing_text(struct sb *b, const struct nd_explain *e)
{
	if (!e->has_kube) {
		sb_add(b, "no Kubernetes source is configured here, so no "
			  "cluster name is served.");
		return;
	}
	sb_add(b, "no Service named %s in namespace %s", e->svc_name,
	       e->svc_ns);
	if (e->same_name.n > 0) {
		sb_add(b, " (namespaces with a Service of that name: ");
		for (size_t i = 0; i < e->same_name.n && i < 8; i++)
			sb_add(b, "%s%s", i ? ", " : "",
			       e->same_name.v[i].svc->ns);
		if (e->same_name.n > 8)
			sb_add(b, " and %zu more", e->same_name.n - 8);
		sb_add(b, ")");
	} else {
		sb_add(b, " (no namespace has a Service of that name)");
	}
	if (!e->is_ns_known)
		sb_add(b, "; namespace %s has no Services at all", e->svc_ns);
	sb_add(b, ".");
}

/* --- DNS ------------------------------------------------------------------ */

static size_t tried_before(const struct nd_explain *e, size_t end)
{
	size_t n = 0;

	for (size_t i = 0; i < end; i++)
		n += e->cand[i].is_tried;
	return n;
}

/* What the search list costs before candidate k answers or goes out. */
static void cost_text(struct sb *b, const struct nd_explain *e, size_t k,
		      const char *verb)
{
	size_t before = tried_before(e, k);
	const struct nd_explain_cand *c = &e->cand[k];
	size_t len = strlen(e->name);
	bool is_as_is = strncasecmp(c->name, e->name, len) == 0 &&
			(c->name[len] == '\0' ||
			 (c->name[len] == '.' && c->name[len + 1] == '\0'));

	if (before == 0)
		return;
	sb_add(b,
	       " %zu quer%s %s (twice that with the AAAA queries stub "
	       "resolvers send alongside); use '%s'",
	       before, before == 1 ? "y" : "ies", verb, c->name);
	/* With ndots at most its dot count, the name goes out as is first. */
	if (is_as_is && e->dots > 0)
		sb_add(b, " or ndots:%u in the pod's dnsConfig", e->dots);
	sb_end(b);
}

static void not_synced_text(struct sb *b, const struct nd_explain *e)
{
	if (e->has_kube && !e->is_synced)
		sb_add(b, " The cluster zone has not had its first full list "
			  "from the API yet: cluster names get SERVFAIL until "
			  "then.");
}

/* How the candidates that got no answer ended, for the no-answer case. */
static const char *negatives_text(const struct nd_explain *e)
{
	bool all_nx = true;

	for (size_t i = 0; i < e->n_cand; i++)
		if (e->cand[i].is_tried &&
		    e->cand[i].source != ND_EXPLAIN_FORWARD &&
		    e->cand[i].reply.rcode != ND_RCODE_NXDOMAIN)
			all_nx = false;
	return all_nx ? "NXDOMAIN"
		      : "no address (NXDOMAIN, NODATA or SERVFAIL)";
}

static int first_forward(const struct nd_explain *e)
{
	for (size_t i = 0; i < e->n_cand; i++)
		if (e->cand[i].is_tried &&
		    e->cand[i].source == ND_EXPLAIN_FORWARD)
			return (int)i;
	return -1;
}

/* Where one CNAME target of the chain comes from. */
static void step_text(struct sb *b, const struct nd_explain *e,
		      const struct nd_explain_cand *t);

/* Every step of the chain nodedns completes, and how it ends. */
static void target_text(struct sb *b, const struct nd_explain *e)
{
	for (size_t i = 0; i < e->n_chain; i++) {
		if (i > 0)
			sb_add(b, " ");
		step_text(b, e, &e->chain[i]);
	}
	if (e->is_chain_loop)
		sb_add(b, " The chain loops back to an earlier name: nodedns "
			  "answers SERVFAIL.");
	else if (e->n_chain == sizeof(e->chain) / sizeof(e->chain[0]) &&
		 e->chain[e->n_chain - 1].reply.cname[0] != '\0')
		sb_add(b, " The chain is longer than 11 steps: nodedns "
			  "answers SERVFAIL.");
}

static void step_text(struct sb *b, const struct nd_explain *e,
		      const struct nd_explain_cand *t)
{
	if (t->source == ND_EXPLAIN_CACHE) {
		sb_add(b, "the CNAME target %s is cached: ", t->name);
		answer_text(b, &t->reply);
		sb_add(b, ", TTL %lld s left.", (long long)t->reply.ttl_s);
	} else if (t->source == ND_EXPLAIN_FORWARD) {
		sb_add(b,
		       "the CNAME target %s is not cached: the first query "
		       "goes to upstream %s (",
		       t->name, e->upstream[0] ? e->upstream : "(none)");
		srtt_text(b, e);
		sb_add(b, ").");
	} else {
		sb_add(b,
		       "the CNAME target %s is in the cluster zone: ", t->name);
		answer_text(b, &t->reply);
		sb_end(b);
	}
}

/* The search list's expected misses before candidate end, said once. */
static void search_miss_text(struct sb *b, const struct nd_explain *e,
			     size_t end)
{
	size_t n = 0;

	for (size_t i = 0; i < end && i < e->n_cand; i++)
		n += e->cand[i].is_tried && e->cand[i].is_search_miss;
	if (n > 0)
		sb_add(b,
		       " The %zu search-list expansion%s before it got "
		       "NXDOMAIN from the cluster zone, as a search list "
		       "expects.",
		       n, n == 1 ? "" : "s");
}

/* The last candidate the stub sends when nothing answers. */
static int last_tried(const struct nd_explain *e)
{
	int last = -1;

	for (size_t i = 0; i < e->n_cand; i++)
		if (e->cand[i].is_tried)
			last = (int)i;
	return last;
}

/* --- the whole ------------------------------------------------------------ */

struct verdict {
	const char *status;
	struct sb dns, svc, up;
};

static void answered(const struct nd_explain *e, struct verdict *v)
{
	size_t k = (size_t)e->answered;
	const struct nd_explain_cand *c = &e->cand[k];
	char ord[16];

	v->status = "ok";
	sb_add(&v->dns, "answered by the %s candidate %s from the %s: ",
	       ordinal(k + 1, ord, sizeof(ord)), c->name,
	       c->source == ND_EXPLAIN_CLUSTER	  ? "cluster zone"
	       : c->source == ND_EXPLAIN_RESOLVED ? "upstream (asked now)"
						  : "cache");
	answer_text(&v->dns, &c->reply);
	if (c->source == ND_EXPLAIN_CACHE)
		sb_add(&v->dns, " (TTL %lld s left)",
		       (long long)c->reply.ttl_s);
	sb_end(&v->dns);
	if (tried_before(e, k) > 0 && e->n_unknown > 0)
		sb_add(&v->dns, " That is if the earlier candidates sent "
				"upstream get no answer there.");
	search_miss_text(&v->dns, e, k);
	cost_text(&v->dns, e, k, "before the answer");
	if (c->source == ND_EXPLAIN_CLUSTER && e->svc.n == 1)
		v->status = service_text(&v->svc, e);
	if (c->source == ND_EXPLAIN_CACHE) {
		sb_add(&v->up, "forwarded earlier to ");
		upstreams_text(&v->up, e);
		sb_add(&v->up,
		       " and cached with TTL %lld s left; once it "
		       "expires the next query goes to %s (",
		       (long long)c->reply.ttl_s,
		       e->upstream[0] ? e->upstream : "(none)");
		srtt_text(&v->up, e);
		sb_add(&v->up, ").");
	}
	if (c->source == ND_EXPLAIN_RESOLVED) {
		sb_add(&v->up, "asked just now through ");
		upstreams_text(&v->up, e);
		sb_add(&v->up, "; the answer is cached for %lld s.",
		       (long long)c->reply.ttl_s);
	}
	if (e->has_target)
		target_text(&v->up, e);
}

static void unanswered(const struct nd_explain *e, struct verdict *v)
{
	int f = first_forward(e);
	char ord[16];

	if (f < 0 || (e->is_svc_intent && e->has_kube)) {
		/* Nothing answers; or the name means a Service, which no
		 * upstream knows: what is left to ask there is a formality. */
		int last = last_tried(e);

		v->status = "fail";
		if (f < 0 && last >= 0 && e->n_resolved > 0) {
			/* Asked for real: the outcome of the name the
			 * stub ends with is what counts. */
			char rc[16];
			const struct nd_explain_cand *l = &e->cand[last];

			sb_add(&v->dns,
			       "the stub ends with %s, and the upstream "
			       "answers it %s",
			       l->name,
			       l->source == ND_EXPLAIN_NO_ANSWER
				   ? "nothing in time (SERVFAIL)"
				   : nd_diag_rcode_name(l->reply.rcode, rc,
							sizeof(rc)));
			if (l->source == ND_EXPLAIN_RESOLVED &&
			    l->reply.rcode == ND_RCODE_NOERROR)
				sb_add(&v->dns, " with no address (NODATA)");
			sb_add(&v->dns, ".");
			search_miss_text(&v->dns, e, (size_t)last);
		} else {
			sb_add(&v->dns, "%s for every candidate",
			       negatives_text(e));
			if (f >= 0)
				sb_add(&v->dns,
				       " in the cluster zone; the rest (from "
				       "%s on) go upstream, which does not "
				       "know cluster names",
				       e->cand[f].name);
			sb_add(&v->dns, ".");
		}
		not_synced_text(&v->dns, e);
		if (e->svc.n == 1) {
			if (e->svc_host[0] == '\0' || !host_text(&v->svc, e))
				(void)service_text(&v->svc, e);
		} else if (e->svc_name[0] != '\0' && e->is_svc_intent) {
			missing_text(&v->svc, e);
		} else if (e->svc_name[0] != '\0' && e->has_kube &&
			   e->same_name.n > 0) {
			/* "api.example.com" read as Service "com" is no
			 * Service name; a typo of one may be. */
			sb_add(&v->svc, "if a Service was meant: ");
			missing_text(&v->svc, e);
		}
		return;
	}
	v->status = "not_cached";
	sb_add(&v->dns,
	       "not cached: the %s candidate %s would be forwarded upstream, "
	       "and explain sends no query (ask with resolve to see the "
	       "real outcome).",
	       ordinal((size_t)f + 1, ord, sizeof(ord)), e->cand[f].name);
	search_miss_text(&v->dns, e, (size_t)f);
	not_synced_text(&v->dns, e);
	cost_text(&v->dns, e, (size_t)f, "before it goes upstream");
	sb_add(&v->up, "not cached: the first query will go to upstream %s (",
	       e->upstream[0] ? e->upstream : "(none)");
	srtt_text(&v->up, e);
	sb_add(&v->up, ").");
	/* Maybe a typo in a namespace ("web.shopp"): say where the name
	 * does exist, if anywhere. */
	if (e->svc_name[0] != '\0' && e->has_kube && e->same_name.n > 0) {
		sb_add(&v->svc, "if a Service was meant: ");
		missing_text(&v->svc, e);
	}
	if (!e->has_kube && e->is_svc_intent)
		sb_add(&v->svc, "no Kubernetes source is configured here, so "
				"cluster names are forwarded upstream like any "
				"other.");
}

static bool add(cJSON *o, const char *key, const struct sb *b)
{
	return b->n == 0 || cJSON_AddStringToObject(o, key, b->s) != NULL;
}

int nd_explain_verdict(const struct nd_explain *e, cJSON *doc)
{
	struct verdict v;
	struct sb text = {.n = 0};
	cJSON *o;

	if (e == NULL || doc == NULL)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	if (!e->is_client_allowed) {
		v.status = "fail";
		sb_add(&v.dns,
		       "REFUSED: client %s is not in the allow list "
		       "(--allow); every query it sends is refused.",
		       e->client);
	} else if (e->answered >= 0) {
		answered(e, &v);
	} else {
		unanswered(e, &v);
	}
	sb_add(&text, "DNS: %s", v.dns.s);
	if (v.svc.n > 0)
		sb_add(&text, " Service selection: %s", v.svc.s);
	if (v.up.n > 0)
		sb_add(&text, " Upstream: %s", v.up.s);
	o = cJSON_AddObjectToObject(doc, "verdict");
	if (o == NULL || !cJSON_AddStringToObject(o, "status", v.status) ||
	    !add(o, "dns", &v.dns) || !add(o, "service", &v.svc) ||
	    !add(o, "upstream", &v.up) ||
	    !cJSON_AddStringToObject(o, "text", text.s))
		return -ENOMEM;
	return 0;
}
