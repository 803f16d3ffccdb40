/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/util/test_cpu_limit.c - usable CPUs: cgroup v1 and v2 quota
 * texts, the walk up a cgroup path, the affinity mask. */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/cpu_limit.h"
#include "util/errors.h"

static void test_v2_text(void **state)
{
	unsigned n = 99;

	(void)state;
	assert_int_equal(nd_cpu_quota_v2("max 100000\n", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(nd_cpu_quota_v2("max", &n), 0);
	assert_int_equal(n, 0);
	/* 100m on a 96-core node: one worker, not 96. */
	assert_int_equal(nd_cpu_quota_v2("10000 100000\n", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nd_cpu_quota_v2("150000 100000", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nd_cpu_quota_v2("200000 100000", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nd_cpu_quota_v2("", &n), ND_EPARSE);
	assert_int_equal(nd_cpu_quota_v2("12x 100000", &n), ND_EPARSE);
	assert_int_equal(nd_cpu_quota_v2("1000", &n), ND_EPARSE);
	assert_int_equal(nd_cpu_quota_v2("1000 0", &n), ND_EPARSE);
	assert_int_equal(nd_cpu_quota_v2(NULL, &n), -EINVAL);
}

static void test_v1_text(void **state)
{
	unsigned n = 99;

	(void)state;
	assert_int_equal(nd_cpu_quota_v1("-1\n", "100000\n", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(nd_cpu_quota_v1("250000\n", "100000\n", &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(nd_cpu_quota_v1("50000", "100000", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nd_cpu_quota_v1("abc", "100000", &n), ND_EPARSE);
	assert_int_equal(nd_cpu_quota_v1("50000", "0", &n), ND_EPARSE);
	assert_int_equal(nd_cpu_quota_v1("50000", NULL, &n), -EINVAL);
}

/* A fake cgroup tree under a temporary folder. */
struct tree {
	char root[PATH_MAX];
};

static void put(const struct tree *t, const char *rel, const char *text)
{
	char path[PATH_MAX * 2], dir[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	/* mkdir -p of the file's folder */
	for (char *p = dir + strlen(t->root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	snprintf(t->root, sizeof(t->root), "/tmp/nd-cpu-limit.XXXXXX");
	if (mkdtemp(t->root) == NULL)
		return -1;
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void test_v2_walks_up_to_the_smallest(void **state)
{
	struct tree *t = *state;
	unsigned n = 99;

	/* The pod's limit is 3 CPUs, the container's none: 3. */
	put(t, "cpu.max", "max 100000\n");
	put(t, "kubepods/cpu.max", "max 100000\n");
	put(t, "kubepods/pod1/cpu.max", "250000 100000\n");
	put(t, "kubepods/pod1/ctr/cpu.max", "max 100000\n");
	assert_int_equal(nd_cpu_quota_of(t->root, "0::/kubepods/pod1/ctr\n",
					 &n),
			 0);
	assert_int_equal(n, 3);
	/* A tighter container limit wins. */
	put(t, "kubepods/pod1/ctr/cpu.max", "100000 100000\n");
	assert_int_equal(nd_cpu_quota_of(t->root, "0::/kubepods/pod1/ctr\n",
					 &n),
			 0);
	assert_int_equal(n, 1);
	/* A cgroup namespace: /proc says "/", the mount is ours. */
	assert_int_equal(nd_cpu_quota_of(t->root, "0::/\n", &n), 0);
	assert_int_equal(n, 0);
	/* A path that is not there (another namespace): nothing found
	 * below, the root's own file still read. */
	assert_int_equal(nd_cpu_quota_of(t->root, "0::/elsewhere/x\n", &n), 0);
	assert_int_equal(n, 0);
}

static void test_v1_controller_mount(void **state)
{
	struct tree *t = *state;
	unsigned n = 99;
	const char *proc = "12:pids:/a\n"
			   "4:memory:/process_api/c3\n"
			   "3:cpu,cpuacct:/kubepods/burstable/pod2\n"
			   "0::/\n";

	put(t, "cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
	put(t, "cpu,cpuacct/cpu.cfs_period_us", "100000\n");
	put(t, "cpu,cpuacct/kubepods/burstable/pod2/cpu.cfs_quota_us",
	    "50000\n");
	put(t, "cpu,cpuacct/kubepods/burstable/pod2/cpu.cfs_period_us",
	    "100000\n");
	assert_int_equal(nd_cpu_quota_of(t->root, proc, &n), 0);
	assert_int_equal(n, 1);
	/* "cpuacct" alone is not "cpu". */
	assert_int_equal(nd_cpu_quota_of(t->root, "3:cpuacct:/kubepods\n", &n),
			 0);
	assert_int_equal(n, 0);
	/* Garbage lines are skipped, not fatal. */
	assert_int_equal(nd_cpu_quota_of(t->root, "garbage\n::\n7:cpu:rel\n",
					 &n),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(nd_cpu_quota_of(NULL, proc, &n), -EINVAL);
}

static void test_usable_is_the_smallest(void **state)
{
	struct tree *t = *state;
	struct nd_cpu_usable u;
	char proc[PATH_MAX + 16];
	cpu_set_t set;

	put(t, "cpu.max", "100000 100000\n");
	put(t, "self_cgroup", "0::/\n");
	snprintf(proc, sizeof(proc), "%s/self_cgroup", t->root);
	assert_int_equal(nd_cpus_usable(t->root, proc, &u), 1);
	assert_int_equal(u.quota, 1);
	assert_true(u.online >= 1);
	/* Without a quota: the affinity mask (one CPU pinned here). */
	put(t, "cpu.max", "max 100000\n");
	CPU_ZERO(&set);
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	cpu_set_t one;
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set)) {
			CPU_SET(i, &one);
			break;
		}
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(nd_cpus_usable(t->root, proc, &u), 1);
	assert_int_equal(u.affinity, 1);
	assert_int_equal(u.quota, 0);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	assert_int_equal(nd_cpus_usable(t->root, proc, &u),
			 (unsigned)CPU_COUNT(&set) < u.online ?
				 (unsigned)CPU_COUNT(&set) :
				 u.online);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_text),
		cmocka_unit_test(test_v1_text),
		cmocka_unit_test_setup_teardown(test_v2_walks_up_to_the_smallest,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_v1_controller_mount,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_usable_is_the_smallest,
						tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
