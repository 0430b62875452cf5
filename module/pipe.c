// SPDX-License-Identifier: GPL-2.0
/*
 * sbpipe: the pipes. Their ends are files of a small pseudo filesystem of
 * the module's own, so that they are S_IFIFO, share an inode number, and
 * can be opened again through /proc/<pid>/fd as a native pipe can.
 *
 * Readers and writers never share a lock: each side has its own mutex, and
 * the bytes cross through the ring (ring.h). Sleepers wait without their
 * mutex, so a resize or a shutdown, which take both, is never stuck behind
 * one; everything is rechecked after the mutex is taken again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/poll.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <asm/ioctls.h>

#include <linux/sbpipe.h>

#include "sbpipe.h"

/* "SBPI" */
#define SBPIPE_FS_MAGIC		0x53425049

#define SBPIPE_CREATE_FLAGS	(O_CLOEXEC | O_NONBLOCK | O_DIRECT)

/*
 * Sizes beyond this are EINVAL even with CAP_SYS_RESOURCE, as sizes beyond
 * 2^31 are for F_SETPIPE_SZ: the ring's indices must fit in a u32. A caller
 * without it hits max_size first and gets EPERM, as F_SETPIPE_SZ gives
 * below 2^31.
 */
#define SBPIPE_SIZE_LIMIT	(SBPIPE_RING_MAX_CAP - SBPIPE_PACKET_HDR)

/*
 * A large read or write moves its bytes in steps of at most this many and
 * publishes each step at once, waking the other side if it sleeps: the
 * reader copies one step out while the writer copies the next one in, where
 * a native pipe's single mutex makes the two copies take turns. Small
 * enough for the copies to overlap, large enough that a step's barrier and
 * wakeup check cost nothing next to its copy.
 */
#define SBPIPE_STEP		(16 * 1024U)

static struct vfsmount *sbpipe_mnt __ro_after_init;
static const struct file_operations sbpipe_pipe_fops;

/* The effective write-atomicity size; under either mutex. */
static u32 sbpipe_atomic_size(const struct sbpipe_pipe *pipe)
{
	return min(pipe->atomic_size, pipe->size);
}

/* The ring room one packet of @len payload bytes takes. */
static u32 sbpipe_packet_room(u32 len)
{
	return SBPIPE_PACKET_HDR + len;
}

static bool sbpipe_has_writers(struct sbpipe_pipe *pipe)
{
	/*
	 * Pairs with smp_store_release() in sbpipe_release(): a reader that
	 * sees the last writer gone also sees every byte it published.
	 */
	return smp_load_acquire(&pipe->writers);
}

/**
 * sbpipe_pipe_queued() - payload bytes written and not yet read
 * @pipe: the pipe; no lock needed, the answer may be stale
 *
 * Return: the bytes, 0 after a shutdown.
 */
u32 sbpipe_pipe_queued(struct sbpipe_pipe *pipe)
{
	s64 read, written;

	if (READ_ONCE(pipe->shutdown))
		return 0;
	read = READ_ONCE(pipe->bytes_read);
	/*
	 * The writer counts bytes before publishing them and the reader after
	 * consuming them, so reading in this order sees no more read than
	 * written; the clamp covers weakly ordered machines.
	 */
	smp_rmb();
	written = READ_ONCE(pipe->bytes_written);
	return written > read ? written - read : 0;
}

/*
 * Wake the sleepers and pollers of @wq. Every read and every write calls
 * this, so that edge-triggered epoll sees each of them, as on native pipes
 * since 5.14. wq_has_sleeper() holds the full barrier that orders the
 * index just published before the check against a sleeper's
 * prepare_to_wait() and condition check.
 */
static void sbpipe_wake(wait_queue_head_t *wq, __poll_t mask)
{
	if (wq_has_sleeper(wq))
		wake_up_interruptible_sync_poll(wq, mask);
}

/*
 * The same, after a step of a read or write that goes on copying. Not a
 * sync wakeup: this task is not about to sleep, and the woken one should
 * copy on another CPU meanwhile rather than wait for this one to yield.
 * With a single CPU there is no meanwhile: the wakeup would only preempt
 * this copy, so the one at the end of the call does.
 */
static void sbpipe_wake_progress(wait_queue_head_t *wq, __poll_t mask)
{
	if (num_online_cpus() > 1 && wq_has_sleeper(wq))
		wake_up_interruptible_poll(wq, mask);
}

/*
 * After an end opened or closed, a resize or a shutdown: everyone
 * rechecks. Most calls find no one, as when a new pipe's read end opens or
 * an unused pipe closes: wq_has_sleeper() spares them the locks.
 */
static void sbpipe_wake_all(struct sbpipe_pipe *pipe)
{
	if (wq_has_sleeper(&pipe->rd_wait))
		wake_up_interruptible_all(&pipe->rd_wait);
	if (wq_has_sleeper(&pipe->wr_wait))
		wake_up_interruptible_all(&pipe->wr_wait);
	kill_fasync(&pipe->fasync_readers, SIGIO, POLL_IN);
	kill_fasync(&pipe->fasync_writers, SIGIO, POLL_OUT);
}

static void sbpipe_count_wait(struct sbpipe_pipe *pipe)
{
	atomic64_inc(&pipe->sandbox->waits);
}

static bool sbpipe_readable(struct sbpipe_pipe *pipe)
{
	return READ_ONCE(pipe->shutdown) ||
	       sbpipe_ring_used_racy(&pipe->ring) ||
	       !READ_ONCE(pipe->writers);
}

/* Room for @need bytes, or a reason to stop waiting for it. */
static bool sbpipe_writable(struct sbpipe_pipe *pipe, u32 need,
			    unsigned int resizes)
{
	u32 room = READ_ONCE(pipe->capacity) -
		   sbpipe_ring_used_racy(&pipe->ring);

	return room >= need || READ_ONCE(pipe->shutdown) ||
	       !READ_ONCE(pipe->readers) ||
	       READ_ONCE(pipe->resizes) != resizes;
}

/*
 * A writer asleep for room. Writers sleep exclusively, so that a read wakes
 * one of them and not the whole crowd, as on a native pipe. But each waits
 * for its own amount of room, where a native writer waits for any free
 * slot: so a wakeup passes over the writers that still would not fit, and
 * wakes the first that would. A wakeup for everyone (a close, a resize, a
 * shutdown) makes every writer's condition true, and so wakes them all.
 *
 * A sleeping writer waits for at least a page of room, as a native one
 * waits for a whole free page slot: a reader draining small messages one
 * by one then wakes a writer once a page, not once a message.
 */
#define SBPIPE_WAKE_ROOM	((u32)PAGE_SIZE)

struct sbpipe_writer_wait {
	struct wait_queue_entry wq;
	struct sbpipe_pipe *pipe;
	u32 want;
	unsigned int resizes;
};

static int sbpipe_writer_wake(struct wait_queue_entry *wq, unsigned int mode,
			      int sync, void *key)
{
	struct sbpipe_writer_wait *w;

	w = container_of(wq, struct sbpipe_writer_wait, wq);
	if (!sbpipe_writable(w->pipe, w->want, w->resizes))
		return 0;
	return autoremove_wake_function(wq, mode, sync, key);
}

/*
 * As wait_event_interruptible_exclusive(), with the writer's own wake
 * function. Return: 0 once writable, -ERESTARTSYS on a signal.
 */
static int sbpipe_wait_writable(struct sbpipe_pipe *pipe, u32 need,
				unsigned int resizes)
{
	struct sbpipe_writer_wait w = {
		.pipe = pipe,
		.want = max(need, min(READ_ONCE(pipe->capacity),
				      SBPIPE_WAKE_ROOM)),
		.resizes = resizes,
	};
	long ret;

	init_wait_entry(&w.wq, WQ_FLAG_EXCLUSIVE);
	w.wq.func = sbpipe_writer_wake;
	for (;;) {
		ret = prepare_to_wait_event(&pipe->wr_wait, &w.wq,
					    TASK_INTERRUPTIBLE);
		if (sbpipe_writable(pipe, w.want, resizes))
			break;
		/* prepare_to_wait_event() has dequeued us already. */
		if (ret)
			return ret;
		schedule();
	}
	finish_wait(&pipe->wr_wait, &w.wq);
	return 0;
}

static void sbpipe_account_read(struct sbpipe_pipe *pipe, u32 payload)
{
	WRITE_ONCE(pipe->bytes_read, pipe->bytes_read + payload);
}

/*
 * Under rd_mutex, with @avail bytes queued: copy in steps, handing each
 * back to the writer at once, and go on with what the writer adds
 * meanwhile, as long as the buffer has room.
 */
static ssize_t sbpipe_read_stream(struct sbpipe_pipe *pipe,
				  struct iov_iter *to, u32 avail)
{
	size_t done = 0, copied;
	u32 len;

	for (;;) {
		len = min_t(size_t, min(avail, SBPIPE_STEP),
			    iov_iter_count(to));
		copied = sbpipe_ring_copy_to_iter(&pipe->ring, 0, len, to);
		if (copied) {
			sbpipe_ring_consume(&pipe->ring, copied);
			sbpipe_account_read(pipe, copied);
			done += copied;
		}
		if (copied < len || !iov_iter_count(to))
			break;
		avail = sbpipe_ring_avail(&pipe->ring);
		if (!avail)
			break;
		sbpipe_wake_progress(&pipe->wr_wait, EPOLLOUT | EPOLLWRNORM);
	}
	return done ? done : -EFAULT;
}

/*
 * Under rd_mutex, with a whole packet queued (the writer publishes a
 * header and its payload together). As on a native packet pipe, the part
 * of the packet that does not fit in the buffer is dropped, and nothing is
 * consumed on a fault.
 */
static ssize_t sbpipe_read_packet(struct sbpipe_pipe *pipe,
				  struct iov_iter *to)
{
	u32 plen, len;
	size_t copied;

	sbpipe_ring_get(&pipe->ring, 0, &plen, sizeof(plen));
	len = min_t(size_t, plen, iov_iter_count(to));
	copied = sbpipe_ring_copy_to_iter(&pipe->ring, SBPIPE_PACKET_HDR, len,
					  to);
	if (copied < len)
		return -EFAULT;

	sbpipe_ring_consume(&pipe->ring, sbpipe_packet_room(plen));
	sbpipe_account_read(pipe, plen);
	return len;
}

static ssize_t sbpipe_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct sbpipe_pipe *pipe = file->private_data;
	bool waited = false, wake_next;
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;

	mutex_lock(&pipe->rd_mutex);
	for (;;) {
		/* Before the ring: see sbpipe_has_writers(). */
		bool writers = sbpipe_has_writers(pipe);
		u32 avail;

		if (READ_ONCE(pipe->shutdown)) {
			ret = 0;
			break;
		}
		avail = sbpipe_ring_avail(&pipe->ring);
		if (avail) {
			if (pipe->packet)
				ret = sbpipe_read_packet(pipe, to);
			else
				ret = sbpipe_read_stream(pipe, to, avail);
			break;
		}
		if (!writers) {
			ret = 0;
			break;
		}
		if ((file->f_flags & O_NONBLOCK) ||
		    (iocb->ki_flags & IOCB_NOWAIT)) {
			ret = -EAGAIN;
			break;
		}

		/*
		 * Readers sleep exclusively, as on a native pipe: a write
		 * wakes one, and that one passes the wakeup on below if it
		 * leaves data behind.
		 */
		mutex_unlock(&pipe->rd_mutex);
		kill_fasync(&pipe->fasync_writers, SIGIO, POLL_OUT);
		sbpipe_count_wait(pipe);
		if (wait_event_interruptible_exclusive(pipe->rd_wait,
						       sbpipe_readable(pipe)))
			return -ERESTARTSYS;
		waited = true;
		mutex_lock(&pipe->rd_mutex);
	}
	if (ret > 0)
		WRITE_ONCE(pipe->reads, pipe->reads + 1);
	wake_next = waited && sbpipe_ring_avail(&pipe->ring);
	mutex_unlock(&pipe->rd_mutex);

	if (ret > 0) {
		sbpipe_wake(&pipe->wr_wait, EPOLLOUT | EPOLLWRNORM);
		file_accessed(file);
	}
	if (wake_next)
		sbpipe_wake(&pipe->rd_wait, EPOLLIN | EPOLLRDNORM);
	kill_fasync(&pipe->fasync_writers, SIGIO, POLL_OUT);
	return ret;
}

/*
 * The ring room the write must find before it copies anything: a whole
 * write of up to the atomic size, a whole packet, or else any byte.
 */
static u32 sbpipe_write_need(struct sbpipe_pipe *pipe, size_t total,
			     size_t left)
{
	u32 atomic = sbpipe_atomic_size(pipe);

	if (pipe->packet)
		return sbpipe_packet_room(min_t(size_t, left, atomic));
	return total <= atomic ? total : 1;
}

/*
 * Under wr_mutex, with @room bytes free and at least what
 * sbpipe_write_need() asks: copy one packet, or as much of the stream as
 * fits, and publish it. A fault publishes nothing of this step.
 */
static ssize_t sbpipe_write_step(struct sbpipe_pipe *pipe,
				 struct iov_iter *from, u32 room)
{
	size_t left = iov_iter_count(from);
	u32 skip = 0, len;

	if (pipe->packet) {
		len = min_t(size_t, left, sbpipe_atomic_size(pipe));
		sbpipe_ring_put(&pipe->ring, 0, &len, sizeof(len));
		skip = SBPIPE_PACKET_HDR;
	} else {
		len = min_t(size_t, left, room);
	}

	if (sbpipe_ring_copy_from_iter(&pipe->ring, skip, len, from) < len)
		return -EFAULT;

	/* Counted before publishing: see sbpipe_pipe_queued(). */
	WRITE_ONCE(pipe->bytes_written, pipe->bytes_written + len);
	this_cpu_add(sbpipe_bytes_moved, len);
	sbpipe_ring_produce(&pipe->ring, skip + len);
	return len;
}

static int sbpipe_ring_prepare(struct sbpipe_pipe *pipe)
{
	int ret;

	if (pipe->ring.data)
		return 0;
	ret = sbpipe_ring_alloc(&pipe->ring);
	if (!ret)
		atomic64_add(pipe->ring.cap, &sbpipe_ring_bytes_allocated);
	return ret;
}

/*
 * The buffer a ring starts with, and goes back to when a resize finds it
 * empty: a page, as a native pipe takes its pages one at a time. Most
 * pipes never hold more; those that do grow theirs.
 */
static u32 sbpipe_ring_first_cap(u32 capacity)
{
	return min_t(u32, capacity, PAGE_SIZE);
}

/*
 * Under wr_mutex, with @room bytes free in the buffer: the bytes the pipe
 * may still take, in this buffer or a larger one.
 */
static u32 sbpipe_pipe_room(const struct sbpipe_pipe *pipe, u32 room)
{
	return pipe->capacity - (pipe->ring.cap - room);
}

/*
 * Under wr_mutex, with @room bytes free in the buffer: whether a larger
 * buffer would take more of the @want bytes the write has for it now.
 */
static bool sbpipe_ring_should_grow(const struct sbpipe_pipe *pipe, u32 room,
				    size_t want)
{
	return pipe->ring.cap < pipe->capacity &&
	       room < min_t(size_t, want, sbpipe_pipe_room(pipe, room));
}

/*
 * Under wr_mutex: grow the ring's buffer to take @want more bytes, at least
 * doubling it, within the pipe's capacity. The buffer changes only with
 * both sides excluded, and rd_mutex is the outer lock, so wr_mutex is let
 * go of meanwhile: the caller rechecks everything after.
 */
static int sbpipe_ring_grow_for(struct sbpipe_pipe *pipe, size_t want)
{
	struct sbpipe_ring *ring = &pipe->ring;
	u32 old, used, cap;
	int ret = 0;

	mutex_unlock(&pipe->wr_mutex);
	mutex_lock(&pipe->rd_mutex);
	mutex_lock(&pipe->wr_mutex);

	old = ring->cap;
	if (ring->data && !pipe->shutdown && old < pipe->capacity) {
		used = sbpipe_ring_distance(old, ring->head, ring->tail);
		want = min_t(size_t, want, pipe->capacity - used);
		cap = max_t(u32, 2 * old, round_up(used + (u32)want, PAGE_SIZE));
		cap = min(cap, pipe->capacity);
		ret = sbpipe_ring_grow(ring, cap);
		if (!ret)
			atomic64_add(cap - old, &sbpipe_ring_bytes_allocated);
	}
	mutex_unlock(&pipe->rd_mutex);
	return ret;
}

static ssize_t sbpipe_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct sbpipe_pipe *pipe = file->private_data;
	size_t total = iov_iter_count(from);
	bool waited = false, wake_next;
	ssize_t done = 0, ret = 0;

	if (!total)
		return 0;

	mutex_lock(&pipe->wr_mutex);
	for (;;) {
		unsigned int resizes;
		u32 need, room;
		size_t want;

		if (READ_ONCE(pipe->shutdown) || !READ_ONCE(pipe->readers)) {
			send_sig(SIGPIPE, current, 0);
			ret = -EPIPE;
			break;
		}
		ret = sbpipe_ring_prepare(pipe);
		if (ret)
			break;

		need = sbpipe_write_need(pipe, total, iov_iter_count(from));
		room = sbpipe_ring_space(&pipe->ring);
		/* One packet, or as much of the stream as there is. */
		want = pipe->packet ? need : iov_iter_count(from);
		if (sbpipe_ring_should_grow(pipe, room, want)) {
			ret = sbpipe_ring_grow_for(pipe, want);
			if (!ret)
				continue;
			/* Out of memory: go on with the buffer there is. */
			if (room < need)
				break;
			ret = 0;
		}
		if (room >= need) {
			/* A write of up to the atomic size stays one step. */
			if (total > sbpipe_atomic_size(pipe))
				room = min(room, SBPIPE_STEP);
			ret = sbpipe_write_step(pipe, from, room);
			if (ret < 0)
				break;
			done += ret;
			ret = 0;
			if (!iov_iter_count(from))
				break;
			sbpipe_wake_progress(&pipe->rd_wait,
					     EPOLLIN | EPOLLRDNORM);
			continue;
		}

		if ((file->f_flags & O_NONBLOCK) ||
		    (iocb->ki_flags & IOCB_NOWAIT)) {
			ret = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}

		resizes = pipe->resizes;
		mutex_unlock(&pipe->wr_mutex);
		sbpipe_wake(&pipe->rd_wait, EPOLLIN | EPOLLRDNORM);
		kill_fasync(&pipe->fasync_readers, SIGIO, POLL_IN);
		/*
		 * A wakeup that found this writer fitting, when another writer
		 * took the room first: what is left may fit someone else.
		 */
		if (waited)
			sbpipe_wake(&pipe->wr_wait, EPOLLOUT | EPOLLWRNORM);
		sbpipe_count_wait(pipe);
		sbpipe_wait_writable(pipe, need, resizes);
		waited = true;
		mutex_lock(&pipe->wr_mutex);
	}
	if (done)
		WRITE_ONCE(pipe->writes, pipe->writes + 1);
	/*
	 * A woken writer passes the wakeup on while the pipe has room left,
	 * in its buffer or in the larger one the next writer would grow.
	 */
	wake_next = waited &&
		    sbpipe_pipe_room(pipe, sbpipe_ring_space(&pipe->ring));
	mutex_unlock(&pipe->wr_mutex);

	if (wake_next)
		sbpipe_wake(&pipe->wr_wait, EPOLLOUT | EPOLLWRNORM);
	if (done) {
		sbpipe_wake(&pipe->rd_wait, EPOLLIN | EPOLLRDNORM);
		if (sb_start_write_trylock(file_inode(file)->i_sb)) {
			file_update_time(file);
			sb_end_write(file_inode(file)->i_sb);
		}
	}
	kill_fasync(&pipe->fasync_readers, SIGIO, POLL_IN);
	return done ? done : ret;
}

static __poll_t sbpipe_poll(struct file *file, poll_table *wait)
{
	struct sbpipe_pipe *pipe = file->private_data;
	bool shutdown;
	__poll_t mask = 0;
	u32 used, need;

	/* Queue first, then look: a change after the look wakes us. */
	if (file->f_mode & FMODE_READ)
		poll_wait(file, &pipe->rd_wait, wait);
	if (file->f_mode & FMODE_WRITE)
		poll_wait(file, &pipe->wr_wait, wait);

	shutdown = READ_ONCE(pipe->shutdown);
	used = sbpipe_ring_used_racy(&pipe->ring);
	if (file->f_mode & FMODE_READ) {
		if (used && !shutdown)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (shutdown || !READ_ONCE(pipe->writers))
			mask |= EPOLLHUP;
	}
	if (file->f_mode & FMODE_WRITE) {
		need = min(READ_ONCE(pipe->atomic_size), READ_ONCE(pipe->size));
		if (pipe->packet)
			need = sbpipe_packet_room(need);
		if (READ_ONCE(pipe->capacity) - used >= need)
			mask |= EPOLLOUT | EPOLLWRNORM;
		if (shutdown || !READ_ONCE(pipe->readers))
			mask |= EPOLLERR;
	}
	return mask;
}

/*
 * Opens the read end of a new pipe, and any end opened again through
 * /proc/<pid>/fd.
 */
static int sbpipe_open(struct inode *inode, struct file *file)
{
	struct sbpipe_pipe *pipe = inode->i_private;
	fmode_t mode = file->f_mode & (FMODE_READ | FMODE_WRITE);

	/* As fifo_open(): an open that can neither read nor write fails. */
	if (!mode)
		return -EINVAL;

	file->private_data = pipe;
	stream_open(inode, file);
	file->f_mode |= FMODE_NOWAIT;

	/*
	 * No waiting for a partner: like a native pipe's, this inode has a
	 * write end from its creation on, and it may well still be open.
	 */
	spin_lock(&pipe->ends_lock);
	if (mode & FMODE_READ)
		WRITE_ONCE(pipe->readers, pipe->readers + 1);
	if (mode & FMODE_WRITE)
		WRITE_ONCE(pipe->writers, pipe->writers + 1);
	spin_unlock(&pipe->ends_lock);
	sbpipe_wake_all(pipe);
	return 0;
}

static int sbpipe_release(struct inode *inode, struct file *file)
{
	struct sbpipe_pipe *pipe = file->private_data;
	bool last;

	spin_lock(&pipe->ends_lock);
	if (file->f_mode & FMODE_READ)
		WRITE_ONCE(pipe->readers, pipe->readers - 1);
	if (file->f_mode & FMODE_WRITE)
		/*
		 * Pairs with smp_load_acquire() in sbpipe_has_writers(): what
		 * this writer published is visible to a reader that sees it
		 * gone.
		 */
		smp_store_release(&pipe->writers, pipe->writers - 1);
	last = !pipe->readers || !pipe->writers;
	spin_unlock(&pipe->ends_lock);

	/* The last of one side: blocked readers see EOF, writers EPIPE. */
	if (last)
		sbpipe_wake_all(pipe);
	return 0;
}

static int sbpipe_fasync(int fd, struct file *file, int on)
{
	struct sbpipe_pipe *pipe = file->private_data;
	int ret = 0, rd_ret;

	if (file->f_mode & FMODE_READ)
		ret = fasync_helper(fd, file, on, &pipe->fasync_readers);
	if ((file->f_mode & FMODE_WRITE) && ret >= 0) {
		rd_ret = ret;
		ret = fasync_helper(fd, file, on, &pipe->fasync_writers);
		/* Take back only a reader entry this call added. */
		if (ret < 0 && rd_ret > 0)
			fasync_helper(-1, file, 0, &pipe->fasync_readers);
	}
	return ret;
}

static long sbpipe_pipe_info(struct sbpipe_pipe *pipe, void __user *argp)
{
	struct sbpipe_info info;

	memset(&info, 0, sizeof(info));
	info.size = READ_ONCE(pipe->size);
	info.atomic_size = min(READ_ONCE(pipe->atomic_size), info.size);
	info.queued = sbpipe_pipe_queued(pipe);
	info.readers = READ_ONCE(pipe->readers);
	info.writers = READ_ONCE(pipe->writers);
	if (pipe->packet)
		info.flags |= SBPIPE_INFO_PACKET;
	if (READ_ONCE(pipe->shutdown))
		info.flags |= SBPIPE_INFO_SHUTDOWN;
	info.bytes_written = READ_ONCE(pipe->bytes_written);
	info.bytes_read = READ_ONCE(pipe->bytes_read);
	info.writes = READ_ONCE(pipe->writes);
	info.reads = READ_ONCE(pipe->reads);
	info.ino = pipe->ino;
	info.sandbox_id = pipe->sandbox->id;

	if (copy_to_user(argp, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long sbpipe_pipe_get_size(struct sbpipe_pipe *pipe, void __user *argp)
{
	struct sbpipe_size args = { .size = READ_ONCE(pipe->size) };

	if (copy_to_user(argp, &args, sizeof(args)))
		return -EFAULT;
	return 0;
}

/*
 * With every lock of the pipe and its sandbox held: move the charge and
 * the queued bytes to the new size. The charge grows first and shrinks
 * last, so that undoing it is always a shrink, which cannot fail.
 */
static int sbpipe_pipe_resize(struct sbpipe_pipe *pipe, u32 size)
{
	struct sbpipe_sandbox *sb = pipe->sandbox;
	struct sbpipe_ring *ring = &pipe->ring;
	u32 old = pipe->size, cap = size, used, buf;
	u64 had = ring->data ? ring->cap : 0;
	int ret;

	if (pipe->shutdown)
		return -ENODEV;
	if (size > old) {
		ret = sbpipe_sandbox_charge_resize(sb, pipe, size);
		if (ret)
			return ret;
	}

	if (pipe->packet)
		cap += SBPIPE_PACKET_HDR;
	/* A buffer for what is queued; the writer grows it from there. */
	used = sbpipe_ring_distance(ring->cap, ring->head, ring->tail);
	buf = max(sbpipe_ring_first_cap(cap), round_up(used, PAGE_SIZE));
	if (used > cap)
		ret = -EBUSY;
	else
		ret = sbpipe_ring_resize(ring, min(buf, cap));
	if (ret) {
		if (size > old)
			sbpipe_sandbox_charge_resize(sb, pipe, old);
		return ret;
	}
	if (size < old)
		sbpipe_sandbox_charge_resize(sb, pipe, size);

	WRITE_ONCE(pipe->capacity, cap);
	atomic64_add((ring->data ? ring->cap : 0) - had,
		     &sbpipe_ring_bytes_allocated);
	WRITE_ONCE(pipe->resizes, pipe->resizes + 1);
	return 0;
}

static long sbpipe_pipe_set_size(struct sbpipe_pipe *pipe, void __user *argp)
{
	struct sbpipe_sandbox *sb = pipe->sandbox;
	struct sbpipe_size args;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;

	if (args.__reserved || !args.size)
		return -EINVAL;
	if (args.size > READ_ONCE(sbpipe_max_size) &&
	    !capable(CAP_SYS_RESOURCE)) {
		sbpipe_sandbox_limit_hit(sb);
		return -EPERM;
	}
	if (args.size > SBPIPE_SIZE_LIMIT)
		return -EINVAL;

	mutex_lock(&sb->lock);
	mutex_lock(&pipe->rd_mutex);
	mutex_lock(&pipe->wr_mutex);
	ret = sbpipe_pipe_resize(pipe, args.size);
	mutex_unlock(&pipe->wr_mutex);
	mutex_unlock(&pipe->rd_mutex);
	mutex_unlock(&sb->lock);
	if (ret)
		return ret;

	/* Sleeping writers recompute their need; pollers look again. */
	sbpipe_wake_all(pipe);

	if (copy_to_user(argp, &args, sizeof(args)))
		return -EFAULT;
	return 0;
}

static long sbpipe_pipe_peek(struct file *file, struct sbpipe_pipe *pipe,
			     void __user *argp)
{
	struct sbpipe_peek args;
	u32 avail, skip = 0, len = 0, plen;
	int ret = 0;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;

	if (args.__reserved || (pipe->packet && args.offset))
		return -EINVAL;

	mutex_lock(&pipe->rd_mutex);
	avail = READ_ONCE(pipe->shutdown) ? 0 : sbpipe_ring_avail(&pipe->ring);
	if (pipe->packet && avail) {
		sbpipe_ring_get(&pipe->ring, 0, &plen, sizeof(plen));
		skip = SBPIPE_PACKET_HDR;
		len = min(args.len, plen);
	} else if (!pipe->packet && avail > args.offset) {
		skip = args.offset;
		len = min(args.len, avail - args.offset);
	}
	if (len)
		ret = sbpipe_ring_copy_to_user(&pipe->ring, skip,
					       u64_to_user_ptr(args.buf), len);
	mutex_unlock(&pipe->rd_mutex);
	if (ret)
		return ret;

	args.len = len;
	if (copy_to_user(argp, &args, sizeof(args)))
		return -EFAULT;
	return 0;
}

static long sbpipe_pipe_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct sbpipe_pipe *pipe = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case FIONREAD:
		return put_user(sbpipe_pipe_queued(pipe), (int __user *)argp);
	case SBPIPE_IOC_INFO:
		return sbpipe_pipe_info(pipe, argp);
	case SBPIPE_IOC_GET_SIZE:
		return sbpipe_pipe_get_size(pipe, argp);
	case SBPIPE_IOC_SET_SIZE:
		return sbpipe_pipe_set_size(pipe, argp);
	case SBPIPE_IOC_PEEK:
		return sbpipe_pipe_peek(file, pipe, argp);
	default:
		return -ENOTTY;
	}
}

static void sbpipe_pipe_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct sbpipe_pipe *pipe = file->private_data;
	u32 size = READ_ONCE(pipe->size);

	seq_printf(m, "sbpipe_pipe:\t%lu\n", pipe->ino);
	seq_printf(m, "sandbox_id:\t%llu\n", pipe->sandbox->id);
	seq_printf(m, "size:\t%u\n", size);
	seq_printf(m, "atomic_size:\t%u\n",
		   min(READ_ONCE(pipe->atomic_size), size));
	seq_printf(m, "packet:\t%d\n", pipe->packet);
	seq_printf(m, "shutdown:\t%d\n", READ_ONCE(pipe->shutdown));
	seq_printf(m, "queued:\t%u\n", sbpipe_pipe_queued(pipe));
	seq_printf(m, "readers:\t%u\n", READ_ONCE(pipe->readers));
	seq_printf(m, "writers:\t%u\n", READ_ONCE(pipe->writers));
	seq_printf(m, "bytes_written:\t%llu\n", READ_ONCE(pipe->bytes_written));
	seq_printf(m, "bytes_read:\t%llu\n", READ_ONCE(pipe->bytes_read));
	seq_printf(m, "writes:\t%llu\n", READ_ONCE(pipe->writes));
	seq_printf(m, "reads:\t%llu\n", READ_ONCE(pipe->reads));
}

/*
 * Splicing with SPLICE_F_NONBLOCK must not block on this end, as it would
 * not on a native pipe; but the generic helpers call read_iter and
 * write_iter with no way to say so, hence a look first.
 * NOTE: another reader or writer may take what the look saw, and the splice
 * then blocks as a read or write of a blocking file would.
 */
static ssize_t sbpipe_splice_read(struct file *in, loff_t *ppos,
				  struct pipe_inode_info *opipe, size_t len,
				  unsigned int flags)
{
	struct sbpipe_pipe *pipe = in->private_data;

	if ((flags & SPLICE_F_NONBLOCK) && !sbpipe_readable(pipe))
		return -EAGAIN;
#ifdef SBPIPE_HAVE_COPY_SPLICE_READ
	return copy_splice_read(in, ppos, opipe, len, flags);
#else
	return generic_file_splice_read(in, ppos, opipe, len, flags);
#endif
}

static ssize_t sbpipe_splice_write(struct pipe_inode_info *ipipe,
				   struct file *out, loff_t *ppos, size_t len,
				   unsigned int flags)
{
	struct sbpipe_pipe *pipe = out->private_data;
	u32 need;

	need = min_t(size_t, len, min(READ_ONCE(pipe->atomic_size),
				      READ_ONCE(pipe->size)));
	if (pipe->packet)
		need = sbpipe_packet_room(need);
	if ((flags & SPLICE_F_NONBLOCK) &&
	    !sbpipe_writable(pipe, need, READ_ONCE(pipe->resizes)))
		return -EAGAIN;
	return iter_file_splice_write(ipipe, out, ppos, len, flags);
}

static const struct file_operations sbpipe_pipe_fops = {
	.owner		= THIS_MODULE,
	.open		= sbpipe_open,
	.read_iter	= sbpipe_read_iter,
	.write_iter	= sbpipe_write_iter,
	.poll		= sbpipe_poll,
	.unlocked_ioctl	= sbpipe_pipe_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= sbpipe_release,
	.fasync		= sbpipe_fasync,
	.splice_read	= sbpipe_splice_read,
	.splice_write	= sbpipe_splice_write,
	.show_fdinfo	= sbpipe_pipe_show_fdinfo,
};

/**
 * sbpipe_pipe_shutdown() - end a pipe for good, with its sandbox's lock held
 * @pipe: the pipe
 *
 * Readers see EOF and writers EPIPE from now on, and the ring is freed.
 * The wakeups come first, so that sleepers let go of nothing: they hold no
 * mutex while asleep, and a reader or writer busy copying finishes before
 * the ring goes.
 */
void sbpipe_pipe_shutdown(struct sbpipe_pipe *pipe)
{
	WRITE_ONCE(pipe->shutdown, true);
	sbpipe_wake_all(pipe);

	mutex_lock(&pipe->rd_mutex);
	mutex_lock(&pipe->wr_mutex);
	if (pipe->ring.data)
		atomic64_sub(pipe->ring.cap, &sbpipe_ring_bytes_allocated);
	sbpipe_ring_free(&pipe->ring);
	mutex_unlock(&pipe->wr_mutex);
	mutex_unlock(&pipe->rd_mutex);
}

/*
 * An idle pipe, one that has never carried data, has no ring: it costs
 * this structure (256 bytes on x86-64), one inode, one dentry and two
 * struct files. Measured by make bench as slab growth over 10000 idle
 * pipes, without slab debugging: about 1.7 KiB per pipe on 6.1 and 6.12,
 * where a native pipe2() pipe costs about 2.6 KiB (its pipe_buffer array
 * is allocated up front, its pages at first write).
 */
static struct sbpipe_pipe *sbpipe_pipe_alloc(struct sbpipe_sandbox *sb,
					     u32 size, u32 atomic, bool packet)
{
	struct sbpipe_pipe *pipe;
	int ret;

	pipe = kzalloc(sizeof(*pipe), GFP_KERNEL_ACCOUNT);
	if (!pipe)
		return ERR_PTR(-ENOMEM);

	mutex_init(&pipe->rd_mutex);
	mutex_init(&pipe->wr_mutex);
	init_waitqueue_head(&pipe->rd_wait);
	init_waitqueue_head(&pipe->wr_wait);
	spin_lock_init(&pipe->ends_lock);
	pipe->size = size;
	pipe->atomic_size = atomic;
	pipe->packet = packet;
	pipe->capacity = packet ? sbpipe_packet_room(size) : size;
	pipe->ring.cap = sbpipe_ring_first_cap(pipe->capacity);
	pipe->owner = current_uid();
	INIT_LIST_HEAD(&pipe->sandbox_node);

	ret = sbpipe_sandbox_add_pipe(sb, pipe);
	if (ret) {
		kfree(pipe);
		return ERR_PTR(ret);
	}
	atomic_inc(&sbpipe_nr_pipes);
	return pipe;
}

static void sbpipe_pipe_free(struct sbpipe_pipe *pipe)
{
	sbpipe_sandbox_remove_pipe(pipe->sandbox, pipe);
	if (pipe->ring.data)
		atomic64_sub(pipe->ring.cap, &sbpipe_ring_bytes_allocated);
	sbpipe_ring_free(&pipe->ring);
	atomic_dec(&sbpipe_nr_pipes);
	kfree(pipe);
}

static struct inode *sbpipe_inode_new(struct sbpipe_pipe *pipe)
{
	struct inode *inode = new_inode(sbpipe_mnt->mnt_sb);

	if (!inode)
		return NULL;

	inode->i_ino = get_next_ino();
	inode->i_private = pipe;
	inode->i_fop = &sbpipe_pipe_fops;
	/*
	 * Dirty from the start, as a native pipe's inode, so that time
	 * updates never put it on a writeback list it has no use for.
	 */
	inode->i_state = I_DIRTY;
	inode->i_mode = S_IFIFO | 0600;
	inode->i_uid = current_fsuid();
	inode->i_gid = current_fsgid();
#ifdef SBPIPE_HAVE_SIMPLE_INODE_INIT_TS
	simple_inode_init_ts(inode);
#else
	inode->i_atime = current_time(inode);
	inode->i_mtime = inode->i_atime;
	inode->i_ctime = inode->i_atime;
#endif
	pipe->ino = inode->i_ino;
	return inode;
}

/*
 * The two ends of a new pipe, on one dentry as a native pipe's are. The
 * write end is made as a pseudo file, which takes the module reference an
 * open would; the read end is an open of the same path, through
 * sbpipe_open(), as a reopen through /proc/<pid>/fd is. The inode owns
 * @pipe from the start, and frees it when it goes.
 */
static int sbpipe_files_new(struct sbpipe_pipe *pipe, unsigned int flags,
			    struct file **res)
{
	struct inode *inode = sbpipe_inode_new(pipe);
	struct file *rfile, *wfile;

	if (!inode) {
		sbpipe_pipe_free(pipe);
		return -ENOMEM;
	}
	pipe->writers = 1;

	wfile = alloc_file_pseudo(inode, sbpipe_mnt, "",
				  O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)),
				  &sbpipe_pipe_fops);
	if (IS_ERR(wfile)) {
		iput(inode);
		return PTR_ERR(wfile);
	}
	__module_get(THIS_MODULE);
	wfile->private_data = pipe;
	stream_open(inode, wfile);
	wfile->f_mode |= FMODE_NOWAIT;

	rfile = dentry_open(&wfile->f_path, O_RDONLY | (flags & O_NONBLOCK),
			    current_cred());
	if (IS_ERR(rfile)) {
		fput(wfile);
		return PTR_ERR(rfile);
	}
	res[0] = rfile;
	res[1] = wfile;
	return 0;
}

/*
 * The size a creation asks for, or its default. The capability is looked
 * at only when it matters: capable() runs the security hooks, and audits,
 * on every creation otherwise.
 */
static u32 sbpipe_create_size(struct sbpipe_sandbox *sb, u32 size)
{
	u32 max = READ_ONCE(sbpipe_max_size);

	if (size)
		return size;
	size = min_t(u32, SBPIPE_DEFAULT_SIZE, READ_ONCE(sb->max_size));
	if (size > max && !capable(CAP_SYS_RESOURCE))
		size = max;
	return size;
}

/**
 * sbpipe_pipe_create() - SBPIPE_IOC_CREATE: a new pipe in a sandbox
 * @sb: the sandbox
 * @argp: the user's struct sbpipe_create
 *
 * The fds are installed last, once nothing can fail any more, so that an
 * error leaves neither an fd nor a pipe behind.
 *
 * Return: 0, or a negative errno.
 */
long sbpipe_pipe_create(struct sbpipe_sandbox *sb, void __user *argp)
{
	struct sbpipe_create args;
	struct sbpipe_pipe *pipe;
	struct file *files[2];
	int rfd, wfd, ret;
	u32 size;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;

	if (args.flags & ~SBPIPE_CREATE_FLAGS)
		return -EINVAL;
	if (memchr_inv(args.__reserved, 0, sizeof(args.__reserved)))
		return -EINVAL;
	size = sbpipe_create_size(sb, args.size);
	if (size > READ_ONCE(sbpipe_max_size) && !capable(CAP_SYS_RESOURCE)) {
		sbpipe_sandbox_limit_hit(sb);
		return -EPERM;
	}
	if (size > SBPIPE_SIZE_LIMIT)
		return -EINVAL;

	rfd = get_unused_fd_flags(args.flags & O_CLOEXEC);
	if (rfd < 0)
		return rfd;
	wfd = get_unused_fd_flags(args.flags & O_CLOEXEC);
	if (wfd < 0) {
		ret = wfd;
		goto err_put_rfd;
	}
	pipe = sbpipe_pipe_alloc(sb, size,
				 args.atomic_size ?: SBPIPE_DEFAULT_ATOMIC,
				 args.flags & O_DIRECT);
	if (IS_ERR(pipe)) {
		ret = PTR_ERR(pipe);
		goto err_put_wfd;
	}
	ret = sbpipe_files_new(pipe, args.flags, files);
	if (ret)
		goto err_put_wfd;

	args.rfd = rfd;
	args.wfd = wfd;
	if (copy_to_user(argp, &args, sizeof(args))) {
		ret = -EFAULT;
		goto err_fput;
	}

	fd_install(rfd, files[0]);
	fd_install(wfd, files[1]);
	return 0;

err_fput:
	fput(files[0]);
	fput(files[1]);
err_put_wfd:
	put_unused_fd(wfd);
err_put_rfd:
	put_unused_fd(rfd);
	return ret;
}

/* The name readlink() shows for an end in /proc/<pid>/fd, at @buf's end. */
static char *sbpipe_fs_dname(struct dentry *dentry, char *buf, int len)
{
	char name[32];
	int n;

	n = snprintf(name, sizeof(name), "sbpipe:[%lu]",
		     d_inode(dentry)->i_ino) + 1;
	if (n > len)
		return ERR_PTR(-ENAMETOOLONG);
	return memcpy(buf + len - n, name, n);
}

static const struct dentry_operations sbpipe_fs_dops = {
	.d_dname	= sbpipe_fs_dname,
};

static void sbpipe_fs_evict_inode(struct inode *inode)
{
	struct sbpipe_pipe *pipe = inode->i_private;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (pipe)
		sbpipe_pipe_free(pipe);
}

static const struct super_operations sbpipe_fs_sops = {
	.statfs		= simple_statfs,
	.drop_inode	= generic_delete_inode,
	.evict_inode	= sbpipe_fs_evict_inode,
};

static int sbpipe_fs_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, SBPIPE_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->ops = &sbpipe_fs_sops;
	ctx->dops = &sbpipe_fs_dops;
	return 0;
}

/*
 * Never registered, so never mountable from userspace. NOTE: no .owner:
 * the superblock would hold that module reference for as long as the
 * kern_mount lives, which is until module exit, so the module could never
 * be unloaded. Open files hold the module instead, through their fops.
 */
static struct file_system_type sbpipe_fs_type = {
	.name		= "sbpipefs",
	.init_fs_context = sbpipe_fs_init_fs_context,
	.kill_sb	= kill_anon_super,
};

/**
 * sbpipe_fs_init() - mount the pseudo filesystem the pipe ends live on
 *
 * Return: 0, or a negative errno.
 */
int sbpipe_fs_init(void)
{
	sbpipe_mnt = kern_mount(&sbpipe_fs_type);
	return PTR_ERR_OR_ZERO(sbpipe_mnt);
}

/**
 * sbpipe_fs_exit() - unmount it, once no pipe end is open
 */
void sbpipe_fs_exit(void)
{
	kern_unmount(sbpipe_mnt);
}
