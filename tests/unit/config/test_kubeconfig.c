/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/config/test_kubeconfig.c - kubeconfig and in-cluster credentials. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/kubeconfig.h"
#include "util/errors.h"

/* Each test gets its own directory under /tmp, removed by the teardown. */
struct dir {
	char path[64];
	char files[16][PATH_MAX];
	int n_files;
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/nd_kubeconfig_XXXXXX");
	if (mkdtemp(d->path) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;

	for (int i = 0; i < d->n_files; i++)
		unlink(d->files[i]);
	rmdir(d->path);
	free(d);
	return 0;
}

/* Write text to <dir>/name; returns the full path (owned by d). */
static const char *put_file(struct dir *d, const char *name, const char *text)
{
	char *p = d->files[d->n_files];
	char tmp[PATH_MAX];
	FILE *f;

	assert_true(d->n_files < 16);
	/* Through a local buffer: gcc cannot tell d->path from p. */
	snprintf(tmp, sizeof(tmp), "%s/%s", d->path, name);
	memcpy(p, tmp, strlen(tmp) + 1);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	d->n_files++;
	return p;
}

static void test_token_and_relative_ca(void **state)
{
	struct dir *d = *state;
	struct nd_kube_creds c;
	char err[256], want[PATH_MAX];
	const char *kc;

	put_file(d, "ca.pem", "-----BEGIN CERTIFICATE-----\n");
	kc = put_file(d, "config",
		      "apiVersion: v1\n"
		      "kind: Config\n"
		      "current-context: dev\n"
		      "contexts:\n"
		      "- name: other\n"
		      "  context: {cluster: nope, user: nope}\n"
		      "- name: dev\n"
		      "  context:\n"
		      "    cluster: c1\n"
		      "    user: u1\n"
		      "    namespace: kube-system\n"
		      "clusters:\n"
		      "- name: c1\n"
		      "  cluster:\n"
		      "    server: https://127.0.0.1:6443/\n"
		      "    certificate-authority: ca.pem\n"
		      "users:\n"
		      "- name: u1\n"
		      "  user:\n"
		      "    token: \"abc.def\"\n");
	assert_int_equal(nd_kubeconfig_load(kc, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://127.0.0.1:6443");
	snprintf(want, sizeof(want), "%s/ca.pem", d->path);
	assert_string_equal(c.ca_file, want);
	assert_null(c.ca_blob);
	assert_string_equal(c.token, "abc.def");
	assert_null(c.token_file);
	assert_null(c.cert_file);
	assert_null(c.cert_blob);
	assert_false(c.skip_verify);
	nd_kube_creds_deinit(&c);
	assert_null(c.server);
	nd_kube_creds_deinit(&c); /* twice is fine */
	nd_kube_creds_deinit(NULL);
}

static void test_data_fields(void **state)
{
	struct dir *d = *state;
	struct nd_kube_creds c, copy;
	char err[256];
	const char *kc;

	/* "CA-PEM\n", "CERT", "KEY!" in base64, one value wrapped on two lines. */
	kc = put_file(d, "config",
		      "current-context: x\n"
		      "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		      "clusters:\n"
		      "- name: c\n"
		      "  cluster:\n"
		      "    server: http://127.0.0.1:8001/proxy/prefix\n"
		      "    certificate-authority: /nonexistent/ignored.pem\n"
		      "    certificate-authority-data: |\n"
		      "      Q0Et\n"
		      "      UEVNCg==\n"
		      "    insecure-skip-tls-verify: true\n"
		      "users:\n"
		      "- name: u\n"
		      "  user:\n"
		      "    client-certificate-data: Q0VSVA==\n"
		      "    client-key-data: S0VZIQ\n");
	assert_int_equal(nd_kubeconfig_load(kc, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "http://127.0.0.1:8001/proxy/prefix");
	assert_null(c.ca_file); /* the data wins; nothing was written to disk */
	assert_int_equal(c.ca_blob_len, 7);
	assert_memory_equal(c.ca_blob, "CA-PEM\n", 7);
	assert_int_equal(c.cert_blob_len, 4);
	assert_memory_equal(c.cert_blob, "CERT", 4);
	assert_int_equal(c.key_blob_len, 4);
	assert_memory_equal(c.key_blob, "KEY!", 4);
	assert_null(c.token);
	assert_true(c.skip_verify);

	assert_int_equal(nd_kube_creds_copy(&copy, &c), 0);
	nd_kube_creds_deinit(&c);
	assert_string_equal(copy.server, "http://127.0.0.1:8001/proxy/prefix");
	assert_memory_equal(copy.key_blob, "KEY!", 4);
	assert_int_equal(copy.ca_blob_len, 7);
	assert_true(copy.skip_verify);
	nd_kube_creds_deinit(&copy);
	assert_int_equal(nd_kube_creds_copy(NULL, &c), -EINVAL);
}

static void test_client_cert_files(void **state)
{
	struct dir *d = *state;
	struct nd_kube_creds c;
	char err[256], want[PATH_MAX];
	const char *kc;

	put_file(d, "crt.pem", "cert\n");
	put_file(d, "key.pem", "key\n");
	kc = put_file(d, "config",
		      "current-context: x\n"
		      "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		      "clusters: [{name: c, cluster: {server: 'https://[::1]:6443'}}]\n"
		      "users: [{name: u, user: {client-certificate: crt.pem, client-key: ./key.pem}}]\n");
	assert_int_equal(nd_kubeconfig_load(kc, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://[::1]:6443");
	snprintf(want, sizeof(want), "%s/crt.pem", d->path);
	assert_string_equal(c.cert_file, want);
	snprintf(want, sizeof(want), "%s/./key.pem", d->path);
	assert_string_equal(c.key_file, want);
	nd_kube_creds_deinit(&c);
}

static void test_token_file(void **state)
{
	struct dir *d = *state;
	struct nd_kube_creds c;
	char err[256], want[PATH_MAX];
	const char *kc;

	put_file(d, "tok", "file-token\n");
	kc = put_file(d, "config",
		      "current-context: x\n"
		      "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		      "clusters: [{name: c, cluster: {server: http://127.0.0.1:1}}]\n"
		      "users: [{name: u, user: {token: inline, tokenFile: tok}}]\n");
	assert_int_equal(nd_kubeconfig_load(kc, &c, err, sizeof(err)), 0);
	/* Both are kept; the transport prefers the file, which can rotate. */
	assert_string_equal(c.token, "inline");
	snprintf(want, sizeof(want), "%s/tok", d->path);
	assert_string_equal(c.token_file, want);
	nd_kube_creds_deinit(&c);

	/* A tokenFile that is not there fails now, naming the file. */
	kc = put_file(d, "config2",
		      "current-context: x\n"
		      "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		      "clusters: [{name: c, cluster: {server: http://127.0.0.1:1}}]\n"
		      "users: [{name: u, user: {tokenFile: missing-token}}]\n");
	assert_int_equal(nd_kubeconfig_load(kc, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing-token"));
	assert_non_null(strstr(err, "config2"));
	assert_null(c.server); /* nothing left behind */
}

static void expect_error(struct dir *d, const char *text, int want_rc,
			 const char *want_msg)
{
	struct nd_kube_creds c;
	char err[256];
	const char *kc = put_file(d, "bad", text);

	assert_int_equal(nd_kubeconfig_load(kc, &c, err, sizeof(err)), want_rc);
	if (strstr(err, want_msg) == NULL || strstr(err, kc) == NULL)
		fail_msg("error \"%s\" lacks \"%s\" or the path", err, want_msg);
	assert_null(c.server);
	unlink(kc);
	d->n_files--;
}

static void test_errors(void **state)
{
	struct dir *d = *state;
	struct nd_kube_creds c;
	char err[256];

	expect_error(d, "current-context: [unclosed\n", ND_EPARSE, "line ");
	expect_error(d, "a: b\n  c: d\n", ND_EPARSE, "line 2");
	expect_error(d, "- just\n- a list\n", ND_EPARSE, "not a kubeconfig");
	expect_error(d, "", ND_EPARSE, "not a kubeconfig");
	expect_error(d, "clusters: []\n", ND_EPARSE, "no current-context");
	expect_error(d,
		     "current-context: gone\n"
		     "contexts: [{name: x, context: {cluster: c}}]\n",
		     ND_EPARSE, "context \"gone\" not found");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c}}]\n"
		     "clusters: [{name: d, cluster: {server: http://a}}]\n",
		     ND_EPARSE, "cluster \"c\" not found");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c}}]\n"
		     "clusters: [{name: c, cluster: {insecure-skip-tls-verify: true}}]\n",
		     ND_EPARSE, "has no server");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c}}]\n"
		     "clusters: [{name: c, cluster: {server: ftp://a}}]\n",
		     ND_EPARSE, "not an http");
	/* Found by fuzz_kubeconfig: a scheme without a host became "https:". */
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c}}]\n"
		     "clusters: [{name: c, cluster: {server: 'https://'}}]\n",
		     ND_EPARSE, "server \"https://\" has no host");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c}}]\n"
		     "clusters: [{name: c, cluster: {server: 'http:///api'}}]\n",
		     ND_EPARSE, "has no host");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c}}]\n"
		     "clusters: [{name: c, cluster: {server: http://a, certificate-authority-data: '@@@'}}]\n",
		     ND_EPARSE, "certificate-authority-data is not valid base64");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c}}]\n"
		     "clusters: [{name: c, cluster: {server: http://a, certificate-authority: no-such.pem}}]\n",
		     -ENOENT, "no-such.pem");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c}}]\n"
		     "clusters: [{name: c, cluster: {server: http://a, insecure-skip-tls-verify: maybe}}]\n",
		     ND_EPARSE, "not a boolean");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		     "clusters: [{name: c, cluster: {server: http://a}}]\n",
		     ND_EPARSE, "user \"u\" not found");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		     "clusters: [{name: c, cluster: {server: http://a}}]\n"
		     "users: [{name: u, user: {client-certificate-data: Q0VSVA==}}]\n",
		     ND_EPARSE, "without a client key");
	expect_error(d,
		     "current-context: x\n"
		     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		     "clusters: [{name: c, cluster: {server: http://a}}]\n"
		     "users: [{name: u, user: {exec: {command: aws}}}]\n",
		     ND_EPARSE, "exec");

	assert_int_equal(nd_kubeconfig_load("/nonexistent/kubeconfig", &c, err,
					    sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/kubeconfig"));
	assert_int_equal(nd_kubeconfig_load(NULL, &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(nd_kubeconfig_load("x", NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(nd_kubeconfig_load(d->path, &c, NULL, 0), -EISDIR);
}

static void test_in_cluster(void **state)
{
	struct dir *d = *state;
	struct nd_kube_creds c;
	char err[256], want[PATH_MAX];

	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_int_equal(nd_kube_creds_in_cluster(&c, d->path, err, sizeof(err)),
			 ND_ENOTFOUND);

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(nd_kube_creds_in_cluster(&c, d->path, err, sizeof(err)),
			 -ENOENT); /* no token yet */
	assert_non_null(strstr(err, "/token"));

	put_file(d, "token", "sa-token");
	assert_int_equal(nd_kube_creds_in_cluster(&c, d->path, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://10.96.0.1:443");
	snprintf(want, sizeof(want), "%s/token", d->path);
	assert_string_equal(c.token_file, want);
	assert_null(c.ca_file); /* no ca.crt: system CAs */
	nd_kube_creds_deinit(&c);

	put_file(d, "ca.crt", "ca");
	setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
	assert_int_equal(nd_kube_creds_in_cluster(&c, d->path, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://[fd00:10:96::1]:443");
	snprintf(want, sizeof(want), "%s/ca.crt", d->path);
	assert_string_equal(c.ca_file, want);
	nd_kube_creds_deinit(&c);

	setenv("KUBERNETES_SERVICE_PORT", "https", 1);
	assert_int_equal(nd_kube_creds_in_cluster(&c, d->path, err, sizeof(err)),
			 ND_EPARSE);
	assert_int_equal(nd_kube_creds_in_cluster(NULL, d->path, err, sizeof(err)),
			 -EINVAL);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_and_relative_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_cert_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_cluster, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
