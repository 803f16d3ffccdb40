/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/rcu.h"

#include <pthread.h>
#include <stdbool.h>
#include <urcu/urcu-memb.h>

#include "util/log.h"

static __thread bool tls_is_registered;
static pthread_key_t reg_key;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

/* A thread that exits registered would leave liburcu waiting for it. */
static void reg_dtor(void *arg)
{
	(void)arg;
	if (tls_is_registered) {
		urcu_memb_unregister_thread();
		tls_is_registered = false;
	}
}

static void reg_key_init(void)
{
	if (pthread_key_create(&reg_key, reg_dtor) != 0)
		nd_err("rcu", "no thread key: RCU threads are not "
			      "unregistered at exit");
}

void nd_rcu_register(void)
{
	if (tls_is_registered)
		return;
	urcu_memb_register_thread();
	tls_is_registered = true;
	pthread_once(&reg_once, reg_key_init);
	pthread_setspecific(reg_key, &tls_is_registered);
}

void nd_rcu_unregister(void)
{
	if (!tls_is_registered)
		return;
	urcu_memb_unregister_thread();
	tls_is_registered = false;
	pthread_setspecific(reg_key, NULL);
}
