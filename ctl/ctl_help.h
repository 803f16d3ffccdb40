/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* ctl/ctl_help.h - nodednsctl's manual page (--help) and its one-line usage. */
#ifndef CTL_CTL_HELP_H
#define CTL_CTL_HELP_H

#include <stdio.h>

/* The whole manual: NAME, SYNOPSIS, DESCRIPTION, COMMANDS, OPTIONS, EXIT
 * STATUS, EXAMPLES, ENVIRONMENT. */
void nd_ctl_help(FILE *f);

/* The synopsis and a pointer to --help, for a usage error. */
void nd_ctl_usage(FILE *f);

#endif /* CTL_CTL_HELP_H */
