// SPDX-License-Identifier: GPL-2.0
/*
 * sbpipe: the kernel side of the byte ring: its memory and the copies in
 * and out of it. The index arithmetic and its ordering are in ring.h.
 *
 * The writer-side functions run under the pipe's writers' lock, the
 * reader-side ones under its readers' lock, sbpipe_ring_resize() under both.
 */
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "ring.h"

/*
 * The copies between the ring and user memory use _copy_from_iter() and
 * _copy_to_iter(), as copy_page_from_iter() does for a native pipe's pages,
 * and not the copy_*_iter() wrappers: their hardened-usercopy check looks
 * the ring up (its slab, page span or vmap area) on every copy, which costs
 * more than a small write's whole copy, while the bounds it would enforce
 * are the ring's own, kept by sbpipe_ring_span() and the callers' limits
 * (the free space, the bytes queued).
 */

/*
 * A ring's buffer is charged to the memory cgroup of the task that
 * allocates it: the first writer, a writer that grows it, or a resizer.
 * It may be large; a failure is reported as ENOMEM, not in the log.
 */
#define SBPIPE_RING_GFP	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN)

/**
 * sbpipe_ring_alloc() - give an empty ring its buffer
 * @ring: a ring whose @data is NULL, under the writers' lock
 *
 * Return: 0, or -ENOMEM.
 */
int sbpipe_ring_alloc(struct sbpipe_ring *ring)
{
	char *data = kvmalloc(ring->cap, SBPIPE_RING_GFP);

	if (!data)
		return -ENOMEM;
	/*
	 * No barrier needed: a reader only looks at @data after seeing the
	 * @head that the first write publishes with a release store.
	 */
	ring->data = data;
	return 0;
}

/**
 * sbpipe_ring_free() - drop a ring's buffer and everything queued in it
 * @ring: the ring, with both sides excluded
 */
void sbpipe_ring_free(struct sbpipe_ring *ring)
{
	kvfree(ring->data);
	ring->data = NULL;
	WRITE_ONCE(ring->head, 0);
	WRITE_ONCE(ring->tail, 0);
}

/*
 * Move the @used queued bytes to the start of @data, a buffer of @cap
 * bytes or NULL when @used is 0, and drop the old buffer.
 */
static void sbpipe_ring_move(struct sbpipe_ring *ring, char *data, u32 cap,
			     u32 used)
{
	if (used)
		sbpipe_ring_get(ring, 0, data, used);
	kvfree(ring->data);
	ring->data = data;
	WRITE_ONCE(ring->cap, cap);
	WRITE_ONCE(ring->tail, 0);
	WRITE_ONCE(ring->head, used);
}

/**
 * sbpipe_ring_resize() - change a ring's capacity, keeping what is queued
 * @ring: the ring, with both sides excluded
 * @cap: the new capacity, at least the bytes queued
 *
 * The queued bytes move to the start of a new buffer. A ring that holds
 * nothing goes back to having no buffer, to be allocated by the next write.
 *
 * Return: 0, or -ENOMEM with the ring unchanged.
 */
int sbpipe_ring_resize(struct sbpipe_ring *ring, u32 cap)
{
	u32 used = sbpipe_ring_distance(ring->cap, ring->head, ring->tail);
	char *data = NULL;

	if (used) {
		data = kvmalloc(cap, SBPIPE_RING_GFP);
		if (!data)
			return -ENOMEM;
	}
	sbpipe_ring_move(ring, data, cap, used);
	return 0;
}

/**
 * sbpipe_ring_grow() - give a ring a larger buffer, keeping what is queued
 * @ring: the ring, with a buffer and both sides excluded
 * @cap: the new capacity, larger than the old
 *
 * Return: 0, or -ENOMEM with the ring unchanged.
 */
int sbpipe_ring_grow(struct sbpipe_ring *ring, u32 cap)
{
	u32 used = sbpipe_ring_distance(ring->cap, ring->head, ring->tail);
	char *data = kvmalloc(cap, SBPIPE_RING_GFP);

	if (!data)
		return -ENOMEM;
	sbpipe_ring_move(ring, data, cap, used);
	return 0;
}

/**
 * sbpipe_ring_copy_from_iter() - copy user data into the free space
 * @ring: the ring, under the writers' lock, with a buffer
 * @skip: bytes after @head at which to start
 * @len: bytes to copy; @skip + @len must not exceed the free space
 * @from: the source
 *
 * Nothing becomes visible to the reader until sbpipe_ring_produce().
 *
 * Return: the bytes copied, less than @len on a fault.
 */
size_t sbpipe_ring_copy_from_iter(struct sbpipe_ring *ring, u32 skip,
				  u32 len, struct iov_iter *from)
{
	u32 off, first = sbpipe_ring_span(ring, ring->head, skip, len, &off);
	size_t copied;

	copied = _copy_from_iter(ring->data + off, first, from);
	if (copied < first || first == len)
		return copied;
	return copied + _copy_from_iter(ring->data, len - first, from);
}

/**
 * sbpipe_ring_copy_to_iter() - copy queued data out without consuming it
 * @ring: the ring, under the readers' lock
 * @skip: queued bytes to pass over first
 * @len: bytes to copy; @skip + @len must not exceed the bytes queued
 * @to: the destination
 *
 * Return: the bytes copied, less than @len on a fault.
 */
size_t sbpipe_ring_copy_to_iter(const struct sbpipe_ring *ring, u32 skip,
				u32 len, struct iov_iter *to)
{
	u32 off, first = sbpipe_ring_span(ring, ring->tail, skip, len, &off);
	size_t copied;

	copied = _copy_to_iter(ring->data + off, first, to);
	if (copied < first || first == len)
		return copied;
	return copied + _copy_to_iter(ring->data, len - first, to);
}

/**
 * sbpipe_ring_put() - copy kernel bytes into the free space
 * @ring: the ring, under the writers' lock, with a buffer
 * @skip: bytes after @head at which to start
 * @buf: the bytes
 * @len: their number; @skip + @len must not exceed the free space
 */
void sbpipe_ring_put(struct sbpipe_ring *ring, u32 skip, const void *buf,
		     u32 len)
{
	u32 off, first = sbpipe_ring_span(ring, ring->head, skip, len, &off);

	memcpy(ring->data + off, buf, first);
	memcpy(ring->data, buf + first, len - first);
}

/**
 * sbpipe_ring_get() - copy queued bytes to kernel memory, not consuming
 * @ring: the ring, under the readers' lock
 * @skip: queued bytes to pass over first
 * @buf: the destination
 * @len: bytes to copy; @skip + @len must not exceed the bytes queued
 */
void sbpipe_ring_get(const struct sbpipe_ring *ring, u32 skip, void *buf,
		     u32 len)
{
	u32 off, first = sbpipe_ring_span(ring, ring->tail, skip, len, &off);

	memcpy(buf, ring->data + off, first);
	memcpy(buf + first, ring->data, len - first);
}

/**
 * sbpipe_ring_copy_to_user() - copy queued bytes to user memory
 * @ring: the ring, under the readers' lock
 * @skip: queued bytes to pass over first
 * @ubuf: the destination
 * @len: bytes to copy; @skip + @len must not exceed the bytes queued
 *
 * Return: 0, or -EFAULT.
 */
int sbpipe_ring_copy_to_user(const struct sbpipe_ring *ring, u32 skip,
			     void __user *ubuf, u32 len)
{
	u32 off, first = sbpipe_ring_span(ring, ring->tail, skip, len, &off);

	if (copy_to_user(ubuf, ring->data + off, first))
		return -EFAULT;
	if (copy_to_user(ubuf + first, ring->data, len - first))
		return -EFAULT;
	return 0;
}
