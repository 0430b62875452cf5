// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsbpipe: the calls on sandboxes and on sbpipe pipe ends.
 *
 * Every function here is a thin wrapper over one ioctl of
 * <linux/sbpipe.h>; the only state is the default sandbox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sbpipe.h"
#include "internal.h"

#define SBPIPE_PIPE_FLAGS	(O_CLOEXEC | O_NONBLOCK | O_DIRECT)

/*
 * The default sandbox fd, -1 until found. Threads race to fill it with a
 * compare-and-swap; the loser closes what it opened. Once set it never
 * changes, so a plain acquire load suffices to read it, pairing with the
 * release of the successful compare-and-swap.
 */
static int __sbpipe_default_fd = -1;
/* Set when /dev/sbpipe turned out to be absent: that is not retried. */
static int __sbpipe_unavailable;

const char *__sbpipe_device_path(void)
{
	const char *path = secure_getenv("SBPIPE_DEVICE");

	return path && *path ? path : "/dev/sbpipe";
}

int __sbpipe_is_sandbox(int fd)
{
	struct sbpipe_stats stats;

	return fd >= 0 && ioctl(fd, SBPIPE_IOC_STATS, &stats) == 0;
}

static int __sbpipe_env_sandbox(void)
{
	const char *env = getenv("SBPIPE_FD");
	char *end;
	long fd;

	if (!env || !*env)
		return -1;

	errno = 0;
	fd = strtol(env, &end, 10);
	if (errno || *end || fd < 0 || fd > INT_MAX)
		return -1;

	return __sbpipe_is_sandbox(fd) ? (int)fd : -1;
}

SBPIPE_EXPORT int sbpipe_open_sandbox(int flags)
{
	int fd;

	if (flags & ~O_CLOEXEC) {
		errno = EINVAL;
		return -1;
	}

	fd = open(__sbpipe_device_path(), O_RDWR | flags);
	if (fd < 0 && (errno == ENOENT || errno == ENXIO || errno == ENODEV))
		errno = ENODEV;
	return fd;
}

SBPIPE_EXPORT int sbpipe_get_default_sandbox(void)
{
	int fd = __atomic_load_n(&__sbpipe_default_fd, __ATOMIC_ACQUIRE);
	int expected = -1;
	int opened = 0;

	if (fd >= 0)
		return fd;
	if (__atomic_load_n(&__sbpipe_unavailable, __ATOMIC_RELAXED)) {
		errno = ENODEV;
		return -1;
	}

	fd = __sbpipe_env_sandbox();
	if (fd < 0) {
		fd = sbpipe_open_sandbox(O_CLOEXEC);
		if (fd < 0) {
			/* Transient failures such as EMFILE are retried. */
			if (errno == ENODEV)
				__atomic_store_n(&__sbpipe_unavailable, 1,
						 __ATOMIC_RELAXED);
			return -1;
		}
		opened = 1;
	}

	if (!__atomic_compare_exchange_n(&__sbpipe_default_fd, &expected, fd,
					 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		if (opened)
			close(fd);
		return expected;
	}
	return fd;
}

/* Returns the sandbox fd to use, or -1 with errno set. */
static int __sbpipe_resolve(int sandbox)
{
	if (sandbox == SBPIPE_DEFAULT_SANDBOX)
		return sbpipe_get_default_sandbox();
	if (sandbox < 0) {
		errno = EBADF;
		return -1;
	}
	return sandbox;
}

/*
 * pipe2() reports EFAULT for an unwritable pipefd rather than crashing.
 * Let the kernel try the store: rt_sigprocmask() writes exactly the 8
 * bytes of int[2] to its old-set pointer, or fails with EFAULT. What it
 * writes is overwritten by the caller right after.
 */
static int __sbpipe_user_writable(int pipefd[2])
{
	return syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, pipefd,
		       sizeof(int[2])) == 0;
}

SBPIPE_EXPORT int sbpipe_create_pipe(int sandbox, int pipefd[2], int flags,
				     unsigned int size,
				     unsigned int atomic_size)
{
	struct sbpipe_create create = {
		.flags		= flags,
		.size		= size,
		.atomic_size	= atomic_size,
	};

	if (flags & ~SBPIPE_PIPE_FLAGS) {
		errno = EINVAL;
		return -1;
	}

	sandbox = __sbpipe_resolve(sandbox);
	if (sandbox < 0)
		return -1;

	if (ioctl(sandbox, SBPIPE_IOC_CREATE, &create))
		return -1;

	/* As pipe2(), leave pipefd untouched on failure. */
	if (!__sbpipe_user_writable(pipefd)) {
		close(create.rfd);
		close(create.wfd);
		errno = EFAULT;
		return -1;
	}

	pipefd[0] = create.rfd;
	pipefd[1] = create.wfd;
	return 0;
}

SBPIPE_EXPORT int sbpipe_pipe2(int pipefd[2], int flags)
{
	return sbpipe_create_pipe(SBPIPE_DEFAULT_SANDBOX, pipefd, flags, 0, 0);
}

SBPIPE_EXPORT int sbpipe_pipe(int pipefd[2])
{
	return sbpipe_pipe2(pipefd, 0);
}

static int __sbpipe_size_result(__u32 size)
{
	if (size > INT_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	return size;
}

SBPIPE_EXPORT int sbpipe_get_size(int fd)
{
	struct sbpipe_size arg = { 0 };

	if (ioctl(fd, SBPIPE_IOC_GET_SIZE, &arg))
		return -1;
	return __sbpipe_size_result(arg.size);
}

SBPIPE_EXPORT int sbpipe_set_size(int fd, unsigned int size)
{
	struct sbpipe_size arg = { .size = size };

	if (ioctl(fd, SBPIPE_IOC_SET_SIZE, &arg))
		return -1;
	return __sbpipe_size_result(arg.size);
}

SBPIPE_EXPORT int sbpipe_get_info(int fd, struct sbpipe_info *info)
{
	return ioctl(fd, SBPIPE_IOC_INFO, info) ? -1 : 0;
}

SBPIPE_EXPORT int sbpipe_get_queued(int fd)
{
	struct sbpipe_info info;

	if (sbpipe_get_info(fd, &info))
		return -1;
	return __sbpipe_size_result(info.queued);
}

SBPIPE_EXPORT ssize_t sbpipe_peek(int fd, void *buf, size_t len,
				  unsigned int offset)
{
	struct sbpipe_peek peek = {
		.buf	= (__u64)(unsigned long)buf,
		.len	= len > INT_MAX ? INT_MAX : len,
		.offset	= offset,
	};

	if (ioctl(fd, SBPIPE_IOC_PEEK, &peek))
		return -1;
	return peek.len;
}

SBPIPE_EXPORT int sbpipe_get_limits(int sandbox, struct sbpipe_limits *limits)
{
	sandbox = __sbpipe_resolve(sandbox);
	if (sandbox < 0)
		return -1;
	return ioctl(sandbox, SBPIPE_IOC_GET_LIMITS, limits) ? -1 : 0;
}

SBPIPE_EXPORT int sbpipe_set_limits(int sandbox,
				    const struct sbpipe_limits *limits)
{
	sandbox = __sbpipe_resolve(sandbox);
	if (sandbox < 0)
		return -1;
	return ioctl(sandbox, SBPIPE_IOC_SET_LIMITS, limits) ? -1 : 0;
}

SBPIPE_EXPORT int sbpipe_get_stats(int sandbox, struct sbpipe_stats *stats)
{
	sandbox = __sbpipe_resolve(sandbox);
	if (sandbox < 0)
		return -1;
	return ioctl(sandbox, SBPIPE_IOC_STATS, stats) ? -1 : 0;
}

SBPIPE_EXPORT int sbpipe_shutdown_sandbox(int sandbox)
{
	sandbox = __sbpipe_resolve(sandbox);
	if (sandbox < 0)
		return -1;
	return ioctl(sandbox, SBPIPE_IOC_SHUTDOWN) ? -1 : 0;
}
