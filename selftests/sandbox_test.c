// SPDX-License-Identifier: GPL-2.0
/*
 * sbpipe sandboxes: each limit refuses exactly the creation or resize that
 * would pass it, with its errno and nothing left behind; unprivileged
 * callers may lower limits but not raise them or pass the per-user
 * ceiling; sealing; shutdown, by ioctl and on the last close; statistics
 * and fdinfo against a scripted workload; a sandbox used across exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sbpipe.h>

#include "kselftest_harness.h"
#include "sbpipe_helpers.h"

/*
 * The harness's per-test wrapper keeps a local across its setjmp(). When
 * GCC inlines a short test body into that wrapper it warns about the
 * harness's local; nothing of ours lives across the setjmp().
 */
#pragma GCC diagnostic ignored "-Wclobbered"

/* A test that has not finished after this many seconds has hung. */
#define SANDBOX_TEST_DEADLINE	10

/* argv[1] that makes this program the helper a test execs. */
#define EXEC_HELPER_ARG		"--sandbox-exec-helper"

/* What a failed creation or resize must leave as it found. */
struct footprint {
	int fds;		/* descriptors open in this process */
	__u64 pipes;		/* the sandbox's pipes */
	__u64 bytes_reserved;	/* the sum of their ring sizes */
	__u64 limit_hits;	/* refusals by a limit so far */
};

static int footprint_take(int sandbox, struct footprint *fp)
{
	struct sbpipe_stats stats;

	if (sbpipe_stats(sandbox, &stats))
		return -1;
	fp->fds = count_open_fds();
	fp->pipes = stats.pipes;
	fp->bytes_reserved = stats.bytes_reserved;
	fp->limit_hits = stats.limit_hits;
	return 0;
}

/* Checks that @sandbox is as in @before but for one more limit hit. */
static void expect_one_refusal(struct __test_metadata *_metadata,
			       int sandbox, const struct footprint *before)
{
	struct footprint after;

	ASSERT_EQ(0, footprint_take(sandbox, &after));
	EXPECT_EQ(before->fds, after.fds);
	EXPECT_EQ(before->pipes, after.pipes);
	EXPECT_EQ(before->bytes_reserved, after.bytes_reserved);
	EXPECT_EQ(before->limit_hits + 1, after.limit_hits);
}

static int get_limits(int sandbox, struct sbpipe_limits *limits)
{
	memset(limits, 0xff, sizeof(*limits));
	return ioctl(sandbox, SBPIPE_IOC_GET_LIMITS, limits);
}

static int set_limits(int sandbox, __u32 max_pipes, __u32 max_size,
		      __u64 max_bytes, __u32 flags)
{
	struct sbpipe_limits limits = {
		.max_pipes = max_pipes,
		.max_size = max_size,
		.max_bytes = max_bytes,
		.flags = flags,
	};

	return ioctl(sandbox, SBPIPE_IOC_SET_LIMITS, &limits);
}

/* The ring size of the pipe of end @fd, or 0 when it cannot be read. */
static __u32 pipe_size(int fd)
{
	struct sbpipe_size size = { 0 };

	return ioctl(fd, SBPIPE_IOC_GET_SIZE, &size) ? 0 : size.size;
}

static void close_pipe(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

FIXTURE(sandbox) {
	int fd;				/* one open of /dev/sbpipe */
	struct sbpipe_limits defaults;	/* its limits when opened */
	const char *changed_param;	/* a module parameter a test set */
	unsigned long long saved_param;	/* its value before, to restore */
};

/* Sets module parameter @name, for the teardown to restore. */
static int change_param(FIXTURE_DATA(sandbox) *self, const char *name,
			unsigned long long val)
{
	if (sbpipe_param_read(name, &self->saved_param))
		return -1;
	self->changed_param = name;
	return sbpipe_param_write(name, val);
}

FIXTURE_SETUP(sandbox)
{
	self->changed_param = NULL;
	self->fd = sbpipe_open_sandbox();
	if (self->fd < 0 && sbpipe_missing(errno))
		SKIP(return, "/dev/sbpipe is missing: sbpipe.ko not loaded");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, get_limits(self->fd, &self->defaults));
	alarm(SANDBOX_TEST_DEADLINE);
}

FIXTURE_TEARDOWN(sandbox)
{
	if (self->changed_param &&
	    sbpipe_param_write(self->changed_param, self->saved_param))
		TH_LOG("could not restore %s to %llu", self->changed_param,
		       self->saved_param);
	if (self->fd >= 0)
		close(self->fd);
}

/* limits at their boundaries */

TEST_F(sandbox, creation_past_max_pipes_fails_with_emfile)
{
	struct footprint before;
	int fds[4][2], i;

	ASSERT_EQ(0, set_limits(self->fd, 3, self->defaults.max_size,
				self->defaults.max_bytes, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0,
					   fds[i]));
	ASSERT_EQ(0, footprint_take(self->fd, &before));

	EXPECT_EQ(-1, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, fds[3]));
	EXPECT_EQ(EMFILE, errno);
	expect_one_refusal(_metadata, self->fd, &before);
	EXPECT_EQ(3ULL, before.pipes);
}

TEST_F(sandbox, creation_past_max_bytes_fails_with_enfile)
{
	struct footprint before;
	int fds[4][2];

	ASSERT_EQ(0, set_limits(self->fd, self->defaults.max_pipes,
				self->defaults.max_size, 3 * 4096, 0));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, fds[0]));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, fds[1]));
	ASSERT_EQ(0, footprint_take(self->fd, &before));

	EXPECT_EQ(-1, sbpipe_create(self->fd, O_CLOEXEC, 4097, 0, fds[2]));
	EXPECT_EQ(ENFILE, errno);
	expect_one_refusal(_metadata, self->fd, &before);

	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, fds[2]));
	ASSERT_EQ(0, footprint_take(self->fd, &before));
	EXPECT_EQ(3ULL * 4096, before.bytes_reserved);
	EXPECT_EQ(-1, sbpipe_create(self->fd, O_CLOEXEC, 1, 0, fds[3]));
	EXPECT_EQ(ENFILE, errno);
	expect_one_refusal(_metadata, self->fd, &before);
}

TEST_F(sandbox, creation_above_the_sandbox_max_size_fails_with_eperm)
{
	struct footprint before;
	int fds[2];

	/* CAP_SYS_RESOURCE lifts the module's max_size, not a sandbox's. */
	ASSERT_EQ(0, set_limits(self->fd, self->defaults.max_pipes, 8192,
				self->defaults.max_bytes, 0));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 8192, 0, fds));
	close_pipe(fds);
	ASSERT_EQ(0, footprint_take(self->fd, &before));

	EXPECT_EQ(-1, sbpipe_create(self->fd, O_CLOEXEC, 8193, 0, fds));
	EXPECT_EQ(EPERM, errno);
	expect_one_refusal(_metadata, self->fd, &before);
}

TEST_F(sandbox, size_zero_gets_the_sandbox_max_size_when_it_is_smaller)
{
	int fds[2];

	ASSERT_EQ(0, set_limits(self->fd, self->defaults.max_pipes, 1000,
				self->defaults.max_bytes, 0));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 0, 0, fds));
	EXPECT_EQ(1000U, pipe_size(fds[0]));
	close_pipe(fds);
}

/*
 * Sets @limits, which allow 8192 bytes to one pipe, then checks that a
 * pipe grows to 8192 and that growing it to 8193 fails with EPERM and
 * leaves everything as it was.
 */
static void expect_resize_past_8192_refused(struct __test_metadata *_metadata,
					    int sandbox,
					    const struct sbpipe_limits *limits)
{
	struct footprint before;
	int fds[2];

	ASSERT_EQ(0, ioctl(sandbox, SBPIPE_IOC_SET_LIMITS, limits));
	ASSERT_EQ(0, sbpipe_create(sandbox, O_CLOEXEC, 4096, 0, fds));
	ASSERT_EQ(0, sbpipe_set_size(fds[1], 8192));
	ASSERT_EQ(0, footprint_take(sandbox, &before));

	EXPECT_EQ(-1, sbpipe_set_size(fds[1], 8193));
	EXPECT_EQ(EPERM, errno);
	expect_one_refusal(_metadata, sandbox, &before);
	EXPECT_EQ(8192U, pipe_size(fds[0]));
	close_pipe(fds);
}

TEST_F(sandbox, resize_past_max_bytes_fails_with_eperm)
{
	struct sbpipe_limits limits = self->defaults;

	limits.max_bytes = 8192;
	expect_resize_past_8192_refused(_metadata, self->fd, &limits);
}

TEST_F(sandbox, resize_above_the_sandbox_max_size_fails_with_eperm)
{
	struct sbpipe_limits limits = self->defaults;

	limits.max_size = 8192;
	expect_resize_past_8192_refused(_metadata, self->fd, &limits);
}

TEST_F(sandbox, shrinking_a_pipe_gives_its_bytes_back)
{
	struct sbpipe_stats stats;
	int big[2], small[2];

	ASSERT_EQ(0, set_limits(self->fd, self->defaults.max_pipes,
				self->defaults.max_size, 8192, 0));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 8192, 0, big));
	EXPECT_EQ(-1, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, small));
	EXPECT_EQ(ENFILE, errno);

	ASSERT_EQ(0, sbpipe_set_size(big[1], 4096));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, small));
	ASSERT_EQ(0, sbpipe_stats(self->fd, &stats));
	EXPECT_EQ(8192ULL, stats.bytes_reserved);
	close_pipe(big);
	close_pipe(small);
}

TEST_F(sandbox, closing_a_pipe_gives_its_count_and_bytes_back)
{
	struct sbpipe_stats stats;
	int fds[2];

	ASSERT_EQ(0, set_limits(self->fd, 1, self->defaults.max_size, 4096, 0));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, fds));
	close_pipe(fds);
	ASSERT_EQ(0, sbpipe_stats(self->fd, &stats));
	EXPECT_EQ(0ULL, stats.pipes);
	EXPECT_EQ(0ULL, stats.bytes_reserved);

	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, fds));
	close_pipe(fds);
}

TEST_F(sandbox, limit_below_what_is_in_use_fails_with_ebusy)
{
	struct sbpipe_limits limits;
	int a[2], b[2];

	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, a));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 8192, 0, b));

	EXPECT_EQ(-1, set_limits(self->fd, 1, self->defaults.max_size,
				 self->defaults.max_bytes, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, set_limits(self->fd, self->defaults.max_pipes,
				 self->defaults.max_size, 12287, 0));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, get_limits(self->fd, &limits));
	EXPECT_EQ(0, memcmp(&limits, &self->defaults, sizeof(limits)));

	EXPECT_EQ(0, set_limits(self->fd, 2, self->defaults.max_size, 12288, 0));
	close_pipe(a);
	close_pipe(b);
}

TEST_F(sandbox, set_limits_with_unknown_flags_or_reserved_fails_with_einval)
{
	struct sbpipe_limits limits = self->defaults;

	limits.flags = 1U << 31;
	EXPECT_EQ(-1, ioctl(self->fd, SBPIPE_IOC_SET_LIMITS, &limits));
	EXPECT_EQ(EINVAL, errno);

	limits.flags = 0;
	limits.__reserved[2] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SBPIPE_IOC_SET_LIMITS, &limits));
	EXPECT_EQ(EINVAL, errno);
}

/* privileges */

TEST_F(sandbox, unprivileged_user_may_lower_every_limit)
{
	struct sbpipe_limits limits;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, set_limits(self->fd, self->defaults.max_pipes - 1,
				self->defaults.max_size - 1,
				self->defaults.max_bytes - 1, 0));
	ASSERT_EQ(0, get_limits(self->fd, &limits));
	EXPECT_EQ(self->defaults.max_pipes - 1, limits.max_pipes);
	EXPECT_EQ(self->defaults.max_size - 1, limits.max_size);
	EXPECT_EQ(self->defaults.max_bytes - 1, limits.max_bytes);

	/* Back up to the module's defaults needs no privilege either. */
	EXPECT_EQ(0, set_limits(self->fd, self->defaults.max_pipes,
				self->defaults.max_size,
				self->defaults.max_bytes, 0));
}

TEST_F(sandbox, unprivileged_user_cannot_raise_a_limit_above_its_default)
{
	const struct sbpipe_limits *d = &self->defaults;
	struct sbpipe_limits limits;
	int fd;

	ASSERT_EQ(0, become_nobody());
	fd = sbpipe_open_sandbox();
	ASSERT_LE(0, fd);

	EXPECT_EQ(-1, set_limits(fd, d->max_pipes + 1, d->max_size,
				 d->max_bytes, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, set_limits(fd, d->max_pipes, d->max_size + 1,
				 d->max_bytes, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, set_limits(fd, d->max_pipes, d->max_size,
				 d->max_bytes + 1, 0));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, get_limits(fd, &limits));
	EXPECT_EQ(0, memcmp(&limits, d, sizeof(limits)));
	close(fd);
}

/*
 * Past 1 GiB no size is possible, but an unprivileged caller is refused by
 * max_size first: EPERM, as F_SETPIPE_SZ gives it below 2 GiB.
 */
TEST_F(sandbox, unprivileged_size_past_one_gib_is_eperm_not_einval)
{
	struct sbpipe_size size = { .size = 3U << 29 };
	int fds[2], more[2];

	ASSERT_EQ(0, sbpipe_create(self->fd, 0, 0, 0, fds));
	ASSERT_EQ(0, become_nobody());

	EXPECT_EQ(-1, sbpipe_create(self->fd, 0, size.size, 0, more));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(fds[1], SBPIPE_IOC_SET_SIZE, &size));
	EXPECT_EQ(EPERM, errno);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(sandbox, privileged_user_can_raise_a_limit_above_its_default)
{
	struct sbpipe_limits limits;

	if (!has_capability(CAP_SYS_RESOURCE))
		SKIP(return, "raising a limit needs CAP_SYS_RESOURCE");

	ASSERT_EQ(0, set_limits(self->fd, self->defaults.max_pipes + 1,
				self->defaults.max_size + 1,
				self->defaults.max_bytes + 1, 0));
	ASSERT_EQ(0, get_limits(self->fd, &limits));
	EXPECT_EQ(self->defaults.max_pipes + 1, limits.max_pipes);
	EXPECT_EQ(self->defaults.max_size + 1, limits.max_size);
	EXPECT_EQ(self->defaults.max_bytes + 1, limits.max_bytes);
}

TEST_F(sandbox, unprivileged_user_cannot_pass_user_max_bytes_across_sandboxes)
{
	const unsigned int sandboxes = 4, size = 65536;
	int status;
	pid_t pid;

	if (!has_capability(CAP_SYS_ADMIN))
		SKIP(return, "setting user_max_bytes needs root");
	ASSERT_EQ(0, change_param(self, "user_max_bytes", sandboxes * size));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int sb[5], fds[5][2], extra[2];
		unsigned int i;

		if (become_nobody())
			_exit(2);
		for (i = 0; i <= sandboxes; i++) {
			sb[i] = sbpipe_open_sandbox();
			if (sb[i] < 0)
				_exit(3);
		}
		for (i = 0; i < sandboxes; i++)
			EXPECT_EQ(0, sbpipe_create(sb[i], O_CLOEXEC, size, 0,
						   fds[i]));

		/* The ceiling is reached, whichever sandbox asks. */
		EXPECT_EQ(-1, sbpipe_create(sb[sandboxes], O_CLOEXEC, 1, 0,
					    fds[sandboxes]));
		EXPECT_EQ(ENFILE, errno);
		EXPECT_EQ(-1, sbpipe_set_size(fds[0][1], size + 1));
		EXPECT_EQ(EPERM, errno);

		/* And what one pipe gives back, another may take. */
		close_pipe(fds[1]);
		EXPECT_EQ(0, sbpipe_create(sb[sandboxes], O_CLOEXEC, size, 0,
					   extra));
		_exit(0);
	}
	status = wait_child(pid, SBPIPE_WAIT_MS);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(sandbox, creation_past_max_total_bytes_fails_with_enfile_even_for_root)
{
	unsigned long long in_use;
	struct footprint before;
	int fds[2], more[2];

	if (!has_capability(CAP_SYS_ADMIN))
		SKIP(return, "setting max_total_bytes needs root");
	ASSERT_EQ(0, sbpipe_counter_read("ring_bytes", &in_use));
	ASSERT_EQ(0, change_param(self, "max_total_bytes", in_use + 8192));

	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 8192, 0, fds));
	ASSERT_EQ(0, footprint_take(self->fd, &before));
	EXPECT_EQ(-1, sbpipe_create(self->fd, O_CLOEXEC, 1, 0, more));
	EXPECT_EQ(ENFILE, errno);
	expect_one_refusal(_metadata, self->fd, &before);
	close_pipe(fds);
}

/* sealing and flags */

TEST_F(sandbox, sealed_sandbox_refuses_every_limit_change_with_eperm)
{
	const struct sbpipe_limits *d = &self->defaults;
	struct sbpipe_limits limits;

	ASSERT_EQ(0, set_limits(self->fd, d->max_pipes, d->max_size,
				d->max_bytes, SBPIPE_SANDBOX_SEALED));
	ASSERT_EQ(0, get_limits(self->fd, &limits));
	EXPECT_EQ(SBPIPE_SANDBOX_SEALED, limits.flags);

	EXPECT_EQ(-1, set_limits(self->fd, d->max_pipes, d->max_size,
				 d->max_bytes, SBPIPE_SANDBOX_SEALED));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, set_limits(self->fd, 1, d->max_size, d->max_bytes,
				 SBPIPE_SANDBOX_SEALED));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, set_limits(self->fd, 1, d->max_size, d->max_bytes,
				 SBPIPE_SANDBOX_SEALED |
				 SBPIPE_SANDBOX_KILL_ON_CLOSE));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, get_limits(self->fd, &limits));
	EXPECT_EQ(d->max_pipes, limits.max_pipes);
}

TEST_F(sandbox, clearing_a_flag_fails_with_eperm)
{
	const struct sbpipe_limits *d = &self->defaults;
	struct sbpipe_limits limits;

	ASSERT_EQ(0, set_limits(self->fd, d->max_pipes, d->max_size,
				d->max_bytes, SBPIPE_SANDBOX_KILL_ON_CLOSE));
	EXPECT_EQ(-1, set_limits(self->fd, d->max_pipes, d->max_size,
				 d->max_bytes, 0));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, get_limits(self->fd, &limits));
	EXPECT_EQ(SBPIPE_SANDBOX_KILL_ON_CLOSE, limits.flags);
}

/* shutdown */

/*
 * The children of the shutdown test: each blocks on its own pipe and
 * exits 0 when the shutdown woke it the documented way.
 */
static int blocked_reader(int rfd)
{
	char buf[8];

	return read(rfd, buf, sizeof(buf)) == 0 ? 0 : 1;
}

static int blocked_writer(int wfd)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return 2;
	if (write(wfd, "x", 1) != -1 || errno != EPIPE)
		return 1;
	return !sigpending(&set) && sigismember(&set, SIGPIPE) ? 0 : 3;
}

static int blocked_epoll_waiter(int rfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev))
		return 2;
	if (epoll_wait(ep, &ev, 1, SBPIPE_WAIT_MS) != 1)
		return 1;
	return ev.events & EPOLLHUP ? 0 : 3;
}

TEST_F(sandbox, shutdown_wakes_blocked_readers_writers_and_epoll_waiters)
{
	int (*const waiters[])(int) = {
		blocked_reader, blocked_writer, blocked_epoll_waiter,
	};
	int fds[3][2], ends[3], i;
	pid_t pids[3];

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0,
					   fds[i]));
	ends[0] = fds[0][0];
	ends[1] = fds[1][1];
	ends[2] = fds[2][0];
	ASSERT_EQ(4096, fill_pipe(fds[1][1], 0));

	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(waiters[i](ends[i]));
	}
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(wait_until_sleeping(pids[i], true));

	ASSERT_EQ(0, ioctl(self->fd, SBPIPE_IOC_SHUTDOWN));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, wait_child(pids[i], SBPIPE_WAIT_MS));
}

TEST_F(sandbox, after_shutdown_reads_return_zero_dropping_queued_data)
{
	struct sbpipe_stats stats;
	char buf[8];
	int fds[2];

	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 0, 0, fds));
	ASSERT_EQ(5, write(fds[1], "hello", 5));
	ASSERT_EQ(0, ioctl(self->fd, SBPIPE_IOC_SHUTDOWN));

	EXPECT_EQ(0, read(fds[0], buf, sizeof(buf)));
	ASSERT_EQ(0, sbpipe_stats(self->fd, &stats));
	EXPECT_EQ(0ULL, stats.bytes_queued);
	EXPECT_EQ((__u32)SBPIPE_SANDBOX_SHUTDOWN, stats.flags);
	close_pipe(fds);
}

TEST_F(sandbox, after_shutdown_writes_fail_with_epipe_and_raise_sigpipe)
{
	sigset_t set;
	int fds[2];

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 0, 0, fds));
	ASSERT_EQ(0, ioctl(self->fd, SBPIPE_IOC_SHUTDOWN));

	EXPECT_EQ(-1, write(fds[1], "x", 1));
	EXPECT_EQ(EPIPE, errno);
	ASSERT_EQ(0, sigpending(&set));
	EXPECT_TRUE(sigismember(&set, SIGPIPE));
	close_pipe(fds);
}

TEST_F(sandbox, after_shutdown_poll_reports_hup_and_err)
{
	struct pollfd pfd[2];
	int fds[2];

	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 0, 0, fds));
	ASSERT_EQ(0, ioctl(self->fd, SBPIPE_IOC_SHUTDOWN));

	pfd[0] = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = fds[1], .events = POLLOUT };
	ASSERT_EQ(2, poll(pfd, 2, 0));
	EXPECT_EQ(POLLHUP, pfd[0].revents & (POLLHUP | POLLIN));
	EXPECT_EQ(POLLERR, pfd[1].revents & POLLERR);
	close_pipe(fds);
}

TEST_F(sandbox, after_shutdown_creation_and_resize_fail_with_enodev)
{
	struct sbpipe_info info;
	int fds[2], more[2];

	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, fds));
	ASSERT_EQ(0, ioctl(self->fd, SBPIPE_IOC_SHUTDOWN));

	EXPECT_EQ(-1, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, more));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, sbpipe_set_size(fds[0], 8192));
	EXPECT_EQ(ENODEV, errno);
	ASSERT_EQ(0, sbpipe_info(fds[0], &info));
	EXPECT_EQ(SBPIPE_INFO_SHUTDOWN, info.flags & SBPIPE_INFO_SHUTDOWN);
	close_pipe(fds);
}

TEST_F(sandbox, kill_on_close_shuts_the_pipes_down_with_the_last_sandbox_fd)
{
	const struct sbpipe_limits *d = &self->defaults;
	int fds[2], dupfd;
	char buf[8];

	ASSERT_EQ(0, block_sigpipe());
	ASSERT_EQ(0, set_limits(self->fd, d->max_pipes, d->max_size,
				d->max_bytes, SBPIPE_SANDBOX_KILL_ON_CLOSE));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 0, 0, fds));
	dupfd = dup(self->fd);
	ASSERT_LE(0, dupfd);

	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(1, write(fds[1], "x", 1));
	ASSERT_EQ(0, close(dupfd));
	EXPECT_EQ(-1, write(fds[1], "y", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, read(fds[0], buf, sizeof(buf)));
	close_pipe(fds);
}

TEST_F(sandbox, pipes_outlive_a_sandbox_fd_closed_without_kill_on_close)
{
	struct sbpipe_stats stats;
	struct sbpipe_info info;
	char buf[8];
	int fds[2];

	ASSERT_EQ(0, sbpipe_stats(self->fd, &stats));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 0, 0, fds));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	ASSERT_EQ(2, write(fds[1], "ok", 2));
	EXPECT_EQ(2, read(fds[0], buf, sizeof(buf)));
	ASSERT_EQ(0, sbpipe_info(fds[0], &info));
	EXPECT_EQ(stats.id, info.sandbox_id);
	EXPECT_EQ(0U, info.flags);
	close_pipe(fds);
}

/* statistics and fdinfo */

TEST_F(sandbox, stats_match_a_scripted_workload)
{
	const struct sbpipe_limits *d = &self->defaults;
	struct sbpipe_stats stats;
	struct sbpipe_info info;
	int a[2], b[2], c[2];
	char buf[300] = { 0 };
	unsigned int i;

	ASSERT_EQ(0, set_limits(self->fd, 2, d->max_size, d->max_bytes, 0));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, a));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 8192, 0, b));
	ASSERT_EQ(-1, sbpipe_create(self->fd, O_CLOEXEC, 4096, 0, c));
	ASSERT_EQ(EMFILE, errno);
	ASSERT_EQ(100, write(a[1], buf, 100));
	ASSERT_EQ(300, write(b[1], buf, 300));
	ASSERT_EQ(50, read(b[0], buf, 50));
	ASSERT_EQ(0, sbpipe_info(b[0], &info));
	close_pipe(a);

	ASSERT_EQ(0, sbpipe_stats(self->fd, &stats));
	EXPECT_EQ(info.sandbox_id, stats.id);
	EXPECT_EQ(1ULL, stats.pipes);
	EXPECT_EQ(2ULL, stats.pipes_created);
	EXPECT_EQ(8192ULL, stats.bytes_reserved);
	EXPECT_EQ(250ULL, stats.bytes_queued);
	EXPECT_EQ(400ULL, stats.bytes_written);
	EXPECT_EQ(50ULL, stats.bytes_read);
	EXPECT_EQ(0ULL, stats.waits);
	EXPECT_EQ(1ULL, stats.limit_hits);
	EXPECT_EQ(0U, stats.flags);
	EXPECT_EQ(0U, stats.__reserved);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0ULL, stats.__reserved2[i]);
	close_pipe(b);
}

TEST_F(sandbox, stats_count_one_wait_for_a_reader_that_slept_once)
{
	struct sbpipe_stats stats;
	char buf[8];
	int fds[2];
	struct blocked_io io = { .buf = buf, .len = sizeof(buf) };

	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 0, 0, fds));
	io.fd = fds[0];
	ASSERT_TRUE(blocked_io_start(&io));
	ASSERT_EQ(1, write(fds[1], "w", 1));
	ASSERT_TRUE(blocked_io_finish(&io));
	EXPECT_EQ(1, io.ret);

	ASSERT_EQ(0, sbpipe_stats(self->fd, &stats));
	EXPECT_EQ(1ULL, stats.waits);
	close_pipe(fds);
}

/* Checks that "@key:" of the fdinfo of @fd reads @want. */
static void expect_fdinfo(struct __test_metadata *_metadata, int fd,
			  const char *key, unsigned long long want)
{
	unsigned long long val;

	if (fdinfo_value(fd, key, &val)) {
		TH_LOG("fdinfo of fd %d has no \"%s:\" line", fd, key);
		_metadata->exit_code = KSFT_FAIL;
		return;
	}
	if (val != want) {
		TH_LOG("fdinfo %s: %llu, expected %llu", key, val, want);
		_metadata->exit_code = KSFT_FAIL;
	}
}

TEST_F(sandbox, fdinfo_of_a_pipe_end_matches_a_scripted_workload)
{
	struct sbpipe_stats stats;
	char buf[100] = { 0 };
	int fds[2], end;

	ASSERT_EQ(0, sbpipe_create(self->fd, O_CLOEXEC, 8192, 512, fds));
	ASSERT_EQ(100, write(fds[1], buf, 100));
	ASSERT_EQ(60, write(fds[1], buf, 60));
	ASSERT_EQ(30, read(fds[0], buf, 30));
	ASSERT_EQ(0, sbpipe_stats(self->fd, &stats));

	for (end = 0; end < 2; end++) {
		expect_fdinfo(_metadata, fds[end], "sandbox_id", stats.id);
		expect_fdinfo(_metadata, fds[end], "size", 8192);
		expect_fdinfo(_metadata, fds[end], "atomic_size", 512);
		expect_fdinfo(_metadata, fds[end], "queued", 130);
		expect_fdinfo(_metadata, fds[end], "readers", 1);
		expect_fdinfo(_metadata, fds[end], "writers", 1);
		expect_fdinfo(_metadata, fds[end], "bytes_written", 160);
		expect_fdinfo(_metadata, fds[end], "bytes_read", 30);
	}
	close_pipe(fds);
}

TEST_F(sandbox, module_counters_follow_a_pipe_and_its_sandbox)
{
	unsigned long long sandboxes, pipes, ring_bytes, val;
	int fds[2], other;

	ASSERT_EQ(0, sbpipe_counter_read("sandboxes", &sandboxes));
	ASSERT_EQ(0, sbpipe_counter_read("pipes", &pipes));
	ASSERT_EQ(0, sbpipe_counter_read("ring_bytes", &ring_bytes));

	other = sbpipe_open_sandbox();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, sbpipe_create(other, O_CLOEXEC, 12345, 0, fds));
	ASSERT_EQ(0, sbpipe_counter_read("sandboxes", &val));
	EXPECT_EQ(sandboxes + 1, val);
	ASSERT_EQ(0, sbpipe_counter_read("pipes", &val));
	EXPECT_EQ(pipes + 1, val);
	ASSERT_EQ(0, sbpipe_counter_read("ring_bytes", &val));
	EXPECT_EQ(ring_bytes + 12345, val);

	close_pipe(fds);
	close(other);
	ASSERT_EQ(0, sbpipe_counter_read("sandboxes", &val));
	EXPECT_EQ(sandboxes, val);
	ASSERT_EQ(0, sbpipe_counter_read("pipes", &val));
	EXPECT_EQ(pipes, val);
	ASSERT_EQ(0, sbpipe_counter_read("ring_bytes", &val));
	EXPECT_EQ(ring_bytes, val);
}

/*
 * A ring's memory is a page until more than a page is queued, then grows
 * as far as the pipe's size, and all of it goes with the pipe.
 */
TEST_F(sandbox, ring_memory_starts_at_a_page_and_grows_with_what_is_queued)
{
	const unsigned long long page = sysconf(_SC_PAGESIZE);
	static char buf[65536];
	unsigned long long base, val;
	int fds[2], i;

	ASSERT_EQ(0, sbpipe_counter_read("ring_bytes_allocated", &base));
	ASSERT_EQ(0, sbpipe_create(self->fd, O_NONBLOCK, sizeof(buf), 0, fds));
	ASSERT_EQ(0, sbpipe_counter_read("ring_bytes_allocated", &val));
	EXPECT_EQ(base, val);

	/* A reader that keeps up: one page, whatever the traffic. */
	ASSERT_EQ(1, write(fds[1], "x", 1));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(1000, write(fds[1], buf, 1000));
		ASSERT_EQ(1000, read(fds[0], buf, 1000));
	}
	ASSERT_EQ(0, sbpipe_counter_read("ring_bytes_allocated", &val));
	EXPECT_EQ(base + page, val);

	/* Filling the pipe takes all of its size, and no more. */
	ASSERT_EQ((ssize_t)sizeof(buf) - 1, write(fds[1], buf, sizeof(buf)));
	ASSERT_EQ(0, sbpipe_counter_read("ring_bytes_allocated", &val));
	EXPECT_EQ(base + sizeof(buf), val);

	close_pipe(fds);
	ASSERT_EQ(0, sbpipe_counter_read("ring_bytes_allocated", &val));
	EXPECT_EQ(base, val);
}

/* across fork and exec */

/*
 * Run in a program exec'd by the fork-and-exec test: creates a pipe in the
 * inherited sandbox @argv[2], moves 10 bytes through it, and writes 7 bytes
 * to the inherited write end @argv[3].
 */
static int exec_helper(char **argv)
{
	int sandbox = atoi(argv[2]), wfd = atoi(argv[3]);
	char buf[10] = { 0 };
	int fds[2];

	if (sbpipe_create(sandbox, O_CLOEXEC, 4096, 0, fds))
		return 1;
	if (write(fds[1], buf, 10) != 10 || read(fds[0], buf, 10) != 10)
		return 2;
	if (write(wfd, "through", 7) != 7)
		return 3;
	return 0;
}

TEST_F(sandbox, sandbox_passed_through_fork_and_exec_keeps_counting)
{
	struct sbpipe_stats before, after;
	char sbarg[16], wfdarg[16];
	int fds[2], status;
	char buf[8];
	pid_t pid;

	ASSERT_EQ(0, sbpipe_create(self->fd, 0, 0, 0, fds));
	ASSERT_EQ(0, sbpipe_stats(self->fd, &before));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int sb = fcntl(self->fd, F_DUPFD, 0);

		snprintf(sbarg, sizeof(sbarg), "%d", sb);
		snprintf(wfdarg, sizeof(wfdarg), "%d", fds[1]);
		execl("/proc/self/exe", "sandbox_test", EXEC_HELPER_ARG,
		      sbarg, wfdarg, (char *)NULL);
		_exit(127);
	}
	status = wait_child(pid, SBPIPE_WAIT_MS);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	ASSERT_EQ(0, sbpipe_stats(self->fd, &after));
	EXPECT_EQ(before.pipes, after.pipes);
	EXPECT_EQ(before.pipes_created + 1, after.pipes_created);
	EXPECT_EQ(before.bytes_written + 17, after.bytes_written);
	EXPECT_EQ(before.bytes_read + 10, after.bytes_read);
	EXPECT_EQ(7ULL, after.bytes_queued);
	EXPECT_EQ(7, read(fds[0], buf, sizeof(buf)));
	close_pipe(fds);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], EXEC_HELPER_ARG))
		return exec_helper(argv);
	return test_harness_run(argc, argv);
}
