/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* ctl/ctl.h - nodednsctl's exit codes and default server, shared by its files. */
#ifndef CTL_CTL_H
#define CTL_CTL_H

/* What the process exits with; documented in --help (EXIT STATUS). */
enum nd_ctl_exit {
	ND_CTL_OK = 0,		/* the command did what was asked */
	ND_CTL_USAGE = 1,	/* bad command line */
	ND_CTL_UNREACHABLE = 2, /* no answer from the server, or an HTTP
				   error status */
	ND_CTL_VERDICT = 3,	/* answered, and the verdict is a failure
				   (explain), or the action was refused for
				   what it names (reload of a bad file) */
	ND_CTL_BAD_JSON = 4,	/* answered 200 with something not JSON, or
				   JSON of the wrong shape */
	ND_CTL_NOT_CACHED = 5,	/* explain: the outcome depends on an
				   upstream not asked (--resolve asks) */
};

/* The daemon's --debug-listen default. */
#define ND_CTL_DEFAULT_SERVER "http://127.0.0.1:9154"

#endif /* CTL_CTL_H */
