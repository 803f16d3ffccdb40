/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/fd_budget.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "config/config.h"
#include "util/log.h"

int nd_fd_budget_compute(const struct nd_config *cfg, unsigned n_workers,
			 struct nd_fd_budget *b)
{
	struct rlimit rl;
	uint64_t listen = cfg->n_listen, left;

	memset(b, 0, sizeof(*b));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		/* The soft limit is often 1024 for compatibility with
		 * select(); we use epoll, so take what we are allowed. */
		rlim_t want = rl.rlim_max;

		if (want == RLIM_INFINITY || want > ND_FD_RAISE_MAX)
			want = ND_FD_RAISE_MAX;
		if (want > rl.rlim_cur) {
			struct rlimit nl = { want, rl.rlim_max };

			if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
				rl.rlim_cur = want;
			else
				nd_warn("server", "could not raise the "
					"descriptor limit from %llu to %llu: %s",
					(unsigned long long)rl.rlim_cur,
					(unsigned long long)want,
					strerror(errno));
		}
		b->limit = rl.rlim_cur == RLIM_INFINITY ? ND_FD_RAISE_MAX
							: rl.rlim_cur;
	}
	b->reserved = ND_FD_FIXED +
		      (uint64_t)n_workers * (ND_FD_PER_WORKER + 2 * listen) +
		      (uint64_t)n_workers * listen * cfg->tcp_max_conns +
		      ND_FD_HTTP;
	left = b->limit > b->reserved ? b->limit - b->reserved : 0;
	if (cfg->max_inflight != 0) {
		b->max_inflight = cfg->max_inflight;
		if (b->limit != 0 && cfg->max_inflight > left)
			nd_warn("server", "--max-inflight %u is more than the "
				"%llu descriptors left after a reserve of %llu "
				"(of %llu): a flood of distinct names may take "
				"the descriptors TCP clients and HTTP need",
				cfg->max_inflight, (unsigned long long)left,
				(unsigned long long)b->reserved,
				(unsigned long long)b->limit);
	} else if (b->limit == 0) {
		b->max_inflight = 0; /* unknown: --max-fetches alone */
	} else {
		if (left < ND_FD_MIN_FETCHES) {
			nd_warn("server", "descriptor limit %llu leaves %llu "
				"after a reserve of %llu; allowing %u upstream "
				"questions at once anyway (raise the limit or "
				"lower --tcp-max-conns)",
				(unsigned long long)b->limit,
				(unsigned long long)left,
				(unsigned long long)b->reserved,
				ND_FD_MIN_FETCHES);
			left = ND_FD_MIN_FETCHES;
		}
		b->max_inflight = left > UINT32_MAX ? UINT32_MAX
						    : (uint32_t)left;
	}
	nd_info("server", "descriptors: limit %llu, reserved %llu (%u workers "
		"x %llu listen addresses, %u TCP connections each), upstream "
		"questions in flight at most %u",
		(unsigned long long)b->limit, (unsigned long long)b->reserved,
		n_workers, (unsigned long long)listen, cfg->tcp_max_conns,
		b->max_inflight);
	return 0;
}
