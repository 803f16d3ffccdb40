/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/kube_writer.h - the thread that applies API objects to the kube store, so that the control thread never waits for a render. */
#ifndef SERVER_KUBE_WRITER_H
#define SERVER_KUBE_WRITER_H

#include <stddef.h>

struct event_base;
struct nd_kube_writer; /* opaque */

/*
 * One queued piece of work. run(arg) runs on the writer thread, in the
 * order posted; then done(arg) runs on the thread that dispatches the
 * base given to nd_kube_writer_new() (the control thread), also in
 * order, and must free arg. drop(arg) frees an op that will not run
 * (the writer stops).
 */
typedef void nd_kube_writer_fn(void *arg);

/* A writer whose completions are delivered through base; its thread
 * starts with the first op (after start-up dropped privileges). NULL on
 * failure. */
struct nd_kube_writer *nd_kube_writer_new(struct event_base *base);

/*
 * Queue an op (any of run and done may be NULL; drop must free arg).
 * bytes: what it holds, for nd_kube_writer_backlog(). Control thread.
 * Returns 0 or -ENOMEM (no memory, or the thread could not start: then
 * nothing was queued and arg is the caller's).
 */
int nd_kube_writer_post(struct nd_kube_writer *w, nd_kube_writer_fn *run,
			nd_kube_writer_fn *done, nd_kube_writer_fn *drop,
			void *arg, size_t bytes);

/* Bytes of the ops posted and not run yet (any thread). */
size_t nd_kube_writer_backlog(struct nd_kube_writer *w);

/* Ops posted and not run yet (any thread). */
size_t nd_kube_writer_pending(struct nd_kube_writer *w);

/*
 * Stop: the op running finishes, the others are dropped, the thread is
 * joined, completions not delivered are dropped. NULL is fine. Control
 * thread.
 */
void nd_kube_writer_free(struct nd_kube_writer *w);

#endif /* SERVER_KUBE_WRITER_H */
