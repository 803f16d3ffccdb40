/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/kube/test_decode.c - Kubernetes API JSON decoding. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "kube/decode.h"
#include "kube/objects.h"
#include "util/errors.h"
#include "util/log.h"

/* 2024-05-01T10:00:00Z */
#define T_2024_05_01_10 1714557600000LL

/* ---- helpers ------------------------------------------------------------ */

/*
 * cJSON allocates through cmocka's checked allocator, so a parse tree or
 * event root left behind by the decoder fails the test that leaked it
 * (the decoder's own arrays are checked by ASan/LSan in sanitized runs).
 */
static void *hook_malloc(size_t n)
{
	return test_malloc(n);
}

static void hook_free(void *p)
{
	if (p != NULL)
		test_free(p);
}

static bool is_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* The fixture's path: $ND_SRCDIR (make check), else next to this file. */
static char *fixture_path(const char *name)
{
	const char *src = getenv("ND_SRCDIR");
	const char *slash = strrchr(__FILE__, '/');
	char *p = NULL;
	int rc;

	if (src != NULL && src[0] != '\0')
		rc = asprintf(&p, "%s/tests/unit/kube/fixtures/%s",
			      src, name);
	else if (slash != NULL)
		rc = asprintf(&p, "%.*s/fixtures/%s", (int)(slash - __FILE__),
			      __FILE__, name);
	else
		rc = asprintf(&p, "fixtures/%s", name);
	assert_true(rc > 0);
	return p;
}

/* Whole fixture file, NUL-terminated; free() it. */
static char *load(const char *name, size_t *len)
{
	char *path = fixture_path(name);
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open fixture %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	free(path);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static cJSON *load_json(const char *name)
{
	char *text = load(name, NULL);
	cJSON *j = cJSON_Parse(text);

	free(text);
	if (j == NULL)
		fail_msg("fixture %s is not JSON", name);
	return j;
}

/* Tests spell JSON with ' for " to stay readable; printf-style. */
static cJSON *jq(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static cJSON *jq(const char *fmt, ...)
{
	va_list ap;
	char *s;
	cJSON *j;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(rc >= 0);
	for (char *c = s; *c != '\0'; c++)
		if (*c == '\'')
			*c = '"';
	j = cJSON_Parse(s);
	if (j == NULL)
		fail_msg("test JSON does not parse: %s", s);
	free(s);
	return j;
}

/* A string of n copies of c; static, valid for the next three calls. */
static const char *rep(char c, size_t n)
{
	static char bufs[4][8192];
	static unsigned next;
	char *buf = bufs[next++ % 4];

	assert_true(n < sizeof(bufs[0]));
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void assert_ip(const struct nd_kube_ip *ip, const char *text)
{
	uint8_t want[16] = { 0 };
	int family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;

	assert_int_equal(inet_pton(family, text, want), 1);
	assert_int_equal(ip->family, family);
	assert_memory_equal(ip->addr, want, family == AF_INET ? 4 : 16);
}

static void assert_port(const struct nd_kube_port *p, const char *name,
			int proto, uint16_t port)
{
	assert_string_equal(p->name, name);
	assert_int_equal(p->protocol, proto);
	assert_int_equal(p->port, port);
}

static void assert_err_has(const char *what, const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("%s: error '%s' lacks '%s'", what, err, want);
	for (const char *c = err; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20)
			fail_msg("%s: control byte in error '%s'", what, err);
}

/* Decode must fail with ND_EPARSE, say want, and leave out zeroed. */
static void expect_service_error(cJSON *obj, const char *want)
{
	struct nd_kube_service s;
	char err[160] = "unset";
	char *text = cJSON_PrintUnformatted(obj);

	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(nd_kube_decode_service(obj, &s, err, sizeof(err)),
			 ND_EPARSE);
	assert_true(is_zero(&s, sizeof(s)));
	assert_err_has(text, err, want);
	hook_free(text);
	cJSON_Delete(obj);
}

static void expect_slice_error(cJSON *obj, const char *want)
{
	struct nd_kube_slice s;
	char err[160] = "unset";
	char *text = cJSON_PrintUnformatted(obj);

	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(nd_kube_decode_slice(obj, &s, err, sizeof(err)),
			 ND_EPARSE);
	assert_true(is_zero(&s, sizeof(s)));
	assert_err_has(text, err, want);
	hook_free(text);
	cJSON_Delete(obj);
}

static void decode_service_ok(cJSON *obj, struct nd_kube_service *s)
{
	char err[160] = "";
	int rc = nd_kube_decode_service(obj, s, err, sizeof(err));

	if (rc != 0)
		fail_msg("decode_service: %d '%s'", rc, err);
	cJSON_Delete(obj);
}

static void decode_slice_ok(cJSON *obj, struct nd_kube_slice *s)
{
	char err[160] = "";
	int rc = nd_kube_decode_slice(obj, s, err, sizeof(err));

	if (rc != 0)
		fail_msg("decode_slice: %d '%s'", rc, err);
	cJSON_Delete(obj);
}

#define SVC(spec) \
	"{'kind':'Service','metadata':{'name':'s','namespace':'n'},'spec':" \
	spec "}"
#define SLICE(rest)                                                          \
	"{'kind':'EndpointSlice','metadata':{'name':'s-1','namespace':'n',"  \
	"'labels':{'kubernetes.io/service-name':'s'}},'addressType':'IPv4'," \
	rest "}"

/* ---- Services ------------------------------------------------------------ */

/* t is text of an object whose text is the block strs[0..len). */
static void assert_in(const char *t, const char *strs, size_t len)
{
	assert_non_null(strs);
	assert_true(t >= strs && t + strlen(t) < strs + len);
}

static void test_service_clusterip(void **state)
{
	struct nd_kube_service s;
	(void)state;

	decode_service_ok(load_json("service_clusterip.json"), &s);
	assert_string_equal(s.ns, "shop");
	assert_string_equal(s.name, "web");
	assert_string_equal(s.rv, "48213");
	assert_int_equal(s.type, ND_SVC_CLUSTER_IP);
	assert_int_equal(s.n_ips, 1);
	assert_ip(&s.ips[0], "10.96.14.7");
	assert_string_equal(s.external_name, "");
	assert_int_equal(s.n_ports, 3);
	assert_port(&s.ports[0], "http", IPPROTO_TCP, 80);
	/* No protocol: the API's default, TCP. */
	assert_port(&s.ports[1], "https", IPPROTO_TCP, 443);
	assert_port(&s.ports[2], "metrics", IPPROTO_UDP, 9100);
	/* All the text in one block, sized to fit it: names, then ports. */
	size_t len = strlen("shop") + strlen("web") + strlen("48213") +
		     strlen("http") + strlen("https") + strlen("metrics") + 6;

	assert_in(s.name, s.strs, len);
	assert_in(s.ns, s.strs, len);
	assert_in(s.rv, s.strs, len);
	for (size_t i = 0; i < s.n_ports; i++)
		assert_in(s.ports[i].name, s.strs, len);
	nd_kube_service_deinit(&s);
	assert_true(is_zero(&s, sizeof(s)));
	nd_kube_service_deinit(&s); /* twice is fine */
	nd_kube_service_deinit(NULL);
}

static void test_service_dualstack(void **state)
{
	struct nd_kube_service s;
	(void)state;

	decode_service_ok(load_json("service_dualstack.json"), &s);
	assert_string_equal(s.ns, "default");
	assert_string_equal(s.name, "api");
	assert_string_equal(s.rv, "50117");
	assert_int_equal(s.type, ND_SVC_CLUSTER_IP);
	assert_int_equal(s.n_ips, 2);
	assert_ip(&s.ips[0], "10.96.200.12");
	assert_ip(&s.ips[1], "fd00:10:96::c8");
	assert_int_equal(s.n_ports, 1);
	assert_port(&s.ports[0], "grpc", IPPROTO_TCP, 9090);
	nd_kube_service_deinit(&s);
}

static void test_service_headless(void **state)
{
	struct nd_kube_service s;
	(void)state;

	decode_service_ok(load_json("service_headless.json"), &s);
	assert_string_equal(s.ns, "storage");
	assert_string_equal(s.name, "etcd");
	assert_string_equal(s.rv, "50302");
	assert_int_equal(s.type, ND_SVC_HEADLESS);
	assert_int_equal(s.n_ips, 0);
	assert_int_equal(s.n_ports, 2);
	assert_port(&s.ports[0], "client", IPPROTO_TCP, 2379);
	assert_port(&s.ports[1], "peer", IPPROTO_SCTP, 2380);
	nd_kube_service_deinit(&s);

	/* Only the legacy field set. */
	decode_service_ok(jq(SVC("{'clusterIP':'None'}")), &s);
	assert_int_equal(s.type, ND_SVC_HEADLESS);
	assert_int_equal(s.n_ips, 0);
	assert_null(s.ports);
	nd_kube_service_deinit(&s);
}

static void test_service_externalname(void **state)
{
	struct nd_kube_service s;
	char name[300];
	(void)state;

	decode_service_ok(load_json("service_externalname.json"), &s);
	assert_string_equal(s.ns, "shop");
	assert_string_equal(s.name, "billing-db");
	assert_string_equal(s.rv, "50455");
	assert_int_equal(s.type, ND_SVC_EXTERNAL_NAME);
	/* The trailing dot goes; the store makes the target absolute. */
	assert_string_equal(s.external_name, "billing.db.example.com");
	assert_int_equal(s.n_ips, 0);
	assert_int_equal(s.n_ports, 0);
	assert_null(s.ports);
	nd_kube_service_deinit(&s);

	/* A 253-byte name fits, also when written absolute. */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", rep('a', 63), rep('b', 63),
		 rep('c', 63), rep('d', 61));
	assert_int_equal(strlen(name), 253);
	decode_service_ok(jq(SVC("{'type':'ExternalName',"
				 "'externalName':'%s.'}"),
			     name),
			  &s);
	assert_string_equal(s.external_name, name);
	nd_kube_service_deinit(&s);

	/* ExternalName ignores a stray clusterIP "" and keeps its ports. */
	decode_service_ok(jq(SVC("{'type':'ExternalName','clusterIP':'',"
				  "'externalName':'_ldap._tcp.example.org',"
				  "'ports':[{'name':'ldap','port':389}]}")),
			  &s);
	assert_string_equal(s.external_name, "_ldap._tcp.example.org");
	assert_int_equal(s.n_ports, 1);
	assert_port(&s.ports[0], "ldap", IPPROTO_TCP, 389);
	nd_kube_service_deinit(&s);

	/* IP literals are kept: the store answers their address. */
	decode_service_ok(jq(SVC("{'type':'ExternalName',"
				 "'externalName':'192.0.2.7'}")),
			  &s);
	assert_string_equal(s.external_name, "192.0.2.7");
	nd_kube_service_deinit(&s);
	decode_service_ok(jq(SVC("{'type':'ExternalName',"
				 "'externalName':'2001:db8::7'}")),
			  &s);
	assert_string_equal(s.external_name, "2001:db8::7");
	nd_kube_service_deinit(&s);
}

static void test_service_nodeport(void **state)
{
	struct nd_kube_service s;
	(void)state;

	decode_service_ok(load_json("service_nodeport.json"), &s);
	assert_string_equal(s.ns, "ingress-nginx");
	assert_string_equal(s.name, "ingress-dns");
	assert_string_equal(s.rv, "50598");
	assert_int_equal(s.type, ND_SVC_CLUSTER_IP);
	assert_int_equal(s.n_ips, 1);
	assert_ip(&s.ips[0], "10.96.33.90");
	assert_int_equal(s.n_ports, 2);
	assert_port(&s.ports[0], "dns", IPPROTO_UDP, 53);
	assert_port(&s.ports[1], "dns-tcp", IPPROTO_TCP, 53);
	nd_kube_service_deinit(&s);

	decode_service_ok(jq(SVC("{'type':'LoadBalancer',"
				 "'clusterIP':'10.0.0.9',"
				 "'ports':[{'port':443}]}")),
			  &s);
	assert_int_equal(s.type, ND_SVC_CLUSTER_IP);
	assert_ip(&s.ips[0], "10.0.0.9");
	assert_port(&s.ports[0], "", IPPROTO_TCP, 443);
	nd_kube_service_deinit(&s);
}

static void test_service_variants(void **state)
{
	struct nd_kube_service s;
	(void)state;

	/* The skip paths log at debug: run their format strings. */
	nd_log_set_level(ND_LOG_DEBUG);

	/* clusterIPs wins over the legacy field. */
	decode_service_ok(jq(SVC("{'clusterIP':'10.0.0.1',"
				 "'clusterIPs':['fd00::1','10.0.0.2']}")),
			  &s);
	assert_int_equal(s.n_ips, 2);
	assert_ip(&s.ips[0], "fd00::1");
	assert_ip(&s.ips[1], "10.0.0.2");
	nd_kube_service_deinit(&s);

	/* An empty clusterIPs falls back to clusterIP; no type = ClusterIP;
	 * no kind (a list item) is fine; no resourceVersion = "". */
	decode_service_ok(jq("{'metadata':{'name':'s','namespace':'n'},"
			     "'spec':{'clusterIPs':[],"
			     "'clusterIP':'10.0.0.3'}}"),
			  &s);
	assert_int_equal(s.type, ND_SVC_CLUSTER_IP);
	assert_int_equal(s.n_ips, 1);
	assert_ip(&s.ips[0], "10.0.0.3");
	assert_string_equal(s.rv, "");
	nd_kube_service_deinit(&s);

	/* No address yet: clusterIP "" or absent, or null everywhere. */
	decode_service_ok(jq(SVC("{'clusterIP':'','clusterIPs':null,"
				 "'ports':null,'type':null}")),
			  &s);
	assert_int_equal(s.type, ND_SVC_CLUSTER_IP);
	assert_int_equal(s.n_ips, 0);
	assert_int_equal(s.n_ports, 0);
	nd_kube_service_deinit(&s);

	/* Ports without a valid number are skipped; a name that cannot be a
	 * DNS label is served as unnamed; unknown fields are ignored. */
	decode_service_ok(jq(SVC("{'clusterIP':'10.0.0.4','future':{'x':[1]},"
				 "'ports':[{'name':'a'},{'name':'b','port':0},"
				 "{'name':'c','port':65536},{'name':'d','port':"
				 "80.5},{'name':'e','port':-1},{'name':'f',"
				 "'port':1e999},{'name':'g','port':null},"
				 "{'name':'Bad_Name','port':81},{'name':'h',"
				 "'port':65535,'protocol':null,'targetPort':"
				 "'web'}]}")),
			  &s);
	assert_int_equal(s.n_ports, 2);
	assert_port(&s.ports[0], "", IPPROTO_TCP, 81);
	assert_port(&s.ports[1], "h", IPPROTO_TCP, 65535);
	nd_kube_service_deinit(&s);

	/* All ports invalid: no array left behind. */
	decode_service_ok(jq(SVC("{'ports':[{'port':0}]}")), &s);
	assert_int_equal(s.n_ports, 0);
	assert_null(s.ports);
	nd_kube_service_deinit(&s);

	/* Names at the limit. */
	decode_service_ok(jq("{'metadata':{'name':'%s','namespace':'%s',"
			     "'resourceVersion':'%s'},'spec':{}}",
			     "a234567890123456789012345678901234567890123456"
			     "78901234567890123",
			     "n234567890123456789012345678901234567890123456"
			     "78901234567890123",
			     "9223372036854775807000000000001"),
			  &s);
	assert_int_equal(strlen(s.name), 63);
	assert_int_equal(strlen(s.ns), 63);
	assert_int_equal(strlen(s.rv), 31);
	nd_kube_service_deinit(&s);
	nd_log_set_level(ND_LOG_INFO);
}

static void test_service_errors(void **state)
{
	struct nd_kube_service s;
	char err[160];
	(void)state;

	expect_service_error(jq("{}"), "metadata missing");
	expect_service_error(jq("{'metadata':'x','spec':{}}"),
			     "metadata: not an object");
	expect_service_error(jq("{'metadata':{'namespace':'n'},'spec':{}}"),
			     "metadata.name missing");
	expect_service_error(jq("{'metadata':{'name':'','namespace':'n'}}"),
			     "metadata.name missing");
	expect_service_error(jq("{'metadata':{'name':'s'},'spec':{}}"),
			     "metadata.namespace missing");
	expect_service_error(jq("{'metadata':{'name':42,'namespace':'n'}}"),
			     "metadata.name: not a string");
	expect_service_error(jq("{'metadata':{'name':'s','namespace':['n']}}"),
			     "metadata.namespace: not a string");
	expect_service_error(jq("{'metadata':{'name':'%s','namespace':'n'}}",
				rep('a', 64)),
			     "metadata.name: too long");
	expect_service_error(jq("{'metadata':{'name':'s','namespace':'%s'}}",
				rep('n', 5000)),
			     "metadata.namespace: too long");
	expect_service_error(jq("{'metadata':{'name':'a.b','namespace':'n'}}"),
			     "metadata.name: not a DNS label 'a.b'");
	expect_service_error(jq("{'metadata':{'name':'s','namespace':'-n'}}"),
			     "metadata.namespace: not a DNS label");
	/* What the API refuses is not served: upper case anywhere in a
	 * name, a Service name that does not start with a letter. */
	expect_service_error(jq("{'metadata':{'name':'Web','namespace':'n'}}"),
			     "metadata.name: not a DNS label 'Web': upper case");
	expect_service_error(jq("{'metadata':{'name':'s','namespace':'Shop'}}"),
			     "metadata.namespace: not a DNS label 'Shop': upper");
	expect_service_error(jq("{'metadata':{'name':'1web','namespace':'n'}}"),
			     "'1web': starts with a digit");
	expect_service_error(jq("{'metadata':{'name':'s','namespace':'n',"
				"'resourceVersion':'%s'},'spec':{}}",
				rep('1', 32)),
			     "metadata.resourceVersion: too long");
	expect_service_error(jq("{'metadata':{'name':'s','namespace':'n',"
				"'resourceVersion':5},'spec':{}}"),
			     "metadata.resourceVersion: not a string");
	expect_service_error(jq("{'metadata':{'name':'s','namespace':'n'}}"),
			     "spec missing");
	expect_service_error(jq(SVC("[]")), "spec: not an object");
	expect_service_error(jq("{'kind':'EndpointSlice','metadata':{'name':"
				"'s','namespace':'n'},'spec':{}}"),
			     "kind: 'EndpointSlice' is not Service");
	expect_service_error(jq("{'kind':7,'spec':{}}"), "kind");

	/* Addresses. */
	expect_service_error(jq(SVC("{'clusterIP':'10.96.0.300'}")),
			     "spec.clusterIP: bad address '10.96.0.300'");
	expect_service_error(jq(SVC("{'clusterIP':'10.96.0.1/32'}")),
			     "spec.clusterIP: bad address");
	expect_service_error(jq(SVC("{'clusterIP':'fe80::1%%eth0'}")),
			     "spec.clusterIP: bad address");
	expect_service_error(jq(SVC("{'clusterIP':10}")),
			     "spec.clusterIP: not a string");
	expect_service_error(jq(SVC("{'clusterIPs':['10.0.0.1','x']}")),
			     "spec.clusterIPs[1]: bad address 'x'");
	expect_service_error(jq(SVC("{'clusterIPs':['']}")),
			     "spec.clusterIPs[0]: bad address ''");
	expect_service_error(jq(SVC("{'clusterIPs':[1]}")),
			     "spec.clusterIPs[0]: not a string");
	expect_service_error(jq(SVC("{'clusterIPs':'10.0.0.1'}")),
			     "spec.clusterIPs: not an array");
	expect_service_error(jq(SVC("{'clusterIPs':['10.0.0.1','fd00::1',"
				    "'10.0.0.2']}")),
			     "at most 2");
	expect_service_error(jq(SVC("{'clusterIPs':['None','10.0.0.1']}")),
			     "spec.clusterIPs[0]: 'None' next to an address");
	/* A bad value is quoted short and without control bytes. */
	expect_service_error(jq(SVC("{'clusterIP':'%s'}"), rep('9', 900)),
			     "...'");
	expect_service_error(jq(SVC("{'clusterIP':'1.2.3.4\\n\\u0001'}")),
			     "bad address '1.2.3.4?" "?'");

	/* Type and ExternalName. */
	expect_service_error(jq(SVC("{'type':'Weird'}")),
			     "spec.type: unknown 'Weird'");
	expect_service_error(jq(SVC("{'type':5}")), "spec.type: not a string");
	expect_service_error(jq(SVC("{'type':'ExternalName'}")),
			     "spec.externalName missing");
	expect_service_error(jq(SVC("{'type':'ExternalName','externalName':"
				    "''}")),
			     "spec.externalName missing");
	expect_service_error(jq(SVC("{'type':'ExternalName','externalName':"
				    "'.'}")),
			     "spec.externalName: bad name");
	expect_service_error(jq(SVC("{'type':'ExternalName','externalName':"
				    "'bad..name'}")),
			     "spec.externalName: bad name 'bad..name'");
	expect_service_error(jq(SVC("{'type':'ExternalName','externalName':"
				    "'a b.example'}")),
			     "spec.externalName: bad name");
	expect_service_error(jq(SVC("{'type':'ExternalName','externalName':"
				    "'%s.example'}"),
				rep('x', 64)),
			     "spec.externalName: bad name");
	expect_service_error(jq(SVC("{'type':'ExternalName','externalName':"
				    "'%s'}"),
				rep('x', 300)),
			     "spec.externalName: too long");
	expect_service_error(jq(SVC("{'type':'ExternalName','externalName':"
				    "['x']}")),
			     "spec.externalName: not a string");

	/* Ports; the failures after the first port test the array's free. */
	expect_service_error(jq(SVC("{'ports':{}}")),
			     "spec.ports: not an array");
	expect_service_error(jq(SVC("{'ports':[5]}")),
			     "spec.ports[0]: not an object");
	expect_service_error(jq(SVC("{'ports':[{'port':80},{'port':'80'}]}")),
			     "spec.ports[1].port: not a number");
	expect_service_error(jq(SVC("{'ports':[{'port':80},{'port':true}]}")),
			     "spec.ports[1].port: not a number");
	expect_service_error(jq(SVC("{'ports':[{'name':'a','port':80},"
				    "{'port':80,'protocol':'ICMP'}]}")),
			     "spec.ports[1].protocol: unknown 'ICMP'");
	expect_service_error(jq(SVC("{'ports':[{'port':80,"
				    "'protocol':'tcp'}]}")),
			     "spec.ports[0].protocol: unknown 'tcp'");
	expect_service_error(jq(SVC("{'ports':[{'port':80,'protocol':6}]}")),
			     "spec.ports[0].protocol: not a string");
	expect_service_error(jq(SVC("{'ports':[{'port':80,'name':7}]}")),
			     "spec.ports[0].name: not a string");
	expect_service_error(jq(SVC("{'ports':[{'port':80,'name':'%s'}]}"),
				rep('p', 64)),
			     "spec.ports[0].name: too long");

	/* Not objects at all. */
	expect_service_error(jq("[]"), "not a JSON object");
	expect_service_error(jq("null"), "not a JSON object");
	expect_service_error(jq("'Service'"), "not a JSON object");
	expect_service_error(jq("42"), "not a JSON object");

	/* Bad arguments; a NULL err is fine. */
	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(nd_kube_decode_service(NULL, &s, err, sizeof(err)),
			 -EINVAL);
	assert_true(is_zero(&s, sizeof(s)));
	{
		cJSON *j = jq("{}");

		assert_int_equal(nd_kube_decode_service(j, NULL, err,
							sizeof(err)),
				 -EINVAL);
		assert_int_equal(nd_kube_decode_service(j, &s, NULL, 0),
				 ND_EPARSE);
		assert_int_equal(nd_kube_decode_service(j, &s, err, 1),
				 ND_EPARSE);
		assert_string_equal(err, "");
		cJSON_Delete(j);
	}
}

/* ---- EndpointSlices ----------------------------------------------------- */

static void test_slice_ipv4(void **state)
{
	struct nd_kube_slice s;
	const struct nd_kube_endpoint *e;
	(void)state;

	decode_slice_ok(load_json("slice_ipv4.json"), &s);
	assert_string_equal(s.ns, "shop");
	assert_string_equal(s.name, "web-7x9qk");
	assert_string_equal(s.service, "web");
	assert_string_equal(s.rv, "48290");
	assert_int_equal(s.address_type, AF_INET);
	assert_int_equal(s.trigger_time_ms, T_2024_05_01_10 + 123);

	/* Seven endpoints; the one with an IPv6 address is skipped. */
	assert_int_equal(s.n_eps, 6);
	e = &s.eps[0];
	assert_int_equal(e->n_addrs, 1);
	assert_ip(&e->addrs[0], "10.244.1.17");
	assert_true(e->is_ready);
	assert_true(e->is_serving);
	assert_false(e->is_terminating);
	assert_string_equal(e->hostname, "web-0");
	assert_string_equal(e->node, "worker-1.cluster.example");
	assert_string_equal(e->pod, "web-0");

	e = &s.eps[1];
	assert_ip(&e->addrs[0], "10.244.2.9");
	assert_false(e->is_ready);
	assert_false(e->is_serving);
	assert_false(e->is_terminating);
	assert_string_equal(e->hostname, "web-1");
	assert_string_equal(e->node, "worker-2");
	assert_string_equal(e->pod, "web-1");

	e = &s.eps[2];
	assert_ip(&e->addrs[0], "10.244.3.4");
	assert_false(e->is_ready);
	assert_true(e->is_serving);
	assert_true(e->is_terminating);
	assert_string_equal(e->hostname, "");
	assert_string_equal(e->node, "worker-3");
	assert_string_equal(e->pod, "web-5f7d8c9b6-x2kqp");

	/* Empty conditions: ready, serving, not terminating. The hostname
	 * is no DNS label and is dropped; a Node targetRef is no pod. */
	e = &s.eps[3];
	assert_ip(&e->addrs[0], "10.244.1.30");
	assert_true(e->is_ready);
	assert_true(e->is_serving);
	assert_false(e->is_terminating);
	assert_string_equal(e->hostname, "");
	assert_string_equal(e->node, "");
	assert_string_equal(e->pod, "");

	/* Everything null reads as absent. */
	e = &s.eps[4];
	assert_ip(&e->addrs[0], "10.244.1.31");
	assert_true(e->is_ready);
	assert_true(e->is_serving);
	assert_false(e->is_terminating);
	assert_string_equal(e->hostname, "");
	assert_string_equal(e->node, "");
	assert_string_equal(e->pod, "");

	/* Serving absent follows ready. */
	e = &s.eps[5];
	assert_ip(&e->addrs[0], "10.244.2.40");
	assert_false(e->is_ready);
	assert_false(e->is_serving);
	assert_false(e->is_terminating);

	/* The port with a null number ("all ports") is skipped. */
	assert_int_equal(s.n_ports, 3);
	assert_port(&s.ports[0], "http", IPPROTO_TCP, 8080);
	assert_port(&s.ports[1], "https", IPPROTO_TCP, 8443);
	assert_port(&s.ports[2], "metrics", IPPROTO_UDP, 9100);
	/* The addresses in one block, the text in another. */
	for (size_t i = 0; i < s.n_eps; i++) {
		assert_true(s.eps[i].addrs >= s.ips &&
			    s.eps[i].addrs < s.ips + 7);
		if (s.eps[i].pod[0] != '\0')
			assert_in(s.eps[i].pod, s.strs, 512);
	}
	assert_in(s.name, s.strs, 512);
	assert_in(s.service, s.strs, 512);
	assert_in(s.ports[0].name, s.strs, 512);
	nd_kube_slice_deinit(&s);
	assert_true(is_zero(&s, sizeof(s)));
	nd_kube_slice_deinit(&s);
	nd_kube_slice_deinit(NULL);
}

static void test_slice_ipv6(void **state)
{
	struct nd_kube_slice s;
	(void)state;

	decode_slice_ok(load_json("slice_ipv6.json"), &s);
	assert_string_equal(s.ns, "default");
	assert_string_equal(s.name, "api-v6-mq4zt");
	assert_string_equal(s.service, "api");
	assert_string_equal(s.rv, "50130");
	assert_int_equal(s.address_type, AF_INET6);
	/* 12:00+02:00 is 10:00Z. */
	assert_int_equal(s.trigger_time_ms, T_2024_05_01_10);
	assert_int_equal(s.n_eps, 2);
	assert_ip(&s.eps[0].addrs[0], "fd00:10:244:1::11");
	assert_string_equal(s.eps[0].node, "worker-1");
	assert_string_equal(s.eps[0].pod, "api-6c8f9d7b5-abcde");
	assert_true(s.eps[0].is_ready);
	assert_ip(&s.eps[1].addrs[0], "fd00:10:244:2::2a");
	assert_string_equal(s.eps[1].node, "worker-2");
	assert_string_equal(s.eps[1].pod, "api-6c8f9d7b5-fghij");
	assert_int_equal(s.n_ports, 1);
	assert_port(&s.ports[0], "grpc", IPPROTO_TCP, 9090);
	nd_kube_slice_deinit(&s);
}

static void test_slice_fqdn(void **state)
{
	struct nd_kube_slice s;
	(void)state;

	decode_slice_ok(load_json("slice_fqdn.json"), &s);
	assert_string_equal(s.ns, "shop");
	assert_string_equal(s.name, "legacy-fqdn");
	assert_string_equal(s.service, "legacy");
	assert_string_equal(s.rv, "51002");
	assert_int_equal(s.address_type, 0);
	assert_int_equal(s.n_eps, 0);
	assert_null(s.eps);
	assert_int_equal(s.trigger_time_ms, 0);
	assert_int_equal(s.n_ports, 1);
	assert_port(&s.ports[0], "http", IPPROTO_TCP, 80);
	nd_kube_slice_deinit(&s);
}

static void test_slice_variants(void **state)
{
	struct nd_kube_slice s;
	(void)state;

	/* The skip paths log at debug: run their format strings. */
	nd_log_set_level(ND_LOG_DEBUG);

	/* No labels, no annotations, endpoints null, no ports, long name
	 * (an RFC 1123 subdomain of 253 characters, as the API allows). */
	decode_slice_ok(jq("{'metadata':{'name':'%.63s.%.63s.%.63s.%.61s',"
			   "'namespace':'n'},"
			   "'addressType':'IPv6','endpoints':null}",
			   rep('s', 63), rep('s', 63), rep('s', 63),
			   rep('s', 61)),
			&s);
	assert_int_equal(strlen(s.name), 253);
	assert_string_equal(s.service, "");
	assert_int_equal(s.address_type, AF_INET6);
	assert_int_equal(s.n_eps, 0);
	assert_null(s.eps);
	assert_null(s.ports);
	assert_int_equal(s.trigger_time_ms, 0);
	nd_kube_slice_deinit(&s);

	/* A service-name no Service can have is no Service; a bad trigger
	 * time is ignored; skipped endpoints leave no array behind. */
	decode_slice_ok(jq("{'metadata':{'name':'s','namespace':'n','labels':"
			   "{'kubernetes.io/service-name':'a.b'},'annotations':"
			   "{'endpoints.kubernetes.io/"
			   "last-change-trigger-time':"
			   "'yesterday'}},'addressType':'IPv4','endpoints':"
			   "[{'addresses':[]},{},{'addresses':null},"
			   "{'addresses':['10.0.0.1','10.0.0.256']},"
			   "{'addresses':['::1']}]}"),
			&s);
	assert_string_equal(s.service, "");
	assert_int_equal(s.trigger_time_ms, 0);
	assert_int_equal(s.n_eps, 0);
	assert_null(s.eps);
	nd_kube_slice_deinit(&s);

	/* Several addresses; a 64-byte hostname is dropped, not an error;
	 * targetRef without kind is no pod. */
	decode_slice_ok(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1',"
				 "'10.0.0.2'],'hostname':'%s','targetRef':"
				 "{'name':'p'}},{'addresses':['10.0.0.3'],"
				 "'hostname':'%.63s','nodeName':'%.253s',"
				 "'targetRef':{'kind':'Pod',"
				 "'name':'%.253s'}}]"),
			   rep('h', 64), rep('h', 64), rep('h', 253),
			   rep('h', 253)),
			&s);
	assert_int_equal(s.n_eps, 2);
	assert_int_equal(s.eps[0].n_addrs, 2);
	assert_ip(&s.eps[0].addrs[0], "10.0.0.1");
	assert_ip(&s.eps[0].addrs[1], "10.0.0.2");
	assert_string_equal(s.eps[0].hostname, "");
	assert_string_equal(s.eps[0].pod, "");
	assert_int_equal(strlen(s.eps[1].hostname), 63);
	assert_int_equal(strlen(s.eps[1].node), 253);
	assert_int_equal(strlen(s.eps[1].pod), 253);
	assert_int_equal(s.service[0], 's');
	nd_kube_slice_deinit(&s);

	/* A trigger time with a fraction and a negative offset. */
	decode_slice_ok(jq("{'metadata':{'name':'s','namespace':'n',"
			   "'annotations':{'endpoints.kubernetes.io/"
			   "last-change-trigger-time':'2024-05-01T05:30:00.5"
			   "-04:30'}},'addressType':'IPv4'}"),
			&s);
	assert_int_equal(s.trigger_time_ms, T_2024_05_01_10 + 500);
	nd_kube_slice_deinit(&s);
	nd_log_set_level(ND_LOG_INFO);
}

static void test_slice_errors(void **state)
{
	struct nd_kube_slice s;
	char err[160];
	(void)state;

	expect_slice_error(jq("{'addressType':'IPv4'}"), "metadata missing");
	expect_slice_error(jq("{'metadata':{'namespace':'n'},"
			      "'addressType':'IPv4'}"),
			   "metadata.name missing");
	expect_slice_error(jq("{'metadata':{'name':'s'},"
			      "'addressType':'IPv4'}"),
			   "metadata.namespace missing");
	expect_slice_error(jq("{'metadata':{'name':'%s','namespace':'n'},"
			      "'addressType':'IPv4'}",
			      rep('s', 254)),
			   "metadata.name: too long");
	expect_slice_error(jq("{'metadata':{'name':'s','namespace':'n'}}"),
			   "addressType missing");
	expect_slice_error(jq("{'metadata':{'name':'s','namespace':'n'},"
			      "'addressType':4}"),
			   "addressType: not a string");
	expect_slice_error(jq("{'metadata':{'name':'s','namespace':'n'},"
			      "'addressType':'IPv5'}"),
			   "addressType: unknown 'IPv5'");
	expect_slice_error(jq("{'kind':'Service','metadata':{'name':'s',"
			      "'namespace':'n'},'addressType':'IPv4'}"),
			   "kind: 'Service' is not EndpointSlice");
	expect_slice_error(jq("{'metadata':{'name':'s','namespace':'n',"
			      "'labels':[]},'addressType':'IPv4'}"),
			   "metadata.labels: not an object");
	expect_slice_error(jq("{'metadata':{'name':'s','namespace':'n',"
			      "'labels':{'kubernetes.io/service-name':5}},"
			      "'addressType':'IPv4'}"),
			   "metadata.labels.kubernetes.io/service-name: not a "
			   "string");
	expect_slice_error(jq("{'metadata':{'name':'s','namespace':'n',"
			      "'labels':{'kubernetes.io/service-name':'%s'}},"
			      "'addressType':'IPv4'}",
			      rep('x', 64)),
			   "service-name: too long");
	expect_slice_error(jq("{'metadata':{'name':'s','namespace':'n',"
			      "'annotations':5},'addressType':'IPv4'}"),
			   "metadata.annotations: not an object");

	expect_slice_error(jq(SLICE("'endpoints':{}")),
			   "endpoints: not an array");
	expect_slice_error(jq(SLICE("'endpoints':[1]")),
			   "endpoints[0]: not an object");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':'10.0.0.1'}]")),
			   "endpoints[0].addresses: not an array");
	/* Failures after a good endpoint test the cleanup of its addrs. */
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1']},"
				    "{'addresses':['10.0.0.2',7]}]")),
			   "endpoints[1].addresses[1]: not a string");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1']},"
				    "{'addresses':['10.0.0.2'],'conditions':"
				    "[]}]")),
			   "endpoints[1].conditions: not an object");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1'],"
				    "'conditions':{'ready':'yes'}}]")),
			   "endpoints[0].conditions.ready: not a boolean");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1'],"
				    "'conditions':{'serving':1}}]")),
			   "endpoints[0].conditions.serving: not a boolean");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1'],"
				    "'conditions':{'terminating':{}}}]")),
			   "endpoints[0].conditions.terminating: not a "
			   "boolean");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1'],"
				    "'hostname':5}]")),
			   "endpoints[0].hostname: not a string");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1'],"
				    "'nodeName':'%s'}]"),
			      rep('n', 254)),
			   "endpoints[0].nodeName: too long");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1'],"
				    "'nodeName':false}]")),
			   "endpoints[0].nodeName: not a string");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1'],"
				    "'targetRef':'pod'}]")),
			   "endpoints[0].targetRef: not an object");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1'],"
				    "'targetRef':{'kind':1}}]")),
			   "endpoints[0].targetRef.kind: not a string");
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1'],"
				    "'targetRef':{'kind':'Pod','name':'%s'}}]"),
			      rep('p', 254)),
			   "endpoints[0].targetRef.name: too long");
	/* Ports fail after endpoints were allocated. */
	expect_slice_error(jq(SLICE("'endpoints':[{'addresses':['10.0.0.1']}],"
				    "'ports':[{'port':80},{'port':true}]")),
			   "ports[1].port: not a number");
	expect_slice_error(jq(SLICE("'ports':[{'port':80,'protocol':'QUIC'}]")),
			   "ports[0].protocol: unknown 'QUIC'");
	expect_slice_error(jq(SLICE("'ports':'80'")), "ports: not an array");
	expect_slice_error(jq(SLICE("'ports':[{'port':80,'protocol':"
				    "'TCP-OVER-PIGEON'}]")),
			   "ports[0].protocol: unknown 'TCP-OVER-PIGEON'");
	expect_slice_error(jq(SLICE("'ports':[{'port':80,'protocol':''}]")),
			   "ports[0].protocol: unknown ''");

	expect_slice_error(jq("[1]"), "not a JSON object");
	expect_slice_error(jq("null"), "not a JSON object");
	expect_slice_error(jq("true"), "not a JSON object");

	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(nd_kube_decode_slice(NULL, &s, err, sizeof(err)),
			 -EINVAL);
	assert_true(is_zero(&s, sizeof(s)));
	{
		cJSON *j = jq("{}");

		assert_int_equal(nd_kube_decode_slice(j, NULL, err,
						      sizeof(err)),
				 -EINVAL);
		assert_int_equal(nd_kube_decode_slice(j, &s, NULL, 5),
				 ND_EPARSE);
		cJSON_Delete(j);
	}
}

/* ---- Namespaces and kinds ----------------------------------------------- */

static void test_namespace(void **state)
{
	char name[ND_KUBE_NAME_MAX], rv[ND_KUBE_RV_MAX], err[128];
	cJSON *j = load_json("namespace.json");
	(void)state;

	assert_int_equal(nd_kube_decode_namespace(j, name, rv, err,
						  sizeof(err)),
			 0);
	assert_string_equal(name, "shop");
	assert_string_equal(rv, "47001");
	memset(name, 'x', sizeof(name));
	assert_int_equal(nd_kube_decode_namespace(j, name, NULL, NULL, 0), 0);
	assert_string_equal(name, "shop");
	assert_int_equal(nd_kube_decode_namespace(j, NULL, rv, err,
						  sizeof(err)),
			 -EINVAL);
	cJSON_Delete(j);

	assert_int_equal(nd_kube_decode_namespace(NULL, name, rv, err,
						  sizeof(err)),
			 -EINVAL);

	{
		static const char *const bad[][2] = {
			{ "{}", "metadata missing" },
			{ "{'metadata':{}}", "metadata.name missing" },
			{ "{'metadata':{'name':1}}", "metadata.name: not a" },
			{ "{'metadata':{'name':'a.b'}}", "not a DNS label" },
			{ "{'metadata':{'name':'Prod'}}", "upper case" },
			{ "{'metadata':{'name':'ns','resourceVersion':[]}}",
			  "metadata.resourceVersion: not a string" },
			{ "{'kind':'Service','metadata':{'name':'ns'}}",
			  "kind: 'Service' is not Namespace" },
			{ "[]", "not a JSON object" },
			{ "null", "not a JSON object" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			j = jq("%s", bad[i][0]);
			memset(name, 'x', sizeof(name));
			memset(rv, 'x', sizeof(rv));
			assert_int_equal(nd_kube_decode_namespace(j, name, rv,
								  err,
								  sizeof(err)),
					 ND_EPARSE);
			assert_string_equal(name, "");
			assert_string_equal(rv, "");
			assert_err_has(bad[i][0], err, bad[i][1]);
			cJSON_Delete(j);
		}
	}
	j = jq("{'metadata':{'name':'%s'}}", rep('n', 64));
	assert_int_equal(nd_kube_decode_namespace(j, name, rv, err,
						  sizeof(err)),
			 ND_EPARSE);
	assert_err_has("long", err, "metadata.name: too long");
	cJSON_Delete(j);
}

static void test_kinds(void **state)
{
	static const struct {
		const char *file;
		enum nd_kube_kind kind;
	} files[] = {
		{ "service_clusterip.json", ND_KIND_SERVICE },
		{ "service_externalname.json", ND_KIND_SERVICE },
		{ "slice_ipv4.json", ND_KIND_SLICE },
		{ "slice_fqdn.json", ND_KIND_SLICE },
		{ "namespace.json", ND_KIND_NAMESPACE },
	};
	static const char *const unknown[] = {
		"{}", "{'kind':'Pod'}", "{'kind':'service'}", "{'kind':null}",
		"{'kind':3}", "[]", "'Service'", "null", "{'kind':'Status'}",
		"{'kind':'ServiceList'}",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cJSON *j = load_json(files[i].file);

		assert_int_equal(nd_kube_object_kind(j), files[i].kind);
		cJSON_Delete(j);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		cJSON *j = jq("%s", unknown[i]);

		assert_int_equal(nd_kube_object_kind(j), ND_KIND_UNKNOWN);
		cJSON_Delete(j);
	}
	assert_int_equal(nd_kube_object_kind(NULL), ND_KIND_UNKNOWN);

	assert_string_equal(nd_kube_kind_name(ND_KIND_SERVICE), "services");
	assert_string_equal(nd_kube_kind_name(ND_KIND_SLICE), "endpointslices");
	assert_string_equal(nd_kube_kind_name(ND_KIND_NAMESPACE), "namespaces");
	assert_string_equal(nd_kube_kind_name(ND_KIND_UNKNOWN), "unknown");
	assert_string_equal(nd_kube_kind_name(ND_KIND_COUNT), "unknown");

	assert_string_equal(nd_kube_event_type_name(ND_EV_ADDED), "ADDED");
	assert_string_equal(nd_kube_event_type_name(ND_EV_MODIFIED),
			    "MODIFIED");
	assert_string_equal(nd_kube_event_type_name(ND_EV_DELETED), "DELETED");
	assert_string_equal(nd_kube_event_type_name(ND_EV_BOOKMARK),
			    "BOOKMARK");
	assert_string_equal(nd_kube_event_type_name(ND_EV_ERROR), "ERROR");
	assert_string_equal(nd_kube_event_type_name(ND_EV_TYPES), "UNKNOWN");
	assert_string_equal(
		nd_kube_event_type_name((enum nd_kube_event_type)-1),
		"UNKNOWN");
}

/* ---- watch events ------------------------------------------------------- */

/* Line n (0-based) of the recorded watch stream, without its newline. */
static char *event_line(size_t n, size_t *len)
{
	char *all = load("watch_events.jsonl", NULL);
	char *p = all, *nl, *line;

	for (size_t i = 0; i < n; i++) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	nl = strchr(p, '\n');
	*len = nl != NULL ? (size_t)(nl - p) : strlen(p);
	line = malloc(*len);
	assert_non_null(line);
	memcpy(line, p, *len); /* not NUL-terminated, as in the transport */
	free(all);
	return line;
}

#define N_EVENT_LINES 6

static void test_events_recorded(void **state)
{
	static const struct {
		enum nd_kube_event_type type;
		enum nd_kube_kind kind;
		const char *rv;
		int code;
	} want[N_EVENT_LINES] = {
		{ ND_EV_ADDED, ND_KIND_SERVICE, "48213", 0 },
		{ ND_EV_MODIFIED, ND_KIND_SLICE, "48291", 0 },
		{ ND_EV_DELETED, ND_KIND_SERVICE, "48400", 0 },
		{ ND_EV_ADDED, ND_KIND_NAMESPACE, "48410", 0 },
		{ ND_EV_BOOKMARK, ND_KIND_SLICE, "48500", 0 },
		{ ND_EV_ERROR, ND_KIND_UNKNOWN, "", 410 },
	};
	struct nd_kube_event ev;
	char err[128];
	(void)state;

	for (size_t i = 0; i < N_EVENT_LINES; i++) {
		size_t len;
		char *line = event_line(i, &len);

		assert_int_equal(nd_kube_decode_event(line, len, &ev, err,
						      sizeof(err)),
				 0);
		assert_int_equal(ev.type, want[i].type);
		assert_non_null(ev.root);
		assert_non_null(ev.object);
		assert_ptr_equal(ev.object,
				 cJSON_GetObjectItemCaseSensitive(ev.root,
								  "object"));
		assert_int_equal(nd_kube_object_kind(ev.object), want[i].kind);
		assert_string_equal(ev.rv, want[i].rv);
		assert_int_equal(ev.code, want[i].code);
		free(line);

		switch (i) {
		case 0: {
			struct nd_kube_service s;

			assert_int_equal(nd_kube_decode_service(ev.object, &s,
								err,
								sizeof(err)),
					 0);
			assert_string_equal(s.name, "web");
			assert_ip(&s.ips[0], "10.96.14.7");
			assert_port(&s.ports[0], "http", IPPROTO_TCP, 80);
			nd_kube_service_deinit(&s);
			break;
		}
		case 1: {
			struct nd_kube_slice s;

			assert_int_equal(nd_kube_decode_slice(ev.object, &s,
							      err,
							      sizeof(err)),
					 0);
			assert_string_equal(s.service, "web");
			assert_int_equal(s.n_eps, 1);
			assert_string_equal(s.eps[0].hostname, "web-0");
			assert_int_equal(s.trigger_time_ms,
					 T_2024_05_01_10 + 5000);
			nd_kube_slice_deinit(&s);
			break;
		}
		case 2: {
			struct nd_kube_service s;

			assert_int_equal(nd_kube_decode_service(ev.object, &s,
								err,
								sizeof(err)),
					 0);
			assert_int_equal(s.type, ND_SVC_EXTERNAL_NAME);
			assert_string_equal(s.external_name,
					    "billing.db.example.com");
			nd_kube_service_deinit(&s);
			break;
		}
		case 3: {
			char name[ND_KUBE_NAME_MAX], rv[ND_KUBE_RV_MAX];

			assert_int_equal(nd_kube_decode_namespace(ev.object,
								  name, rv,
								  err,
								  sizeof(err)),
					 0);
			assert_string_equal(name, "staging");
			assert_string_equal(rv, "48410");
			break;
		}
		case 4: {
			struct nd_kube_slice s;

			/* A bookmark is no object to apply. */
			assert_int_equal(nd_kube_decode_slice(ev.object, &s,
							      err,
							      sizeof(err)),
					 ND_EPARSE);
			break;
		}
		case 5: {
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(
				ev.object, "reason");

			assert_true(cJSON_IsString(r));
			assert_string_equal(r->valuestring, "Expired");
			break;
		}
		}
		nd_kube_event_deinit(&ev);
		assert_true(is_zero(&ev, sizeof(ev)));
	}
	nd_kube_event_deinit(&ev);
	nd_kube_event_deinit(NULL);
}

static void expect_event(const char *text, size_t len, int rc_want,
			 const char *want)
{
	struct nd_kube_event ev;
	char err[128] = "unset";

	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(nd_kube_decode_event(text, len, &ev, err, sizeof(err)),
			 rc_want);
	if (rc_want != 0) {
		assert_true(is_zero(&ev, sizeof(ev)));
		assert_err_has(text, err, want);
	}
	nd_kube_event_deinit(&ev);
}

static int ev_str(const char *s, struct nd_kube_event *ev)
{
	char err[128];

	return nd_kube_decode_event(s, strlen(s), ev, err, sizeof(err));
}

#define EV_ERR(lit, want) expect_event(lit, sizeof(lit) - 1, ND_EPARSE, want)
#define EV_OK(lit) expect_event(lit, sizeof(lit) - 1, 0, NULL)

static void test_events_variants(void **state)
{
	struct nd_kube_event ev;
	char err[128];
	(void)state;

	/* A minimal bookmark, trailing newline and CRLF, a leading BOM. */
	assert_int_equal(ev_str("{\"type\":\"BOOKMARK\",\"object\":{"
				"\"metadata\":{\"resourceVersion\":"
				"\"9001\"}}}\r\n",
				&ev),
			 0);
	assert_int_equal(ev.type, ND_EV_BOOKMARK);
	assert_string_equal(ev.rv, "9001");
	nd_kube_event_deinit(&ev);
	EV_OK("  {\"type\":\"ADDED\",\"object\":{}}\n\n");
	EV_OK("\xef\xbb\xbf{\"type\":\"DELETED\",\"object\":{}}");

	/* ERROR: the code, or 0 when there is no usable one. */
	assert_int_equal(ev_str("{\"type\":\"ERROR\",\"object\":{\"kind\":"
				"\"Status\",\"code\":500}}",
				&ev),
			 0);
	assert_int_equal(ev.type, ND_EV_ERROR);
	assert_int_equal(ev.code, 500);
	nd_kube_event_deinit(&ev);
	assert_int_equal(ev_str("{\"type\":\"ERROR\",\"object\":{\"code\":"
				"\"410\"}}",
				&ev),
			 0);
	assert_int_equal(ev.code, 0);
	nd_kube_event_deinit(&ev);
	assert_int_equal(ev_str("{\"type\":\"ERROR\",\"object\":{\"code\":"
				"4e99}}",
				&ev),
			 0);
	assert_int_equal(ev.code, 0);
	nd_kube_event_deinit(&ev);
	/* Not an ERROR: a code means nothing. */
	assert_int_equal(ev_str("{\"type\":\"ADDED\",\"object\":{\"code\":"
				"410}}",
				&ev),
			 0);
	assert_int_equal(ev.code, 0);
	nd_kube_event_deinit(&ev);

	EV_ERR("", "empty line");
	EV_ERR(" \r\n\t", "empty line");
	EV_ERR("{", "malformed JSON");
	EV_ERR("{\"type\":\"ADDED\",\"object\":{}", "malformed JSON");
	EV_ERR("{\"type\":\"ADDED\",\"object\":{}}}", "trailing data");
	EV_ERR("{\"type\":\"ADDED\",\"object\":{}} {\"type\":\"ADDED\"}",
	       "trailing data");
	EV_ERR("{\"type\":\"ADDED\",\"object\":{}}\0junk", "trailing data");
	EV_ERR("[]", "not a JSON object");
	EV_ERR("null", "not a JSON object");
	EV_ERR("\"ADDED\"", "not a JSON object");
	EV_ERR("{}", "type missing");
	EV_ERR("{\"object\":{}}", "type missing");
	EV_ERR("{\"type\":null,\"object\":{}}", "type missing");
	EV_ERR("{\"type\":1,\"object\":{}}", "type: not a string");
	EV_ERR("{\"type\":\"SYNC\",\"object\":{}}", "type: unknown 'SYNC'");
	EV_ERR("{\"type\":\"added\",\"object\":{}}", "type: unknown 'added'");
	EV_ERR("{\"type\":\"ADDED\"}", "object missing");
	EV_ERR("{\"type\":\"ADDED\",\"object\":null}", "object missing");
	EV_ERR("{\"type\":\"ADDED\",\"object\":[]}", "object: not an object");
	EV_ERR("{\"type\":\"ERROR\",\"object\":\"gone\"}",
	       "object: not an object");
	EV_ERR("{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":7}}",
	       "object.metadata: not an object");
	EV_ERR("{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":"
	       "{\"resourceVersion\":9001}}}",
	       "object.metadata.resourceVersion: not a string");
	EV_ERR("{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":"
	       "{\"resourceVersion\":\"123456789012345678901234567890123\"}}}",
	       "object.metadata.resourceVersion: too long");
	EV_ERR("{\"type\":\"ADDED\",\"object\":{\"a\":\"\\ud800\"}}",
	       "malformed JSON");

	/* Nesting deeper than cJSON allows fails cleanly. */
	{
		size_t depth = 5000, len = 2 * depth;
		char *deep = malloc(len);

		assert_non_null(deep);
		memset(deep, '[', depth);
		memset(deep + depth, ']', depth);
		expect_event(deep, len, ND_EPARSE, "malformed JSON");
		free(deep);
	}

	memset(&ev, 0xa5, sizeof(ev));
	assert_int_equal(nd_kube_decode_event(NULL, 4, &ev, err, sizeof(err)),
			 -EINVAL);
	assert_true(is_zero(&ev, sizeof(ev)));
	assert_int_equal(nd_kube_decode_event("{}", 2, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(nd_kube_decode_event("{}", 2, &ev, NULL, 0),
			 ND_EPARSE);
}

/*
 * A watch line cut anywhere (a dropped connection, a short read) must
 * fail cleanly. Each prefix sits in a buffer of exactly its length, so
 * ASan flags any read past it.
 */
static void test_events_prefixes(void **state)
{
	struct nd_kube_event ev;
	char err[128];
	(void)state;

	for (size_t n = 0; n < N_EVENT_LINES; n++) {
		size_t len;
		char *line = event_line(n, &len);

		for (size_t i = 0; i <= len; i++) {
			char *p = malloc(i > 0 ? i : 1);
			int rc;

			assert_non_null(p);
			memcpy(p, line, i);
			rc = nd_kube_decode_event(p, i, &ev, err, sizeof(err));
			if (i < len) {
				assert_int_equal(rc, ND_EPARSE);
				assert_null(ev.root);
			} else {
				assert_int_equal(rc, 0);
			}
			nd_kube_event_deinit(&ev);
			free(p);
		}
		free(line);
	}
}

/* ---- never crash on type confusion -------------------------------------- */

static size_t count_nodes(const cJSON *j)
{
	size_t n = 1;
	const cJSON *c;

	cJSON_ArrayForEach(c, j)
		n += count_nodes(c);
	return n;
}

/* Pre-order node *k below root (root itself excluded), with its parent. */
static cJSON *nth_node(cJSON *j, size_t *k, cJSON **parent)
{
	cJSON *c;

	cJSON_ArrayForEach(c, j) {
		cJSON *found;

		if ((*k)-- == 0) {
			*parent = j;
			return c;
		}
		found = nth_node(c, k, parent);
		if (found != NULL)
			return found;
	}
	return NULL;
}

static void check_decodes(const cJSON *obj)
{
	struct nd_kube_service svc;
	struct nd_kube_slice sl;
	char name[ND_KUBE_NAME_MAX], rv[ND_KUBE_RV_MAX], err[128];
	int rc;

	rc = nd_kube_decode_service(obj, &svc, err, sizeof(err));
	assert_true(rc == 0 || rc == ND_EPARSE);
	if (rc == 0) {
		assert_true(svc.n_ips <= 2);
		assert_true(svc.name[0] != '\0' && svc.ns[0] != '\0');
		for (size_t i = 0; i < svc.n_ports; i++)
			assert_int_not_equal(svc.ports[i].port, 0);
	} else {
		assert_true(err[0] != '\0');
		assert_true(is_zero(&svc, sizeof(svc)));
	}
	nd_kube_service_deinit(&svc);

	rc = nd_kube_decode_slice(obj, &sl, err, sizeof(err));
	assert_true(rc == 0 || rc == ND_EPARSE);
	if (rc == 0) {
		for (size_t i = 0; i < sl.n_eps; i++) {
			assert_true(sl.eps[i].n_addrs > 0);
			for (size_t a = 0; a < sl.eps[i].n_addrs; a++)
				assert_int_equal(sl.eps[i].addrs[a].family,
						 sl.address_type);
		}
	} else {
		assert_true(err[0] != '\0');
		assert_true(is_zero(&sl, sizeof(sl)));
	}
	nd_kube_slice_deinit(&sl);

	rc = nd_kube_decode_namespace(obj, name, rv, err, sizeof(err));
	assert_true(rc == 0 || rc == ND_EPARSE);
	(void)nd_kube_object_kind(obj);
}

/*
 * Every node of every fixture, in turn replaced by a value of every JSON
 * type (and a few awkward ones), decoded as every kind.
 */
static void test_type_confusion(void **state)
{
	static const char *const files[] = {
		"service_clusterip.json", "service_dualstack.json",
		"service_headless.json",  "service_externalname.json",
		"service_nodeport.json",  "slice_ipv4.json",
		"slice_ipv6.json",	  "slice_fqdn.json",
		"namespace.json",
	};
	static const char *const subst[] = {
		"null", "true", "false", "0", "-1", "1e999", "65536", "80.5",
		"\"\"", "\"None\"", "\"::\"", "\"x\"", "[]", "{}", "[null]",
		"[\"10.0.0.1\",\"::1\"]",
	};
	(void)state;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		cJSON *orig = load_json(files[f]);
		size_t n = count_nodes(orig) - 1;

		check_decodes(orig);
		for (size_t k = 0; k < n; k++) {
			for (size_t s = 0; s < sizeof(subst) / sizeof(subst[0]);
			     s++) {
				cJSON *copy = cJSON_Duplicate(orig, 1);
				cJSON *parent = NULL, *node;
				size_t kk = k;

				assert_non_null(copy);
				node = nth_node(copy, &kk, &parent);
				assert_non_null(node);
				assert_true(cJSON_ReplaceItemViaPointer(
					parent, node, cJSON_Parse(subst[s])));
				check_decodes(copy);
				cJSON_Delete(copy);
			}
		}
		cJSON_Delete(orig);
	}
}

/* ---- RFC 3339 time ------------------------------------------------------ */

static void test_time(void **state)
{
	static const struct {
		const char *text;
		int64_t ms;
	} good[] = {
		{ "2024-05-01T10:00:00Z", T_2024_05_01_10 },
		{ "2024-05-01T10:00:00.123456789Z", T_2024_05_01_10 + 123 },
		{ "2024-05-01T10:00:00.1Z", T_2024_05_01_10 + 100 },
		{ "2024-05-01T10:00:00.12Z", T_2024_05_01_10 + 120 },
		{ "2024-05-01T10:00:00.999999999999Z", T_2024_05_01_10 + 999 },
		{ "2024-05-01T12:00:00+02:00", T_2024_05_01_10 },
		{ "2024-05-01T12:00:00.250+02:00", T_2024_05_01_10 + 250 },
		{ "2024-05-01T04:30:00-05:30", T_2024_05_01_10 },
		{ "2024-05-01T10:00:00+00:00", T_2024_05_01_10 },
		{ "2024-05-01T10:00:00-00:00", T_2024_05_01_10 },
		{ "2024-05-01t10:00:00z", T_2024_05_01_10 },
		{ "2024-05-01 10:00:00Z", T_2024_05_01_10 },
		{ "2024-05-02T00:00:00+14:00", T_2024_05_01_10 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", -1000 },
		{ "1969-12-31T23:59:59.5Z", -500 },
		{ "2000-02-29T00:00:00Z", 951782400000LL },
		{ "2024-02-29T23:59:59Z", 1709251199000LL },
		{ "2016-12-31T23:59:60Z", 1483228800000LL },
		{ "9999-12-31T23:59:59Z", 253402300799000LL },
		{ "0000-01-01T00:00:00Z", -62167219200000LL },
	};
	static const char *const bad[] = {
		"",
		"2024",
		"2024-05-01",
		"2024-05-01T10:00:00",
		"2024-05-01T10:00Z",
		"2024-05-01T10:00:00.Z",
		"2024-05-01T10:00:00,5Z",
		"2024-05-01T10:00:00ZZ",
		"2024-05-01T10:00:00Z ",
		" 2024-05-01T10:00:00Z",
		"2024-05-01T10:00:00+02",
		"2024-05-01T10:00:00+0200",
		"2024-05-01T10:00:00+2:00",
		"2024-05-01T10:00:00+02:60",
		"2024-05-01T10:00:00+24:00",
		"2024-05-01X10:00:00Z",
		"2024-5-01T10:00:00Z",
		"2024-00-01T10:00:00Z",
		"2024-13-01T10:00:00Z",
		"2024-05-00T10:00:00Z",
		"2024-04-31T10:00:00Z",
		"2023-02-29T10:00:00Z",
		"1900-02-29T10:00:00Z",
		"2024-05-01T24:00:00Z",
		"2024-05-01T10:60:00Z",
		"2024-05-01T10:00:61Z",
		"+2024-05-01T10:00:00Z",
		"2024-05-01T10:00:00\xff",
		"yesterday",
	};
	int64_t ms;
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 42;
		if (nd_kube_parse_time(good[i].text, &ms) != 0)
			fail_msg("'%s' did not parse", good[i].text);
		if (ms != good[i].ms)
			fail_msg("'%s': %lld, want %lld", good[i].text,
				 (long long)ms, (long long)good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 42;
		if (nd_kube_parse_time(bad[i], &ms) != ND_EPARSE)
			fail_msg("'%s' parsed", bad[i]);
		assert_int_equal(ms, 0);
	}
	/* Every day from 1970 to 2100 agrees with timegm(). */
	for (time_t t = 0; t < 4102444800; t += 86400 + 3661) {
		struct tm tm;
		char text[40];

		assert_non_null(gmtime_r(&t, &tm));
		strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_int_equal(nd_kube_parse_time(text, &ms), 0);
		assert_int_equal(ms, (int64_t)t * 1000);
	}
	assert_int_equal(nd_kube_parse_time(NULL, &ms), -EINVAL);
	assert_int_equal(nd_kube_parse_time("2024-05-01T10:00:00Z", NULL),
			 -EINVAL);
}

int main(void)
{
	cJSON_Hooks hooks = { hook_malloc, hook_free };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_clusterip),
		cmocka_unit_test(test_service_dualstack),
		cmocka_unit_test(test_service_headless),
		cmocka_unit_test(test_service_externalname),
		cmocka_unit_test(test_service_nodeport),
		cmocka_unit_test(test_service_variants),
		cmocka_unit_test(test_service_errors),
		cmocka_unit_test(test_slice_ipv4),
		cmocka_unit_test(test_slice_ipv6),
		cmocka_unit_test(test_slice_fqdn),
		cmocka_unit_test(test_slice_variants),
		cmocka_unit_test(test_slice_errors),
		cmocka_unit_test(test_namespace),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_events_recorded),
		cmocka_unit_test(test_events_variants),
		cmocka_unit_test(test_events_prefixes),
		cmocka_unit_test(test_type_confusion),
		cmocka_unit_test(test_time),
	};

	cJSON_InitHooks(&hooks);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
