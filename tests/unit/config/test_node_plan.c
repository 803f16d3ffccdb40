/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for config/node_plan.c: --node-local-ip and --node-interface
 * values, the listen addresses they add, the nftables script, and the
 * check of our table as nft lists it (a real `nft -j list table inet
 * nodedns` of 169.254.20.10 and fd00::10, in fixtures/) against the plan. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "config/config.h"
#include "config/node_plan.h"
#include "util/addr.h"
#include "util/errors.h"

static char err[1024];
static char resolv[] = "/tmp/nd_test_node_plan_XXXXXX";

static int setup(void **state)
{
	static struct nd_config c;
	int fd = mkstemp(resolv);

	assert_true(fd >= 0);
	assert_true(write(fd, "nameserver 192.0.2.53\n", 22) == 22);
	close(fd);
	nd_config_init(&c);
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	nd_config_deinit(*state);
	unlink(resolv);
	strcpy(resolv, "/tmp/nd_test_node_plan_XXXXXX");
	return 0;
}

static int load_args(struct nd_config *c, const char **args)
{
	int argc = 0;

	while (args[argc] != NULL)
		argc++;
	err[0] = '\0';
	return nd_config_load(c, argc, (char **)args, err, sizeof(err));
}

#define LOAD(c, ...)                                                         \
	load_args((c), (const char *[]){ "nodedns", "--resolv-conf", resolv, \
					 __VA_ARGS__, NULL })

static void assert_listen(const struct nd_config *c, size_t i,
			  const char *want)
{
	char buf[ND_ADDR_STRLEN];

	assert_true(i < c->n_listen);
	nd_addr_format((const struct sockaddr *)&c->listen[i], buf,
		       sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_addr_parse(void **state)
{
	struct nd_node_addr a, b;
	char why[128], buf[64];
	static const char *const bad[] = {
		"169.254.20",	  "169.254.20.10:53", "169.254.20.10/32",
		"[fd00::10]",	  "0.0.0.0",	      "::",
		"224.0.0.251",	  "ff02::1",	      "node",
		"",		  " 169.254.20.10",
	};
	(void)state;

	assert_int_equal(nd_node_addr_parse("169.254.20.10", &a, why,
					    sizeof(why)),
			 0);
	assert_int_equal(a.family, AF_INET);
	nd_node_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "169.254.20.10");
	assert_int_equal(nd_node_addr_parse("FD00:0::10", &b, why, sizeof(why)),
			 0);
	assert_int_equal(b.family, AF_INET6);
	nd_node_addr_format(&b, buf, sizeof(buf));
	assert_string_equal(buf, "fd00::10");
	assert_false(nd_node_addr_equal(&a, &b));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(nd_node_addr_parse(bad[i], &a, why,
						    sizeof(why)),
				 -EINVAL);
		assert_true(why[0] != '\0');
	}
	assert_int_equal(nd_node_addr_parse("0.0.0.0", &a, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "unspecified address");
	assert_int_equal(nd_node_addr_parse(NULL, &a, NULL, 0), -EINVAL);
}

static void test_ifname(void **state)
{
	char why[64];
	(void)state;

	assert_int_equal(nd_node_ifname_check("nodedns", why, sizeof(why)), 0);
	assert_int_equal(nd_node_ifname_check("lo", why, sizeof(why)), 0);
	assert_int_equal(
		nd_node_ifname_check("123456789012345", why, sizeof(why)), 0);
	assert_int_equal(
		nd_node_ifname_check("1234567890123456", why, sizeof(why)),
		-EINVAL);
	assert_int_equal(nd_node_ifname_check("", why, sizeof(why)), -EINVAL);
	assert_int_equal(nd_node_ifname_check("a/b", why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(nd_node_ifname_check("a b", why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(nd_node_ifname_check("eth0:1", why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(nd_node_ifname_check("..", why, sizeof(why)),
			 -EINVAL);
}

/* Without --listen the node-local addresses replace 127.0.0.1:53. */
static void test_config_listeners(void **state)
{
	struct nd_config *c = *state;

	assert_false(nd_node_setup_is_configured(c));
	assert_int_equal(LOAD(c, "--node-local-ip", "169.254.20.10",
			      "--node-local-ip", "fd00::10"),
			 0);
	assert_true(nd_node_setup_is_configured(c));
	assert_int_equal(c->n_node_ips, 2);
	assert_int_equal(c->node_port, 53);
	assert_string_equal(c->node_interface, "nodedns");
	assert_int_equal(c->node_setup_interval_s, 60);
	assert_false(c->node_interface_shared);
	assert_false(c->node_keep_setup);
	assert_int_equal(c->n_listen, 2);
	assert_listen(c, 0, "169.254.20.10:53");
	assert_listen(c, 1, "[fd00::10]:53");
}

/* With --listen: kept, and its port is the node-local one; an address
 * given both ways is listened on once. */
static void test_config_listen_port(void **state)
{
	struct nd_config *c = *state;

	assert_int_equal(LOAD(c, "--listen", "127.0.0.1:5353", "--listen",
			      "169.254.20.10:5353", "--node-local-ip",
			      "169.254.20.10", "--node-local-ip",
			      "169.254.99.10", "--node-interface", "lo",
			      "--node-interface-shared", "on",
			      "--node-setup-interval", "2",
			      "--node-keep-setup", "on"),
			 0);
	assert_int_equal(c->node_port, 5353);
	assert_int_equal(c->n_listen, 3);
	assert_listen(c, 0, "127.0.0.1:5353");
	assert_listen(c, 1, "169.254.20.10:5353");
	assert_listen(c, 2, "169.254.99.10:5353");
	assert_string_equal(c->node_interface, "lo");
	assert_true(c->node_interface_shared);
	assert_true(c->node_keep_setup);
	assert_int_equal(c->node_setup_interval_s, 2);
}

static void test_config_errors(void **state)
{
	struct nd_config *c = *state;
	char path[] = "/tmp/nd_test_node_plan_conf_XXXXXX";
	int fd;

	assert_int_equal(LOAD(c, "--node-local-ip", "169.254.20.10:53"),
			 ND_EPARSE);
	assert_string_equal(err, "option --node-local-ip: bad address "
				 "'169.254.20.10:53' (want an IPv4 or IPv6 "
				 "address, without port or prefix)");
	assert_int_equal(LOAD(c, "--node-local-ip", "169.254.20.10",
			      "--node-local-ip", "169.254.20.10"),
			 ND_EPARSE);
	assert_non_null(strstr(err, "duplicate address 169.254.20.10"));
	assert_int_equal(LOAD(c, "--node-interface", "a/b"), ND_EPARSE);
	assert_non_null(strstr(err, "option --node-interface: bad interface "
				    "name 'a/b'"));
	assert_int_equal(LOAD(c, "--node-setup-interval", "0"), ND_EPARSE);
	assert_non_null(strstr(err, "node-setup-interval"));

	/* In a file: FILE:LINE and the reason. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	dprintf(fd, "# node\nnode-local-ip 169.254.20.10\n"
		    "node-local-ip node.local\n");
	close(fd);
	assert_int_equal(LOAD(c, "-c", path), ND_EPARSE);
	unlink(path);
	{
		char want[128];

		snprintf(want, sizeof(want),
			 "%s:3: bad address 'node.local' for node-local-ip",
			 path);
		assert_non_null(strstr(err, want));
	}
}

static void plan_two(struct nd_node_plan *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->ifname, "lo");
	p->port = 53;
	assert_int_equal(nd_node_addr_parse("169.254.20.10", &p->addrs[0],
					    NULL, 0),
			 0);
	assert_int_equal(nd_node_addr_parse("fd00::10", &p->addrs[1], NULL,
					    0),
			 0);
	p->n_addrs = 2;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p != NULL;
	     p = strstr(p + 1, what))
		n++;
	return n;
}

static void test_script(void **state)
{
	struct nd_node_plan p;
	char buf[16384], small[64];
	int n;
	(void)state;

	plan_two(&p);
	n = nd_node_plan_nft_script(&p, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n == strlen(buf));
	/* replace in one transaction */
	assert_memory_equal(buf,
			    "add table inet nodedns\ndelete table inet "
			    "nodedns\ntable inet nodedns {\n",
			    55);
	assert_non_null(strstr(buf, "chain raw_prerouting {\n\t\ttype filter "
				    "hook prerouting priority -300;"));
	assert_non_null(strstr(buf, "chain raw_output {\n\t\ttype filter "
				    "hook output priority -300;"));
	assert_non_null(strstr(buf, "chain filter_input {\n\t\ttype filter "
				    "hook input priority 0;"));
	assert_non_null(strstr(buf, "chain filter_output {\n\t\ttype filter "
				    "hook output priority 0;"));
	assert_int_equal(count(buf, " notrack comment"), 16);
	assert_int_equal(count(buf, " accept comment"), 8);
	assert_int_equal(count(buf, "ip daddr 169.254.20.10 udp dport 53 "
				    "notrack"),
			 2);
	assert_int_equal(count(buf, "ip6 saddr fd00::10 tcp sport 53 "
				    "notrack"),
			 2);
	assert_int_equal(count(buf, "ip saddr 169.254.20.10 udp sport 53 "
				    "accept"),
			 1);
	assert_int_equal(count(buf, "ip6 daddr fd00::10 tcp dport 53 "
				    "accept"),
			 1);
	/* nothing for (saddr, sport) in input nor (daddr, dport) in the
	 * filter output: those are the other direction */
	assert_int_equal(count(buf, "saddr 169.254.20.10 udp sport 53 accept"),
			 1);
	assert_int_equal(nd_node_plan_nft_script(&p, small, sizeof(small)),
			 -ENOSPC);
	n = nd_node_plan_nft_remove(buf, sizeof(buf));
	assert_string_equal(buf,
			    "add table inet nodedns\ndelete table inet "
			    "nodedns\n");
}

static char *fixture(void)
{
	const char *src = getenv("ND_SRCDIR");
	char path[1024];
	FILE *f;
	char *text;
	long n;

	if (src != NULL)
		snprintf(path, sizeof(path),
			 "%s/tests/unit/config/fixtures/nft_nodedns_table.json",
			 src);
	else
		snprintf(path, sizeof(path), "%.*s/fixtures/"
					     "nft_nodedns_table.json",
			 (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

/* The fixture's rules of chain (NULL: any) whose comment contains what. */
static cJSON *find_rule(cJSON *doc, const char *chain, const char *what)
{
	cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "nftables"))
	{
		cJSON *r = cJSON_GetObjectItem(it, "rule");
		const char *cm, *ch;

		if (r == NULL)
			continue;
		cm = cJSON_GetStringValue(cJSON_GetObjectItem(r, "comment"));
		ch = cJSON_GetStringValue(cJSON_GetObjectItem(r, "chain"));
		if (cm != NULL && strstr(cm, what) != NULL &&
		    (chain == NULL || strcmp(ch, chain) == 0))
			return it;
	}
	return NULL;
}

static void check(struct nd_node_plan *p, cJSON *doc,
		  struct nd_node_rules_diff *d)
{
	char *text = cJSON_PrintUnformatted(doc);

	assert_non_null(text);
	assert_int_equal(nd_node_rules_check(p, text, d), 0);
	free(text);
}

static void test_rules_check(void **state)
{
	struct nd_node_plan p;
	struct nd_node_rules_diff d;
	char *json = fixture();
	cJSON *doc, *it, *r;
	(void)state;

	plan_two(&p);
	/* as nft listed it */
	assert_int_equal(nd_node_rules_check(&p, json, &d), 0);
	assert_true(d.has_table);
	assert_int_equal(d.chains_missing, 0);
	assert_int_equal(d.rules_ok, 24);
	assert_int_equal(d.rules_missing, 0);
	assert_int_equal(d.rules_extra, 0);
	assert_true(nd_node_rules_diff_is_clean(&d));

	/* a plan with a third address: its 12 rules are missing */
	assert_int_equal(nd_node_addr_parse("169.254.99.10", &p.addrs[2],
					    NULL, 0),
			 0);
	p.n_addrs = 3;
	assert_int_equal(nd_node_rules_check(&p, json, &d), 0);
	assert_int_equal(d.rules_missing, 12);
	assert_false(nd_node_rules_diff_is_clean(&d));
	p.n_addrs = 2;

	/* another port: nothing matches */
	p.port = 5353;
	assert_int_equal(nd_node_rules_check(&p, json, &d), 0);
	assert_int_equal(d.rules_missing, 24);
	assert_int_equal(d.rules_extra, 24);
	p.port = 53;

	/* someone deleted one rule */
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	it = find_rule(doc, "raw_output", "queries to 169.254.20.10 udp");
	assert_non_null(it);
	cJSON_DetachItemViaPointer(cJSON_GetObjectItem(doc, "nftables"), it);
	cJSON_Delete(it);
	check(&p, doc, &d);
	assert_int_equal(d.rules_missing, 1);
	assert_int_equal(d.rules_extra, 0);
	assert_false(nd_node_rules_diff_is_clean(&d));
	cJSON_Delete(doc);

	/* a rule's verdict changed (the comment alone proves nothing) */
	doc = cJSON_Parse(json);
	it = find_rule(doc, "raw_prerouting", "queries to fd00::10 tcp");
	r = cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(it, "rule"), "expr"), 2);
	assert_non_null(cJSON_GetObjectItem(r, "notrack"));
	cJSON_DeleteItemFromObject(r, "notrack");
	cJSON_AddItemToObject(r, "drop", cJSON_CreateNull());
	check(&p, doc, &d);
	assert_int_equal(d.rules_missing, 1);
	assert_int_equal(d.rules_extra, 1);
	cJSON_Delete(doc);

	/* the same address spelled otherwise is the same rule */
	doc = cJSON_Parse(json);
	it = find_rule(doc, "filter_input", "queries to fd00::10 udp");
	r = cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(it, "rule"), "expr"), 0);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(r, "match"), "right",
				  cJSON_CreateString("FD00:0:0::10"));
	check(&p, doc, &d);
	assert_true(nd_node_rules_diff_is_clean(&d));
	cJSON_Delete(doc);

	/* a chain moved to another priority */
	doc = cJSON_Parse(json);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "nftables"))
	{
		cJSON *c = cJSON_GetObjectItem(it, "chain");

		if (c != NULL && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(
						c, "name")),
					"raw_output") == 0)
			cJSON_ReplaceItemInObject(c, "prio",
						  cJSON_CreateNumber(-150));
	}
	check(&p, doc, &d);
	assert_int_equal(d.chains_missing, 1);
	assert_false(nd_node_rules_diff_is_clean(&d));
	cJSON_Delete(doc);

	/* no table: everything missing */
	assert_int_equal(nd_node_rules_check(&p, NULL, &d), 0);
	assert_false(d.has_table);
	assert_int_equal(d.chains_missing, 4);
	assert_int_equal(d.rules_missing, 24);
	/* not nft's JSON */
	assert_int_equal(nd_node_rules_check(&p, "{\"x\": 1}", &d), ND_EPARSE);
	assert_int_equal(nd_node_rules_check(&p, "{not json", &d), ND_EPARSE);
	assert_false(nd_node_rules_diff_is_clean(&d));
	free(json);
}

static void test_addrs_missing(void **state)
{
	struct nd_node_plan p;
	struct nd_node_addr have[3];
	size_t missing[ND_MAX_NODE_IPS];
	(void)state;

	plan_two(&p);
	assert_int_equal(nd_node_addrs_missing(&p, NULL, 0, missing), 2);
	assert_int_equal(missing[0], 0);
	assert_int_equal(missing[1], 1);
	/* other addresses on the interface (lo's own) do not matter */
	nd_node_addr_parse("127.0.0.1", &have[0], NULL, 0);
	nd_node_addr_parse("fd00::10", &have[1], NULL, 0);
	assert_int_equal(nd_node_addrs_missing(&p, have, 2, missing), 1);
	assert_int_equal(missing[0], 0);
	nd_node_addr_parse("169.254.20.10", &have[2], NULL, 0);
	assert_int_equal(nd_node_addrs_missing(&p, have, 3, missing), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_ifname),
		cmocka_unit_test_setup_teardown(test_config_listeners, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_listen_port, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_errors, setup,
						teardown),
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_rules_check),
		cmocka_unit_test(test_addrs_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
