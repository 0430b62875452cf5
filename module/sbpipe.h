/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbpipe: internal declarations shared by the module's files.
 *
 * Lock order, outermost first:
 *	sbpipe_sandbox.lock
 *	sbpipe_pipe.rd_mutex
 *	sbpipe_pipe.wr_mutex
 *	sbpipe_acct_lock (sandbox.c), sbpipe_pipe.ends_lock
 */
#ifndef _SBPIPE_INTERNAL_H
#define _SBPIPE_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include "ring.h"

struct fasync_struct;
struct file;
struct seq_file;

/* Each packet of an O_DIRECT pipe starts with its length, as a u32. */
#define SBPIPE_PACKET_HDR	sizeof(u32)

/**
 * struct sbpipe_pipe - one pipe; lives as long as its inode
 * @ring: the bytes; see ring.h for who may touch what.
 * @rd_mutex: serialises readers and PEEK. Never held while sleeping for
 *	data, so that a resize or a shutdown is not stuck behind a reader.
 * @wr_mutex: serialises writers, and so keeps writes of up to the atomic
 *	size whole. Never held while sleeping for room.
 * @rd_wait: readers sleeping for data, and pollers of read ends.
 * @wr_wait: writers sleeping for room, and pollers of write ends.
 * @fasync_readers: SIGIO owners of read ends.
 * @fasync_writers: SIGIO owners of write ends.
 * @ends_lock: serialises changes to @readers and @writers.
 * @readers: open files that can read; read without a lock.
 * @writers: open files that can write; read without a lock.
 * @size: the ring size userspace asked for; changes with both mutexes
 *	and the sandbox's lock held.
 * @atomic_size: the write-atomicity size asked for; the pipe uses at most
 *	@size of it.
 * @packet: the pipe carries packets (created with O_DIRECT).
 * @shutdown: set once, by the sandbox's shutdown.
 * @resizes: bumped by each resize, so that sleeping writers recompute
 *	how much room they need.
 * @capacity: the bytes the ring may hold: @size, and a packet header on a
 *	packet pipe. Its buffer starts at a page and grows as the bytes
 *	queued call for it, up to this. Changes with @size.
 * @bytes_written: payload bytes ever published to the reader.
 * @bytes_read: payload bytes ever consumed, discarded packet tails included.
 * @writes: write calls that moved at least one byte.
 * @reads: read calls that moved at least one byte.
 *
 * The writer's counters (@bytes_written, @writes) change under wr_mutex and
 * the reader's under rd_mutex, as plain WRITE_ONCE() stores: one side owns
 * each, so no atomic read-modify-write is needed on the hot paths, and
 * observers READ_ONCE() them. NOTE: on 32-bit machines such a read may
 * tear; the counters are statistics, and queued sizes are clamped.
 * @sandbox: the owning sandbox, referenced.
 * @sandbox_node: in @sandbox's pipe list, under its lock.
 * @charged: under the sandbox's lock: @size counts against the sandbox,
 *	the user and the module-wide ceiling.
 * @owner: the user the ring bytes are charged to.
 * @ino: the inode number of both ends.
 */
struct sbpipe_pipe {
	struct sbpipe_ring ring;
	struct mutex rd_mutex;		/* readers; outer to wr_mutex */
	struct mutex wr_mutex;		/* writers */
	wait_queue_head_t rd_wait;
	wait_queue_head_t wr_wait;
	struct fasync_struct *fasync_readers;
	struct fasync_struct *fasync_writers;
	spinlock_t ends_lock;		/* readers, writers */
	unsigned int readers;
	unsigned int writers;
	u32 size;
	u32 atomic_size;
	bool packet;
	bool shutdown;
	unsigned int resizes;
	u32 capacity;
	u64 bytes_written;		/* wr_mutex */
	u64 bytes_read;			/* rd_mutex */
	u64 writes;			/* wr_mutex */
	u64 reads;			/* rd_mutex */
	struct sbpipe_sandbox *sandbox;
	struct list_head sandbox_node;
	bool charged;
	kuid_t owner;
	unsigned long ino;
};

/**
 * struct sbpipe_sandbox - what an open of /dev/sbpipe stands for
 * @ref: one for the device file, one for each pipe.
 * @id: unique while the module is loaded.
 * @lock: protects the limits, @flags, @pipes, @nr_pipes and
 *	@bytes_reserved.
 * @max_pipes: the most pipes at once.
 * @max_size: the largest ring of one pipe.
 * @max_bytes: the most ring bytes of all pipes together.
 * @flags: SBPIPE_SANDBOX_* bits.
 * @pipes: the pipes, through sbpipe_pipe.sandbox_node.
 * @nr_pipes: their number.
 * @bytes_reserved: the sum of the sizes of the charged pipes.
 * @pipes_created: pipes ever created.
 * @bytes_written: under @lock: payload bytes written into its pipes that
 *	are gone; the pipes on @pipes count their own, so that readers and
 *	writers of different pipes share no counter.
 * @bytes_read: under @lock: the same for bytes read.
 * @waits: times a reader or writer of its pipes went to sleep.
 * @limit_hits: creations and resizes refused by a limit.
 */
struct sbpipe_sandbox {
	refcount_t ref;
	u64 id;
	struct mutex lock;		/* limits, flags, pipes */
	u32 max_pipes;
	u32 max_size;
	u64 max_bytes;
	u32 flags;
	struct list_head pipes;
	u64 nr_pipes;
	u64 bytes_reserved;
	atomic64_t pipes_created;
	u64 bytes_written;
	u64 bytes_read;
	atomic64_t waits;
	atomic64_t limit_hits;
};

/* Module parameters, in main.c. */
extern unsigned int sbpipe_max_size;
extern unsigned int sbpipe_default_max_pipes;
extern unsigned long sbpipe_default_max_bytes;
extern unsigned long sbpipe_max_total_bytes;
extern unsigned long sbpipe_user_max_bytes;

/* Module-wide counters, shown in sysfs. */
extern atomic_t sbpipe_nr_sandboxes;
extern atomic_t sbpipe_nr_pipes;
extern atomic64_t sbpipe_ring_bytes;
extern atomic64_t sbpipe_ring_bytes_allocated;
DECLARE_PER_CPU(u64, sbpipe_bytes_moved);

/* sandbox.c */
struct sbpipe_sandbox *sbpipe_sandbox_new(void);
void sbpipe_sandbox_get(struct sbpipe_sandbox *sb);
void sbpipe_sandbox_put(struct sbpipe_sandbox *sb);
void sbpipe_sandbox_limit_hit(struct sbpipe_sandbox *sb);
int sbpipe_sandbox_add_pipe(struct sbpipe_sandbox *sb,
			    struct sbpipe_pipe *pipe);
void sbpipe_sandbox_remove_pipe(struct sbpipe_sandbox *sb,
				struct sbpipe_pipe *pipe);
int sbpipe_sandbox_charge_resize(struct sbpipe_sandbox *sb,
				 struct sbpipe_pipe *pipe, u32 size);
void sbpipe_sandbox_shutdown(struct sbpipe_sandbox *sb);
void sbpipe_sandbox_release(struct sbpipe_sandbox *sb);
long sbpipe_sandbox_get_limits(struct sbpipe_sandbox *sb, void __user *argp);
long sbpipe_sandbox_set_limits(struct sbpipe_sandbox *sb, void __user *argp);
long sbpipe_sandbox_stats(struct sbpipe_sandbox *sb, void __user *argp);
void sbpipe_sandbox_show_fdinfo(struct sbpipe_sandbox *sb,
				struct seq_file *m);

/* pipe.c */
int sbpipe_fs_init(void);
void sbpipe_fs_exit(void);
long sbpipe_pipe_create(struct sbpipe_sandbox *sb, void __user *argp);
void sbpipe_pipe_shutdown(struct sbpipe_pipe *pipe);
u32 sbpipe_pipe_queued(struct sbpipe_pipe *pipe);

#endif /* _SBPIPE_INTERNAL_H */
