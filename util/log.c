/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int nd_log_threshold = ND_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void nd_log_set_level(int level)
{
	if (level < ND_LOG_ERROR)
		level = ND_LOG_ERROR;
	if (level > ND_LOG_DEBUG)
		level = ND_LOG_DEBUG;
	__atomic_store_n(&nd_log_threshold, level, __ATOMIC_RELAXED);
}

int nd_log_get_level(void)
{
	return __atomic_load_n(&nd_log_threshold, __ATOMIC_RELAXED);
}

int nd_log_level_parse(const char *name)
{
	for (int i = 0; i <= ND_LOG_DEBUG; i++)
		if (name != NULL && strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void nd_log_emit(int level, const char *group, const char *fmt, ...)
{
	char line[1024];
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	if (level < ND_LOG_ERROR || level > ND_LOG_DEBUG)
		level = ND_LOG_ERROR;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ %s %s: ", stamp,
		     ts.tv_nsec / 1000000L, level_names[level],
		     group ? group : "-");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One fputs per line keeps lines from two threads from interleaving. */
	size_t len = strlen(line);
	if (len + 1 < sizeof(line)) {
		line[len] = '\n';
		line[len + 1] = '\0';
	}
	fputs(line, stderr);
}
