/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/decode.h - Kubernetes API JSON (objects, lists, watch events) into objects.h structs. */
#ifndef KUBE_DECODE_H
#define KUBE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "kube/objects.h"

struct cJSON;

enum nd_kube_kind {
	ND_KIND_SERVICE = 0,
	ND_KIND_SLICE = 1,
	ND_KIND_NAMESPACE = 2,
	ND_KIND_COUNT,
	ND_KIND_UNKNOWN = -1,
};

/* "services", "endpointslices", "namespaces" (metric labels, logs). */
const char *nd_kube_kind_name(enum nd_kube_kind k);

/*
 * Decode a v1 Service object. Required: metadata.name, metadata.namespace;
 * a clusterIP that is neither "None", "" nor an address is an error; an
 * ExternalName Service needs spec.externalName. Ports without a valid
 * number are skipped. err gets a reason naming the field.
 * Returns 0 or ND_EPARSE (out is then deinit'ed and zeroed).
 */
int nd_kube_decode_service(const struct cJSON *obj, struct nd_kube_service *out,
			   char *err, size_t errlen);

/*
 * Decode a discovery.k8s.io/v1 EndpointSlice. Required: metadata.name,
 * metadata.namespace, addressType. Endpoints whose addresses do not parse
 * for the addressType are skipped (logged at debug); FQDN slices decode
 * with no endpoints. Returns 0 or ND_EPARSE.
 */
int nd_kube_decode_slice(const struct cJSON *obj, struct nd_kube_slice *out,
			 char *err, size_t errlen);

/* Decode a v1 Namespace: its name (and rv when not NULL). 0 or ND_EPARSE. */
int nd_kube_decode_namespace(const struct cJSON *obj,
			     char name[ND_KUBE_NAME_MAX],
			     char rv[ND_KUBE_RV_MAX], char *err, size_t errlen);

/* The kind of an object from its "kind" field ("Service", "EndpointSlice",
 * "Namespace"); ND_KIND_UNKNOWN otherwise. */
enum nd_kube_kind nd_kube_object_kind(const struct cJSON *obj);

enum nd_kube_event_type {
	ND_EV_ADDED = 0,
	ND_EV_MODIFIED = 1,
	ND_EV_DELETED = 2,
	ND_EV_BOOKMARK = 3,
	ND_EV_ERROR = 4,
	ND_EV_TYPES,
};

/* "ADDED", ... */
const char *nd_kube_event_type_name(enum nd_kube_event_type t);

/* One decoded watch event line. */
struct nd_kube_event {
	enum nd_kube_event_type type;
	struct cJSON *root;	 /* the parsed line (owned; free with
				    nd_kube_event_deinit) */
	const struct cJSON *object; /* the "object" member (borrowed from root) */
	char rv[ND_KUBE_RV_MAX]; /* object's metadata.resourceVersion, "" if none */
	int code;		 /* ERROR: the Status code (410 = Gone), else 0 */
};

/*
 * Parse one watch event (a JSON object {"type":..,"object":..}) from
 * line[0..len). Returns 0 or ND_EPARSE (malformed JSON, unknown type,
 * missing object); err says why.
 */
int nd_kube_decode_event(const char *line, size_t len, struct nd_kube_event *ev,
			 char *err, size_t errlen);
void nd_kube_event_deinit(struct nd_kube_event *ev);

/* Parse RFC 3339 time ("2024-01-02T03:04:05.123456Z" or with an offset)
 * into epoch milliseconds; 0 or ND_EPARSE. */
int nd_kube_parse_time(const char *s, int64_t *ms);

#endif /* KUBE_DECODE_H */
