/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What module/ring.c takes from the kernel, for building it unchanged in
 * userspace. ring.h maps the barriers itself when __KERNEL__ is not
 * defined; this adds the allocator, the user copies and a one-segment
 * iov_iter, each with the kernel's return convention.
 *
 * Every stub header under linux/ here includes only this file, so that
 * ring.c's own #include lines resolve to it.
 */
#ifndef SBPIPE_RING_SHIM_H
#define SBPIPE_RING_SHIM_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define __user

/* A single user buffer, consumed from the front as the kernel's is. */
struct iov_iter {
	char *base;
	size_t count;
};

static inline void iov_iter_init_buf(struct iov_iter *iter, void *base,
				     size_t count)
{
	iter->base = base;
	iter->count = count;
}

/* ring.c calls the copies without the hardened-usercopy check. */
static inline size_t _copy_from_iter(void *to, size_t bytes,
				     struct iov_iter *from)
{
	if (bytes > from->count)
		bytes = from->count;
	memcpy(to, from->base, bytes);
	from->base += bytes;
	from->count -= bytes;
	return bytes;
}

static inline size_t _copy_to_iter(const void *from, size_t bytes,
				   struct iov_iter *to)
{
	if (bytes > to->count)
		bytes = to->count;
	memcpy(to->base, from, bytes);
	to->base += bytes;
	to->count -= bytes;
	return bytes;
}

/* Returns the bytes left uncopied, as the kernel's does: never any here. */
static inline unsigned long copy_to_user(void __user *to, const void *from,
					 unsigned long n)
{
	memcpy(to, from, n);
	return 0;
}

#define kvmalloc(size, gfp)	((void)(gfp), malloc(size))
#define kvfree(ptr)		free(ptr)
#define GFP_KERNEL_ACCOUNT	0
#define __GFP_NOWARN		0

/* What ring.h declares for the kernel only. */
struct sbpipe_ring;
int sbpipe_ring_alloc(struct sbpipe_ring *ring);
void sbpipe_ring_free(struct sbpipe_ring *ring);
int sbpipe_ring_resize(struct sbpipe_ring *ring, unsigned int cap);
size_t sbpipe_ring_copy_from_iter(struct sbpipe_ring *ring, unsigned int skip,
				  unsigned int len, struct iov_iter *from);
size_t sbpipe_ring_copy_to_iter(const struct sbpipe_ring *ring,
				unsigned int skip, unsigned int len,
				struct iov_iter *to);
void sbpipe_ring_put(struct sbpipe_ring *ring, unsigned int skip,
		     const void *buf, unsigned int len);
void sbpipe_ring_get(const struct sbpipe_ring *ring, unsigned int skip,
		     void *buf, unsigned int len);
int sbpipe_ring_copy_to_user(const struct sbpipe_ring *ring,
			     unsigned int skip, void __user *ubuf,
			     unsigned int len);

#endif /* SBPIPE_RING_SHIM_H */
