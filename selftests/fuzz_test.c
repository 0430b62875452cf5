// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer over /dev/sbpipe and its fds. Each worker keeps a table
 * of open fds of every kind (sandboxes, sbpipe ends, native pipe ends, a
 * memfd, /dev/null, an epoll fd) and applies random operations to random
 * ones: every sandbox and pipe ioctl, FIONREAD and unknown numbers, with
 * arguments that are sane, random, out of range, with reserved bits set,
 * or bad pointers; read, write, readv, writev, poll, epoll, fcntl (flags,
 * F_SETPIPE_SZ), splice, tee, dup, close, fork, and signals landing in the
 * middle of blocking calls.
 *
 * Each call's errno must be one that call may return; a new pipe's fds
 * must be FIFOs; what INFO and STATS return must be consistent. After the
 * workers close everything, no fd may be left open and the module's
 * counts of sandboxes and pipes must be back where they were. The
 * kernel's log is checked by whoever runs the guest.
 *
 * Usage: fuzz_test [--seed N] [--ops N] [--procs N]
 * Worker i runs with seed N + i; a failure prints the seed and the
 * command line that replays it alone. SBPIPE_FUZZ_OPS sets --ops (total
 * over all workers, default 1000000).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sbpipe.h>

#include "kselftest.h"
#include "sbpipe_helpers.h"

#define FUZZ_DEFAULT_OPS	1000000ULL
#define FUZZ_DEFAULT_PROCS	4
/* The watchdog: far above what a run takes even under TCG. */
#define FUZZ_TIMEOUT_SECONDS	560
#define SLOTS			24
#define BUF_SIZE		(128 << 10)

enum kind {
	K_NONE,
	K_SANDBOX,
	K_SBPIPE_R,
	K_SBPIPE_W,
	K_NATIVE_R,
	K_NATIVE_W,
	K_MEMFD,
	K_DEVNULL,
	K_EPOLL,
};

struct slot {
	int fd;
	enum kind kind;
};

/* One worker's state; a forked child carries on with a copy. */
struct fuzz {
	__u64 seed;
	__u64 rnd;
	__u64 op;		/* operations done */
	struct slot slots[SLOTS];
	unsigned char *buf;	/* BUF_SIZE bytes, readable and writable */
	unsigned char *ro;	/* a read-only page */
	unsigned char *none;	/* a page that faults, after buf's end */
	bool child;
};

static unsigned long signals;	/* caught, for a look in a debugger */
static const char *prog;

static __u64 rnd(struct fuzz *f)
{
	__u64 x = f->rnd;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	f->rnd = x;
	return x;
}

static unsigned int pick(struct fuzz *f, unsigned int n)
{
	return rnd(f) % n;
}

static __noreturn __printf(2, 3) void die(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL at op %llu of seed %llu: ", (unsigned long long)f->op,
	       (unsigned long long)f->seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# replay: %s --seed %llu --procs 1 --ops %llu\n", prog,
	       (unsigned long long)f->seed, (unsigned long long)f->op + 1);
	fflush(stdout);
	_exit(1);
}

/* Fails unless the call succeeded or failed with one of @allowed (0-ended). */
static long check(struct fuzz *f, const char *what, long ret,
		  const int *allowed)
{
	int err = errno, i;

	if (ret >= 0)
		return ret;
	for (i = 0; allowed[i]; i++)
		if (err == allowed[i])
			return ret;
	die(f, "%s: unexpected errno %d (%s)", what, err, strerror(err));
}

static const int io_errs[] = { EAGAIN, EINTR, EFAULT, EBADF, EINVAL, EPIPE,
			       ENOMEM, 0 };
static const int ioctl_errs[] = { ENOTTY, EINVAL, EFAULT, EBADF, EPERM,
				  EBUSY, ENODEV, EMFILE, ENFILE, ENOMEM,
				  EINTR, 0 };
static const int splice_errs[] = { EAGAIN, EINTR, EFAULT, EBADF, EINVAL,
				   EPIPE, ESPIPE, ENOMEM, 0 };
static const int fcntl_errs[] = { EBADF, EINVAL, EPERM, EBUSY, ENOMEM,
				  EMFILE, 0 };
static const int epoll_errs[] = { EBADF, EEXIST, ENOENT, EPERM, EINVAL,
				  ENOMEM, ELOOP, 0 };
static const int dup_errs[] = { EBADF, EMFILE, 0 };
static const int poll_errs[] = { EINTR, EFAULT, EINVAL, 0 };

static void on_signal(int sig)
{
	__atomic_fetch_add(&signals, 1, __ATOMIC_RELAXED);
}

/*
 * A signal within a few ms, to interrupt whatever blocks, and again every
 * ms, in case the first came before the call went to sleep.
 */
static void arm(struct fuzz *f)
{
	struct itimerval it = {
		.it_value = { .tv_usec = 50 + pick(f, 250) },
		.it_interval = { .tv_usec = 1000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

static struct slot *slot_any(struct fuzz *f)
{
	return &f->slots[pick(f, SLOTS)];
}

/* An fd to act on: mostly a live one, sometimes a stale or bogus one. */
static int fd_any(struct fuzz *f)
{
	switch (pick(f, 32)) {
	case 0:
		return -1;
	case 1:
		return 1000 + pick(f, 100);
	default:
		return slot_any(f)->fd;
	}
}

static void slot_close(struct slot *s)
{
	if (s->kind != K_NONE)
		close(s->fd);
	s->fd = -1;
	s->kind = K_NONE;
}

/* A free slot, emptying a random one when none is. */
static struct slot *slot_free(struct fuzz *f)
{
	struct slot *s = slot_any(f);
	int i;

	for (i = 0; i < SLOTS; i++)
		if (f->slots[i].kind == K_NONE)
			return &f->slots[i];
	slot_close(s);
	return s;
}

static void slot_set(struct fuzz *f, struct slot *s, int fd, enum kind kind)
{
	if (fd < 0)
		return;
	s->fd = fd;
	s->kind = kind;
}

/* Sizes around every boundary the module has. */
static __u32 size_any(struct fuzz *f)
{
	static const __u32 sizes[] = {
		0, 1, 2, 3, 4, 5, 4095, 4096, 4097, 65536, 1 << 20,
		(1 << 20) + 1, 0x3ffffffb, 0x3ffffffc, 0x40000000,
		0x7fffffff, 0x80000000, 0xffffffff,
	};

	if (pick(f, 4))
		return sizes[pick(f, ARRAY_SIZE(sizes))];
	return pick(f, 2) ? pick(f, 70000) : (__u32)rnd(f);
}

/* A pointer for the kernel to use: good, read-only, unmapped or wild. */
static void *ptr_any(struct fuzz *f, size_t len)
{
	switch (pick(f, 16)) {
	case 0:
		return NULL;
	case 1:
		return f->ro;
	case 2:
		return f->none;
	case 3:
		/* Starts mapped, runs into the page that faults. */
		return f->none - (len > 1 ? 1 + pick(f, len - 1) : 1);
	case 4:
		return (void *)0xffff888000000000UL;
	case 5:
		/*
		 * Wild, but in the kernel's half, so that it always faults:
		 * a random user address could land on the fuzzer's own
		 * memory, which a read would then legitimately overwrite.
		 */
		return (void *)(unsigned long)(rnd(f) | 1ULL << 63);
	default:
		return f->buf + pick(f, 64);
	}
}

/* Fills @arg as the ioctl @cmd expects it, then spoils it now and then. */
static void ioctl_arg_fill(struct fuzz *f, unsigned int cmd, void *arg)
{
	static const __u32 flags[] = {
		0, O_NONBLOCK, O_CLOEXEC, O_DIRECT, O_NONBLOCK | O_DIRECT,
		O_APPEND, 0x80000000,
	};
	union {
		struct sbpipe_create create;
		struct sbpipe_size size;
		struct sbpipe_peek peek;
		struct sbpipe_limits limits;
	} *u = arg;

	memset(arg, 0, 256);
	switch (cmd) {
	case SBPIPE_IOC_CREATE:
		u->create.flags = flags[pick(f, ARRAY_SIZE(flags))];
		u->create.size = pick(f, 2) ? pick(f, 70000) : size_any(f);
		u->create.atomic_size = pick(f, 2) ? 0 : size_any(f);
		break;
	case SBPIPE_IOC_SET_SIZE:
		u->size.size = pick(f, 2) ? 1 + pick(f, 70000) : size_any(f);
		break;
	case SBPIPE_IOC_PEEK:
		u->peek.len = pick(f, 2) ? pick(f, 8192) : size_any(f);
		u->peek.offset = pick(f, 2) ? 0 : size_any(f);
		u->peek.buf = (unsigned long)ptr_any(f, u->peek.len);
		break;
	case SBPIPE_IOC_SET_LIMITS:
		u->limits.max_pipes = pick(f, 2) ? 4096 : size_any(f);
		u->limits.max_size = pick(f, 2) ? 1 << 20 : size_any(f);
		u->limits.max_bytes = pick(f, 2) ? 64 << 20 : rnd(f);
		u->limits.flags = pick(f, 4) ? 0 : (__u32)rnd(f) & 0xf;
		break;
	}
	/* Reserved fields and random bits. */
	if (!pick(f, 8))
		((unsigned char *)arg)[pick(f, 64)] = rnd(f);
}

static void check_info(struct fuzz *f, const struct sbpipe_info *info)
{
	if (!info->size || info->atomic_size > info->size ||
	    (info->flags & ~(SBPIPE_INFO_PACKET | SBPIPE_INFO_SHUTDOWN)) ||
	    info->bytes_read > info->bytes_written ||
	    info->__reserved[0] || info->__reserved[3])
		die(f, "INFO: size %u atomic %u flags %#x written %llu read %llu",
		    info->size, info->atomic_size, info->flags,
		    (unsigned long long)info->bytes_written,
		    (unsigned long long)info->bytes_read);
}

static void check_stats(struct fuzz *f, const struct sbpipe_stats *st)
{
	if (st->flags & ~0x7U || st->__reserved || st->__reserved2[0] ||
	    st->pipes > st->pipes_created)
		die(f, "STATS: flags %#x pipes %llu of %llu created", st->flags,
		    (unsigned long long)st->pipes,
		    (unsigned long long)st->pipes_created);
}

static void op_ioctl(struct fuzz *f)
{
	static const unsigned int cmds[] = {
		SBPIPE_IOC_CREATE, SBPIPE_IOC_GET_LIMITS,
		SBPIPE_IOC_SET_LIMITS, SBPIPE_IOC_STATS, SBPIPE_IOC_SHUTDOWN,
		SBPIPE_IOC_INFO, SBPIPE_IOC_GET_SIZE, SBPIPE_IOC_SET_SIZE,
		SBPIPE_IOC_PEEK, FIONREAD,
		_IO(SBPIPE_IOC_MAGIC, 0x05), _IO(SBPIPE_IOC_MAGIC, 0x24),
		_IOWR(SBPIPE_IOC_MAGIC, 0x00, struct sbpipe_info),
		_IOR(SBPIPE_IOC_MAGIC, 0x20, struct sbpipe_size),
		_IOW(SBPIPE_IOC_MAGIC, 0xff, __u64), FIONBIO, FIOASYNC,
	};
	struct slot *s = slot_any(f);
	unsigned int cmd;
	void *arg = f->buf;
	int fd = s->fd;
	long ret;

	/* The sandbox ioctls mostly where they belong, shutdown rarely. */
	if (!pick(f, 16)) {
		cmd = rnd(f);
	} else {
		cmd = cmds[pick(f, ARRAY_SIZE(cmds))];
		if (cmd == SBPIPE_IOC_SHUTDOWN && pick(f, 8))
			cmd = SBPIPE_IOC_STATS;
	}
	if (cmd == FIONBIO || cmd == FIOASYNC)
		*(int *)f->buf = pick(f, 2);
	else
		ioctl_arg_fill(f, cmd, f->buf);
	if (!pick(f, 10))
		arg = ptr_any(f, 128);
	if (!pick(f, 32))
		fd = fd_any(f);

	/* On success @arg is memory the kernel could write: ours. */
	ret = check(f, "ioctl", ioctl(fd, cmd, arg), ioctl_errs);
	if (ret)
		return;
	if (cmd == SBPIPE_IOC_CREATE) {
		struct sbpipe_create *c = arg;
		struct stat st;
		int rfd = c->rfd, wfd = c->wfd;

		if (fstat(rfd, &st) || !S_ISFIFO(st.st_mode) ||
		    fstat(wfd, &st) || !S_ISFIFO(st.st_mode))
			die(f, "CREATE returned fds %d %d, not FIFOs", rfd,
			    wfd);
		/* The second may evict the first: then it is closed. */
		slot_set(f, slot_free(f), rfd, K_SBPIPE_R);
		slot_set(f, slot_free(f), wfd, K_SBPIPE_W);
	} else if (cmd == SBPIPE_IOC_INFO) {
		check_info(f, arg);
	} else if (cmd == SBPIPE_IOC_STATS) {
		check_stats(f, arg);
	} else if (cmd == FIONREAD && *(int *)arg < 0) {
		die(f, "FIONREAD %d", *(int *)arg);
	}
}

static void op_open(struct fuzz *f)
{
	struct slot *s = slot_free(f);
	int fds[2];

	switch (pick(f, 5)) {
	case 0:
	case 1:
		slot_set(f, s, open(SBPIPE_DEV, O_RDWR | O_CLOEXEC),
			 K_SANDBOX);
		if (s->kind == K_NONE)
			die(f, "open %s: %s", SBPIPE_DEV, strerror(errno));
		break;
	case 2:
		if (pipe2(fds, O_CLOEXEC | (pick(f, 2) ? O_NONBLOCK : 0)))
			die(f, "pipe2: %s", strerror(errno));
		slot_set(f, s, fds[0], K_NATIVE_R);
		slot_set(f, slot_free(f), fds[1], K_NATIVE_W);
		break;
	case 3:
		slot_set(f, s, memfd_create("fuzz", MFD_CLOEXEC), K_MEMFD);
		break;
	default:
		if (pick(f, 2))
			slot_set(f, s, epoll_create1(EPOLL_CLOEXEC), K_EPOLL);
		else
			slot_set(f, s, open("/dev/null", O_RDWR | O_CLOEXEC),
				 K_DEVNULL);
		break;
	}
}

static void iov_fill(struct fuzz *f, struct iovec *iov, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		iov[i].iov_len = pick(f, 4) ? pick(f, 5000) : pick(f, 70000);
		iov[i].iov_base = pick(f, 12) ? f->buf + pick(f, 4096) :
				  ptr_any(f, iov[i].iov_len);
	}
}

static void op_io(struct fuzz *f, bool write_op)
{
	size_t len = pick(f, 4) ? pick(f, 4100) : pick(f, BUF_SIZE - 4096);
	void *p = pick(f, 16) ? f->buf : ptr_any(f, len);
	int fd = slot_any(f)->fd;
	struct iovec iov[4];
	int iovcnt = 1 + pick(f, 4);
	long ret;

	arm(f);
	if (pick(f, 4)) {
		ret = write_op ? write(fd, p, len) : read(fd, p, len);
	} else {
		iov_fill(f, iov, iovcnt);
		ret = write_op ? writev(fd, iov, iovcnt) :
				 readv(fd, iov, iovcnt);
	}
	disarm();
	check(f, write_op ? "write" : "read", ret, io_errs);
}

static void op_poll(struct fuzz *f)
{
	struct pollfd pfd[4];
	struct epoll_event ev[4];
	int i, n = 1 + pick(f, 4), ep = -1;

	for (i = 0; i < SLOTS; i++)
		if (f->slots[i].kind == K_EPOLL)
			ep = f->slots[i].fd;
	if (ep >= 0 && pick(f, 2)) {
		ev[0].events = rnd(f) & (EPOLLIN | EPOLLOUT | EPOLLET |
					 EPOLLONESHOT | EPOLLRDHUP);
		check(f, "epoll_ctl",
		      epoll_ctl(ep, 1 + pick(f, 3), fd_any(f), ev),
		      epoll_errs);
		check(f, "epoll_wait", epoll_wait(ep, ev, 4, 0), poll_errs);
		return;
	}
	for (i = 0; i < n; i++) {
		pfd[i].fd = fd_any(f);
		pfd[i].events = rnd(f);
	}
	check(f, "poll", poll(pfd, n, pick(f, 8) ? 0 : 1), poll_errs);
}

static void op_fcntl(struct fuzz *f)
{
	static const int fl[] = { 0, O_NONBLOCK, O_DIRECT, O_APPEND, O_ASYNC,
				  O_NOATIME };
	int fd = fd_any(f), flags;

	switch (pick(f, 5)) {
	case 0:
		flags = fcntl(fd, F_GETFL);
		flags ^= fl[pick(f, ARRAY_SIZE(fl))];
		if (flags >= 0)
			check(f, "F_SETFL", fcntl(fd, F_SETFL, flags),
			      fcntl_errs);
		break;
	case 1:
		check(f, "F_SETPIPE_SZ",
		      fcntl(fd, F_SETPIPE_SZ, (int)size_any(f)), fcntl_errs);
		break;
	case 2:
		check(f, "F_GETPIPE_SZ", fcntl(fd, F_GETPIPE_SZ), fcntl_errs);
		break;
	case 3:
		check(f, "F_SETOWN", fcntl(fd, F_SETOWN, getpid()),
		      fcntl_errs);
		break;
	default:
		check(f, "F_SETFD", fcntl(fd, F_SETFD, pick(f, 2)),
		      fcntl_errs);
		break;
	}
}

static void op_splice(struct fuzz *f)
{
	unsigned int flags = pick(f, 2) ? SPLICE_F_NONBLOCK : 0;
	size_t len = pick(f, 70000);
	int in = fd_any(f), out = fd_any(f);
	long ret;

	arm(f);
	if (pick(f, 4))
		ret = splice(in, NULL, out, NULL, len, flags);
	else
		ret = tee(in, out, len, flags);
	disarm();
	check(f, "splice", ret, splice_errs);
}

static void op_dup(struct fuzz *f)
{
	struct slot *to = slot_free(f), *from = slot_any(f);
	int fd;

	/* slot_free() may have emptied @from; then there is nothing to dup. */
	if (from->kind == K_NONE)
		return;
	fd = check(f, "dup", fcntl(from->fd, F_DUPFD_CLOEXEC, 0), dup_errs);
	slot_set(f, to, fd, from->kind);
}

static void run_ops(struct fuzz *f, __u64 ops);

/* A child carries on with a copy of every fd for a while, then exits. */
static void op_fork(struct fuzz *f)
{
	pid_t pid;
	int status;

	if (f->child)
		return;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die(f, "fork: %s", strerror(errno));
	if (!pid) {
		f->child = true;
		f->rnd ^= 0x9e3779b97f4a7c15ULL;
		run_ops(f, f->op + 200);
		_exit(0);
	}
	status = wait_child(pid, 60000);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		die(f, "forked child failed (status %#x)", status);
}

static void op_one(struct fuzz *f)
{
	unsigned int r = pick(f, 1000);

	if (r < 300)
		op_ioctl(f);
	else if (r < 420)
		op_io(f, true);
	else if (r < 540)
		op_io(f, false);
	else if (r < 620)
		op_poll(f);
	else if (r < 700)
		op_fcntl(f);
	else if (r < 780)
		op_splice(f);
	else if (r < 830)
		op_dup(f);
	else if (r < 900)
		slot_close(slot_any(f));
	else if (r < 990)
		op_open(f);
	else if (r < 998)
		kill(getpid(), pick(f, 2) ? SIGUSR1 : SIGIO);
	else if (!pick(f, 8))
		op_fork(f);
}

static void run_ops(struct fuzz *f, __u64 ops)
{
	while (f->op < ops) {
		op_one(f);
		f->op++;
	}
}

static int fuzz_setup(struct fuzz *f, __u64 seed)
{
	unsigned char *map;
	int i;

	memset(f, 0, sizeof(*f));
	f->seed = seed;
	f->rnd = seed * 0x2545f4914f6cdd1dULL + 1;
	for (i = 0; i < SLOTS; i++)
		f->slots[i].fd = -1;
	map = mmap(NULL, BUF_SIZE + 2 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -1;
	f->buf = map;
	f->ro = map + BUF_SIZE;
	f->none = map + BUF_SIZE + 4096;
	if (mprotect(f->ro, 4096, PROT_READ) ||
	    mprotect(f->none, 4096, PROT_NONE))
		return -1;
	return 0;
}

/* A worker: its ops, then everything closed and no fd left behind. */
static int fuzz_worker(__u64 seed, __u64 ops)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct fuzz f;
	int fds, i;

	/* No SA_RESTART: the signals are there to interrupt calls. */
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGIO, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	/*
	 * Without CAP_SYS_RESOURCE the module's max_size holds, so that no
	 * pipe can grow to a ring the guest has no memory for.
	 */
	if (drop_capability(CAP_SYS_RESOURCE))
		return 1;
	fds = count_open_fds();
	if (fuzz_setup(&f, seed))
		return 1;

	run_ops(&f, ops);

	for (i = 0; i < SLOTS; i++)
		slot_close(&f.slots[i]);
	if (count_open_fds() != fds)
		die(&f, "%d fds open after closing all, %d before",
		    count_open_fds(), fds);
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("SBPIPE_FUZZ_OPS");
	__u64 seed = time(NULL) ^ (__u64)getpid() << 20;
	__u64 ops = env && *env ? strtoull(env, NULL, 0) : FUZZ_DEFAULT_OPS;
	unsigned long long sandboxes, pipes, sandboxes_after, pipes_after;
	int procs = FUZZ_DEFAULT_PROCS, i, bad = 0;
	struct timespec t0, t1;
	pid_t pid[64];

	prog = argv[0];
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--ops"))
			ops = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--procs"))
			procs = atoi(argv[i + 1]);
		else
			break;
	}
	if (i != argc || procs < 1 || procs > 64)
		ksft_exit_fail_msg("usage: %s [--seed N] [--ops N] [--procs N]\n",
				   argv[0]);

	ksft_print_header();
	sbpipe_skip_unless_loaded();
	ksft_set_plan(2);
	ksft_print_msg("seed %llu, %llu ops over %d processes\n",
		       (unsigned long long)seed, (unsigned long long)ops,
		       procs);
	if (sbpipe_counter_read("sandboxes", &sandboxes) ||
	    sbpipe_counter_read("pipes", &pipes))
		ksft_exit_fail_msg("cannot read the module's counters: %s\n",
				   strerror(errno));

	sbpipe_watchdog_arm(FUZZ_TIMEOUT_SECONDS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(stdout);
	for (i = 0; i < procs; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (!pid[i])
			_exit(fuzz_worker(seed + i, ops / procs +
					  (i < (int)(ops % procs))));
	}
	for (i = 0; i < procs; i++) {
		int status;

		if (waitpid(pid[i], &status, 0) != pid[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			ksft_print_msg("worker with seed %llu failed (status %#x)\n",
				       (unsigned long long)(seed + i), status);
			bad++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	alarm(0);

	ksft_print_msg("ops=%llu seconds=%.1f\n", (unsigned long long)ops,
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	ksft_test_result(!bad, "random_operations_with_expected_errnos\n");
	ksft_test_result(!sbpipe_counter_read("sandboxes", &sandboxes_after) &&
			 !sbpipe_counter_read("pipes", &pipes_after) &&
			 sandboxes_after == sandboxes && pipes_after == pipes,
			 "no_sandbox_or_pipe_left_after_closing_all\n");
	ksft_finished();
}
