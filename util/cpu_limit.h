/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/cpu_limit.h - how many CPUs this process may actually use: its
 * affinity mask and its cgroup's CPU quota (v1 or v2). */
#ifndef UTIL_CPU_LIMIT_H
#define UTIL_CPU_LIMIT_H

/* What nd_cpus_usable() found, for the start-up log line. */
struct nd_cpu_usable {
	unsigned online;   /* CPUs online (sysconf) */
	unsigned affinity; /* CPUs in the affinity mask; 0 = unknown */
	unsigned quota;	   /* cgroup CPU limit rounded up; 0 = none found */
	unsigned usable;   /* the smallest of the known ones, >= 1 */
};

/*
 * CPUs from a cgroup v2 cpu.max text ("max 100000" or "QUOTA PERIOD"),
 * rounded up: "150000 100000" is 2. *cpus = 0 when there is no limit.
 * Returns 0, -EINVAL, ND_EPARSE.
 */
int nd_cpu_quota_v2(const char *cpu_max, unsigned *cpus);

/*
 * The same from cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us texts
 * ("-1" = no limit). Returns 0, -EINVAL, ND_EPARSE.
 */
int nd_cpu_quota_v1(const char *quota_us, const char *period_us,
		    unsigned *cpus);

/*
 * The CPU limit of the cgroup a process is in, and of every ancestor
 * (the smallest counts), for proc_cgroup the text of /proc/PID/cgroup
 * and root where the cgroup file systems are mounted ("/sys/fs/cgroup";
 * cgroup v2 at root itself, v1 controllers in root/cpu,cpuacct or
 * root/cpu). Levels whose folder does not exist (a cgroup namespace
 * shows the process's own cgroup at the mount's root) are skipped.
 * *cpus = 0 when no limit is found. Returns 0, -EINVAL.
 */
int nd_cpu_quota_of(const char *root, const char *proc_cgroup,
		    unsigned *cpus);

/*
 * The CPUs this process may use: online CPUs, its affinity mask and its
 * cgroup's quota (root and proc_cgroup_path as above; NULL = the real
 * "/sys/fs/cgroup" and "/proc/self/cgroup"). Never fails: what cannot
 * be read is left out. Returns out->usable.
 */
unsigned nd_cpus_usable(const char *root, const char *proc_cgroup_path,
			struct nd_cpu_usable *out);

#endif /* UTIL_CPU_LIMIT_H */
