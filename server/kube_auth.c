/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/kube_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

/* Service-account tokens are about 1 KiB; anything near this is not one. */
#define TOKEN_MAX (64 * 1024)
/* A token file that stays unreadable is reported this often. */
#define TOKEN_WARN_EVERY_MS (60 * 1000)

struct nd_kube_auth {
	struct nd_kube_creds creds; /* own copy */
	char *header;		    /* "Authorization: Bearer ..." or NULL */
	struct stat tok_st;	    /* token file as last read */
	bool has_tok_st;	    /* tok_st is valid */
	int tok_err;		    /* last read error (errno), 0 = none */
	uint64_t tok_warn_ms;	    /* monotonic ms of the last warning */
};

static void free_header(struct nd_kube_auth *a)
{
	if (a->header != NULL)
		explicit_bzero(a->header, strlen(a->header));
	free(a->header);
	a->header = NULL;
}

/* Make the header from token[0..len), refusing what HTTP cannot carry. */
static int set_header(struct nd_kube_auth *a, const char *token, size_t len)
{
	char *h;

	while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r' ||
			   token[len - 1] == ' ' || token[len - 1] == '\t'))
		len--;
	if (len == 0)
		return -ENODATA;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)token[i] < 0x21 || token[i] == 0x7f)
			return -EBADMSG; /* would split or corrupt the header */
	if (asprintf(&h, "Authorization: Bearer %.*s", (int)len, token) < 0)
		return -ENOMEM;
	free_header(a);
	a->header = h;
	return 0;
}

static bool same_file(const struct stat *x, const struct stat *y)
{
	return x->st_dev == y->st_dev && x->st_ino == y->st_ino &&
	       x->st_size == y->st_size &&
	       x->st_mtim.tv_sec == y->st_mtim.tv_sec &&
	       x->st_mtim.tv_nsec == y->st_mtim.tv_nsec;
}

static int read_token(struct nd_kube_auth *a, const struct stat *st)
{
	char buf[TOKEN_MAX];
	size_t n = 0;
	int fd, rc;

	if (st->st_size > TOKEN_MAX)
		return -EFBIG;
	fd = open(a->creds.token_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < sizeof(buf)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			close(fd);
			explicit_bzero(buf, n);
			return rc;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	rc = n == sizeof(buf) ? -EFBIG : set_header(a, buf, n);
	explicit_bzero(buf, n);
	return rc;
}

/* Re-read the token file when it changed; keep the old token otherwise. */
static void refresh_token(struct nd_kube_auth *a)
{
	struct stat st;
	uint64_t now;
	int rc;

	/* stat follows the kubelet's ..data symlink to the current file. */
	if (stat(a->creds.token_file, &st) != 0)
		rc = -errno;
	else if (a->has_tok_st && a->tok_err == 0 && same_file(&st, &a->tok_st))
		return;
	else
		rc = read_token(a, &st);
	if (rc == 0) {
		if (a->has_tok_st)
			nd_info("kube", "token file %s changed; using the new token",
				a->creds.token_file);
		a->tok_st = st;
		a->has_tok_st = true;
		a->tok_err = 0;
		return;
	}
	now = nd_clock_ms();
	if (-rc != a->tok_err || now - a->tok_warn_ms >= TOKEN_WARN_EVERY_MS) {
		nd_warn("kube", "token file %s: %s; %s", a->creds.token_file,
			rc == -ENODATA ? "empty" : rc == -EBADMSG ?
			"holds control characters or spaces" : strerror(-rc),
			a->header != NULL ? "keeping the previous token" :
					    "requests go without a token");
		a->tok_warn_ms = now;
	}
	a->tok_err = -rc;
}

struct nd_kube_auth *nd_kube_auth_new(const struct nd_kube_creds *creds)
{
	struct nd_kube_auth *a;
	size_t len;

	if (creds == NULL || creds->server == NULL)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	if (nd_kube_creds_copy(&a->creds, creds) != 0) {
		free(a);
		return NULL;
	}
	len = strlen(a->creds.server);
	while (len > 0 && a->creds.server[len - 1] == '/')
		a->creds.server[--len] = '\0';
	/* With both, the token serves until the file has been read once. */
	if (a->creds.token != NULL &&
	    set_header(a, a->creds.token, strlen(a->creds.token)) != 0) {
		nd_err("kube", "the bearer token is empty or holds control characters");
		nd_kube_auth_free(a);
		return NULL;
	}
	return a;
}

void nd_kube_auth_free(struct nd_kube_auth *a)
{
	if (a == NULL)
		return;
	free_header(a);
	nd_kube_creds_deinit(&a->creds);
	free(a);
}

const char *nd_kube_auth_server(const struct nd_kube_auth *a)
{
	return a != NULL ? a->creds.server : NULL;
}

/* A blob for libcurl; it copies the bytes, so ours may be freed later. */
static void set_blob(CURL *easy, CURLoption opt, uint8_t *data, size_t len)
{
	struct curl_blob b = { .data = data, .len = len,
			       .flags = CURL_BLOB_COPY };

	curl_easy_setopt(easy, opt, &b);
}

int nd_kube_auth_apply(struct nd_kube_auth *a, CURL *easy,
		       struct curl_slist **headers)
{
	const struct nd_kube_creds *c;
	struct curl_slist *l;

	if (a == NULL || easy == NULL || headers == NULL)
		return -EINVAL;
	c = &a->creds;
	if (c->token_file != NULL)
		refresh_token(a);
	if (c->ca_file != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->ca_file);
	else if (c->ca_blob != NULL)
		set_blob(easy, CURLOPT_CAINFO_BLOB, c->ca_blob, c->ca_blob_len);
	if (c->cert_file != NULL)
		curl_easy_setopt(easy, CURLOPT_SSLCERT, c->cert_file);
	else if (c->cert_blob != NULL)
		set_blob(easy, CURLOPT_SSLCERT_BLOB, c->cert_blob,
			 c->cert_blob_len);
	if (c->key_file != NULL)
		curl_easy_setopt(easy, CURLOPT_SSLKEY, c->key_file);
	else if (c->key_blob != NULL)
		set_blob(easy, CURLOPT_SSLKEY_BLOB, c->key_blob,
			 c->key_blob_len);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER,
			 c->skip_verify ? 0L : 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST,
			 c->skip_verify ? 0L : 2L);
	if (a->header == NULL)
		return 0;
	l = curl_slist_append(*headers, a->header);
	if (l == NULL)
		return -ENOMEM;
	*headers = l;
	return 0;
}
