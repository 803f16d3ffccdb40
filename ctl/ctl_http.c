/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "ctl/ctl_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct buf {
	char *p;
	size_t len, cap;
	int is_too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t add = size * n;

	if (b->len + add + 1 > ND_CTL_MAX_BODY) {
		b->is_too_big = 1;
		return 0; /* makes curl stop with a write error */
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		char *p;

		while (cap < b->len + add + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* server + path + encoded params, malloc'd; NULL when out of memory. */
static char *url_make(CURL *c, const char *server, const char *path,
		      const struct nd_ctl_param *params, size_t n)
{
	size_t slen = strlen(server), cap;
	char *url;
	int first = 1;

	while (slen > 0 && server[slen - 1] == '/')
		slen--;
	cap = slen + strlen(path) + 2;
	for (size_t i = 0; i < n; i++)
		if (params[i].value != NULL)
			cap += strlen(params[i].key) +
			       3 * strlen(params[i].value) + 2;
	url = malloc(cap);
	if (url == NULL)
		return NULL;
	snprintf(url, cap, "%.*s%s", (int)slen, server, path);
	for (size_t i = 0; i < n; i++) {
		char *v;

		if (params[i].value == NULL)
			continue;
		v = curl_easy_escape(c, params[i].value, 0);
		if (v == NULL) {
			free(url);
			return NULL;
		}
		snprintf(url + strlen(url), cap - strlen(url), "%s%s=%s",
			 first ? "?" : "&", params[i].key, v);
		curl_free(v);
		first = 0;
	}
	return url;
}

int nd_ctl_get(const char *server, const char *path,
	       const struct nd_ctl_param *params, size_t n,
	       struct nd_ctl_reply *out, char *err, size_t errlen)
{
	return nd_ctl_request(server, "GET", path, params, n, NULL, out, err,
			      errlen);
}

int nd_ctl_request(const char *server, const char *method, const char *path,
		   const struct nd_ctl_param *params, size_t n,
		   const char *token, struct nd_ctl_reply *out, char *err,
		   size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	struct buf b = {0};
	CURL *c;
	CURLcode rc;
	char *url;

	if (server == NULL || method == NULL || path == NULL || out == NULL ||
	    err == NULL || (params == NULL && n > 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	c = curl_easy_init();
	if (c == NULL)
		return -ENOMEM;
	url = url_make(c, server, path, params, n);
	if (url == NULL) {
		curl_easy_cleanup(c);
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* Only the endpoint's own schemes: a typo like "file://" must not
	 * read a local file and print it as a view. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
			 CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)ND_CTL_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ND_CTL_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "nodednsctl");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (token != NULL) {
		size_t cap = strlen(token) + 32;
		char *h = malloc(cap);

		if (h == NULL) {
			free(url);
			curl_easy_cleanup(c);
			return -ENOMEM;
		}
		snprintf(h, cap, "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(NULL, h);
		memset(h, 0, cap); /* the secret: no copy left behind */
		free(h);
		if (hdrs == NULL) {
			free(url);
			curl_easy_cleanup(c);
			return -ENOMEM;
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "cannot %s %s: %s",
			 strcmp(method, "POST") == 0 ? "post to" : "get", url,
			 b.is_too_big
			     ? "answer larger than 16 MiB"
			     : (cerr[0] ? cerr : curl_easy_strerror(rc)));
		free(b.p);
		free(url);
		curl_easy_cleanup(c);
		return rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	if (b.p == NULL)
		b.p = calloc(1, 1); /* an empty body is still a string */
	if (b.p == NULL) {
		free(url);
		curl_easy_cleanup(c);
		return -ENOMEM;
	}
	out->body = b.p;
	out->len = b.len;
	snprintf(err, errlen, "%s", url);
	free(url);
	curl_easy_cleanup(c);
	return 0;
}

void nd_ctl_reply_deinit(struct nd_ctl_reply *out)
{
	if (out == NULL)
		return;
	free(out->body);
	memset(out, 0, sizeof(*out));
}
