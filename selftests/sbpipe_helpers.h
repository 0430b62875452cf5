/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the sbpipe selftests: opening a sandbox, creating a
 * pipe in it, counting descriptors, module parameters, waiting for a task
 * to block, and dropping privileges.
 */
#ifndef SBPIPE_HELPERS_H
#define SBPIPE_HELPERS_H

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/sbpipe.h>

#include "kselftest.h"

#define SBPIPE_DEV		"/dev/sbpipe"
#define SBPIPE_PARAMS		"/sys/module/sbpipe/parameters/"
/* The module-wide counters, attributes of the misc device. */
#define SBPIPE_COUNTERS		"/sys/class/misc/sbpipe/"

/* The uid and gid of nobody, which an unprivileged test drops to. */
#define SBPIPE_NOBODY		65534

/* How long a task may take to block, or to wake once it should. */
#define SBPIPE_WAIT_MS		5000

/*
 * Opens a sandbox. Returns its fd, or -1 with errno set; ENOENT or ENODEV
 * mean the module is not loaded, which callers turn into a skip.
 */
static inline int sbpipe_open_sandbox(void)
{
	return open(SBPIPE_DEV, O_RDWR | O_CLOEXEC);
}

static inline bool sbpipe_missing(int err)
{
	return err == ENOENT || err == ENODEV || err == ENXIO;
}

/*
 * Creates a pipe in @sandbox. Returns 0 and the ends in @fds, or -1 with
 * errno set by the ioctl.
 */
static inline int sbpipe_create(int sandbox, unsigned int flags,
				unsigned int size, unsigned int atomic_size,
				int fds[2])
{
	struct sbpipe_create arg = {
		.flags = flags,
		.size = size,
		.atomic_size = atomic_size,
		.rfd = -1,
		.wfd = -1,
	};

	if (ioctl(sandbox, SBPIPE_IOC_CREATE, &arg))
		return -1;
	fds[0] = arg.rfd;
	fds[1] = arg.wfd;
	return 0;
}

static inline int sbpipe_stats(int sandbox, struct sbpipe_stats *stats)
{
	memset(stats, 0xff, sizeof(*stats));
	return ioctl(sandbox, SBPIPE_IOC_STATS, stats);
}

static inline int sbpipe_info(int fd, struct sbpipe_info *info)
{
	memset(info, 0xff, sizeof(*info));
	return ioctl(fd, SBPIPE_IOC_INFO, info);
}

/* Sets the ring size of the pipe of end @fd; -1 with errno on failure. */
static inline int sbpipe_set_size(int fd, unsigned int size)
{
	struct sbpipe_size arg = { .size = size };

	return ioctl(fd, SBPIPE_IOC_SET_SIZE, &arg);
}

/* The number of descriptors open in this process, -1 on error. */
static inline int count_open_fds(void)
{
	struct dirent *entry;
	int count = 0;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((entry = readdir(dir)))
		if (entry->d_name[0] != '.')
			count++;
	closedir(dir);

	/* The directory's own descriptor was counted too. */
	return count - 1;
}

static inline int sbpipe_param_open(const char *name, int flags)
{
	char path[128];

	snprintf(path, sizeof(path), SBPIPE_PARAMS "%s", name);
	return open(path, flags | O_CLOEXEC);
}

/* Reads the number in file @dir@name; returns 0 or -1 with errno set. */
static inline int read_number(const char *dir, const char *name,
			      unsigned long long *val)
{
	char path[128], buf[32];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	*val = strtoull(buf, NULL, 0);
	return 0;
}

/*
 * The watchdog of a long test: when it expires it says so in TAP and
 * kills the test's whole process group, so that a hang fails the test
 * instead of running into the kselftest runner's timeout.
 */
static inline void sbpipe_watchdog_expired(int sig)
{
	static const char msg[] = "Bail out! the watchdog expired\n";

	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	kill(0, SIGKILL);
	_exit(1);
}

/* Puts the caller in a process group of its own and arms the watchdog. */
static inline void sbpipe_watchdog_arm(unsigned int seconds)
{
	setpgid(0, 0);
	signal(SIGALRM, sbpipe_watchdog_expired);
	alarm(seconds);
}

/*
 * For a test without the harness's fixtures: exits with a skip, as
 * kselftests do, when sbpipe is not loaded.
 */
static inline void sbpipe_skip_unless_loaded(void)
{
	int fd = sbpipe_open_sandbox();

	if (fd < 0 && sbpipe_missing(errno))
		ksft_exit_skip("%s missing: sbpipe is not loaded\n",
			       SBPIPE_DEV);
	if (fd >= 0)
		close(fd);
}

/* Reads a module parameter of sbpipe; returns 0 or -1 with errno set. */
static inline int sbpipe_param_read(const char *name, unsigned long long *val)
{
	return read_number(SBPIPE_PARAMS, name, val);
}

/* Reads a module-wide counter of sbpipe; returns 0 or -1 with errno set. */
static inline int sbpipe_counter_read(const char *name,
				      unsigned long long *val)
{
	return read_number(SBPIPE_COUNTERS, name, val);
}

static inline int sbpipe_param_write(const char *name, unsigned long long val)
{
	char buf[32];
	ssize_t len;
	int fd;

	fd = sbpipe_param_open(name, O_WRONLY);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%llu\n", val);
	if (write(fd, buf, len) != len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * The scheduler state letter of a task ('R', 'S', ...) from @path, a
 * /proc/.../stat file, or 0 when it cannot be read.
 */
static inline char task_state(const char *path)
{
	char buf[512], *paren;
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';

	/* The command name may hold spaces and parentheses: skip past it. */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

/*
 * Waits until thread @tid of this process, or process @tid when @process
 * is true, sleeps interruptibly, which is how a reader or writer waits on
 * a pipe. Returns false after SBPIPE_WAIT_MS without that.
 */
static inline bool wait_until_sleeping(pid_t tid, bool process)
{
	char path[64];
	int waited;

	if (process)
		snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	else
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (waited = 0; waited < SBPIPE_WAIT_MS; waited += 5) {
		if (task_state(path) == 'S')
			return true;
		sleep_ms(5);
	}
	return false;
}

/*
 * Waits up to @ms for child @pid to end. Returns its status, or -1 after
 * killing and reaping it when it did not end in time.
 */
static inline int wait_child(pid_t pid, unsigned int ms)
{
	unsigned int waited;
	int status;

	for (waited = 0; waited <= ms; waited += 5) {
		pid_t ret = waitpid(pid, &status, WNOHANG);

		if (ret == pid)
			return status;
		if (ret < 0)
			return -1;
		sleep_ms(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Removes @cap from every capability set of the calling thread. */
static inline int drop_capability(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &hdr, data);
}

static inline bool has_capability(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

/*
 * Turns the calling process into nobody with no capabilities left, as an
 * unprivileged sandbox runtime would be.
 */
static inline int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(SBPIPE_NOBODY) ||
	    setuid(SBPIPE_NOBODY))
		return -1;
	return has_capability(CAP_SYS_RESOURCE) ? -1 : 0;
}

/*
 * Reads the value of line "@key:" of /proc/self/fdinfo/@fd into @val.
 * Returns 0, or -1 when the file cannot be read or has no such line.
 */
static inline int fdinfo_value(int fd, const char *key,
			       unsigned long long *val)
{
	char path[64], line[256];
	size_t keylen = strlen(key);
	int ret = -1;
	FILE *file;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	file = fopen(path, "re");
	if (!file)
		return -1;
	while (fgets(line, sizeof(line), file)) {
		if (!strncmp(line, key, keylen) && line[keylen] == ':') {
			*val = strtoull(line + keylen + 1, NULL, 0);
			ret = 0;
			break;
		}
	}
	fclose(file);
	return ret;
}

/* The byte at offset @off of the stream the tests write. */
static inline unsigned char pattern_byte(size_t off)
{
	return off % 251;
}

static inline void pattern_fill(unsigned char *buf, size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(off + i);
}

/* Whether @buf holds the pattern from stream offset @off on. */
static inline bool pattern_matches(const unsigned char *buf, size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pattern_byte(off + i))
			return false;
	return true;
}

static inline int set_nonblocking(int fd, bool nonblocking)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	if (nonblocking)
		flags |= O_NONBLOCK;
	else
		flags &= ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags);
}

/*
 * Writes the pattern into @wfd without blocking until the pipe is full,
 * from stream offset @off on. Returns the bytes written, or -1 when a write
 * fails with something other than EAGAIN.
 */
static inline ssize_t fill_pipe(int wfd, size_t off)
{
	/* Above the atomic size, so that the last write fills what is left. */
	unsigned char buf[2 * PIPE_BUF];
	size_t total = 0;
	ssize_t ret;

	if (set_nonblocking(wfd, true))
		return -1;
	for (;;) {
		pattern_fill(buf, off + total, sizeof(buf));
		ret = write(wfd, buf, sizeof(buf));
		if (ret <= 0)
			break;
		total += ret;
	}
	if (ret < 0 && errno != EAGAIN)
		return -1;
	if (set_nonblocking(wfd, false))
		return -1;
	return total;
}

static inline int block_sigpipe(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

/*
 * A read or a write run by a thread of its own, so that the test can wake
 * it while it is blocked and check how it returned.
 */
struct blocked_io {
	int fd;			/* the end to read from or write to */
	bool write;		/* write @len bytes of @buf rather than read */
	void *buf;		/* data to write, or room for what is read */
	size_t len;		/* bytes to move */
	pid_t tid;		/* the thread's id, 0 until it runs */
	ssize_t ret;		/* what read() or write() returned */
	int err;		/* errno after that call */
	pthread_t thread;	/* the thread doing the call */
};

static inline void *blocked_io_run(void *arg)
{
	struct blocked_io *io = arg;

	__atomic_store_n(&io->tid, gettid(), __ATOMIC_RELEASE);
	if (io->write)
		io->ret = write(io->fd, io->buf, io->len);
	else
		io->ret = read(io->fd, io->buf, io->len);
	io->err = errno;
	return NULL;
}

/* Starts @io and waits until its thread sleeps; false if it never does. */
static inline bool blocked_io_start(struct blocked_io *io)
{
	pid_t tid;

	io->tid = 0;
	if (pthread_create(&io->thread, NULL, blocked_io_run, io))
		return false;
	while (!(tid = __atomic_load_n(&io->tid, __ATOMIC_ACQUIRE)))
		sleep_ms(1);
	return wait_until_sleeping(tid, false);
}

/* Waits for @io's call to return; false if it does not in time. */
static inline bool blocked_io_finish(struct blocked_io *io)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += SBPIPE_WAIT_MS / 1000;
	return !pthread_timedjoin_np(io->thread, NULL, &deadline);
}

#endif /* SBPIPE_HELPERS_H */
