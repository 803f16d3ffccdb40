/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/kube_curl.h - libcurl's multi interface driven by a libevent base. */
#ifndef SERVER_KUBE_CURL_H
#define SERVER_KUBE_CURL_H

#include <stdbool.h>

#include <curl/curl.h>

struct event_base;
struct nd_kube_curl; /* opaque */

/*
 * One transfer. The owner embeds it, sets easy and done, and finds itself
 * again from the pointer done gets (container_of style).
 */
struct nd_kube_curl_req {
	CURL *easy; /* the owner's handle; set up before nd_kube_curl_add() */
	/* Called once from the event loop when the transfer ends, after the
	 * handle left the multi; rc is the transfer's result. It may add
	 * the handle again. */
	void (*done)(struct nd_kube_curl_req *req, CURLcode rc);
	bool is_active; /* true between add and done/remove */
};

/*
 * A multi handle whose sockets and timeout are libevent events in base
 * (borrowed; it must outlive the object). Calls curl_global_init().
 * Returns NULL on failure.
 */
struct nd_kube_curl *nd_kube_curl_new(struct event_base *base);

/*
 * Free the multi handle and its events. Transfers still added are
 * removed without their done callback. NULL is fine.
 */
void nd_kube_curl_free(struct nd_kube_curl *m);

/*
 * Start req->easy (options already set). The transfer runs as base
 * dispatches. Returns 0, -EINVAL (NULL, no done, already active) or
 * -ENOMEM.
 */
int nd_kube_curl_add(struct nd_kube_curl *m, struct nd_kube_curl_req *req);

/*
 * Stop a transfer early; done is not called and the handle is the
 * owner's again. Not from inside a libcurl callback (write, header):
 * make those return an error instead. An inactive req is fine.
 */
void nd_kube_curl_remove(struct nd_kube_curl *m, struct nd_kube_curl_req *req);

#endif /* SERVER_KUBE_CURL_H */
