/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/privileges.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config/config.h"
#include "config/node_plan.h"
#include "util/errors.h"
#include "util/log.h"

#define LOG_GROUP "server"

bool nd_privileges_need_net_admin(const struct nd_config *cfg)
{
	/* The node set-up is checked and repaired while serving and
	 * removed at exit, so CAP_NET_ADMIN stays for the process's life. */
	return cfg != NULL && nd_node_setup_is_configured(cfg);
}

/* Threads of this process: capabilities are per thread, so the drop must
 * happen while there is one. */
static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void log_holdings(const char *how)
{
	char *caps;

	capng_clear(CAPNG_SELECT_ALL);
	capng_get_caps_process();
	caps = capng_print_caps_text(CAPNG_PRINT_BUFFER, CAPNG_EFFECTIVE);
	nd_info(LOG_GROUP, "%s: uid %u gid %u, capabilities: %s", how,
		(unsigned)getuid(), (unsigned)getgid(),
		caps != NULL && caps[0] != '\0' ? caps : "none");
	free(caps);
}

/* Not root: shed the capabilities binding needed (setcap or ambient). */
static int drop_caps_only(bool keep_net_admin)
{
	bool had_admin;

	capng_clear(CAPNG_SELECT_ALL);
	capng_get_caps_process();
	had_admin = capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE) {
		log_holdings("running unprivileged");
		return 0;
	}
	capng_clear(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
	if (keep_net_admin && had_admin)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			     CAP_NET_ADMIN);
	/* Lowering is always allowed; the bounding set would need
	 * CAP_SETPCAP, and no_new_privs makes it moot. */
	if (capng_apply(CAPNG_SELECT_CAPS) != 0 ||
	    capng_apply(CAPNG_SELECT_AMBIENT) != 0) {
		nd_err(LOG_GROUP, "cannot drop capabilities after binding");
		return -EPERM;
	}
	log_holdings("dropped the capabilities binding needed");
	return 0;
}

int nd_privileges_drop(const struct nd_priv_plan *plan)
{
	const char *name;
	struct passwd *pw;
	int threads, rc;

	if (plan == NULL)
		return -EINVAL;
	threads = thread_count();
	if (threads > 1)
		nd_warn(LOG_GROUP, "dropping privileges with %d threads "
				   "running: only this one keeps capabilities "
				   "as planned, the others lose them all",
			threads);
	/* No execve of ours may ever gain privileges again. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		nd_warn(LOG_GROUP, "cannot set no_new_privs: %s",
			strerror(errno));
	if (geteuid() != 0) {
		if (plan->user != NULL)
			nd_warn(LOG_GROUP, "--user %s ignored: not started as "
					   "root, running as uid %u",
				plan->user, (unsigned)geteuid());
		return drop_caps_only(plan->keep_net_admin);
	}
	if (!plan->drop || (plan->user != NULL &&
			    strcmp(plan->user, "root") == 0)) {
		nd_warn(LOG_GROUP, "keeping root and every capability (%s): "
				   "any flaw is a root compromise, and any "
				   "root process can join our ports",
			plan->drop ? "--user root" : "--no-drop-privileges");
		return 0;
	}
	name = plan->user;
	errno = 0;
	pw = getpwnam(name != NULL ? name : "nodedns");
	if (pw == NULL && name == NULL) {
		name = "nobody";
		pw = getpwnam(name);
	}
	if (pw == NULL) {
		nd_err(LOG_GROUP, "--user %s: no such user%s%s",
		       name != NULL ? name : "nodedns",
		       errno ? ": " : "", errno ? strerror(errno) : "");
		return ND_ENOTFOUND;
	}
	if (pw->pw_uid == 0) {
		nd_err(LOG_GROUP, "--user %s has uid 0; name an unprivileged "
				  "user, or --user root to keep root",
		       pw->pw_name);
		return -EINVAL;
	}
	/* Keep CAP_NET_ADMIN only if we have it: started without it (a
	 * container that did not grant it), node set-up fails and says so,
	 * counted, and nodedns serves without its rules. */
	capng_clear(CAPNG_SELECT_ALL);
	capng_get_caps_process();
	bool has_admin = capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
	/* Emptying the bounding set takes CAP_SETPCAP, which a container
	 * given only the capabilities it needs (the DaemonSet drops ALL)
	 * does not have. Its bounding set is the runtime's then; with
	 * no_new_privs set and nothing permitted, nothing in it can be
	 * gained back. */
	bool has_setpcap = capng_have_capability(CAPNG_PERMITTED, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_ALL);
	if (plan->keep_net_admin && has_admin)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			     CAP_NET_ADMIN);
	else if (plan->keep_net_admin)
		nd_warn(LOG_GROUP, "node set-up needs CAP_NET_ADMIN, which this "
				   "process does not have: its rules cannot be "
				   "installed, repaired or removed");
	/*
	 * libcap-ng keeps the capabilities across the uid switch
	 * (PR_SET_KEEPCAPS), switches gid, groups and uid in the order
	 * that works, then applies the set above; the bounding and ambient
	 * sets are emptied while we still may.
	 */
	rc = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
			     CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT |
				     (has_setpcap ? CAPNG_CLEAR_BOUNDING : 0));
	if (rc != 0) {
		nd_err(LOG_GROUP, "cannot switch to user %s (uid %u): "
				  "libcap-ng error %d",
		       pw->pw_name, (unsigned)pw->pw_uid, rc);
		return -EPERM;
	}
	/* Paranoia that costs nothing: root must be out of reach now. */
	if (setuid(0) == 0 || seteuid(0) == 0) {
		nd_err(LOG_GROUP, "could get uid 0 back after dropping it");
		return -EPERM;
	}
	log_holdings("dropped root");
	return 0;
}
