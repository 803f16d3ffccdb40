/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/process_stats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int nd_process_stats_parse_stat(const char *line, long hz, long page_size,
				uint64_t boot_time_s,
				struct nd_process_stats *out)
{
	unsigned long long v[25] = { 0 }; /* v[n]: field n (1-based) */
	const char *p;
	char *end;
	int field = 3;

	if (line == NULL || out == NULL || hz <= 0 || page_size <= 0)
		return -EINVAL;
	p = strrchr(line, ')');
	if (p == NULL)
		return -EINVAL;
	p++;
	/* Field 3 (state) is a letter; the rest we read are numbers. */
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return -EINVAL;
	p++;
	for (field = 4; field <= 24; field++) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			return -EINVAL;
		/* Some fields are signed (priority, nice): read as signed,
		 * keep the bits; we only use unsigned ones. */
		errno = 0;
		v[field] = (unsigned long long)strtoll(p, &end, 10);
		if (end == p || errno != 0)
			return -EINVAL;
		p = end;
	}
	out->cpu_us = (v[14] + v[15]) * 1000000ull / (unsigned long long)hz;
	out->vsize_bytes = v[23];
	out->rss_bytes = v[24] * (unsigned long long)page_size;
	out->start_time_ms =
		boot_time_s * 1000ull + v[22] * 1000ull / (unsigned long long)hz;
	return 0;
}

uint64_t nd_process_stats_parse_btime(const char *text)
{
	const char *p;

	if (text == NULL)
		return 0;
	for (p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, "btime ", 6) == 0)
			return strtoull(p + 6, NULL, 10);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* All of a small /proc file into buf (NUL-terminated). */
static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got + 1 < cap) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return 0;
}

static uint64_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	uint64_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	/* The directory's own descriptor was open while we counted. */
	return n > 0 ? n - 1 : 0;
}

/* btime from /proc/stat, line by line: its "intr" line alone can be
 * longer than any fixed buffer on a large machine. */
static uint64_t read_btime(void)
{
	FILE *f = fopen("/proc/stat", "re");
	char *line = NULL;
	size_t cap = 0;
	uint64_t t = 0;

	if (f == NULL)
		return 0;
	while (t == 0 && getline(&line, &cap, f) > 0)
		t = nd_process_stats_parse_btime(line);
	free(line);
	fclose(f);
	return t;
}

int nd_process_stats_read(struct nd_process_stats *out)
{
	char buf[1024]; /* /proc/self/stat: 52 numbers and a 16-byte name */
	struct rlimit rl;
	uint64_t btime;
	int rc;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	btime = read_btime();
	if (btime == 0)
		return -EIO;
	rc = read_small("/proc/self/stat", buf, sizeof(buf));
	if (rc != 0)
		return rc;
	rc = nd_process_stats_parse_stat(buf, sysconf(_SC_CLK_TCK),
					 sysconf(_SC_PAGESIZE), btime, out);
	if (rc != 0)
		return rc;
	out->open_fds = count_fds();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		out->max_fds = rl.rlim_cur == RLIM_INFINITY
				       ? UINT64_MAX
				       : (uint64_t)rl.rlim_cur;
	return 0;
}
