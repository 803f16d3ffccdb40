/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for config/config.c: defaults, flags, file, errors, finalize. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/errors.h"
#include "util/log.h"
#include "version.h"

/* ---- helpers ------------------------------------------------------------ */

/* Temp files made by a test, removed by teardown. */
static char *tmp_paths[16];
static size_t n_tmp;

static const char *write_tmp(const char *content)
{
	char path[] = "/tmp/nd_test_config_XXXXXX";
	int fd = mkstemp(path);
	size_t len = strlen(content);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	assert_true(n_tmp < sizeof(tmp_paths) / sizeof(tmp_paths[0]));
	tmp_paths[n_tmp] = strdup(path);
	assert_non_null(tmp_paths[n_tmp]);
	return tmp_paths[n_tmp++];
}

static int teardown(void **state)
{
	struct nd_config *c = *state;

	for (size_t i = 0; i < n_tmp; i++) {
		unlink(tmp_paths[i]);
		free(tmp_paths[i]);
	}
	n_tmp = 0;
	nd_config_deinit(c);
	free(c);
	return 0;
}

static int setup(void **state)
{
	struct nd_config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	nd_config_init(c);
	*state = c;
	return 0;
}

static char err[ND_CONFIG_ERRLEN];

/* nd_config_load over a NULL-terminated list of arguments. */
#define LOAD(c, ...)                                                       \
	load_args((c), (const char *[]){ "nodedns", __VA_ARGS__, NULL })
#define LOAD0(c) load_args((c), (const char *[]){ "nodedns", NULL })

static int load_args(struct nd_config *c, const char **args)
{
	int argc = 0;

	while (args[argc] != NULL)
		argc++;
	err[0] = '\0';
	return nd_config_load(c, argc, (char **)args, err, sizeof(err));
}

static void assert_addr(const struct sockaddr_storage *ss, const char *want)
{
	char buf[ND_ADDR_STRLEN];

	assert_int_equal(nd_addr_format((const struct sockaddr *)ss, buf,
					sizeof(buf)),
			 0);
	assert_string_equal(buf, want);
}

static void assert_cidr(const struct nd_cidr *got, const char *want)
{
	struct nd_cidr w;

	assert_int_equal(nd_cidr_parse(want, &w), 0);
	assert_int_equal(got->family, w.family);
	assert_int_equal(got->prefix, w.prefix);
	assert_memory_equal(got->addr, w.addr, 16);
}

#define assert_err_contains(s)                                           \
	do {                                                             \
		if (strstr(err, (s)) == NULL)                            \
			fail_msg("error '%s' lacks '%s'", err, (s));      \
	} while (0)

/* A resolv.conf with one usable nameserver, for loads without --upstream. */
static const char *resolv_one(void)
{
	return write_tmp("nameserver 192.0.2.53\n");
}

/* ---- defaults ----------------------------------------------------------- */

static void test_defaults_init(void **state)
{
	struct nd_config *c = *state;

	assert_null(c->config_file);
	assert_int_equal(c->n_listen, 1);
	assert_addr(&c->listen[0], "127.0.0.1:53");
	assert_addr(&c->http_listen, "127.0.0.1:9153");
	assert_int_equal(c->n_upstreams, 0);
	assert_string_equal(c->resolv_conf, "/etc/resolv.conf");
	assert_string_equal(c->cluster_domain, "cluster.local");
	assert_null(c->kube_api);
	assert_null(c->kubeconfig);
	assert_null(c->kube_token_file);
	assert_null(c->kube_ca_file);
	assert_null(c->kube_snapshot);
	assert_null(c->hosts_file);
	assert_int_equal(c->hosts_ttl_s, 60);
	assert_int_equal(c->pods, ND_PODS_INSECURE);
	assert_int_equal(c->ttl_s, 5);
	assert_int_equal(c->threads, 0);
	assert_int_equal(c->n_allow, 0);
	assert_int_equal(c->cache_bytes, 64 * 1024 * 1024);
	assert_int_equal(c->cache_min_ttl_s, 0);
	assert_int_equal(c->cache_max_ttl_s, 86400);
	assert_int_equal(c->cache_neg_max_ttl_s, 3600);
	assert_int_equal(c->stale_s, 86400);
	assert_int_equal(c->upstream_timeout_ms, 1000);
	assert_int_equal(c->query_timeout_ms, 4000);
	assert_int_equal(c->tcp_max_conns, 256);
	assert_int_equal(c->tcp_idle_timeout_ms, 10000);
	assert_int_equal(c->log_level, ND_LOG_INFO);
}

static void test_defaults_load(void **state)
{
	struct nd_config *c = *state;
	const char *rc = resolv_one();

	/* Only the resolv.conf path changes: everything else keeps its
	 * default, and finalize fills upstreams and the allow list. */
	assert_int_equal(LOAD(c, "--resolv-conf", rc), 0);
	assert_int_equal(c->n_listen, 1);
	assert_addr(&c->listen[0], "127.0.0.1:53");
	assert_int_equal(c->n_upstreams, 1);
	assert_addr(&c->upstreams[0], "192.0.2.53:53");
	assert_int_equal(c->n_allow, 9);
	assert_null(c->config_file);
}

static void test_default_allow_list(void **state)
{
	struct nd_config *c = *state;
	static const char *const want[] = {
		"127.0.0.0/8",	  "::1/128",	    "10.0.0.0/8",
		"172.16.0.0/12",  "192.168.0.0/16", "169.254.0.0/16",
		"fc00::/7",	  "fe80::/10",	    "100.64.0.0/10",
	};

	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1"), 0);
	assert_int_equal(c->n_allow, 9);
	for (size_t i = 0; i < 9; i++)
		assert_cidr(&c->allow[i], want[i]);
}

static void test_allow_given_no_defaults(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--allow",
			      "10.1.0.0/16", "--allow", "2001:db8::/32",
			      "--allow", "192.0.2.7"),
			 0);
	assert_int_equal(c->n_allow, 3);
	assert_cidr(&c->allow[0], "10.1.0.0/16");
	assert_cidr(&c->allow[1], "2001:db8::/32");
	assert_cidr(&c->allow[2], "192.0.2.7/32");
}

/* ---- every option ------------------------------------------------------- */

static void check_all_set(const struct nd_config *c, const char *rc)
{
	assert_int_equal(c->n_listen, 2);
	assert_addr(&c->listen[0], "10.0.0.10:5353");
	assert_addr(&c->listen[1], "[fd00::a]:53");
	assert_addr(&c->http_listen, "0.0.0.0:8080");
	assert_int_equal(c->n_upstreams, 2);
	assert_addr(&c->upstreams[0], "192.0.2.1:53");
	assert_addr(&c->upstreams[1], "[2001:db8::1]:5300");
	assert_string_equal(c->resolv_conf, rc);
	assert_string_equal(c->cluster_domain, "k8s.example.org");
	assert_string_equal(c->kube_api, "https://10.96.0.1:443");
	assert_string_equal(c->kubeconfig, "/root/.kube/config");
	assert_string_equal(c->kube_token_file, "/var/run/token");
	assert_string_equal(c->kube_ca_file, "/var/run/ca.crt");
	assert_string_equal(c->kube_snapshot, "/tmp/snap.json");
	assert_int_equal(c->pods, ND_PODS_VERIFIED);
	assert_int_equal(c->ttl_s, 30);
	assert_int_equal(c->threads, 4);
	assert_int_equal(c->n_allow, 1);
	assert_cidr(&c->allow[0], "10.0.0.0/8");
	assert_int_equal(c->cache_bytes, 128 * 1024 * 1024);
	assert_int_equal(c->cache_min_ttl_s, 10);
	assert_int_equal(c->cache_max_ttl_s, 600);
	assert_int_equal(c->cache_neg_max_ttl_s, 60);
	assert_int_equal(c->stale_s, 0);
	assert_int_equal(c->upstream_timeout_ms, 300);
	assert_int_equal(c->query_timeout_ms, 2000);
	assert_int_equal(c->tcp_max_conns, 1000);
	assert_int_equal(c->tcp_idle_timeout_ms, 5000);
	assert_int_equal(c->log_level, ND_LOG_DEBUG);
}

static void test_every_option_by_flag(void **state)
{
	struct nd_config *c = *state;
	const char *rc = resolv_one();

	assert_int_equal(
		LOAD(c, "--listen", "10.0.0.10:5353", "--listen", "[fd00::a]",
		     "--http-listen", "0.0.0.0:8080", "--upstream", "192.0.2.1",
		     "--upstream", "[2001:db8::1]:5300", "--resolv-conf", rc,
		     "--cluster-domain", "K8s.Example.ORG.", "--kube-api",
		     "https://10.96.0.1:443", "--kubeconfig",
		     "/root/.kube/config", "--kube-token-file",
		     "/var/run/token", "--kube-ca-file", "/var/run/ca.crt",
		     "--kube-snapshot", "/tmp/snap.json", "--pods", "verified",
		     "--ttl", "30",
		     "--threads", "4", "--allow", "10.0.0.0/8", "--cache-size",
		     "128m", "--cache-min-ttl", "10", "--cache-max-ttl", "600",
		     "--cache-neg-max-ttl", "60", "--stale-ttl", "0",
		     "--upstream-timeout", "300", "--query-timeout", "2000",
		     "--tcp-max-conns", "1000", "--tcp-idle-timeout", "5000",
		     "--log-level", "debug"),
		0);
	check_all_set(c, rc);
}

static void test_every_option_equals_form(void **state)
{
	struct nd_config *c = *state;
	const char *rc = resolv_one();
	char rcopt[300];

	snprintf(rcopt, sizeof(rcopt), "--resolv-conf=%s", rc);
	assert_int_equal(
		LOAD(c, "--listen=10.0.0.10:5353", "--listen=[fd00::a]",
		     "--http-listen=0.0.0.0:8080", "--upstream=192.0.2.1",
		     "--upstream=[2001:db8::1]:5300", rcopt,
		     "--cluster-domain=k8s.example.org",
		     "--kube-api=https://10.96.0.1:443",
		     "--kubeconfig=/root/.kube/config",
		     "--kube-token-file=/var/run/token",
		     "--kube-ca-file=/var/run/ca.crt",
		     "--kube-snapshot=/tmp/snap.json", "--pods=verified",
		     "--ttl=30", "--threads=4", "--allow=10.0.0.0/8",
		     "--cache-size=131072k", "--cache-min-ttl=10",
		     "--cache-max-ttl=600", "--cache-neg-max-ttl=60",
		     "--stale-ttl=0", "--upstream-timeout=300",
		     "--query-timeout=2000", "--tcp-max-conns=1000",
		     "--tcp-idle-timeout=5000", "--log-level=debug"),
		0);
	check_all_set(c, rc);
}

static void test_every_option_by_file(void **state)
{
	struct nd_config *c = *state;
	const char *rc = resolv_one();
	char text[2048];
	const char *path;

	snprintf(text, sizeof(text),
		 "# nodedns test configuration\n"
		 "\n"
		 "listen 10.0.0.10:5353\n"
		 "  listen\t[fd00::a]   # the pod network side\n"
		 "http-listen 0.0.0.0:8080\n"
		 "upstream 192.0.2.1\n"
		 "upstream [2001:db8::1]:5300\n"
		 "resolv-conf %s\n"
		 "cluster-domain k8s.example.org.\n"
		 "kube-api https://10.96.0.1:443\n"
		 "kubeconfig /root/.kube/config\n"
		 "kube-token-file /var/run/token\n"
		 "kube-ca-file /var/run/ca.crt\n"
		 "kube-snapshot /tmp/snap.json\n"
		 "pods verified\n"
		 "ttl 30\r\n"
		 "threads 4\n"
		 "allow 10.0.0.0/8\n"
		 "cache-size 128M\n"
		 "cache-min-ttl 10\n"
		 "cache-max-ttl 600\n"
		 "cache-neg-max-ttl 60\n"
		 "stale-ttl 0\n"
		 "upstream-timeout 300\n"
		 "query-timeout 2000\n"
		 "tcp-max-conns 1000\n"
		 "tcp-idle-timeout 5000\n"
		 "log-level debug", /* no final newline */
		 rc);
	path = write_tmp(text);
	assert_int_equal(LOAD(c, "-c", path), 0);
	assert_string_equal(c->config_file, path);
	check_all_set(c, rc);
}

static void test_parse_file_direct(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("ttl 7\nlisten 127.0.0.2\n");

	assert_int_equal(nd_config_parse_file(c, path, err, sizeof(err)), 0);
	assert_int_equal(c->ttl_s, 7);
	/* The file's list replaced the built-in default listener. */
	assert_int_equal(c->n_listen, 1);
	assert_addr(&c->listen[0], "127.0.0.2:53");
}

static void test_short_config_forms(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("upstream 192.0.2.9\nttl 9\n");
	char opt[300];

	snprintf(opt, sizeof(opt), "-c%s", path);
	assert_int_equal(LOAD(c, opt), 0);
	assert_int_equal(c->ttl_s, 9);
	nd_config_deinit(c);
	nd_config_init(c);
	snprintf(opt, sizeof(opt), "--config=%s", path);
	assert_int_equal(LOAD(c, opt), 0);
	assert_int_equal(c->ttl_s, 9);
	assert_addr(&c->upstreams[0], "192.0.2.9:53");
}

static void test_cmdline_wins_over_file(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("ttl 60\n"
				     "upstream 192.0.2.1\n"
				     "pods disabled\n"
				     "log-level warn\n");

	/* The file is read first even when -c comes after the options. */
	assert_int_equal(LOAD(c, "--ttl", "120", "--log-level", "error",
			      "--config", path),
			 0);
	assert_int_equal(c->ttl_s, 120);
	assert_int_equal(c->log_level, ND_LOG_ERROR);
	assert_int_equal(c->pods, ND_PODS_DISABLED); /* from the file */
}

static void test_lists_replace(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("listen 127.0.0.1:5301\n"
				     "listen 127.0.0.1:5302\n"
				     "upstream 192.0.2.1\n"
				     "upstream 192.0.2.2\n"
				     "allow 10.0.0.0/8\n"
				     "allow 192.168.0.0/16\n");

	/* The file's lists replace the defaults... */
	assert_int_equal(LOAD(c, "-c", path), 0);
	assert_int_equal(c->n_listen, 2);
	assert_int_equal(c->n_upstreams, 2);
	assert_int_equal(c->n_allow, 2);

	/* ...and the command line's lists replace the file's, each list
	 * on its own: listen is not given, so the file's stays. */
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.7", "-c", path,
			      "--allow", "172.16.0.0/12", "--upstream",
			      "192.0.2.8:5353"),
			 0);
	assert_int_equal(c->n_listen, 2);
	assert_addr(&c->listen[0], "127.0.0.1:5301");
	assert_addr(&c->listen[1], "127.0.0.1:5302");
	assert_int_equal(c->n_upstreams, 2);
	assert_addr(&c->upstreams[0], "192.0.2.7:53");
	assert_addr(&c->upstreams[1], "192.0.2.8:5353");
	assert_int_equal(c->n_allow, 1);
	assert_cidr(&c->allow[0], "172.16.0.0/12");
}

static void test_cluster_domain(void **state)
{
	struct nd_config *c = *state;
	char label63[64], label64[65], name[300];

	assert_int_equal(nd_config_set(c, "cluster-domain", "Cluster.Local.",
				       err, sizeof(err)),
			 0);
	assert_string_equal(c->cluster_domain, "cluster.local");
	assert_int_equal(nd_config_set(c, "cluster-domain", "my-zone", err,
				       sizeof(err)),
			 0);
	assert_string_equal(c->cluster_domain, "my-zone");

	memset(label63, 'a', 63);
	label63[63] = '\0';
	memset(label64, 'b', 64);
	label64[64] = '\0';
	assert_int_equal(nd_config_set(c, "cluster-domain", label63, err,
				       sizeof(err)),
			 0);
	assert_int_equal(nd_config_set(c, "cluster-domain", label64, err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_err_contains("label too long");
	assert_err_contains("cluster-domain");

	/* 4 x 63 + 3 dots = 255 > 253; 3 x 63 + 61 + 3 dots = 253. */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", label63, label63, label63,
		 label63);
	assert_int_equal(nd_config_set(c, "cluster-domain", name, err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_err_contains("too long");
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63,
		 label63, label63);
	assert_int_equal(strlen(name), 253);
	assert_int_equal(nd_config_set(c, "cluster-domain", name, err,
				       sizeof(err)),
			 0);
	assert_int_equal(strlen(c->cluster_domain), 253);
	/* 253 plus the trailing dot is still fine. */
	strcat(name, ".");
	assert_int_equal(nd_config_set(c, "cluster-domain", name, err,
				       sizeof(err)),
			 0);

	static const char *const bad[] = {
		".", "a..b", ".a", "a_b.local", "a b", "clu$ter", "a.b..",
		"\xc3\xa9.local",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nd_config_set(c, "cluster-domain", bad[i],
					       err, sizeof(err)),
				 ND_EPARSE);
		assert_err_contains("cluster-domain");
	}
	/* A refused value leaves the last good one. */
	assert_int_equal(strlen(c->cluster_domain), 253);
}

static void test_cache_size_suffixes(void **state)
{
	struct nd_config *c = *state;
	static const struct {
		const char *in;
		size_t want;
	} ok[] = {
		{ "65536", 65536 },
		{ "64k", 65536 },
		{ "64K", 65536 },
		{ "1m", 1 << 20 },
		{ "2M", 2 << 20 },
		{ "1g", (size_t)1 << 30 },
		{ "3G", (size_t)3 << 30 },
	};
	static const char *const bad[] = {
		"", "k", "64kb", "1.5m", "-1m", "+64k", " 64k", "64 k",
		"0x10000", "1t", "63k", "65535", "99999999999999999999g",
		"18014398509481984k",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(nd_config_set(c, "cache-size", ok[i].in, err,
					       sizeof(err)),
				 0);
		assert_int_equal(c->cache_bytes, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nd_config_set(c, "cache-size", bad[i], err,
					       sizeof(err)),
				 ND_EPARSE);
		assert_err_contains("cache-size");
		if (bad[i][0] != '\0')
			assert_err_contains("64k");
	}
	assert_int_equal(c->cache_bytes, (size_t)3 << 30);
}

static void test_number_ranges(void **state)
{
	struct nd_config *c = *state;
	static const struct {
		const char *key, *lo, *hi, *below, *above, *range;
	} r[] = {
		{ "ttl", "0", "3600", NULL, "3601", "0..3600" },
		{ "threads", "0", "256", NULL, "257", "0..256" },
		{ "upstream-timeout", "50", "30000", "49", "30001",
		  "50..30000" },
		{ "query-timeout", "100", "60000", "99", "60001",
		  "100..60000" },
		{ "tcp-max-conns", "1", "65535", "0", "65536", "1..65535" },
		{ "tcp-idle-timeout", "100", "600000", "99", "600001",
		  "100..600000" },
		{ "cache-min-ttl", "0", "86400", NULL, "86401", "0..86400" },
		{ "cache-max-ttl", "1", "604800", "0", "604801",
		  "1..604800" },
		{ "cache-neg-max-ttl", "0", "86400", NULL, "86401",
		  "0..86400" },
		{ "stale-ttl", "0", "604800", NULL, "604801", "0..604800" },
	};
	static const char *const junk[] = {
		"", "abc", "12abc", "1.5", "-1", "+1", " 1", "1 ", "0x10",
		"1e3", "99999999999999999999999",
	};

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		assert_int_equal(nd_config_set(c, r[i].key, r[i].lo, err,
					       sizeof(err)),
				 0);
		assert_int_equal(nd_config_set(c, r[i].key, r[i].hi, err,
					       sizeof(err)),
				 0);
		assert_int_equal(nd_config_set(c, r[i].key, r[i].above, err,
					       sizeof(err)),
				 ND_EPARSE);
		assert_err_contains("out of range");
		assert_err_contains(r[i].key);
		assert_err_contains(r[i].range);
		if (r[i].below != NULL) {
			assert_int_equal(nd_config_set(c, r[i].key,
						       r[i].below, err,
						       sizeof(err)),
					 ND_EPARSE);
			assert_err_contains(r[i].range);
		}
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			assert_int_equal(nd_config_set(c, r[i].key, junk[j],
						       err, sizeof(err)),
					 ND_EPARSE);
			assert_err_contains(r[i].key);
		}
	}
	/* Values stay at the last accepted one. */
	assert_int_equal(c->ttl_s, 3600);
	assert_int_equal(c->tcp_max_conns, 65535);
	assert_int_equal(c->stale_s, 604800);
}

static void test_enums(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(nd_config_set(c, "pods", "disabled", err,
				       sizeof(err)),
			 0);
	assert_int_equal(c->pods, ND_PODS_DISABLED);
	assert_int_equal(nd_config_set(c, "pods", "insecure", err,
				       sizeof(err)),
			 0);
	assert_int_equal(c->pods, ND_PODS_INSECURE);
	assert_int_equal(nd_config_set(c, "pods", "Verified", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_err_contains("disabled, insecure or verified");

	assert_int_equal(nd_config_set(c, "log-level", "warn", err,
				       sizeof(err)),
			 0);
	assert_int_equal(c->log_level, ND_LOG_WARN);
	assert_int_equal(nd_config_set(c, "log-level", "verbose", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_err_contains("log-level");
	assert_int_equal(c->log_level, ND_LOG_WARN);
}

static void test_kube_api_url(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(nd_config_set(c, "kube-api", "http://127.0.0.1:8001",
				       err, sizeof(err)),
			 0);
	assert_string_equal(c->kube_api, "http://127.0.0.1:8001");
	assert_int_equal(nd_config_set(c, "kube-api",
				       "https://kubernetes.default.svc", err,
				       sizeof(err)),
			 0);
	assert_string_equal(c->kube_api, "https://kubernetes.default.svc");
	static const char *const bad[] = {
		"127.0.0.1:8001", "ftp://x", "http://", "https:///api",
		"http:/x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nd_config_set(c, "kube-api", bad[i], err,
					       sizeof(err)),
				 ND_EPARSE);
		assert_err_contains("kube-api");
	}
	assert_string_equal(c->kube_api, "https://kubernetes.default.svc");
}

/* --debug-listen: its own default port, and not on http-listen's. */
static void test_debug_listen(void **state)
{
	struct nd_config *c = *state;

	assert_addr(&c->debug_listen, "127.0.0.1:9154");
	assert_null(c->control_token_file);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--debug-listen",
			      "10.0.0.7", "--control-token", "/run/tok"),
			 0);
	assert_addr(&c->debug_listen, "10.0.0.7:9154");
	assert_string_equal(c->control_token_file, "/run/tok");
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--debug-listen",
			      "127.0.0.1:9153"),
			 ND_EPARSE);
	assert_string_equal(err, "debug-listen 127.0.0.1:9153 and http-listen "
				 "127.0.0.1:9153 overlap: give them different "
				 "ports");
	/* A wildcard on one takes the port on every address. */
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--http-listen",
			      "0.0.0.0:9200", "--debug-listen",
			      "127.0.0.1:9200"),
			 ND_EPARSE);
	assert_int_equal(nd_config_set(c, "debug-listen", "nowhere:x", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_string_equal(err, "bad address 'nowhere:x' for debug-listen "
				 "(want ADDR[:PORT])");
}

static void test_addresses(void **state)
{
	struct nd_config *c = *state;
	char spec[32];

	assert_int_equal(nd_config_set(c, "http-listen", "[::1]", err,
				       sizeof(err)),
			 0);
	assert_addr(&c->http_listen, "[::1]:9153");
	assert_int_equal(nd_config_set(c, "upstream", "1.2.3.400", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_string_equal(err, "bad address '1.2.3.400' for upstream "
				 "(want ADDR[:PORT])");
	assert_int_equal(nd_config_set(c, "listen", "127.0.0.1:0", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_int_equal(nd_config_set(c, "listen", "127.0.0.1:65536", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_int_equal(nd_config_set(c, "listen", "localhost", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_int_equal(nd_config_set(c, "upstream", "0.0.0.0", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_int_equal(nd_config_set(c, "allow", "10.0.0.0/33", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_err_contains("bad network '10.0.0.0/33' for allow");

	/* Duplicates and overflow. */
	assert_int_equal(nd_config_set(c, "listen", "127.0.0.1", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_err_contains("duplicate");
	for (int i = 2; c->n_listen < ND_MAX_LISTEN; i++) {
		snprintf(spec, sizeof(spec), "127.0.0.%d", i);
		assert_int_equal(nd_config_set(c, "listen", spec, err,
					       sizeof(err)),
				 0);
	}
	assert_int_equal(nd_config_set(c, "listen", "127.0.1.1", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_err_contains("too many");
	for (int i = 1; c->n_upstreams < ND_MAX_UPSTREAMS; i++) {
		snprintf(spec, sizeof(spec), "192.0.2.%d", i);
		assert_int_equal(nd_config_set(c, "upstream", spec, err,
					       sizeof(err)),
				 0);
	}
	assert_int_equal(nd_config_set(c, "upstream", "198.51.100.1", err,
				       sizeof(err)),
			 ND_EPARSE);
	for (int i = 0; c->n_allow < ND_MAX_ALLOW; i++) {
		snprintf(spec, sizeof(spec), "10.%d.0.0/16", i);
		assert_int_equal(nd_config_set(c, "allow", spec, err,
					       sizeof(err)),
				 0);
	}
	assert_int_equal(nd_config_set(c, "allow", "10.200.0.0/16", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_int_equal(c->n_allow, ND_MAX_ALLOW);
}

static void test_set_bad_args(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(nd_config_set(NULL, "ttl", "1", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(nd_config_set(c, NULL, "1", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(nd_config_set(c, "ttl", NULL, err, sizeof(err)),
			 -EINVAL);
	/* err may be NULL: the code still tells what happened. */
	assert_int_equal(nd_config_set(c, "ttl", "x", NULL, 0), ND_EPARSE);
	assert_int_equal(nd_config_set(c, "ttl", "", err, sizeof(err)),
			 ND_EPARSE);
	assert_err_contains("missing value for ttl");
	assert_int_equal(nd_config_set(c, "upstrem", "1.1.1.1", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_string_equal(err, "unknown option 'upstrem'");
	assert_int_equal(nd_config_set(c, "config", "/x", err, sizeof(err)),
			 ND_EPARSE);
	assert_int_equal(nd_config_parse_file(NULL, "/x", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(nd_config_parse_file(c, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(nd_config_finalize(NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(nd_config_load(NULL, 0, NULL, err, sizeof(err)),
			 -EINVAL);
}

/* ---- file errors -------------------------------------------------------- */

static void expect_file_error(struct nd_config *c, const char *text,
			      unsigned line, const char *reason)
{
	const char *path = write_tmp(text);
	char want[ND_CONFIG_ERRLEN];

	snprintf(want, sizeof(want), "%s:%u: %s", path, line, reason);
	assert_int_equal(nd_config_parse_file(c, path, err, sizeof(err)),
			 ND_EPARSE);
	assert_string_equal(err, want);
}

static void test_file_errors(void **state)
{
	struct nd_config *c = *state;

	expect_file_error(c, "# comment\n\nttl 5\n\n\n\nupstrem 1.1.1.1\n", 7,
			  "unknown option 'upstrem'");
	expect_file_error(c, "ttl 5\n\nupstream 1.2.3.400\n", 3,
			  "bad address '1.2.3.400' for upstream "
			  "(want ADDR[:PORT])");
	expect_file_error(c, "upstream\n", 1, "missing value for upstream");
	expect_file_error(c, "ttl   # nothing\n", 1, "missing value for ttl");
	expect_file_error(c, "ttl abc\n", 1,
			  "bad number 'abc' for ttl (want 0..3600)");
	expect_file_error(c, "ttl 5 6\n", 1,
			  "bad number '5 6' for ttl (want 0..3600)");
	expect_file_error(c, "threads 300\n", 1,
			  "'300' out of range for threads (want 0..256)");
	expect_file_error(c, "cluster-domain a..b\n", 1,
			  "empty label in 'a..b' for cluster-domain (want "
			  "labels of 1-63 letters, digits or '-', 253 "
			  "characters in all)");
	expect_file_error(c, "config /etc/other.conf\n", 1,
			  "option 'config' is only for the command line");
	expect_file_error(c, "--ttl 5\n", 1, "unknown option '--ttl'");
	expect_file_error(c, "ttl=5\n", 1, "unknown option 'ttl=5'");
}

static void test_file_nul_and_long_lines(void **state)
{
	struct nd_config *c = *state;
	char path[] = "/tmp/nd_test_config_XXXXXX";
	char want[ND_CONFIG_ERRLEN];
	static const char nul[] = "ttl 5\nttl 6\0junk\n";
	char *text = malloc(4096 + 64);
	int fd;

	/* A NUL byte: written by hand, write_tmp stops at it. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, nul, sizeof(nul) - 1),
			 (ssize_t)(sizeof(nul) - 1));
	close(fd);
	assert_int_equal(nd_config_parse_file(c, path, err, sizeof(err)),
			 ND_EPARSE);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	assert_string_equal(err, want);
	unlink(path);

	/* Exactly 4096 bytes is allowed (a comment padded out), 4097 not. */
	assert_non_null(text);
	strcpy(text, "ttl 8 #");
	memset(text + 7, 'x', 4096 - 7);
	strcpy(text + 4096, "\n");
	const char *ok = write_tmp(text);
	assert_int_equal(nd_config_parse_file(c, ok, err, sizeof(err)), 0);
	assert_int_equal(c->ttl_s, 8);
	strcpy(text, "ttl 9\n#");
	memset(text + 7, 'x', 4097);
	strcpy(text + 7 + 4097, "\n");
	const char *longer = write_tmp(text);
	assert_int_equal(nd_config_parse_file(c, longer, err, sizeof(err)),
			 ND_EPARSE);
	snprintf(want, sizeof(want), "%s:2: line longer than 4096 bytes",
		 longer);
	assert_string_equal(err, want);
	free(text);
}

static void test_file_unreadable(void **state)
{
	struct nd_config *c = *state;
	static const char missing[] = "/tmp/nd_test_config_does_not_exist";
	char want[ND_CONFIG_ERRLEN];

	unlink(missing);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "-c", missing),
			 -ENOENT);
	snprintf(want, sizeof(want), "%s: %s", missing, strerror(ENOENT));
	assert_string_equal(err, want);

	/* A directory opens but does not read. */
	assert_int_equal(LOAD(c, "--config", "/tmp"), -EISDIR);
	snprintf(want, sizeof(want), "/tmp: %s", strerror(EISDIR));
	assert_string_equal(err, want);

	/* Without read permission (root reads anyway, so only as non-root). */
	if (geteuid() != 0) {
		const char *p = write_tmp("ttl 5\n");
		assert_int_equal(chmod(p, 0), 0);
		assert_int_equal(LOAD(c, "-c", p), -EACCES);
		assert_err_contains(strerror(EACCES));
	}
}

static void test_load_error_aborts_with_file_line(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("upstream 192.0.2.1\nttl 99999\n");
	char want[ND_CONFIG_ERRLEN];

	assert_int_equal(LOAD(c, "-c", path), ND_EPARSE);
	snprintf(want, sizeof(want),
		 "%s:2: '99999' out of range for ttl (want 0..3600)", path);
	assert_string_equal(err, want);
}

/* ---- command-line errors ------------------------------------------------ */

static void test_cmdline_errors(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(LOAD(c, "--upstrem", "1.1.1.1"), ND_EPARSE);
	assert_string_equal(err, "unknown option '--upstrem'");
	assert_int_equal(LOAD(c, "--upstrem=1.1.1.1"), ND_EPARSE);
	assert_string_equal(err, "unknown option '--upstrem'");
	assert_int_equal(LOAD(c, "-x"), ND_EPARSE);
	assert_string_equal(err, "unknown option '-x'");
	assert_int_equal(LOAD(c, "-hV"), ND_EPARSE);
	assert_int_equal(LOAD(c, "stray"), ND_EPARSE);
	assert_string_equal(err, "unexpected argument 'stray'");
	assert_int_equal(LOAD(c, "--"), ND_EPARSE);

	assert_int_equal(LOAD(c, "--upstream"), ND_EPARSE);
	assert_string_equal(err, "option --upstream: missing value");
	assert_int_equal(LOAD(c, "--upstream", "--ttl", "5"), ND_EPARSE);
	assert_string_equal(err, "option --upstream: missing value");
	assert_int_equal(LOAD(c, "--upstream="), ND_EPARSE);
	assert_string_equal(err, "option --upstream: missing value");
	assert_int_equal(LOAD(c, "-c"), ND_EPARSE);
	assert_string_equal(err, "option --config: missing value");
	assert_int_equal(LOAD(c, "--config="), ND_EPARSE);
	assert_string_equal(err, "option --config: missing value");
	assert_int_equal(LOAD(c, "--help=yes"), ND_EPARSE);
	assert_string_equal(err, "option --help: takes no value");

	assert_int_equal(LOAD(c, "--upstream", "1.2.3.400"), ND_EPARSE);
	assert_string_equal(err, "option --upstream: bad address '1.2.3.400' "
				 "(want ADDR[:PORT])");
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--ttl", "5s"),
			 ND_EPARSE);
	assert_string_equal(err, "option --ttl: bad number '5s' "
				 "(want 0..3600)");
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--threads=999"),
			 ND_EPARSE);
	assert_string_equal(err, "option --threads: '999' out of range "
				 "(want 0..256)");
	assert_int_equal(LOAD(c, "--cluster-domain", "bad_domain"),
			 ND_EPARSE);
	assert_err_contains("option --cluster-domain: bad character");
}

static void test_help_and_version(void **state)
{
	struct nd_config *c = *state;
	char path[] = "/tmp/nd_test_config_XXXXXX";
	char out[16384];
	int fd = mkstemp(path), saved;
	ssize_t n;

	/* Catch stdout in a file to see what was printed. */
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	/* --help wins even over a missing config file and bad options
	 * that follow it: it is handled before anything is read. */
	int rh = LOAD(c, "-c", "/nonexistent/nodedns.conf", "--help");
	int rv = LOAD(c, "-V");
	int rv2 = LOAD(c, "--version");
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	assert_int_equal(rh, 1);
	assert_int_equal(rv, 1);
	assert_int_equal(rv2, 1);
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "Usage: nodedns"));
	/* The release and the source revision (version.h). */
	assert_non_null(strstr(out, "nodedns " ND_VERSION_STRING "\nnodedns "
				    ND_VERSION_STRING "\n"));
	assert_non_null(strstr(out, "nodedns 0.1.0 ("));
	/* Nothing was read or changed. */
	assert_null(c->config_file);
	assert_int_equal(c->n_upstreams, 0);
}

static void test_usage_lists_everything(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	static const char *const want[] = {
		"-c, --config FILE", "--listen ADDR[:PORT]",
		"--http-listen ADDR[:PORT]", "--upstream ADDR[:PORT]",
		"--resolv-conf FILE", "--cluster-domain NAME",
		"--kube-api URL", "--kubeconfig FILE", "--kube-token-file FILE",
		"--kube-ca-file FILE", "--kube-snapshot FILE", "--pods MODE",
		"--hosts-file FILE", "--hosts-ttl SECONDS",
		"--ttl SECONDS", "--threads N", "--allow CIDR",
		"--cache-size BYTES", "--cache-min-ttl SECONDS",
		"--cache-max-ttl SECONDS", "--cache-neg-max-ttl SECONDS",
		"--stale-ttl SECONDS", "--upstream-timeout MS",
		"--query-timeout MS", "--tcp-max-conns N",
		"--tcp-idle-timeout MS", "--log-level LEVEL", "-h, --help",
		"-V, --version", "Default: 127.0.0.1:53",
		"Default: 127.0.0.1:9153", "Default: /etc/resolv.conf",
		"Default: cluster.local", "Default: insecure", "Default: 64m",
		"Default: 86400", "Default: 4000", "Default: 10000",
		"Default: info", "Usage: prog",
	};

	(void)state;
	assert_non_null(f);
	nd_config_usage(f, "prog");
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(buf, want[i]) == NULL)
			fail_msg("usage lacks '%s'", want[i]);
	free(buf);
}

/* ---- resolv.conf -------------------------------------------------------- */

static void test_upstreams_from_resolv_conf(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("search x\n"
				     "nameserver 192.0.2.1\n"
				     "nameserver 2001:db8::1\n");

	assert_int_equal(LOAD(c, "--resolv-conf", path), 0);
	assert_int_equal(c->n_upstreams, 2);
	assert_addr(&c->upstreams[0], "192.0.2.1:53");
	assert_addr(&c->upstreams[1], "[2001:db8::1]:53");
}

/* The search domains and ndots are read with the nameservers, into the
 * struct, even when --upstream makes the nameservers unneeded: the
 * search-list tracker and /debug/explain read them from there. */
static void test_resolv_conf_in_config(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("nameserver 192.0.2.1\n"
				     "search corp.example. lab.example\n"
				     "options rotate ndots:3\n");

	assert_int_equal(LOAD(c, "--resolv-conf", path, "--upstream",
			      "127.0.0.1:5300"),
			 0);
	assert_true(c->resolv.is_read);
	assert_int_equal(c->n_upstreams, 1);
	assert_addr(&c->upstreams[0], "127.0.0.1:5300");
	assert_int_equal(c->resolv.n_ns, 1);
	assert_int_equal(c->resolv.n_search, 2);
	assert_string_equal(c->resolv.search[0], "corp.example");
	assert_string_equal(c->resolv.search[1], "lab.example");
	assert_int_equal(c->resolv.ndots, 3);

	/* Unreadable while not needed: no error, nothing read. */
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "--resolv-conf",
			      "/tmp/nd_test_config_no_such_file", "--upstream",
			      "127.0.0.1:5300"),
			 0);
	assert_false(c->resolv.is_read);
	assert_int_equal(c->resolv.n_search, 0);
	assert_int_equal(c->resolv.ndots, 1);
}

static void test_resolv_conf_unreadable_or_empty(void **state)
{
	struct nd_config *c = *state;
	const char *empty = write_tmp("# nothing\nsearch example\n");

	assert_int_equal(LOAD(c, "--resolv-conf",
			      "/tmp/nd_test_config_no_such_file"),
			 -ENOENT);
	assert_err_contains("/tmp/nd_test_config_no_such_file");
	assert_err_contains("--upstream");

	assert_int_equal(LOAD(c, "--resolv-conf", empty), ND_EPARSE);
	assert_err_contains("no upstream left");
	assert_err_contains("--upstream");
}

/* ---- loops and finalize checks ------------------------------------------ */

/* ---- forward zones -------------------------------------------------------- */

static void test_forward_zones(void **state)
{
	struct nd_config *c = *state;
	const char *file;

	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--forward-zone",
			      "Corp.Internal.=127.0.0.1:5353,192.0.2.9",
			      "--forward-zone", "10.in-addr.arpa=192.0.2.10"),
			 0);
	assert_int_equal(c->n_zones, 2);
	assert_string_equal(c->zones[0].name, "corp.internal");
	assert_int_equal(c->zones[0].n_upstreams, 2);
	assert_addr(&c->zones[0].upstreams[0], "127.0.0.1:5353");
	assert_addr(&c->zones[0].upstreams[1], "192.0.2.9:53");
	/* The wire name is the lower-case one the resolver compares. */
	assert_int_equal(c->zones[0].wire_len, 15);
	assert_memory_equal(c->zones[0].wire, "\004corp\010internal", 15);
	assert_string_equal(c->zones[1].name, "10.in-addr.arpa");
	assert_false(c->zones[0].is_tcp);
	assert_false(c->forward_tcp);

	/* ",tcp" asks a zone over TCP only; --forward-tcp the default ones. */
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--forward-tcp",
			      "on", "--forward-zone",
			      "kube-dns.local=192.0.2.10,TCP"),
			 0);
	assert_true(c->forward_tcp);
	assert_true(c->zones[0].is_tcp);
	assert_int_equal(c->zones[0].n_upstreams, 1);

	/* A file's lines, replaced as a whole by the command line. */
	nd_config_deinit(c);
	nd_config_init(c);
	file = write_tmp("upstream 192.0.2.1\n"
			 "forward-zone a.example=192.0.2.2\n"
			 "forward-zone b.example=192.0.2.3\n");
	assert_int_equal(LOAD(c, "-c", file), 0);
	assert_int_equal(c->n_zones, 2);
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "-c", file, "--forward-zone",
			      "c.example=192.0.2.4"),
			 0);
	assert_int_equal(c->n_zones, 1);
	assert_string_equal(c->zones[0].name, "c.example");
}

static void test_forward_zone_errors(void **state)
{
	struct nd_config *c = *state;
	static const struct {
		const char *value;
		const char *reason;
	} bad[] = {
		{ "corp.internal", "bad forward zone 'corp.internal'" },
		{ "=192.0.2.1", "bad forward zone '=192.0.2.1'" },
		{ "corp..internal=192.0.2.1", "empty label in 'corp..internal'" },
		{ "corp.internal=,", "no address for zone corp.internal" },
		{ "corp.internal=192.0.2.300", "bad address '192.0.2.300'" },
		{ "corp.internal=0.0.0.0", "unusable address '0.0.0.0'" },
		{ "corp.internal=192.0.2.1,192.0.2.1",
		  "duplicate address 192.0.2.1:53" },
		{ "corp.internal=192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,"
		  "192.0.2.5",
		  "too many addresses" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nd_config_deinit(c);
		nd_config_init(c);
		assert_int_equal(LOAD(c, "--upstream", "192.0.2.1",
				      "--forward-zone", bad[i].value),
				 ND_EPARSE);
		assert_err_contains("option --forward-zone");
		assert_err_contains(bad[i].reason);
	}
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--forward-zone",
			      "a.example=192.0.2.2", "--forward-zone",
			      "A.example.=192.0.2.3"),
			 ND_EPARSE);
	assert_err_contains("zone a.example given twice");
	/* A zone that forwards to ourselves is an error, not a drop. */
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "--listen", "127.0.0.1:5353", "--upstream",
			      "192.0.2.1", "--forward-zone",
			      "a.example=127.0.0.1:5353"),
			 ND_ELOOP);
	assert_err_contains("forward zone a.example: upstream 127.0.0.1:5353 "
			    "is our own listen address");
	/* The file names FILE:LINE. */
	nd_config_deinit(c);
	nd_config_init(c);
	expect_file_error(c, "forward-zone corp\n", 1,
			  "bad forward zone 'corp' for forward-zone (want "
			  "ZONE=ADDR[:PORT][,ADDR[:PORT]...])");
}

static void test_loop_removed(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(LOAD(c, "--listen", "127.0.0.1:5353", "--upstream",
			      "127.0.0.1:5353", "--upstream",
			      "127.0.0.1:5354"),
			 0);
	assert_int_equal(c->n_upstreams, 1);
	assert_addr(&c->upstreams[0], "127.0.0.1:5354");
}

static void test_loop_kept_when_port_differs(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(LOAD(c, "--listen", "127.0.0.1:5353", "--upstream",
			      "127.0.0.1"),
			 0);
	assert_int_equal(c->n_upstreams, 1);
	assert_addr(&c->upstreams[0], "127.0.0.1:53");
}

static void test_loop_from_resolv_conf(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("nameserver 127.0.0.1\n"
				     "nameserver 192.0.2.1\n");

	/* The default listen is 127.0.0.1:53, which resolv.conf names. */
	assert_int_equal(LOAD(c, "--resolv-conf", path), 0);
	assert_int_equal(c->n_upstreams, 1);
	assert_addr(&c->upstreams[0], "192.0.2.1:53");
}

static void test_loop_wildcard_listen(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(LOAD(c, "--listen", "0.0.0.0:5353", "--listen",
			      "[::]:5300", "--upstream", "127.0.0.53:5353",
			      "--upstream", "[::1]:5300", "--upstream",
			      "[::ffff:127.0.0.1]:5353", "--upstream",
			      "127.0.0.1:5300", "--upstream", "[::1]:5353",
			      "--upstream", "203.0.113.77:5353"),
			 0);
	/* Dropped: 127/8 and v4-mapped loopback at 5353 (0.0.0.0:5353),
	 * ::1 at 5300 ([::]:5300). Kept: other family or other port. */
	assert_int_equal(c->n_upstreams, 3);
	assert_addr(&c->upstreams[0], "127.0.0.1:5300");
	assert_addr(&c->upstreams[1], "[::1]:5353");
	assert_addr(&c->upstreams[2], "203.0.113.77:5353");
}

static void test_no_upstream_left(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(LOAD(c, "--listen", "127.0.0.1:5353", "--upstream",
			      "127.0.0.1:5353"),
			 ND_ELOOP);
	assert_err_contains("no upstream left");
	assert_err_contains("--upstream");
}

static void test_timeouts_checked(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1",
			      "--upstream-timeout", "2000",
			      "--query-timeout", "1000"),
			 ND_EPARSE);
	assert_err_contains("query-timeout");
	assert_err_contains("upstream-timeout");
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1",
			      "--upstream-timeout", "2000",
			      "--query-timeout", "2000"),
			 0);
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--cache-min-ttl",
			      "700", "--cache-max-ttl", "600"),
			 ND_EPARSE);
	assert_err_contains("cache-min-ttl");
}

static void test_deinit_twice(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("upstream 192.0.2.1\n"
				     "kubeconfig /k\nkube-api http://x\n");

	assert_int_equal(LOAD(c, "-c", path, "--kube-snapshot", "/s",
			      "--kube-token-file", "/t", "--kube-ca-file",
			      "/ca"),
			 0);
	nd_config_deinit(c);
	assert_null(c->config_file);
	assert_null(c->kube_api);
	assert_null(c->resolv_conf);
	nd_config_deinit(c);
	nd_config_deinit(NULL);
	nd_config_init(c); /* teardown deinits once more */
}

/* ---- the example configuration ------------------------------------------- */

/*
 * config/nodedns.conf.example, uncommented, must parse and give the
 * defaults it claims. make check sets ND_SRCDIR; by hand, run from the
 * source tree. Skipped when the file cannot be found.
 */
/* The bounds of the cluster zone: defaults, 0 = no limit, suffixes. */
static void test_kube_limit_options(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(c->kube_max_service_records, 100000);
	assert_int_equal(c->kube_max_bytes, (size_t)1 << 30);
	assert_int_equal(nd_config_set(c, "kube-max-bytes", "0", err,
				       sizeof(err)), 0);
	assert_int_equal(c->kube_max_bytes, 0);
	assert_int_equal(nd_config_set(c, "kube-max-bytes", "256m", err,
				       sizeof(err)), 0);
	assert_int_equal(c->kube_max_bytes, (size_t)256 << 20);
	assert_int_equal(nd_config_set(c, "kube-max-bytes", "lots", err,
				       sizeof(err)), ND_EPARSE);
	assert_non_null(strstr(err, "bad size 'lots'"));
	assert_int_equal(nd_config_set(c, "kube-max-service-records", "0", err,
				       sizeof(err)), 0);
	assert_int_equal(c->kube_max_service_records, 0);
	assert_int_equal(nd_config_set(c, "kube-max-service-records", "-1",
				       err, sizeof(err)), ND_EPARSE);
}

/* The diagnostics switches and the tracker's extra search suffixes. */
static void test_diagnostics_options(void **state)
{
	struct nd_config *c = *state;

	assert_true(c->diagnostics);
	assert_int_equal(c->slow_query_ms, 1000);
	assert_int_equal(nd_config_set(c, "diagnostics", "off", err,
				       sizeof(err)), 0);
	assert_false(c->diagnostics);
	assert_int_equal(nd_config_set(c, "diagnostics", "maybe", err,
				       sizeof(err)), ND_EPARSE);
	assert_non_null(strstr(err, "bad switch 'maybe'"));
	assert_int_equal(nd_config_set(c, "slow-query-ms", "0", err,
				       sizeof(err)), 0);
	assert_int_equal(c->slow_query_ms, 0);
	assert_int_equal(nd_config_set(c, "slow-query-ms", "60001", err,
				       sizeof(err)), ND_EPARSE);
	assert_int_equal(nd_config_set(c, "search-suffix", "Corp.Example.COM.",
				       err, sizeof(err)), 0);
	assert_string_equal(c->search_suffixes[0], "corp.example.com");
	assert_int_equal(nd_config_set(c, "search-suffix", "bad..name", err,
				       sizeof(err)), ND_EPARSE);
	for (int i = 1; i < ND_MAX_SEARCH_SUFFIXES; i++)
		assert_int_equal(nd_config_set(c, "search-suffix", "x.example",
					       err, sizeof(err)), 0);
	assert_int_equal(nd_config_set(c, "search-suffix", "y.example", err,
				       sizeof(err)), ND_EPARSE);
	assert_non_null(strstr(err, "too many suffixes"));
}

/* --hosts-file and --hosts-ttl: a path, a bounded TTL; file and flags. */
static void test_hosts_options(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("hosts-file /etc/nodedns/hosts\n"
				     "hosts-ttl 300\n");

	assert_int_equal(nd_config_parse_file(c, path, err, sizeof(err)), 0);
	assert_string_equal(c->hosts_file, "/etc/nodedns/hosts");
	assert_int_equal(c->hosts_ttl_s, 300);
	assert_int_equal(nd_config_set(c, "hosts-file", "/tmp/h", err,
				       sizeof(err)), 0);
	assert_string_equal(c->hosts_file, "/tmp/h");
	assert_int_equal(nd_config_set(c, "hosts-ttl", "0", err, sizeof(err)),
			 0);
	assert_int_equal(c->hosts_ttl_s, 0);
	assert_int_equal(nd_config_set(c, "hosts-ttl", "86401", err,
				       sizeof(err)), ND_EPARSE);
}

/* The bounds: --max-inflight, --failure-cache-max, --tcp-max-per-client,
 * --refuse-outside-allow; their defaults and ranges. */
static void test_bounds_options(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("max-inflight 500\n"
				     "failure-cache-max 0\n"
				     "tcp-max-per-client 4\n"
				     "refuse-outside-allow drop\n");

	assert_int_equal(c->max_inflight, 0);
	assert_int_equal(c->failure_cache_max_s, 300);
	assert_int_equal(c->tcp_max_per_client, 32);
	assert_false(c->drop_outside_allow);
	assert_int_equal(nd_config_parse_file(c, path, err, sizeof(err)), 0);
	assert_int_equal(c->max_inflight, 500);
	assert_int_equal(c->failure_cache_max_s, 0);
	assert_int_equal(c->tcp_max_per_client, 4);
	assert_true(c->drop_outside_allow);
	assert_int_equal(nd_config_set(c, "refuse-outside-allow", "refuse",
				       err, sizeof(err)), 0);
	assert_false(c->drop_outside_allow);
	assert_int_equal(nd_config_set(c, "refuse-outside-allow", "ignore",
				       err, sizeof(err)), ND_EPARSE);
	assert_non_null(strstr(err, "want drop or refuse"));
	assert_int_equal(nd_config_set(c, "failure-cache-max", "301", err,
				       sizeof(err)), ND_EPARSE);
	assert_int_equal(nd_config_set(c, "tcp-max-per-client", "0", err,
				       sizeof(err)), ND_EPARSE);
	assert_int_equal(nd_config_set(c, "max-inflight", "1048577", err,
				       sizeof(err)), ND_EPARSE);
}

/* --metrics-compat: none or coredns, from the file or a flag. */
static void test_metrics_compat_option(void **state)
{
	struct nd_config *c = *state;
	const char *path = write_tmp("metrics-compat coredns\n");

	assert_false(c->metrics_coredns);
	assert_int_equal(nd_config_parse_file(c, path, err, sizeof(err)), 0);
	assert_true(c->metrics_coredns);
	assert_int_equal(nd_config_set(c, "metrics-compat", "none", err,
				       sizeof(err)), 0);
	assert_false(c->metrics_coredns);
	assert_int_equal(nd_config_set(c, "metrics-compat", "prometheus", err,
				       sizeof(err)), ND_EPARSE);
	assert_non_null(strstr(err, "want none or coredns"));
	assert_false(c->metrics_coredns);
}

static void test_example_file(void **state)
{
	struct nd_config *c = *state;
	struct nd_config d;
	const char *srcdir = getenv("ND_SRCDIR");
	char path[1024], line[4200], *text = NULL;
	size_t len = 0;
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/config/nodedns.conf.example",
		 srcdir ? srcdir : ".");
	in = fopen(path, "r");
	if (in == NULL) {
		skip();
		return;
	}
	out = open_memstream(&text, &len);
	assert_non_null(out);
	/* "#key value" lines are options; "# text" lines are prose. */
	while (fgets(line, sizeof(line), in) != NULL)
		fputs(line[0] == '#' && islower((unsigned char)line[1])
			      ? line + 1
			      : line,
		      out);
	fclose(in);
	fclose(out);
	const char *tmp = write_tmp(text);
	free(text);

	assert_int_equal(nd_config_parse_file(c, tmp, err, sizeof(err)), 0);
	nd_config_init(&d);
	assert_int_equal(c->n_listen, 1);
	assert_memory_equal(&c->listen[0], &d.listen[0], sizeof(d.listen[0]));
	assert_memory_equal(&c->http_listen, &d.http_listen,
			    sizeof(d.http_listen));
	assert_string_equal(c->resolv_conf, d.resolv_conf);
	assert_string_equal(c->cluster_domain, d.cluster_domain);
	assert_int_equal(c->pods, d.pods);
	assert_int_equal(c->ttl_s, d.ttl_s);
	assert_int_equal(c->threads, d.threads);
	assert_int_equal(c->cache_bytes, d.cache_bytes);
	assert_int_equal(c->cache_min_ttl_s, d.cache_min_ttl_s);
	assert_int_equal(c->cache_max_ttl_s, d.cache_max_ttl_s);
	assert_int_equal(c->cache_neg_max_ttl_s, d.cache_neg_max_ttl_s);
	assert_int_equal(c->stale_s, d.stale_s);
	assert_int_equal(c->upstream_timeout_ms, d.upstream_timeout_ms);
	assert_int_equal(c->query_timeout_ms, d.query_timeout_ms);
	assert_int_equal(c->tcp_max_conns, d.tcp_max_conns);
	assert_int_equal(c->tcp_idle_timeout_ms, d.tcp_idle_timeout_ms);
	assert_int_equal(c->log_level, d.log_level);
	assert_int_equal(c->diagnostics, d.diagnostics);
	assert_int_equal(c->slow_query_ms, d.slow_query_ms);
	assert_int_equal(c->forward_0x20, d.forward_0x20);
	assert_int_equal(c->forward_cookies, d.forward_cookies);
	assert_int_equal(c->drop_privileges, d.drop_privileges);
	assert_non_null(c->user);
	assert_int_equal(c->metrics_coredns, d.metrics_coredns);
	assert_int_equal(c->n_search_suffixes, 1);
	assert_string_equal(c->search_suffixes[0], "corp.example.com");
	assert_int_equal(c->n_upstreams, 2);
	assert_non_null(c->kube_api);
	assert_non_null(c->kubeconfig);
	assert_non_null(c->kube_token_file);
	assert_non_null(c->kube_ca_file);
	assert_non_null(c->kube_snapshot);

	/* The allow lines are the default list, in order. */
	struct nd_config e;
	nd_config_init(&e);
	assert_int_equal(nd_config_set(&e, "upstream", "192.0.2.1", err,
				       sizeof(err)),
			 0);
	assert_int_equal(nd_config_finalize(&e, err, sizeof(err)), 0);
	assert_int_equal(c->n_allow, e.n_allow);
	assert_memory_equal(c->allow, e.allow,
			    e.n_allow * sizeof(e.allow[0]));
	nd_config_deinit(&e);
	nd_config_deinit(&d);
}

/* 0x20, cookies and the privilege drop: switches, flags and the user. */
static void test_hardening_options(void **state)
{
	struct nd_config *c = *state;

	assert_true(c->forward_0x20);
	assert_true(c->forward_cookies);
	assert_true(c->drop_privileges);
	assert_null(c->user);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--no-0x20",
			      "--forward-cookies", "off", "--user", "dns",
			      "--no-drop-privileges"),
			 0);
	assert_false(c->forward_0x20);
	assert_false(c->forward_cookies);
	assert_false(c->drop_privileges);
	assert_string_equal(c->user, "dns");
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--forward-0x20",
			      "off", "--drop-privileges=off"),
			 0);
	assert_false(c->forward_0x20);
	assert_false(c->drop_privileges);
	/* A flag takes no value... */
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--no-0x20=yes"),
			 ND_EPARSE);
	assert_non_null(strstr(err, "takes no value"));
	/* ...and in a file is written as the switch it stands for. */
	assert_int_equal(nd_config_set(c, "no-0x20", "on", err, sizeof(err)),
			 ND_EPARSE);
	assert_non_null(strstr(err, "command-line flag"));
	assert_int_equal(nd_config_set(c, "forward-0x20", "on", err,
				       sizeof(err)),
			 0);
	assert_true(c->forward_0x20);
	assert_int_equal(nd_config_set(c, "forward-cookies", "maybe", err,
				       sizeof(err)),
			 ND_EPARSE);
	assert_int_equal(nd_config_set(c, "user", "", err, sizeof(err)),
			 ND_EPARSE);
}

/* --log-format, --log-file, --query-log, --query-log-sample. */
static void test_log_options(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(c->log_format, ND_LOG_TEXT);
	assert_null(c->log_file);
	assert_false(c->query_log);
	assert_int_equal(c->query_log_sample, 1);
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--log-format",
			      "json", "--log-file", "/var/log/nd.log",
			      "--query-log", "on", "--query-log-sample=100"),
			 0);
	assert_int_equal(c->log_format, ND_LOG_JSON);
	assert_string_equal(c->log_file, "/var/log/nd.log");
	assert_true(c->query_log);
	assert_int_equal(c->query_log_sample, 100);

	const char *f = write_tmp("upstream 192.0.2.1\nlog-format text\n"
				  "query-log off\nquery-log-sample 7\n");
	nd_config_deinit(c);
	nd_config_init(c);
	assert_int_equal(LOAD(c, "-c", f), 0);
	assert_int_equal(c->log_format, ND_LOG_TEXT);
	assert_false(c->query_log);
	assert_int_equal(c->query_log_sample, 7);

	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1", "--log-format",
			      "yaml"),
			 ND_EPARSE);
	assert_err_contains("option --log-format: bad format 'yaml' (want "
			    "text or json)");
	assert_int_equal(LOAD(c, "--upstream", "192.0.2.1",
			      "--query-log-sample", "0"),
			 ND_EPARSE);
	assert_err_contains("option --query-log-sample: '0' out of range "
			    "(want 1..1000000)");
	f = write_tmp("query-log maybe\n");
	assert_int_equal(nd_config_parse_file(c, f, err, sizeof(err)),
			 ND_EPARSE);
	assert_err_contains(":1: bad switch 'maybe' for query-log");
}

int main(void)
{
	/* Keep the loop-removal warnings out of the test output. */
	nd_log_set_level(ND_LOG_ERROR);

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults_init),
		T(test_defaults_load),
		T(test_default_allow_list),
		T(test_allow_given_no_defaults),
		T(test_every_option_by_flag),
		T(test_every_option_equals_form),
		T(test_every_option_by_file),
		T(test_parse_file_direct),
		T(test_short_config_forms),
		T(test_cmdline_wins_over_file),
		T(test_lists_replace),
		T(test_cluster_domain),
		T(test_cache_size_suffixes),
		T(test_number_ranges),
		T(test_enums),
		T(test_kube_api_url),
		T(test_addresses),
		T(test_debug_listen),
		T(test_set_bad_args),
		T(test_file_errors),
		T(test_file_nul_and_long_lines),
		T(test_file_unreadable),
		T(test_load_error_aborts_with_file_line),
		T(test_cmdline_errors),
		T(test_help_and_version),
		T(test_usage_lists_everything),
		T(test_upstreams_from_resolv_conf),
		T(test_resolv_conf_unreadable_or_empty),
		T(test_resolv_conf_in_config),
		T(test_forward_zones),
		T(test_forward_zone_errors),
		T(test_loop_removed),
		T(test_loop_kept_when_port_differs),
		T(test_loop_from_resolv_conf),
		T(test_loop_wildcard_listen),
		T(test_no_upstream_left),
		T(test_timeouts_checked),
		T(test_deinit_twice),
		T(test_diagnostics_options),
		T(test_kube_limit_options),
		T(test_hosts_options),
		T(test_bounds_options),
		T(test_metrics_compat_option),
		T(test_example_file),
		T(test_hardening_options),
		T(test_log_options),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
