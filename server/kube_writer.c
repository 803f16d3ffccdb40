/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/kube_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>

#include "util/log.h"

/*
 * Why a thread: one Service's render costs up to what
 * --kube-max-service-records allows (tens to hundreds of milliseconds),
 * and the control thread also answers /health, /ready and signals; a
 * kubelet's probe must not wait for a render. The store keeps one writer
 * at a time (this thread, while the client runs); the control thread
 * keeps the API transport and the policy, and learns of each applied op
 * through its completion, in order.
 */

struct op {
	struct op *next;
	nd_kube_writer_fn *run, *done, *drop;
	void *arg;
	size_t bytes;
};

struct nd_kube_writer {
	pthread_t thread;
	pthread_mutex_t lock;	/* guards everything below */
	pthread_cond_t cond;	/* signalled when ops are posted or stop */
	struct op *head, *tail; /* to run */
	struct op *dhead, *dtail; /* run, completions to deliver */
	size_t backlog;		/* bytes of the ops to run */
	size_t pending;		/* ops to run */
	bool is_stopping;
	bool has_thread;
	struct event *done_ev; /* on the control base */
};

/*
 * Below the other threads: when the CPU is short, the workers answering
 * DNS and the control thread answering probes and signals go first, and
 * a render takes the time that is left. Per thread on Linux
 * (setpriority on the thread id); failing is harmless.
 */
#define WRITER_NICE 5

static void *writer_main(void *arg)
{
	struct nd_kube_writer *w = arg;

	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WRITER_NICE);

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct op *o;

		while (w->head == NULL && !w->is_stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->is_stopping)
			break;
		o = w->head;
		pthread_mutex_unlock(&w->lock);
		if (o->run != NULL)
			o->run(o->arg);
		pthread_mutex_lock(&w->lock);
		/* Taken off the queue only now, so the backlog counts the
		 * op being applied too. */
		w->head = o->next;
		if (w->head == NULL)
			w->tail = NULL;
		w->backlog -= o->bytes;
		w->pending--;
		o->next = NULL;
		if (w->dtail != NULL)
			w->dtail->next = o;
		else
			w->dhead = o;
		w->dtail = o;
		/* Thread-safe: evthread_use_pthreads() ran at start. */
		event_active(w->done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct nd_kube_writer *w = arg;
	struct op *o, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->lock);
	o = w->dhead;
	w->dhead = w->dtail = NULL;
	pthread_mutex_unlock(&w->lock);
	for (; o != NULL; o = next) {
		next = o->next;
		if (o->done != NULL)
			o->done(o->arg);
		else if (o->drop != NULL)
			o->drop(o->arg);
		free(o);
	}
}

struct nd_kube_writer *nd_kube_writer_new(struct event_base *base)
{
	struct nd_kube_writer *w;

	if (base == NULL)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->done_ev = event_new(base, -1, EV_READ, on_done, w);
	if (w->done_ev == NULL) {
		nd_kube_writer_free(w);
		return NULL;
	}
	return w;
}

int nd_kube_writer_post(struct nd_kube_writer *w, nd_kube_writer_fn *run,
			nd_kube_writer_fn *done, nd_kube_writer_fn *drop,
			void *arg, size_t bytes)
{
	struct op *o;

	if (w == NULL || drop == NULL)
		return -EINVAL;
	/*
	 * The thread starts with the first op, when the control loop runs:
	 * after start-up has given up root's capabilities, which are per
	 * thread (server/privileges.c), so it holds none.
	 */
	if (!w->has_thread) {
		if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
			return -ENOMEM;
		w->has_thread = true;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	o->run = run;
	o->done = done;
	o->drop = drop;
	o->arg = arg;
	o->bytes = bytes;
	pthread_mutex_lock(&w->lock);
	if (w->tail != NULL)
		w->tail->next = o;
	else
		w->head = o;
	w->tail = o;
	w->backlog += bytes;
	w->pending++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

size_t nd_kube_writer_backlog(struct nd_kube_writer *w)
{
	size_t n;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->lock);
	n = w->backlog;
	pthread_mutex_unlock(&w->lock);
	return n;
}

size_t nd_kube_writer_pending(struct nd_kube_writer *w)
{
	size_t n;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->lock);
	n = w->pending;
	pthread_mutex_unlock(&w->lock);
	return n;
}

static void drop_list(struct op *o)
{
	struct op *next;

	for (; o != NULL; o = next) {
		next = o->next;
		o->drop(o->arg);
		free(o);
	}
}

void nd_kube_writer_free(struct nd_kube_writer *w)
{
	if (w == NULL)
		return;
	if (w->has_thread) {
		pthread_mutex_lock(&w->lock);
		w->is_stopping = true;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	drop_list(w->head);
	drop_list(w->dhead);
	if (w->done_ev != NULL)
		event_free(w->done_ev);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
