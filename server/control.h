/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/control.h - the POST /control/... actions of the debug listener: reload, cache flush, log level. */
#ifndef SERVER_CONTROL_H
#define SERVER_CONTROL_H

#include <stddef.h>

struct nd_daemon;
struct nd_http_req;

/*
 * Check what start-up can about control: a --control-token file must be
 * readable and hold a secret (fatal otherwise, logged); a --debug-listen
 * address that is not loopback without a token is logged as "control
 * from loopback peers only". Returns 0 or -EINVAL.
 */
int nd_control_start(struct nd_daemon *d);

/*
 * POST /control/<action>?<query> (control thread):
 *   reload                   read the configuration again (as SIGHUP):
 *                            200 {"outcome": "accepted"}, or 422
 *                            {"outcome": "refused", "error": reason}
 *   flush?name=NAME          drop NAME's cached answers (every type)
 *   flush?all=1              drop every cached answer
 *                            200 {"flushed": N, ...}
 *   log-level?level=LEVEL    error, warn, info or debug, until the next
 *                            reload: 200 {"log_level", "previous"}
 * Who may: with --control-token, every request must carry
 * "Authorization: Bearer <the file's secret>"; without it, only a
 * loopback peer. Else 403 {"error"}. 400 for a bad or unknown parameter,
 * 404 for an unknown action. Body: JSON (malloc'd) in *body, *len,
 * *content_type static. Returns the HTTP status, -EINVAL for NULL
 * arguments.
 */
int nd_control_dispatch(struct nd_daemon *d, const struct nd_http_req *r,
			char **body, size_t *len, const char **content_type);

#endif /* SERVER_CONTROL_H */
