// SPDX-License-Identifier: GPL-2.0
/*
 * libsbpipe: every call of the library, its errors, its default sandbox,
 * and the preload's fallback to native pipes when sbpipe is missing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sbpipe.h"

#include "kselftest_harness.h"

#define NO_DEVICE	"/nonexistent/sbpipe"

/*
 * Opens a sandbox, or returns -1 with a reason when the kernel cannot
 * create sbpipe pipes yet.
 */
static int open_sandbox_or_reason(const char **reason)
{
	int sandbox, fds[2];

	sandbox = sbpipe_open_sandbox(O_CLOEXEC);
	if (sandbox < 0) {
		*reason = "/dev/sbpipe is missing: sbpipe.ko not loaded";
		return -1;
	}
	if (sbpipe_create_pipe(sandbox, fds, 0, 0, 0)) {
		*reason = "this sbpipe.ko cannot create pipes";
		close(sandbox);
		return -1;
	}
	close(fds[0]);
	close(fds[1]);
	return sandbox;
}

/* The preload built beside the library, found from this test's path. */
static void *open_preload(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 64], *slash;
	ssize_t len;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return NULL;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, sizeof(path),
		 "%s/../userlib/build/libsbpipe-preload.so", exe);
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static int is_native_pipe(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISFIFO(st.st_mode);
}

/* Calls that fail before they reach the kernel. */

TEST(pipe2_rejects_unknown_flags_with_einval)
{
	int fds[2] = { -1, -1 };

	EXPECT_EQ(-1, sbpipe_pipe2(fds, O_APPEND));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sbpipe_pipe2(fds, O_EXCL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, fds[0]);
	EXPECT_EQ(-1, fds[1]);
}

TEST(open_sandbox_rejects_flags_other_than_cloexec_with_einval)
{
	EXPECT_EQ(-1, sbpipe_open_sandbox(O_NONBLOCK));
	EXPECT_EQ(EINVAL, errno);
}

TEST(pipe_ioctls_on_a_bad_fd_fail_with_ebadf)
{
	struct sbpipe_info info;
	char c;

	EXPECT_EQ(-1, sbpipe_get_size(-1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sbpipe_set_size(-1, 4096));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sbpipe_get_queued(-1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sbpipe_get_info(-1, &info));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sbpipe_peek(-1, &c, 1, 0));
	EXPECT_EQ(EBADF, errno);
}

TEST(pipe_ioctls_on_a_native_pipe_fail_with_enotty)
{
	struct sbpipe_info info;
	int fds[2];

	ASSERT_EQ(0, pipe(fds));
	EXPECT_EQ(-1, sbpipe_get_size(fds[0]));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, sbpipe_get_info(fds[1], &info));
	EXPECT_EQ(ENOTTY, errno);
	close(fds[0]);
	close(fds[1]);
}

TEST(sandbox_calls_on_a_bad_fd_fail_with_ebadf)
{
	struct sbpipe_limits limits = { };
	struct sbpipe_stats stats;
	int fds[2];

	EXPECT_EQ(-1, sbpipe_create_pipe(-1, fds, 0, 0, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sbpipe_get_limits(-1, &limits));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sbpipe_set_limits(-1, &limits));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sbpipe_get_stats(-1, &stats));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sbpipe_shutdown_sandbox(-1));
	EXPECT_EQ(EBADF, errno);
}

/* Without sbpipe: the device path is overridden to one that is missing. */

TEST(every_call_needing_a_sandbox_fails_with_enodev_without_the_device)
{
	struct sbpipe_limits limits;
	struct sbpipe_stats stats;
	int fds[2] = { -1, -1 };

	ASSERT_EQ(0, setenv("SBPIPE_DEVICE", NO_DEVICE, 1));
	ASSERT_EQ(0, unsetenv("SBPIPE_FD"));

	EXPECT_EQ(-1, sbpipe_open_sandbox(O_CLOEXEC));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, sbpipe_get_default_sandbox());
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, sbpipe_pipe(fds));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, sbpipe_pipe2(fds, O_CLOEXEC));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, sbpipe_create_pipe(SBPIPE_DEFAULT_SANDBOX, fds, 0,
					 8192, 0));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, sbpipe_get_limits(SBPIPE_DEFAULT_SANDBOX, &limits));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, sbpipe_get_stats(SBPIPE_DEFAULT_SANDBOX, &stats));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, sbpipe_shutdown_sandbox(SBPIPE_DEFAULT_SANDBOX));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, fds[0]);
	EXPECT_EQ(-1, fds[1]);
}

TEST(preload_falls_back_to_native_pipes_without_the_device)
{
	int (*preload_pipe2)(int pipefd[2], int flags);
	int fds[2];
	void *preload;

	ASSERT_EQ(0, setenv("SBPIPE_DEVICE", NO_DEVICE, 1));
	ASSERT_EQ(0, unsetenv("SBPIPE_STRICT"));
	preload = open_preload();
	if (!preload)
		SKIP(return, "libsbpipe-preload.so not built: %s", dlerror());
	preload_pipe2 = dlsym(preload, "pipe2");
	ASSERT_NE(NULL, preload_pipe2);

	ASSERT_EQ(0, preload_pipe2(fds, O_CLOEXEC | O_NONBLOCK));
	EXPECT_TRUE(is_native_pipe(fds[0]));
	EXPECT_TRUE(is_native_pipe(fds[1]));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fds[0], F_GETFD));
	EXPECT_EQ(O_NONBLOCK, fcntl(fds[1], F_GETFL) & O_NONBLOCK);
	close(fds[0]);
	close(fds[1]);
}

TEST(preload_fails_with_enodev_without_the_device_when_strict)
{
	int (*preload_pipe)(int pipefd[2]);
	int fds[2] = { -1, -1 };
	void *preload;

	ASSERT_EQ(0, setenv("SBPIPE_DEVICE", NO_DEVICE, 1));
	ASSERT_EQ(0, setenv("SBPIPE_STRICT", "1", 1));
	preload = open_preload();
	if (!preload)
		SKIP(return, "libsbpipe-preload.so not built: %s", dlerror());
	preload_pipe = dlsym(preload, "pipe");
	ASSERT_NE(NULL, preload_pipe);

	EXPECT_EQ(-1, preload_pipe(fds));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, fds[0]);
}

/* With sbpipe: a sandbox of the test's own, and one pipe in it. */

FIXTURE(lib) {
	int sandbox;	/* opened by sbpipe_open_sandbox() */
	int fds[2];	/* a pipe of default size in it */
};

FIXTURE_SETUP(lib)
{
	const char *reason = NULL;

	self->fds[0] = -1;
	self->fds[1] = -1;
	unsetenv("SBPIPE_DEVICE");
	unsetenv("SBPIPE_FD");
	self->sandbox = open_sandbox_or_reason(&reason);
	if (self->sandbox < 0)
		SKIP(return, "%s", reason);
	ASSERT_EQ(0, sbpipe_create_pipe(self->sandbox, self->fds, 0, 0, 0));
}

FIXTURE_TEARDOWN(lib)
{
	if (self->fds[0] >= 0)
		close(self->fds[0]);
	if (self->fds[1] >= 0)
		close(self->fds[1]);
	if (self->sandbox >= 0)
		close(self->sandbox);
}

TEST_F(lib, pipe_returns_a_read_end_and_a_write_end)
{
	char buf[4];
	int fds[2];

	ASSERT_EQ(0, sbpipe_pipe(fds));
	EXPECT_EQ(3, write(fds[1], "abc", 3));
	EXPECT_EQ(3, read(fds[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(-1, write(fds[0], "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(lib, pipe2_applies_cloexec_and_nonblock)
{
	char c;
	int fds[2];

	ASSERT_EQ(0, sbpipe_pipe2(fds, O_CLOEXEC | O_NONBLOCK));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-1, read(fds[0], &c, 1));
	EXPECT_EQ(EAGAIN, errno);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(lib, pipe2_with_o_direct_makes_a_packet_pipe)
{
	struct sbpipe_info info;
	int fds[2];

	ASSERT_EQ(0, sbpipe_pipe2(fds, O_DIRECT));
	ASSERT_EQ(0, sbpipe_get_info(fds[0], &info));
	EXPECT_EQ(SBPIPE_INFO_PACKET, info.flags & SBPIPE_INFO_PACKET);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(lib, pipe2_with_a_bad_pointer_fails_with_efault_and_leaks_nothing)
{
	struct sbpipe_stats before, after;
	int *bad;

	bad = mmap(NULL, getpagesize(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, sbpipe_get_stats(self->sandbox, &before));
	EXPECT_EQ(-1, sbpipe_create_pipe(self->sandbox, bad, 0, 0, 0));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, sbpipe_get_stats(self->sandbox, &after));
	EXPECT_EQ(before.pipes, after.pipes);
	munmap(bad, getpagesize());
}

TEST_F(lib, default_sandbox_is_opened_once_and_close_on_exec)
{
	int sandbox = sbpipe_get_default_sandbox();

	ASSERT_LE(0, sandbox);
	EXPECT_EQ(sandbox, sbpipe_get_default_sandbox());
	EXPECT_EQ(FD_CLOEXEC, fcntl(sandbox, F_GETFD) & FD_CLOEXEC);
	EXPECT_NE(self->sandbox, sandbox);
}

TEST_F(lib, default_sandbox_is_the_one_sbpipe_fd_names)
{
	struct sbpipe_stats stats;
	char fd[16];
	int fds[2];

	snprintf(fd, sizeof(fd), "%d", self->sandbox);
	ASSERT_EQ(0, setenv("SBPIPE_FD", fd, 1));
	EXPECT_EQ(self->sandbox, sbpipe_get_default_sandbox());

	ASSERT_EQ(0, sbpipe_pipe(fds));
	ASSERT_EQ(0, sbpipe_get_stats(self->sandbox, &stats));
	EXPECT_EQ(2U, stats.pipes);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(lib, default_sandbox_ignores_an_sbpipe_fd_that_is_no_sandbox)
{
	char fd[16];
	int sandbox;

	snprintf(fd, sizeof(fd), "%d", self->fds[0]);
	ASSERT_EQ(0, setenv("SBPIPE_FD", fd, 1));
	sandbox = sbpipe_get_default_sandbox();
	ASSERT_LE(0, sandbox);
	EXPECT_NE(self->fds[0], sandbox);
	EXPECT_NE(self->sandbox, sandbox);
}

TEST_F(lib, create_pipe_applies_size_and_atomic_size)
{
	struct sbpipe_info info;
	int fds[2];

	ASSERT_EQ(0, sbpipe_create_pipe(self->sandbox, fds, 0, 8192, 512));
	ASSERT_EQ(0, sbpipe_get_info(fds[1], &info));
	EXPECT_EQ(8192U, info.size);
	EXPECT_EQ(512U, info.atomic_size);
	EXPECT_EQ(8192, sbpipe_get_size(fds[0]));
	close(fds[0]);
	close(fds[1]);
}

TEST_F(lib, create_pipe_with_zero_sizes_takes_the_defaults)
{
	struct sbpipe_info info;

	ASSERT_EQ(0, sbpipe_get_info(self->fds[0], &info));
	EXPECT_EQ((__u32)SBPIPE_DEFAULT_SIZE, info.size);
	EXPECT_EQ((__u32)SBPIPE_DEFAULT_ATOMIC, info.atomic_size);
}

TEST_F(lib, set_size_resizes_exactly_and_returns_the_size)
{
	EXPECT_EQ(12345, sbpipe_set_size(self->fds[1], 12345));
	EXPECT_EQ(12345, sbpipe_get_size(self->fds[0]));
}

TEST_F(lib, set_size_below_the_queued_bytes_fails_with_ebusy)
{
	static const char buf[1000];

	ASSERT_EQ(1000, write(self->fds[1], buf, sizeof(buf)));
	EXPECT_EQ(-1, sbpipe_set_size(self->fds[1], 999));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(SBPIPE_DEFAULT_SIZE, sbpipe_get_size(self->fds[1]));
}

TEST_F(lib, get_queued_counts_written_unread_bytes)
{
	char buf[100] = { };

	EXPECT_EQ(0, sbpipe_get_queued(self->fds[0]));
	ASSERT_EQ(100, write(self->fds[1], buf, 100));
	EXPECT_EQ(100, sbpipe_get_queued(self->fds[0]));
	EXPECT_EQ(100, sbpipe_get_queued(self->fds[1]));
	ASSERT_EQ(40, read(self->fds[0], buf, 40));
	EXPECT_EQ(60, sbpipe_get_queued(self->fds[0]));
}

TEST_F(lib, get_info_reports_ends_traffic_and_sandbox)
{
	struct sbpipe_stats stats;
	struct sbpipe_info info;
	char buf[10];

	ASSERT_EQ(5, write(self->fds[1], "hello", 5));
	ASSERT_EQ(2, read(self->fds[0], buf, 2));
	ASSERT_EQ(0, sbpipe_get_info(self->fds[0], &info));
	ASSERT_EQ(0, sbpipe_get_stats(self->sandbox, &stats));
	EXPECT_EQ(1U, info.readers);
	EXPECT_EQ(1U, info.writers);
	EXPECT_EQ(3U, info.queued);
	EXPECT_EQ(5U, info.bytes_written);
	EXPECT_EQ(2U, info.bytes_read);
	EXPECT_EQ(1U, info.writes);
	EXPECT_EQ(1U, info.reads);
	EXPECT_EQ(stats.id, info.sandbox_id);
}

TEST_F(lib, peek_copies_without_consuming)
{
	char buf[8] = { };

	ASSERT_EQ(6, write(self->fds[1], "abcdef", 6));
	EXPECT_EQ(3, sbpipe_peek(self->fds[0], buf, 3, 2));
	EXPECT_EQ(0, memcmp(buf, "cde", 3));
	EXPECT_EQ(6, sbpipe_get_queued(self->fds[0]));
	EXPECT_EQ(0, sbpipe_peek(self->fds[0], buf, sizeof(buf), 6));
	EXPECT_EQ(6, read(self->fds[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
}

TEST_F(lib, peek_on_a_write_end_fails_with_ebadf)
{
	char c;

	EXPECT_EQ(-1, sbpipe_peek(self->fds[1], &c, 1, 0));
	EXPECT_EQ(EBADF, errno);
}

TEST_F(lib, each_open_sandbox_is_a_new_sandbox)
{
	struct sbpipe_stats a, b;
	int other;

	other = sbpipe_open_sandbox(0);
	ASSERT_LE(0, other);
	EXPECT_EQ(0, fcntl(other, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, sbpipe_get_stats(self->sandbox, &a));
	ASSERT_EQ(0, sbpipe_get_stats(other, &b));
	EXPECT_NE(a.id, b.id);
	EXPECT_EQ(0U, b.pipes);
	close(other);
}

TEST_F(lib, set_limits_lowers_what_get_limits_reads)
{
	struct sbpipe_limits limits;

	ASSERT_EQ(0, sbpipe_get_limits(self->sandbox, &limits));
	limits.max_pipes = 5;
	limits.max_size = 16384;
	ASSERT_EQ(0, sbpipe_set_limits(self->sandbox, &limits));
	memset(&limits, 0, sizeof(limits));
	ASSERT_EQ(0, sbpipe_get_limits(self->sandbox, &limits));
	EXPECT_EQ(5U, limits.max_pipes);
	EXPECT_EQ(16384U, limits.max_size);
}

TEST_F(lib, set_limits_with_reserved_bits_fails_with_einval)
{
	struct sbpipe_limits limits;

	ASSERT_EQ(0, sbpipe_get_limits(self->sandbox, &limits));
	limits.__reserved[0] = 1;
	EXPECT_EQ(-1, sbpipe_set_limits(self->sandbox, &limits));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(lib, create_pipe_past_max_size_fails_with_eperm)
{
	struct sbpipe_limits limits;
	int fds[2] = { -1, -1 };

	ASSERT_EQ(0, sbpipe_get_limits(self->sandbox, &limits));
	limits.max_size = 8192;
	ASSERT_EQ(0, sbpipe_set_limits(self->sandbox, &limits));
	EXPECT_EQ(-1, sbpipe_create_pipe(self->sandbox, fds, 0, 8193, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, fds[0]);
}

TEST_F(lib, get_stats_counts_pipes_and_bytes)
{
	struct sbpipe_stats stats;
	char buf[7];

	ASSERT_EQ(7, write(self->fds[1], "1234567", 7));
	ASSERT_EQ(7, read(self->fds[0], buf, 7));
	ASSERT_EQ(0, sbpipe_get_stats(self->sandbox, &stats));
	/* open_sandbox_or_reason() made and closed one pipe first. */
	EXPECT_EQ(1U, stats.pipes);
	EXPECT_EQ(2U, stats.pipes_created);
	EXPECT_EQ((__u64)SBPIPE_DEFAULT_SIZE, stats.bytes_reserved);
	EXPECT_EQ(7U, stats.bytes_written);
	EXPECT_EQ(7U, stats.bytes_read);
	EXPECT_EQ(0U, stats.bytes_queued);
}

TEST_F(lib, shutdown_sandbox_ends_its_pipes)
{
	struct sbpipe_stats stats;
	char buf[4];
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(3, write(self->fds[1], "abc", 3));
	ASSERT_EQ(0, sbpipe_shutdown_sandbox(self->sandbox));

	EXPECT_EQ(0, read(self->fds[0], buf, sizeof(buf)));
	EXPECT_EQ(-1, write(self->fds[1], "x", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(-1, sbpipe_set_size(self->fds[1], 8192));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, sbpipe_create_pipe(self->sandbox, fds, 0, 0, 0));
	EXPECT_EQ(ENODEV, errno);
	ASSERT_EQ(0, sbpipe_get_stats(self->sandbox, &stats));
	EXPECT_EQ(SBPIPE_SANDBOX_SHUTDOWN,
		  stats.flags & SBPIPE_SANDBOX_SHUTDOWN);
}

TEST_F(lib, preload_pipe_creates_sbpipe_pipes_in_the_default_sandbox)
{
	int (*preload_pipe)(int pipefd[2]);
	struct sbpipe_info info;
	struct sbpipe_stats stats;
	void *preload;
	char fd[16];
	int fds[2];

	snprintf(fd, sizeof(fd), "%d", self->sandbox);
	ASSERT_EQ(0, setenv("SBPIPE_FD", fd, 1));
	preload = open_preload();
	if (!preload)
		SKIP(return, "libsbpipe-preload.so not built: %s", dlerror());
	preload_pipe = dlsym(preload, "pipe");
	ASSERT_NE(NULL, preload_pipe);

	ASSERT_EQ(0, preload_pipe(fds));
	ASSERT_EQ(0, sbpipe_get_info(fds[0], &info));
	ASSERT_EQ(0, sbpipe_get_stats(self->sandbox, &stats));
	EXPECT_EQ(stats.id, info.sandbox_id);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(lib, preload_fcntl_resizes_with_the_kernels_rounding_and_errors)
{
	int (*preload_fcntl)(int fd, int cmd, ...);
	struct sbpipe_limits limits;
	static const char buf[8192];
	void *preload;

	preload = open_preload();
	if (!preload)
		SKIP(return, "libsbpipe-preload.so not built: %s", dlerror());
	preload_fcntl = dlsym(preload, "fcntl");
	ASSERT_NE(NULL, preload_fcntl);

	EXPECT_EQ(131072, preload_fcntl(self->fds[1], F_SETPIPE_SZ, 100000));
	EXPECT_EQ(131072, preload_fcntl(self->fds[0], F_GETPIPE_SZ));
	EXPECT_EQ(4096, preload_fcntl(self->fds[1], F_SETPIPE_SZ, 0));
	EXPECT_EQ(-1, preload_fcntl(self->fds[1], F_SETPIPE_SZ,
				    (1UL << 31) + 1));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(65536, preload_fcntl(self->fds[1], F_SETPIPE_SZ, 65536));
	ASSERT_EQ(8192, write(self->fds[1], buf, sizeof(buf)));
	EXPECT_EQ(-1, preload_fcntl(self->fds[1], F_SETPIPE_SZ, 4096));
	EXPECT_EQ(EBUSY, errno);

	ASSERT_EQ(0, sbpipe_get_limits(self->sandbox, &limits));
	limits.max_size = 65536;
	ASSERT_EQ(0, sbpipe_set_limits(self->sandbox, &limits));
	EXPECT_EQ(-1, preload_fcntl(self->fds[1], F_SETPIPE_SZ, 65537));
	EXPECT_EQ(EPERM, errno);
}

TEST_F(lib, preload_splice_and_tee_move_what_a_native_pipe_would)
{
	ssize_t (*preload_splice)(int fd_in, loff_t *off_in, int fd_out,
				  loff_t *off_out, size_t len,
				  unsigned int flags);
	ssize_t (*preload_tee)(int fd_in, int fd_out, size_t len,
			       unsigned int flags);
	int file, null, other[2];
	loff_t offset = 6;
	char buf[16] = { };
	void *preload;

	preload = open_preload();
	if (!preload)
		SKIP(return, "libsbpipe-preload.so not built: %s", dlerror());
	preload_splice = dlsym(preload, "splice");
	preload_tee = dlsym(preload, "tee");
	ASSERT_NE(NULL, preload_splice);
	ASSERT_NE(NULL, preload_tee);
	file = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	ASSERT_LE(0, file);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, null);
	ASSERT_EQ(11, write(file, "hello world", 11));
	ASSERT_EQ(0, sbpipe_create_pipe(self->sandbox, other, 0, 0, 0));

	/* From a file at an offset into an sbpipe, then to another one. */
	EXPECT_EQ(5, preload_splice(file, &offset, self->fds[1], NULL, 100, 0));
	EXPECT_EQ(11, offset);
	EXPECT_EQ(5, preload_tee(self->fds[0], other[1], 100, 0));
	EXPECT_EQ(5, sbpipe_get_queued(self->fds[0]));
	EXPECT_EQ(5, read(other[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "world", 5));

	/* Out to /dev/null, honouring len, then nothing left to move. */
	EXPECT_EQ(2, preload_splice(self->fds[0], NULL, null, NULL, 2, 0));
	EXPECT_EQ(3, preload_splice(self->fds[0], NULL, null, NULL, 100, 0));
	EXPECT_EQ(-1, preload_splice(self->fds[0], NULL, null, NULL, 100,
				     SPLICE_F_NONBLOCK));
	EXPECT_EQ(EAGAIN, errno);

	/* What a native splice refuses. */
	EXPECT_EQ(-1, preload_splice(self->fds[0], &offset, null, NULL, 1, 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, preload_splice(self->fds[0], NULL, self->fds[1], NULL,
				     1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, preload_tee(self->fds[0], null, 1, 0));
	EXPECT_EQ(EINVAL, errno);

	close(other[0]);
	close(other[1]);
	close(null);
	close(file);
}

TEST_HARNESS_MAIN
