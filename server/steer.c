/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/steer.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif
#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif

int nd_steer_to_successor(int fd, unsigned n_old, unsigned n_new)
{
	struct sock_filter code[] = {
		/* A = a random u32 */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 (__u32)(SKF_AD_OFF + SKF_AD_RANDOM)),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n_new),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, n_old),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	if (fd < 0 || n_new == 0)
		return -EINVAL;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
		       sizeof(prog)) != 0)
		return -errno;
	return 0;
}

int nd_steer_detach(int fd)
{
	int zero = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &zero,
		       sizeof(zero)) != 0)
		return -errno;
	return 0;
}

int nd_steer_queued(int fd)
{
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) != 0)
		return -errno;
	return n;
}

int nd_steer_accept_queued(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return -errno;
	/* For a listening socket the kernel reports the accept queue's
	 * length in tcpi_unacked (ss shows it as Recv-Q). */
	return (int)ti.tcpi_unacked;
}
