/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/fuzz/kube_check.h - the contracts of kube/decode.h's decoders, checked on what they return. */
#ifndef TESTS_FUZZ_KUBE_CHECK_H
#define TESTS_FUZZ_KUBE_CHECK_H

#include <string.h>
#include <sys/socket.h>

#include "kube/decode.h"
#include "kube/objects.h"
#include "tests/fuzz/fuzz.h"

#define KUBE_ERRLEN 256

/* err is a NUL-terminated string inside its buffer. */
static inline void check_err(const char *err)
{
	CHECK(memchr(err, '\0', KUBE_ERRLEN) != NULL);
}

static inline void check_service(const struct nd_kube_service *s)
{
	CHECK(s->ns != NULL && strlen(s->ns) < ND_KUBE_NAME_MAX);
	CHECK(s->name != NULL && strlen(s->name) < ND_KUBE_NAME_MAX);
	CHECK(s->n_ips <= 2);
	for (size_t i = 0; i < s->n_ips; i++)
		CHECK(s->ips[i].family == AF_INET ||
		      s->ips[i].family == AF_INET6);
	if (s->type == ND_SVC_EXTERNAL_NAME)
		CHECK(s->external_name != NULL &&
		      strlen(s->external_name) < ND_KUBE_FQDN_MAX);
	CHECK(s->n_ports == 0 || s->ports != NULL);
	for (size_t i = 0; i < s->n_ports; i++)
		CHECK(s->ports[i].name != NULL);
}

static inline void check_slice(const struct nd_kube_slice *s)
{
	CHECK(s->ns != NULL && strlen(s->ns) < ND_KUBE_NAME_MAX);
	CHECK(s->name != NULL && strlen(s->name) < ND_KUBE_FQDN_MAX);
	CHECK(s->address_type == AF_INET || s->address_type == AF_INET6 ||
	      s->address_type == 0);
	CHECK(s->n_eps == 0 || s->eps != NULL);
	for (size_t i = 0; i < s->n_eps; i++) {
		const struct nd_kube_endpoint *ep = &s->eps[i];

		CHECK(ep->n_addrs == 0 || ep->addrs != NULL);
		for (uint32_t j = 0; j < ep->n_addrs; j++)
			CHECK(ep->addrs[j].family == s->address_type);
		CHECK(ep->hostname != NULL && ep->node != NULL &&
		      ep->pod != NULL);
	}
	CHECK(s->n_ports == 0 || s->ports != NULL);
}

/* Decode obj as kind and check what comes out, or the error text. */
static inline void check_object(const struct cJSON *obj, enum nd_kube_kind kind)
{
	char err[KUBE_ERRLEN];

	memset(err, 'x', sizeof(err));
	switch (kind) {
	case ND_KIND_SERVICE: {
		struct nd_kube_service s;

		if (nd_kube_decode_service(obj, &s, err, sizeof(err)) == 0) {
			check_service(&s);
			nd_kube_service_deinit(&s);
		} else {
			check_err(err);
		}
		break;
	}
	case ND_KIND_SLICE: {
		struct nd_kube_slice s;

		if (nd_kube_decode_slice(obj, &s, err, sizeof(err)) == 0) {
			check_slice(&s);
			nd_kube_slice_deinit(&s);
		} else {
			check_err(err);
		}
		break;
	}
	case ND_KIND_NAMESPACE: {
		char name[ND_KUBE_NAME_MAX], rv[ND_KUBE_RV_MAX];

		if (nd_kube_decode_namespace(obj, name, rv, err,
					     sizeof(err)) == 0) {
			CHECK(memchr(name, '\0', sizeof(name)) != NULL);
			CHECK(memchr(rv, '\0', sizeof(rv)) != NULL);
		} else {
			check_err(err);
		}
		break;
	}
	default:
		break;
	}
}

#endif /* TESTS_FUZZ_KUBE_CHECK_H */
