/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/need_test_libs.h - forced into the test programs' compilation by
 * configure when cmocka or ldns is missing: the daemon builds without
 * them, `make check` says what to install. */
#error "make check needs cmocka and ldns: apt-get install libcmocka-dev libldns-dev (or ./setup.sh), then ./configure again"
