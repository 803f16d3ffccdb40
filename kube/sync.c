/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/sync.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

#define FAIL_LOG_FIRST 3	/* failures of a streak logged one by one */
#define FAIL_LOG_EVERY_MS 60000 /* then one line per this long */

static const char *const restart_names[ND_KUBE_RESTART_REASONS] = {
	"closed", "gone", "silent", "error"
};
static const char *const retry_names[ND_KUBE_RETRY_REASONS] = {
	"failed", "short", "start"
};
static const char *const state_names[ND_SYNC_STATES] = { "idle", "listing",
							 "watching",
							 "backoff" };

const char *nd_kube_restart_reason_name(enum nd_kube_restart_reason r)
{
	return (unsigned)r < ND_KUBE_RESTART_REASONS ? restart_names[r] : "unknown";
}

const char *nd_kube_retry_reason_name(enum nd_kube_retry_reason r)
{
	return (unsigned)r < ND_KUBE_RETRY_REASONS ? retry_names[r] : "unknown";
}

const char *nd_kube_sync_state_name(enum nd_kube_sync_state s)
{
	return (unsigned)s < ND_SYNC_STATES ? state_names[s] : "unknown";
}

static const char *kname(const struct nd_kube_sync *s)
{
	return nd_kube_kind_name(s->kind);
}

static void count(uint64_t *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

static void set_state(struct nd_kube_sync *s, enum nd_kube_sync_state st,
		      uint64_t now_ms)
{
	__atomic_store_n(&s->state, st, __ATOMIC_RELAXED);
	s->state_since_ms = now_ms;
}

/* xorshift64*: the jitter needs no more, and a seed makes tests exact. */
static uint32_t draw_below(struct nd_kube_sync *s, uint32_t n)
{
	uint64_t x = s->rng;

	if (n == 0)
		return 0;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

int nd_kube_sync_init(struct nd_kube_sync *s, enum nd_kube_kind kind,
		      const struct nd_kube_sync_options *opt)
{
	struct nd_kube_sync_options *o;

	if (s == NULL || (unsigned)kind >= ND_KIND_COUNT)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	o = &s->opt;
	if (opt != NULL)
		*o = *opt;
	if (o->page_limit == 0)
		o->page_limit = 500;
	if (o->silent_ms == 0)
		o->silent_ms = 90000;
	if (o->watch_min_s == 0)
		o->watch_min_s = 300;
	if (o->watch_max_s < o->watch_min_s)
		o->watch_max_s = o->watch_min_s == 300 ? 600 : o->watch_min_s;
	if (o->backoff_initial_ms == 0)
		o->backoff_initial_ms = 250;
	if (o->backoff_max_ms == 0)
		o->backoff_max_ms = 30000;
	if (o->backoff_max_ms < o->backoff_initial_ms)
		o->backoff_max_ms = o->backoff_initial_ms;
	if (o->short_watch_ms == 0)
		o->short_watch_ms = 1000;
	if (o->short_watches == 0)
		o->short_watches = 2;
	/* xorshift must not start at 0; kinds of one node draw apart. */
	s->rng = (o->seed ? o->seed : 0x9E3779B97F4A7C15ULL) +
		 (uint64_t)kind * 0x632BE59BD9B4E019ULL;
	if (s->rng == 0)
		s->rng = 1;
	s->want_list = true;
	return 0;
}

void nd_kube_sync_deinit(struct nd_kube_sync *s)
{
	if (s == NULL)
		return;
	free(s->cont);
	s->cont = NULL;
}

enum nd_kube_sync_state nd_kube_sync_get_state(const struct nd_kube_sync *s)
{
	return s ? __atomic_load_n(&s->state, __ATOMIC_RELAXED) : ND_SYNC_IDLE;
}

/* --- what to do next -------------------------------------------------- */

static void get_list(struct nd_kube_sync *s, uint64_t now_ms,
		     struct nd_kube_sync_action *act)
{
	memset(act, 0, sizeof(*act));
	act->what = ND_SYNC_GET;
	act->cont = s->cont;
	act->limit = s->opt.page_limit;
	/*
	 * Which state to list, as client-go's reflector does: a node that
	 * has nothing takes any recent state ("0") and one that has synced
	 * takes one not older than its own, both served from the API
	 * server's watch cache, so a thousand nodes (re)starting do not
	 * each cost a quorum read of etcd. Only when the server refused
	 * that resourceVersion is the newest state read.
	 */
	if (s->cont == NULL) {
		if (s->is_rv_unavailable)
			act->list_rv = "";
		else
			act->list_rv = s->rv[0] != '\0' ? s->rv : "0";
	}
	set_state(s, ND_SYNC_LISTING, now_ms);
}

static void get_watch(struct nd_kube_sync *s, uint64_t now_ms,
		      bool from_list, struct nd_kube_sync_action *act)
{
	const struct nd_kube_sync_options *o = &s->opt;

	memset(act, 0, sizeof(*act));
	act->what = ND_SYNC_GET;
	act->is_watch = true;
	act->rv = s->rv;
	/* Spread over a range so the watches of many nodes do not all end,
	 * and come back, in the same second. */
	act->timeout_s = o->watch_min_s +
			 draw_below(s, o->watch_max_s - o->watch_min_s + 1);
	act->silent_ms = o->silent_ms;
	s->watch_start_ms = now_ms;
	s->watch_had_event = false;
	s->watch_from_list = from_list;
	set_state(s, ND_SYNC_WATCHING, now_ms);
}

static void next_request(struct nd_kube_sync *s, uint64_t now_ms,
			 struct nd_kube_sync_action *act)
{
	if (s->want_list)
		get_list(s, now_ms, act);
	else
		get_watch(s, now_ms, false, act);
}

static void wait_then(struct nd_kube_sync *s, uint64_t now_ms,
		      uint32_t delay_ms, enum nd_kube_retry_reason why,
		      struct nd_kube_sync_action *act)
{
	memset(act, 0, sizeof(*act));
	act->what = ND_SYNC_WAIT;
	act->delay_ms = delay_ms;
	act->why = why;
	s->last_delay_ms = delay_ms;
	count(&s->retries[why]);
	set_state(s, ND_SYNC_BACKOFF, now_ms);
	nd_debug("kube", "%s: next %s in %u ms (%s)", kname(s),
		 s->want_list ? "list" : "watch", delay_ms,
		 nd_kube_retry_reason_name(why));
}

/* Exponential with +-25% jitter, so nodes do not retry in lockstep. */
static uint32_t next_backoff(struct nd_kube_sync *s)
{
	const struct nd_kube_sync_options *o = &s->opt;
	uint32_t cur = s->backoff_ms ? s->backoff_ms : o->backoff_initial_ms;
	uint32_t delay = cur - cur / 4 + draw_below(s, cur / 2 + 1);

	/* At the cap the jitter goes below it, never above. */
	if (delay > o->backoff_max_ms)
		delay = o->backoff_max_ms -
			draw_below(s, o->backoff_max_ms / 4 + 1);
	s->backoff_ms = cur >= o->backoff_max_ms / 2 ? o->backoff_max_ms :
						      cur * 2;
	return delay;
}

/* The API answers usefully again: the next failure starts a new streak. */
static void end_failure_streak(struct nd_kube_sync *s)
{
	if (s->failures > 0)
		nd_info("kube", "%s: the API answers again after %u failed request%s",
			kname(s), s->failures, s->failures == 1 ? "" : "s");
	s->failures = 0;
}

/*
 * A watch that delivered an event or lived past short_watch_ms: the API
 * works, so whatever backoff had grown is forgotten. A list alone does
 * not reset it, so a server whose lists work but whose watches fail at
 * once is not asked in a tight loop.
 */
static void healthy(struct nd_kube_sync *s)
{
	end_failure_streak(s);
	s->backoff_ms = 0;
	s->shorts = 0;
}

/*
 * A request failed: count it, log it (each of the first few of a streak,
 * then once a minute, so an API outage does not flood the log) and wait
 * the backoff. A list that failed part-way starts over, as its continue
 * token may have expired.
 */
static void fail(struct nd_kube_sync *s, uint64_t now_ms, const char *why,
		 struct nd_kube_sync_action *act)
{
	uint32_t delay = next_backoff(s);

	count(&s->api_errors);
	s->failures++;
	free(s->cont);
	s->cont = NULL;
	s->pages = 0;
	if (s->failures <= FAIL_LOG_FIRST ||
	    now_ms - s->fail_log_ms >= FAIL_LOG_EVERY_MS) {
		nd_warn("kube", "%s: %s; retrying in %u ms (%u failure%s in a row)",
			kname(s), why ? why : "request failed", delay,
			s->failures, s->failures == 1 ? "" : "s");
		s->fail_log_ms = now_ms;
	}
	wait_then(s, now_ms, delay, ND_KUBE_RETRY_FAILED, act);
}

/* Did the running watch end at once, without delivering anything? */
static bool watch_was_short(const struct nd_kube_sync *s, uint64_t now_ms)
{
	return !s->watch_had_event &&
	       now_ms - s->watch_start_ms < s->opt.short_watch_ms;
}

/*
 * After a watch that ended without an error: go on at once, unless
 * watches keep ending at once without an event (a proxy that closes
 * every stream, a server that answers 410 to every watch after a list):
 * from the short_watches-th such watch in a row, back off.
 */
static void resume(struct nd_kube_sync *s, uint64_t now_ms, bool is_short,
		   struct nd_kube_sync_action *act)
{
	if (!is_short || ++s->shorts < s->opt.short_watches) {
		next_request(s, now_ms, act);
		return;
	}
	wait_then(s, now_ms, next_backoff(s), ND_KUBE_RETRY_SHORT, act);
}

/* --- the calls --------------------------------------------------------- */

int nd_kube_sync_start(struct nd_kube_sync *s, uint64_t now_ms,
		       struct nd_kube_sync_action *act)
{
	if (s == NULL || act == NULL || s->state != ND_SYNC_IDLE)
		return -EINVAL;
	s->want_list = true;
	if (s->opt.start_jitter_ms > 0) {
		uint32_t delay = draw_below(s, s->opt.start_jitter_ms);

		wait_then(s, now_ms, delay, ND_KUBE_RETRY_START, act);
		return 0;
	}
	get_list(s, now_ms, act);
	return 0;
}

int nd_kube_sync_timer(struct nd_kube_sync *s, uint64_t now_ms,
		       struct nd_kube_sync_action *act)
{
	if (s == NULL || act == NULL || s->state != ND_SYNC_BACKOFF)
		return -EINVAL;
	next_request(s, now_ms, act);
	return 0;
}

int nd_kube_sync_list_end(struct nd_kube_sync *s, uint64_t now_ms,
			  enum nd_kube_list_end how, const char *rv,
			  const char *cont, const char *why, bool *finished,
			  struct nd_kube_sync_action *act)
{
	if (s == NULL || act == NULL || finished == NULL ||
	    s->state != ND_SYNC_LISTING)
		return -EINVAL;
	*finished = false;
	if (how == ND_LIST_EXPIRED && s->cont != NULL) {
		nd_info("kube", "%s: list continuation expired; listing again",
			kname(s));
		free(s->cont);
		s->cont = NULL;
		s->pages = 0;
		get_list(s, now_ms, act);
		return 0;
	}
	if (how == ND_LIST_RV_GONE) {
		s->is_rv_unavailable = true;
		nd_info("kube", "%s: the API cannot list at resourceVersion %s (%s); listing its newest state",
			kname(s), s->rv[0] ? s->rv : "0", why ? why : "-");
		free(s->cont);
		s->cont = NULL;
		s->pages = 0;
		get_list(s, now_ms, act);
		return 0;
	}
	if (how != ND_LIST_OK) {
		fail(s, now_ms, why, act);
		return 0;
	}
	s->pages++;
	snprintf(s->list_rv, sizeof(s->list_rv), "%s", rv ? rv : "");
	free(s->cont);
	s->cont = NULL;
	if (cont != NULL && cont[0] != '\0') {
		s->cont = strdup(cont);
		if (s->cont == NULL) {
			fail(s, now_ms, "out of memory", act);
			return -ENOMEM;
		}
		get_list(s, now_ms, act);
		return 0;
	}
	*finished = true;
	memcpy(s->rv, s->list_rv, sizeof(s->rv));
	s->is_rv_unavailable = false;
	s->want_list = false;
	s->pages = 0;
	s->is_synced = true;
	count(&s->lists);
	end_failure_streak(s);
	/* A complete list is a fresh start: short watches before it (a
	 * cut, then 410) do not add up with the ones after it. A server
	 * that fails every watch after a list is caught below (GONE). */
	s->shorts = 0;
	get_watch(s, now_ms, true, act);
	return 0;
}

int nd_kube_sync_event(struct nd_kube_sync *s, uint64_t now_ms,
		       const char *rv)
{
	(void)now_ms;
	if (s == NULL || s->state != ND_SYNC_WATCHING)
		return -EINVAL;
	/* Even a skipped object moves us on: its version was delivered. */
	if (rv != NULL && rv[0] != '\0')
		snprintf(s->rv, sizeof(s->rv), "%s", rv);
	if (!s->watch_had_event) {
		s->watch_had_event = true;
		healthy(s);
	}
	return 0;
}

int nd_kube_sync_watch_end(struct nd_kube_sync *s, uint64_t now_ms,
			   enum nd_kube_watch_end how, const char *why,
			   struct nd_kube_sync_action *act)
{
	bool is_short;

	if (s == NULL || act == NULL || s->state != ND_SYNC_WATCHING)
		return -EINVAL;
	/* A watch that ran (HTTP 200) for a while, or delivered events,
	 * shows the API works, however it ended. */
	is_short = how == ND_WATCH_FAILED || watch_was_short(s, now_ms);
	if (!is_short)
		healthy(s);
	switch (how) {
	case ND_WATCH_CLOSED:
	case ND_WATCH_CUT:
		/* The server ends watches at timeoutSeconds; a proxy or a
		 * restart cuts them. Either way, carry on from the last RV. */
		count(&s->restarts[ND_KUBE_RESTART_CLOSED]);
		if (how == ND_WATCH_CLOSED)
			nd_debug("kube", "%s: watch ended at resourceVersion %s",
				 kname(s), s->rv);
		else
			nd_info("kube", "%s: watch cut (%s); resuming at resourceVersion %s",
				kname(s), why ? why : "-", s->rv);
		resume(s, now_ms, is_short, act);
		return 0;
	case ND_WATCH_GONE:
		/* History compacted past our RV: only a list can catch up,
		 * and it should not wait (the answers are stale until it).
		 * Only a 410 at once on the RV a list just gave is a broken
		 * server (a list for every watch): that one waits. */
		count(&s->restarts[ND_KUBE_RESTART_GONE]);
		nd_info("kube", "%s: resourceVersion %s is gone (%s); listing again",
			kname(s), s->rv, why ? why : "410");
		s->want_list = true;
		if (s->watch_from_list && is_short) {
			wait_then(s, now_ms, next_backoff(s),
				  ND_KUBE_RETRY_SHORT, act);
			return 0;
		}
		get_list(s, now_ms, act);
		return 0;
	case ND_WATCH_RV_TOO_LARGE:
		/* etcd was restored from a backup: waiting cannot help, a
		 * list can (client-go does the same). */
		count(&s->api_errors);
		nd_warn("kube", "%s: %s; listing again", kname(s),
			why ? why : "resourceVersion too large");
		s->want_list = true;
		get_list(s, now_ms, act);
		return 0;
	case ND_WATCH_TOO_BIG:
		/* A watch resumed at our RV would bring the same event back
		 * and fail on it for ever; a list carries the object (a page
		 * may be far larger than a line). */
		s->want_list = true;
		count(&s->restarts[ND_KUBE_RESTART_ERROR]);
		fail(s, now_ms, why, act);
		return 0;
	case ND_WATCH_ERROR_EVENT:
		count(&s->restarts[ND_KUBE_RESTART_ERROR]);
		fail(s, now_ms, why, act);
		return 0;
	case ND_WATCH_FAILED:
	default:
		fail(s, now_ms, why, act);
		return 0;
	}
}

int nd_kube_sync_silent(struct nd_kube_sync *s, uint64_t now_ms,
			uint64_t last_data_ms, uint32_t *recheck_ms,
			struct nd_kube_sync_action *act)
{
	uint64_t idle;

	if (s == NULL || act == NULL || recheck_ms == NULL ||
	    s->state != ND_SYNC_WATCHING)
		return -EINVAL;
	idle = now_ms > last_data_ms ? now_ms - last_data_ms : 0;
	if (idle < s->opt.silent_ms) {
		*recheck_ms = (uint32_t)(s->opt.silent_ms - idle);
		return 0;
	}
	/* Bookmarks arrive about once a minute on a healthy watch: a long
	 * silence is a stream dead without a FIN (a NAT or proxy lost it). */
	count(&s->restarts[ND_KUBE_RESTART_SILENT]);
	nd_warn("kube", "%s: watch silent for %llu ms; restarting it at resourceVersion %s",
		kname(s), (unsigned long long)idle, s->rv);
	get_watch(s, now_ms, false, act);
	return 1;
}
