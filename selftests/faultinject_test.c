// SPDX-License-Identifier: GPL-2.0
/*
 * Every allocation an sbpipe operation makes may fail, and the operation
 * must then fail cleanly. /proc/thread-self/fail-nth = n makes the nth
 * fault-injection point the next calls of this thread pass fail; each test
 * arms it for n = 1, 2, ... until its operation passes fewer than n
 * points. A call hit by a failure must return an errno of the operation's
 * documented set and leave no descriptor, pipe, charge or ring behind; a
 * call that absorbs the failure must simply succeed.
 *
 * A call that absorbs a failure took a fallback (kvmalloc() going on to
 * vmalloc(), a slab retrying at a smaller order), whose own allocations
 * fail-nth cannot reach: it is spent on the failure that led there. They
 * are failed one by one through each fault attribute's "space", the
 * amount of it (bytes for failslab, pages for fail_page_alloc) a thread
 * with make-it-fail set passes before its points fail: with space s after
 * point n, the first point that takes the passed amount past s fails, and
 * the space left says where that was.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB,
 * CONFIG_FAIL_PAGE_ALLOC and CONFIG_FAULT_INJECTION_DEBUG_FS, as the
 * debug kernel of `make check-debug` has; skips on others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include <linux/sbpipe.h>

#include "sbpipe_helpers.h"
#include "kselftest_harness.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAKE_IT_FAIL	"/proc/thread-self/make-it-fail"
#define DEBUGFS		"/sys/kernel/debug"
#define FAILSLAB	DEBUGFS "/failslab"
#define FAIL_PAGE_ALLOC	DEBUGFS "/fail_page_alloc"

/* More fault points than any sbpipe operation passes. */
#define MAX_FAULT_POINTS	10000

/* More of an attribute than any call passes after a failure. */
#define FALLBACK_SPACE		(1 << 30)
/* More rounds than the points of any fallback path take to walk. */
#define MAX_FALLBACK_ROUNDS	1000U

/* The debugfs knobs the tests set, and the values they set them to. */
static const struct {
	const char *path;
	const char *value;
} fault_knobs[] = {
	/* Fail GFP_KERNEL allocations too, which all of sbpipe's are. */
	{ FAILSLAB "/ignore-gfp-wait", "N" },
	{ FAIL_PAGE_ALLOC "/ignore-gfp-wait", "N" },
	{ FAIL_PAGE_ALLOC "/ignore-gfp-highmem", "N" },
	/* Single pages too: vmalloc() is built of them. */
	{ FAIL_PAGE_ALLOC "/min-order", "0" },
	/* A stack dump per injected failure would read as a kernel report. */
	{ FAILSLAB "/verbose", "0" },
	{ FAIL_PAGE_ALLOC "/verbose", "0" },
	/*
	 * Off but for this thread's fallback rounds, which set probability
	 * and space: then every point past the space fails.
	 */
	{ FAILSLAB "/probability", "0" },
	{ FAILSLAB "/interval", "1" },
	{ FAILSLAB "/times", "-1" },
	{ FAILSLAB "/space", "0" },
	{ FAILSLAB "/task-filter", "Y" },
	{ FAIL_PAGE_ALLOC "/probability", "0" },
	{ FAIL_PAGE_ALLOC "/interval", "1" },
	{ FAIL_PAGE_ALLOC "/times", "-1" },
	{ FAIL_PAGE_ALLOC "/space", "0" },
	{ FAIL_PAGE_ALLOC "/task-filter", "Y" },
};

/* The attributes whose points fallback rounds fail. */
static const char *const fault_attrs[] = { FAILSLAB, FAIL_PAGE_ALLOC };

#define NR_KNOBS	ARRAY_SIZE(fault_knobs)

/* The module-wide counts a failed call must leave as they were. */
struct sbpipe_counts {
	int fds;				/* open in this process */
	unsigned long long sandboxes;		/* open sandboxes */
	unsigned long long pipes;		/* live pipes */
	unsigned long long ring_bytes;		/* ring bytes charged */
	unsigned long long ring_allocated;	/* ring bytes allocated */
};

/* What arming fail-nth did to one operation, for the TAP diagnostics. */
struct fault_tally {
	unsigned int injected;	/* calls that failed as they should */
	unsigned int absorbed;	/* calls that succeeded despite a failure */
	unsigned int points;	/* fault points of a call that ran clean */
	unsigned int fallback_rounds;	/* rounds failing a fallback's points */
	unsigned int fallback_injected;	/* those of them the call failed */
	unsigned int fallback_points;	/* fallback points found */
};

static int read_file(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	return 0;
}

static int write_file(const char *path, const char *value)
{
	ssize_t len = strlen(value);
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, value, len) != len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int attr_write(const char *dir, const char *knob, long long value)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	snprintf(buf, sizeof(buf), "%lld", value);
	return write_file(path, buf);
}

static int attr_read(const char *dir, const char *knob, long long *value)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	*value = atoll(buf);
	return 0;
}

static int counts_read(struct sbpipe_counts *counts)
{
	counts->fds = count_open_fds();
	if (counts->fds < 0)
		return -1;
	return sbpipe_counter_read("sandboxes", &counts->sandboxes) ||
	       sbpipe_counter_read("pipes", &counts->pipes) ||
	       sbpipe_counter_read("ring_bytes", &counts->ring_bytes) ||
	       sbpipe_counter_read("ring_bytes_allocated",
				   &counts->ring_allocated);
}

FIXTURE(faults) {
	int nth;			/* FAIL_NTH, open for reading and writing */
	int make_it_fail;		/* MAKE_IT_FAIL, open for writing */
	int sandbox;			/* a sandbox the tests use, or -1 */
	char saved[NR_KNOBS][32];	/* the knobs' values before the test */
	bool knobs_set;			/* the knobs need restoring */
	struct fault_tally tally;	/* what the test's loop counted */
};

FIXTURE_SETUP(faults)
{
	unsigned int i;

	self->nth = -1;
	self->make_it_fail = -1;
	self->sandbox = sbpipe_open_sandbox();
	if (self->sandbox < 0 && sbpipe_missing(errno))
		SKIP(return, "/dev/sbpipe is missing: sbpipe.ko not loaded");
	ASSERT_LE(0, self->sandbox);

	self->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (self->nth < 0)
		SKIP(return, "no %s: kernel without CONFIG_FAULT_INJECTION",
		     FAIL_NTH);
	self->make_it_fail = open(MAKE_IT_FAIL, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self->make_it_fail);
	if (access(DEBUGFS "/failslab", F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	if (access(DEBUGFS "/failslab", F_OK) ||
	    access(DEBUGFS "/fail_page_alloc", F_OK))
		SKIP(return,
		     "no failslab or fail_page_alloc in debugfs: %s",
		     "no CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC or debugfs");

	for (i = 0; i < NR_KNOBS; i++)
		ASSERT_EQ(0, read_file(fault_knobs[i].path, self->saved[i],
				       sizeof(self->saved[i])));
	self->knobs_set = true;
	for (i = 0; i < NR_KNOBS; i++)
		ASSERT_EQ(0, write_file(fault_knobs[i].path,
					fault_knobs[i].value));

	/*
	 * A page fault of our own inside an armed window would take the
	 * injected failure instead of the call under test.
	 */
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));
}

FIXTURE_TEARDOWN(faults)
{
	unsigned int i;

	if (self->make_it_fail >= 0) {
		pwrite(self->make_it_fail, "0", 1, 0);
		close(self->make_it_fail);
	}
	if (self->nth >= 0) {
		pwrite(self->nth, "0", 1, 0);
		close(self->nth);
	}
	if (self->knobs_set)
		for (i = 0; i < NR_KNOBS; i++)
			write_file(fault_knobs[i].path, self->saved[i]);
	if (self->sandbox >= 0)
		close(self->sandbox);
}

/* Makes the @n th fault point this thread passes from now on fail. */
static int fail_nth_arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth, buf, len, 0) == len ? 0 : -1;
}

/*
 * Disarms fail-nth. Returns the fault points that were still to pass: 0
 * when the failure was injected, -1 when fail-nth cannot be read.
 */
static int fail_nth_disarm(int nth)
{
	char buf[16];
	ssize_t len;
	int left;

	len = pread(nth, buf, sizeof(buf) - 1, 0);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	left = atoi(buf);
	if (left && pwrite(nth, "0", 1, 0) != 1)
		return -1;
	return left;
}

static bool errno_in(int err, const int *set)
{
	for (; *set; set++)
		if (*set == err)
			return true;
	return false;
}

static void counts_check(struct __test_metadata *_metadata,
			 const struct sbpipe_counts *before,
			 const struct sbpipe_counts *after, unsigned int n)
{
	EXPECT_EQ(before->fds, after->fds)
		TH_LOG("fault point %u: descriptor left", n);
	EXPECT_EQ(before->sandboxes, after->sandboxes)
		TH_LOG("fault point %u: sandbox left", n);
	EXPECT_EQ(before->pipes, after->pipes)
		TH_LOG("fault point %u: pipe left", n);
	EXPECT_EQ(before->ring_bytes, after->ring_bytes)
		TH_LOG("fault point %u: ring bytes still charged", n);
	EXPECT_EQ(before->ring_allocated, after->ring_allocated)
		TH_LOG("fault point %u: ring memory left", n);
}

/* The allocation failures a new file and its descriptor may meet. */
static const int file_errnos[] = { ENOMEM, ENFILE, EMFILE, 0 };
/* sbpipe's own allocations: the ring, the accounting. */
static const int alloc_errnos[] = { ENOMEM, 0 };
/*
 * Reopening through /proc/self/fd also looks the link up in procfs, which
 * reports an inode it could not allocate as a missing entry.
 */
static const int reopen_errnos[] = { ENOMEM, ENFILE, EMFILE, ENOENT, 0 };

/* A pipe whose ring may grow past what kmalloc() gives: 16 pages. */
#define LARGE_RING	65536

/* The bytes a pipe holds while it is resized, or before a write grows it. */
#define QUEUED_LEN	1000

/*
 * An atomic write that does not fit in a ring's first page, so that it
 * grows the ring before it copies anything, or fails whole; and the bytes
 * queued for a resize that needs more than a page for them.
 */
#define GROW_LEN	12000
#define QUEUED_LARGE_LEN	6000

/* What one round of an operation works on. */
struct fault_ctx {
	int sandbox;			/* the fixture's sandbox */
	unsigned int size;		/* the ring size of the operation */
	int fds[2];			/* the pipe it works on, or -1 */
	int fd;				/* a descriptor the call opened */
	char path[64];			/* reopen: the end in /proc/self/fd */
	struct sbpipe_create create;	/* SBPIPE_IOC_CREATE's argument */
	struct sbpipe_size resize;	/* SBPIPE_IOC_SET_SIZE's argument */
	unsigned char buf[QUEUED_LEN];	/* data written, or read back */
	unsigned char big[GROW_LEN];	/* the same, for more than a page */
};

/*
 * An operation under test: @prepare and @cleanup run outside the armed
 * window, @call in it, @check after it, with @call's result.
 */
struct fault_op {
	const char *name;
	const int *errnos;
	void (*prepare)(struct __test_metadata *_metadata,
			struct fault_ctx *ctx);
	long (*call)(struct fault_ctx *ctx);
	void (*check)(struct __test_metadata *_metadata,
		      struct fault_ctx *ctx, long ret, unsigned int n);
	void (*cleanup)(struct __test_metadata *_metadata,
			struct fault_ctx *ctx, long ret);
};

static void pipe_new(struct __test_metadata *_metadata,
		     struct fault_ctx *ctx, unsigned int size)
{
	ASSERT_EQ(0, sbpipe_create(ctx->sandbox, 0, size, 0, ctx->fds));
}

static void pipe_close(struct __test_metadata *_metadata,
		       struct fault_ctx *ctx)
{
	ASSERT_EQ(0, close(ctx->fds[0]));
	ASSERT_EQ(0, close(ctx->fds[1]));
	ctx->fds[0] = -1;
	ctx->fds[1] = -1;
}

static long open_call(struct fault_ctx *ctx)
{
	ctx->fd = open(SBPIPE_DEV, O_RDWR | O_CLOEXEC);
	return ctx->fd;
}

static void fd_cleanup(struct __test_metadata *_metadata,
		       struct fault_ctx *ctx, long ret)
{
	if (ret >= 0)
		ASSERT_EQ(0, close(ctx->fd));
}

static long create_call(struct fault_ctx *ctx)
{
	memset(&ctx->create, 0, sizeof(ctx->create));
	ctx->create.size = ctx->size;
	return ioctl(ctx->sandbox, SBPIPE_IOC_CREATE, &ctx->create);
}

static void create_check(struct __test_metadata *_metadata,
			 struct fault_ctx *ctx, long ret, unsigned int n)
{
	struct sbpipe_stats stats;

	ASSERT_EQ(0, sbpipe_stats(ctx->sandbox, &stats));
	EXPECT_EQ(ret ? 0ULL : 1ULL, stats.pipes)
		TH_LOG("fault point %u: pipe left in the sandbox", n);
	EXPECT_EQ(ret ? 0ULL : ctx->size, stats.bytes_reserved)
		TH_LOG("fault point %u: bytes left reserved", n);
}

static void create_cleanup(struct __test_metadata *_metadata,
			   struct fault_ctx *ctx, long ret)
{
	if (ret)
		return;
	ASSERT_EQ(0, close(ctx->create.rfd));
	ASSERT_EQ(0, close(ctx->create.wfd));
}

static void write_prepare(struct __test_metadata *_metadata,
			  struct fault_ctx *ctx)
{
	pipe_new(_metadata, ctx, ctx->size);
	pattern_fill(ctx->buf, 0, sizeof(ctx->buf));
}

static long write_call(struct fault_ctx *ctx)
{
	return write(ctx->fds[1], ctx->buf, sizeof(ctx->buf));
}

/* The pipe holds the pattern, or nothing after a failure. */
static void write_check(struct __test_metadata *_metadata,
			struct fault_ctx *ctx, long ret, unsigned int n)
{
	struct sbpipe_info info;

	ASSERT_EQ(0, sbpipe_info(ctx->fds[0], &info));
	if (ret < 0) {
		EXPECT_EQ(0U, info.queued);
		EXPECT_EQ(0ULL, info.bytes_written);
	} else {
		EXPECT_EQ((long)sizeof(ctx->buf), ret);
		EXPECT_EQ(sizeof(ctx->buf), info.queued);
	}
}

/* A pipe whose first write failed works: write again, read it all. */
static void write_cleanup(struct __test_metadata *_metadata,
			  struct fault_ctx *ctx, long ret)
{
	ssize_t len = sizeof(ctx->buf);

	if (ret < 0)
		ASSERT_EQ(len, write(ctx->fds[1], ctx->buf, len));
	memset(ctx->buf, 0, len);
	ASSERT_EQ(len, read(ctx->fds[0], ctx->buf, len));
	EXPECT_TRUE(pattern_matches(ctx->buf, 0, len));
	pipe_close(_metadata, ctx);
}

/* Reads @len bytes of the pattern from offset 0, and closes the pipe. */
static void drain_and_close(struct __test_metadata *_metadata,
			    struct fault_ctx *ctx, size_t len)
{
	size_t done = 0;
	ssize_t ret;

	while (done < len) {
		size_t n = len - done < sizeof(ctx->big) ? len - done :
							    sizeof(ctx->big);

		ret = read(ctx->fds[0], ctx->big, n);
		ASSERT_LT(0, ret);
		EXPECT_TRUE(pattern_matches(ctx->big, done, ret));
		done += ret;
	}
	pipe_close(_metadata, ctx);
}

/* A page allocated, and 1000 bytes in it; atomic writes up to GROW_LEN. */
static void grow_prepare(struct __test_metadata *_metadata,
			 struct fault_ctx *ctx)
{
	ssize_t len = sizeof(ctx->buf);

	ASSERT_EQ(0, sbpipe_create(ctx->sandbox, 0, ctx->size, GROW_LEN,
				   ctx->fds));
	pattern_fill(ctx->buf, 0, len);
	ASSERT_EQ(len, write(ctx->fds[1], ctx->buf, len));
	pattern_fill(ctx->big, len, GROW_LEN);
}

static long grow_call(struct fault_ctx *ctx)
{
	return write(ctx->fds[1], ctx->big, GROW_LEN);
}

/* All of the write queued after what was there, or none of it. */
static void grow_check(struct __test_metadata *_metadata,
		       struct fault_ctx *ctx, long ret, unsigned int n)
{
	struct sbpipe_info info;

	ASSERT_EQ(0, sbpipe_info(ctx->fds[0], &info));
	if (ret >= 0)
		EXPECT_EQ(GROW_LEN, ret)
			TH_LOG("fault point %u: atomic write split", n);
	EXPECT_EQ(QUEUED_LEN + (ret < 0 ? 0U : GROW_LEN), info.queued)
		TH_LOG("fault point %u: wrong bytes queued", n);
}

static void grow_cleanup(struct __test_metadata *_metadata,
			 struct fault_ctx *ctx, long ret)
{
	drain_and_close(_metadata, ctx, QUEUED_LEN + (ret < 0 ? 0 : GROW_LEN));
}

static void resize_prepare(struct __test_metadata *_metadata,
			   struct fault_ctx *ctx)
{
	ssize_t len = sizeof(ctx->buf);

	pipe_new(_metadata, ctx, 8192);
	pattern_fill(ctx->buf, 0, len);
	ASSERT_EQ(len, write(ctx->fds[1], ctx->buf, len));
}

static long resize_call(struct fault_ctx *ctx)
{
	memset(&ctx->resize, 0, sizeof(ctx->resize));
	ctx->resize.size = ctx->size;
	return ioctl(ctx->fds[1], SBPIPE_IOC_SET_SIZE, &ctx->resize);
}

/* The size is the new one, or the old one after a failure. */
static void resize_check(struct __test_metadata *_metadata,
			 struct fault_ctx *ctx, long ret, unsigned int n)
{
	struct sbpipe_stats stats;
	struct sbpipe_size size;

	memset(&size, 0, sizeof(size));
	ASSERT_EQ(0, ioctl(ctx->fds[0], SBPIPE_IOC_GET_SIZE, &size));
	EXPECT_EQ(ret ? 8192U : ctx->size, size.size)
		TH_LOG("fault point %u: wrong size", n);
	ASSERT_EQ(0, sbpipe_stats(ctx->sandbox, &stats));
	EXPECT_EQ(ret ? 8192ULL : ctx->size, stats.bytes_reserved)
		TH_LOG("fault point %u: wrong charge", n);
}

/* Whatever happened, the queued data is intact. */
static void resize_cleanup(struct __test_metadata *_metadata,
			   struct fault_ctx *ctx, long ret)
{
	ssize_t len = sizeof(ctx->buf);

	memset(ctx->buf, 0, len);
	ASSERT_EQ(len, read(ctx->fds[0], ctx->buf, len));
	EXPECT_TRUE(pattern_matches(ctx->buf, 0, len));
	pipe_close(_metadata, ctx);
}

static void resize_large_prepare(struct __test_metadata *_metadata,
				 struct fault_ctx *ctx)
{
	pipe_new(_metadata, ctx, 8192);
	pattern_fill(ctx->big, 0, QUEUED_LARGE_LEN);
	ASSERT_EQ(QUEUED_LARGE_LEN,
		  write(ctx->fds[1], ctx->big, QUEUED_LARGE_LEN));
}

static void resize_large_cleanup(struct __test_metadata *_metadata,
				 struct fault_ctx *ctx, long ret)
{
	drain_and_close(_metadata, ctx, QUEUED_LARGE_LEN);
}

static void reopen_prepare(struct __test_metadata *_metadata,
			   struct fault_ctx *ctx)
{
	pipe_new(_metadata, ctx, ctx->size);
	snprintf(ctx->path, sizeof(ctx->path), "/proc/self/fd/%d",
		 ctx->fds[0]);
}

static long reopen_call(struct fault_ctx *ctx)
{
	ctx->fd = open(ctx->path, O_RDONLY | O_CLOEXEC);
	return ctx->fd;
}

/* Once the new file is closed, the pipe has one reader again. */
static void reopen_cleanup(struct __test_metadata *_metadata,
			   struct fault_ctx *ctx, long ret)
{
	struct sbpipe_info info;

	fd_cleanup(_metadata, ctx, ret);
	ASSERT_EQ(0, sbpipe_info(ctx->fds[0], &info));
	EXPECT_EQ(1U, info.readers);
	EXPECT_EQ(1U, info.writers);
	pipe_close(_metadata, ctx);
}

static const struct fault_op open_op = {
	.name		= "open of /dev/sbpipe",
	.errnos		= file_errnos,
	.call		= open_call,
	.cleanup	= fd_cleanup,
};

static const struct fault_op create_op = {
	.name		= "SBPIPE_IOC_CREATE",
	.errnos		= file_errnos,
	.call		= create_call,
	.check		= create_check,
	.cleanup	= create_cleanup,
};

static const struct fault_op write_op = {
	.name		= "first write",
	.errnos		= alloc_errnos,
	.prepare	= write_prepare,
	.call		= write_call,
	.check		= write_check,
	.cleanup	= write_cleanup,
};

static const struct fault_op resize_op = {
	.name		= "SBPIPE_IOC_SET_SIZE with data queued",
	.errnos		= alloc_errnos,
	.prepare	= resize_prepare,
	.call		= resize_call,
	.check		= resize_check,
	.cleanup	= resize_cleanup,
};

static const struct fault_op grow_op = {
	.name		= "atomic write that grows the ring",
	.errnos		= alloc_errnos,
	.prepare	= grow_prepare,
	.call		= grow_call,
	.check		= grow_check,
	.cleanup	= grow_cleanup,
};

static const struct fault_op resize_large_op = {
	.name		= "SBPIPE_IOC_SET_SIZE with more than a page queued",
	.errnos		= alloc_errnos,
	.prepare	= resize_large_prepare,
	.call		= resize_call,
	.check		= resize_check,
	.cleanup	= resize_large_cleanup,
};

static const struct fault_op reopen_op = {
	.name		= "reopen through /proc/self/fd",
	.errnos		= reopen_errnos,
	.prepare	= reopen_prepare,
	.call		= reopen_call,
	.cleanup	= reopen_cleanup,
};

/* How one round fails: fail-nth's point, and what fails after it. */
struct fault_plan {
	unsigned int nth;	/* fail-nth's point */
	const char *attr;	/* then this attribute's points, or none... */
	long long space;	/* ...once the call passed this much of it */
};

/* What a round's call did. */
struct fault_result {
	long ret;		/* its return value */
	int err;		/* and errno */
	int left;		/* the fail-nth points it did not pass */
	long long passed;	/* how much of plan.attr it passed clean */
};

/*
 * One round of @op under @plan: the call is made in the armed window, and
 * after it, a failed call must have left the module's counts and this
 * process's descriptors as they were.
 */
static void fault_round(struct __test_metadata *_metadata,
			struct _test_data_faults *self,
			const struct fault_op *op, struct fault_ctx *ctx,
			const struct fault_plan *plan, struct fault_result *res)
{
	struct sbpipe_counts before, after;
	long long space = 0;
	int armed = 0;

	if (op->prepare)
		op->prepare(_metadata, ctx);
	ASSERT_EQ(0, counts_read(&before));

	if (plan->attr) {
		ASSERT_EQ(0, attr_write(plan->attr, "space", plan->space));
		ASSERT_EQ(0, attr_write(plan->attr, "probability", 100));
		ASSERT_EQ(1, pwrite(self->make_it_fail, "1", 1, 0));
	}
	ASSERT_EQ(0, fail_nth_arm(self->nth, plan->nth));
	res->ret = op->call(ctx);
	res->err = errno;
	if (plan->attr) {
		/* Writing make-it-fail allocates nothing: it cannot fail. */
		armed = pwrite(self->make_it_fail, "0", 1, 0) != 1;
	}
	res->left = fail_nth_disarm(self->nth);
	ASSERT_EQ(0, armed);
	if (plan->attr) {
		ASSERT_EQ(0, attr_write(plan->attr, "probability", 0));
		ASSERT_EQ(0, attr_read(plan->attr, "space", &space));
		res->passed = plan->space - space;
	}

	ASSERT_EQ(0, counts_read(&after));
	if (res->ret < 0)
		counts_check(_metadata, &before, &after, plan->nth);
	if (op->check)
		op->check(_metadata, ctx, res->ret, plan->nth);
	if (op->cleanup)
		op->cleanup(_metadata, ctx, res->ret);
}

/*
 * Counts round @n of a test's loop, whose call had @res. A call that
 * failed must have failed with an errno of @allowed. Returns true when the
 * call passed fewer than @n fault points, which ends the loop.
 */
static bool fault_tally(struct __test_metadata *_metadata,
			struct _test_data_faults *self, unsigned int n,
			const struct fault_result *res, const int *allowed)
{
	EXPECT_LE(0, res->left);
	if (res->left) {
		EXPECT_LE(0, res->ret) TH_LOG("call ran clean but failed: %s",
					      strerror(res->err));
		self->tally.points = n - 1;
		return true;
	}
	if (res->ret < 0) {
		EXPECT_TRUE(errno_in(res->err, allowed))
			TH_LOG("fault point %u: unexpected errno %d (%s)",
			       n, res->err, strerror(res->err));
		self->tally.injected++;
	} else {
		self->tally.absorbed++;
	}
	return false;
}

/* A walk over the points of one fallback path. */
struct fallback_walk {
	struct fault_plan plan;	/* fail-nth's point and the attribute */
	unsigned int rounds;	/* rounds run */
	bool lost;		/* a call no longer reached fail-nth's point */
};

/*
 * One round of the walk with space @space. Returns how much of the
 * attribute the call passed clean.
 */
static long long fallback_round(struct __test_metadata *_metadata,
				struct _test_data_faults *self,
				const struct fault_op *op,
				struct fault_ctx *ctx,
				struct fallback_walk *walk, long long space)
{
	struct fault_result res;

	walk->plan.space = space;
	fault_round(_metadata, self, op, ctx, &walk->plan, &res);
	walk->rounds++;
	self->tally.fallback_rounds++;
	if (res.left) {
		/*
		 * The call passed fewer points than before: the failure
		 * that took it to the fallback was of a slab's new page,
		 * say, which this call did not need. It ran clean.
		 */
		EXPECT_LE(0, res.ret);
		walk->lost = true;
		return 0;
	}
	if (res.ret < 0) {
		EXPECT_TRUE(errno_in(res.err, op->errnos))
			TH_LOG("fallback of point %u, %s space %lld: unexpected errno %d (%s)",
			       walk->plan.nth, walk->plan.attr, space,
			       res.err, strerror(res.err));
		self->tally.fallback_injected++;
	}
	return res.passed;
}

static bool fallback_walking(const struct fallback_walk *walk)
{
	return !walk->lost && walk->rounds < MAX_FALLBACK_ROUNDS;
}

/*
 * Point @n of @op's call failed and the call took a fallback: fails the
 * points of @attr it passes after point @n, one by one. With space s, the
 * call passes clean the points whose sizes add up to less than s and
 * fails the next, so the amount it passed says which point failed: a
 * search over s finds where each point ends, and so the next one, up to
 * the total a clean call passes. Returns the points found.
 */
static unsigned int fault_fallback(struct __test_metadata *_metadata,
				   struct _test_data_faults *self,
				   const struct fault_op *op,
				   struct fault_ctx *ctx, unsigned int n,
				   const char *attr)
{
	struct fallback_walk walk = { .plan = { .nth = n, .attr = attr } };
	long long total, end, lo, hi, step, mid, passed;
	unsigned int points = 0;

	total = fallback_round(_metadata, self, op, ctx, &walk,
			       FALLBACK_SPACE);
	/* Where the points found so far end: 0 before the first. */
	end = 0;
	while (end < total && fallback_walking(&walk)) {
		/* Space end + 1 fails the point after end. */
		lo = end + 1;
		passed = fallback_round(_metadata, self, op, ctx, &walk, lo);
		if (passed != end) {
			/* Not the call the first round saw: start over. */
			end = passed < end ? 0 : passed;
			continue;
		}
		/* Gallop to a space that the point passes, then bisect. */
		hi = total + 1;
		for (step = 1; lo + step <= total && fallback_walking(&walk);
		     step *= 2) {
			if (fallback_round(_metadata, self, op, ctx, &walk,
					   lo + step) != end) {
				hi = lo + step;
				break;
			}
			lo += step;
		}
		while (hi - lo > 1 && fallback_walking(&walk)) {
			mid = lo + (hi - lo) / 2;
			if (fallback_round(_metadata, self, op, ctx, &walk,
					   mid) != end)
				hi = mid;
			else
				lo = mid;
		}
		end = lo;
		points++;
	}
	EXPECT_GT(MAX_FALLBACK_ROUNDS, walk.rounds)
		TH_LOG("fallback of point %u: %s not walked in %u rounds",
		       n, attr, MAX_FALLBACK_ROUNDS);
	return points;
}

/*
 * Fails the 1st, 2nd, ... fault point of @op's call with a ring of @size,
 * until a call passes them all, checking after each round that a failed
 * call left the module's counts and this process's descriptors as they
 * were; with @fallbacks, after each failure the call absorbed, fails the
 * points of the fallback it took too. Returns the number of injected
 * failures.
 */
static unsigned int fault_loop(struct __test_metadata *_metadata,
			       struct _test_data_faults *self,
			       const struct fault_op *op, unsigned int size,
			       bool fallbacks)
{
	struct fault_ctx ctx = {
		.sandbox = self->sandbox,
		.size = size,
		.fds = { -1, -1 },
		.fd = -1,
	};
	struct fault_plan plan = { 0 };
	struct fault_result res;
	unsigned int n, i;
	bool done = false;

	memset(&self->tally, 0, sizeof(self->tally));
	for (n = 1; n < MAX_FAULT_POINTS && !done; n++) {
		plan.nth = n;
		fault_round(_metadata, self, op, &ctx, &plan, &res);
		done = fault_tally(_metadata, self, n, &res, op->errnos);
		if (done || res.ret < 0 || !fallbacks)
			continue;
		for (i = 0; i < ARRAY_SIZE(fault_attrs); i++)
			self->tally.fallback_points +=
				fault_fallback(_metadata, self, op, &ctx, n,
					       fault_attrs[i]);
	}
	EXPECT_TRUE(done) TH_LOG("%s: more than %u fault points", op->name,
				 MAX_FAULT_POINTS);

	ksft_print_msg("%s, %u-byte ring: %u injected failures, %u absorbed, %u fault points\n",
		       op->name, size, self->tally.injected,
		       self->tally.absorbed, self->tally.points);
	if (fallbacks)
		ksft_print_msg("%s, %u-byte ring, fallbacks: %u injected failures in %u rounds, %u fault points\n",
			       op->name, size, self->tally.fallback_injected,
			       self->tally.fallback_rounds,
			       self->tally.fallback_points);
	fflush(stdout);
	return self->tally.injected + self->tally.fallback_injected;
}

TEST_F(faults, open_of_the_device_fails_cleanly)
{
	EXPECT_LT(0U, fault_loop(_metadata, self, &open_op, 0, false));
}

TEST_F(faults, pipe_creation_fails_cleanly)
{
	EXPECT_LT(0U, fault_loop(_metadata, self, &create_op, 4096, false));
}

/*
 * A ring starts at a page, from kmalloc(). A larger buffer, which a write
 * grows it to or a resize moves more than a page of data into, comes from
 * kvmalloc(), which goes on to vmalloc() when kmalloc() fails: the
 * failures of that fallback's allocations must be clean too.
 */
TEST_F(faults, first_write_fails_cleanly)
{
	EXPECT_LT(0U, fault_loop(_metadata, self, &write_op, LARGE_RING,
				 false));
}

TEST_F_TIMEOUT(faults, write_that_grows_the_ring_fails_cleanly, 600)
{
	fault_loop(_metadata, self, &grow_op, LARGE_RING, true);
	EXPECT_LT(0U, self->tally.fallback_injected);
}

TEST_F_TIMEOUT(faults, growing_a_pipe_with_data_fails_cleanly, 600)
{
	fault_loop(_metadata, self, &resize_large_op, LARGE_RING, true);
	EXPECT_LT(0U, self->tally.fallback_injected);
}

TEST_F(faults, shrinking_a_pipe_with_data_fails_cleanly)
{
	EXPECT_LT(0U, fault_loop(_metadata, self, &resize_op, 2048, false));
}

TEST_F(faults, reopen_through_proc_fails_cleanly)
{
	EXPECT_LT(0U, fault_loop(_metadata, self, &reopen_op, 4096, false));
}

TEST_HARNESS_MAIN
