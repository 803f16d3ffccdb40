/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/json_escape.h"

/* One message before its line's framing; longer ones are cut. */
#define ND_LOG_MSG_MAX 1024
/* A line: the message, escaped (up to 6 bytes per byte), and the rest. */
#define ND_LOG_LINE_MAX (ND_LOG_MSG_MAX * 6 + 256)

int nd_log_threshold = ND_LOG_INFO;
static int log_format = ND_LOG_TEXT;
/* The descriptor every line goes to: 2 (stderr) or the log file. A
 * reopen replaces the file under the same number (dup2), so writers
 * never see it change. */
static int log_fd = 2;
static char *log_path;	/* NULL = stderr; owned */
/* Serialises open/reopen against each other, never against writers. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const char *const format_names[] = { "text", "json" };

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

int nd_log_format_parse(const char *name)
{
	for (int i = 0; i <= ND_LOG_JSON; i++)
		if (name != NULL && strcmp(name, format_names[i]) == 0)
			return i;
	return -1;
}

const char *nd_log_format_name(int format)
{
	return format == ND_LOG_JSON ? "json" : "text";
}

void nd_log_set_format(int format)
{
	__atomic_store_n(&log_format, format == ND_LOG_JSON ? ND_LOG_JSON
							  : ND_LOG_TEXT,
			 __ATOMIC_RELAXED);
}

int nd_log_get_format(void)
{
	return __atomic_load_n(&log_format, __ATOMIC_RELAXED);
}

static int open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	return fd < 0 ? -errno : fd;
}

int nd_log_open(const char *path)
{
	char *dup = NULL;
	int fd = 2, rc = 0;

	if (path != NULL) {
		dup = strdup(path);
		if (dup == NULL)
			return -ENOMEM;
		fd = open_file(path);
		if (fd < 0) {
			free(dup);
			return fd;
		}
	}
	pthread_mutex_lock(&open_lock);
	if (log_fd != 2)
		close(log_fd);
	__atomic_store_n(&log_fd, fd, __ATOMIC_RELEASE);
	free(log_path);
	log_path = dup;
	pthread_mutex_unlock(&open_lock);
	return rc;
}

int nd_log_reopen(void)
{
	int fd, rc = 0;

	pthread_mutex_lock(&open_lock);
	if (log_path == NULL) {
		pthread_mutex_unlock(&open_lock);
		return 0;
	}
	fd = open_file(log_path);
	if (fd < 0) {
		rc = fd;
	} else {
		/* Atomic: the number now names the new file. */
		if (dup2(fd, log_fd) < 0)
			rc = -errno;
		close(fd);
	}
	pthread_mutex_unlock(&open_lock);
	return rc;
}

const char *nd_log_path(void)
{
	return log_path;
}

void nd_log_write(const char *buf, size_t len)
{
	int fd = __atomic_load_n(&log_fd, __ATOMIC_ACQUIRE);

	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere else to say it */
		buf += n;
		len -= (size_t)n;
	}
}

size_t nd_log_stamp(char *buf, size_t cap, const struct timespec *ts)
{
	char day[24];
	struct tm tm;
	int n;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(buf, cap, "%s.%03ldZ", day, ts->tv_nsec / 1000000L);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t nd_log_format_line(char *buf, size_t cap, int format, int level,
			  const char *group, const struct timespec *ts,
			  const char *msg)
{
	char stamp[32];
	size_t n, room;
	int k;

	if (buf == NULL || cap < 64)
		return 0;
	if (level < ND_LOG_ERROR || level > ND_LOG_DEBUG)
		level = ND_LOG_ERROR;
	if (group == NULL)
		group = "-";
	if (msg == NULL)
		msg = "";
	nd_log_stamp(stamp, sizeof(stamp), ts);
	if (format != ND_LOG_JSON) {
		k = snprintf(buf, cap - 1, "%s %s %s: %s", stamp,
			     level_names[level], group, msg);
		n = k < 0 ? 0 : (size_t)k >= cap - 1 ? cap - 2 : (size_t)k;
		buf[n++] = '\n';
		buf[n] = '\0';
		return n;
	}
	k = snprintf(buf, cap, "{\"ts\":\"%s\",\"level\":\"%s\",\"group\":\"",
		     stamp, level_names[level]);
	n = (size_t)k;
	/* Keep room for "\",\"msg\":\"" and "\"}\n". */
	room = cap - n;
	if (room < 16)
		return 0;
	n += nd_json_escape(buf + n, room - 14, group, strlen(group));
	memcpy(buf + n, "\",\"msg\":\"", 9);
	n += 9;
	n += nd_json_escape(buf + n, cap - n - 3, msg, strlen(msg));
	memcpy(buf + n, "\"}\n", 4);
	return n + 3;
}

void nd_log_emit(int level, const char *group, const char *fmt, ...)
{
	char msg[ND_LOG_MSG_MAX];
	char line[ND_LOG_LINE_MAX];
	struct timespec ts;
	va_list ap;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = nd_log_format_line(line, sizeof(line), nd_log_get_format(), level,
			       group, &ts, msg);
	/* One write per line keeps lines from two threads apart. */
	nd_log_write(line, n);
}
