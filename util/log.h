/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/log.h - the one logging module: levels, groups, printf-style lines. */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

enum nd_log_level {
	ND_LOG_ERROR = 0,
	ND_LOG_WARN = 1,
	ND_LOG_INFO = 2,
	ND_LOG_DEBUG = 3,
};

/* Lines above this level are dropped before their arguments are evaluated. */
extern int nd_log_threshold;

/* Set the threshold; level names: error, warn, info, debug. Any thread,
 * at any time (an atomic store; lines already past the test still go). */
void nd_log_set_level(int level);
/* The threshold now. */
int nd_log_get_level(void);
/* Parse a level name; returns the level or -1 when unknown. */
int nd_log_level_parse(const char *name);

/*
 * Write one line to stderr: "<time> <level> <group>: <message>".
 * group: subsystem ("listen", "cache", "forward", "kube", "http", ...).
 * Called through nd_log(); no trailing newline in fmt.
 */
void nd_log_emit(int level, const char *group, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define nd_log(level, group, ...)                                   \
	do {                                                        \
		if ((level) <= __atomic_load_n(&nd_log_threshold,   \
					       __ATOMIC_RELAXED))   \
			nd_log_emit((level), (group), __VA_ARGS__); \
	} while (0)

#define nd_err(group, ...) nd_log(ND_LOG_ERROR, group, __VA_ARGS__)
#define nd_warn(group, ...) nd_log(ND_LOG_WARN, group, __VA_ARGS__)
#define nd_info(group, ...) nd_log(ND_LOG_INFO, group, __VA_ARGS__)
#define nd_debug(group, ...) nd_log(ND_LOG_DEBUG, group, __VA_ARGS__)

#endif /* UTIL_LOG_H */
