/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/sync.h - the list/watch policy of one resource as a state machine: outcomes and the time in, the next request or wait out. */
#ifndef KUBE_SYNC_H
#define KUBE_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "kube/decode.h"

/*
 * Why a running watch (HTTP 200) ended and another request followed
 * (the label of nodedns_kube_watch_restarts_total).
 */
enum nd_kube_restart_reason {
	ND_KUBE_RESTART_CLOSED = 0, /* the stream ended (server timeout, cut) */
	ND_KUBE_RESTART_GONE = 1,   /* 410 Gone: history compacted, re-list */
	ND_KUBE_RESTART_SILENT = 2, /* nothing arrived for silent_ms */
	ND_KUBE_RESTART_ERROR = 3,  /* an ERROR event, a bad status, a line
				       over max_line */
	ND_KUBE_RESTART_REASONS,
};

/* "closed", "gone", "silent", "error" (metric labels, logs). */
const char *nd_kube_restart_reason_name(enum nd_kube_restart_reason r);

/* Why the next request waits (the label of nodedns_kube_retries_total). */
enum nd_kube_retry_reason {
	ND_KUBE_RETRY_FAILED = 0, /* a request failed: connect, status, body */
	ND_KUBE_RETRY_SHORT = 1,  /* watches ended at once, several in a row */
	ND_KUBE_RETRY_START = 2,  /* the start jitter before the first list */
	ND_KUBE_RETRY_REASONS,
};

/* "failed", "short", "start". */
const char *nd_kube_retry_reason_name(enum nd_kube_retry_reason r);

/* Where one resource's list/watch is. */
enum nd_kube_sync_state {
	ND_SYNC_IDLE = 0,     /* not started */
	ND_SYNC_LISTING = 1,  /* a list page request runs */
	ND_SYNC_WATCHING = 2, /* the watch request runs */
	ND_SYNC_BACKOFF = 3,  /* waiting before the next request */
	ND_SYNC_STATES,
};

/* "idle", "listing", "watching", "backoff" (/debug/kube). */
const char *nd_kube_sync_state_name(enum nd_kube_sync_state s);

/* How a list page request ended. */
enum nd_kube_list_end {
	ND_LIST_OK = 0,	     /* a page of items, put into the store */
	ND_LIST_EXPIRED = 1, /* 410 on a continue token: its snapshot is gone */
	ND_LIST_FAILED = 2,  /* transport error, HTTP error, bad body */
	ND_LIST_RV_GONE = 3, /* the first page's resourceVersion cannot be
				served: 410 Expired, or ResourceVersionTooLarge
				(etcd restored); the next list reads the
				newest state instead */
};

/* How a watch request ended. */
enum nd_kube_watch_end {
	ND_WATCH_CLOSED = 0,	   /* 200, the server ended it (timeoutSeconds) */
	ND_WATCH_CUT = 1,	   /* 200, then a transport error */
	ND_WATCH_GONE = 2,	   /* HTTP 410, or an ERROR event with code 410 */
	ND_WATCH_ERROR_EVENT = 3,  /* an ERROR event with another code */
	ND_WATCH_TOO_BIG = 4,	   /* an event line over max_line */
	ND_WATCH_RV_TOO_LARGE = 5, /* our RV is ahead of the server's (etcd
				      restored): waiting cannot help */
	ND_WATCH_FAILED = 6,	   /* no 200: transport or HTTP error */
};

/* Tuning; zeroes give the defaults. */
struct nd_kube_sync_options {
	uint32_t page_limit;	     /* items per list page; 0 = 500 */
	uint32_t silent_ms;	     /* restart a watch that sent nothing this
					long (bookmarks come about every
					minute); 0 = 90000 */
	uint32_t watch_min_s;	     /* timeoutSeconds drawn from
					[watch_min_s, watch_max_s]; 0 = 300 */
	uint32_t watch_max_s;	     /* 0 = 600 */
	uint32_t backoff_initial_ms; /* first retry delay; 0 = 250 */
	uint32_t backoff_max_ms;     /* retry delay cap (doubles up to it,
					+-25% jitter below it); 0 = 30000 */
	uint32_t short_watch_ms;     /* a watch that ends sooner than this
					without an event is short; 0 = 1000 */
	uint32_t short_watches;	     /* short watches in a row before the
					backoff applies to them; 0 = 2 */
	uint64_t seed;		     /* jitter and timeoutSeconds; 0 = fixed
					(tests), else draws differ per node */
	uint32_t start_jitter_ms;    /* the first list waits a random
					[0, start_jitter_ms) so nodes that
					start together spread their lists;
					0 = none */
};

/* What the caller does next. */
enum nd_kube_sync_do {
	ND_SYNC_GET = 0,  /* start the request described (now) */
	ND_SYNC_WAIT = 1, /* call nd_kube_sync_timer() after delay_ms */
};

struct nd_kube_sync_action {
	enum nd_kube_sync_do what;
	bool is_watch;		   /* GET: a watch, else a list page */
	uint32_t delay_ms;	   /* WAIT: how long */
	enum nd_kube_retry_reason why; /* WAIT: why it waits */
	const char *rv;		   /* GET watch: resourceVersion to resume at
				      (borrowed from the sync, valid until
				      its next call) */
	const char *cont;	   /* GET list: continue token; NULL = the
				      first page (borrowed, as rv) */
	const char *list_rv;	   /* GET list, first page: resourceVersion
				      to ask for: "0" = any (the API
				      server's watch cache, no etcd read),
				      an RV = not older than it (also the
				      cache), "" = the newest (a quorum
				      read); NULL on later pages (the API
				      refuses both with continue). Borrowed,
				      as rv. */
	uint32_t limit;		   /* GET list: items per page */
	uint32_t timeout_s;	   /* GET watch: timeoutSeconds */
	uint32_t silent_ms;	   /* GET watch: call nd_kube_sync_silent()
				      after this long */
};

/*
 * One resource's list/watch. Embedded (init/deinit); fields are for the
 * module and for tests. Counters and state are written with relaxed
 * atomics by the owning thread only, so other threads may read them.
 */
struct nd_kube_sync {
	enum nd_kube_kind kind;
	struct nd_kube_sync_options opt; /* defaults filled in */
	enum nd_kube_sync_state state;
	bool want_list;		   /* next request is a list (first page) */
	bool is_synced;		   /* a full list completed once */
	bool watch_had_event;	   /* the running watch delivered an event */
	bool watch_from_list;	   /* the running watch started from the RV
				      of the list just completed */
	char *cont;		   /* continue token of the next page (owned) */
	unsigned pages;		   /* pages of the list in progress */
	char list_rv[ND_KUBE_RV_MAX]; /* the list's resourceVersion */
	char rv[ND_KUBE_RV_MAX];   /* resume watching from here */
	bool is_rv_unavailable;	   /* the last list's resourceVersion was
				      refused: the next list asks "" */
	uint64_t watch_start_ms;   /* monotonic ms the running watch began */
	uint64_t state_since_ms;   /* monotonic ms of the last state change */
	uint32_t backoff_ms;	   /* base of the next failure delay;
				      0 = initial */
	uint32_t failures;	   /* failed requests in a row */
	uint32_t shorts;	   /* short watches in a row */
	uint32_t last_delay_ms;	   /* the last WAIT's delay */
	uint64_t rng;		   /* xorshift state */
	uint64_t fail_log_ms;	   /* monotonic ms of the last failure line */
	/* counters */
	uint64_t lists;				      /* full lists completed */
	uint64_t api_errors;			      /* failed requests */
	uint64_t restarts[ND_KUBE_RESTART_REASONS];   /* watch restarts */
	uint64_t retries[ND_KUBE_RETRY_REASONS];      /* waits scheduled */
};

/* Set s up for kind with opt (NULL = defaults). Returns 0 or -EINVAL. */
int nd_kube_sync_init(struct nd_kube_sync *s, enum nd_kube_kind kind,
		      const struct nd_kube_sync_options *opt);
/* Free what s holds; a zeroed or NULL s is fine. */
void nd_kube_sync_deinit(struct nd_kube_sync *s);

/*
 * Each call below takes now_ms (monotonic) and fills act with what to do
 * next. Calls that report how a request ended must come while that
 * request runs (state LISTING or WATCHING); they return -EINVAL
 * otherwise, and for NULL arguments. why is text for the log (the URL's
 * error, an HTTP status and message); NULL is fine.
 */

/* The first request: a list, or a WAIT of the start jitter first. */
int nd_kube_sync_start(struct nd_kube_sync *s, uint64_t now_ms,
		       struct nd_kube_sync_action *act);

/* The wait of a WAIT action is over. */
int nd_kube_sync_timer(struct nd_kube_sync *s, uint64_t now_ms,
		       struct nd_kube_sync_action *act);

/*
 * A list page request ended. ND_LIST_OK: rv is the list's
 * metadata.resourceVersion and cont its continue token (NULL or "" on
 * the last page); the caller has put the page's items into the store,
 * having begun the re-list on the first page (s->pages == 0 before this
 * call). *finished is set true when this was the last page: the caller
 * ends the re-list (removing what it did not see). Returns 0, -EINVAL or
 * -ENOMEM (the list starts over after a backoff).
 */
int nd_kube_sync_list_end(struct nd_kube_sync *s, uint64_t now_ms,
			  enum nd_kube_list_end how, const char *rv,
			  const char *cont, const char *why, bool *finished,
			  struct nd_kube_sync_action *act);

/* The running watch delivered an event (any but ERROR); rv its object's
 * resourceVersion ("" or NULL = none). */
int nd_kube_sync_event(struct nd_kube_sync *s, uint64_t now_ms,
		       const char *rv);

/* The running watch ended. */
int nd_kube_sync_watch_end(struct nd_kube_sync *s, uint64_t now_ms,
			   enum nd_kube_watch_end how, const char *why,
			   struct nd_kube_sync_action *act);

/*
 * The silent timer of the running watch fired; last_data_ms is when its
 * last bytes arrived. Returns 1 with act a GET (the caller cancels the
 * running request first) when the watch is silent past silent_ms, 0 with
 * *recheck_ms set when it is not (call again then), -EINVAL.
 */
int nd_kube_sync_silent(struct nd_kube_sync *s, uint64_t now_ms,
			uint64_t last_data_ms, uint32_t *recheck_ms,
			struct nd_kube_sync_action *act);

/* The state, read from any thread. */
enum nd_kube_sync_state nd_kube_sync_get_state(const struct nd_kube_sync *s);

#endif /* KUBE_SYNC_H */
