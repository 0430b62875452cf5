// SPDX-License-Identifier: GPL-2.0
/*
 * The pipe ring's index arithmetic and memory ordering, checked in
 * userspace: module/ring.c and module/ring.h are compiled unchanged (see
 * shim/) and driven by threads that take the roles the kernel gives them,
 * under ThreadSanitizer.
 *
 * One writer and one reader move sequence-numbered records through the
 * ring, each side under its own lock as pipe.c's wr_mutex and rd_mutex, so
 * that the two sides meet only through the ring's acquire and release.
 * An observer reads the lock-free queued count as poll does, and in some
 * runs a resizer takes both locks and changes the capacity under traffic,
 * as SBPIPE_IOC_SET_SIZE does and as a writer growing the buffer does.
 * Capacities of 1, 2 and odd sizes make the indices wrap many times.
 *
 * The reader checks every record: sequence, length and contents. Stream
 * runs cut records wherever the ring's room ends; packet runs frame each
 * record with a length header as an O_DIRECT pipe does.
 *
 * Prints TAP, one case per run; exits non-zero on any failure.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring_shim.h"
#include "ring.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The largest record payload, above the kernel's default atomic size. */
#define RECORD_MAX	5000
/* A stream record: its sequence number and payload length, then payload. */
#define RECORD_HDR	8
/* The length word in front of each packet, as SBPIPE_PACKET_HDR. */
#define PACKET_HDR	4

struct ring_run {
	const char *name;
	u32 cap;
	bool packet;
	bool resize;
	size_t bytes;	/* payload bytes to move */
};

/* The state the threads share; each field says who touches it. */
struct ring_ctx {
	struct sbpipe_ring ring;
	pthread_mutex_t rd_lock;	/* the reader's side, outer */
	pthread_mutex_t wr_lock;	/* the writer's side */
	const struct ring_run *run;
	u32 records;			/* set before the threads start */
	int done;			/* atomic: the reader has finished */
	int failed;			/* atomic: a check failed */
	unsigned long resizes;		/* resizer only */
	unsigned long observed;		/* observer only */
	char why[160];			/* the first failure, reader only */
};

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* Payload bytes of record @seq: 1, 2, odd, around the atomic size. */
static u32 record_len(const struct ring_run *run, u32 seq)
{
	static const u32 sizes[] = {
		1, 2, 3, 5, 7, 8, 13, 64, 255, 256, 1000, 4095, 4096, 4097,
		RECORD_MAX,
	};
	u32 len = sizes[mix(seq) % ARRAY_SIZE(sizes)];

	/* A packet must fit the ring whole, at its smallest capacity. */
	if (run->packet && len > run->cap - PACKET_HDR)
		len = 1 + mix(seq + 1) % (run->cap - PACKET_HDR);
	return len;
}

static unsigned char record_byte(u32 seq, u32 i)
{
	return mix(seq * 8191 + i);
}

/* Builds record @seq into @buf; returns its length in the ring. */
static u32 record_build(const struct ring_run *run, u32 seq,
			unsigned char *buf)
{
	u32 len = record_len(run, seq), i, off = 0;

	if (!run->packet) {
		memcpy(buf, &seq, 4);
		memcpy(buf + 4, &len, 4);
		off = RECORD_HDR;
	}
	for (i = 0; i < len; i++)
		buf[off + i] = record_byte(seq, i);
	return off + len;
}

static void fail(struct ring_ctx *ctx, const char *why, u32 seq)
{
	if (!__atomic_exchange_n(&ctx->failed, 1, __ATOMIC_RELAXED))
		snprintf(ctx->why, sizeof(ctx->why), "record %u: %s", seq,
			 why);
}

static bool stopped(struct ring_ctx *ctx)
{
	return __atomic_load_n(&ctx->done, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&ctx->failed, __ATOMIC_RELAXED);
}

/*
 * The writer, as sbpipe_write_iter() and sbpipe_write_step(): under the
 * writers' lock, allocate the buffer on first use, wait for room, copy,
 * publish. A packet waits for room for all of itself.
 */
static void *writer(void *arg)
{
	static unsigned char buf[RECORD_HDR + RECORD_MAX];
	struct ring_ctx *ctx = arg;
	struct sbpipe_ring *ring = &ctx->ring;
	u32 seq;

	for (seq = 0; seq < ctx->records && !stopped(ctx); ) {
		u32 len = record_build(ctx->run, seq, buf), done = 0;

		while (done < len && !stopped(ctx)) {
			struct iov_iter from;
			u32 room, n, skip = 0;

			pthread_mutex_lock(&ctx->wr_lock);
			if (!ring->data && sbpipe_ring_alloc(ring)) {
				pthread_mutex_unlock(&ctx->wr_lock);
				fail(ctx, "out of memory", seq);
				break;
			}
			room = sbpipe_ring_space(ring);
			if (ctx->run->packet) {
				n = len;
				if (room < PACKET_HDR + n)
					n = 0;
			} else {
				n = len - done < room ? len - done : room;
			}
			if (!n) {
				pthread_mutex_unlock(&ctx->wr_lock);
				sched_yield();
				continue;
			}
			if (ctx->run->packet) {
				sbpipe_ring_put(ring, 0, &n, PACKET_HDR);
				skip = PACKET_HDR;
			}
			iov_iter_init_buf(&from, buf + done, n);
			if (sbpipe_ring_copy_from_iter(ring, skip, n, &from) != n)
				fail(ctx, "short copy in", seq);
			sbpipe_ring_produce(ring, skip + n);
			pthread_mutex_unlock(&ctx->wr_lock);
			done += n;
		}
		seq++;
	}
	return NULL;
}

/*
 * Copies @n queued bytes out, by turns through each of ring.c's three
 * ways out, as read(), splice and PEEK use them.
 */
static void reader_copy(struct ring_ctx *ctx, u32 skip, unsigned char *dst,
			u32 n, unsigned int turn)
{
	struct iov_iter to;

	switch (turn % 3) {
	case 0:
		iov_iter_init_buf(&to, dst, n);
		if (sbpipe_ring_copy_to_iter(&ctx->ring, skip, n, &to) != n)
			fail(ctx, "short copy out", 0);
		break;
	case 1:
		sbpipe_ring_get(&ctx->ring, skip, dst, n);
		break;
	default:
		if (sbpipe_ring_copy_to_user(&ctx->ring, skip, dst, n))
			fail(ctx, "copy to user failed", 0);
		break;
	}
}

/* Checks the record of @len ring bytes at @buf against record @seq. */
static bool record_check(struct ring_ctx *ctx, u32 seq,
			 const unsigned char *buf, u32 len)
{
	static unsigned char want[RECORD_HDR + RECORD_MAX];
	u32 want_len = record_build(ctx->run, seq, want);

	if (len != want_len) {
		fail(ctx, "wrong length (torn or merged)", seq);
		return false;
	}
	if (!ctx->run->packet && memcmp(buf, &seq, 4)) {
		fail(ctx, "wrong sequence number (lost or duplicated)", seq);
		return false;
	}
	if (memcmp(buf, want, len)) {
		fail(ctx, "corrupt payload", seq);
		return false;
	}
	return true;
}

/*
 * The reader, as sbpipe_read_iter(): under the readers' lock, take what
 * is there (up to a varying chunk, so that records are cut at random) or
 * one whole packet, then hand the room back.
 */
static void *reader(void *arg)
{
	static unsigned char rec[RECORD_HDR + RECORD_MAX];
	struct ring_ctx *ctx = arg;
	struct sbpipe_ring *ring = &ctx->ring;
	u32 seq = 0, have = 0, need = RECORD_HDR;
	unsigned int turn = 0;

	while (seq < ctx->records && !stopped(ctx)) {
		u32 avail, n, plen;

		pthread_mutex_lock(&ctx->rd_lock);
		avail = sbpipe_ring_avail(ring);
		if (!avail) {
			pthread_mutex_unlock(&ctx->rd_lock);
			sched_yield();
			continue;
		}
		turn++;
		if (ctx->run->packet) {
			sbpipe_ring_get(ring, 0, &plen, PACKET_HDR);
			if (plen > RECORD_MAX || PACKET_HDR + plen > avail) {
				pthread_mutex_unlock(&ctx->rd_lock);
				fail(ctx, "bad packet header", seq);
				break;
			}
			reader_copy(ctx, PACKET_HDR, rec, plen, turn);
			sbpipe_ring_consume(ring, PACKET_HDR + plen);
			pthread_mutex_unlock(&ctx->rd_lock);
			if (!record_check(ctx, seq, rec, plen))
				break;
			seq++;
			continue;
		}

		n = need - have;
		if (n > avail)
			n = avail;
		if (n > 1 + mix(turn) % 4099)
			n = 1 + mix(turn) % 4099;
		reader_copy(ctx, 0, rec + have, n, turn);
		sbpipe_ring_consume(ring, n);
		pthread_mutex_unlock(&ctx->rd_lock);

		have += n;
		if (have == RECORD_HDR && need == RECORD_HDR) {
			u32 len;

			memcpy(&len, rec + 4, 4);
			if (len > RECORD_MAX) {
				fail(ctx, "bad record header", seq);
				break;
			}
			need += len;
		}
		if (have == need) {
			if (!record_check(ctx, seq, rec, have))
				break;
			seq++;
			have = 0;
			need = RECORD_HDR;
		}
	}
	__atomic_store_n(&ctx->done, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* As poll: the lock-free count, which must never exceed the capacity. */
static void *observer(void *arg)
{
	struct ring_ctx *ctx = arg;

	while (!stopped(ctx)) {
		u32 cap = READ_ONCE(ctx->ring.cap);
		u32 used = sbpipe_ring_used_racy(&ctx->ring);

		/* A resize may have shrunk the ring between the two reads. */
		if (used > cap && used > READ_ONCE(ctx->ring.cap))
			fail(ctx, "queued count above the capacity", 0);
		ctx->observed++;
		usleep(50);
	}
	return NULL;
}

/*
 * As SBPIPE_IOC_SET_SIZE: both locks, readers' first, then a capacity no
 * smaller than what is queued (nor, for packets, than the largest one).
 */
static void *resizer(void *arg)
{
	struct ring_ctx *ctx = arg;
	struct sbpipe_ring *ring = &ctx->ring;
	u32 floor = ctx->run->cap, r = 1;

	while (!stopped(ctx)) {
		u32 used, cap;

		pthread_mutex_lock(&ctx->rd_lock);
		pthread_mutex_lock(&ctx->wr_lock);
		used = sbpipe_ring_distance(ring->cap, ring->head, ring->tail);
		r = mix(r);
		cap = floor + r % (2 * floor + 64);
		if (cap < used)
			cap = used;
		/* A larger buffer by turns the way the writer grows one. */
		if (ring->data && cap > ring->cap && r % 2 ?
		    sbpipe_ring_grow(ring, cap) :
		    sbpipe_ring_resize(ring, cap))
			fail(ctx, "resize failed", 0);
		else if (sbpipe_ring_avail(ring) != used)
			fail(ctx, "resize lost queued bytes", 0);
		pthread_mutex_unlock(&ctx->wr_lock);
		pthread_mutex_unlock(&ctx->rd_lock);
		ctx->resizes++;
		usleep(200);
	}
	return NULL;
}

/* The number of records that carry at least @bytes payload bytes. */
static u32 records_for(const struct ring_run *run, size_t bytes)
{
	size_t total = 0;
	u32 seq;

	for (seq = 0; total < bytes; seq++)
		total += record_len(run, seq);
	return seq;
}

static bool run_one(const struct ring_run *run, int num)
{
	pthread_t threads[4];
	struct ring_ctx ctx;
	int n = 0, i;

	memset(&ctx, 0, sizeof(ctx));
	pthread_mutex_init(&ctx.rd_lock, NULL);
	pthread_mutex_init(&ctx.wr_lock, NULL);
	ctx.run = run;
	ctx.ring.cap = run->cap;
	ctx.records = records_for(run, run->bytes);

	pthread_create(&threads[n++], NULL, writer, &ctx);
	pthread_create(&threads[n++], NULL, reader, &ctx);
	pthread_create(&threads[n++], NULL, observer, &ctx);
	if (run->resize)
		pthread_create(&threads[n++], NULL, resizer, &ctx);
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);

	if (!ctx.failed && sbpipe_ring_avail(&ctx.ring))
		fail(&ctx, "bytes left over after the last record", 0);
	sbpipe_ring_free(&ctx.ring);

	printf("%sok %d %s cap=%u%s%s\n", ctx.failed ? "not " : "", num,
	       run->name, run->cap, run->packet ? " packet" : "",
	       run->resize ? " resize" : "");
	printf("# records=%u bytes=%zu resizes=%lu%s%s\n", ctx.records,
	       run->bytes, ctx.resizes, ctx.failed ? " " : "",
	       ctx.failed ? ctx.why : "");
	return !ctx.failed;
}

int main(void)
{
	static const struct ring_run runs[] = {
		{ "one_byte",		1,	false, false, 64 << 10 },
		{ "two_bytes",		2,	false, false, 64 << 10 },
		{ "three_bytes",	3,	false, true,  64 << 10 },
		{ "odd_small",		61,	false, false, 1 << 20 },
		{ "page_minus_one",	4095,	false, false, 4 << 20 },
		{ "page_plus_one",	4097,	false, true,  4 << 20 },
		{ "default",		65536,	false, false, 8 << 20 },
		{ "odd_large",		65537,	false, true,  8 << 20 },
		{ "packet_tiny",	5,	true,  false, 32 << 10 },
		{ "packet_odd",		4103,	true,  false, 4 << 20 },
		{ "packet_resize",	4099,	true,  true,  4 << 20 },
		{ "packet_default",	65540,	true,  false, 8 << 20 },
	};
	int n = ARRAY_SIZE(runs), i, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%d\n", n);
	for (i = 0; i < n; i++)
		failed += !run_one(&runs[i], i + 1);
	printf("# %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
