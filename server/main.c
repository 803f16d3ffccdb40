/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/main.c - the nodedns daemon's entry point. */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "server/daemon.h"
#include "util/log.h"

int main(int argc, char **argv)
{
	static struct nd_daemon d; /* large; static keeps it off the stack */
	char err[ND_CONFIG_ERRLEN] = "";
	int rc;

	nd_config_init(&d.cfg);
	rc = nd_config_load(&d.cfg, argc, argv, err, sizeof(err));
	if (rc == 1) {
		nd_config_deinit(&d.cfg);
		return 0; /* --help or --version */
	}
	if (rc != 0) {
		fprintf(stderr, "nodedns: %s\n", err);
		nd_config_deinit(&d.cfg);
		return 2;
	}
	if (d.cfg.is_check_only) {
		printf("nodedns: configuration %s%sOK\n",
		       d.cfg.config_file ? d.cfg.config_file : "(command line)",
		       d.cfg.config_file ? " and the command line: " : ": ");
		nd_config_deinit(&d.cfg);
		return 0;
	}
	nd_log_set_level(d.cfg.log_level);
	d.argc = argc;
	d.argv = argv;
	rc = nd_daemon_start(&d);
	if (rc == 0)
		rc = nd_daemon_run(&d);
	else
		rc = 1;
	nd_daemon_free(&d);
	return rc;
}
