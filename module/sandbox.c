// SPDX-License-Identifier: GPL-2.0
/*
 * sbpipe: sandboxes, their limits and statistics, and the accounting of
 * ring bytes per user and module-wide.
 *
 * A pipe's ring bytes are charged when the pipe is created or grown, for
 * its whole size, not when its memory is allocated: a limit is a promise
 * about what the pipes may come to use. The charge goes to the sandbox, to
 * the user who created the pipe and to the module-wide total, and comes
 * back when the pipe is freed, shrunk or shut down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/hashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/sbpipe.h>

#include "sbpipe.h"

#define SBPIPE_SANDBOX_SETTABLE	(SBPIPE_SANDBOX_SEALED | \
				 SBPIPE_SANDBOX_KILL_ON_CLOSE)
#define SBPIPE_SANDBOX_FLAGS	(SBPIPE_SANDBOX_SETTABLE | \
				 SBPIPE_SANDBOX_SHUTDOWN)

/**
 * struct sbpipe_user - the ring bytes charged to one user
 * @node: in sbpipe_users.
 * @uid: the user.
 * @bytes: the bytes; the entry goes when they drop to 0.
 */
struct sbpipe_user {
	struct hlist_node node;
	kuid_t uid;
	u64 bytes;
};

/* Protects sbpipe_users and the updates of sbpipe_ring_bytes. */
static DEFINE_MUTEX(sbpipe_acct_lock);
static DEFINE_HASHTABLE(sbpipe_users, 6);
static atomic64_t sbpipe_next_id = ATOMIC64_INIT(0);

static struct sbpipe_user *sbpipe_user_find(kuid_t uid)
{
	struct sbpipe_user *user;

	hash_for_each_possible(sbpipe_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

/*
 * Charge @bytes to @uid and to the module-wide total. As for native pipes
 * and pipe-user-pages-hard, the per-user ceiling does not hold for
 * CAP_SYS_RESOURCE or CAP_SYS_ADMIN; the module-wide one holds for all.
 * Returns -ENOSPC past a ceiling, for the caller to turn into the errno
 * of its operation.
 */
static int sbpipe_acct_charge(kuid_t uid, u64 bytes)
{
	u64 total_max = READ_ONCE(sbpipe_max_total_bytes);
	u64 user_max = READ_ONCE(sbpipe_user_max_bytes);
	bool privileged = capable(CAP_SYS_RESOURCE) || capable(CAP_SYS_ADMIN);
	struct sbpipe_user *user;
	int ret = 0;

	mutex_lock(&sbpipe_acct_lock);
	user = sbpipe_user_find(uid);
	if (total_max && atomic64_read(&sbpipe_ring_bytes) + bytes > total_max) {
		ret = -ENOSPC;
		goto out;
	}
	if (!privileged && user_max &&
	    (user ? user->bytes : 0) + bytes > user_max) {
		ret = -ENOSPC;
		goto out;
	}
	if (!user) {
		user = kzalloc(sizeof(*user), GFP_KERNEL);
		if (!user) {
			ret = -ENOMEM;
			goto out;
		}
		user->uid = uid;
		hash_add(sbpipe_users, &user->node, __kuid_val(uid));
	}
	user->bytes += bytes;
	atomic64_add(bytes, &sbpipe_ring_bytes);
out:
	mutex_unlock(&sbpipe_acct_lock);
	return ret;
}

static void sbpipe_acct_uncharge(kuid_t uid, u64 bytes)
{
	struct sbpipe_user *user;

	mutex_lock(&sbpipe_acct_lock);
	user = sbpipe_user_find(uid);
	if (!WARN_ON_ONCE(!user || user->bytes < bytes)) {
		user->bytes -= bytes;
		if (!user->bytes) {
			hash_del(&user->node);
			kfree(user);
		}
	}
	atomic64_sub(bytes, &sbpipe_ring_bytes);
	mutex_unlock(&sbpipe_acct_lock);
}

/**
 * sbpipe_sandbox_new() - a sandbox with the module's default limits
 *
 * Return: the sandbox, with one reference, or NULL.
 */
struct sbpipe_sandbox *sbpipe_sandbox_new(void)
{
	struct sbpipe_sandbox *sb = kzalloc(sizeof(*sb), GFP_KERNEL_ACCOUNT);

	if (!sb)
		return NULL;

	refcount_set(&sb->ref, 1);
	sb->id = atomic64_inc_return(&sbpipe_next_id);
	mutex_init(&sb->lock);
	sb->max_pipes = READ_ONCE(sbpipe_default_max_pipes);
	sb->max_size = READ_ONCE(sbpipe_max_size);
	sb->max_bytes = READ_ONCE(sbpipe_default_max_bytes);
	INIT_LIST_HEAD(&sb->pipes);
	atomic_inc(&sbpipe_nr_sandboxes);
	return sb;
}

/**
 * sbpipe_sandbox_get() - take a reference
 * @sb: the sandbox
 */
void sbpipe_sandbox_get(struct sbpipe_sandbox *sb)
{
	refcount_inc(&sb->ref);
}

/**
 * sbpipe_sandbox_put() - drop a reference, freeing the sandbox at the last
 * @sb: the sandbox
 */
void sbpipe_sandbox_put(struct sbpipe_sandbox *sb)
{
	if (!refcount_dec_and_test(&sb->ref))
		return;

	/* Every pipe holds a reference, so none can be left. */
	WARN_ON_ONCE(!list_empty(&sb->pipes));
	mutex_destroy(&sb->lock);
	kfree(sb);
	atomic_dec(&sbpipe_nr_sandboxes);
}

/**
 * sbpipe_sandbox_limit_hit() - count an operation refused by a limit
 * @sb: the sandbox
 */
void sbpipe_sandbox_limit_hit(struct sbpipe_sandbox *sb)
{
	atomic64_inc(&sb->limit_hits);
}

/**
 * sbpipe_sandbox_add_pipe() - admit a new pipe and charge its size
 * @sb: the sandbox
 * @pipe: the pipe, with its size and owner set
 *
 * On success the pipe holds a reference to @sb.
 *
 * Return: 0; -ENODEV after a shutdown; -EPERM for a size above the
 * sandbox's max_size; -EMFILE at max_pipes; -ENFILE past max_bytes or a
 * per-user or module-wide ceiling, as pipe() past pipe-user-pages-hard;
 * -ENOMEM.
 */
int sbpipe_sandbox_add_pipe(struct sbpipe_sandbox *sb,
			    struct sbpipe_pipe *pipe)
{
	int ret;

	mutex_lock(&sb->lock);
	if (sb->flags & SBPIPE_SANDBOX_SHUTDOWN) {
		ret = -ENODEV;
		goto out;
	}
	if (!pipe->size || pipe->size > sb->max_size) {
		ret = -EPERM;
		goto hit;
	}
	if (sb->nr_pipes >= sb->max_pipes) {
		ret = -EMFILE;
		goto hit;
	}
	if (sb->bytes_reserved + pipe->size > sb->max_bytes) {
		ret = -ENFILE;
		goto hit;
	}
	ret = sbpipe_acct_charge(pipe->owner, pipe->size);
	if (ret == -ENOSPC) {
		ret = -ENFILE;
		goto hit;
	}
	if (ret)
		goto out;

	sbpipe_sandbox_get(sb);
	pipe->sandbox = sb;
	pipe->charged = true;
	list_add_tail(&pipe->sandbox_node, &sb->pipes);
	sb->nr_pipes++;
	sb->bytes_reserved += pipe->size;
	atomic64_inc(&sb->pipes_created);
	mutex_unlock(&sb->lock);
	return 0;

hit:
	sbpipe_sandbox_limit_hit(sb);
out:
	mutex_unlock(&sb->lock);
	return ret;
}

/* Under sb->lock: give back what @pipe has charged. */
static void sbpipe_sandbox_uncharge(struct sbpipe_sandbox *sb,
				    struct sbpipe_pipe *pipe)
{
	if (!pipe->charged)
		return;
	sbpipe_acct_uncharge(pipe->owner, pipe->size);
	sb->bytes_reserved -= pipe->size;
	pipe->charged = false;
}

/**
 * sbpipe_sandbox_remove_pipe() - forget a pipe that is being freed
 * @sb: its sandbox
 * @pipe: the pipe
 *
 * Drops the pipe's reference to @sb.
 */
void sbpipe_sandbox_remove_pipe(struct sbpipe_sandbox *sb,
				struct sbpipe_pipe *pipe)
{
	mutex_lock(&sb->lock);
	sbpipe_sandbox_uncharge(sb, pipe);
	list_del(&pipe->sandbox_node);
	sb->nr_pipes--;
	/* No reader or writer is left to change them. */
	sb->bytes_written += pipe->bytes_written;
	sb->bytes_read += pipe->bytes_read;
	mutex_unlock(&sb->lock);

	sbpipe_sandbox_put(sb);
}

/**
 * sbpipe_sandbox_charge_resize() - move a pipe's charge to a new size
 * @sb: its sandbox, locked
 * @pipe: the pipe, charged, with both of its mutexes held
 * @size: the new size
 *
 * Sets the pipe's size. Shrinking always succeeds.
 *
 * Return: 0; -EPERM for a size above max_size, or growth past max_bytes
 * or a per-user or module-wide ceiling, as F_SETPIPE_SZ; -ENOMEM.
 */
int sbpipe_sandbox_charge_resize(struct sbpipe_sandbox *sb,
				 struct sbpipe_pipe *pipe, u32 size)
{
	u64 delta;
	int ret;

	lockdep_assert_held(&sb->lock);

	if (size <= pipe->size) {
		delta = pipe->size - size;
		sbpipe_acct_uncharge(pipe->owner, delta);
		sb->bytes_reserved -= delta;
		WRITE_ONCE(pipe->size, size);
		return 0;
	}

	delta = size - pipe->size;
	if (size > sb->max_size || sb->bytes_reserved + delta > sb->max_bytes) {
		sbpipe_sandbox_limit_hit(sb);
		return -EPERM;
	}
	ret = sbpipe_acct_charge(pipe->owner, delta);
	if (ret == -ENOSPC) {
		sbpipe_sandbox_limit_hit(sb);
		return -EPERM;
	}
	if (ret)
		return ret;
	sb->bytes_reserved += delta;
	WRITE_ONCE(pipe->size, size);
	return 0;
}

/**
 * sbpipe_sandbox_shutdown() - SBPIPE_IOC_SHUTDOWN: end every pipe at once
 * @sb: the sandbox
 *
 * Every pipe gets sbpipe_pipe_shutdown() and gives its charge back; the
 * pipes themselves stay, as open files, until they are closed. Creations
 * fail with ENODEV from now on.
 */
void sbpipe_sandbox_shutdown(struct sbpipe_sandbox *sb)
{
	struct sbpipe_pipe *pipe;

	mutex_lock(&sb->lock);
	sb->flags |= SBPIPE_SANDBOX_SHUTDOWN;
	list_for_each_entry(pipe, &sb->pipes, sandbox_node) {
		sbpipe_pipe_shutdown(pipe);
		sbpipe_sandbox_uncharge(sb, pipe);
	}
	mutex_unlock(&sb->lock);
}

/**
 * sbpipe_sandbox_release() - the sandbox's file is closed
 * @sb: the sandbox, whose file reference this drops
 */
void sbpipe_sandbox_release(struct sbpipe_sandbox *sb)
{
	if (READ_ONCE(sb->flags) & SBPIPE_SANDBOX_KILL_ON_CLOSE)
		sbpipe_sandbox_shutdown(sb);
	sbpipe_sandbox_put(sb);
}

/**
 * sbpipe_sandbox_get_limits() - SBPIPE_IOC_GET_LIMITS
 * @sb: the sandbox
 * @argp: the user's struct sbpipe_limits
 *
 * Return: 0, or -EFAULT.
 */
long sbpipe_sandbox_get_limits(struct sbpipe_sandbox *sb, void __user *argp)
{
	struct sbpipe_limits args;

	memset(&args, 0, sizeof(args));
	mutex_lock(&sb->lock);
	args.max_pipes = sb->max_pipes;
	args.max_size = sb->max_size;
	args.max_bytes = sb->max_bytes;
	args.flags = sb->flags;
	mutex_unlock(&sb->lock);

	if (copy_to_user(argp, &args, sizeof(args)))
		return -EFAULT;
	return 0;
}

/* Raising a limit above the module's default needs CAP_SYS_RESOURCE. */
static bool sbpipe_limit_allowed(u64 new, u64 old, u64 dflt)
{
	return new <= old || new <= dflt || capable(CAP_SYS_RESOURCE);
}

/**
 * sbpipe_sandbox_set_limits() - SBPIPE_IOC_SET_LIMITS
 * @sb: the sandbox
 * @argp: the user's struct sbpipe_limits
 *
 * Return: 0; -EINVAL for unknown flags, non-zero reserved fields or
 * SBPIPE_SANDBOX_SHUTDOWN asked for; -EPERM once sealed, for clearing a
 * flag or for raising a limit above its default without
 * CAP_SYS_RESOURCE; -EBUSY for max_pipes or max_bytes below what is in
 * use; -EFAULT. A max_size below the size of existing pipes is accepted:
 * like pipe-max-size, it bounds creations and resizes, not what exists.
 */
long sbpipe_sandbox_set_limits(struct sbpipe_sandbox *sb, void __user *argp)
{
	struct sbpipe_limits args;
	long ret = 0;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;

	if (memchr_inv(args.__reserved, 0, sizeof(args.__reserved)))
		return -EINVAL;
	if (args.flags & ~SBPIPE_SANDBOX_FLAGS)
		return -EINVAL;

	mutex_lock(&sb->lock);
	/* SHUTDOWN is read only: it may be passed back, never asked for. */
	if (args.flags & ~sb->flags & SBPIPE_SANDBOX_SHUTDOWN) {
		ret = -EINVAL;
	} else if ((sb->flags & SBPIPE_SANDBOX_SEALED) ||
		   (sb->flags & ~args.flags & SBPIPE_SANDBOX_SETTABLE)) {
		ret = -EPERM;
	} else if (!sbpipe_limit_allowed(args.max_pipes, sb->max_pipes,
					 READ_ONCE(sbpipe_default_max_pipes)) ||
		   !sbpipe_limit_allowed(args.max_size, sb->max_size,
					 READ_ONCE(sbpipe_max_size)) ||
		   !sbpipe_limit_allowed(args.max_bytes, sb->max_bytes,
					 READ_ONCE(sbpipe_default_max_bytes))) {
		ret = -EPERM;
	} else if (args.max_pipes < sb->nr_pipes ||
		   args.max_bytes < sb->bytes_reserved) {
		ret = -EBUSY;
	} else {
		sb->max_pipes = args.max_pipes;
		sb->max_size = args.max_size;
		sb->max_bytes = args.max_bytes;
		sb->flags |= args.flags & SBPIPE_SANDBOX_SETTABLE;
	}
	mutex_unlock(&sb->lock);
	return ret;
}

/* Under sb->lock. */
static void sbpipe_sandbox_fill_stats(struct sbpipe_sandbox *sb,
				      struct sbpipe_stats *st)
{
	struct sbpipe_pipe *pipe;

	memset(st, 0, sizeof(*st));
	st->id = sb->id;
	st->pipes = sb->nr_pipes;
	st->pipes_created = atomic64_read(&sb->pipes_created);
	st->bytes_reserved = sb->bytes_reserved;
	st->bytes_written = sb->bytes_written;
	st->bytes_read = sb->bytes_read;
	list_for_each_entry(pipe, &sb->pipes, sandbox_node) {
		st->bytes_queued += sbpipe_pipe_queued(pipe);
		st->bytes_written += READ_ONCE(pipe->bytes_written);
		st->bytes_read += READ_ONCE(pipe->bytes_read);
	}
	st->waits = atomic64_read(&sb->waits);
	st->limit_hits = atomic64_read(&sb->limit_hits);
	st->flags = sb->flags;
}

/**
 * sbpipe_sandbox_stats() - SBPIPE_IOC_STATS
 * @sb: the sandbox
 * @argp: the user's struct sbpipe_stats
 *
 * Return: 0, or -EFAULT.
 */
long sbpipe_sandbox_stats(struct sbpipe_sandbox *sb, void __user *argp)
{
	struct sbpipe_stats st;

	mutex_lock(&sb->lock);
	sbpipe_sandbox_fill_stats(sb, &st);
	mutex_unlock(&sb->lock);

	if (copy_to_user(argp, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

/**
 * sbpipe_sandbox_show_fdinfo() - the sandbox in /proc/<pid>/fdinfo/<fd>
 * @sb: the sandbox
 * @m: the fdinfo file
 *
 * The first line names the sandbox, so that a tool can find every sandbox
 * of the machine by scanning fdinfo.
 */
void sbpipe_sandbox_show_fdinfo(struct sbpipe_sandbox *sb,
				struct seq_file *m)
{
	struct sbpipe_stats st;
	u32 max_pipes, max_size;
	u64 max_bytes;

	mutex_lock(&sb->lock);
	sbpipe_sandbox_fill_stats(sb, &st);
	max_pipes = sb->max_pipes;
	max_size = sb->max_size;
	max_bytes = sb->max_bytes;
	mutex_unlock(&sb->lock);

	seq_printf(m, "sbpipe_sandbox:\t%llu\n", st.id);
	seq_printf(m, "sandbox_flags:\t%#x\n", st.flags);
	seq_printf(m, "max_pipes:\t%u\n", max_pipes);
	seq_printf(m, "max_size:\t%u\n", max_size);
	seq_printf(m, "max_bytes:\t%llu\n", max_bytes);
	seq_printf(m, "pipes:\t%llu\n", st.pipes);
	seq_printf(m, "pipes_created:\t%llu\n", st.pipes_created);
	seq_printf(m, "bytes_reserved:\t%llu\n", st.bytes_reserved);
	seq_printf(m, "bytes_queued:\t%llu\n", st.bytes_queued);
	seq_printf(m, "bytes_written:\t%llu\n", st.bytes_written);
	seq_printf(m, "bytes_read:\t%llu\n", st.bytes_read);
	seq_printf(m, "waits:\t%llu\n", st.waits);
	seq_printf(m, "limit_hits:\t%llu\n", st.limit_hits);
}
