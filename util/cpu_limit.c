/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/cpu_limit.c - usable CPUs from the affinity mask and the cgroup's
 * CPU quota. A worker per online CPU is wrong in a container: a pod
 * limited to 100m on a 96-core node would run 96 workers that the CFS
 * quota then throttles together. */
#include "util/cpu_limit.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/errors.h"

#define MAX_CPUS 4096 /* no more are counted, whatever the mask says */

/* Parse a whole decimal number (surrounding white space allowed). */
static int parse_num(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (end == s || errno != 0)
		return ND_EPARSE;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	return *end == '\0' ? 0 : ND_EPARSE;
}

/* quota / period rounded up, at least 1 and at most MAX_CPUS. */
static unsigned round_up(long long quota, long long period)
{
	long long n = (quota + period - 1) / period;

	return n < 1 ? 1 : (n > MAX_CPUS ? MAX_CPUS : (unsigned)n);
}

int nd_cpu_quota_v2(const char *cpu_max, unsigned *cpus)
{
	char quota[32], period[32];
	long long q, p;

	if (cpu_max == NULL || cpus == NULL)
		return -EINVAL;
	*cpus = 0;
	/* "max" alone is allowed too: the period then is the default. */
	if (sscanf(cpu_max, " %31s %31s", quota, period) < 1)
		return ND_EPARSE;
	if (strcmp(quota, "max") == 0)
		return 0;
	if (parse_num(quota, &q) != 0 || q <= 0)
		return ND_EPARSE;
	if (sscanf(cpu_max, " %*s %31s", period) != 1 ||
	    parse_num(period, &p) != 0 || p <= 0)
		return ND_EPARSE;
	*cpus = round_up(q, p);
	return 0;
}

int nd_cpu_quota_v1(const char *quota_us, const char *period_us,
		    unsigned *cpus)
{
	long long q, p;

	if (quota_us == NULL || period_us == NULL || cpus == NULL)
		return -EINVAL;
	*cpus = 0;
	if (parse_num(quota_us, &q) != 0)
		return ND_EPARSE;
	if (q < 0) /* -1: no limit */
		return 0;
	if (q == 0 || parse_num(period_us, &p) != 0 || p <= 0)
		return ND_EPARSE;
	*cpus = round_up(q, p);
	return 0;
}

/* Read a small file into buf; 0 or -errno. */
static int read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* Keep the smaller limit; 0 means none. */
static void take_min(unsigned *have, unsigned found)
{
	if (found != 0 && (*have == 0 || found < *have))
		*have = found;
}

/* The limit at dir (v2: cpu.max; v1: the cfs pair), 0 if none. */
static unsigned limit_at(const char *dir, int version)
{
	char path[PATH_MAX], a[64], b[64];
	unsigned cpus = 0;

	if (version == 2) {
		if (snprintf(path, sizeof(path), "%s/cpu.max", dir) >=
			    (int)sizeof(path) ||
		    read_small(path, a, sizeof(a)) != 0)
			return 0;
		nd_cpu_quota_v2(a, &cpus);
		return cpus;
	}
	if (snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", dir) >=
		    (int)sizeof(path) ||
	    read_small(path, a, sizeof(a)) != 0)
		return 0;
	if (snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", dir) >=
		    (int)sizeof(path) ||
	    read_small(path, b, sizeof(b)) != 0)
		return 0;
	nd_cpu_quota_v1(a, b, &cpus);
	return cpus;
}

/* Walk mount/cg and each ancestor up to mount itself. */
static unsigned limit_on_path(const char *mount, const char *cg, int version)
{
	char dir[PATH_MAX];
	unsigned have = 0;
	size_t n;

	if (snprintf(dir, sizeof(dir), "%s%s", mount, cg) >= (int)sizeof(dir))
		return 0;
	n = strlen(dir);
	while (n > 0 && dir[n - 1] == '/' && n > strlen(mount))
		dir[--n] = '\0';
	for (;;) {
		if (access(dir, F_OK) == 0)
			take_min(&have, limit_at(dir, version));
		if (strlen(dir) <= strlen(mount))
			break;
		char *slash = strrchr(dir + strlen(mount), '/');
		if (slash == NULL)
			break;
		*slash = '\0';
	}
	return have;
}

/* Does the v1 controller list ("cpu,cpuacct") name "cpu"? */
static int names_cpu(const char *list, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && list[j] != ',')
			j++;
		if (j - i == 3 && memcmp(list + i, "cpu", 3) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

int nd_cpu_quota_of(const char *root, const char *proc_cgroup,
		    unsigned *cpus)
{
	const char *line = proc_cgroup;
	char mount[PATH_MAX];
	unsigned have = 0;

	if (root == NULL || proc_cgroup == NULL || cpus == NULL)
		return -EINVAL;
	/* Lines are "ID:CONTROLLERS:PATH"; v2's is "0::PATH". */
	while (line != NULL && *line != '\0') {
		const char *eol = strchr(line, '\n');
		const char *c1 = strchr(line, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		char cg[PATH_MAX];
		size_t plen;

		if (c2 == NULL || (eol != NULL && c2 > eol))
			goto next;
		plen = eol ? (size_t)(eol - c2 - 1) : strlen(c2 + 1);
		if (plen == 0 || plen >= sizeof(cg) || c2[1] != '/')
			goto next;
		memcpy(cg, c2 + 1, plen);
		cg[plen] = '\0';
		if (c2 == c1 + 1) {
			/* v2 at the root itself (or, in hybrid mode, at
			 * root/unified, which holds no cpu controller). */
			take_min(&have, limit_on_path(root, cg, 2));
		} else if (names_cpu(c1 + 1, (size_t)(c2 - c1 - 1))) {
			snprintf(mount, sizeof(mount), "%s/cpu,cpuacct", root);
			if (access(mount, F_OK) != 0)
				snprintf(mount, sizeof(mount), "%s/cpu", root);
			take_min(&have, limit_on_path(mount, cg, 1));
		}
next:
		line = eol ? eol + 1 : NULL;
	}
	*cpus = have;
	return 0;
}

unsigned nd_cpus_usable(const char *root, const char *proc_cgroup_path,
			struct nd_cpu_usable *out)
{
	struct nd_cpu_usable u = { 0 };
	cpu_set_t set;
	char text[4096];
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	u.online = n < 1 ? 1 : (n > MAX_CPUS ? MAX_CPUS : (unsigned)n);
	u.usable = u.online;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		u.affinity = (unsigned)CPU_COUNT(&set);
		if (u.affinity > 0 && u.affinity < u.usable)
			u.usable = u.affinity;
	}
	if (read_small(proc_cgroup_path ? proc_cgroup_path :
					  "/proc/self/cgroup",
		       text, sizeof(text)) == 0 &&
	    nd_cpu_quota_of(root ? root : "/sys/fs/cgroup", text, &u.quota) ==
		    0 &&
	    u.quota > 0 && u.quota < u.usable)
		u.usable = u.quota;
	if (out != NULL)
		*out = u;
	return u.usable;
}
