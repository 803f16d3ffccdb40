/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/decode.c - Kubernetes API JSON into the objects DNS uses. */
#include "kube/decode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "dns/name_check.h"
#include "util/errors.h"
#include "util/log.h"

/*
 * Policy: a field DNS answers are built from (names, addresses, port
 * numbers and protocols) that is present with the wrong JSON type, or does
 * not fit its buffer, fails the whole object with ND_EPARSE, so the store
 * keeps the last good version instead of serving a guess. Optional data
 * that is merely odd (a hostname that is no DNS label, an unparsable
 * trigger time, an endpoint address of the wrong family) is dropped.
 * The API server validates all of this, so the strict paths only fire on
 * a broken proxy, a hand-written snapshot or a truncated line.
 */

#define SHOW_MAX 48 /* bytes of a bad value quoted in an error, with NUL */

#define SERVICE_NAME_LABEL "kubernetes.io/service-name"
#define TRIGGER_TIME_ANNOTATION \
	"endpoints.kubernetes.io/last-change-trigger-time"

struct errbuf {
	char *buf; /* caller's buffer, may be NULL */
	size_t len;
};

static void set_err(struct errbuf *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;

	if (e->buf == NULL || e->len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(e->buf, e->len, fmt, ap);
	va_end(ap);
}

/*
 * What every public decoder does first: clear the caller's error text,
 * zero out (size bytes), and refuse a missing input with "what". Returns 0
 * or -EINVAL.
 */
static int decode_begin(const void *in, const char *what, void *out,
			size_t size, struct errbuf *e)
{
	if (e->buf != NULL && e->len > 0)
		e->buf[0] = '\0';
	if (out == NULL)
		return -EINVAL;
	memset(out, 0, size);
	if (in == NULL) {
		set_err(e, "%s", what);
		return -EINVAL;
	}
	return 0;
}

/*
 * A bad value goes into an error message that ends up in a log line:
 * bound its length and keep control bytes and broken UTF-8 out.
 */
static const char *show(const char *s, char buf[SHOW_MAX])
{
	size_t i, n = strlen(s);
	size_t keep = n < SHOW_MAX - 1 ? n : SHOW_MAX - 4;

	for (i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = (c < 0x20 || c >= 0x7f || c == '\'') ? '?' : (char)c;
	}
	if (keep < n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/*
 * An RFC 1123 label in lower case, as the API validates namespaces, port
 * names, hostnames and the Service a slice names: what the API would
 * refuse is never served (DNS is case-insensitive, but an upper-case
 * name is a sign of an object that did not come from the API).
 */
static bool is_dns_label(const char *s, size_t n)
{
	return nd_dns_k8s_label_check(s, n, 0) == ND_NAME_OK;
}

/* How decode_meta checks metadata.name, as the API does per kind. */
enum name_rule {
	NAME_SUBDOMAIN = 0, /* EndpointSlice: RFC 1123 subdomain */
	NAME_LABEL = 1,	    /* Namespace: RFC 1123 label */
	NAME_SERVICE = 2,   /* Service: RFC 1035 label */
};

/* A DNS name without the trailing dot; '_' is let through because
 * ExternalName targets may name SRV-style owners. */
static bool is_dns_name(const char *s)
{
	return nd_dns_name_check(s, strlen(s), ND_NAME_UNDERSCORE) ==
	       ND_NAME_OK;
}

/*
 * The member key of parent, with JSON null read as absent (the API writes
 * null for unset optional fields). NULL when absent.
 */
static const cJSON *member(const cJSON *parent, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);

	return cJSON_IsNull(v) ? NULL : v;
}

/*
 * The optional string member key of parent, borrowed from the tree.
 * where: path of parent for messages ("metadata", "spec.ports[1]").
 * Returns 0 (*out NULL when absent) or ND_EPARSE for a non-string.
 */
static int get_str_ptr(const cJSON *parent, const char *where, const char *key,
		       const char **out, struct errbuf *e)
{
	const cJSON *v = member(parent, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		set_err(e, "%s%s%s: not a string", where, where[0] ? "." : "",
			key);
		return ND_EPARSE;
	}
	*out = v->valuestring;
	return 0;
}

/*
 * Copy the optional string member key of parent into dst.
 * Returns 0 (dst "" when absent) or ND_EPARSE for a non-string or a
 * string that does not fit dst.
 */
static int get_string(const cJSON *parent, const char *where, const char *key,
		      char *dst, size_t dstlen, struct errbuf *e)
{
	const char *v;
	size_t n;
	int rc;

	dst[0] = '\0';
	rc = get_str_ptr(parent, where, key, &v, e);
	if (rc != 0 || v == NULL)
		return rc;
	n = strlen(v);
	if (n >= dstlen) {
		set_err(e, "%s%s%s: too long (%zu > %zu bytes)", where,
			where[0] ? "." : "", key, n, dstlen - 1);
		return ND_EPARSE;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

/* get_string() for a member that must be present and not empty. */
static int get_required(const cJSON *parent, const char *where,
			const char *key, char *dst, size_t dstlen,
			struct errbuf *e)
{
	int rc = get_string(parent, where, key, dst, dstlen, e);

	if (rc == 0 && dst[0] == '\0') {
		set_err(e, "%s%s%s missing", where, where[0] ? "." : "", key);
		return ND_EPARSE;
	}
	return rc;
}

/* An optional object member: 0 with *out NULL when absent, else ND_EPARSE
 * for a non-object. */
static int get_object(const cJSON *parent, const char *where, const char *key,
		      const cJSON **out, struct errbuf *e)
{
	const cJSON *v = member(parent, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!cJSON_IsObject(v)) {
		set_err(e, "%s%s%s: not an object", where, where[0] ? "." : "",
			key);
		return ND_EPARSE;
	}
	*out = v;
	return 0;
}

/* Objects in a watch stream carry their kind; list items from the API do
 * not. A present kind must match, so a mixed-up stream fails loudly. */
static int check_kind(const cJSON *obj, const char *want, struct errbuf *e)
{
	const cJSON *v = member(obj, "kind");
	char b[SHOW_MAX];

	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0) {
		set_err(e, "kind: '%s' is not %s",
			cJSON_IsString(v) ? show(v->valuestring, b) : "?",
			want);
		return ND_EPARSE;
	}
	return 0;
}

/*
 * metadata.name, metadata.namespace (ns NULL: cluster-scoped) and
 * metadata.resourceVersion. Names that become labels of DNS names
 * (Service, Namespace) must be DNS labels: a dot in one would alias a
 * different owner name.
 */
static int decode_meta(const cJSON *obj, char *name, size_t name_len,
		       enum name_rule rule, char *ns, char *rv,
		       struct errbuf *e)
{
	const cJSON *meta;
	enum nd_name_problem p;
	char b[SHOW_MAX];
	int rc;

	rc = get_object(obj, "", "metadata", &meta, e);
	if (rc != 0)
		return rc;
	if (meta == NULL) {
		set_err(e, "metadata missing");
		return ND_EPARSE;
	}
	rc = get_required(meta, "metadata", "name", name, name_len, e);
	if (rc != 0)
		return rc;
	if (rule == NAME_SUBDOMAIN)
		p = nd_dns_k8s_subdomain_check(name, strlen(name));
	else
		p = nd_dns_k8s_label_check(name, strlen(name),
					   rule == NAME_SERVICE ?
						   ND_K8S_RFC1035 : 0);
	if (p != ND_NAME_OK) {
		set_err(e, "metadata.name: not a DNS %s '%s': %s",
			rule == NAME_SUBDOMAIN ? "subdomain" : "label",
			show(name, b), nd_name_problem_text(p));
		return ND_EPARSE;
	}
	if (ns != NULL) {
		rc = get_required(meta, "metadata", "namespace", ns,
				  ND_KUBE_NAME_MAX, e);
		if (rc != 0)
			return rc;
		p = nd_dns_k8s_label_check(ns, strlen(ns), 0);
		if (p != ND_NAME_OK) {
			set_err(e, "metadata.namespace: not a DNS label '%s': %s",
				show(ns, b), nd_name_problem_text(p));
			return ND_EPARSE;
		}
	}
	if (rv != NULL)
		return get_string(meta, "metadata", "resourceVersion", rv,
				  ND_KUBE_RV_MAX, e);
	return 0;
}

/* family 0 accepts either. Returns 0 or ND_EBADADDR. */
static int parse_ip(const char *s, int family, struct nd_kube_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if ((family == 0 || family == AF_INET) &&
	    inet_pton(AF_INET, s, ip->addr) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if ((family == 0 || family == AF_INET6) &&
	    inet_pton(AF_INET6, s, ip->addr) == 1) {
		ip->family = AF_INET6;
		return 0;
	}
	memset(ip, 0, sizeof(*ip));
	return ND_EBADADDR;
}

/*
 * A port number: 1 when v is an integer in 1..65535, 0 when it is some
 * other number (the caller skips the port), ND_EPARSE for another type.
 */
static int get_port_number(const cJSON *v, uint16_t *port)
{
	double d;

	if (!cJSON_IsNumber(v))
		return ND_EPARSE;
	d = v->valuedouble;
	/* Range first: converting an out-of-range double is undefined. */
	if (!(d >= 1 && d <= 65535) || d != (double)(uint16_t)d)
		return 0;
	*port = (uint16_t)d;
	return 1;
}

/*
 * An object's text goes into one block it owns (strs), sized before the
 * decode so that the pointers into it stay put: a store holds thousands
 * of objects, and a slice up to 1000 endpoints, so one allocation for
 * each string would cost more than the strings themselves.
 */
struct strpool {
	char *buf;  /* the object's strs */
	size_t len; /* bytes used */
	size_t cap; /* bytes allocated */
};

/* Bytes of member key of j when it is a string, with its NUL; else 0. */
static size_t str_size(const cJSON *j, const char *key)
{
	const cJSON *v = j != NULL ? member(j, key) : NULL;

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return 0;
	return strlen(v->valuestring) + 1;
}

/* The most the names of the ports in arr can take from a pool. */
static size_t ports_text_bound(const cJSON *arr)
{
	const cJSON *p;
	size_t n = 0;

	if (!cJSON_IsArray(arr))
		return 0;
	cJSON_ArrayForEach(p, arr)
		n += str_size(p, "name");
	return n;
}

/* Make the pool for cap bytes of text; *strs owns it. 0 or -ENOMEM. */
static int strpool_init(struct strpool *p, size_t cap, char **strs,
			struct errbuf *e)
{
	p->buf = NULL;
	p->len = 0;
	p->cap = cap;
	if (cap == 0)
		return 0;
	p->buf = malloc(cap);
	if (p->buf == NULL) {
		set_err(e, "out of memory");
		return -ENOMEM;
	}
	*strs = p->buf;
	return 0;
}

/* A copy of v in the pool; "" (a literal, no room taken) when v is empty;
 * NULL when v does not fit, which the bound the pool was sized with rules
 * out (a bug here, not in the input). */
static const char *strpool_add(struct strpool *p, const char *v)
{
	size_t n = strlen(v) + 1;
	char *at;

	if (n == 1)
		return "";
	if (n > p->cap - p->len)
		return NULL;
	at = p->buf + p->len;
	memcpy(at, v, n);
	p->len += n;
	return at;
}

/* strpool_add() into *out, with the error set when it fails. */
static int pool_text(struct strpool *p, const char *v, const char *what,
		     const char **out, struct errbuf *e)
{
	*out = strpool_add(p, v);
	if (*out != NULL)
		return 0;
	*out = "";
	set_err(e, "%s: no room for the text", what);
	return -ENOMEM;
}

/*
 * Decode a ports array (Service spec.ports or EndpointSlice ports) into
 * *out / *n, which the caller's deinit frees even on failure, their names
 * into p (sized with ports_text_bound()). Ports without a usable number
 * are skipped: an EndpointSlice port with a null number means "all
 * ports" and yields no SRV record.
 * owner: "kind ns/name" for log lines.
 */
static int decode_ports(const cJSON *arr, const char *where, const char *owner,
			struct strpool *pool, struct nd_kube_port **out,
			size_t *n, struct errbuf *e)
{
	const cJSON *p;
	char pw[48], b[SHOW_MAX], name[ND_KUBE_NAME_MAX];
	size_t i = 0;
	int count;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr)) {
		set_err(e, "%s: not an array", where);
		return ND_EPARSE;
	}
	count = cJSON_GetArraySize(arr);
	if (count <= 0)
		return 0;
	*out = calloc((size_t)count, sizeof(**out));
	if (*out == NULL) {
		set_err(e, "%s: out of memory", where);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(p, arr) {
		struct nd_kube_port *port = &(*out)[*n];
		const char *proto;
		const cJSON *num;
		int rc;

		snprintf(pw, sizeof(pw), "%s[%zu]", where, i++);
		if (!cJSON_IsObject(p)) {
			set_err(e, "%s: not an object", pw);
			return ND_EPARSE;
		}
		memset(port, 0, sizeof(*port));
		port->name = "";
		rc = get_string(p, pw, "name", name, sizeof(name), e);
		if (rc != 0)
			return rc;
		/* An SRV owner is _name._proto: a name that cannot be a
		 * label is served as an unnamed port. */
		if (name[0] != '\0' && !is_dns_label(name, strlen(name))) {
			nd_debug("kube", "%s: %s.name: not a DNS label '%s', "
				 "treated as unnamed", owner, pw,
				 show(name, b));
			name[0] = '\0';
		}
		rc = get_str_ptr(p, pw, "protocol", &proto, e);
		if (rc != 0)
			return rc;
		/* The API's default protocol is TCP. */
		if (proto == NULL || strcmp(proto, "TCP") == 0) {
			port->protocol = IPPROTO_TCP;
		} else if (strcmp(proto, "UDP") == 0) {
			port->protocol = IPPROTO_UDP;
		} else if (strcmp(proto, "SCTP") == 0) {
			port->protocol = IPPROTO_SCTP;
		} else {
			set_err(e, "%s.protocol: unknown '%s'", pw,
				show(proto, b));
			return ND_EPARSE;
		}
		num = member(p, "port");
		if (num == NULL)
			continue;
		rc = get_port_number(num, &port->port);
		if (rc < 0) {
			set_err(e, "%s.port: not a number", pw);
			return rc;
		}
		if (rc == 0) {
			nd_debug("kube", "%s: %s.port: %g is no port number, "
				 "skipped", owner, pw, num->valuedouble);
			continue;
		}
		/* Only a port that is kept takes room in the pool. */
		rc = pool_text(pool, name, pw, &port->name, e);
		if (rc != 0)
			return rc;
		(*n)++;
	}
	if (*n == 0) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/*
 * One member of spec.clusterIPs, or spec.clusterIP.
 * Returns 1 for "None", 0 for an address appended to s->ips, ND_EPARSE.
 */
static int add_cluster_ip(struct nd_kube_service *s, const char *where,
			  const char *text, struct errbuf *e)
{
	char b[SHOW_MAX];

	if (strcmp(text, "None") == 0)
		return 1;
	if (parse_ip(text, 0, &s->ips[s->n_ips]) != 0) {
		set_err(e, "%s: bad address '%s'", where, show(text, b));
		return ND_EPARSE;
	}
	s->n_ips++;
	return 0;
}

/*
 * spec.clusterIPs wins over spec.clusterIP: on a dual-stack Service the
 * legacy field holds only the primary family. "None" makes the Service
 * headless; "" (or nothing) leaves it without an address.
 */
static int decode_cluster_ips(const cJSON *spec, struct nd_kube_service *s,
			      struct errbuf *e)
{
	const cJSON *ips = member(spec, "clusterIPs");
	const char *text;
	int rc;

	if (ips != NULL && !cJSON_IsArray(ips)) {
		set_err(e, "spec.clusterIPs: not an array");
		return ND_EPARSE;
	}
	if (ips != NULL && cJSON_GetArraySize(ips) > 0) {
		const cJSON *v;
		int n = cJSON_GetArraySize(ips), i = 0;

		if (n > 2) {
			set_err(e, "spec.clusterIPs: %d addresses, at most 2",
				n);
			return ND_EPARSE;
		}
		cJSON_ArrayForEach(v, ips) {
			char where[32];

			snprintf(where, sizeof(where), "spec.clusterIPs[%d]",
				 i++);
			if (!cJSON_IsString(v)) {
				set_err(e, "%s: not a string", where);
				return ND_EPARSE;
			}
			rc = add_cluster_ip(s, where, v->valuestring, e);
			if (rc < 0)
				return rc;
			if (rc == 1 && n != 1) {
				set_err(e, "%s: 'None' next to an address",
					where);
				return ND_EPARSE;
			}
			if (rc == 1)
				s->type = ND_SVC_HEADLESS;
		}
		return 0;
	}
	rc = get_str_ptr(spec, "spec", "clusterIP", &text, e);
	if (rc != 0 || text == NULL || text[0] == '\0')
		return rc;
	rc = add_cluster_ip(s, "spec.clusterIP", text, e);
	if (rc == 1) {
		s->type = ND_SVC_HEADLESS;
		rc = 0;
	}
	return rc;
}

static int decode_external_name(const cJSON *spec, struct nd_kube_service *s,
				char out[ND_KUBE_FQDN_MAX], struct errbuf *e)
{
	/* One more byte than the field: a full-length absolute name fits
	 * once its trailing dot is gone. */
	char n[ND_KUBE_FQDN_MAX + 1], b[SHOW_MAX];
	size_t len;
	int rc;

	rc = get_required(spec, "spec", "externalName", n, sizeof(n), e);
	if (rc != 0)
		return rc;
	/* The store writes its CNAME target absolute itself. */
	len = strlen(n);
	if (n[len - 1] == '.')
		n[--len] = '\0';
	/* An IP literal is not a name, but users write one (the API server
	 * accepts it) and CoreDNS answers its address: so does the store. */
	uint8_t ip[16];
	bool is_ip = inet_pton(AF_INET, n, ip) == 1 ||
		     inet_pton(AF_INET6, n, ip) == 1;

	if (!is_ip && !is_dns_name(n)) {
		set_err(e, "spec.externalName: bad name '%s'", show(n, b));
		return ND_EPARSE;
	}
	memcpy(out, n, len + 1);
	s->type = ND_SVC_EXTERNAL_NAME;
	return 0;
}

static int decode_service(const cJSON *obj, struct nd_kube_service *s,
			  struct errbuf *e)
{
	const cJSON *spec, *ports;
	const char *type;
	char b[SHOW_MAX], owner[2 * ND_KUBE_NAME_MAX + 16];
	char name[ND_KUBE_NAME_MAX], ns[ND_KUBE_NAME_MAX], rv[ND_KUBE_RV_MAX];
	char ext[ND_KUBE_FQDN_MAX] = "";
	struct strpool pool;
	int rc;

	if (!cJSON_IsObject(obj)) {
		set_err(e, "not a JSON object");
		return ND_EPARSE;
	}
	rc = check_kind(obj, "Service", e);
	if (rc == 0)
		rc = decode_meta(obj, name, sizeof(name), NAME_SERVICE, ns, rv, e);
	if (rc == 0)
		rc = get_object(obj, "", "spec", &spec, e);
	if (rc != 0)
		return rc;
	if (spec == NULL) {
		set_err(e, "spec missing");
		return ND_EPARSE;
	}
	rc = get_str_ptr(spec, "spec", "type", &type, e);
	if (rc != 0)
		return rc;
	/* The API defaults an absent type to ClusterIP. */
	if (type == NULL)
		type = "ClusterIP";
	s->type = ND_SVC_CLUSTER_IP;
	if (strcmp(type, "ExternalName") == 0) {
		rc = decode_external_name(spec, s, ext, e);
	} else if (strcmp(type, "ClusterIP") == 0 ||
		   strcmp(type, "NodePort") == 0 ||
		   strcmp(type, "LoadBalancer") == 0) {
		rc = decode_cluster_ips(spec, s, e);
	} else {
		set_err(e, "spec.type: unknown '%s'", show(type, b));
		return ND_EPARSE;
	}
	if (rc != 0)
		return rc;

	ports = member(spec, "ports");
	rc = strpool_init(&pool,
			  strlen(name) + strlen(ns) + strlen(rv) +
				  strlen(ext) + 4 + ports_text_bound(ports),
			  &s->strs, e);
	if (rc == 0)
		rc = pool_text(&pool, name, "metadata.name", &s->name, e);
	if (rc == 0)
		rc = pool_text(&pool, ns, "metadata.namespace", &s->ns, e);
	if (rc == 0)
		rc = pool_text(&pool, rv, "metadata.resourceVersion", &s->rv,
			       e);
	if (rc == 0)
		rc = pool_text(&pool, ext, "spec.externalName",
			       &s->external_name, e);
	if (rc != 0)
		return rc;
	snprintf(owner, sizeof(owner), "service %s/%s", ns, name);
	return decode_ports(ports, "spec.ports", owner, &pool, &s->ports,
			    &s->n_ports, e);
}

int nd_kube_decode_service(const struct cJSON *obj, struct nd_kube_service *out,
			   char *err, size_t errlen)
{
	struct errbuf e = { err, errlen };
	int rc = decode_begin(obj, "no object", out, sizeof(*out), &e);

	if (rc == 0 && (rc = decode_service(obj, out, &e)) != 0)
		nd_kube_service_deinit(out);
	return rc;
}

/* The optional boolean condition key; def when absent or null. */
static int get_condition(const cJSON *conds, const char *where,
			 const char *key, bool def, bool *out,
			 struct errbuf *e)
{
	const cJSON *v = conds != NULL ? member(conds, key) : NULL;

	*out = def;
	if (v == NULL)
		return 0;
	if (!cJSON_IsBool(v)) {
		set_err(e, "%s.conditions.%s: not a boolean", where, key);
		return ND_EPARSE;
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

/* What the endpoints in arr can take: text bytes and addresses. */
static void eps_bound(const cJSON *arr, size_t *text, size_t *n_addrs)
{
	const cJSON *j, *a;

	*text = 0;
	*n_addrs = 0;
	cJSON_ArrayForEach(j, arr) {
		if (!cJSON_IsObject(j))
			continue;
		*text += str_size(j, "hostname") + str_size(j, "nodeName");
		*text += str_size(member(j, "targetRef"), "name");
		a = member(j, "addresses");
		if (cJSON_IsArray(a))
			*n_addrs += (size_t)cJSON_GetArraySize(a);
	}
}

/*
 * get_string() into the pool: *out is the copy, or "" when absent.
 * cap: the most the field may take, its NUL included.
 */
static int pool_string(const cJSON *parent, const char *where, const char *key,
		       size_t cap, struct strpool *p, const char **out,
		       struct errbuf *e)
{
	const char *v;
	int rc;

	*out = "";
	rc = get_str_ptr(parent, where, key, &v, e);
	if (rc != 0 || v == NULL)
		return rc;
	if (strlen(v) >= cap) {
		set_err(e, "%s%s%s: too long (%zu > %zu bytes)", where,
			where[0] ? "." : "", key, strlen(v), cap - 1);
		return ND_EPARSE;
	}
	return pool_text(p, v, key, out, e);
}

/*
 * One endpoints[] entry into ep: its addresses at ep->addrs (room for
 * all of them, from the slice's ips), its text into p.
 * Returns 0, 1 when the endpoint is to be skipped, or an error.
 */
static int decode_endpoint(const cJSON *j, int family, const char *where,
			   const char *owner, struct strpool *p,
			   struct nd_kube_endpoint *ep, struct errbuf *e)
{
	const cJSON *addrs, *a, *conds, *ref;
	const char *host, *kind;
	char aw[64], b[SHOW_MAX];
	int rc, count;
	size_t i = 0;

	if (!cJSON_IsObject(j)) {
		set_err(e, "%s: not an object", where);
		return ND_EPARSE;
	}
	addrs = member(j, "addresses");
	if (addrs != NULL && !cJSON_IsArray(addrs)) {
		set_err(e, "%s.addresses: not an array", where);
		return ND_EPARSE;
	}
	count = addrs != NULL ? cJSON_GetArraySize(addrs) : 0;
	if (count <= 0) {
		nd_debug("kube", "%s: %s: no addresses, skipped", owner, where);
		return 1;
	}
	cJSON_ArrayForEach(a, addrs) {
		snprintf(aw, sizeof(aw), "%s.addresses[%zu]", where, i++);
		if (!cJSON_IsString(a)) {
			set_err(e, "%s: not a string", aw);
			return ND_EPARSE;
		}
		/* Half an endpoint would answer with a subset of its
		 * addresses; leave the whole endpoint out instead. */
		if (parse_ip(a->valuestring, family, &ep->addrs[ep->n_addrs]) !=
		    0) {
			nd_debug("kube", "%s: %s: '%s' is no %s address, "
				 "endpoint skipped", owner, aw,
				 show(a->valuestring, b),
				 family == AF_INET ? "IPv4" : "IPv6");
			return 1;
		}
		ep->n_addrs++;
	}

	rc = get_object(j, where, "conditions", &conds, e);
	/* "An unknown state should be interpreted as ready" (the API). */
	if (rc == 0)
		rc = get_condition(conds, where, "ready", true, &ep->is_ready,
				   e);
	if (rc == 0)
		rc = get_condition(conds, where, "serving", ep->is_ready,
				   &ep->is_serving, e);
	if (rc == 0)
		rc = get_condition(conds, where, "terminating", false,
				   &ep->is_terminating, e);
	if (rc != 0)
		return rc;

	/* An over-long hostname is just one more bad label: dropped, like
	 * the API's own rule that such an endpoint gets no hostname record. */
	rc = get_str_ptr(j, where, "hostname", &host, e);
	if (rc != 0)
		return rc;
	if (host != NULL && is_dns_label(host, strlen(host))) {
		rc = pool_text(p, host, "hostname", &ep->hostname, e);
		if (rc != 0)
			return rc;
	} else if (host != NULL) {
		nd_debug("kube", "%s: %s.hostname: not a DNS label '%s', "
			 "dropped", owner, where, show(host, b));
	}
	rc = pool_string(j, where, "nodeName", ND_KUBE_FQDN_MAX, p, &ep->node,
			 e);
	if (rc != 0)
		return rc;
	rc = get_object(j, where, "targetRef", &ref, e);
	if (rc != 0 || ref == NULL)
		return rc;
	snprintf(aw, sizeof(aw), "%s.targetRef", where);
	rc = get_str_ptr(ref, aw, "kind", &kind, e);
	if (rc != 0)
		return rc;
	if (kind != NULL && strcmp(kind, "Pod") == 0)
		return pool_string(ref, aw, "name", ND_KUBE_FQDN_MAX, p,
				   &ep->pod, e);
	return 0;
}

/* The endpoints array arr into s: s->eps, their addresses in s->ips and
 * their text in p (sized with eps_bound()'s text; n_addrs, its count). */
static int decode_endpoints(const cJSON *arr, struct nd_kube_slice *s,
			    const char *owner, struct strpool *p,
			    size_t n_addrs, struct errbuf *e)
{
	const cJSON *j;
	char where[32];
	size_t i = 0, used = 0;
	int count;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr)) {
		set_err(e, "endpoints: not an array");
		return ND_EPARSE;
	}
	count = cJSON_GetArraySize(arr);
	if (count <= 0)
		return 0;
	s->eps = calloc((size_t)count, sizeof(*s->eps));
	if (n_addrs > 0)
		s->ips = calloc(n_addrs, sizeof(*s->ips));
	if (s->eps == NULL || (n_addrs > 0 && s->ips == NULL)) {
		set_err(e, "endpoints: out of memory");
		return -ENOMEM;
	}
	cJSON_ArrayForEach(j, arr) {
		/* No address anywhere: every endpoint is skipped before it
		 * writes one. */
		struct nd_kube_endpoint ep = {
			.addrs = s->ips != NULL ? s->ips + used : NULL,
			.hostname = "",
			.node = "",
			.pod = "",
		};
		int rc;

		snprintf(where, sizeof(where), "endpoints[%zu]", i++);
		rc = decode_endpoint(j, s->address_type, where, owner, p, &ep,
				     e);
		if (rc < 0)
			return rc;
		if (rc > 0)
			continue;
		/* A skipped endpoint's addresses are written over. */
		used += ep.n_addrs;
		s->eps[s->n_eps++] = ep;
	}
	if (s->n_eps == 0) {
		free(s->eps);
		s->eps = NULL;
		free(s->ips);
		s->ips = NULL;
	}
	return 0;
}

/* Labels and annotations: what ties the slice to its Service (into
 * service) and when the change that produced it happened. */
static int decode_slice_meta(const cJSON *obj, const char *ns,
			     const char *name, char service[ND_KUBE_NAME_MAX],
			     struct nd_kube_slice *s, struct errbuf *e)
{
	const cJSON *meta, *labels, *notes, *t;
	char b[SHOW_MAX];
	int rc;

	service[0] = '\0';
	meta = member(obj, "metadata");
	rc = get_object(meta, "metadata", "labels", &labels, e);
	if (rc == 0 && labels != NULL)
		rc = get_string(labels, "metadata.labels", SERVICE_NAME_LABEL,
				service, ND_KUBE_NAME_MAX, e);
	if (rc != 0)
		return rc;
	/* No Service can carry a name that is no label: same as none. */
	if (!is_dns_label(service, strlen(service)) && service[0] != '\0') {
		nd_debug("kube", "endpointslice %s/%s: service-name '%s' is "
			 "no DNS label, ignored", ns, name, show(service, b));
		service[0] = '\0';
	}
	rc = get_object(meta, "metadata", "annotations", &notes, e);
	if (rc != 0 || notes == NULL)
		return rc;
	/* The trigger time only feeds a latency metric: never fail on it. */
	t = member(notes, TRIGGER_TIME_ANNOTATION);
	if (t != NULL && (!cJSON_IsString(t) ||
			  nd_kube_parse_time(t->valuestring,
					     &s->trigger_time_ms) != 0)) {
		nd_debug("kube", "endpointslice %s/%s: bad %s, ignored", ns,
			 name, TRIGGER_TIME_ANNOTATION);
		s->trigger_time_ms = 0;
	}
	return 0;
}

static int decode_slice(const cJSON *obj, struct nd_kube_slice *s,
			struct errbuf *e)
{
	char b[SHOW_MAX], owner[ND_KUBE_NAME_MAX + ND_KUBE_FQDN_MAX + 16];
	char name[ND_KUBE_FQDN_MAX], ns[ND_KUBE_NAME_MAX], rv[ND_KUBE_RV_MAX];
	char service[ND_KUBE_NAME_MAX];
	const cJSON *at, *eps = NULL, *ports;
	size_t text = 0, n_addrs = 0;
	struct strpool pool;
	int rc;

	if (!cJSON_IsObject(obj)) {
		set_err(e, "not a JSON object");
		return ND_EPARSE;
	}
	rc = check_kind(obj, "EndpointSlice", e);
	if (rc == 0)
		rc = decode_meta(obj, name, sizeof(name), NAME_SUBDOMAIN, ns, rv,
				 e);
	if (rc == 0)
		rc = decode_slice_meta(obj, ns, name, service, s, e);
	if (rc != 0)
		return rc;
	at = member(obj, "addressType");
	if (at == NULL) {
		set_err(e, "addressType missing");
		return ND_EPARSE;
	}
	if (!cJSON_IsString(at)) {
		set_err(e, "addressType: not a string");
		return ND_EPARSE;
	}
	if (strcmp(at->valuestring, "IPv4") == 0) {
		s->address_type = AF_INET;
	} else if (strcmp(at->valuestring, "IPv6") == 0) {
		s->address_type = AF_INET6;
	} else if (strcmp(at->valuestring, "FQDN") == 0) {
		/* Deprecated, and no DNS record is built from it. */
		s->address_type = 0;
	} else {
		set_err(e, "addressType: unknown '%s'",
			show(at->valuestring, b));
		return ND_EPARSE;
	}

	if (s->address_type != 0) {
		eps = member(obj, "endpoints");
		if (cJSON_IsArray(eps))
			eps_bound(eps, &text, &n_addrs);
	}
	ports = member(obj, "ports");
	rc = strpool_init(&pool,
			  strlen(name) + strlen(ns) + strlen(rv) +
				  strlen(service) + 4 + text +
				  ports_text_bound(ports),
			  &s->strs, e);
	if (rc == 0)
		rc = pool_text(&pool, name, "metadata.name", &s->name, e);
	if (rc == 0)
		rc = pool_text(&pool, ns, "metadata.namespace", &s->ns, e);
	if (rc == 0)
		rc = pool_text(&pool, rv, "metadata.resourceVersion", &s->rv,
			       e);
	if (rc == 0)
		rc = pool_text(&pool, service, "service-name", &s->service, e);
	if (rc != 0)
		return rc;
	snprintf(owner, sizeof(owner), "endpointslice %s/%s", ns, name);
	rc = decode_endpoints(eps, s, owner, &pool, n_addrs, e);
	if (rc != 0)
		return rc;
	return decode_ports(ports, "ports", owner, &pool, &s->ports,
			    &s->n_ports, e);
}

int nd_kube_decode_slice(const struct cJSON *obj, struct nd_kube_slice *out,
			 char *err, size_t errlen)
{
	struct errbuf e = { err, errlen };
	int rc = decode_begin(obj, "no object", out, sizeof(*out), &e);

	if (rc == 0 && (rc = decode_slice(obj, out, &e)) != 0)
		nd_kube_slice_deinit(out);
	return rc;
}

int nd_kube_decode_namespace(const struct cJSON *obj,
			     char name[ND_KUBE_NAME_MAX],
			     char rv[ND_KUBE_RV_MAX], char *err, size_t errlen)
{
	struct errbuf e = { err, errlen };
	char tmp_rv[ND_KUBE_RV_MAX];
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (name == NULL)
		return -EINVAL;
	name[0] = '\0';
	if (rv != NULL)
		rv[0] = '\0';
	if (obj == NULL) {
		set_err(&e, "no object");
		return -EINVAL;
	}
	if (!cJSON_IsObject(obj)) {
		set_err(&e, "not a JSON object");
		return ND_EPARSE;
	}
	rc = check_kind(obj, "Namespace", &e);
	if (rc == 0)
		rc = decode_meta(obj, name, ND_KUBE_NAME_MAX, NAME_LABEL, NULL,
				 tmp_rv, &e);
	if (rc != 0) {
		name[0] = '\0';
		return rc;
	}
	if (rv != NULL)
		memcpy(rv, tmp_rv, sizeof(tmp_rv));
	return 0;
}

const char *nd_kube_kind_name(enum nd_kube_kind k)
{
	switch (k) {
	case ND_KIND_SERVICE:
		return "services";
	case ND_KIND_SLICE:
		return "endpointslices";
	case ND_KIND_NAMESPACE:
		return "namespaces";
	default:
		return "unknown";
	}
}

enum nd_kube_kind nd_kube_object_kind(const struct cJSON *obj)
{
	const cJSON *k;

	if (!cJSON_IsObject(obj))
		return ND_KIND_UNKNOWN;
	k = cJSON_GetObjectItemCaseSensitive(obj, "kind");
	if (!cJSON_IsString(k))
		return ND_KIND_UNKNOWN;
	if (strcmp(k->valuestring, "Service") == 0)
		return ND_KIND_SERVICE;
	if (strcmp(k->valuestring, "EndpointSlice") == 0)
		return ND_KIND_SLICE;
	if (strcmp(k->valuestring, "Namespace") == 0)
		return ND_KIND_NAMESPACE;
	return ND_KIND_UNKNOWN;
}

static const char *const event_names[ND_EV_TYPES] = {
	[ND_EV_ADDED] = "ADDED",       [ND_EV_MODIFIED] = "MODIFIED",
	[ND_EV_DELETED] = "DELETED",   [ND_EV_BOOKMARK] = "BOOKMARK",
	[ND_EV_ERROR] = "ERROR",
};

const char *nd_kube_event_type_name(enum nd_kube_event_type t)
{
	if ((int)t < 0 || t >= ND_EV_TYPES)
		return "UNKNOWN";
	return event_names[t];
}

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int decode_event(const char *line, size_t len, struct nd_kube_event *ev,
			struct errbuf *e)
{
	const cJSON *type, *obj, *meta, *code;
	const char *end = NULL;
	char b[SHOW_MAX];
	int t, rc;

	while (len > 0 && is_json_space(line[len - 1]))
		len--;
	if (len == 0) {
		set_err(e, "empty line");
		return ND_EPARSE;
	}
	/*
	 * The line is not NUL-terminated (it sits in the transport's
	 * buffer), so the length-bounded parser is used and "no trailing
	 * garbage" is checked here: cJSON's own check wants a NUL.
	 */
	ev->root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (ev->root == NULL) {
		size_t at = end != NULL && end >= line && end <= line + len ?
				    (size_t)(end - line) :
				    0;

		set_err(e, "malformed JSON at byte %zu of %zu", at, len);
		return ND_EPARSE;
	}
	if (end == NULL || end != line + len) {
		set_err(e, "trailing data after the event");
		return ND_EPARSE;
	}
	if (!cJSON_IsObject(ev->root)) {
		set_err(e, "not a JSON object");
		return ND_EPARSE;
	}
	type = member(ev->root, "type");
	if (type == NULL) {
		set_err(e, "type missing");
		return ND_EPARSE;
	}
	if (!cJSON_IsString(type)) {
		set_err(e, "type: not a string");
		return ND_EPARSE;
	}
	for (t = 0; t < ND_EV_TYPES; t++)
		if (strcmp(type->valuestring, event_names[t]) == 0)
			break;
	if (t == ND_EV_TYPES) {
		set_err(e, "type: unknown '%s'", show(type->valuestring, b));
		return ND_EPARSE;
	}
	ev->type = (enum nd_kube_event_type)t;
	obj = member(ev->root, "object");
	if (obj == NULL) {
		set_err(e, "object missing");
		return ND_EPARSE;
	}
	if (!cJSON_IsObject(obj)) {
		set_err(e, "object: not an object");
		return ND_EPARSE;
	}
	ev->object = obj;
	rc = get_object(obj, "object", "metadata", &meta, e);
	if (rc == 0 && meta != NULL)
		rc = get_string(meta, "object.metadata", "resourceVersion",
				ev->rv, sizeof(ev->rv), e);
	if (rc != 0)
		return rc;
	if (ev->type != ND_EV_ERROR)
		return 0;
	/* A Status without a usable code still ends the watch; 0 tells
	 * the caller it is not the 410 that asks for a relist. */
	code = member(obj, "code");
	if (cJSON_IsNumber(code) && code->valuedouble >= 0 &&
	    code->valuedouble <= 999 &&
	    code->valuedouble == (double)(int)code->valuedouble)
		ev->code = (int)code->valuedouble;
	return 0;
}

int nd_kube_decode_event(const char *line, size_t len, struct nd_kube_event *ev,
			 char *err, size_t errlen)
{
	struct errbuf e = { err, errlen };
	int rc = decode_begin(line, "no line", ev, sizeof(*ev), &e);

	if (rc == 0 && (rc = decode_event(line, len, ev, &e)) != 0)
		nd_kube_event_deinit(ev);
	return rc;
}

void nd_kube_event_deinit(struct nd_kube_event *ev)
{
	if (ev == NULL)
		return;
	cJSON_Delete(ev->root);
	memset(ev, 0, sizeof(*ev));
}

static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): no timegm(), so no dependence on TZ or locale. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int nd_kube_parse_time(const char *s, int64_t *ms)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, frac = 0, sign = 0;
	const char *p;
	int64_t t;

	if (ms != NULL)
		*ms = 0;
	if (s == NULL || ms == NULL)
		return -EINVAL;
	/* Each digits() stops at the NUL, so no index below passes it. */
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &sec))
		return ND_EPARSE;
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 3)
				frac = frac * 10 + (*p - '0');
		if (n == 0)
			return ND_EPARSE;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' ||
		    !digits(p + 4, 2, &om))
			return ND_EPARSE;
		p += 6;
	} else {
		return ND_EPARSE;
	}
	if (*p != '\0')
		return ND_EPARSE;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)) || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return ND_EPARSE;
	/* A leap second (:60) lands on the next minute's :00, which is
	 * what POSIX time makes of it too. */
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	return 0;
}
