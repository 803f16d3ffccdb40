/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/kube_auth.h - credentials onto a libcurl handle, with a token file that rotates. */
#ifndef SERVER_KUBE_AUTH_H
#define SERVER_KUBE_AUTH_H

#include <curl/curl.h>

#include "config/kubeconfig.h"

struct nd_kube_auth; /* opaque */

/*
 * Keep a copy of creds (nothing is borrowed). Does not read the token
 * file yet. Returns NULL on bad creds (no server) or no memory.
 */
struct nd_kube_auth *nd_kube_auth_new(const struct nd_kube_creds *creds);
/* NULL is fine. */
void nd_kube_auth_free(struct nd_kube_auth *a);

/* The server URL without a trailing '/' (valid while a lives). */
const char *nd_kube_auth_server(const struct nd_kube_auth *a);

/*
 * Before a request: re-read the token file when its inode, size or
 * mtime changed (bound service-account tokens rotate, and the kubelet
 * swaps a symlink), then set TLS trust, the client certificate and
 * "Authorization: Bearer" on easy. A token file that cannot be read
 * keeps the previous token and is logged (not on every request).
 * headers: the request's header list; the Authorization line is
 * appended (the caller sets CURLOPT_HTTPHEADER and frees the list).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int nd_kube_auth_apply(struct nd_kube_auth *a, CURL *easy,
		       struct curl_slist **headers);

#endif /* SERVER_KUBE_AUTH_H */
