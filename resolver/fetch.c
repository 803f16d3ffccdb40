/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/fetch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns/case0x20.h"
#include "resolver/metrics.h"
#include "resolver/upstream.h"
#include "util/addr.h"
#include "util/log.h"
#include "util/rand.h"

#define LOG_GROUP "forward"

/* Attempts of one question at most, whatever the timeouts allow: every
 * attempt costs the caller a socket. */
#define FETCH_MAX_TRIES 32

static const char *const end_names[] = {
	"answered", "timeout", "refused", "unreachable", "local", "canceled",
	"loop",
};

const char *nd_fetch_end_name(enum nd_fetch_end e)
{
	return (unsigned)e < sizeof(end_names) / sizeof(end_names[0])
		       ? end_names[e]
		       : "unknown";
}

void nd_fetch_env_set_upstreams(struct nd_fetch_env *env,
				struct nd_upstreams *ups)
{
	if (env == NULL)
		return;
	env->ups = ups;
	env->ups_gen++;
}

static bool debug_on(void)
{
	return ND_LOG_DEBUG <= nd_log_threshold;
}

static void done(struct nd_fetch *f, enum nd_fetch_end end,
		 const uint8_t *reply, size_t len, struct nd_fetch_action *act)
{
	memset(act, 0, sizeof(*act));
	act->what = ND_FETCH_DONE;
	act->end = end;
	act->reply = reply;
	act->reply_len = len;
	f->has_attempt = false;
	f->is_done = true;
}

/* Record how the current attempt ended. */
static void end_attempt(struct nd_fetch *f, enum nd_upstream_outcome o,
			uint64_t now_us, bool answered)
{
	struct nd_fetch_env *env = f->env;
	uint64_t rtt_us = now_us > f->sent_us ? now_us - f->sent_us : 0;
	uint32_t rtt = rtt_us > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt_us;

	if (o == ND_UP_OK) {
		f->fast_fails = 0;
	} else if (o == ND_UP_TIMEOUT) {
		f->fast_fails = 0;
		f->saw_timeout = true;
	} else {
		f->fast_fails++;
		f->n_fast++;
		if (o != ND_UP_NETWORK)
			f->saw_rcode = true;
	}
	/* A loop probe asks about a name that does not exist: how it ends
	 * says nothing of the upstream's health, and it is not a query
	 * anyone asked (not counted, not reported). */
	if (f->pinned) {
		f->has_attempt = false;
		return;
	}
	/*
	 * After a set swap the index belongs to a set the caller may already
	 * have freed, and may mean another server in the new one: count
	 * nothing rather than count it wrong.
	 */
	if (f->counts && f->ups_gen == env->ups_gen &&
	    f->up < ND_MAX_UPSTREAMS) {
		size_t row = nd_fetch_env_row(env, env->slot_base + f->up);

		if (env->m != NULL && row < ND_MAX_UPSTREAM_SLOTS) {
			ND_METRIC_INC(env->m->fwd_responses[row][o]);
			if (answered)
				nd_hist_observe(&env->m->fwd_duration[row],
						rtt_us);
		}
		nd_upstreams_report(env->ups, f->up, o,
				    o == ND_UP_TIMEOUT ? 0 : rtt);
	}
	if (o != ND_UP_OK && env->on_failure != NULL)
		env->on_failure(env->failure_arg,
				(const struct sockaddr *)&f->addr, (int)o);
	if (debug_on()) {
		char addr[ND_ADDR_STRLEN];

		if (nd_addr_format((const struct sockaddr *)&f->addr, addr,
				   sizeof(addr)) != 0)
			strcpy(addr, "?");
		nd_debug(LOG_GROUP, "attempt %u to %s: %s (%llu us)",
			 f->n_tries, addr, nd_upstream_outcome_name(o),
			 (unsigned long long)rtt_us);
	}
	f->has_attempt = false;
}

/* The attempt timer: per attempt, cut short by the question's deadline. */
static uint32_t timer_ms(const struct nd_fetch *f, uint32_t per_attempt_ms,
			 uint64_t now_us)
{
	uint64_t left = f->deadline_us > now_us ? f->deadline_us - now_us : 0;
	uint64_t ms = (left + 999) / 1000;

	return ms < per_attempt_ms ? (uint32_t)ms : per_attempt_ms;
}

/* The record of the current attempt's upstream; NULL when its set was
 * swapped since (the index may mean another server now) or for a loop
 * probe, which is nobody's query. */
static struct nd_upstream_trust *attempt_trust(struct nd_fetch *f)
{
	if (!f->counts || f->pinned || f->ups_gen != f->env->ups_gen)
		return NULL;
	return nd_upstreams_trust(f->env->ups, f->up);
}

/* Count a reply not taken, under its upstream and reason. */
static void count_reject(struct nd_fetch *f, enum nd_fwd_reject why)
{
	struct nd_fetch_env *env = f->env;
	size_t row = nd_fetch_env_row(env, env->slot_base + f->up);

	if (env->m != NULL && f->counts && !f->pinned &&
	    f->ups_gen == env->ups_gen && row < ND_MAX_UPSTREAM_SLOTS &&
	    (unsigned)why < ND_FWD_REJ_COUNT)
		ND_METRIC_INC(env->m->fwd_rejected[row][why]);
}

static void addr_text(const struct nd_fetch *f, char *buf, size_t cap)
{
	if (nd_addr_format((const struct sockaddr *)&f->addr, buf, cap) != 0)
		snprintf(buf, cap, "?");
}

/*
 * The attempt ends without an answer: what the replies it discarded say
 * of the upstream (an upstream that does not echo the case, or stopped
 * sending cookies, shows it this way; spoofed replies do not, since the
 * real reply would have been taken).
 */
static void judge_discards(struct nd_fetch *f, uint64_t now_us)
{
	struct nd_upstream_trust *t = attempt_trust(f);
	char addr[ND_ADDR_STRLEN];

	if (t == NULL)
		return;
	if (f->saw_case_reject && nd_trust_case_failed(t, now_us)) {
		addr_text(f, addr, sizeof(addr));
		nd_warn(LOG_GROUP,
			"upstream %s does not echo the 0x20 case of our "
			"questions (%d attempts in a row): asking it in lower "
			"case for %llu s",
			addr, ND_0X20_EVIDENCE,
			(unsigned long long)(ND_0X20_OFF_US / 1000000));
	}
	if (f->saw_cookie_missing && nd_trust_cookie_failed(t)) {
		addr_text(f, addr, sizeof(addr));
		nd_warn(LOG_GROUP,
			"upstream %s stopped sending DNS cookies (%d attempts "
			"in a row): taking its replies without them until it "
			"sends one again",
			addr, ND_COOKIE_EVIDENCE);
	}
}

static void send_attempt(struct nd_fetch *f, bool tcp, uint64_t now_us,
			 struct nd_fetch_action *act)
{
	struct nd_fetch_env *env = f->env;
	struct nd_upstream_trust *t = attempt_trust(f);
	uint8_t cookie[ND_COOKIE_CLIENT_LEN + ND_COOKIE_SERVER_MAX];
	struct nd_fwd_extras x = { 0 };
	size_t row;
	int n;

	/* A new ID per attempt: the last one was seen on the wire. */
	f->id = nd_rand_u16();
	f->saw_case_reject = false;
	f->saw_cookie_missing = false;
	/*
	 * 0x20 over UDP only: a TCP reply cannot be spoofed blind, and
	 * an upstream that does not echo the case would fail there too.
	 */
	f->sent_0x20 = env->use_0x20 && !tcp && t != NULL &&
		       nd_trust_use_0x20(t, now_us) &&
		       nd_0x20_mix(f->qs.qname_lc, f->qs.qname_len,
				   f->sent_name, nd_rand_u32) > 0;
	if (f->sent_0x20)
		x.qname = f->sent_name;
	f->sent_cookie = false;
	if (env->use_cookies && t != NULL) {
		x.cookie_len = nd_trust_cookie(
			t, nd_upstreams_cookie_secret(env->ups),
			(const struct sockaddr *)&f->addr, now_us, cookie);
		if (x.cookie_len > 0) {
			x.cookie = cookie;
			f->sent_cookie = true;
			memcpy(f->cookie, cookie, ND_COOKIE_CLIENT_LEN);
		}
	}
	n = nd_fwd_build_query_ex(&f->qs, f->id, &x, f->msg, sizeof(f->msg));
	f->msg_len = n > 0 ? (size_t)n : 0; /* checked at start */
	f->n_tries++;
	f->is_tcp = tcp;
	f->has_attempt = true;
	f->sent_us = now_us;
	if (tcp)
		f->used_tcp = true;
	row = nd_fetch_env_row(env, env->slot_base + f->up);
	if (env->m != NULL && f->counts && !f->pinned &&
	    row < ND_MAX_UPSTREAM_SLOTS) {
		ND_METRIC_INC(env->m->fwd_requests[row]);
		if (tcp)
			ND_METRIC_INC(env->m->fwd_tcp[row]);
	}
	memset(act, 0, sizeof(*act));
	act->what = ND_FETCH_SEND;
	act->is_tcp = tcp;
	act->addr = (const struct sockaddr *)&f->addr;
	act->msg = f->msg;
	act->len = f->msg_len;
	/* Connection set-up costs a round trip more than UDP: allow two. */
	act->timeout_ms = timer_ms(f, tcp ? 2 * env->attempt_timeout_ms
					  : env->attempt_timeout_ms,
				   now_us);
	if (debug_on()) {
		char name[4 * ND_DNS_MAX_NAME + 1], addr[ND_ADDR_STRLEN];
		char tbuf[16];

		if (nd_dns_name_to_text(f->qs.qname_lc, f->qs.qname_len, name,
					sizeof(name)) != 0)
			strcpy(name, "?");
		if (nd_addr_format(act->addr, addr, sizeof(addr)) != 0)
			strcpy(addr, "?");
		nd_debug(LOG_GROUP, "attempt %u: %s %s to %s over %s (id %u%s%s)",
			 f->n_tries, name,
			 nd_dns_type_name(f->qs.qtype, tbuf, sizeof(tbuf)),
			 addr, tcp ? "tcp" : "udp", f->id,
			 f->sent_0x20 ? ", 0x20" : "",
			 !f->sent_cookie	       ? ""
			 : x.cookie_len > ND_COOKIE_CLIENT_LEN ? ", cookies"
						       : ", client cookie");
	}
}

/*
 * The next attempt, or the end when there is no point: the deadline
 * passed, every upstream failed fast in a row, or the attempt cap is
 * reached.
 */
static void next_attempt(struct nd_fetch *f, uint64_t now_us,
			 struct nd_fetch_action *act)
{
	struct nd_fetch_env *env = f->env;

	for (;;) {
		size_t n;

		if (f->ups_gen != env->ups_gen) {
			/* The set changed: start the rotation over in it. */
			f->ups_gen = env->ups_gen;
			f->slot_base = env->slot_base;
			f->rot = 0;
			f->fast_fails = 0;
		}
		n = env->ups != NULL ? nd_upstreams_count(env->ups) : 0;
		if (n == 0) {
			done(f, ND_FETCH_UNREACHABLE, NULL, 0, act);
			return;
		}
		if (now_us >= f->deadline_us) {
			done(f, ND_FETCH_TIMED_OUT, NULL, 0, act);
			return;
		}
		/*
		 * Refused connections and error rcodes come back at once;
		 * once every upstream has failed that way in a row, another
		 * round would only spin.
		 */
		if (f->fast_fails >= n || (f->pinned && f->n_tries > 0)) {
			done(f, f->saw_rcode ? ND_FETCH_REFUSED
				: f->saw_loop ? ND_FETCH_LOOP
				: f->pinned && f->saw_timeout
					      ? ND_FETCH_TIMED_OUT
					      : ND_FETCH_UNREACHABLE,
			     NULL, 0, act);
			return;
		}
		/*
		 * Timeouts are paced by the attempt timer and bounded by the
		 * deadline; fast failures interleaved with them are not, so
		 * they get a budget of their own, and a hard cap.
		 */
		if (f->n_fast > 3 * n || f->n_tries >= FETCH_MAX_TRIES) {
			done(f, f->saw_timeout ? ND_FETCH_TIMED_OUT
			     : f->saw_rcode    ? ND_FETCH_REFUSED
					       : ND_FETCH_UNREACHABLE,
			     NULL, 0, act);
			return;
		}
		if (f->pinned)
			f->up = f->pinned - 1 < n ? f->pinned - 1 : 0;
		else if (f->rot == 0)
			f->first = f->up = nd_upstreams_pick(env->ups, 0, 0);
		else
			f->up = nd_upstreams_pick(env->ups, f->rot, f->first);
		f->rot++;
		/* An upstream that forwards back to us would only bring the
		 * query back to us until it times out: skip it, as a fast
		 * failure, so a set of only such upstreams ends at once. */
		if (!f->pinned && nd_upstreams_is_loop(env->ups, f->up)) {
			f->saw_loop = true;
			f->fast_fails++;
			f->n_fast++;
			continue;
		}
		f->counts = true;
		const struct sockaddr *sa = nd_upstreams_addr(env->ups, f->up);
		socklen_t sl = sa ? nd_addr_len(sa) : 0;
		if (sl == 0 || sl > sizeof(f->addr)) {
			/* Cannot happen with a valid set; do not spin on it. */
			f->counts = false;
			f->n_tries++;
			f->fast_fails++;
			f->n_fast++;
			continue;
		}
		memset(&f->addr, 0, sizeof(f->addr));
		memcpy(&f->addr, sa, sl);
		send_attempt(f, env->use_tcp, now_us, act);
		return;
	}
}

/* Both starts: pinned is 1 + the index of the one upstream, 0 = any. */
static int start(struct nd_fetch *f, struct nd_fetch_env *env,
		 const struct nd_question *qs, size_t pinned, uint64_t now_us,
		 struct nd_fetch_action *act)
{
	uint8_t probe[ND_FETCH_QUERY_MAX];

	if (f == NULL || env == NULL || qs == NULL || act == NULL ||
	    qs->qname_lc == NULL || qs->qname_len == 0 ||
	    qs->qname_len > ND_DNS_MAX_NAME)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->env = env;
	memcpy(f->qname, qs->qname_lc, qs->qname_len);
	f->qs = *qs;
	f->qs.qname_lc = f->qname;
	/* Reject a bad name now rather than on every attempt. */
	if (nd_fwd_build_query(&f->qs, 0, probe, sizeof(probe)) < 0)
		return -EINVAL;
	f->ups_gen = env->ups_gen;
	f->slot_base = env->slot_base;
	f->pinned = pinned;
	f->deadline_us = now_us + (uint64_t)env->query_timeout_ms * 1000;
	next_attempt(f, now_us, act);
	return 0;
}

int nd_fetch_start(struct nd_fetch *f, struct nd_fetch_env *env,
		   const struct nd_question *qs, uint64_t now_us,
		   struct nd_fetch_action *act)
{
	return start(f, env, qs, 0, now_us, act);
}

int nd_fetch_start_pinned(struct nd_fetch *f, struct nd_fetch_env *env,
			  const struct nd_question *qs, size_t index,
			  uint64_t now_us, struct nd_fetch_action *act)
{
	return start(f, env, qs, index + 1, now_us, act);
}

/* After an unusable reply: the outcome its verdict stands for. */
static enum nd_upstream_outcome verdict_outcome(enum nd_fwd_verdict v)
{
	switch (v) {
	case ND_FWD_SERVFAIL:
		return ND_UP_SERVFAIL;
	case ND_FWD_REFUSED:
		return ND_UP_REFUSED;
	default:
		return ND_UP_BAD;
	}
}

/*
 * The cookie check of a reply that matched ID and question (RFC 7873
 * 5.3). *ext_rcode gets the reply's full RCODE when it parsed.
 */
static enum nd_fwd_reject check_cookie(struct nd_fetch *f, const uint8_t *pkt,
				       size_t len, unsigned *ext_rcode)
{
	struct nd_upstream_trust *t = attempt_trust(f);
	struct nd_cookie c;
	enum nd_cookie_verdict v;
	int found;

	*ext_rcode = 0;
	if (!f->sent_cookie)
		return ND_FWD_REJ_NONE;
	found = nd_cookie_find(pkt, len, &c, ext_rcode);
	/* A truncated reply may be cut anywhere: the TCP answer that
	 * follows is checked whole. Only a wrong client cookie in it
	 * counts. */
	if (len >= ND_DNS_HEADER_LEN && (nd_get16(pkt + 2) & ND_FLAG_TC))
		return found > 0 && memcmp(c.client, f->cookie,
					   ND_COOKIE_CLIENT_LEN) != 0
			       ? ND_FWD_REJ_COOKIE
			       : ND_FWD_REJ_NONE;
	if (t != NULL) {
		v = nd_trust_cookie_reply(t, f->cookie, found, &c);
	} else {
		/* The set was swapped: judge by this reply alone. */
		v = found < 0 || (found > 0 && memcmp(c.client, f->cookie,
						      ND_COOKIE_CLIENT_LEN) != 0)
			    ? ND_COOKIE_WRONG
			    : ND_COOKIE_OK;
	}
	if (v == ND_COOKIE_MISSING)
		f->saw_cookie_missing = true;
	return v == ND_COOKIE_OK ? ND_FWD_REJ_NONE : ND_FWD_REJ_COOKIE;
}

int nd_fetch_reply(struct nd_fetch *f, const uint8_t *pkt, size_t len,
		   uint64_t now_us, struct nd_fetch_action *act)
{
	enum nd_fwd_verdict v;
	enum nd_fwd_reject why;
	unsigned ext_rcode = 0;

	if (f == NULL || act == NULL || pkt == NULL || !f->has_attempt)
		return -EINVAL;
	why = nd_fwd_check(pkt, len, f->id, &f->qs,
			   f->sent_0x20 ? f->sent_name : NULL);
	if (why == ND_FWD_REJ_NONE)
		why = check_cookie(f, pkt, len, &ext_rcode);
	if (why == ND_FWD_REJ_CASE)
		f->saw_case_reject = true;
	if (why == ND_FWD_REJ_NONE && f->sent_0x20 &&
	    nd_get16(pkt + 4) == 1)
		nd_trust_case_ok(attempt_trust(f));
	if (why != ND_FWD_REJ_NONE) {
		count_reject(f, why);
		/*
		 * On UDP a wrong ID or question is a late reply or a spoof
		 * (RFC 5452 9.1): keep waiting for the real one. A TCP
		 * connection is ours alone, so there it is a broken
		 * upstream.
		 */
		if (!f->is_tcp) {
			memset(act, 0, sizeof(*act));
			act->what = ND_FETCH_WAIT;
			return 0;
		}
		end_attempt(f, ND_UP_BAD, now_us, true);
		next_attempt(f, now_us, act);
		return 0;
	}
	v = nd_fwd_classify(pkt, len);
	if (v == ND_FWD_BAD && ext_rcode == ND_RCODE_BADCOOKIE &&
	    !f->did_badcookie && !f->is_done) {
		/* RFC 7873 5.3: the upstream wants its fresh server cookie
		 * (check_cookie has just learned it): ask it again, once. */
		unsigned streak = f->fast_fails;

		f->did_badcookie = true;
		end_attempt(f, ND_UP_OK, now_us, true);
		f->fast_fails = streak;
		send_attempt(f, f->is_tcp, now_us, act);
		return 0;
	}
	if (v == ND_FWD_ACCEPT) {
		end_attempt(f, ND_UP_OK, now_us, true);
		done(f, ND_FETCH_ANSWERED, pkt, len, act);
		return 0;
	}
	if (v == ND_FWD_TRUNCATED && !f->is_tcp) {
		/* The upstream did answer, promptly and properly; but the
		 * exchange is not over, so a streak of fast failures goes
		 * on (upstreams that truncate over TCP too end the fetch
		 * after one round, not after the budget). */
		unsigned streak = f->fast_fails;

		end_attempt(f, ND_UP_OK, now_us, true);
		f->fast_fails = streak;
		send_attempt(f, true, now_us, act);
		return 0;
	}
	/* TC over TCP means the upstream cannot do better (RFC 7766 8). */
	end_attempt(f, verdict_outcome(v), now_us, true);
	next_attempt(f, now_us, act);
	return 0;
}

int nd_fetch_timeout(struct nd_fetch *f, uint64_t now_us,
		     struct nd_fetch_action *act)
{
	if (f == NULL || act == NULL || !f->has_attempt)
		return -EINVAL;
	judge_discards(f, now_us);
	end_attempt(f, ND_UP_TIMEOUT, now_us, false);
	next_attempt(f, now_us, act);
	return 0;
}

int nd_fetch_neterr(struct nd_fetch *f, uint64_t now_us,
		    struct nd_fetch_action *act)
{
	if (f == NULL || act == NULL || !f->has_attempt)
		return -EINVAL;
	end_attempt(f, ND_UP_NETWORK, now_us, false);
	next_attempt(f, now_us, act);
	return 0;
}

int nd_fetch_local_error(struct nd_fetch *f, struct nd_fetch_action *act)
{
	if (f == NULL || act == NULL || f->is_done)
		return -EINVAL;
	/* Not the upstream's fault, and the next attempt would fail alike. */
	done(f, ND_FETCH_LOCAL, NULL, 0, act);
	return 0;
}

void nd_fetch_cancel(struct nd_fetch *f, struct nd_fetch_action *act)
{
	if (f == NULL || act == NULL)
		return;
	done(f, ND_FETCH_CANCELED, NULL, 0, act);
}

int nd_fetch_last_upstream(const struct nd_fetch *f)
{
	return f != NULL && f->n_tries > 0 ? (int)(f->slot_base + f->up) : -1;
}
