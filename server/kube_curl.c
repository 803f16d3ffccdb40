/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/kube_curl.h"

#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>

#include "util/log.h"

/* One socket libcurl asked us to watch. */
struct sock {
	struct nd_kube_curl *m;
	curl_socket_t fd;
	struct event *ev;
	struct sock *prev, *next; /* all of m's, so free can find leftovers */
};

struct nd_kube_curl {
	struct event_base *base; /* borrowed */
	CURLM *multi;
	struct event *timer;	 /* libcurl's single timeout */
	struct sock *socks;	 /* list head */
	bool is_global_init;	 /* curl_global_init() succeeded */
};

/* Hand finished transfers to their owners. */
static void check_done(struct nd_kube_curl *m)
{
	CURLMsg *msg;
	int left;

	/*
	 * Bounded: each message is one finished transfer, and a done
	 * callback that re-adds its handle cannot finish it in this loop.
	 */
	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		struct nd_kube_curl_req *req = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&req);
		curl_multi_remove_handle(m->multi, easy);
		if (req == NULL)
			continue;
		req->is_active = false;
		req->done(req, rc);
	}
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct nd_kube_curl *m = arg;
	int action = 0, running = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(m->multi, fd, action, &running);
	check_done(m);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct nd_kube_curl *m = arg;
	int running = 0;

	(void)fd;
	(void)what;
	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(m);
}

static void sock_free(struct sock *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		s->m->socks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: mirror libcurl's interest in fd as an event. */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct nd_kube_curl *m = userp;
	struct sock *s = socketp;
	short events = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		/* libcurl forgets its pointer to s itself; cleanup also
		 * comes here, when assigning would touch a dying multi. */
		if (s != NULL)
			sock_free(s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return -1;
		s->m = m;
		s->fd = fd;
		s->next = m->socks;
		if (s->next != NULL)
			s->next->prev = s;
		m->socks = s;
		curl_multi_assign(m->multi, fd, s);
	} else {
		event_free(s->ev);
		s->ev = NULL;
	}
	s->ev = event_new(m->base, fd, events, on_socket_event, m);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0) {
		nd_err("kube", "cannot watch socket %d in the event loop", fd);
		return -1; /* libcurl fails the transfer */
	}
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION. A zero timeout is armed as a zero timer
 * rather than acted on here: libcurl forbids calling
 * curl_multi_socket_action() from inside its own callback.
 */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct nd_kube_curl *m = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(m->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(m->timer, &tv) == 0 ? 0 : -1;
}

struct nd_kube_curl *nd_kube_curl_new(struct event_base *base)
{
	struct nd_kube_curl *m;

	if (base == NULL)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->base = base;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	m->is_global_init = true;
	m->multi = curl_multi_init();
	m->timer = evtimer_new(base, on_timer, m);
	if (m->multi == NULL || m->timer == NULL)
		goto fail;
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	return m;
fail:
	nd_kube_curl_free(m);
	return NULL;
}

void nd_kube_curl_free(struct nd_kube_curl *m)
{
	if (m == NULL)
		return;
	/* Cleanup closes cached connections, which calls socket_cb. */
	if (m->multi != NULL)
		curl_multi_cleanup(m->multi);
	while (m->socks != NULL)
		sock_free(m->socks);
	if (m->timer != NULL)
		event_free(m->timer);
	if (m->is_global_init)
		curl_global_cleanup();
	free(m);
}

int nd_kube_curl_add(struct nd_kube_curl *m, struct nd_kube_curl_req *req)
{
	if (m == NULL || req == NULL || req->easy == NULL ||
	    req->done == NULL || req->is_active)
		return -EINVAL;
	curl_easy_setopt(req->easy, CURLOPT_PRIVATE, req);
	if (curl_multi_add_handle(m->multi, req->easy) != CURLM_OK)
		return -ENOMEM;
	req->is_active = true;
	return 0;
}

void nd_kube_curl_remove(struct nd_kube_curl *m, struct nd_kube_curl_req *req)
{
	if (m == NULL || req == NULL || !req->is_active)
		return;
	curl_multi_remove_handle(m->multi, req->easy);
	req->is_active = false;
}
