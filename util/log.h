/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/log.h - the one logging module: levels, groups, printf-style lines. */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stddef.h>
#include <time.h>

enum nd_log_level {
	ND_LOG_ERROR = 0,
	ND_LOG_WARN = 1,
	ND_LOG_INFO = 2,
	ND_LOG_DEBUG = 3,
};

/* How a line is written (--log-format). */
enum nd_log_format {
	ND_LOG_TEXT = 0, /* "<ts> <level> <group>: <message>" */
	ND_LOG_JSON = 1, /* {"ts":..,"level":..,"group":..,"msg":..} */
};

/* Lines above this level are dropped before their arguments are
 * evaluated. Written with nd_log_set_level() only. */
extern int nd_log_threshold;

/* Set the threshold; level names: error, warn, info, debug. Any thread,
 * at any time (an atomic store; lines already past the test still go). */
void nd_log_set_level(int level);
/* The threshold now. */
int nd_log_get_level(void);
/* Parse a level name; returns the level or -1 when unknown. */
int nd_log_level_parse(const char *name);
/* Parse a format name (text, json); -1 when unknown. */
int nd_log_format_parse(const char *name);
/* "text" or "json". */
const char *nd_log_format_name(int format);
/* Set / read the format of the lines written from now on (any thread). */
void nd_log_set_format(int format);
int nd_log_get_format(void);

/*
 * Write the log to path (appended, created 0640) instead of stderr;
 * NULL goes back to stderr. Returns 0 or -errno (the log is unchanged).
 * Call before the threads start; later, use nd_log_reopen().
 */
int nd_log_open(const char *path);
/*
 * Open the log file again by its name (SIGUSR2, after logrotate moved
 * it) and swap it in with one dup2(), so a thread writing at that moment
 * writes to the old file or the new one, never to a closed descriptor.
 * Returns 0 (also when logging to stderr: nothing to do) or -errno (the
 * old file stays in use).
 */
int nd_log_reopen(void);
/* The path given to nd_log_open(), or NULL for stderr. */
const char *nd_log_path(void);

/*
 * Write len bytes, one or more whole lines, to the log with one write()
 * (lines up to PIPE_BUF bytes then stay whole on a pipe too). Any thread.
 */
void nd_log_write(const char *buf, size_t len);

/* ts as RFC 3339 UTC with milliseconds ("2026-01-02T03:04:05.678Z") into
 * buf (at least 25 bytes); returns the length. */
size_t nd_log_stamp(char *buf, size_t cap, const struct timespec *ts);

/*
 * Format one line with its newline into buf (cap bytes, NUL-terminated;
 * a message too long is cut, in JSON at a character boundary and the
 * line still closed). format: ND_LOG_TEXT or ND_LOG_JSON. Returns the
 * length. Pure: the tests check it.
 */
size_t nd_log_format_line(char *buf, size_t cap, int format, int level,
			  const char *group, const struct timespec *ts,
			  const char *msg);

/*
 * Write one line: "<time> <level> <group>: <message>" or its JSON form.
 * group: subsystem ("listen", "cache", "forward", "kube", "http", ...).
 * Called through nd_log(); no trailing newline in fmt. Called directly,
 * it writes whatever the threshold (the SIGUSR1 state dump does).
 */
void nd_log_emit(int level, const char *group, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define nd_log(level, group, ...)                                       \
	do {                                                            \
		if ((level) <= __atomic_load_n(&nd_log_threshold,       \
					       __ATOMIC_RELAXED))       \
			nd_log_emit((level), (group), __VA_ARGS__);     \
	} while (0)

#define nd_err(group, ...) nd_log(ND_LOG_ERROR, group, __VA_ARGS__)
#define nd_warn(group, ...) nd_log(ND_LOG_WARN, group, __VA_ARGS__)
#define nd_info(group, ...) nd_log(ND_LOG_INFO, group, __VA_ARGS__)
#define nd_debug(group, ...) nd_log(ND_LOG_DEBUG, group, __VA_ARGS__)

#endif /* UTIL_LOG_H */
