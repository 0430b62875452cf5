/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * sbpipe: pipes for sandboxes.
 *
 * Opening /dev/sbpipe creates a sandbox. SBPIPE_IOC_CREATE on the sandbox
 * fd creates a pipe that belongs to it and returns two new fds, a read end
 * and a write end, which behave as the ends of a pipe2() pipe. The other
 * sandbox ioctls set and read the sandbox's limits, read its statistics and
 * shut all of its pipes down at once. The pipe ioctls query and resize one
 * pipe through either of its ends.
 *
 * Every argument is a struct whose size is a multiple of 8 and whose
 * reserved fields must be zero; the kernel fails a call with EINVAL when
 * they are not, so that a later version can give them a meaning. Unknown
 * flags are EINVAL, unknown commands ENOTTY.
 */
#ifndef _UAPI_LINUX_SBPIPE_H
#define _UAPI_LINUX_SBPIPE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Listed as free in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define SBPIPE_IOC_MAGIC	0xB9

/* The size a pipe gets when SBPIPE_IOC_CREATE asks for 0. */
#define SBPIPE_DEFAULT_SIZE	65536
/* The write-atomicity size a pipe gets when asked for 0, as PIPE_BUF. */
#define SBPIPE_DEFAULT_ATOMIC	4096

/**
 * struct sbpipe_create - argument of SBPIPE_IOC_CREATE
 * @flags: in: O_CLOEXEC, O_NONBLOCK and O_DIRECT with the values and
 *	meanings they have for pipe2(). O_CLOEXEC applies to both new fds,
 *	O_NONBLOCK to both open files, and O_DIRECT makes the pipe carry
 *	packets: each write of up to the atomic size is one packet, a larger
 *	write is split into packets of the atomic size, and one read returns
 *	at most one packet, discarding what does not fit in its buffer.
 * @size: in: the ring size in bytes, 1 up to the module parameter
 *	max_size and the sandbox's max_size limit; 0 asks for
 *	SBPIPE_DEFAULT_SIZE (or the sandbox's max_size when that is smaller).
 *	Above either limit the call fails with EPERM unless the caller has
 *	CAP_SYS_RESOURCE, which lifts max_size but not the sandbox's limits.
 *	No pipe is larger than 1 GiB - 4 bytes: a caller allowed a larger
 *	size gets EINVAL.
 * @atomic_size: in: writes of up to this many bytes are all or nothing
 *	and never interleave with another writer's; 0 asks for
 *	SBPIPE_DEFAULT_ATOMIC. The pipe uses the smaller of this and @size.
 * @rfd: out: the read end.
 * @wfd: out: the write end.
 * @__reserved: must be zero.
 */
struct sbpipe_create {
	__u32 flags;
	__u32 size;
	__u32 atomic_size;
	__s32 rfd;
	__s32 wfd;
	__u32 __reserved[5];
};

/**
 * struct sbpipe_info - argument of SBPIPE_IOC_INFO, all out
 * @size: the ring size in bytes.
 * @atomic_size: the effective write-atomicity size.
 * @queued: bytes written and not yet read.
 * @readers: open files of the read end.
 * @writers: open files of the write end.
 * @flags: SBPIPE_INFO_* bits.
 * @bytes_written: bytes written into the pipe since it was created.
 * @bytes_read: bytes taken out of it by reads (and packet discards).
 * @writes: write calls that moved at least one byte.
 * @reads: read calls that moved at least one byte.
 * @ino: the inode number both ends report in st_ino.
 * @sandbox_id: the id of the sandbox the pipe belongs to.
 * @__reserved: zero.
 */
struct sbpipe_info {
	__u32 size;
	__u32 atomic_size;
	__u32 queued;
	__u32 readers;
	__u32 writers;
	__u32 flags;
	__u64 bytes_written;
	__u64 bytes_read;
	__u64 writes;
	__u64 reads;
	__u64 ino;
	__u64 sandbox_id;
	__u64 __reserved[4];
};

/* The pipe carries packets (created with O_DIRECT). */
#define SBPIPE_INFO_PACKET	0x1U
/* The pipe's sandbox was torn down. */
#define SBPIPE_INFO_SHUTDOWN	0x2U

/**
 * struct sbpipe_size - argument of SBPIPE_IOC_GET_SIZE and SBPIPE_IOC_SET_SIZE
 * @size: in for SET: the new ring size in bytes, exact (no rounding), with
 *	the limits of struct sbpipe_create; smaller than the bytes queued is
 *	EBUSY, and queued data is kept. out for both: the ring size.
 * @__reserved: must be zero.
 */
struct sbpipe_size {
	__u32 size;
	__u32 __reserved;
};

/**
 * struct sbpipe_peek - argument of SBPIPE_IOC_PEEK, on a read end
 * @buf: in: a user pointer to copy queued bytes to.
 * @len: in: the most bytes to copy; out: the bytes copied.
 * @offset: in: bytes of queued data to skip before copying.
 * @__reserved: must be zero.
 *
 * Copies queued data without consuming it, the way tee(2) duplicates a
 * pipe's content. It never blocks; it copies 0 bytes when fewer than
 * @offset + 1 are queued. On a packet pipe, @offset must be 0 and at most
 * the first packet is copied.
 */
struct sbpipe_peek {
	__u64 buf;
	__u32 len;
	__u32 offset;
	__u64 __reserved;
};

/**
 * struct sbpipe_limits - a sandbox's limits and flags
 * @max_pipes: the most pipes the sandbox may hold at once.
 * @max_size: the largest ring size one pipe may have, in bytes.
 * @max_bytes: the most ring bytes all its pipes may reserve together (the
 *	sum of their sizes).
 * @flags: SBPIPE_SANDBOX_* bits.
 * @__reserved: must be zero.
 *
 * SBPIPE_IOC_GET_LIMITS reads them. SBPIPE_IOC_SET_LIMITS replaces them:
 * anyone may lower a limit, raising one above the module's default for it
 * needs CAP_SYS_RESOURCE (EPERM otherwise), and a limit below what the
 * sandbox already uses is EBUSY. Flags can be set but never cleared
 * (EPERM). After SBPIPE_SANDBOX_SEALED is set, every SET is EPERM.
 */
struct sbpipe_limits {
	__u32 max_pipes;
	__u32 max_size;
	__u64 max_bytes;
	__u32 flags;
	__u32 __reserved[3];
};

/* The limits and flags can no longer change. */
#define SBPIPE_SANDBOX_SEALED		0x1U
/*
 * The sandbox shuts its pipes down (as SBPIPE_IOC_SHUTDOWN) when its last
 * sandbox fd is closed, so that a runtime that dies takes its pipes along.
 */
#define SBPIPE_SANDBOX_KILL_ON_CLOSE	0x2U
/* Set once SBPIPE_IOC_SHUTDOWN has run; read only. */
#define SBPIPE_SANDBOX_SHUTDOWN		0x4U

/**
 * struct sbpipe_stats - argument of SBPIPE_IOC_STATS, all out
 * @id: the sandbox id, unique while the module is loaded.
 * @pipes: pipes the sandbox holds now.
 * @pipes_created: pipes it ever created.
 * @bytes_reserved: the sum of its pipes' ring sizes.
 * @bytes_queued: bytes written to its pipes and not yet read.
 * @bytes_written: bytes ever written into its pipes.
 * @bytes_read: bytes ever read from its pipes.
 * @waits: times a reader or writer of its pipes went to sleep.
 * @limit_hits: creations or resizes refused by a limit.
 * @flags: SBPIPE_SANDBOX_* bits.
 * @__reserved: zero.
 */
struct sbpipe_stats {
	__u64 id;
	__u64 pipes;
	__u64 pipes_created;
	__u64 bytes_reserved;
	__u64 bytes_queued;
	__u64 bytes_written;
	__u64 bytes_read;
	__u64 waits;
	__u64 limit_hits;
	__u32 flags;
	__u32 __reserved;
	__u64 __reserved2[4];
};

/* On a sandbox fd (an open of /dev/sbpipe). */
#define SBPIPE_IOC_CREATE	_IOWR(SBPIPE_IOC_MAGIC, 0x00, struct sbpipe_create)
#define SBPIPE_IOC_GET_LIMITS	_IOR(SBPIPE_IOC_MAGIC, 0x01, struct sbpipe_limits)
#define SBPIPE_IOC_SET_LIMITS	_IOW(SBPIPE_IOC_MAGIC, 0x02, struct sbpipe_limits)
#define SBPIPE_IOC_STATS	_IOR(SBPIPE_IOC_MAGIC, 0x03, struct sbpipe_stats)
/*
 * Shut every pipe of the sandbox down: blocked readers and writers wake,
 * reads return 0 (queued data is dropped), writes fail with EPIPE and
 * raise SIGPIPE, poll reports EPOLLHUP on read ends and EPOLLERR on write
 * ends, and the rings are freed. Size changes then fail with ENODEV.
 * Creating pipes in a shut-down sandbox fails with ENODEV. No argument.
 */
#define SBPIPE_IOC_SHUTDOWN	_IO(SBPIPE_IOC_MAGIC, 0x04)

/* On either end of a pipe. FIONREAD works as on a native pipe. */
#define SBPIPE_IOC_INFO		_IOR(SBPIPE_IOC_MAGIC, 0x20, struct sbpipe_info)
#define SBPIPE_IOC_GET_SIZE	_IOR(SBPIPE_IOC_MAGIC, 0x21, struct sbpipe_size)
#define SBPIPE_IOC_SET_SIZE	_IOWR(SBPIPE_IOC_MAGIC, 0x22, struct sbpipe_size)
/* On a read end only; EBADF on a write end. */
#define SBPIPE_IOC_PEEK		_IOWR(SBPIPE_IOC_MAGIC, 0x23, struct sbpipe_peek)

#endif /* _UAPI_LINUX_SBPIPE_H */
