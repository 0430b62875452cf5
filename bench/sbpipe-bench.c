// SPDX-License-Identifier: GPL-2.0
/*
 * sbpipe-bench: sbpipe pipes against native pipes and AF_UNIX socketpairs,
 * measured side by side in one run.
 *
 * Guest timings swing with the host's load, so every test runs in rounds,
 * and each round runs every kind once, one after the other (native, sbpipe,
 * socketpair, native, ...): a change in the host's load hits all kinds of a
 * round alike, and the ratio of medians stays meaningful when the absolute
 * figures do not.
 *
 * Each measurement is one CSV line on stdout (or --csv FILE):
 *	test,param,kind,round,value,unit
 * bench/report turns them into medians, spreads and ratios.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sbpipe.h>

enum bench_kind {
	BENCH_NATIVE,
	BENCH_SBPIPE,
	BENCH_SOCKET,
	BENCH_NR_KINDS,
};

static const char *const bench_kind_names[] = {
	[BENCH_NATIVE] = "native",
	[BENCH_SBPIPE] = "sbpipe",
	[BENCH_SOCKET] = "socketpair",
};

#define KIB		1024UL
#define MIB		(1024UL * 1024UL)
#define FANIN_WRITERS	8
#define FANIN_MSG	512
#define IDLE_PIPES	10000

static struct {
	int rounds;
	double seconds;		/* per measurement */
	int idle_pipes;
	const char *only;	/* run only tests whose name starts so */
	const char *kind;	/* run only this kind */
	FILE *csv;
	int sandbox;		/* /dev/sbpipe, or -1 */
} opt = {
	.rounds = 5,
	.seconds = 0.5,
	.idle_pipes = IDLE_PIPES,
	.sandbox = -1,
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sbpipe-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void emit(const char *test, const char *param, const char *kind,
		 int round, double value, const char *unit)
{
	fprintf(opt.csv, "%s,%s,%s,%d,%.6g,%s\n", test, param, kind, round,
		value, unit);
	fflush(opt.csv);
}

/*
 * A pipe of @kind with room for @size bytes (0: the default), as fds[0] to
 * read and fds[1] to write. Native pipes are sized with F_SETPIPE_SZ,
 * sbpipe ones at creation, socketpairs through their buffer sizes.
 */
static int bench_pipe(enum bench_kind kind, int fds[2], unsigned int size)
{
	struct sbpipe_create create = { .flags = O_CLOEXEC, .size = size };
	int sz = size;

	switch (kind) {
	case BENCH_NATIVE:
		if (pipe2(fds, O_CLOEXEC))
			return -1;
		if (size && fcntl(fds[1], F_SETPIPE_SZ, size) < 0)
			die("F_SETPIPE_SZ %u", size);
		return 0;
	case BENCH_SBPIPE:
		if (ioctl(opt.sandbox, SBPIPE_IOC_CREATE, &create))
			return -1;
		fds[0] = create.rfd;
		fds[1] = create.wfd;
		return 0;
	case BENCH_SOCKET:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
			return -1;
		if (size) {
			setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sz,
				   sizeof(sz));
			setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &sz,
				   sizeof(sz));
		}
		return 0;
	default:
		return -1;
	}
}

static void bench_pipe_or_die(enum bench_kind kind, int fds[2],
			      unsigned int size)
{
	if (bench_pipe(kind, fds, size))
		die("creating a %s pipe", bench_kind_names[kind]);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		buf += n;
		len -= n;
	}
}

static void reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("child %d failed", pid);
}

/* Write @wsize bytes at a time for opt.seconds, then close. */
static void throughput_writer(int fd, size_t wsize)
{
	char *buf = malloc(wsize);
	double end = now() + opt.seconds;
	unsigned long i;

	if (!buf)
		die("malloc");
	memset(buf, 'x', wsize);
	/* Small writes look at the clock now and then, so as not to time it. */
	for (i = 0;; i++) {
		if ((wsize >= 4096 || !(i & 63)) && now() >= end)
			break;
		write_all(fd, buf, wsize);
	}
	_exit(0);
}

/*
 * Bytes per second from a writer process to a reader process. The reader
 * reads up to max(@wsize, 64 KiB) at a time, as cat(1) and most consumers
 * do, and the clock runs from its first byte to EOF.
 */
static double bench_throughput(enum bench_kind kind, size_t wsize,
			       unsigned int bufsize)
{
	size_t rsize = wsize > 64 * KIB ? wsize : 64 * KIB;
	unsigned long long bytes = 0;
	double start = 0;
	int fds[2];
	char *buf;
	pid_t pid;

	bench_pipe_or_die(kind, fds, bufsize);
	buf = malloc(rsize);
	if (!buf)
		die("malloc");
	memset(buf, 0, rsize);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(fds[0]);
		throughput_writer(fds[1], wsize);
	}
	close(fds[1]);

	for (;;) {
		ssize_t n = read(fds[0], buf, rsize);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (!n)
			break;
		if (!start)
			start = now();
		else
			bytes += n;
	}
	bytes = bytes ? bytes : 1;
	start = bytes / (now() - start);
	close(fds[0]);
	free(buf);
	reap(pid);
	return start;
}

/* Microseconds per 1-byte round trip between two processes. */
static double bench_latency(enum bench_kind kind)
{
	int to[2], from[2];
	unsigned long n = 0;
	double start, end;
	char c = 0;
	pid_t pid;

	bench_pipe_or_die(kind, to, 0);
	bench_pipe_or_die(kind, from, 0);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(to[1]);
		close(from[0]);
		while (read(to[0], &c, 1) == 1)
			write_all(from[1], &c, 1);
		_exit(0);
	}
	close(to[0]);
	close(from[1]);

	start = now();
	end = start + opt.seconds;
	do {
		int i;

		for (i = 0; i < 16; i++, n++) {
			write_all(to[1], &c, 1);
			if (read(from[0], &c, 1) != 1)
				die("ping-pong read");
		}
	} while (now() < end);
	end = now();
	close(to[1]);
	close(from[0]);
	reap(pid);
	return (end - start) * 1e6 / n;
}

/*
 * Eight writer processes, one pipe each, and one reader that waits for all
 * of them with level-triggered epoll and reads what each ready pipe holds.
 * Sets *@events to epoll events per second; returns bytes per second.
 */
static double bench_fanin(enum bench_kind kind, double *events)
{
	pid_t pids[FANIN_WRITERS];
	unsigned long long bytes = 0, nev = 0;
	struct epoll_event ev[FANIN_WRITERS];
	int ep, open_fds = FANIN_WRITERS, i;
	char *buf = malloc(64 * KIB);
	double start, secs;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || !buf)
		die("epoll_create1");
	for (i = 0; i < FANIN_WRITERS; i++) {
		struct epoll_event e = { .events = EPOLLIN };
		int fds[2];

		bench_pipe_or_die(kind, fds, 0);
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (!pids[i]) {
			close(fds[0]);
			close(ep);
			throughput_writer(fds[1], FANIN_MSG);
		}
		close(fds[1]);
		e.data.fd = fds[0];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &e))
			die("epoll_ctl");
	}

	start = now();
	while (open_fds) {
		int n = epoll_wait(ep, ev, FANIN_WRITERS, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		nev += n;
		for (i = 0; i < n; i++) {
			ssize_t r = read(ev[i].data.fd, buf, 64 * KIB);

			if (r > 0) {
				bytes += r;
			} else if (!r) {
				epoll_ctl(ep, EPOLL_CTL_DEL, ev[i].data.fd,
					  NULL);
				close(ev[i].data.fd);
				open_fds--;
			} else if (errno != EAGAIN && errno != EINTR) {
				die("fan-in read");
			}
		}
	}
	secs = now() - start;
	for (i = 0; i < FANIN_WRITERS; i++)
		reap(pids[i]);
	close(ep);
	free(buf);
	*events = nev / secs;
	return bytes / secs;
}

/* Pipes created and closed per second. */
static double bench_create(enum bench_kind kind)
{
	unsigned long n = 0;
	double start = now(), end = start + opt.seconds;
	int fds[2];

	do {
		int i;

		for (i = 0; i < 32; i++, n++) {
			bench_pipe_or_die(kind, fds, 0);
			close(fds[0]);
			close(fds[1]);
		}
	} while (now() < end);
	return n / (now() - start);
}

/* The /proc/meminfo fields an idle pipe can show up in, in KiB. */
struct bench_meminfo {
	long slab, sunreclaim, kernel_stack, vmalloc, page_tables, used;
};

static void read_meminfo(struct bench_meminfo *mi)
{
	FILE *f = fopen("/proc/meminfo", "r");
	long total = 0, free_kb = 0, v;
	char line[256], name[64];

	if (!f)
		die("/proc/meminfo");
	memset(mi, 0, sizeof(*mi));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %ld", name, &v) != 2)
			continue;
		if (!strcmp(name, "Slab"))
			mi->slab = v;
		else if (!strcmp(name, "SUnreclaim"))
			mi->sunreclaim = v;
		else if (!strcmp(name, "KernelStack"))
			mi->kernel_stack = v;
		else if (!strcmp(name, "VmallocUsed"))
			mi->vmalloc = v;
		else if (!strcmp(name, "PageTables"))
			mi->page_tables = v;
		else if (!strcmp(name, "MemTotal"))
			total = v;
		else if (!strcmp(name, "MemFree"))
			free_kb = v;
	}
	mi->used = total - free_kb;
	fclose(f);
}

/* Wait for RCU-freed dentries, inodes and files of earlier tests. */
static void settle(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	usleep(200000);
	if (fd >= 0) {
		/* Only slab objects: the page cache is the host's 9p files. */
		if (write(fd, "2", 1) < 0)
			fprintf(stderr, "sbpipe-bench: drop_caches failed\n");
		close(fd);
	}
	usleep(100000);
}

/*
 * Kernel memory per pipe, in bytes, from the kernel's own counters around
 * the creation of opt.idle_pipes pipes: idle ones (created, never written)
 * or, with @carried, ones that have each carried a 100-byte message, now
 * read, as a pipe between two processes that talk little is most of the
 * time. The ring's memory, or a native pipe's pages, are page allocations
 * or large kmallocs outside Slab: mem_used is the figure that sees them.
 */
static void bench_memory(enum bench_kind kind, int round, bool carried)
{
	int n = opt.idle_pipes, *fds = malloc(2 * n * sizeof(int)), i;
	const char *name = bench_kind_names[kind];
	const char *param = carried ? "carried" : "idle";
	struct bench_meminfo a, b;
	char msg[100] = { 0 };

	if (!fds)
		die("malloc");
	settle();
	read_meminfo(&a);
	for (i = 0; i < n; i++) {
		bench_pipe_or_die(kind, fds + 2 * i, 0);
		if (carried &&
		    (write(fds[2 * i + 1], msg, sizeof(msg)) != sizeof(msg) ||
		     read(fds[2 * i], msg, sizeof(msg)) != sizeof(msg)))
			die("message");
	}
	read_meminfo(&b);
	for (i = 0; i < 2 * n; i++)
		close(fds[i]);
	free(fds);

	emit("mem_used", param, name, round, (b.used - a.used) * 1024.0 / n,
	     "B/pipe");
	if (carried)
		return;
	emit("mem_slab", param, name, round,
	     (b.slab - a.slab) * 1024.0 / n, "B/pipe");
	emit("mem_sunreclaim", param, name, round,
	     (b.sunreclaim - a.sunreclaim) * 1024.0 / n, "B/pipe");
	emit("mem_kernel", param, name, round,
	     (b.slab - a.slab + b.kernel_stack - a.kernel_stack +
	      b.vmalloc - a.vmalloc + b.page_tables - a.page_tables) *
	     1024.0 / n, "B/pipe");
}

/* Bytes per second of memcpy in 64 KiB blocks through 1 MiB buffers. */
static double memcpy_rate(void)
{
	char *src = malloc(MIB), *dst = malloc(MIB);
	unsigned long long bytes = 0;
	double start, end;
	size_t off = 0;

	if (!src || !dst)
		die("malloc");
	memset(src, 'x', MIB);
	memset(dst, 0, MIB);
	start = now();
	end = start + opt.seconds;
	do {
		int i;

		for (i = 0; i < 16; i++) {
			memcpy(dst + off, src + off, 64 * KIB);
			off = (off + 64 * KIB) % MIB;
			bytes += 64 * KIB;
		}
		/* Keep the copies from being optimised away. */
		__asm__ volatile("" : : "r"(dst) : "memory");
	} while (now() < end);
	end = now();
	free(src);
	free(dst);
	return bytes / (end - start);
}

/*
 * The memcpy baseline, measured in a freshly executed copy of this
 * program. NOTE: in a TCG guest, the same loop run in this process once it
 * has forked the throughput tests' writers goes 5 to 20 times slower (with
 * heap or freshly mapped buffers alike), far below what the pipes move
 * with two copies per byte; the cause is not understood, and a fresh
 * process measures what the hardware, as emulated, can copy.
 */
static double bench_memcpy(void)
{
	char seconds[32], result[64];
	int fds[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		die("pipe2");
	snprintf(seconds, sizeof(seconds), "%g", opt.seconds);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		execl("/proc/self/exe", "sbpipe-bench", "--memcpy-only",
		      "--seconds", seconds, (char *)NULL);
		die("exec");
	}
	close(fds[1]);
	n = read(fds[0], result, sizeof(result) - 1);
	close(fds[0]);
	reap(pid);
	if (n <= 0)
		die("reading the memcpy rate");
	result[n] = 0;
	return atof(result);
}

static int want(const char *test)
{
	return !opt.only || !strncmp(test, opt.only, strlen(opt.only));
}

static int want_kind(int kind)
{
	return !opt.kind || !strcmp(opt.kind, bench_kind_names[kind]);
}

static const char *size_name(unsigned long n)
{
	static char bufs[4][16];
	static int next;
	char *s = bufs[next++ % 4];

	if (n >= MIB)
		snprintf(s, 16, "%luM", n / MIB);
	else if (n >= KIB)
		snprintf(s, 16, "%luK", n / KIB);
	else
		snprintf(s, 16, "%lu", n);
	return s;
}

static void run_round(int round)
{
	static const size_t wsizes[] = { 64, 4 * KIB, 64 * KIB, MIB };
	static const unsigned int bufsizes[] = { 64 * KIB, MIB };
	char param[64], name[80];
	double v, ev;
	int k;
	size_t w, b;

	for (b = 0; b < 2; b++) {
		for (w = 0; w < 4; w++) {
			snprintf(param, sizeof(param), "w%s/b%s",
				 size_name(wsizes[w]), size_name(bufsizes[b]));
			/* The baseline right before the bulk copies. */
			if (!strcmp(param, "w64K/b1M") && want("memcpy"))
				emit("memcpy", "64K", "memcpy", round,
				     bench_memcpy() / 1e6, "MB/s");

			snprintf(name, sizeof(name), "tput/%s", param);
			for (k = 0; k < BENCH_NR_KINDS && want(name); k++) {
				if (!want_kind(k))
					continue;
				v = bench_throughput(k, wsizes[w], bufsizes[b]);
				emit("tput", param, bench_kind_names[k], round,
				     v / 1e6, "MB/s");
			}
		}
	}
	for (k = 0; k < BENCH_NR_KINDS && want("rtt"); k++)
		if (want_kind(k))
			emit("rtt", "1B", bench_kind_names[k], round,
			     bench_latency(k), "us");
	for (k = 0; k < BENCH_NR_KINDS && want("fanin"); k++) {
		if (!want_kind(k))
			continue;
		v = bench_fanin(k, &ev);
		emit("fanin_bytes", "8w", bench_kind_names[k], round, v / 1e6,
		     "MB/s");
		emit("fanin_events", "8w", bench_kind_names[k], round, ev,
		     "ev/s");
	}
	for (k = 0; k < BENCH_NR_KINDS && want("create"); k++)
		if (want_kind(k))
			emit("create", "close", bench_kind_names[k], round,
			     bench_create(k), "pipes/s");
	for (k = 0; k < BENCH_NR_KINDS && want("mem"); k++)
		if (want_kind(k))
			bench_memory(k, round, false);
	for (k = 0; k < BENCH_NR_KINDS && want("mem"); k++)
		if (want_kind(k))
			bench_memory(k, round, true);
}

/*
 * The memory test holds 2 * opt.idle_pipes fds, and the sandbox as many
 * pipes of the default size: raise both limits (as root; the guest runs
 * us so). The fd table is grown once, here, so that its growth is not
 * counted against the first kind measured.
 */
static void setup_limits(void)
{
	struct rlimit rl = { 3 * opt.idle_pipes + 1024,
			     3 * opt.idle_pipes + 1024 };
	struct sbpipe_limits lim;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE");
	if (dup2(0, rl.rlim_cur - 1) < 0)
		die("growing the fd table");
	close(rl.rlim_cur - 1);

	if (ioctl(opt.sandbox, SBPIPE_IOC_GET_LIMITS, &lim))
		die("SBPIPE_IOC_GET_LIMITS");
	lim.max_pipes = opt.idle_pipes + 64;
	lim.max_bytes = (unsigned long long)lim.max_pipes * MIB;
	if (ioctl(opt.sandbox, SBPIPE_IOC_SET_LIMITS, &lim))
		die("SBPIPE_IOC_SET_LIMITS (needs CAP_SYS_RESOURCE)");
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: sbpipe-bench [options]\n"
		"  --rounds N      rounds, each running every kind once (default 5)\n"
		"  --seconds S     length of one measurement (default 0.5)\n"
		"  --idle-pipes N  pipes held open by the memory test (default 10000)\n"
		"  --only PREFIX   only the tests whose name starts so (tput, rtt,\n"
		"                  fanin, create, mem, memcpy; tput/w64K/b1M)\n"
		"  --kind KIND     only native, sbpipe or socketpair\n"
		"  --csv FILE      write the CSV there instead of stdout\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "idle-pipes", required_argument, NULL, 'i' },
		{ "only", required_argument, NULL, 'o' },
		{ "kind", required_argument, NULL, 'k' },
		{ "memcpy-only", no_argument, NULL, 'm' },
		{ "csv", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c, round, memcpy_only = 0;

	opt.csv = stdout;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			opt.rounds = atoi(optarg);
			break;
		case 's':
			opt.seconds = atof(optarg);
			break;
		case 'i':
			opt.idle_pipes = atoi(optarg);
			break;
		case 'o':
			opt.only = optarg;
			break;
		case 'k':
			opt.kind = optarg;
			break;
		case 'm':
			memcpy_only = 1;
			break;
		case 'c':
			opt.csv = fopen(optarg, "w");
			if (!opt.csv)
				die("%s", optarg);
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (opt.rounds < 1 || opt.seconds <= 0 || opt.idle_pipes < 1)
		usage(2);
	/* The child of bench_memcpy(). */
	if (memcpy_only) {
		printf("%.0f\n", memcpy_rate());
		return 0;
	}

	opt.sandbox = open("/dev/sbpipe", O_RDWR | O_CLOEXEC);
	if (opt.sandbox < 0)
		die("/dev/sbpipe (is sbpipe.ko loaded?)");
	setup_limits();
	signal(SIGPIPE, SIG_IGN);

	fprintf(opt.csv, "test,param,kind,round,value,unit\n");
	for (round = 1; round <= opt.rounds; round++)
		run_round(round);
	return 0;
}
