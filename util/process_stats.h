/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/process_stats.h - this process's CPU, memory, descriptors and start
 * time from /proc, for the standard process_* metrics. */
#ifndef UTIL_PROCESS_STATS_H
#define UTIL_PROCESS_STATS_H

#include <stddef.h>
#include <stdint.h>

struct nd_process_stats {
	uint64_t cpu_us;	 /* user + system CPU time, microseconds */
	uint64_t rss_bytes;	 /* resident set size */
	uint64_t vsize_bytes;	 /* virtual memory size */
	uint64_t open_fds;	 /* descriptors open now */
	uint64_t max_fds;	 /* soft RLIMIT_NOFILE; UINT64_MAX = none */
	uint64_t start_time_ms;	 /* start, ms since the Unix epoch */
};

/*
 * Parse the one line of /proc/PID/stat: fields 14-15 (utime, stime in
 * clock ticks), 22 (starttime, ticks after boot), 23 (vsize, bytes), 24
 * (rss, pages). The command name (field 2) may hold blanks and ')', so
 * fields are counted after its last ')'. hz: clock ticks per second;
 * page_size: bytes; boot_time_s: /proc/stat's btime. Fills the cpu, rss,
 * vsize and start fields of out. Returns 0 or -EINVAL (too few fields,
 * hz or page_size 0, a NULL argument).
 */
int nd_process_stats_parse_stat(const char *line, long hz, long page_size,
				uint64_t boot_time_s,
				struct nd_process_stats *out);

/* btime (seconds since the epoch) from the text of /proc/stat; 0 when
 * absent. */
uint64_t nd_process_stats_parse_btime(const char *text);

/* Read all of out for this process (/proc/self/stat, /proc/stat,
 * /proc/self/fd, getrlimit). Returns 0 or a negative errno. */
int nd_process_stats_read(struct nd_process_stats *out);

#endif /* UTIL_PROCESS_STATS_H */
