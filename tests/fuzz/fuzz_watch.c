/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_watch.c - one line of a Kubernetes watch stream through
 * nd_kube_decode_event(), then its object through the decoder of its
 * kind (Service, EndpointSlice, Namespace), as server/kube_client.c feeds
 * them. The bytes are not NUL-terminated, as in the transport's buffer.
 * Aborts on any broken invariant of the decoders' contracts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kube/decode.h"
#include "kube/objects.h"
#include "util/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#define ERRLEN 256

/* err is a NUL-terminated string inside its buffer. */
static void check_err(const char *err)
{
	CHECK(memchr(err, '\0', ERRLEN) != NULL);
}

static void check_service(const struct nd_kube_service *s)
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

static void check_slice(const struct nd_kube_slice *s)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd_kube_event ev;
	char err[ERRLEN];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = nd_kube_decode_event((const char *)data, size, &ev, err,
				  sizeof(err));
	if (rc != 0) {
		CHECK(rc == ND_EPARSE);
		check_err(err);
		/* A failed decode leaves nothing behind to free. */
		CHECK(ev.root == NULL);
		return 0;
	}
	CHECK(ev.type >= ND_EV_ADDED && ev.type < ND_EV_TYPES);
	CHECK(ev.root != NULL);
	CHECK(memchr(ev.rv, '\0', sizeof(ev.rv)) != NULL);
	CHECK(ev.type == ND_EV_ERROR || ev.code == 0);

	if (ev.object != NULL && ev.type != ND_EV_ERROR &&
	    ev.type != ND_EV_BOOKMARK) {
		switch (nd_kube_object_kind(ev.object)) {
		case ND_KIND_SERVICE: {
			struct nd_kube_service s;

			memset(err, 'x', sizeof(err));
			if (nd_kube_decode_service(ev.object, &s, err,
						   sizeof(err)) == 0) {
				check_service(&s);
				nd_kube_service_deinit(&s);
			} else {
				check_err(err);
			}
			break;
		}
		case ND_KIND_SLICE: {
			struct nd_kube_slice s;

			memset(err, 'x', sizeof(err));
			if (nd_kube_decode_slice(ev.object, &s, err,
						 sizeof(err)) == 0) {
				check_slice(&s);
				nd_kube_slice_deinit(&s);
			} else {
				check_err(err);
			}
			break;
		}
		case ND_KIND_NAMESPACE: {
			char name[ND_KUBE_NAME_MAX], rv[ND_KUBE_RV_MAX];

			memset(err, 'x', sizeof(err));
			if (nd_kube_decode_namespace(ev.object, name, rv, err,
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
	nd_kube_event_deinit(&ev);
	return 0;
}
