/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbpipe: the byte ring under each pipe.
 *
 * One writer and one reader at a time use the ring without a common lock:
 * the pipe serialises writers among themselves and readers among
 * themselves, and the two sides meet only through @head, stored by the
 * writer, and @tail, stored by the reader. Each side publishes its index
 * with a release store after touching the bytes, and reads the other's
 * with an acquire load before touching them.
 *
 * NOTE: lib/kfifo has the same shape, but its indices are masked with
 * size - 1 and so its size must be a power of two, while a pipe here may
 * hold any number of bytes from 1 up. The indices below run over
 * [0, 2 * cap) instead: equal indices mean empty, indices cap apart mean
 * full, so every byte of a buffer of any size is used.
 *
 * This header holds only the index arithmetic and compiles in userspace
 * as well, so that the ordering can be checked under ThreadSanitizer; the
 * parts that need the kernel (memory, iov_iter) are in ring.c.
 */
#ifndef _SBPIPE_RING_H
#define _SBPIPE_RING_H

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>
#else
#include <stddef.h>
typedef unsigned int u32;
/* The C11 equivalents of the kernel's acquire load and release store. */
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
/* Pairs as the kernel's: see the users below. */
#define smp_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), v, __ATOMIC_RELAXED)
#endif

/* The largest capacity: 2 * cap must fit in a u32 with room to spare. */
#define SBPIPE_RING_MAX_CAP	0x40000000U

/**
 * struct sbpipe_ring - a single-producer, single-consumer byte ring
 * @data: @cap bytes, or NULL while nothing was ever written. Set by the
 *	writer before it first publishes @head, so a reader that saw data
 *	through @head also sees @data; replaced by a larger buffer only with
 *	both sides excluded.
 * @cap: the capacity of @data in bytes, or of the buffer the first write
 *	will allocate. Changes only with both sides excluded.
 * @head: where the next byte is written, in [0, 2 * @cap). Stored by the
 *	writer only.
 * @tail: where the next byte is read, in [0, 2 * @cap). Stored by the
 *	reader only.
 */
struct sbpipe_ring {
	char *data;
	u32 cap;
	u32 head;
	u32 tail;
};

/* Bytes between @tail and @head, for indices in [0, 2 * @cap). */
static inline u32 sbpipe_ring_distance(u32 cap, u32 head, u32 tail)
{
	return head >= tail ? head - tail : head + 2 * cap - tail;
}

/* The index @n bytes after @idx. */
static inline u32 sbpipe_ring_next(u32 cap, u32 idx, u32 n)
{
	idx += n;
	return idx >= 2 * cap ? idx - 2 * cap : idx;
}

/* The buffer offset of index @idx. */
static inline u32 sbpipe_ring_offset(u32 cap, u32 idx)
{
	return idx >= cap ? idx - cap : idx;
}

/*
 * How many of @len bytes starting @skip bytes after index @idx lie before
 * the end of the buffer; the rest wraps to offset 0. Sets *@off to the
 * buffer offset of the first byte.
 */
static inline u32 sbpipe_ring_span(const struct sbpipe_ring *ring, u32 idx,
				   u32 skip, u32 len, u32 *off)
{
	*off = sbpipe_ring_offset(ring->cap,
				  sbpipe_ring_next(ring->cap, idx, skip));
	return len < ring->cap - *off ? len : ring->cap - *off;
}

/* Writer side, under the writers' lock: bytes that may be written now. */
static inline u32 sbpipe_ring_space(const struct sbpipe_ring *ring)
{
	/*
	 * Pairs with smp_store_release() in sbpipe_ring_consume(): the reader
	 * is done with the bytes it released before the writer reuses them.
	 */
	u32 tail = smp_load_acquire(&ring->tail);

	return ring->cap - sbpipe_ring_distance(ring->cap, ring->head, tail);
}

/* Writer side: make @n bytes written after @head visible to the reader. */
static inline void sbpipe_ring_produce(struct sbpipe_ring *ring, u32 n)
{
	/* Pairs with smp_load_acquire() in sbpipe_ring_avail(). */
	smp_store_release(&ring->head,
			  sbpipe_ring_next(ring->cap, ring->head, n));
}

/* Reader side, under the readers' lock: bytes that may be read now. */
static inline u32 sbpipe_ring_avail(const struct sbpipe_ring *ring)
{
	/*
	 * Pairs with smp_store_release() in sbpipe_ring_produce(): the bytes
	 * (and @data) are in place before the reader copies them.
	 */
	u32 head = smp_load_acquire(&ring->head);

	return sbpipe_ring_distance(ring->cap, head, ring->tail);
}

/* Reader side: hand @n bytes after @tail back to the writer. */
static inline void sbpipe_ring_consume(struct sbpipe_ring *ring, u32 n)
{
	/* Pairs with smp_load_acquire() in sbpipe_ring_space(). */
	smp_store_release(&ring->tail,
			  sbpipe_ring_next(ring->cap, ring->tail, n));
}

/*
 * Bytes queued, for observers that hold neither lock (poll, wait
 * conditions). The two indices are read apart, so the result may be stale
 * and is clamped to the capacity; observers recheck under a lock or rely
 * on a later wakeup.
 */
static inline u32 sbpipe_ring_used_racy(const struct sbpipe_ring *ring)
{
	u32 cap = READ_ONCE(ring->cap);
	u32 used = sbpipe_ring_distance(cap, READ_ONCE(ring->head),
					READ_ONCE(ring->tail));

	return used > cap ? cap : used;
}

#ifdef __KERNEL__
struct iov_iter;

int sbpipe_ring_alloc(struct sbpipe_ring *ring);
void sbpipe_ring_free(struct sbpipe_ring *ring);
int sbpipe_ring_resize(struct sbpipe_ring *ring, u32 cap);
int sbpipe_ring_grow(struct sbpipe_ring *ring, u32 cap);
size_t sbpipe_ring_copy_from_iter(struct sbpipe_ring *ring, u32 skip,
				  u32 len, struct iov_iter *from);
size_t sbpipe_ring_copy_to_iter(const struct sbpipe_ring *ring, u32 skip,
				u32 len, struct iov_iter *to);
void sbpipe_ring_put(struct sbpipe_ring *ring, u32 skip, const void *buf,
		     u32 len);
void sbpipe_ring_get(const struct sbpipe_ring *ring, u32 skip, void *buf,
		     u32 len);
int sbpipe_ring_copy_to_user(const struct sbpipe_ring *ring, u32 skip,
			     void __user *ubuf, u32 len);
#endif

#endif /* _SBPIPE_RING_H */
