/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/process_metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/errors.h"
#include "util/log.h"
#include "util/process_stats.h"
#include "util/prom.h"

#ifndef ND_REVISION
#define ND_REVISION "unknown"
#endif

const char *nd_build_version(void)
{
	return PACKAGE_VERSION;
}

const char *nd_build_revision(void)
{
	return ND_REVISION[0] != '\0' ? ND_REVISION : "unknown";
}

const char *nd_build_compiler(void)
{
#if defined(__clang__)
	return "clang " __clang_version__;
#elif defined(__GNUC__)
	return "gcc " __VERSION__;
#else
	return "unknown";
#endif
}

#define L(k, v) ((struct nd_prom_label){ (k), (v) })

static void gauge(struct nd_prom *b, const char *name, const char *help,
		  uint64_t v)
{
	nd_prom_family(b, name, "gauge", help);
	nd_prom_sample(b, name, NULL, 0, v);
}

static void process(struct nd_prom *b, const struct nd_process_stats *ps)
{
	char v[32];

	nd_prom_family(b, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
	nd_prom_sample_seconds(b, "process_cpu_seconds_total", NULL, 0,
			       ps->cpu_us);
	gauge(b, "process_resident_memory_bytes",
	      "Resident memory size in bytes.", ps->rss_bytes);
	gauge(b, "process_virtual_memory_bytes",
	      "Virtual memory size in bytes.", ps->vsize_bytes);
	gauge(b, "process_open_fds", "Number of open file descriptors.",
	      ps->open_fds);
	nd_prom_family(b, "process_max_fds", "gauge",
		       "Maximum number of open file descriptors.");
	if (ps->max_fds == UINT64_MAX)
		nd_prom_sample_text(b, "process_max_fds", NULL, 0, "+Inf");
	else
		nd_prom_sample(b, "process_max_fds", NULL, 0, ps->max_fds);
	nd_prom_family(b, "process_start_time_seconds", "gauge",
		       "Start time of the process since unix epoch in "
		       "seconds.");
	nd_prom_sample_text(b, "process_start_time_seconds", NULL, 0,
			    nd_prom_seconds_text(ps->start_time_ms * 1000u, 2,
						 v, sizeof(v)));
}

int nd_process_metrics_render(uint64_t reload_failed, char **text,
			      size_t *len)
{
	static bool warned; /* the HTTP thread is the only caller */
	const struct nd_prom_label bl[] = {
		L("version", nd_build_version()),
		L("revision", nd_build_revision()),
	};
	struct nd_process_stats ps;
	struct nd_prom b;
	int rc;

	if (text == NULL || len == NULL || (*text == NULL && *len != 0))
		return -EINVAL;
	nd_prom_attach(&b, *text, *len);
	nd_prom_family(&b, "nodedns_build_info", "gauge",
		       "1, labelled with the version and the git revision "
		       "this nodedns was built from.");
	nd_prom_sample(&b, "nodedns_build_info", bl, 2, 1);
	nd_prom_family(&b, "nodedns_reload_failed_total", "counter",
		       "Reloads (SIGHUP, a changed ConfigMap) refused: the "
		       "running configuration was kept.");
	nd_prom_sample(&b, "nodedns_reload_failed_total", NULL, 0,
		       reload_failed);
	rc = nd_process_stats_read(&ps);
	if (rc == 0)
		process(&b, &ps);
	else if (!warned) {
		warned = true;
		nd_warn("http", "no process_* metrics: /proc: %s",
			nd_strerror(rc));
	}
	return nd_prom_finish(&b, text, len);
}
