/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "config/kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "util/errors.h"

/* Real kubeconfigs are a few KiB; embedded certificates keep them far below. */
#define ND_KUBECONFIG_MAX ((size_t)4 * 1024 * 1024)

__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void nd_kube_creds_deinit(struct nd_kube_creds *c)
{
	if (c == NULL)
		return;
	free(c->server);
	free(c->ca_file);
	free(c->ca_blob);
	/* Tokens are secrets: do not leave them in freed heap memory. */
	if (c->token != NULL)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	free(c->token_file);
	free(c->cert_file);
	free(c->cert_blob);
	free(c->key_file);
	if (c->key_blob != NULL)
		explicit_bzero(c->key_blob, c->key_blob_len);
	free(c->key_blob);
	memset(c, 0, sizeof(*c));
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst == NULL ? -ENOMEM : 0;
}

static int dup_blob(uint8_t **dst, size_t *dst_len, const uint8_t *src,
		    size_t len)
{
	*dst = NULL;
	*dst_len = 0;
	if (src == NULL)
		return 0;
	/* One spare NUL byte: PEM parsers that want a C string get one. */
	*dst = malloc(len + 1);
	if (*dst == NULL)
		return -ENOMEM;
	memcpy(*dst, src, len);
	(*dst)[len] = 0;
	*dst_len = len;
	return 0;
}

int nd_kube_creds_copy(struct nd_kube_creds *dst,
		       const struct nd_kube_creds *src)
{
	int rc = 0;

	if (dst == NULL || src == NULL)
		return -EINVAL;
	memset(dst, 0, sizeof(*dst));
	rc |= dup_str(&dst->server, src->server);
	rc |= dup_str(&dst->ca_file, src->ca_file);
	rc |= dup_blob(&dst->ca_blob, &dst->ca_blob_len, src->ca_blob,
		       src->ca_blob_len);
	rc |= dup_str(&dst->token, src->token);
	rc |= dup_str(&dst->token_file, src->token_file);
	rc |= dup_str(&dst->cert_file, src->cert_file);
	rc |= dup_blob(&dst->cert_blob, &dst->cert_blob_len, src->cert_blob,
		       src->cert_blob_len);
	rc |= dup_str(&dst->key_file, src->key_file);
	rc |= dup_blob(&dst->key_blob, &dst->key_blob_len, src->key_blob,
		       src->key_blob_len);
	dst->skip_verify = src->skip_verify;
	if (rc != 0) {
		nd_kube_creds_deinit(dst);
		return -ENOMEM;
	}
	return 0;
}

/* --- base64 (RFC 4648 standard alphabet, as Go's StdEncoding writes) ----- */

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Decode src[0..len) into a malloc'd buffer. Whitespace is skipped
 * because hand-edited kubeconfigs wrap long -data values; padding is
 * optional. Returns 0, ND_EPARSE or -ENOMEM.
 */
static int b64_decode(const char *src, size_t len, uint8_t **out,
		      size_t *out_len)
{
	uint8_t *buf = malloc(len / 4 * 3 + 4);
	uint32_t acc = 0;
	size_t n = 0, pad = 0;
	int bits = 0;

	if (buf == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)src[i];
		int v;

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		v = b64_value(ch);
		if (v < 0 || pad > 0)
			goto bad; /* a foreign byte, or data after padding */
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* 6 leftover bits cannot come from whole bytes; nor can 3 '='. */
	if (bits >= 6 || pad > 2 || n == 0)
		goto bad;
	buf[n] = 0;
	*out = buf;
	*out_len = n;
	return 0;
bad:
	free(buf);
	return ND_EPARSE;
}

/* --- reading the YAML document ------------------------------------------ */

struct kc {
	const char *path;  /* the kubeconfig, for messages */
	char *dir;	   /* its directory, for relative names; NULL = "." */
	yaml_document_t doc;
	char *err;
	size_t errlen;
};

static yaml_node_t *node_at(struct kc *k, int index)
{
	return yaml_document_get_node(&k->doc, index);
}

/* The value for key in a mapping node, or NULL. */
static yaml_node_t *map_get(struct kc *k, yaml_node_t *map, const char *key)
{
	size_t klen = strlen(key);

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node_at(k, p->key);

		if (kn != NULL && kn->type == YAML_SCALAR_NODE &&
		    kn->data.scalar.length == klen &&
		    memcmp(kn->data.scalar.value, key, klen) == 0)
			return node_at(k, p->value);
	}
	return NULL;
}

/*
 * The text of a scalar, or NULL for anything else. A plain empty, "~" or
 * "null" scalar is YAML's null and counts as absent, as it does for
 * client-go.
 */
static const char *scalar(yaml_node_t *n)
{
	const char *v;

	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	v = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	     strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0))
		return NULL;
	/* An embedded NUL would silently cut a path or a token. */
	if (strlen(v) != n->data.scalar.length)
		return NULL;
	return v;
}

/* In a sequence of {name: X, <member>: {...}}, the <member> of name X. */
static yaml_node_t *named_entry(struct kc *k, const char *list,
				const char *member, const char *name)
{
	yaml_node_t *root = yaml_document_get_root_node(&k->doc);
	yaml_node_t *seq = map_get(k, root, list);

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = node_at(k, *it);
		const char *n = scalar(map_get(k, e, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return map_get(k, e, member);
	}
	return NULL;
}

/* YAML 1.1 booleans, as Go's yaml.v2 (and so kubectl) reads them. */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes",
					   "Yes", "YES", "on", "On", "ON",
					   "y", "Y" };
	static const char *const no[] = { "false", "False", "FALSE", "no",
					  "No", "NO", "off", "Off", "OFF",
					  "n", "N" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return ND_EPARSE;
}

/*
 * A path from the kubeconfig, made absolute against its directory the way
 * kubectl does, and checked to be readable now so a typo is reported at
 * start-up with the file's name rather than on the first request.
 */
static int take_path(struct kc *k, const char *what, const char *v, char **out)
{
	char *p;

	if (v[0] == '/' || k->dir == NULL) {
		p = strdup(v);
	} else if (asprintf(&p, "%s/%s", k->dir, v) < 0) {
		p = NULL;
	}
	if (p == NULL)
		return -ENOMEM;
	if (access(p, R_OK) != 0) {
		int e = errno;

		set_err(k->err, k->errlen, "%s: %s %s: %s", k->path, what, p,
			strerror(e));
		free(p);
		return -e;
	}
	*out = p;
	return 0;
}

/*
 * One file-or-data pair (certificate-authority, client-certificate,
 * client-key). The data wins when both are given, as in client-go.
 */
static int take_file_or_data(struct kc *k, yaml_node_t *map, const char *key,
			     char **file, uint8_t **blob, size_t *blob_len)
{
	char dkey[64];
	const char *data, *path;
	int rc;

	snprintf(dkey, sizeof(dkey), "%s-data", key);
	data = scalar(map_get(k, map, dkey));
	path = scalar(map_get(k, map, key));
	if (data != NULL) {
		rc = b64_decode(data, strlen(data), blob, blob_len);
		if (rc == ND_EPARSE)
			set_err(k->err, k->errlen, "%s: %s is not valid base64",
				k->path, dkey);
		return rc;
	}
	if (path != NULL)
		return take_path(k, key, path, file);
	return 0;
}

static int load_cluster(struct kc *k, yaml_node_t *cl, const char *name,
			struct nd_kube_creds *out)
{
	const char *server = scalar(map_get(k, cl, "server"));
	const char *insecure = scalar(map_get(k, cl, "insecure-skip-tls-verify"));
	const char *host;
	size_t len;
	int rc;

	if (server == NULL) {
		set_err(k->err, k->errlen, "%s: cluster \"%s\" has no server",
			k->path, name);
		return ND_EPARSE;
	}
	if (strncmp(server, "http://", 7) != 0 &&
	    strncmp(server, "https://", 8) != 0) {
		set_err(k->err, k->errlen,
			"%s: cluster \"%s\": server \"%s\" is not an http:// or https:// URL",
			k->path, name, server);
		return ND_EPARSE;
	}
	/* A URL with a scheme and no host ("https://") would become
	 * "https:" below, and every request would go nowhere. */
	host = server + (server[4] == 's' ? 8 : 7);
	if (host[0] == '\0' || host[0] == '/') {
		set_err(k->err, k->errlen,
			"%s: cluster \"%s\": server \"%s\" has no host",
			k->path, name, server);
		return ND_EPARSE;
	}
	out->server = strdup(server);
	if (out->server == NULL)
		return -ENOMEM;
	/* Paths are joined onto the server; one '/' between them is enough. */
	len = strlen(out->server);
	while (len > 0 && out->server[len - 1] == '/')
		out->server[--len] = '\0';
	if (insecure != NULL && parse_bool(insecure, &out->skip_verify) != 0) {
		set_err(k->err, k->errlen,
			"%s: cluster \"%s\": insecure-skip-tls-verify \"%s\" is not a boolean",
			k->path, name, insecure);
		return ND_EPARSE;
	}
	rc = take_file_or_data(k, cl, "certificate-authority", &out->ca_file,
			       &out->ca_blob, &out->ca_blob_len);
	return rc;
}

static int load_user(struct kc *k, yaml_node_t *u, const char *name,
		     struct nd_kube_creds *out)
{
	const char *token = scalar(map_get(k, u, "token"));
	const char *token_file = scalar(map_get(k, u, "tokenFile"));
	bool has_cert, has_key;
	int rc;

	if (token != NULL && (out->token = strdup(token)) == NULL)
		return -ENOMEM;
	if (token_file != NULL) {
		rc = take_path(k, "tokenFile", token_file, &out->token_file);
		if (rc != 0)
			return rc;
	}
	rc = take_file_or_data(k, u, "client-certificate", &out->cert_file,
			       &out->cert_blob, &out->cert_blob_len);
	if (rc != 0)
		return rc;
	rc = take_file_or_data(k, u, "client-key", &out->key_file,
			       &out->key_blob, &out->key_blob_len);
	if (rc != 0)
		return rc;
	has_cert = out->cert_file != NULL || out->cert_blob != NULL;
	has_key = out->key_file != NULL || out->key_blob != NULL;
	if (has_cert != has_key) {
		set_err(k->err, k->errlen,
			"%s: user \"%s\" has a client %s without a client %s",
			k->path, name, has_cert ? "certificate" : "key",
			has_cert ? "key" : "certificate");
		return ND_EPARSE;
	}
	/*
	 * exec plugins and auth providers run programs or talk OAuth; a DNS
	 * server should not. Say so rather than connect anonymously.
	 */
	if (out->token == NULL && out->token_file == NULL && !has_cert &&
	    (map_get(k, u, "exec") != NULL ||
	     map_get(k, u, "auth-provider") != NULL)) {
		set_err(k->err, k->errlen,
			"%s: user \"%s\" uses exec or auth-provider credentials, which nodedns does not support (use a token or a client certificate)",
			k->path, name);
		return ND_EPARSE;
	}
	return 0;
}

static int load_doc(struct kc *k, struct nd_kube_creds *out)
{
	yaml_node_t *root = yaml_document_get_root_node(&k->doc);
	yaml_node_t *ctx, *cl, *u = NULL;
	const char *cur, *cl_name, *u_name;
	int rc;

	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		set_err(k->err, k->errlen, "%s: not a kubeconfig (no mapping at the top)",
			k->path);
		return ND_EPARSE;
	}
	cur = scalar(map_get(k, root, "current-context"));
	if (cur == NULL) {
		set_err(k->err, k->errlen, "%s: no current-context", k->path);
		return ND_EPARSE;
	}
	ctx = named_entry(k, "contexts", "context", cur);
	if (ctx == NULL) {
		set_err(k->err, k->errlen, "%s: context \"%s\" not found",
			k->path, cur);
		return ND_EPARSE;
	}
	cl_name = scalar(map_get(k, ctx, "cluster"));
	if (cl_name == NULL) {
		set_err(k->err, k->errlen, "%s: context \"%s\" names no cluster",
			k->path, cur);
		return ND_EPARSE;
	}
	cl = named_entry(k, "clusters", "cluster", cl_name);
	if (cl == NULL || cl->type != YAML_MAPPING_NODE) {
		set_err(k->err, k->errlen, "%s: cluster \"%s\" not found",
			k->path, cl_name);
		return ND_EPARSE;
	}
	rc = load_cluster(k, cl, cl_name, out);
	if (rc != 0)
		return rc;
	/* No user is fine: kubectl proxy and some test servers need none. */
	u_name = scalar(map_get(k, ctx, "user"));
	if (u_name != NULL) {
		u = named_entry(k, "users", "user", u_name);
		if (u == NULL) {
			set_err(k->err, k->errlen, "%s: user \"%s\" not found",
				k->path, u_name);
			return ND_EPARSE;
		}
		rc = load_user(k, u, u_name, out);
	}
	return rc;
}

/* The whole file into a NUL-terminated malloc'd buffer. */
static int slurp(const char *path, size_t max, char **out, size_t *out_len,
		 char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		set_err(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -e;
	}
	if ((size_t)st.st_size > max) {
		set_err(err, errlen, "%s: larger than %zu bytes", path, max);
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	/* A file that grows while we read it is cut at its stat size. */
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
fail:
	e = errno;
	set_err(err, errlen, "%s: %s", path, strerror(e));
	free(buf);
	if (fd >= 0)
		close(fd);
	return -e;
}

int nd_kubeconfig_load(const char *path, struct nd_kube_creds *out, char *err,
		       size_t errlen)
{
	struct kc k = { .path = path, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	char *text = NULL, *slash;
	size_t len = 0;
	int rc;

	if (path == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	set_err(err, errlen, "%s", "");
	rc = slurp(path, ND_KUBECONFIG_MAX, &text, &len, err, errlen);
	if (rc != 0)
		return rc;
	slash = strrchr(path, '/');
	if (slash != NULL) {
		k.dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
		if (k.dir == NULL) {
			free(text);
			return -ENOMEM;
		}
	}
	if (!yaml_parser_initialize(&parser)) {
		free(k.dir);
		free(text);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &k.doc)) {
		set_err(err, errlen, "%s: line %zu: %s%s%s", path,
			parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "invalid YAML",
			parser.context ? " " : "",
			parser.context ? parser.context : "");
		rc = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : ND_EPARSE;
	} else {
		rc = load_doc(&k, out);
		yaml_document_delete(&k.doc);
	}
	yaml_parser_delete(&parser);
	explicit_bzero(text, len); /* it may hold a token or a key */
	free(text);
	free(k.dir);
	if (rc != 0)
		nd_kube_creds_deinit(out);
	return rc;
}

int nd_kube_creds_in_cluster(struct nd_kube_creds *out, const char *sa_dir,
			     char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char *token = NULL, *ca = NULL, *end;
	unsigned long pn;
	int rc;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (sa_dir == NULL)
		sa_dir = ND_KUBE_SA_DIR;
	if (host == NULL || host[0] == '\0' || port == NULL ||
	    port[0] == '\0') {
		set_err(err, errlen,
			"KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not in a cluster)");
		return ND_ENOTFOUND;
	}
	errno = 0;
	pn = strtoul(port, &end, 10);
	if (errno != 0 || *end != '\0' || pn == 0 || pn > 65535 ||
	    strpbrk(host, "/[]@ ") != NULL) {
		set_err(err, errlen,
			"KUBERNETES_SERVICE_HOST \"%s\" / KUBERNETES_SERVICE_PORT \"%s\" do not make an address",
			host, port);
		return ND_EPARSE;
	}
	/* An IPv6 literal needs brackets in a URL (RFC 3986 section 3.2.2). */
	if (asprintf(&out->server, strchr(host, ':') ? "https://[%s]:%lu" :
			"https://%s:%lu", host, pn) < 0) {
		out->server = NULL;
		return -ENOMEM;
	}
	if (asprintf(&token, "%s/token", sa_dir) < 0 ||
	    asprintf(&ca, "%s/ca.crt", sa_dir) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	if (access(token, R_OK) != 0) {
		rc = -errno;
		set_err(err, errlen, "%s: %s", token, strerror(-rc));
		goto fail;
	}
	out->token_file = token;
	token = NULL;
	/* client-go also goes on without ca.crt, trusting the system CAs. */
	if (access(ca, R_OK) == 0) {
		out->ca_file = ca;
		ca = NULL;
	}
	free(ca);
	return 0;
fail:
	free(token);
	free(ca);
	nd_kube_creds_deinit(out);
	return rc;
}
