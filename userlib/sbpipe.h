/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsbpipe: pipe2-style calls on sbpipe, the sandboxed pipes of
 * /dev/sbpipe.
 *
 * Return convention, for every function of the library: on success a
 * non-negative value (0, a file descriptor, a size or a byte count, as each
 * function says); on failure -1 with errno set. No function returns a
 * negative errno and none prints anything.
 *
 * A sandbox is a file descriptor of /dev/sbpipe. Where a function takes a
 * sandbox, SBPIPE_DEFAULT_SANDBOX names the process's default sandbox: the
 * file descriptor given in the environment variable SBPIPE_FD when it is
 * set and is a sandbox, otherwise /dev/sbpipe opened on first use,
 * close-on-exec, once for the whole process. When sbpipe is not available
 * (no /dev/sbpipe, or no module behind it), calls needing a sandbox fail
 * with ENODEV.
 */
#ifndef _SBPIPE_H
#define _SBPIPE_H

#include <sys/types.h>

#include <linux/sbpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The process's default sandbox, where a function takes a sandbox fd. */
#define SBPIPE_DEFAULT_SANDBOX	(-2)

int sbpipe_pipe(int pipefd[2]);
int sbpipe_pipe2(int pipefd[2], int flags);
int sbpipe_create_pipe(int sandbox, int pipefd[2], int flags,
		       unsigned int size, unsigned int atomic_size);

int sbpipe_get_size(int fd);
int sbpipe_set_size(int fd, unsigned int size);
int sbpipe_get_queued(int fd);
int sbpipe_get_info(int fd, struct sbpipe_info *info);
ssize_t sbpipe_peek(int fd, void *buf, size_t len, unsigned int offset);

int sbpipe_open_sandbox(int flags);
int sbpipe_get_default_sandbox(void);
int sbpipe_get_limits(int sandbox, struct sbpipe_limits *limits);
int sbpipe_set_limits(int sandbox, const struct sbpipe_limits *limits);
int sbpipe_get_stats(int sandbox, struct sbpipe_stats *stats);
int sbpipe_shutdown_sandbox(int sandbox);

#ifdef __cplusplus
}
#endif

#endif /* _SBPIPE_H */
