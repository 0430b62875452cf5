// SPDX-License-Identifier: GPL-2.0
/*
 * The semantics of sbpipe pipes. Every test of the "pipe" fixture runs on a
 * native pipe2() pipe and on an sbpipe pipe, so that the native run shows
 * what the kernel's own pipes do and the sbpipe run that sbpipe does the
 * same, errno for errno. The "sbpipe" fixture covers what only sbpipe has:
 * its creation ioctl, its pipe ioctls and its fdinfo.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/uio.h>
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
#define PIPE_TEST_DEADLINE	10

#define MIB			(1024 * 1024)

/* Every poll bit a test asks for; POLLERR and POLLHUP always come. */
#define POLL_ALL	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | \
			 POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLRDHUP)

/* Writes @len bytes of the pattern from offset @off in one write(). */
static ssize_t write_pattern(int wfd, size_t off, size_t len)
{
	unsigned char *buf = malloc(len);
	ssize_t ret;

	if (!buf)
		return -1;
	pattern_fill(buf, off, len);
	ret = write(wfd, buf, len);
	free(buf);
	return ret;
}

/*
 * Reads @len bytes from @rfd and checks that they carry the pattern from
 * stream offset @off on. Returns false on a short stream or a mismatch.
 */
static bool drain_pattern(int rfd, size_t off, size_t len)
{
	unsigned char buf[4096];
	size_t done = 0;

	while (done < len) {
		size_t want = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t ret = read(rfd, buf, want);

		if (ret <= 0 || !pattern_matches(buf, off + done, ret))
			return false;
		done += ret;
	}
	return true;
}

static int queued_bytes(int fd)
{
	int queued = -1;

	if (ioctl(fd, FIONREAD, &queued))
		return -1;
	return queued;
}

/* The poll bits @fd reports right now for the events in @events. */
static short poll_now(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

/* The events of the first ready item of @ep, 0 when none is ready. */
static int epoll_now(int ep)
{
	struct epoll_event ev;
	int ret = epoll_wait(ep, &ev, 1, 0);

	return ret <= 0 ? ret : (int)ev.events;
}

/* An epoll instance watching @fd for @events; -1 on error. */
static int epoll_watch(int fd, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(ep);
		return -1;
	}
	return ep;
}

/* SIGUSR1s handled; the handler runs in the thread it interrupts. */
static int signals_caught;

static void count_signal(int sig)
{
	__atomic_fetch_add(&signals_caught, 1, __ATOMIC_RELAXED);
}

/* Catches SIGUSR1, restarting interrupted calls if @restart. */
static int catch_sigusr1(bool restart)
{
	struct sigaction sa = {
		.sa_handler = count_signal,
		.sa_flags = restart ? SA_RESTART : 0,
	};

	signals_caught = 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

/*
 * Makes @fd signal this process with @sig, queued with its siginfo, on
 * every I/O event, and blocks @sig so that the test collects the signals
 * with sigtimedwait().
 */
static int async_notify(int fd, int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigprocmask(SIG_BLOCK, &set, NULL) ||
	    fcntl(fd, F_SETOWN, getpid()) || fcntl(fd, F_SETSIG, sig))
		return -1;
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}

/* Takes one pending @sig into @info, waiting up to @ms; -1 if none. */
static int take_signal(int sig, siginfo_t *info, unsigned int ms)
{
	struct timespec timeout = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, info, &timeout) == sig ? 0 : -1;
}

static bool sigpipe_pending(void)
{
	sigset_t set;

	return !sigpending(&set) && sigismember(&set, SIGPIPE);
}

FIXTURE(pipe) {
	int sandbox;		/* the sandbox of the sbpipe variant, or -1 */
	int rfd;		/* the read end of the pipe under test */
	int wfd;		/* its write end */
	ssize_t size;		/* the bytes it holds when full */
	ssize_t atomic;		/* the largest write that is all or nothing */
};

FIXTURE_VARIANT(pipe) {
	bool sbpipe;		/* created through /dev/sbpipe, not pipe2() */
};

FIXTURE_VARIANT_ADD(pipe, native) {
	.sbpipe = false,
};

FIXTURE_VARIANT_ADD(pipe, sbpipe) {
	.sbpipe = true,
};

/*
 * Creates a pipe of the variant's kind with pipe2() @flags and a ring of
 * @size bytes, or the default size for 0. Returns 0 with the ends in @fds,
 * or -1 with errno set.
 */
static int variant_pipe(FIXTURE_DATA(pipe) *self,
			const FIXTURE_VARIANT(pipe) *variant, int flags,
			unsigned int size, int fds[2])
{
	if (variant->sbpipe)
		return sbpipe_create(self->sandbox, flags, size, 0, fds);

	if (pipe2(fds, flags))
		return -1;
	if (size && fcntl(fds[1], F_SETPIPE_SZ, size) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

/* Replaces the pipe under test with one made by variant_pipe(). */
static int pipe_recreate(FIXTURE_DATA(pipe) *self,
			 const FIXTURE_VARIANT(pipe) *variant, int flags,
			 unsigned int size)
{
	struct sbpipe_info info;
	int fds[2];

	if (variant_pipe(self, variant, flags, size, fds))
		return -1;
	if (self->rfd >= 0)
		close(self->rfd);
	if (self->wfd >= 0)
		close(self->wfd);
	self->rfd = fds[0];
	self->wfd = fds[1];

	if (!variant->sbpipe) {
		self->size = fcntl(self->wfd, F_GETPIPE_SZ);
		self->atomic = PIPE_BUF;
		return 0;
	}
	if (sbpipe_info(self->rfd, &info))
		return -1;
	self->size = info.size;
	self->atomic = info.atomic_size;
	return 0;
}

/* F_SETPIPE_SZ or SBPIPE_IOC_SET_SIZE on end @fd; -1 with errno. */
static int variant_resize(const FIXTURE_VARIANT(pipe) *variant, int fd,
			  unsigned int size)
{
	if (variant->sbpipe)
		return sbpipe_set_size(fd, size);
	return fcntl(fd, F_SETPIPE_SZ, size) < 0 ? -1 : 0;
}

FIXTURE_SETUP(pipe)
{
	self->sandbox = -1;
	self->rfd = -1;
	self->wfd = -1;
	if (variant->sbpipe) {
		self->sandbox = sbpipe_open_sandbox();
		if (self->sandbox < 0 && sbpipe_missing(errno))
			SKIP(return, "/dev/sbpipe is missing: sbpipe.ko not loaded");
		ASSERT_LE(0, self->sandbox);
	}
	ASSERT_EQ(0, pipe_recreate(self, variant, 0, 0));
	alarm(PIPE_TEST_DEADLINE);
}

FIXTURE_TEARDOWN(pipe)
{
	if (self->rfd >= 0)
		close(self->rfd);
	if (self->wfd >= 0)
		close(self->wfd);
	if (self->sandbox >= 0)
		close(self->sandbox);
}

/* reads */

TEST_F(pipe, read_returns_what_is_queued_when_asked_for_more)
{
	char buf[100];

	ASSERT_EQ(5, write(self->wfd, "hello", 5));
	ASSERT_EQ(5, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

TEST_F(pipe, read_of_an_empty_nonblocking_pipe_fails_with_eagain)
{
	char buf[8];

	ASSERT_EQ(0, pipe_recreate(self, variant, O_NONBLOCK, 0));
	EXPECT_EQ(-1, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(pipe, read_returns_zero_once_the_writers_are_gone_and_data_drained)
{
	char buf[100];

	ASSERT_EQ(5, write(self->wfd, "hello", 5));
	ASSERT_EQ(0, close(self->wfd));
	self->wfd = -1;

	EXPECT_EQ(5, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, read(self->rfd, buf, sizeof(buf)));
}

TEST_F(pipe, zero_length_read_returns_zero_without_blocking)
{
	char buf[8];

	EXPECT_EQ(0, read(self->rfd, buf, 0));
	ASSERT_EQ(3, write(self->wfd, "abc", 3));
	EXPECT_EQ(0, read(self->rfd, buf, 0));
	EXPECT_EQ(3, queued_bytes(self->rfd));
}

TEST_F(pipe, writev_and_readv_move_every_segment_in_order)
{
	struct iovec out[3] = {
		{ .iov_base = "ab", .iov_len = 2 },
		{ .iov_base = "cde", .iov_len = 3 },
		{ .iov_base = "f", .iov_len = 1 },
	};
	char first[3], second[3];
	struct iovec in[2] = {
		{ .iov_base = first, .iov_len = sizeof(first) },
		{ .iov_base = second, .iov_len = sizeof(second) },
	};

	ASSERT_EQ(6, writev(self->wfd, out, 3));
	ASSERT_EQ(6, readv(self->rfd, in, 2));
	EXPECT_EQ(0, memcmp(first, "abc", 3));
	EXPECT_EQ(0, memcmp(second, "def", 3));
}

/* packet mode */

TEST_F(pipe, packet_read_returns_one_packet_per_call)
{
	char buf[100];

	ASSERT_EQ(0, pipe_recreate(self, variant, O_DIRECT, 0));
	ASSERT_EQ(3, write(self->wfd, "one", 3));
	ASSERT_EQ(5, write(self->wfd, "three", 5));

	ASSERT_EQ(3, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "one", 3));
	ASSERT_EQ(5, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "three", 5));
}

TEST_F(pipe, packet_read_discards_what_does_not_fit)
{
	char buf[100];

	ASSERT_EQ(0, pipe_recreate(self, variant, O_DIRECT, 0));
	ASSERT_EQ(6, write(self->wfd, "abcdef", 6));
	ASSERT_EQ(2, write(self->wfd, "gh", 2));

	ASSERT_EQ(2, read(self->rfd, buf, 2));
	EXPECT_EQ(0, memcmp(buf, "ab", 2));
	EXPECT_EQ(2, queued_bytes(self->rfd));
	ASSERT_EQ(2, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "gh", 2));
}

TEST_F(pipe, packet_write_larger_than_the_atomic_size_is_split)
{
	ssize_t len = self->atomic + 10;
	unsigned char *buf = malloc(2 * len);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe_recreate(self, variant, O_DIRECT, 0));
	ASSERT_EQ(len, write_pattern(self->wfd, 0, len));

	ASSERT_EQ(self->atomic, read(self->rfd, buf, 2 * len));
	EXPECT_TRUE(pattern_matches(buf, 0, self->atomic));
	ASSERT_EQ(10, read(self->rfd, buf, 2 * len));
	EXPECT_TRUE(pattern_matches(buf, self->atomic, 10));
	free(buf);
}

/* writes */

TEST_F(pipe, atomic_write_that_does_not_fit_fails_with_eagain)
{
	ssize_t room = 100, queued = self->size - room;

	ASSERT_EQ(0, pipe_recreate(self, variant, O_NONBLOCK, 0));
	ASSERT_EQ(queued, write_pattern(self->wfd, 0, queued));

	EXPECT_EQ(-1, write_pattern(self->wfd, queued, room + 1));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(queued, queued_bytes(self->rfd));
	EXPECT_EQ(room, write_pattern(self->wfd, queued, room));
	EXPECT_TRUE(drain_pattern(self->rfd, 0, self->size));
}

TEST_F(pipe, records_of_the_atomic_size_from_many_writers_never_interleave)
{
	const unsigned int writers = 4, records = 64;
	size_t rec = self->atomic, total = writers * records * rec;
	unsigned int next_seq[4] = { 0 };
	unsigned char *stream = malloc(total + 1);
	size_t got = 0, off, i;
	unsigned int w, r;
	ssize_t ret;

	ASSERT_NE(NULL, stream);
	for (w = 0; w < writers; w++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid)
			continue;

		/* A record: writer and sequence number, then the writer's tag. */
		close(self->rfd);
		for (r = 0; r < records; r++) {
			memset(stream, 'A' + w, rec);
			memcpy(stream, &w, sizeof(w));
			memcpy(stream + sizeof(w), &r, sizeof(r));
			if (write(self->wfd, stream, rec) != (ssize_t)rec)
				_exit(1);
		}
		_exit(0);
	}
	close(self->wfd);
	self->wfd = -1;

	while ((ret = read(self->rfd, stream + got, total + 1 - got)) > 0)
		got += ret;
	ASSERT_EQ(0, ret);
	ASSERT_EQ(total, got);
	for (off = 0; off < total; off += rec) {
		memcpy(&w, stream + off, sizeof(w));
		memcpy(&r, stream + off + sizeof(w), sizeof(r));
		ASSERT_GT(writers, w);
		ASSERT_EQ(next_seq[w], r);
		next_seq[w]++;
		for (i = 2 * sizeof(w); i < rec; i++)
			ASSERT_EQ('A' + w, stream[off + i]);
	}
	for (w = 0; w < writers; w++) {
		int status;

		ASSERT_LE(0, wait(&status));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	free(stream);
}

/*
 * Blocked writers sleep in turn, each woken by the one before: reading the
 * pipe empty must still see every one of them through.
 */
TEST_F(pipe, reads_that_make_room_let_every_blocked_writer_through)
{
	struct blocked_io io[3];
	size_t got = 0, want = self->size + ARRAY_SIZE(io);
	unsigned char *buf = malloc(want);
	unsigned int i;
	ssize_t ret;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(self->size, fill_pipe(self->wfd, 0));
	for (i = 0; i < ARRAY_SIZE(io); i++) {
		io[i] = (struct blocked_io){
			.fd = self->wfd, .write = true, .buf = "x", .len = 1,
		};
		ASSERT_TRUE(blocked_io_start(&io[i]));
	}

	while (got < want && (ret = read(self->rfd, buf + got, want - got)) > 0)
		got += ret;
	ASSERT_EQ(want, got);
	EXPECT_TRUE(pattern_matches(buf, 0, self->size));
	for (i = 0; i < ARRAY_SIZE(io); i++) {
		EXPECT_EQ('x', buf[self->size + i]);
		ASSERT_TRUE(blocked_io_finish(&io[i]));
		EXPECT_EQ(1, io[i].ret);
	}
	free(buf);
}

TEST_F(pipe, blocking_write_larger_than_the_pipe_completes_in_full)
{
	size_t len = 4 * self->size;
	unsigned char *buf = malloc(len);
	int status;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	pattern_fill(buf, 0, len);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(self->rfd);
		_exit(write(self->wfd, buf, len) == (ssize_t)len ? 0 : 1);
	}
	close(self->wfd);
	self->wfd = -1;

	EXPECT_TRUE(drain_pattern(self->rfd, 0, len));
	EXPECT_EQ(0, read(self->rfd, buf, 1));
	status = wait_child(pid, SBPIPE_WAIT_MS);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	free(buf);
}

TEST_F(pipe, nonblocking_write_larger_than_the_room_is_partial)
{
	ssize_t len = self->size + self->atomic;

	ASSERT_EQ(0, pipe_recreate(self, variant, O_NONBLOCK, 0));
	EXPECT_EQ(self->size, write_pattern(self->wfd, 0, len));
	EXPECT_TRUE(drain_pattern(self->rfd, 0, self->size));
}

TEST_F(pipe, nonblocking_write_to_a_full_pipe_fails_with_eagain)
{
	char buf[4096] = { 0 };

	ASSERT_EQ(self->size, fill_pipe(self->wfd, 0));
	ASSERT_EQ(0, set_nonblocking(self->wfd, true));
	EXPECT_EQ(-1, write(self->wfd, buf, 1));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, write(self->wfd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(pipe, write_without_a_reader_fails_with_epipe_and_raises_sigpipe)
{
	ASSERT_EQ(0, block_sigpipe());
	ASSERT_EQ(0, close(self->rfd));
	self->rfd = -1;

	EXPECT_EQ(-1, write(self->wfd, "x", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_TRUE(sigpipe_pending());
}

TEST_F(pipe, zero_length_write_returns_zero)
{
	EXPECT_EQ(0, write(self->wfd, "x", 0));
	EXPECT_EQ(0, queued_bytes(self->rfd));
}

TEST_F(pipe, zero_length_write_without_a_reader_returns_zero)
{
	ASSERT_EQ(0, block_sigpipe());
	ASSERT_EQ(0, close(self->rfd));
	self->rfd = -1;

	EXPECT_EQ(0, write(self->wfd, "x", 0));
	EXPECT_FALSE(sigpipe_pending());
}

/* A page that no access may touch, for EFAULT tests; MAP_FAILED on error. */
static void *inaccessible_page(void)
{
	return mmap(NULL, sysconf(_SC_PAGESIZE), PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

TEST_F(pipe, read_into_a_bad_buffer_fails_with_efault_keeping_the_data)
{
	void *bad = inaccessible_page();
	char buf[8];

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(5, write(self->wfd, "hello", 5));
	EXPECT_EQ(-1, read(self->rfd, bad, 5));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(5, queued_bytes(self->rfd));
	EXPECT_EQ(5, read(self->rfd, buf, sizeof(buf)));
}

TEST_F(pipe, write_from_a_bad_buffer_fails_with_efault_queueing_nothing)
{
	void *bad = inaccessible_page();

	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-1, write(self->wfd, bad, 5));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, queued_bytes(self->rfd));
}

/* the wrong end, and offsets */

TEST_F(pipe, read_from_the_write_end_fails_with_ebadf)
{
	char buf[8];

	ASSERT_EQ(1, write(self->wfd, "x", 1));
	EXPECT_EQ(-1, read(self->wfd, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
}

TEST_F(pipe, write_to_the_read_end_fails_with_ebadf)
{
	EXPECT_EQ(-1, write(self->rfd, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, queued_bytes(self->rfd));
}

TEST_F(pipe, lseek_on_either_end_fails_with_espipe)
{
	EXPECT_EQ(-1, lseek(self->rfd, 0, SEEK_CUR));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, lseek(self->wfd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_F(pipe, pread_and_pwrite_fail_with_espipe)
{
	char buf[8];

	ASSERT_EQ(1, write(self->wfd, "x", 1));
	EXPECT_EQ(-1, pread(self->rfd, buf, sizeof(buf), 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, pwrite(self->wfd, "y", 1, 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(1, queued_bytes(self->rfd));
}

/* fstat and /proc */

TEST_F(pipe, both_ends_are_fifos_sharing_one_inode)
{
	struct stat rst, wst, other;
	int fds[2];

	ASSERT_EQ(0, fstat(self->rfd, &rst));
	ASSERT_EQ(0, fstat(self->wfd, &wst));
	EXPECT_TRUE(S_ISFIFO(rst.st_mode));
	EXPECT_TRUE(S_ISFIFO(wst.st_mode));
	EXPECT_EQ(rst.st_ino, wst.st_ino);
	EXPECT_EQ(rst.st_dev, wst.st_dev);

	ASSERT_EQ(0, variant_pipe(self, variant, O_CLOEXEC, 0, fds));
	ASSERT_EQ(0, fstat(fds[0], &other));
	EXPECT_NE(rst.st_ino, other.st_ino);
	close(fds[0]);
	close(fds[1]);
}

/* Opens end @fd again through /proc/self/fd; the new fd or -1. */
static int reopen_through_proc(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags | O_CLOEXEC);
}

/*
 * Closes the pipe's original write end and checks that @writer, another
 * open of it, alone keeps the pipe open until it is closed too.
 */
static void expect_writer_keeps_pipe_open(struct __test_metadata *_metadata,
					  FIXTURE_DATA(pipe) *self, int writer)
{
	char buf[8];

	ASSERT_LE(0, writer);
	ASSERT_EQ(0, close(self->wfd));
	self->wfd = -1;
	ASSERT_EQ(0, set_nonblocking(self->rfd, true));

	EXPECT_EQ(-1, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, write(writer, "x", 1));
	EXPECT_EQ(1, read(self->rfd, buf, sizeof(buf)));
	ASSERT_EQ(0, close(writer));
	EXPECT_EQ(0, read(self->rfd, buf, sizeof(buf)));
}

TEST_F(pipe, both_ends_belong_to_the_creator_with_mode_0600)
{
	struct stat st;
	int end;

	for (end = 0; end < 2; end++) {
		ASSERT_EQ(0, fstat(end ? self->wfd : self->rfd, &st));
		EXPECT_EQ((mode_t)(S_IFIFO | 0600), st.st_mode);
		EXPECT_EQ(geteuid(), st.st_uid);
		EXPECT_EQ(getegid(), st.st_gid);
		EXPECT_EQ((nlink_t)1, st.st_nlink);
		EXPECT_EQ(0, st.st_size);
	}
}

TEST_F(pipe, read_end_reopened_through_proc_reads_from_the_pipe)
{
	int fd = reopen_through_proc(self->rfd, O_RDONLY);
	char buf[8];

	ASSERT_LE(0, fd);
	ASSERT_EQ(3, write(self->wfd, "abc", 3));
	EXPECT_EQ(3, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	close(fd);
}

TEST_F(pipe, write_end_reopened_through_proc_keeps_the_pipe_open)
{
	expect_writer_keeps_pipe_open(_metadata, self,
				      reopen_through_proc(self->wfd, O_WRONLY));
}

TEST_F(pipe, read_end_reopened_read_write_counts_as_a_writer_too)
{
	expect_writer_keeps_pipe_open(_metadata, self,
				      reopen_through_proc(self->rfd, O_RDWR));
}

/*
 * Unlike a FIFO's, a pipe's open waits for no partner and never fails with
 * ENXIO: the reopened end just sees the other end gone.
 */
TEST_F(pipe, write_end_reopened_without_a_reader_opens_at_once_and_gets_epipe)
{
	int fd;

	ASSERT_EQ(0, block_sigpipe());
	ASSERT_EQ(0, close(self->rfd));
	self->rfd = -1;

	fd = reopen_through_proc(self->wfd, O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EPIPE, errno);
	close(fd);
}

TEST_F(pipe, read_end_reopened_without_a_writer_opens_at_once_and_reads_eof)
{
	char buf[8];
	int fd;

	ASSERT_EQ(0, close(self->wfd));
	self->wfd = -1;

	fd = reopen_through_proc(self->rfd, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	close(fd);
}

/* fcntl */

TEST_F(pipe, o_nonblock_set_by_fcntl_applies_to_the_next_read)
{
	char buf[8];

	ASSERT_EQ(0, set_nonblocking(self->rfd, true));
	EXPECT_EQ(-1, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(pipe, o_nonblock_set_by_fcntl_applies_to_the_next_write)
{
	ASSERT_EQ(0, set_nonblocking(self->wfd, true));
	EXPECT_EQ(self->size, write_pattern(self->wfd, 0, self->size + 1));
}

TEST_F(pipe, o_async_raises_sigio_on_the_read_end_for_every_write)
{
	int sig = SIGRTMIN + 1;
	siginfo_t info;

	ASSERT_EQ(0, async_notify(self->rfd, sig));
	ASSERT_EQ(1, write(self->wfd, "a", 1));
	ASSERT_EQ(1, write(self->wfd, "b", 1));

	ASSERT_EQ(0, take_signal(sig, &info, 1000));
	EXPECT_EQ(POLL_IN, info.si_code);
	EXPECT_EQ(self->rfd, info.si_fd);
	EXPECT_EQ(POLLIN | POLLRDNORM, info.si_band & (POLLIN | POLLRDNORM));
	ASSERT_EQ(0, take_signal(sig, &info, 1000));
	EXPECT_EQ(POLL_IN, info.si_code);
	EXPECT_EQ(-1, take_signal(sig, &info, 0));
}

TEST_F(pipe, o_async_raises_sigio_on_the_write_end_for_every_read)
{
	int sig = SIGRTMIN + 1;
	siginfo_t info;
	char buf[1];

	ASSERT_EQ(2, write(self->wfd, "ab", 2));
	ASSERT_EQ(0, async_notify(self->wfd, sig));
	ASSERT_EQ(1, read(self->rfd, buf, 1));
	ASSERT_EQ(1, read(self->rfd, buf, 1));

	ASSERT_EQ(0, take_signal(sig, &info, 1000));
	EXPECT_EQ(POLL_OUT, info.si_code);
	EXPECT_EQ(self->wfd, info.si_fd);
	EXPECT_EQ(POLLOUT | POLLWRNORM, info.si_band & (POLLOUT | POLLWRNORM));
	ASSERT_EQ(0, take_signal(sig, &info, 1000));
	EXPECT_EQ(POLL_OUT, info.si_code);
	EXPECT_EQ(-1, take_signal(sig, &info, 0));
}

/* poll, select, epoll */

TEST_F(pipe, poll_reports_nothing_on_the_read_end_of_an_empty_pipe)
{
	EXPECT_EQ(0, poll_now(self->rfd, POLL_ALL));
}

TEST_F(pipe, poll_reports_pollin_and_pollrdnorm_when_data_is_queued)
{
	ASSERT_EQ(1, write(self->wfd, "x", 1));
	EXPECT_EQ(POLLIN | POLLRDNORM, poll_now(self->rfd, POLL_ALL));
}

TEST_F(pipe, poll_reports_pollout_and_pollwrnorm_when_a_write_fits)
{
	EXPECT_EQ(POLLOUT | POLLWRNORM, poll_now(self->wfd, POLL_ALL));
	ASSERT_EQ(1, write(self->wfd, "x", 1));
	EXPECT_EQ(POLLOUT | POLLWRNORM, poll_now(self->wfd, POLL_ALL));
}

TEST_F(pipe, poll_reports_pollout_only_once_an_atomic_write_fits)
{
	ASSERT_EQ(self->size, fill_pipe(self->wfd, 0));
	EXPECT_EQ(0, poll_now(self->wfd, POLL_ALL));

	ASSERT_TRUE(drain_pattern(self->rfd, 0, self->atomic - 1));
	EXPECT_EQ(0, poll_now(self->wfd, POLL_ALL));
	ASSERT_TRUE(drain_pattern(self->rfd, self->atomic - 1, 1));
	EXPECT_EQ(POLLOUT | POLLWRNORM, poll_now(self->wfd, POLL_ALL));
}

TEST_F(pipe, poll_reports_pollhup_once_the_last_writer_closes)
{
	ASSERT_EQ(0, close(self->wfd));
	self->wfd = -1;
	EXPECT_EQ(POLLHUP, poll_now(self->rfd, POLL_ALL));
}

TEST_F(pipe, poll_reports_queued_data_and_pollhup_together)
{
	ASSERT_EQ(1, write(self->wfd, "x", 1));
	ASSERT_EQ(0, close(self->wfd));
	self->wfd = -1;
	EXPECT_EQ(POLLIN | POLLRDNORM | POLLHUP, poll_now(self->rfd, POLL_ALL));
}

TEST_F(pipe, poll_reports_pollerr_once_the_last_reader_closes)
{
	ASSERT_EQ(0, close(self->rfd));
	self->rfd = -1;
	EXPECT_EQ(POLLOUT | POLLWRNORM | POLLERR,
		  poll_now(self->wfd, POLL_ALL));
}

TEST_F(pipe, select_reports_the_ends_readable_and_writable)
{
	struct timeval zero = { 0 };
	fd_set rset, wset;
	int nfds = (self->rfd > self->wfd ? self->rfd : self->wfd) + 1;

	FD_ZERO(&rset);
	FD_ZERO(&wset);
	FD_SET(self->rfd, &rset);
	FD_SET(self->wfd, &wset);
	ASSERT_EQ(1, select(nfds, &rset, &wset, NULL, &zero));
	EXPECT_FALSE(FD_ISSET(self->rfd, &rset));
	EXPECT_TRUE(FD_ISSET(self->wfd, &wset));

	ASSERT_EQ(1, write(self->wfd, "x", 1));
	FD_ZERO(&rset);
	FD_SET(self->rfd, &rset);
	ASSERT_EQ(1, select(nfds, &rset, NULL, NULL, &zero));
	EXPECT_TRUE(FD_ISSET(self->rfd, &rset));
}

TEST_F(pipe, select_reports_the_read_end_readable_at_eof)
{
	struct timeval zero = { 0 };
	fd_set rset;

	ASSERT_EQ(0, close(self->wfd));
	self->wfd = -1;
	FD_ZERO(&rset);
	FD_SET(self->rfd, &rset);
	ASSERT_EQ(1, select(self->rfd + 1, &rset, NULL, NULL, &zero));
	EXPECT_TRUE(FD_ISSET(self->rfd, &rset));
}

TEST_F(pipe, epoll_reports_epollin_and_epollrdnorm_for_queued_data)
{
	int ep = epoll_watch(self->rfd, EPOLLIN | EPOLLRDNORM | EPOLLPRI);

	ASSERT_LE(0, ep);
	EXPECT_EQ(0, epoll_now(ep));
	ASSERT_EQ(1, write(self->wfd, "x", 1));
	EXPECT_EQ(EPOLLIN | EPOLLRDNORM, epoll_now(ep));
	close(ep);
}

TEST_F(pipe, epoll_reports_epollerr_on_the_write_end_without_a_reader)
{
	int ep = epoll_watch(self->wfd, EPOLLOUT | EPOLLWRNORM);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, close(self->rfd));
	self->rfd = -1;
	EXPECT_EQ(EPOLLOUT | EPOLLWRNORM | EPOLLERR, epoll_now(ep));
	close(ep);
}

TEST_F(pipe, level_triggered_epoll_keeps_reporting_unread_data)
{
	int ep = epoll_watch(self->rfd, EPOLLIN);
	char buf[8];

	ASSERT_LE(0, ep);
	ASSERT_EQ(2, write(self->wfd, "ab", 2));
	EXPECT_EQ(EPOLLIN, epoll_now(ep));
	EXPECT_EQ(EPOLLIN, epoll_now(ep));
	ASSERT_EQ(1, read(self->rfd, buf, 1));
	EXPECT_EQ(EPOLLIN, epoll_now(ep));
	ASSERT_EQ(1, read(self->rfd, buf, 1));
	EXPECT_EQ(0, epoll_now(ep));
	close(ep);
}

TEST_F(pipe, edge_triggered_epoll_reports_every_write)
{
	int ep = epoll_watch(self->rfd, EPOLLIN | EPOLLET);

	ASSERT_LE(0, ep);
	ASSERT_EQ(1, write(self->wfd, "a", 1));
	EXPECT_EQ(EPOLLIN, epoll_now(ep));
	EXPECT_EQ(0, epoll_now(ep));

	/* Data is still queued, but a new write is a new edge. */
	ASSERT_EQ(1, write(self->wfd, "b", 1));
	EXPECT_EQ(EPOLLIN, epoll_now(ep));
	EXPECT_EQ(0, epoll_now(ep));
	close(ep);
}

TEST_F(pipe, edge_triggered_epoll_reports_room_made_by_a_read)
{
	int ep;

	ASSERT_EQ(self->size, fill_pipe(self->wfd, 0));
	ep = epoll_watch(self->wfd, EPOLLOUT | EPOLLET);
	ASSERT_LE(0, ep);
	EXPECT_EQ(0, epoll_now(ep));

	ASSERT_TRUE(drain_pattern(self->rfd, 0, self->atomic));
	EXPECT_EQ(EPOLLOUT, epoll_now(ep));
	EXPECT_EQ(0, epoll_now(ep));
	close(ep);
}

TEST_F(pipe, edge_triggered_epoll_wakes_a_waiter_on_every_write)
{
	char buf[8];
	pid_t pid;
	int i;

	ASSERT_EQ(1, write(self->wfd, "a", 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ep = epoll_watch(self->rfd, EPOLLIN | EPOLLET);
		struct epoll_event ev;

		/* One edge for the queued byte, then one per write. */
		for (i = 0; i < 3; i++)
			if (epoll_wait(ep, &ev, 1, SBPIPE_WAIT_MS) != 1)
				_exit(1 + i);
		_exit(0);
	}

	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(wait_until_sleeping(pid, true));
		ASSERT_EQ(1, write(self->wfd, "b", 1));
	}
	EXPECT_EQ(0, wait_child(pid, SBPIPE_WAIT_MS));
	EXPECT_EQ(3, read(self->rfd, buf, sizeof(buf)));
}

TEST_F(pipe, epollexclusive_wakes_one_of_several_waiters)
{
	const int waiters = 3;
	int ready[2], woken[2], i, count = 0;
	pid_t pids[3];
	char buf[3];

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(woken, O_CLOEXEC));
	for (i = 0; i < waiters; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			int ep = epoll_watch(self->rfd,
					     EPOLLIN | EPOLLEXCLUSIVE);
			struct epoll_event ev;
			char got;

			if (ep < 0 || write(ready[1], "r", 1) != 1)
				_exit(1);
			got = epoll_wait(ep, &ev, 1, 500) == 1 ? '1' : '0';
			_exit(write(woken[1], &got, 1) == 1 ? 0 : 1);
		}
	}
	for (i = 0; i < waiters; i++) {
		ASSERT_EQ(1, read(ready[0], buf, 1));
		ASSERT_TRUE(wait_until_sleeping(pids[i], true));
	}

	ASSERT_EQ(1, write(self->wfd, "x", 1));
	for (i = 0; i < waiters; i++)
		EXPECT_EQ(0, wait_child(pids[i], SBPIPE_WAIT_MS));
	ASSERT_EQ(waiters, read(woken[0], buf, waiters));
	for (i = 0; i < waiters; i++)
		count += buf[i] == '1';
	EXPECT_EQ(1, count);
}

/* splice */

TEST_F(pipe, splice_moves_data_into_a_native_pipe)
{
	int native[2];
	char buf[8];

	ASSERT_EQ(0, pipe2(native, O_CLOEXEC));
	ASSERT_EQ(5, write(self->wfd, "hello", 5));
	EXPECT_EQ(5, splice(self->rfd, NULL, native[1], NULL, 5, 0));
	EXPECT_EQ(0, queued_bytes(self->rfd));
	EXPECT_EQ(5, read(native[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	close(native[0]);
	close(native[1]);
}

TEST_F(pipe, splice_moves_data_out_of_a_native_pipe)
{
	int native[2];
	char buf[8];

	ASSERT_EQ(0, pipe2(native, O_CLOEXEC));
	ASSERT_EQ(5, write(native[1], "world", 5));
	EXPECT_EQ(5, splice(native[0], NULL, self->wfd, NULL, 5, 0));
	EXPECT_EQ(5, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	close(native[0]);
	close(native[1]);
}

TEST_F(pipe, nonblocking_splice_from_an_empty_pipe_fails_with_eagain)
{
	int native[2];

	ASSERT_EQ(0, pipe2(native, O_CLOEXEC));
	EXPECT_EQ(-1, splice(self->rfd, NULL, native[1], NULL, 5,
			     SPLICE_F_NONBLOCK));
	EXPECT_EQ(EAGAIN, errno);
	close(native[0]);
	close(native[1]);
}

/* fork, dup and close */

TEST_F(pipe, dup_of_the_write_end_keeps_the_pipe_open_until_both_close)
{
	expect_writer_keeps_pipe_open(_metadata, self, dup(self->wfd));
}

TEST_F(pipe, dup_of_the_read_end_keeps_writes_working_until_both_close)
{
	int dupfd = dup(self->rfd);

	ASSERT_LE(0, dupfd);
	ASSERT_EQ(0, block_sigpipe());
	ASSERT_EQ(0, close(self->rfd));
	self->rfd = -1;

	EXPECT_EQ(1, write(self->wfd, "x", 1));
	ASSERT_EQ(0, close(dupfd));
	EXPECT_EQ(-1, write(self->wfd, "x", 1));
	EXPECT_EQ(EPIPE, errno);
}

TEST_F(pipe, forked_writer_keeps_the_pipe_open_until_it_exits)
{
	char buf[8];
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(self->rfd);
		sleep_ms(50);
		_exit(write(self->wfd, "child", 5) == 5 ? 0 : 1);
	}
	close(self->wfd);
	self->wfd = -1;

	EXPECT_EQ(5, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, wait_child(pid, SBPIPE_WAIT_MS));
}

/*
 * Blocked readers sleep in turn too: a reader woken by a write, leaving
 * data behind, wakes the next.
 */
TEST_F(pipe, one_write_wakes_as_many_blocked_readers_as_it_has_bytes_for)
{
	struct blocked_io io[3];
	char got[ARRAY_SIZE(io)];
	unsigned int i, seen = 0;

	for (i = 0; i < ARRAY_SIZE(io); i++) {
		io[i] = (struct blocked_io){
			.fd = self->rfd, .buf = &got[i], .len = 1,
		};
		ASSERT_TRUE(blocked_io_start(&io[i]));
	}

	ASSERT_EQ(3, write(self->wfd, "abc", 3));
	for (i = 0; i < ARRAY_SIZE(io); i++) {
		ASSERT_TRUE(blocked_io_finish(&io[i]));
		ASSERT_EQ(1, io[i].ret);
		ASSERT_LE('a', got[i]);
		ASSERT_GE('c', got[i]);
		seen |= 1U << (got[i] - 'a');
	}
	EXPECT_EQ(7U, seen);
}

TEST_F(pipe, closing_the_last_writer_wakes_a_reader_blocked_in_another_process)
{
	char buf[8];
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(self->wfd);
		_exit(read(self->rfd, buf, sizeof(buf)) == 0 ? 0 : 1);
	}
	ASSERT_TRUE(wait_until_sleeping(pid, true));
	ASSERT_EQ(0, close(self->wfd));
	self->wfd = -1;
	EXPECT_EQ(0, wait_child(pid, SBPIPE_WAIT_MS));
}

TEST_F(pipe, closing_the_last_reader_wakes_a_blocked_writer_with_epipe)
{
	struct blocked_io io = {
		.fd = self->wfd, .write = true, .buf = "x", .len = 1,
	};

	ASSERT_NE(SIG_ERR, signal(SIGPIPE, SIG_IGN));
	ASSERT_EQ(self->size, fill_pipe(self->wfd, 0));
	ASSERT_TRUE(blocked_io_start(&io));

	ASSERT_EQ(0, close(self->rfd));
	self->rfd = -1;
	ASSERT_TRUE(blocked_io_finish(&io));
	EXPECT_EQ(-1, io.ret);
	EXPECT_EQ(EPIPE, io.err);
}

TEST_F(pipe, signal_interrupts_a_blocked_read_with_eintr)
{
	char buf[8];
	struct blocked_io io = {
		.fd = self->rfd, .buf = buf, .len = sizeof(buf),
	};

	ASSERT_EQ(0, catch_sigusr1(false));
	ASSERT_TRUE(blocked_io_start(&io));
	ASSERT_EQ(0, pthread_kill(io.thread, SIGUSR1));
	ASSERT_TRUE(blocked_io_finish(&io));
	EXPECT_EQ(-1, io.ret);
	EXPECT_EQ(EINTR, io.err);
	EXPECT_EQ(1, __atomic_load_n(&signals_caught, __ATOMIC_RELAXED));
}

TEST_F(pipe, signal_interrupts_a_blocked_write_with_eintr)
{
	struct blocked_io io = {
		.fd = self->wfd, .write = true, .buf = "x", .len = 1,
	};

	ASSERT_EQ(0, catch_sigusr1(false));
	ASSERT_EQ(self->size, fill_pipe(self->wfd, 0));
	ASSERT_TRUE(blocked_io_start(&io));
	ASSERT_EQ(0, pthread_kill(io.thread, SIGUSR1));
	ASSERT_TRUE(blocked_io_finish(&io));
	EXPECT_EQ(-1, io.ret);
	EXPECT_EQ(EINTR, io.err);
	EXPECT_EQ(self->size, queued_bytes(self->rfd));
}

/*
 * Blocks a writer of more than the pipe holds and signals it once the pipe
 * is full; with or without SA_RESTART, the write returns what it wrote.
 */
static void expect_partial_write_on_signal(struct __test_metadata *_metadata,
					   FIXTURE_DATA(pipe) *self,
					   bool restart)
{
	ssize_t len = self->size + self->atomic;
	unsigned char *buf = malloc(len);
	struct blocked_io io = {
		.fd = self->wfd, .write = true, .buf = buf, .len = len,
	};

	ASSERT_NE(NULL, buf);
	pattern_fill(buf, 0, len);
	ASSERT_EQ(0, catch_sigusr1(restart));
	ASSERT_TRUE(blocked_io_start(&io));
	ASSERT_EQ(0, pthread_kill(io.thread, SIGUSR1));
	ASSERT_TRUE(blocked_io_finish(&io));
	EXPECT_EQ(self->size, io.ret);
	EXPECT_TRUE(drain_pattern(self->rfd, 0, self->size));
	free(buf);
}

TEST_F(pipe, signal_interrupting_a_partial_write_returns_the_bytes_written)
{
	expect_partial_write_on_signal(_metadata, self, false);
}

TEST_F(pipe, signal_with_sa_restart_still_ends_a_partial_write)
{
	expect_partial_write_on_signal(_metadata, self, true);
}

TEST_F(pipe, signal_with_sa_restart_resumes_a_blocked_write)
{
	struct blocked_io io = {
		.fd = self->wfd, .write = true, .buf = "x", .len = 1,
	};

	ASSERT_EQ(0, catch_sigusr1(true));
	ASSERT_EQ(self->size, fill_pipe(self->wfd, 0));
	ASSERT_TRUE(blocked_io_start(&io));
	ASSERT_EQ(0, pthread_kill(io.thread, SIGUSR1));
	while (!__atomic_load_n(&signals_caught, __ATOMIC_RELAXED))
		sleep_ms(1);
	ASSERT_TRUE(wait_until_sleeping(io.tid, false));

	ASSERT_TRUE(drain_pattern(self->rfd, 0, self->atomic));
	ASSERT_TRUE(blocked_io_finish(&io));
	EXPECT_EQ(1, io.ret);
}

TEST_F(pipe, signal_with_sa_restart_resumes_a_blocked_read)
{
	char buf[8];
	struct blocked_io io = {
		.fd = self->rfd, .buf = buf, .len = sizeof(buf),
	};

	ASSERT_EQ(0, catch_sigusr1(true));
	ASSERT_TRUE(blocked_io_start(&io));
	ASSERT_EQ(0, pthread_kill(io.thread, SIGUSR1));
	while (!__atomic_load_n(&signals_caught, __ATOMIC_RELAXED))
		sleep_ms(1);
	ASSERT_TRUE(wait_until_sleeping(io.tid, false));

	ASSERT_EQ(1, write(self->wfd, "z", 1));
	ASSERT_TRUE(blocked_io_finish(&io));
	EXPECT_EQ(1, io.ret);
	EXPECT_EQ('z', buf[0]);
}

/* sizes */

TEST_F(pipe, megabyte_nonblocking_pipe_fills_and_drains_exactly)
{
	char buf[8];

	ASSERT_EQ(0, pipe_recreate(self, variant, O_NONBLOCK, MIB));
	ASSERT_EQ(MIB, self->size);
	ASSERT_EQ(MIB, fill_pipe(self->wfd, 0));
	EXPECT_EQ(MIB, queued_bytes(self->rfd));

	ASSERT_EQ(0, set_nonblocking(self->wfd, true));
	EXPECT_EQ(-1, write(self->wfd, "x", 1));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_TRUE(drain_pattern(self->rfd, 0, MIB));
	EXPECT_EQ(-1, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(pipe, fionread_reports_the_queued_bytes_on_both_ends)
{
	char buf[4];

	EXPECT_EQ(0, queued_bytes(self->rfd));
	ASSERT_EQ(10, write(self->wfd, "0123456789", 10));
	EXPECT_EQ(10, queued_bytes(self->rfd));
	EXPECT_EQ(10, queued_bytes(self->wfd));
	ASSERT_EQ(4, read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(6, queued_bytes(self->rfd));
	EXPECT_EQ(6, queued_bytes(self->wfd));
}

TEST_F(pipe, resize_keeps_the_data_in_flight)
{
	ASSERT_EQ(1000, write_pattern(self->wfd, 0, 1000));
	ASSERT_EQ(0, variant_resize(variant, self->wfd, 2 * self->size));
	ASSERT_EQ(1000, write_pattern(self->wfd, 1000, 1000));
	ASSERT_EQ(0, variant_resize(variant, self->rfd, 4096));

	EXPECT_EQ(2000, queued_bytes(self->rfd));
	EXPECT_TRUE(drain_pattern(self->rfd, 0, 2000));
}

TEST_F(pipe, resize_below_the_queued_bytes_fails_with_ebusy)
{
	ASSERT_EQ(8192, write_pattern(self->wfd, 0, 8192));
	EXPECT_EQ(-1, variant_resize(variant, self->wfd, 4096));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(drain_pattern(self->rfd, 0, 8192));
}

/*
 * What only sbpipe pipes have: the creation ioctl's arguments, the ioctls
 * on a pipe end and the fdinfo of an end.
 */
FIXTURE(sbpipe) {
	int sandbox;		/* one open of /dev/sbpipe */
	int fds[2];		/* a pipe a test made, closed by the teardown */
};

FIXTURE_SETUP(sbpipe)
{
	self->fds[0] = -1;
	self->fds[1] = -1;
	self->sandbox = sbpipe_open_sandbox();
	if (self->sandbox < 0 && sbpipe_missing(errno))
		SKIP(return, "/dev/sbpipe is missing: sbpipe.ko not loaded");
	ASSERT_LE(0, self->sandbox);
	alarm(PIPE_TEST_DEADLINE);
}

FIXTURE_TEARDOWN(sbpipe)
{
	if (self->fds[0] >= 0)
		close(self->fds[0]);
	if (self->fds[1] >= 0)
		close(self->fds[1]);
	if (self->sandbox >= 0)
		close(self->sandbox);
}

/* The module parameter max_size, or 0 when it cannot be read. */
static unsigned int module_max_size(void)
{
	unsigned long long val;

	return sbpipe_param_read("max_size", &val) ? 0 : val;
}

TEST_F(sbpipe, create_with_unknown_flags_fails_with_einval)
{
	const unsigned int bad[] = {
		O_APPEND, O_RDWR, O_ASYNC, O_CLOEXEC | 0x80000000U,
	};
	int before = count_open_fds();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, sbpipe_create(self->sandbox, bad[i], 0, 0,
					    self->fds));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(before, count_open_fds());
}

TEST_F(sbpipe, create_with_nonzero_reserved_fields_fails_with_einval)
{
	int before = count_open_fds();
	unsigned int i;

	for (i = 0; i < 5; i++) {
		struct sbpipe_create arg = { .rfd = -1, .wfd = -1 };

		arg.__reserved[i] = 1;
		EXPECT_EQ(-1, ioctl(self->sandbox, SBPIPE_IOC_CREATE, &arg));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(before, count_open_fds());
}

TEST_F(sbpipe, create_with_an_unmapped_argument_fails_with_efault)
{
	EXPECT_EQ(-1, ioctl(self->sandbox, SBPIPE_IOC_CREATE, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(sbpipe, create_with_a_read_only_argument_fails_with_efault_leaking_no_fd)
{
	long page = sysconf(_SC_PAGESIZE);
	int before = count_open_fds();
	struct sbpipe_create *arg;
	struct sbpipe_stats stats;

	arg = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, arg);
	arg->rfd = -1;
	arg->wfd = -1;
	ASSERT_EQ(0, mprotect(arg, page, PROT_READ));

	EXPECT_EQ(-1, ioctl(self->sandbox, SBPIPE_IOC_CREATE, arg));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(before, count_open_fds());
	ASSERT_EQ(0, sbpipe_stats(self->sandbox, &stats));
	EXPECT_EQ(0ULL, stats.pipes);
	EXPECT_EQ(0ULL, stats.bytes_reserved);
	munmap(arg, page);
}

TEST_F(sbpipe, create_flags_set_cloexec_and_nonblock_on_both_ends)
{
	int other[2];

	ASSERT_EQ(0, sbpipe_create(self->sandbox, O_CLOEXEC | O_NONBLOCK, 0, 0,
				   self->fds));
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->fds[0], F_GETFD));
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->fds[1], F_GETFD));
	EXPECT_EQ(O_RDONLY | O_NONBLOCK,
		  fcntl(self->fds[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	EXPECT_EQ(O_WRONLY | O_NONBLOCK,
		  fcntl(self->fds[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK));

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, other));
	EXPECT_EQ(0, fcntl(other[0], F_GETFD));
	EXPECT_EQ(0, fcntl(other[1], F_GETFD));
	EXPECT_EQ(O_RDONLY, fcntl(other[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	EXPECT_EQ(O_WRONLY, fcntl(other[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	close(other[0]);
	close(other[1]);
}

TEST_F(sbpipe, create_with_size_zero_gets_the_default_size)
{
	struct sbpipe_size size = { .size = 1 };
	struct sbpipe_info info;

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	ASSERT_EQ(0, sbpipe_info(self->fds[0], &info));
	EXPECT_EQ(SBPIPE_DEFAULT_SIZE, (int)info.size);
	ASSERT_EQ(0, ioctl(self->fds[1], SBPIPE_IOC_GET_SIZE, &size));
	EXPECT_EQ(SBPIPE_DEFAULT_SIZE, (int)size.size);
}

TEST_F(sbpipe, create_with_atomic_size_zero_gets_pipe_buf)
{
	struct sbpipe_info info;

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	ASSERT_EQ(0, sbpipe_info(self->fds[0], &info));
	EXPECT_EQ(SBPIPE_DEFAULT_ATOMIC, (int)info.atomic_size);
	EXPECT_EQ(PIPE_BUF, (int)info.atomic_size);
}

TEST_F(sbpipe, atomic_size_never_exceeds_the_ring_size)
{
	const struct { unsigned int size, atomic, want; } cases[] = {
		{ 100, 0, 100 },
		{ 100, 200, 100 },
		{ 8192, 512, 512 },
		{ 1, 0, 1 },
	};
	struct sbpipe_info info;
	unsigned int i;
	int fds[2];

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, sbpipe_create(self->sandbox, O_CLOEXEC,
					   cases[i].size, cases[i].atomic, fds));
		EXPECT_EQ(0, sbpipe_info(fds[0], &info));
		EXPECT_EQ(cases[i].size, info.size);
		EXPECT_EQ(cases[i].want, info.atomic_size);
		close(fds[0]);
		close(fds[1]);
	}
}

TEST_F(sbpipe, create_above_max_size_fails_with_eperm_without_cap_sys_resource)
{
	unsigned int max = module_max_size();
	int before, fds[2];

	ASSERT_NE(0U, max);
	ASSERT_EQ(0, drop_capability(CAP_SYS_RESOURCE));
	ASSERT_EQ(0, sbpipe_create(self->sandbox, O_CLOEXEC, max, 0,
				   self->fds));
	before = count_open_fds();

	EXPECT_EQ(-1, sbpipe_create(self->sandbox, O_CLOEXEC, max + 1, 0,
				    fds));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(before, count_open_fds());
}

TEST_F(sbpipe, info_reports_the_pipe_and_its_traffic)
{
	struct sbpipe_info rinfo, winfo;
	struct sbpipe_stats stats;
	char buf[100] = { 0 };
	struct stat st;
	unsigned int i;

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 8192, 512, self->fds));
	ASSERT_EQ(100, write(self->fds[1], buf, 100));
	ASSERT_EQ(100, write(self->fds[1], buf, 100));
	ASSERT_EQ(50, read(self->fds[0], buf, 50));
	ASSERT_EQ(0, fstat(self->fds[0], &st));
	ASSERT_EQ(0, sbpipe_stats(self->sandbox, &stats));

	ASSERT_EQ(0, sbpipe_info(self->fds[0], &rinfo));
	EXPECT_EQ(8192U, rinfo.size);
	EXPECT_EQ(512U, rinfo.atomic_size);
	EXPECT_EQ(150U, rinfo.queued);
	EXPECT_EQ(1U, rinfo.readers);
	EXPECT_EQ(1U, rinfo.writers);
	EXPECT_EQ(0U, rinfo.flags);
	EXPECT_EQ(200ULL, rinfo.bytes_written);
	EXPECT_EQ(50ULL, rinfo.bytes_read);
	EXPECT_EQ(2ULL, rinfo.writes);
	EXPECT_EQ(1ULL, rinfo.reads);
	EXPECT_EQ(st.st_ino, rinfo.ino);
	EXPECT_EQ(stats.id, rinfo.sandbox_id);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0ULL, rinfo.__reserved[i]);

	ASSERT_EQ(0, sbpipe_info(self->fds[1], &winfo));
	EXPECT_EQ(0, memcmp(&rinfo, &winfo, sizeof(rinfo)));
}

TEST_F(sbpipe, info_counts_open_files_not_descriptors)
{
	struct sbpipe_info info;
	int dupfd, fd;

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	dupfd = dup(self->fds[0]);
	ASSERT_LE(0, dupfd);
	ASSERT_EQ(0, sbpipe_info(self->fds[0], &info));
	EXPECT_EQ(1U, info.readers);

	fd = reopen_through_proc(self->fds[1], O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sbpipe_info(self->fds[0], &info));
	EXPECT_EQ(1U, info.readers);
	EXPECT_EQ(2U, info.writers);

	close(fd);
	close(dupfd);
	ASSERT_EQ(0, sbpipe_info(self->fds[0], &info));
	EXPECT_EQ(1U, info.writers);
}

TEST_F(sbpipe, info_marks_packet_pipes)
{
	struct sbpipe_info info;

	ASSERT_EQ(0, sbpipe_create(self->sandbox, O_DIRECT, 0, 0, self->fds));
	ASSERT_EQ(0, sbpipe_info(self->fds[1], &info));
	EXPECT_EQ(SBPIPE_INFO_PACKET, info.flags);
}

/*
 * Writers wait for their own amount of room: a read that makes room for a
 * small write, and not for a larger atomic one queued before it, wakes the
 * small one.
 */
TEST_F(sbpipe, blocked_write_that_fits_is_not_held_up_by_a_larger_one_first)
{
	static unsigned char large_buf[16384], buf[8192];
	const unsigned int size = 65536, atomic = sizeof(large_buf);
	struct blocked_io large = {
		.write = true, .buf = large_buf, .len = atomic,
	};
	struct blocked_io small = { .write = true, .buf = "x", .len = 1 };
	char stat[64];
	size_t left;

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, size, atomic, self->fds));
	ASSERT_EQ(size, fill_pipe(self->fds[1], 0));
	large.fd = self->fds[1];
	small.fd = self->fds[1];
	ASSERT_TRUE(blocked_io_start(&large));
	ASSERT_TRUE(blocked_io_start(&small));

	/* Room for the small write, half the room the large one needs. */
	ASSERT_EQ((ssize_t)sizeof(buf), read(self->fds[0], buf, sizeof(buf)));
	ASSERT_TRUE(blocked_io_finish(&small));
	EXPECT_EQ(1, small.ret);
	snprintf(stat, sizeof(stat), "/proc/self/task/%d/stat", large.tid);
	EXPECT_EQ('S', task_state(stat));

	left = size - sizeof(buf);
	ASSERT_TRUE(drain_pattern(self->fds[0], sizeof(buf), left));
	ASSERT_EQ(1, read(self->fds[0], buf, 1));
	EXPECT_EQ('x', buf[0]);
	ASSERT_TRUE(blocked_io_finish(&large));
	EXPECT_EQ(atomic, large.ret);
	EXPECT_EQ((ssize_t)sizeof(buf), read(self->fds[0], buf, sizeof(buf)));
	EXPECT_EQ((ssize_t)sizeof(buf), read(self->fds[0], buf, sizeof(buf)));
}

/*
 * The buffer starts at a page and grows as more is queued: bytes that
 * wrapped round the small buffer come out in order from the large one.
 */
TEST_F(sbpipe, data_wrapped_round_the_first_buffer_keeps_its_order_as_it_grows)
{
	const size_t page = sysconf(_SC_PAGESIZE);

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 16 * page, 0, self->fds));
	ASSERT_EQ((ssize_t)page - 100, write_pattern(self->fds[1], 0,
						     page - 100));
	ASSERT_TRUE(drain_pattern(self->fds[0], 0, page - 200));
	/* 100 bytes queued at the end of the page, then 200 from its start. */
	ASSERT_EQ(300, write_pattern(self->fds[1], page - 100, 300));
	/* More than the page holds: the wrapped bytes move to a larger one. */
	ASSERT_EQ((ssize_t)(3 * page), write_pattern(self->fds[1], page + 200,
						     3 * page));
	EXPECT_TRUE(drain_pattern(self->fds[0], page - 200, 3 * page + 400));
	EXPECT_EQ(0, queued_bytes(self->fds[0]));
	ASSERT_EQ((ssize_t)(16 * page), fill_pipe(self->fds[1], 0));
}

TEST_F(sbpipe, set_size_sets_the_exact_size_the_pipe_then_holds)
{
	struct sbpipe_size size = { .size = 12345 };

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	ASSERT_EQ(0, ioctl(self->fds[1], SBPIPE_IOC_SET_SIZE, &size));
	EXPECT_EQ(12345U, size.size);
	size.size = 0;
	ASSERT_EQ(0, ioctl(self->fds[0], SBPIPE_IOC_GET_SIZE, &size));
	EXPECT_EQ(12345U, size.size);
	EXPECT_EQ(12345, fill_pipe(self->fds[1], 0));
}

TEST_F(sbpipe, set_size_below_the_queued_bytes_fails_with_ebusy)
{
	struct sbpipe_size size = { 0 };

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	ASSERT_EQ(1000, write_pattern(self->fds[1], 0, 1000));

	EXPECT_EQ(-1, sbpipe_set_size(self->fds[1], 999));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, ioctl(self->fds[1], SBPIPE_IOC_GET_SIZE, &size));
	EXPECT_EQ(SBPIPE_DEFAULT_SIZE, (int)size.size);
	EXPECT_EQ(0, sbpipe_set_size(self->fds[1], 1000));
	EXPECT_TRUE(drain_pattern(self->fds[0], 0, 1000));
}

TEST_F(sbpipe, set_size_keeps_data_that_wraps_around_the_ring)
{
	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 8192, 0, self->fds));
	ASSERT_EQ(6000, write_pattern(self->fds[1], 0, 6000));
	ASSERT_TRUE(drain_pattern(self->fds[0], 0, 5000));
	ASSERT_EQ(6000, write_pattern(self->fds[1], 6000, 6000));

	/* 7000 bytes queued, from ring offset 5000 round to offset 3808. */
	ASSERT_EQ(0, sbpipe_set_size(self->fds[1], 7000));
	EXPECT_TRUE(drain_pattern(self->fds[0], 5000, 7000));
	EXPECT_EQ(0, queued_bytes(self->fds[0]));
}

TEST_F(sbpipe, set_size_above_max_size_fails_with_eperm_without_cap_sys_resource)
{
	unsigned int max = module_max_size();
	struct sbpipe_size size = { 0 };

	ASSERT_NE(0U, max);
	ASSERT_EQ(0, drop_capability(CAP_SYS_RESOURCE));
	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 4096, 0, self->fds));

	EXPECT_EQ(-1, sbpipe_set_size(self->fds[1], max + 1));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, ioctl(self->fds[1], SBPIPE_IOC_GET_SIZE, &size));
	EXPECT_EQ(4096U, size.size);
	EXPECT_EQ(0, sbpipe_set_size(self->fds[1], max));
}

TEST_F(sbpipe, set_size_with_nonzero_reserved_fails_with_einval)
{
	struct sbpipe_size size = { .size = 8192, .__reserved = 1 };

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 4096, 0, self->fds));
	EXPECT_EQ(-1, ioctl(self->fds[1], SBPIPE_IOC_SET_SIZE, &size));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sbpipe, unknown_ioctl_on_a_pipe_end_fails_with_enotty)
{
	struct sbpipe_create create = { 0 };
	struct sbpipe_info info;

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	EXPECT_EQ(-1, ioctl(self->fds[0], _IO(SBPIPE_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fds[1], _IO(SBPIPE_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fds[0], SBPIPE_IOC_CREATE, &create));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->sandbox, SBPIPE_IOC_INFO, &info));
	EXPECT_EQ(ENOTTY, errno);
}

/* Peeks up to @len bytes at @offset into @buf; the bytes or -1. */
static int peek(int fd, void *buf, unsigned int len, unsigned int offset)
{
	struct sbpipe_peek arg = {
		.buf = (uintptr_t)buf,
		.len = len,
		.offset = offset,
	};

	if (ioctl(fd, SBPIPE_IOC_PEEK, &arg))
		return -1;
	return arg.len;
}

TEST_F(sbpipe, peek_copies_queued_data_without_consuming_it)
{
	char buf[16] = { 0 };

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	ASSERT_EQ(11, write(self->fds[1], "hello world", 11));

	EXPECT_EQ(5, peek(self->fds[0], buf, 5, 6));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	EXPECT_EQ(11, peek(self->fds[0], buf, sizeof(buf), 0));
	EXPECT_EQ(11, queued_bytes(self->fds[0]));
	ASSERT_EQ(11, read(self->fds[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello world", 11));
}

TEST_F(sbpipe, peek_copies_data_that_wraps_around_the_ring)
{
	unsigned char buf[100];

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 100, 0, self->fds));
	pattern_fill(buf, 0, 80);
	ASSERT_EQ(80, write(self->fds[1], buf, 80));
	ASSERT_TRUE(drain_pattern(self->fds[0], 0, 70));
	pattern_fill(buf, 80, 60);
	ASSERT_EQ(60, write(self->fds[1], buf, 60));

	ASSERT_EQ(70, peek(self->fds[0], buf, sizeof(buf), 0));
	EXPECT_TRUE(pattern_matches(buf, 70, 70));
	EXPECT_TRUE(drain_pattern(self->fds[0], 70, 70));
}

TEST_F(sbpipe, peek_past_the_queued_data_copies_nothing)
{
	char buf[8];

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	EXPECT_EQ(0, peek(self->fds[0], buf, sizeof(buf), 0));
	ASSERT_EQ(3, write(self->fds[1], "abc", 3));
	EXPECT_EQ(0, peek(self->fds[0], buf, sizeof(buf), 3));
	EXPECT_EQ(1, peek(self->fds[0], buf, sizeof(buf), 2));
	EXPECT_EQ('c', buf[0]);
}

TEST_F(sbpipe, peek_on_the_write_end_fails_with_ebadf)
{
	char buf[8];

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	ASSERT_EQ(3, write(self->fds[1], "abc", 3));
	EXPECT_EQ(-1, peek(self->fds[1], buf, sizeof(buf), 0));
	EXPECT_EQ(EBADF, errno);
}

TEST_F(sbpipe, peek_with_nonzero_reserved_fails_with_einval)
{
	char buf[8];
	struct sbpipe_peek arg = {
		.buf = (uintptr_t)buf,
		.len = sizeof(buf),
		.__reserved = 1,
	};

	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 0, 0, self->fds));
	EXPECT_EQ(-1, ioctl(self->fds[0], SBPIPE_IOC_PEEK, &arg));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sbpipe, peek_on_a_packet_pipe_copies_only_the_first_packet)
{
	char buf[16];

	ASSERT_EQ(0, sbpipe_create(self->sandbox, O_DIRECT, 0, 0, self->fds));
	ASSERT_EQ(3, write(self->fds[1], "one", 3));
	ASSERT_EQ(3, write(self->fds[1], "two", 3));

	EXPECT_EQ(3, peek(self->fds[0], buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "one", 3));
	EXPECT_EQ(-1, peek(self->fds[0], buf, sizeof(buf), 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(3, read(self->fds[0], buf, sizeof(buf)));
}

/* The writer of the 2-byte ring test: "xy" once per iteration. */
#define XY_ROUNDS	500

static void *write_xy(void *arg)
{
	int wfd = *(int *)arg;
	int i;

	for (i = 0; i < XY_ROUNDS; i++)
		if (write(wfd, "xy", 2) != 2)
			return (void *)1;
	return NULL;
}

TEST_F(sbpipe, two_byte_ring_carries_xy_to_an_epoll_reader)
{
	char *got = malloc(2 * XY_ROUNDS + 1);
	struct sbpipe_info info;
	struct epoll_event ev;
	pthread_t writer;
	size_t len = 0;
	void *result;
	int ep, i;

	ASSERT_NE(NULL, got);
	ASSERT_EQ(0, sbpipe_create(self->sandbox, 0, 2, 0, self->fds));
	ASSERT_EQ(0, sbpipe_info(self->fds[0], &info));
	ASSERT_EQ(2U, info.size);
	ASSERT_EQ(0, set_nonblocking(self->fds[0], true));
	ep = epoll_watch(self->fds[0], EPOLLIN);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, pthread_create(&writer, NULL, write_xy, &self->fds[1]));

	while (len < 2 * XY_ROUNDS) {
		ssize_t ret;

		ASSERT_EQ(1, epoll_wait(ep, &ev, 1, SBPIPE_WAIT_MS));
		ret = read(self->fds[0], got + len, 2 * XY_ROUNDS + 1 - len);
		if (ret < 0 && errno == EAGAIN)
			continue;
		ASSERT_LT(0, ret);
		len += ret;
	}
	ASSERT_EQ(0, pthread_join(writer, &result));
	EXPECT_EQ(NULL, result);
	for (i = 0; i < XY_ROUNDS; i++)
		ASSERT_EQ(0, memcmp(got + 2 * i, "xy", 2));
	close(ep);
	free(got);
}

TEST_F(sbpipe, one_byte_ring_moves_one_byte_at_a_time)
{
	char buf[4];

	ASSERT_EQ(0, sbpipe_create(self->sandbox, O_NONBLOCK, 1, 0, self->fds));
	EXPECT_EQ(1, write(self->fds[1], "ab", 2));
	EXPECT_EQ(-1, write(self->fds[1], "b", 1));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, read(self->fds[0], buf, sizeof(buf)));
	EXPECT_EQ('a', buf[0]);
	EXPECT_EQ(1, write(self->fds[1], "b", 1));
	EXPECT_EQ(1, read(self->fds[0], buf, sizeof(buf)));
	EXPECT_EQ('b', buf[0]);
}

TEST_F(sbpipe, module_cannot_be_unloaded_while_a_pipe_end_is_open)
{
	if (!has_capability(CAP_SYS_MODULE))
		SKIP(return, "unloading modules needs CAP_SYS_MODULE");

	ASSERT_EQ(0, sbpipe_create(self->sandbox, O_CLOEXEC, 0, 0, self->fds));
	ASSERT_EQ(0, close(self->sandbox));
	self->sandbox = -1;
	ASSERT_EQ(0, close(self->fds[1]));
	self->fds[1] = -1;

	/* Only a read end holds the module now. */
	EXPECT_EQ(-1, syscall(SYS_delete_module, "sbpipe", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
}

TEST_HARNESS_MAIN
