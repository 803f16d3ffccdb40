/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/system/getaddrinfo.c - a pod's program resolving a name: calls
 * getaddrinfo(3) once and prints every address it returns, one a line.
 * test_pods_resolve.sh builds it with `musl-gcc -static`, so the stub is
 * musl's (search list, ndots, truncated answers as musl handles them).
 *
 *   getaddrinfo [-4|-6] NAME
 *
 * -4 asks AF_INET, -6 AF_INET6, neither AF_UNSPEC; SOCK_STREAM only, so
 * each address comes once. Exit 0 with at least one address; on failure
 * "getaddrinfo: NAME: <gai_strerror>" on stderr and exit 2.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct addrinfo hints, *res = NULL, *ai;
	char buf[INET6_ADDRSTRLEN];
	const char *name;
	int family = AF_UNSPEC, rc;

	if (argc == 3 && strcmp(argv[1], "-4") == 0)
		family = AF_INET;
	else if (argc == 3 && strcmp(argv[1], "-6") == 0)
		family = AF_INET6;
	else if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: getaddrinfo [-4|-6] NAME\n");
		return 1;
	}
	name = argv[argc - 1];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "getaddrinfo: %s: %s\n", name, gai_strerror(rc));
		return 2;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		const void *a;

		if (ai->ai_family == AF_INET)
			a = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, a, buf, sizeof(buf)) != NULL)
			printf("%s\n", buf);
	}
	freeaddrinfo(res);
	return 0;
}
