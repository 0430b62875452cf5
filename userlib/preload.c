// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsbpipe-preload: moves an unmodified program's pipes onto sbpipe.
 *
 * Loaded with LD_PRELOAD, it makes pipe() and pipe2() create sbpipe pipes
 * in the default sandbox, and it emulates what the kernel only does for
 * its own pipes whenever an sbpipe end is involved: F_GETPIPE_SZ and
 * F_SETPIPE_SZ become the size ioctls, and splice(), tee() and vmsplice()
 * become copies through a buffer, peeking at the input pipe so that
 * nothing is consumed that was not delivered. Every other call, and every
 * call on fds that are not sbpipe ends, goes to the next definition of the
 * symbol (libc's) untouched. libc's internal pipes (popen, posix_spawn)
 * do not go through these symbols and so stay native.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sbpipe.h"
#include "internal.h"

#define SBPIPE_PIPE_FLAGS	(O_CLOEXEC | O_NONBLOCK | O_DIRECT)
#define SBPIPE_SPLICE_FLAGS	(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | \
				 SPLICE_F_MORE | SPLICE_F_GIFT)
/* The most one emulated splice(), tee() or vmsplice() copies at once. */
#define SBPIPE_COPY_MAX		(1024 * 1024)

enum __sbpipe_kind {
	SBPIPE_KIND_OTHER,	/* a file, socket or device */
	SBPIPE_KIND_NATIVE,	/* a kernel pipe or FIFO */
	SBPIPE_KIND_SBPIPE,	/* an end of an sbpipe pipe */
};

/* The next definitions of the interposed symbols. */
typedef int (*__sbpipe_pipe2_fn)(int pipefd[2], int flags);
typedef int (*__sbpipe_fcntl_fn)(int fd, int cmd, ...);
typedef ssize_t (*__sbpipe_splice_fn)(int fd_in, loff_t *off_in, int fd_out,
				      loff_t *off_out, size_t len,
				      unsigned int flags);
typedef ssize_t (*__sbpipe_tee_fn)(int fd_in, int fd_out, size_t len,
				   unsigned int flags);
typedef ssize_t (*__sbpipe_vmsplice_fn)(int fd, const struct iovec *iov,
					size_t nr_segs, unsigned int flags);

/* What an emulated call needs to know about one of its fds. */
struct __sbpipe_end {
	int fd;
	enum __sbpipe_kind kind;
	int status_flags;		/* F_GETFL */
	struct sbpipe_info info;	/* for SBPIPE_KIND_SBPIPE only */
};

/*
 * The next definition of a symbol, looked up once. Racing threads store
 * the same pointer, so relaxed atomics suffice.
 */
static void *__sbpipe_next(void **cache, const char *name)
{
	void *fn = __atomic_load_n(cache, __ATOMIC_RELAXED);

	if (!fn) {
		fn = dlsym(RTLD_NEXT, name);
		__atomic_store_n(cache, fn, __ATOMIC_RELAXED);
	}
	return fn;
}

static int __sbpipe_next_pipe2(int pipefd[2], int flags)
{
	static void *cache;
	__sbpipe_pipe2_fn fn = __sbpipe_next(&cache, "pipe2");

	return fn(pipefd, flags);
}

static int __sbpipe_next_fcntl(int fd, int cmd, unsigned long arg)
{
	static void *cache;
	__sbpipe_fcntl_fn fn = __sbpipe_next(&cache, "fcntl");

	return fn(fd, cmd, arg);
}

static int __sbpipe_strict(void)
{
	const char *strict = getenv("SBPIPE_STRICT");

	return strict && !strcmp(strict, "1");
}

/* pipe() and pipe2() */

static int __sbpipe_preload_pipe2(int pipefd[2], int flags)
{
	int sandbox;

	/* Notification pipes (O_NOTIFICATION_PIPE) are not sbpipe's business. */
	if (flags & ~SBPIPE_PIPE_FLAGS)
		return __sbpipe_next_pipe2(pipefd, flags);

	sandbox = sbpipe_get_default_sandbox();
	if (sandbox < 0) {
		if (errno == ENODEV && !__sbpipe_strict())
			return __sbpipe_next_pipe2(pipefd, flags);
		return -1;
	}

	return sbpipe_create_pipe(sandbox, pipefd, flags, 0, 0);
}

SBPIPE_EXPORT int pipe2(int pipefd[2], int flags)
{
	return __sbpipe_preload_pipe2(pipefd, flags);
}

SBPIPE_EXPORT int pipe(int pipefd[2])
{
	return __sbpipe_preload_pipe2(pipefd, 0);
}

/* fcntl() and fcntl64() */

/*
 * F_SETPIPE_SZ rounds as the kernel's round_pipe_size(): a power-of-two
 * number of pages, at least one; 0 means the size is out of range.
 */
static unsigned int __sbpipe_round_size(unsigned int size)
{
	unsigned int page = sysconf(_SC_PAGESIZE);

	if (size > 1U << 31)
		return 0;
	if (size < page)
		return page;
	return 1U << (32 - __builtin_clz(size - 1));
}

static int __sbpipe_fcntl(__sbpipe_fcntl_fn next, int fd, int cmd,
			  unsigned long arg)
{
	struct sbpipe_info info;
	unsigned int size;

	if ((cmd != F_GETPIPE_SZ && cmd != F_SETPIPE_SZ) ||
	    sbpipe_get_info(fd, &info))
		return next(fd, cmd, arg);

	if (cmd == F_GETPIPE_SZ)
		return sbpipe_get_size(fd);

	size = __sbpipe_round_size(arg);
	if (!size) {
		errno = EINVAL;
		return -1;
	}
	return sbpipe_set_size(fd, size);
}

/*
 * Variadic fcntl takes one optional argument of integer or pointer type;
 * on the ABIs Linux supports both travel in the same register or slot, so
 * fetching it as unsigned long and passing it on is what libc does too.
 */
SBPIPE_EXPORT int fcntl(int fd, int cmd, ...)
{
	static void *cache;
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);

	return __sbpipe_fcntl(__sbpipe_next(&cache, "fcntl"), fd, cmd, arg);
}

SBPIPE_EXPORT int fcntl64(int fd, int cmd, ...)
{
	static void *cache;
	__sbpipe_fcntl_fn next;
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);

	next = __sbpipe_next(&cache, "fcntl64");
	if (!next)
		next = __sbpipe_next(&cache, "fcntl");
	return __sbpipe_fcntl(next, fd, cmd, arg);
}

/* What splice(), tee() and vmsplice() share. */

static int __sbpipe_get_end(int fd, struct __sbpipe_end *end)
{
	struct stat st;

	end->fd = fd;
	end->status_flags = __sbpipe_next_fcntl(fd, F_GETFL, 0);
	if (end->status_flags < 0)
		return -1;

	if (!sbpipe_get_info(fd, &end->info))
		end->kind = SBPIPE_KIND_SBPIPE;
	else if (!fstat(fd, &st) && S_ISFIFO(st.st_mode))
		end->kind = SBPIPE_KIND_NATIVE;
	else
		end->kind = SBPIPE_KIND_OTHER;
	return 0;
}

static int __sbpipe_readable(const struct __sbpipe_end *end)
{
	return (end->status_flags & O_ACCMODE) != O_WRONLY;
}

static int __sbpipe_writable(const struct __sbpipe_end *end)
{
	return (end->status_flags & O_ACCMODE) != O_RDONLY;
}

static int __sbpipe_same_pipe(const struct __sbpipe_end *a,
			      const struct __sbpipe_end *b)
{
	return a->kind == SBPIPE_KIND_SBPIPE && b->kind == SBPIPE_KIND_SBPIPE &&
	       a->info.ino == b->info.ino &&
	       a->info.sandbox_id == b->info.sandbox_id;
}

/* Bytes queued in a pipe, either kind. */
static ssize_t __sbpipe_queued(struct __sbpipe_end *end)
{
	int queued;

	if (end->kind == SBPIPE_KIND_SBPIPE) {
		if (sbpipe_get_info(end->fd, &end->info))
			return -1;
		return end->info.queued;
	}
	if (ioctl(end->fd, FIONREAD, &queued))
		return -1;
	return queued;
}

/* Free bytes in a pipe, either kind. */
static ssize_t __sbpipe_space(struct __sbpipe_end *end)
{
	ssize_t queued = __sbpipe_queued(end);
	ssize_t size;

	if (queued < 0)
		return -1;
	if (end->kind == SBPIPE_KIND_SBPIPE)
		size = end->info.size;
	else
		size = __sbpipe_next_fcntl(end->fd, F_GETPIPE_SZ, 0);
	if (size < 0)
		return -1;
	return size > queued ? size - queued : 0;
}

static int __sbpipe_poll(int fd, short events, int nonblock)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	ret = poll(&pfd, 1, nonblock ? 0 : -1);
	if (ret < 0)
		return -1;
	if (!ret) {
		errno = EAGAIN;
		return -1;
	}
	return pfd.revents;
}

/*
 * Waits for data in an input pipe: returns the bytes queued, or 0 once
 * the pipe is empty with no writer left (end of file).
 */
static ssize_t __sbpipe_wait_data(struct __sbpipe_end *in, int nonblock)
{
	ssize_t queued;
	int revents;

	for (;;) {
		queued = __sbpipe_queued(in);
		if (queued)
			return queued;

		revents = __sbpipe_poll(in->fd, POLLIN, nonblock);
		if (revents < 0)
			return -1;

		queued = __sbpipe_queued(in);
		if (queued)
			return queued;
		if (revents & (POLLHUP | POLLERR | POLLNVAL))
			return 0;
	}
}

/* After __sbpipe_space(), which refreshed an sbpipe's info. */
static int __sbpipe_no_reader(const struct __sbpipe_end *out)
{
	int revents;

	if (out->kind == SBPIPE_KIND_SBPIPE)
		return !out->info.readers;
	revents = __sbpipe_poll(out->fd, POLLOUT, 1);
	return revents > 0 && (revents & POLLERR);
}

/*
 * Waits for room in an output pipe and returns how many bytes fit. With
 * no reader left, fails with EPIPE and SIGPIPE before anything is taken
 * from the input, as the kernel's splice does.
 */
static ssize_t __sbpipe_wait_space(struct __sbpipe_end *out, int nonblock)
{
	ssize_t space;

	for (;;) {
		space = __sbpipe_space(out);
		if (space < 0)
			return -1;

		if (__sbpipe_no_reader(out)) {
			raise(SIGPIPE);
			errno = EPIPE;
			return -1;
		}
		if (space)
			return space;

		if (__sbpipe_poll(out->fd, POLLOUT, nonblock) < 0)
			return -1;
	}
}

static ssize_t __sbpipe_write_all(int fd, const char *buf, size_t len,
				  loff_t *off)
{
	size_t done = 0;
	ssize_t ret;

	while (done < len) {
		if (off)
			ret = pwrite(fd, buf + done, len - done, *off + done);
		else
			ret = write(fd, buf + done, len - done);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		done += ret;
	}
	return done ? (ssize_t)done : ret;
}

/* Takes len bytes already peeked at out of an sbpipe read end. */
static void __sbpipe_consume(int fd, char *buf, size_t len)
{
	ssize_t ret;

	while (len) {
		ret = read(fd, buf, len);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return;
		len -= ret;
	}
}

static size_t __sbpipe_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* splice() */

/* From a pipe of either kind; the other side is anything. */
static ssize_t __sbpipe_splice_from_pipe(struct __sbpipe_end *in,
					 struct __sbpipe_end *out,
					 loff_t *off_out, size_t len,
					 int nonblock)
{
	ssize_t avail, space, ret;
	int saved_errno;
	char *buf;

	avail = __sbpipe_wait_data(in, nonblock);
	if (avail <= 0)
		return avail;
	len = __sbpipe_min(len, avail);

	if (out->kind != SBPIPE_KIND_OTHER) {
		space = __sbpipe_wait_space(out, nonblock);
		if (space < 0)
			return -1;
		len = __sbpipe_min(len, space);
	}

	buf = malloc(len);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}

	/*
	 * A native input pipe can only be read destructively; an sbpipe one
	 * is peeked at and consumed for what the output took.
	 */
	if (in->kind == SBPIPE_KIND_SBPIPE)
		ret = sbpipe_peek(in->fd, buf, len, 0);
	else
		ret = read(in->fd, buf, len);
	if (ret > 0)
		ret = __sbpipe_write_all(out->fd, buf, ret, off_out);
	if (ret > 0 && in->kind == SBPIPE_KIND_SBPIPE)
		__sbpipe_consume(in->fd, buf, ret);
	if (ret > 0 && off_out)
		*off_out += ret;

	saved_errno = errno;
	free(buf);
	errno = saved_errno;
	return ret;
}

/* From a file, socket or device into an sbpipe. */
static ssize_t __sbpipe_splice_to_pipe(struct __sbpipe_end *in,
				       loff_t *off_in,
				       struct __sbpipe_end *out, size_t len,
				       int nonblock)
{
	ssize_t space, ret;
	int saved_errno;
	char *buf;

	space = __sbpipe_wait_space(out, nonblock);
	if (space < 0)
		return -1;
	len = __sbpipe_min(len, space);

	if (nonblock && __sbpipe_poll(in->fd, POLLIN, 1) < 0)
		return -1;

	buf = malloc(len);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}

	if (off_in)
		ret = pread(in->fd, buf, len, *off_in);
	else
		ret = read(in->fd, buf, len);
	if (ret > 0 && off_in)
		*off_in += ret;
	/* TODO: what a racing writer filled in meanwhile is lost on error. */
	if (ret > 0)
		ret = __sbpipe_write_all(out->fd, buf, ret, NULL);

	saved_errno = errno;
	free(buf);
	errno = saved_errno;
	return ret;
}

SBPIPE_EXPORT ssize_t splice(int fd_in, loff_t *off_in, int fd_out,
			     loff_t *off_out, size_t len, unsigned int flags)
{
	static void *cache;
	__sbpipe_splice_fn next;
	struct __sbpipe_end in, out;
	int nonblock;

	next = __sbpipe_next(&cache, "splice");
	if (!len)
		return 0;
	if (__sbpipe_get_end(fd_in, &in) || __sbpipe_get_end(fd_out, &out) ||
	    (in.kind != SBPIPE_KIND_SBPIPE && out.kind != SBPIPE_KIND_SBPIPE))
		return next(fd_in, off_in, fd_out, off_out, len, flags);

	if (flags & ~SBPIPE_SPLICE_FLAGS) {
		errno = EINVAL;
		return -1;
	}
	if (!__sbpipe_readable(&in) || !__sbpipe_writable(&out)) {
		errno = EBADF;
		return -1;
	}
	if ((in.kind != SBPIPE_KIND_OTHER && off_in) ||
	    (out.kind != SBPIPE_KIND_OTHER && off_out)) {
		errno = ESPIPE;
		return -1;
	}
	if (__sbpipe_same_pipe(&in, &out) ||
	    (out.kind == SBPIPE_KIND_OTHER && (out.status_flags & O_APPEND))) {
		errno = EINVAL;
		return -1;
	}

	len = __sbpipe_min(len, SBPIPE_COPY_MAX);
	nonblock = flags & SPLICE_F_NONBLOCK;
	if (in.kind == SBPIPE_KIND_OTHER) {
		nonblock |= in.status_flags & O_NONBLOCK;
		return __sbpipe_splice_to_pipe(&in, off_in, &out, len,
					       !!nonblock);
	}
	nonblock |= out.status_flags & O_NONBLOCK;
	if (out.kind != SBPIPE_KIND_OTHER)
		nonblock |= in.status_flags & O_NONBLOCK;
	return __sbpipe_splice_from_pipe(&in, &out, off_out, len, !!nonblock);
}

/* tee() */

/* Copies up to len queued bytes of a native pipe without consuming them. */
static ssize_t __sbpipe_peek_native(int fd, char *buf, size_t len)
{
	static void *cache;
	__sbpipe_tee_fn next_tee;
	int tmp[2];
	ssize_t ret;

	next_tee = __sbpipe_next(&cache, "tee");
	if (__sbpipe_next_pipe2(tmp, O_CLOEXEC))
		return -1;

	ret = next_tee(fd, tmp[1], len, SPLICE_F_NONBLOCK);
	if (ret > 0)
		ret = read(tmp[0], buf, ret);

	close(tmp[0]);
	close(tmp[1]);
	return ret;
}

SBPIPE_EXPORT ssize_t tee(int fd_in, int fd_out, size_t len,
			  unsigned int flags)
{
	static void *cache;
	__sbpipe_tee_fn next;
	struct __sbpipe_end in, out;
	ssize_t avail, space, ret;
	int nonblock, saved_errno;
	char *buf;

	next = __sbpipe_next(&cache, "tee");
	if (__sbpipe_get_end(fd_in, &in) || __sbpipe_get_end(fd_out, &out) ||
	    (in.kind != SBPIPE_KIND_SBPIPE && out.kind != SBPIPE_KIND_SBPIPE))
		return next(fd_in, fd_out, len, flags);

	if (flags & ~SBPIPE_SPLICE_FLAGS) {
		errno = EINVAL;
		return -1;
	}
	if (!len)
		return 0;
	if (!__sbpipe_readable(&in) || !__sbpipe_writable(&out)) {
		errno = EBADF;
		return -1;
	}
	if (in.kind == SBPIPE_KIND_OTHER || out.kind == SBPIPE_KIND_OTHER ||
	    __sbpipe_same_pipe(&in, &out)) {
		errno = EINVAL;
		return -1;
	}

	nonblock = (flags & SPLICE_F_NONBLOCK) ||
		   ((in.status_flags | out.status_flags) & O_NONBLOCK);
	avail = __sbpipe_wait_data(&in, nonblock);
	if (avail <= 0)
		return avail;
	space = __sbpipe_wait_space(&out, nonblock);
	if (space < 0)
		return -1;
	len = __sbpipe_min(__sbpipe_min(len, SBPIPE_COPY_MAX),
			   __sbpipe_min(avail, space));

	buf = malloc(len);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}

	if (in.kind == SBPIPE_KIND_SBPIPE)
		ret = sbpipe_peek(in.fd, buf, len, 0);
	else
		ret = __sbpipe_peek_native(in.fd, buf, len);
	if (ret > 0)
		ret = __sbpipe_write_all(out.fd, buf, ret, NULL);

	saved_errno = errno;
	free(buf);
	errno = saved_errno;
	return ret;
}

/* vmsplice() */

/* writev() of at most max bytes of iov. */
static ssize_t __sbpipe_writev_max(int fd, const struct iovec *iov,
				   unsigned long nr_segs, size_t max)
{
	struct iovec *part;
	unsigned long i;
	size_t total = 0;
	ssize_t ret;

	part = malloc(nr_segs * sizeof(*part));
	if (!part) {
		errno = ENOMEM;
		return -1;
	}

	for (i = 0; i < nr_segs && total < max; i++) {
		part[i] = iov[i];
		if (part[i].iov_len > max - total)
			part[i].iov_len = max - total;
		total += part[i].iov_len;
	}

	ret = writev(fd, part, i);
	free(part);
	return ret;
}

SBPIPE_EXPORT ssize_t vmsplice(int fd, const struct iovec *iov,
			       size_t nr_segs, unsigned int flags)
{
	static void *cache;
	__sbpipe_vmsplice_fn next;
	struct __sbpipe_end end;
	ssize_t ret;
	int nonblock;

	next = __sbpipe_next(&cache, "vmsplice");
	if (__sbpipe_get_end(fd, &end) || end.kind != SBPIPE_KIND_SBPIPE)
		return next(fd, iov, nr_segs, flags);

	if ((flags & ~SBPIPE_SPLICE_FLAGS) || nr_segs > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (!nr_segs)
		return 0;

	nonblock = (flags & SPLICE_F_NONBLOCK) ||
		   (end.status_flags & O_NONBLOCK);
	if ((end.status_flags & O_ACCMODE) == O_WRONLY) {
		ret = __sbpipe_wait_space(&end, nonblock);
		if (ret <= 0)
			return ret;
		return __sbpipe_writev_max(fd, iov, nr_segs, ret);
	}

	ret = __sbpipe_wait_data(&end, nonblock);
	if (ret <= 0)
		return ret;
	return readv(fd, iov, nr_segs);
}
