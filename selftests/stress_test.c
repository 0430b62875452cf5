// SPDX-License-Identifier: GPL-2.0
/*
 * sbpipe under load, for a fixed time: writers and readers, processes and
 * threads, on shared stream and packet pipes, with O_NONBLOCK toggled
 * under them, resizes while the bytes flow, sandboxes torn down under
 * traffic, and ends closed and processes forked in the middle of it.
 *
 * Every write is one record of at most the pipe's atomic size, tagged
 * with its writer and sequence number and a checksum. Readers check that
 * each record arrives whole (never torn, never mixed with another) and
 * exactly once; a stream pipe has one reader, so each writer's records
 * must also arrive in order, while a packet pipe is shared by several
 * readers that mark the sequence numbers they saw. Without a teardown
 * nothing may be lost; after one, or after the readers went away, only a
 * tail of each writer's records may be. Last, the pipes' and sandboxes'
 * counters must equal the bytes the program counted.
 *
 * Usage: stress_test [--seconds N]; SBPIPE_STRESS_SECONDS sets the same
 * (default 60). Prints "# records=... bytes=..." per case. An alarm ends
 * a run that hangs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sbpipe.h>

#include "kselftest.h"
#include "sbpipe_helpers.h"

#define STRESS_DEFAULT_SECONDS	60
/* The watchdog's allowance beyond the run time, for draining and checks. */
#define STRESS_GRACE_SECONDS	120
/* How long a reader or writer may take to end after the round. */
#define STRESS_JOIN_SECONDS	30

#define MAX_PIPES	8
#define MAX_WRITERS	48
#define MAX_READERS	24
/* Records one writer may send per round: the bits of its bitmap. */
#define MAX_SEQ		(2U << 20)
#define RECORD_MAGIC	0x5b5ba11aU
#define RECORD_MIN	((unsigned int)sizeof(struct record))
#define RECORD_MAX	4096
#define READ_BUF	(64 << 10)

/* The head of every record; the payload follows, up to @len in all. */
struct record {
	__u32 magic;
	__u16 writer;
	__u16 len;
	__u32 seq;
	__u32 csum;
};

enum teardown {
	TEARDOWN_NONE,		/* the round ends by the writers stopping */
	TEARDOWN_SHUTDOWN,	/* SBPIPE_IOC_SHUTDOWN under traffic */
	TEARDOWN_CLOSE,		/* last sandbox close with KILL_ON_CLOSE */
	TEARDOWN_READERS_QUIT,	/* readers close their ends early */
};

struct stress_pipe {
	bool packet;
	unsigned int atomic;	/* records are at most this long */
	int rfd, wfd;		/* the main process's ends */
	__u64 written;	/* bytes, summed from the writers */
	__u64 read;		/* bytes, summed from the readers */
};

struct stress_writer {
	int pipe;
	int fd;			/* a dup of its pipe's write end, its own */
	bool process;
	pid_t pid;
	pthread_t thread;
	__u64 seed;
	__u64 records;	/* written whole; read once the writer ended */
	__u64 bytes;
	__u32 next_seq;	/* stream pipes: the next one its reader wants */
	__u32 seen;		/* records the readers took */
};

struct stress_reader {
	int pipe;
	int fd;			/* a dup of its pipe's read end, its own */
	bool process;
	pid_t pid;
	pthread_t thread;
	__u64 seed;
	unsigned int quit_ms;	/* TEARDOWN_READERS_QUIT: when it leaves */
	__u64 bytes;
};

/* In memory shared by every process of a round. */
struct stress_shared {
	int failed;
	char why[256];
	struct timespec deadline;	/* writers stop here */
	enum teardown teardown;
	__u64 records;		/* checked, over the whole run */
	__u64 bytes;
	int nr_pipes, nr_writers, nr_readers;
	struct stress_pipe pipes[MAX_PIPES];
	struct stress_writer writers[MAX_WRITERS];
	struct stress_reader readers[MAX_READERS];
	/* Packet pipes: the sequence numbers seen, per writer. */
	__u8 seen[MAX_WRITERS][MAX_SEQ / 8];
};

static struct stress_shared *shared;
static int sandbox = -1;
static pid_t main_pid;

static void fail(const char *fmt, ...)
{
	char why[sizeof(shared->why)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!__atomic_exchange_n(&shared->failed, 1, __ATOMIC_SEQ_CST))
		memcpy(shared->why, why, sizeof(why));
	fprintf(stderr, "# FAIL: %s\n", why);
}

static bool failed(void)
{
	return __atomic_load_n(&shared->failed, __ATOMIC_RELAXED);
}

static __u64 next_rand(__u64 *state)
{
	__u64 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static __u32 mix32(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	return x ^ (x >> 16);
}

static __u32 record_csum(const unsigned char *buf, unsigned int len)
{
	__u32 h = 2166136261U;
	unsigned int i;

	for (i = 0; i < len; i++)
		h = (h ^ buf[i]) * 16777619U;
	return h;
}

static void record_build(unsigned char *buf, int writer, __u32 seq,
			 unsigned int len)
{
	struct record *rec = (struct record *)buf;
	__u32 key = mix32(writer << 22 ^ seq);
	unsigned int i;

	rec->magic = RECORD_MAGIC;
	rec->writer = writer;
	rec->len = len;
	rec->seq = seq;
	rec->csum = 0;
	for (i = RECORD_MIN; i < len; i++)
		buf[i] = key + i * 131;
	rec->csum = record_csum(buf, len);
}

static bool past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static struct timespec after_ms(unsigned int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Mostly small records, some near the atomic size, never above it. */
static unsigned int record_len(__u64 *rnd, unsigned int atomic)
{
	__u64 r = next_rand(rnd);
	unsigned int max = r % 10 < 5 ? 128 : r % 10 < 9 ? 1024 : atomic;

	if (max > atomic)
		max = atomic;
	return RECORD_MIN + (r >> 8) % (max - RECORD_MIN + 1);
}

/* Flips O_NONBLOCK on the file, which every sharer of it then sees. */
static void toggle_nonblock(int fd, __u64 *rnd)
{
	if (next_rand(rnd) % 64 == 0 &&
	    set_nonblocking(fd, next_rand(rnd) & 1))
		fail("fcntl(F_SETFL) on fd %d: %s", fd, strerror(errno));
}

static bool teardown_expected(void)
{
	return shared->teardown != TEARDOWN_NONE;
}

static void *writer_run(void *arg)
{
	static __thread unsigned char buf[RECORD_MAX];
	struct stress_writer *w = arg;
	struct stress_pipe *p = &shared->pipes[w->pipe];
	int id = w - shared->writers;
	__u64 rnd = w->seed;
	__u32 seq = 0;

	while (!failed() && seq < MAX_SEQ && !past(&shared->deadline)) {
		unsigned int len = record_len(&rnd, p->atomic);
		ssize_t ret;

		record_build(buf, id, seq, len);
		toggle_nonblock(w->fd, &rnd);
		ret = write(w->fd, buf, len);
		if (ret == len) {
			w->bytes += len;
			w->records = ++seq;
			continue;
		}
		if (ret >= 0) {
			fail("writer %d: write of %u bytes, at most the atomic size, wrote %zd",
			     id, len, ret);
			break;
		}
		if (errno == EAGAIN) {
			struct pollfd pfd = { .fd = w->fd, .events = POLLOUT };

			if (poll(&pfd, 1, 100) < 0)
				fail("writer %d: poll: %s", id, strerror(errno));
			continue;
		}
		if (errno != EPIPE || !teardown_expected())
			fail("writer %d: write: %s", id, strerror(errno));
		break;
	}
	close(w->fd);
	return NULL;
}

/* A record taken from a pipe: whole, of a writer of this pipe, once. */
static bool record_check(struct stress_reader *r, const unsigned char *buf,
			 unsigned int len)
{
	const struct record *rec = (const struct record *)buf;
	struct stress_pipe *p = &shared->pipes[r->pipe];
	unsigned char copy[RECORD_MAX];
	struct stress_writer *w;
	__u8 bit, old;

	if (rec->magic != RECORD_MAGIC || rec->len != len ||
	    rec->writer >= shared->nr_writers) {
		fail("pipe %d: a torn or interleaved record (magic %#x len %u of %u)",
		     r->pipe, rec->magic, rec->len, len);
		return false;
	}
	memcpy(copy, buf, len);
	((struct record *)copy)->csum = 0;
	if (record_csum(copy, len) != rec->csum) {
		fail("pipe %d: record %u of writer %u corrupt", r->pipe,
		     rec->seq, rec->writer);
		return false;
	}
	w = &shared->writers[rec->writer];
	if (w->pipe != r->pipe || rec->seq >= MAX_SEQ) {
		fail("pipe %d: record %u of writer %u, which writes pipe %d",
		     r->pipe, rec->seq, rec->writer, w->pipe);
		return false;
	}

	if (!p->packet) {
		if (rec->seq != w->next_seq) {
			fail("pipe %d: writer %u's record %u where %u was due (%s)",
			     r->pipe, rec->writer, rec->seq, w->next_seq,
			     rec->seq < w->next_seq ? "duplicated" : "lost");
			return false;
		}
		w->next_seq++;
	} else {
		bit = 1U << (rec->seq % 8);
		old = __atomic_fetch_or(&shared->seen[rec->writer][rec->seq / 8],
					bit, __ATOMIC_RELAXED);
		if (old & bit) {
			fail("pipe %d: writer %u's record %u duplicated",
			     r->pipe, rec->writer, rec->seq);
			return false;
		}
	}
	__atomic_fetch_add(&w->seen, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&shared->records, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&shared->bytes, len, __ATOMIC_RELAXED);
	return true;
}

/*
 * Stream: records may be cut by a read and completed by the next.
 * Returns the bytes of @buf not yet part of a whole record, moved to
 * its start.
 */
static unsigned int stream_consume(struct stress_reader *r,
				   unsigned char *buf, unsigned int have)
{
	unsigned int off = 0;

	while (have - off >= RECORD_MIN) {
		const struct record *rec = (const void *)(buf + off);

		if (rec->magic != RECORD_MAGIC || rec->len < RECORD_MIN ||
		    rec->len > RECORD_MAX) {
			record_check(r, buf + off, have - off);
			return 0;
		}
		if (have - off < rec->len)
			break;
		if (!record_check(r, buf + off, rec->len))
			return 0;
		off += rec->len;
	}
	memmove(buf, buf + off, have - off);
	return have - off;
}

static void *reader_run(void *arg)
{
	struct stress_reader *r = arg;
	struct stress_pipe *p = &shared->pipes[r->pipe];
	struct timespec quit = after_ms(r->quit_ms);
	unsigned int have = 0;
	__u64 rnd = r->seed;
	unsigned char *buf;

	buf = malloc(READ_BUF + RECORD_MAX);
	if (!buf) {
		fail("reader: out of memory");
		return NULL;
	}
	while (!failed()) {
		size_t want = p->packet ? RECORD_MAX :
			      1 + next_rand(&rnd) % READ_BUF;
		ssize_t ret;

		if (r->quit_ms && past(&quit))
			break;
		toggle_nonblock(r->fd, &rnd);
		ret = read(r->fd, buf + have, want);
		if (ret > 0) {
			r->bytes += ret;
			if (p->packet)
				record_check(r, buf, ret);
			else
				have = stream_consume(r, buf, have + ret);
			continue;
		}
		if (!ret)
			break;
		if (errno == EAGAIN) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

			if (poll(&pfd, 1, 100) < 0)
				fail("reader: poll: %s", strerror(errno));
			continue;
		}
		fail("reader of pipe %d: read: %s", r->pipe, strerror(errno));
	}
	/* A record cut by EOF is one a teardown dropped the rest of. */
	if (have && !teardown_expected() && !failed())
		fail("pipe %d: %u bytes of a record left at EOF", r->pipe, have);
	free(buf);
	close(r->fd);
	return NULL;
}

/* Keeps the fds a child needs (@keep) and closes every other sbpipe fd. */
static void child_close_others(int keep)
{
	int i;

	for (i = 0; i < shared->nr_pipes; i++) {
		close(shared->pipes[i].rfd);
		close(shared->pipes[i].wfd);
	}
	for (i = 0; i < shared->nr_writers; i++)
		if (shared->writers[i].fd != keep)
			close(shared->writers[i].fd);
	for (i = 0; i < shared->nr_readers; i++)
		if (shared->readers[i].fd != keep)
			close(shared->readers[i].fd);
	close(sandbox);
}

/* Starts @fn as a child process or as a thread of this one. */
static int spawn(void *(*fn)(void *), void *arg, int fd, bool process,
		 pid_t *pid, pthread_t *thread)
{
	pid_t child;

	if (!process)
		return pthread_create(thread, NULL, fn, arg) ? -1 : 0;

	/* Not straight into @pid: it may be shared with the child. */
	child = fork();
	if (child < 0)
		return -1;
	if (!child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != main_pid)
			_exit(1);
		child_close_others(fd);
		fn(arg);
		_exit(0);
	}
	/* The child has its own copy; this one belongs to it. */
	*pid = child;
	close(fd);
	return 0;
}

static void join(bool process, pid_t pid, pthread_t thread)
{
	int status;

	if (!process) {
		pthread_join(thread, NULL);
		return;
	}
	status = wait_child(pid, STRESS_JOIN_SECONDS * 1000);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("child %d did not end cleanly (status %#x)", pid, status);
}

/* The shape of one round. */
struct round {
	int stream_pipes;
	int packet_pipes;
	int writers;		/* per pipe */
	int packet_readers;	/* per packet pipe; a stream pipe has one */
	enum teardown teardown;
	unsigned int ms;	/* how long the writers write */
	bool resize;
};

static int pipe_create(int i, __u64 *rnd, bool packet)
{
	static const unsigned int atomics[] = { 0, 512, 1000, 3001 };
	static const unsigned int sizes[] = { 0, 4096, 7919, 100000 };
	unsigned int atomic = atomics[next_rand(rnd) % 4];
	unsigned int size = sizes[next_rand(rnd) % 4];
	struct stress_pipe *p = &shared->pipes[i];
	int fds[2];

	if (size && size < (atomic ?: SBPIPE_DEFAULT_ATOMIC))
		size = atomic ?: SBPIPE_DEFAULT_ATOMIC;
	if (sbpipe_create(sandbox, O_CLOEXEC | (packet ? O_DIRECT : 0), size,
			  atomic, fds)) {
		fail("SBPIPE_IOC_CREATE: %s", strerror(errno));
		return -1;
	}
	memset(p, 0, sizeof(*p));
	p->packet = packet;
	p->atomic = atomic ?: SBPIPE_DEFAULT_ATOMIC;
	p->rfd = fds[0];
	p->wfd = fds[1];
	return 0;
}

/* Resizes within what keeps every record atomic; queries in between. */
static void resize_some(__u64 *rnd)
{
	struct stress_pipe *p = &shared->pipes[next_rand(rnd) %
					       shared->nr_pipes];
	unsigned int size = p->atomic + next_rand(rnd) % (16 * p->atomic);
	struct sbpipe_info info;
	int queued;

	if (sbpipe_set_size(p->rfd, size) &&
	    errno != EBUSY && !(errno == ENODEV && teardown_expected()))
		fail("SBPIPE_IOC_SET_SIZE to %u: %s", size, strerror(errno));
	if (sbpipe_info(p->rfd, &info) || ioctl(p->rfd, FIONREAD, &queued))
		fail("SBPIPE_IOC_INFO or FIONREAD: %s", strerror(errno));
	else if (info.atomic_size != p->atomic)
		fail("atomic size %u, created with %u", info.atomic_size,
		     p->atomic);
}

static void round_setup(const struct round *rd, __u64 *rnd)
{
	int i, j, n = 0;

	shared->nr_pipes = rd->stream_pipes + rd->packet_pipes;
	shared->nr_writers = shared->nr_pipes * rd->writers;
	shared->nr_readers = rd->stream_pipes +
			     rd->packet_pipes * rd->packet_readers;
	shared->teardown = rd->teardown;
	for (i = 0; i < shared->nr_pipes; i++)
		pipe_create(i, rnd, i >= rd->stream_pipes);

	for (i = 0; i < shared->nr_writers; i++) {
		struct stress_writer *w = &shared->writers[i];

		memset(w, 0, sizeof(*w));
		w->pipe = i / rd->writers;
		w->fd = dup(shared->pipes[w->pipe].wfd);
		w->process = next_rand(rnd) & 1;
		w->seed = next_rand(rnd) | 1;
	}
	for (i = 0; i < shared->nr_pipes; i++) {
		int readers = shared->pipes[i].packet ? rd->packet_readers : 1;

		for (j = 0; j < readers; j++, n++) {
			struct stress_reader *r = &shared->readers[n];

			memset(r, 0, sizeof(*r));
			r->pipe = i;
			r->fd = dup(shared->pipes[i].rfd);
			r->process = next_rand(rnd) & 1;
			r->seed = next_rand(rnd) | 1;
			if (rd->teardown == TEARDOWN_READERS_QUIT)
				r->quit_ms = 1 + next_rand(rnd) % rd->ms;
		}
	}
}

/* Nothing lost before a teardown; never more than was written. */
static void round_verify_writer(int id)
{
	struct stress_writer *w = &shared->writers[id];
	struct stress_pipe *p = &shared->pipes[w->pipe];
	__u32 seq, missing = 0;

	p->written += w->bytes;
	if (w->seen > w->records) {
		fail("writer %d: %u records read, %llu written", id, w->seen,
		     (unsigned long long)w->records);
		return;
	}
	if (teardown_expected())
		return;
	if (!p->packet) {
		if (w->next_seq != w->records)
			fail("writer %d: %u records arrived of %llu", id,
			     w->next_seq, (unsigned long long)w->records);
		return;
	}
	for (seq = 0; seq < w->records; seq++)
		if (!(shared->seen[id][seq / 8] & (1U << (seq % 8))))
			missing++;
	if (missing)
		fail("writer %d: %u of %llu records lost", id, missing,
		     (unsigned long long)w->records);
}

/* The kernel's counters against the program's. */
static void round_verify_counters(const struct sbpipe_stats *before)
{
	__u64 written = 0, read = 0;
	struct sbpipe_stats st;
	struct sbpipe_info info;
	int i;

	for (i = 0; i < shared->nr_readers; i++)
		shared->pipes[shared->readers[i].pipe].read +=
			shared->readers[i].bytes;
	for (i = 0; i < shared->nr_pipes; i++) {
		struct stress_pipe *p = &shared->pipes[i];

		written += p->written;
		read += p->read;
		if (p->rfd < 0)
			continue;
		if (sbpipe_info(p->rfd, &info)) {
			fail("SBPIPE_IOC_INFO: %s", strerror(errno));
			return;
		}
		if (info.bytes_written != p->written ||
		    info.bytes_read != p->read)
			fail("pipe %d: INFO says %llu written, %llu read; counted %llu, %llu",
			     i, (unsigned long long)info.bytes_written,
			     (unsigned long long)info.bytes_read,
			     (unsigned long long)p->written,
			     (unsigned long long)p->read);
		if (!teardown_expected() && info.queued)
			fail("pipe %d: %u bytes queued after the last read", i,
			     info.queued);
	}
	if (sandbox < 0)
		return;
	if (sbpipe_stats(sandbox, &st)) {
		fail("SBPIPE_IOC_STATS: %s", strerror(errno));
		return;
	}
	if (st.bytes_written - before->bytes_written != written ||
	    st.bytes_read - before->bytes_read != read)
		fail("STATS says %llu written, %llu read; counted %llu, %llu",
		     (unsigned long long)(st.bytes_written - before->bytes_written),
		     (unsigned long long)(st.bytes_read - before->bytes_read),
		     (unsigned long long)written, (unsigned long long)read);
}

static void round_clear_seen(void)
{
	int i;

	for (i = 0; i < shared->nr_writers; i++)
		memset(shared->seen[i], 0,
		       (shared->writers[i].records + 7) / 8);
}

static void round_teardown(const struct round *rd)
{
	struct sbpipe_limits lim;

	if (rd->teardown == TEARDOWN_SHUTDOWN) {
		if (ioctl(sandbox, SBPIPE_IOC_SHUTDOWN))
			fail("SBPIPE_IOC_SHUTDOWN: %s", strerror(errno));
		return;
	}
	/* The last close, with the children's copies closed already. */
	if (ioctl(sandbox, SBPIPE_IOC_GET_LIMITS, &lim)) {
		fail("SBPIPE_IOC_GET_LIMITS: %s", strerror(errno));
		return;
	}
	lim.flags |= SBPIPE_SANDBOX_KILL_ON_CLOSE;
	if (ioctl(sandbox, SBPIPE_IOC_SET_LIMITS, &lim))
		fail("SBPIPE_IOC_SET_LIMITS: %s", strerror(errno));
	close(sandbox);
	sandbox = -1;
}

/* One round: a fresh sandbox, its pipes, traffic, checks. */
static void round_run(const struct round *rd, __u64 *rnd)
{
	struct sbpipe_stats before;
	struct stress_pipe *p;
	int i;

	sandbox = sbpipe_open_sandbox();
	if (sandbox < 0 || sbpipe_stats(sandbox, &before)) {
		fail("opening a sandbox: %s", strerror(errno));
		return;
	}
	round_setup(rd, rnd);
	shared->deadline = after_ms(rd->ms);

	for (i = 0; i < shared->nr_readers; i++) {
		struct stress_reader *r = &shared->readers[i];

		if (spawn(reader_run, r, r->fd, r->process, &r->pid,
			  &r->thread))
			fail("starting a reader: %s", strerror(errno));
	}
	for (i = 0; i < shared->nr_writers; i++) {
		struct stress_writer *w = &shared->writers[i];

		if (spawn(writer_run, w, w->fd, w->process, &w->pid,
			  &w->thread))
			fail("starting a writer: %s", strerror(errno));
	}
	/* From here, only the readers and writers hold the data ends. */
	for (i = 0; i < shared->nr_pipes; i++)
		close(shared->pipes[i].wfd);

	if (rd->teardown == TEARDOWN_SHUTDOWN ||
	    rd->teardown == TEARDOWN_CLOSE) {
		struct timespec at = after_ms(next_rand(rnd) % rd->ms);

		while (!past(&at) && !failed()) {
			if (rd->resize)
				resize_some(rnd);
			sleep_ms(2);
		}
		round_teardown(rd);
	}
	while (!past(&shared->deadline) && !failed()) {
		if (rd->resize && sandbox >= 0)
			resize_some(rnd);
		sleep_ms(2);
	}

	/*
	 * Once the readers left, this last read end would keep the writers
	 * blocked: they must see EPIPE instead.
	 */
	if (rd->teardown == TEARDOWN_READERS_QUIT) {
		for (i = 0; i < shared->nr_pipes; i++) {
			close(shared->pipes[i].rfd);
			shared->pipes[i].rfd = -1;
		}
	}

	for (i = 0; i < shared->nr_writers; i++)
		join(shared->writers[i].process, shared->writers[i].pid,
		     shared->writers[i].thread);
	for (i = 0; i < shared->nr_readers; i++)
		join(shared->readers[i].process, shared->readers[i].pid,
		     shared->readers[i].thread);

	for (i = 0; i < shared->nr_writers && !failed(); i++)
		round_verify_writer(i);
	if (!failed())
		round_verify_counters(&before);
	round_clear_seen();
	for (i = 0; i < shared->nr_pipes; i++) {
		p = &shared->pipes[i];
		if (p->rfd >= 0)
			close(p->rfd);
	}
	if (sandbox >= 0)
		close(sandbox);
	sandbox = -1;
}

/* Runs rounds of @rd, with random lengths up to rd->ms, for @seconds. */
static void stress_case(const char *name, struct round rd,
			unsigned int seconds, __u64 *rnd, bool vary)
{
	struct timespec end = after_ms(seconds * 1000);
	__u64 records = shared->records, bytes = shared->bytes;
	unsigned int ms = rd.ms, rounds = 0;
	int fds = count_open_fds();

	do {
		if (vary)
			rd.ms = 20 + next_rand(rnd) % ms;
		round_run(&rd, rnd);
		rounds++;
	} while (vary && !past(&end) && !failed());

	if (!failed() && count_open_fds() != fds)
		fail("%d fds open after the rounds, %d before",
		     count_open_fds(), fds);
	ksft_print_msg("%s: records=%llu bytes=%llu rounds=%u\n", name,
		       (unsigned long long)(shared->records - records),
		       (unsigned long long)(shared->bytes - bytes), rounds);
	if (failed())
		ksft_test_result_fail("%s: %s\n", name, shared->why);
	else
		ksft_test_result_pass("%s\n", name);
	/* The next case starts clean, to tell its failures apart. */
	shared->failed = 0;
}

static unsigned int run_seconds(int argc, char **argv)
{
	const char *env = getenv("SBPIPE_STRESS_SECONDS");
	unsigned int seconds = STRESS_DEFAULT_SECONDS;

	if (env && *env)
		seconds = strtoul(env, NULL, 0);
	if (argc == 3 && !strcmp(argv[1], "--seconds"))
		seconds = strtoul(argv[2], NULL, 0);
	else if (argc != 1)
		ksft_exit_fail_msg("usage: %s [--seconds N]\n", argv[0]);
	return seconds < 4 ? 4 : seconds;
}

int main(int argc, char **argv)
{
	unsigned int seconds = run_seconds(argc, argv), part = seconds / 6;
	__u64 seed = time(NULL) ^ getpid() << 16, rnd = seed | 1;
	struct round rd;

	ksft_print_header();
	sbpipe_skip_unless_loaded();
	ksft_set_plan(4);
	ksft_print_msg("%u seconds, seed %llu\n", seconds,
		       (unsigned long long)seed);

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	/* Its own group, so that the watchdog takes every child along. */
	sbpipe_watchdog_arm(seconds + STRESS_GRACE_SECONDS);
	main_pid = getpid();
	signal(SIGPIPE, SIG_IGN);

	rd = (struct round) {
		.stream_pipes = 3, .packet_pipes = 2, .writers = 4,
		.packet_readers = 3, .ms = (seconds - 3 * part) * 1000,
		.resize = true,
	};
	stress_case("records_whole_once_in_order", rd, 0, &rnd, false);

	rd = (struct round) {
		.stream_pipes = 1, .packet_pipes = 1, .writers = 3,
		.packet_readers = 2, .teardown = TEARDOWN_SHUTDOWN, .ms = 300,
		.resize = true,
	};
	stress_case("shutdown_under_traffic", rd, part, &rnd, true);

	rd.teardown = TEARDOWN_CLOSE;
	stress_case("kill_on_close_under_traffic", rd, part, &rnd, true);

	rd.teardown = TEARDOWN_READERS_QUIT;
	rd.writers = 2;
	stress_case("readers_close_and_fork_races", rd, part, &rnd, true);

	ksft_print_msg("records=%llu bytes=%llu\n",
		       (unsigned long long)shared->records,
		       (unsigned long long)shared->bytes);
	ksft_finished();
}
