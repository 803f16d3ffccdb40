/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/scenario/run_sync.c - drives kube/sync.c (the list/watch policy)
 * through the text scenarios in tests/scenario/sync/NAME.scn with a fake
 * clock: no API server, no sockets, no sleeping. Each line is one step:
 *
 *   option NAME VALUE     before start: page_limit, silent_ms,
 *                         watch_min_s, watch_max_s, backoff_initial_ms,
 *                         backoff_max_ms, short_watch_ms, short_watches, seed,
 *                         start_jitter_ms
 *   kind RESOURCE         services (default), endpointslices, namespaces
 *   time +MS | time MS    move the clock (relative or absolute)
 *   start                 the first request
 *   timer                 the last WAIT is over (fails if called early)
 *   list ok rv=RV [cont=TOKEN] | list expired | list rv-gone |
 *   list fail [TEXT]
 *   event [rv=RV]         the running watch delivered an event
 *   watch closed|cut|gone|error|too-big|rv-too-large|failed
 *   silent idle=MS        the silent timer fired; the last bytes came MS ago
 *   expect get list [cont=TOKEN] [at=RV|at=newest] | expect get watch [rv=RV]
 *                         (at: the first page's resourceVersion; "0" =
 *                         any, the API server's cache; newest = "")
 *   expect wait MIN[..MAX] [why=failed|short|start]
 *   expect next-within MS the next request starts within MS from now
 *   expect recheck MS     (after silent) the check is due again in MS
 *   expect restarted      (after silent) the watch was restarted
 *   expect finished       the last list call ended the list
 *   expect state STATE    idle, listing, watching, backoff
 *   expect count NAME=N   lists, api_errors, restarts.REASON, retries.REASON
 *
 * '#' starts a comment. A failed expectation prints FILE:LINE and what
 * was there instead. With no arguments every $ND_SRCDIR/tests/scenario/
 * sync/NAME.scn runs; else the files named.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sync.h"
#include "scn.h"
#include "util/log.h"

struct run {
	struct scn scn;		/* first: the reader's view */
	struct nd_kube_sync_options opt;
	enum nd_kube_kind kind;
	struct nd_kube_sync sync;
	bool is_started;
	uint64_t now;
	struct nd_kube_sync_action act; /* the last action */
	bool has_act;
	uint64_t act_at;		/* now when act was given */
	bool finished;			/* of the last list call */
	int silent_rc;			/* of the last silent call */
	uint32_t recheck;
};

#define bad(r, ...) scn_bad(&(r)->scn, __VA_ARGS__)
#define kv scn_kv
#define parse_u64 scn_u64

static const char *act_text(const struct nd_kube_sync_action *a, char *buf,
			    size_t n)
{
	if (a->what == ND_SYNC_WAIT)
		snprintf(buf, n, "wait %u ms (%s)", a->delay_ms,
			 nd_kube_retry_reason_name(a->why));
	else if (a->is_watch)
		snprintf(buf, n, "get watch rv=%s", a->rv ? a->rv : "");
	else
		snprintf(buf, n, "get list%s%s%s%s", a->cont ? " cont=" : "",
			 a->cont ? a->cont : "", a->list_rv ? " at=" : "",
			 a->list_rv ? (a->list_rv[0] ? a->list_rv : "newest") :
				      "");
	return buf;
}

static void took(struct run *r, int rc, const char *what)
{
	if (rc < 0) {
		bad(r, "%s returned %d (state %s)", what, rc,
		    nd_kube_sync_state_name(nd_kube_sync_get_state(&r->sync)));
		r->has_act = false;
		return;
	}
	r->has_act = true;
	r->act_at = r->now;
}

static bool set_option(struct run *r, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t off;
		bool is_64;
	} opts[] = {
#define O(f) { #f, offsetof(struct nd_kube_sync_options, f), false }
		O(page_limit),	       O(silent_ms),	  O(watch_min_s),
		O(watch_max_s),	       O(backoff_initial_ms),
		O(backoff_max_ms),     O(short_watch_ms), O(short_watches),
		O(start_jitter_ms),
#undef O
		{ "seed", offsetof(struct nd_kube_sync_options, seed), true },
	};
	uint64_t v;

	if (!parse_u64(value, &v))
		return false;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char *p = (char *)&r->opt + opts[i].off;

		if (strcmp(name, opts[i].name) != 0)
			continue;
		if (opts[i].is_64)
			*(uint64_t *)(void *)p = v;
		else
			*(uint32_t *)(void *)p = (uint32_t)v;
		return true;
	}
	return false;
}

static bool ensure_init(struct run *r)
{
	if (r->is_started)
		return true;
	if (nd_kube_sync_init(&r->sync, r->kind, &r->opt) != 0) {
		bad(r, "nd_kube_sync_init failed");
		return false;
	}
	r->is_started = true;
	return true;
}

static const struct {
	const char *name;
	enum nd_kube_watch_end how;
} watch_ends[] = {
	{ "closed", ND_WATCH_CLOSED },
	{ "cut", ND_WATCH_CUT },
	{ "gone", ND_WATCH_GONE },
	{ "error", ND_WATCH_ERROR_EVENT },
	{ "too-big", ND_WATCH_TOO_BIG },
	{ "rv-too-large", ND_WATCH_RV_TOO_LARGE },
	{ "failed", ND_WATCH_FAILED },
};

static void do_count(struct run *r, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[64];
	uint64_t want, got = 0;
	bool known = false;

	if (eq == NULL || (size_t)(eq - spec) >= sizeof(name) ||
	    !parse_u64(eq + 1, &want)) {
		bad(r, "expect count NAME=N, not '%s'", spec);
		return;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	if (strcmp(name, "lists") == 0) {
		got = r->sync.lists;
		known = true;
	} else if (strcmp(name, "api_errors") == 0) {
		got = r->sync.api_errors;
		known = true;
	}
	for (int i = 0; !known && i < ND_KUBE_RESTART_REASONS; i++) {
		char n[64];

		snprintf(n, sizeof(n), "restarts.%s",
			 nd_kube_restart_reason_name(
				 (enum nd_kube_restart_reason)i));
		if (strcmp(name, n) == 0) {
			got = r->sync.restarts[i];
			known = true;
		}
	}
	for (int i = 0; !known && i < ND_KUBE_RETRY_REASONS; i++) {
		char n[64];

		snprintf(n, sizeof(n), "retries.%s",
			 nd_kube_retry_reason_name((enum nd_kube_retry_reason)i));
		if (strcmp(name, n) == 0) {
			got = r->sync.retries[i];
			known = true;
		}
	}
	if (!known)
		bad(r, "unknown counter '%s'", name);
	else if (got != want)
		bad(r, "count %s: want %llu, got %llu", name,
		    (unsigned long long)want, (unsigned long long)got);
}

static void do_expect(struct run *r, char **t, int n)
{
	char buf[300];
	const struct nd_kube_sync_action *a = &r->act;

	if (n < 2) {
		bad(r, "expect what?");
		return;
	}
	if (strcmp(t[1], "state") == 0 && n >= 3) {
		const char *got = nd_kube_sync_state_name(
			nd_kube_sync_get_state(&r->sync));
		if (strcmp(got, t[2]) != 0)
			bad(r, "state: want %s, got %s", t[2], got);
		return;
	}
	if (strcmp(t[1], "count") == 0) {
		for (int i = 2; i < n; i++)
			do_count(r, t[i]);
		return;
	}
	if (strcmp(t[1], "finished") == 0) {
		if (!r->finished)
			bad(r, "the list is not finished");
		return;
	}
	if (strcmp(t[1], "recheck") == 0 && n >= 3) {
		uint64_t v;

		if (r->silent_rc != 0 || !parse_u64(t[2], &v) ||
		    r->recheck != v)
			bad(r, "recheck: want %s ms, got rc %d recheck %u ms",
			    t[2], r->silent_rc, r->recheck);
		return;
	}
	if (strcmp(t[1], "restarted") == 0) {
		if (r->silent_rc != 1)
			bad(r, "silent: want a restart, got rc %d",
			    r->silent_rc);
		return;
	}
	if (!r->has_act) {
		bad(r, "no action to check");
		return;
	}
	if (strcmp(t[1], "get") == 0 && n >= 3) {
		bool want_watch = strcmp(t[2], "watch") == 0;
		const char *rv = NULL, *cont = NULL, *at = NULL;
		char args[128] = "";

		for (int i = 3; i < n; i++) {
			rv = kv(t[i], "rv") ? kv(t[i], "rv") : rv;
			cont = kv(t[i], "cont") ? kv(t[i], "cont") : cont;
			at = kv(t[i], "at") ? kv(t[i], "at") : at;
			snprintf(args + strlen(args),
				 sizeof(args) - strlen(args), " %s", t[i]);
		}
		if (at != NULL && strcmp(at, "newest") == 0)
			at = "";
		if (a->what != ND_SYNC_GET || a->is_watch != want_watch ||
		    (rv != NULL && strcmp(rv, a->rv ? a->rv : "") != 0) ||
		    (cont != NULL &&
		     (a->cont == NULL || strcmp(cont, a->cont) != 0)) ||
		    (!want_watch && cont == NULL && a->cont != NULL) ||
		    (at != NULL &&
		     (a->list_rv == NULL || strcmp(at, a->list_rv) != 0)))
			bad(r, "want get %s%s, got %s", t[2], args,
			    act_text(a, buf, sizeof(buf)));
		return;
	}
	if (strcmp(t[1], "wait") == 0 && n >= 3) {
		uint64_t lo, hi;
		char range[64], *dots;
		const char *why = n >= 4 ? kv(t[3], "why") : NULL;

		snprintf(range, sizeof(range), "%s", t[2]);
		dots = strstr(range, "..");
		if (dots != NULL)
			*dots = '\0';
		if (!parse_u64(range, &lo) ||
		    !parse_u64(dots ? dots + 2 : range, &hi)) {
			bad(r, "expect wait MIN[..MAX], not '%s'", t[2]);
			return;
		}
		if (a->what != ND_SYNC_WAIT || a->delay_ms < lo ||
		    a->delay_ms > hi ||
		    (why != NULL &&
		     strcmp(why, nd_kube_retry_reason_name(a->why)) != 0))
			bad(r, "want wait %s ms%s%s, got %s", t[2],
			    why ? " why=" : "", why ? why : "",
			    act_text(a, buf, sizeof(buf)));
		return;
	}
	if (strcmp(t[1], "next-within") == 0 && n >= 3) {
		uint64_t ms;

		if (!parse_u64(t[2], &ms)) {
			bad(r, "expect next-within MS");
			return;
		}
		if (a->what == ND_SYNC_WAIT && a->delay_ms > ms)
			bad(r, "want the next request within %s ms, got %s",
			    t[2], act_text(a, buf, sizeof(buf)));
		return;
	}
	bad(r, "unknown expectation '%s'", t[1]);
}

static void step(struct run *r, char **t, int n)
{
	struct nd_kube_sync_action *a = &r->act;
	uint64_t v;

	if (strcmp(t[0], "option") == 0) {
		if (r->is_started || n != 3 || !set_option(r, t[1], t[2]))
			bad(r, "bad option line (before start: option NAME N)");
		return;
	}
	if (strcmp(t[0], "kind") == 0) {
		for (int k = 0; k < ND_KIND_COUNT; k++)
			if (n == 2 &&
			    strcmp(t[1], nd_kube_kind_name(
						 (enum nd_kube_kind)k)) == 0) {
				r->kind = (enum nd_kube_kind)k;
				return;
			}
		bad(r, "unknown kind");
		return;
	}
	if (strcmp(t[0], "time") == 0) {
		if (n != 2 || !parse_u64(t[1][0] == '+' ? t[1] + 1 : t[1], &v))
			bad(r, "time +MS or time MS");
		else
			r->now = t[1][0] == '+' ? r->now + v : v;
		return;
	}
	if (strcmp(t[0], "expect") == 0) {
		do_expect(r, t, n);
		return;
	}
	if (!ensure_init(r))
		return;
	if (strcmp(t[0], "start") == 0) {
		took(r, nd_kube_sync_start(&r->sync, r->now, a), "start");
	} else if (strcmp(t[0], "timer") == 0) {
		if (!r->has_act || a->what != ND_SYNC_WAIT ||
		    r->now < r->act_at + a->delay_ms) {
			bad(r, "timer before the wait is over (or no wait)");
			return;
		}
		took(r, nd_kube_sync_timer(&r->sync, r->now, a), "timer");
	} else if (strcmp(t[0], "list") == 0 && n >= 2) {
		enum nd_kube_list_end how = ND_LIST_FAILED;
		const char *rv = NULL, *cont = NULL;

		if (strcmp(t[1], "ok") == 0)
			how = ND_LIST_OK;
		else if (strcmp(t[1], "expired") == 0)
			how = ND_LIST_EXPIRED;
		else if (strcmp(t[1], "rv-gone") == 0)
			how = ND_LIST_RV_GONE;
		for (int i = 2; i < n; i++) {
			rv = kv(t[i], "rv") ? kv(t[i], "rv") : rv;
			cont = kv(t[i], "cont") ? kv(t[i], "cont") : cont;
		}
		took(r, nd_kube_sync_list_end(&r->sync, r->now, how, rv, cont,
					      n >= 3 ? t[2] : NULL,
					      &r->finished, a),
		     "list");
	} else if (strcmp(t[0], "event") == 0) {
		if (nd_kube_sync_event(&r->sync, r->now,
				       n >= 2 ? kv(t[1], "rv") : NULL) != 0)
			bad(r, "event refused (state %s)",
			    nd_kube_sync_state_name(
				    nd_kube_sync_get_state(&r->sync)));
	} else if (strcmp(t[0], "watch") == 0 && n >= 2) {
		size_t i;

		for (i = 0; i < sizeof(watch_ends) / sizeof(watch_ends[0]); i++)
			if (strcmp(t[1], watch_ends[i].name) == 0)
				break;
		if (i == sizeof(watch_ends) / sizeof(watch_ends[0])) {
			bad(r, "unknown watch end '%s'", t[1]);
			return;
		}
		took(r, nd_kube_sync_watch_end(&r->sync, r->now,
					       watch_ends[i].how, t[1], a),
		     "watch");
	} else if (strcmp(t[0], "silent") == 0 && n == 2 &&
		   parse_u64(kv(t[1], "idle"), &v)) {
		struct nd_kube_sync_action sa;

		r->silent_rc = nd_kube_sync_silent(&r->sync, r->now,
						   r->now - v, &r->recheck,
						   &sa);
		if (r->silent_rc < 0)
			bad(r, "silent returned %d", r->silent_rc);
		if (r->silent_rc == 1) {
			*a = sa;
			r->has_act = true;
			r->act_at = r->now;
		}
	} else {
		bad(r, "unknown step '%s'", t[0]);
	}
}

static struct scn *begin(const char *path)
{
	struct run *r = calloc(1, sizeof(*r));

	(void)path;
	if (r != NULL)
		r->kind = ND_KIND_SERVICE;
	return r ? &r->scn : NULL;
}

static void step_scn(struct scn *s, char **t, int n)
{
	step((struct run *)s, t, n);
}

static void end(struct scn *s)
{
	struct run *r = (struct run *)s;

	nd_kube_sync_deinit(&r->sync);
	free(r);
}

int main(int argc, char **argv)
{
	static const struct scn_runner runner = { "sync", begin, step_scn,
						  end };

	nd_log_set_level(ND_LOG_ERROR);
	return scn_main(argc, argv, &runner);
}
