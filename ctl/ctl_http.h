/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* ctl/ctl_http.h - one request to the nodedns debug listener (libcurl): GET a /debug view, POST a /control action. */
#ifndef CTL_CTL_HTTP_H
#define CTL_CTL_HTTP_H

#include <stddef.h>

#define ND_CTL_CONNECT_TIMEOUT_MS 3000	      /* loopback or a node: quick */
#define ND_CTL_TIMEOUT_MS	  10000	      /* the whole request */
#define ND_CTL_MAX_BODY		  (16u << 20) /* a larger answer is an error */

/* A query parameter. */
struct nd_ctl_param {
	const char *key;   /* sent as is: plain ASCII, no escaping needed */
	const char *value; /* URL-encoded when sent; NULL: left out */
};

/* What the server sent. */
struct nd_ctl_reply {
	long status; /* HTTP status */
	char *body;  /* NUL-terminated (owned; free with nd_ctl_reply_deinit) */
	size_t len;  /* bytes of body */
};

/*
 * GET server + path + "?" + the URL-encoded params[0..n).
 * server: "http://host:port" (a trailing '/' is fine).
 * out: filled on success; deinit it whatever this returns.
 * err: on failure a message naming the URL; on success the URL asked
 *      (for messages about the status).
 * Returns 0 when any HTTP answer came (look at out->status), -EINVAL for
 * bad arguments, -ENOMEM, or -EIO when the server could not be reached
 * (refused, timeout, bad URL, body larger than ND_CTL_MAX_BODY).
 */
int nd_ctl_get(const char *server, const char *path,
	       const struct nd_ctl_param *params, size_t n,
	       struct nd_ctl_reply *out, char *err, size_t errlen);

/*
 * As nd_ctl_get, with method "GET" or "POST" (an empty body), and when
 * token is not NULL an "Authorization: Bearer <token>" header.
 */
int nd_ctl_request(const char *server, const char *method, const char *path,
		   const struct nd_ctl_param *params, size_t n,
		   const char *token, struct nd_ctl_reply *out, char *err,
		   size_t errlen);

/* Free what out owns and zero it; NULL is fine. */
void nd_ctl_reply_deinit(struct nd_ctl_reply *out);

#endif /* CTL_CTL_HTTP_H */
