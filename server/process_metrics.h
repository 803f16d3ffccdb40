/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/process_metrics.h - what was built (nodedns_build_info) and the
 * standard process_* family, read from /proc when /metrics is scraped. */
#ifndef SERVER_PROCESS_METRICS_H
#define SERVER_PROCESS_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* The version from configure and the git revision built from ("unknown"
 * outside git). */
const char *nd_build_version(void);
const char *nd_build_revision(void);
/* The compiler that built us ("gcc 12.2.0"). */
const char *nd_build_compiler(void);

/*
 * Append nodedns_build_info{version,revision}, nodedns_reload_failed_total
 * (reload_failed) and process_cpu_seconds_total,
 * process_resident_memory_bytes, process_virtual_memory_bytes,
 * process_open_fds, process_max_fds, process_start_time_seconds to the
 * malloc'd text (as nd_kube_stats_render does). When /proc cannot be read
 * the process_* family is left out and logged once. Returns 0, -EINVAL or
 * -ENOMEM (the text as it was).
 */
int nd_process_metrics_render(uint64_t reload_failed, char **text,
			      size_t *len);

#endif /* SERVER_PROCESS_METRICS_H */
