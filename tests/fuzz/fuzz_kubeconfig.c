/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_kubeconfig.c - a kubeconfig's bytes (YAML) through
 * nd_kubeconfig_load() (from a memfd, as it reads a path). Checks the
 * contract of struct nd_kube_creds: on failure nothing is left and err
 * names the file; on success a server URL of http or https without a
 * trailing '/', never a file and a blob of the same thing, blob lengths
 * with their blobs; then a deep copy equals it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "config/kubeconfig.h"
#include "tests/fuzz/fuzz.h"
#include "util/errors.h"

static bool is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_blob(const uint8_t *a, size_t an, const uint8_t *b,
		      size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct nd_kube_creds c, copy;
	char err[512];
	size_t n;
	int rc;

	if (path == NULL)
		return 0;
	memset(err, 'x', sizeof(err));
	rc = nd_kubeconfig_load(path, &c, err, sizeof(err));
	CHECK(memchr(err, '\0', sizeof(err)) != NULL || rc == 0);
	if (rc != 0) {
		CHECK(rc == ND_EPARSE || rc == -ENOMEM || (rc < 0 && rc > -4096));
		CHECK(is_zero(&c, sizeof(c)));
		CHECK(strncmp(err, path, strlen(path)) == 0);
		return 0;
	}
	CHECK(c.server != NULL);
	CHECK(strncmp(c.server, "http://", 7) == 0 ||
	      strncmp(c.server, "https://", 8) == 0);
	n = strlen(c.server);
	CHECK(n > 0 && c.server[n - 1] != '/');
	CHECK(!(c.ca_file != NULL && c.ca_blob != NULL));
	CHECK(!(c.cert_file != NULL && c.cert_blob != NULL));
	CHECK(!(c.key_file != NULL && c.key_blob != NULL));
	CHECK(c.ca_blob != NULL || c.ca_blob_len == 0);
	CHECK(c.cert_blob != NULL || c.cert_blob_len == 0);
	CHECK(c.key_blob != NULL || c.key_blob_len == 0);

	CHECK(nd_kube_creds_copy(&copy, &c) == 0);
	CHECK(same_str(copy.server, c.server) &&
	      same_str(copy.ca_file, c.ca_file) &&
	      same_str(copy.token, c.token) &&
	      same_str(copy.token_file, c.token_file) &&
	      same_str(copy.cert_file, c.cert_file) &&
	      same_str(copy.key_file, c.key_file) &&
	      copy.skip_verify == c.skip_verify);
	CHECK(same_blob(copy.ca_blob, copy.ca_blob_len, c.ca_blob,
			c.ca_blob_len) &&
	      same_blob(copy.cert_blob, copy.cert_blob_len, c.cert_blob,
			c.cert_blob_len) &&
	      same_blob(copy.key_blob, copy.key_blob_len, c.key_blob,
			c.key_blob_len));
	nd_kube_creds_deinit(&copy);
	nd_kube_creds_deinit(&c);
	CHECK(is_zero(&c, sizeof(c)));
	return 0;
}
