// SPDX-License-Identifier: GPL-2.0
/*
 * An ordinary Linux program that knows nothing of sbpipe: it resizes
 * pipes with F_SETPIPE_SZ, copies stdin to stdout through a pipe with
 * splice(), duplicates what passes with tee() into a second pipe that it
 * drains into /dev/null, and feeds a header in with vmsplice(). What it
 * prints depends only on native pipe behaviour, so it must print the same
 * with its pipes native or moved onto sbpipe by libsbpipe-preload.so.
 *
 * With --popen it reads the output of popen() instead, whose pipe libc
 * creates internally and the preload must leave native.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define CHUNK	65536

static void die(const char *what)
{
	fprintf(stderr, "pipe_splice_prog: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void report_resize(int fd, long size)
{
	int ret = fcntl(fd, F_SETPIPE_SZ, size);

	if (ret < 0)
		dprintf(STDOUT_FILENO, "F_SETPIPE_SZ %ld: %s\n", size,
			strerrorname_np(errno));
	else
		dprintf(STDOUT_FILENO, "F_SETPIPE_SZ %ld: %d, F_GETPIPE_SZ %d\n",
			size, ret, fcntl(fd, F_GETPIPE_SZ));
}

/* Moves exactly len bytes from a pipe to fd, with splice(). */
static void splice_all(int from, int to, size_t len)
{
	ssize_t n;

	while (len) {
		n = splice(from, NULL, to, NULL, len, SPLICE_F_MOVE);
		if (n <= 0)
			die("splice out of the pipe");
		len -= n;
	}
}

static int run_popen(void)
{
	char line[64];
	FILE *fp;
	int i;

	for (i = 0; i < 10; i++) {
		fp = popen("echo popen", "r");
		if (!fp || !fgets(line, sizeof(line), fp))
			die("popen");
		pclose(fp);
	}
	printf("%s", line);
	return 0;
}

int main(int argc, char **argv)
{
	static const char header[] = "header through vmsplice\n";
	struct iovec iov = { (void *)header, sizeof(header) - 1 };
	unsigned long long total = 0, teed = 0;
	int data[2], copy[2], null;
	loff_t offset = 0, *off;
	char fill[8192] = { };
	struct stat st;
	ssize_t n, t;

	if (argc > 1 && !strcmp(argv[1], "--popen"))
		return run_popen();

	if (pipe(data) || pipe(copy))
		die("pipe");
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0)
		die("/dev/null");

	report_resize(data[1], 100000);
	report_resize(copy[0], 0);
	report_resize(copy[1], (1L << 31) + 1);
	report_resize(copy[1], CHUNK);
	if (write(copy[1], fill, sizeof(fill)) != sizeof(fill))
		die("write");
	report_resize(copy[1], 4096);
	splice_all(copy[0], null, sizeof(fill));

	if (vmsplice(data[1], &iov, 1, 0) != (ssize_t)iov.iov_len)
		die("vmsplice");
	splice_all(data[0], STDOUT_FILENO, iov.iov_len);

	/* From a regular file, splice at an offset, as cp-like tools do. */
	off = !fstat(STDIN_FILENO, &st) && S_ISREG(st.st_mode) ? &offset : NULL;
	for (;;) {
		n = splice(STDIN_FILENO, off, data[1], NULL, CHUNK, 0);
		if (n < 0)
			die("splice into the pipe");
		if (!n)
			break;

		t = tee(data[0], copy[1], n, 0);
		if (t < 0)
			die("tee");
		splice_all(copy[0], null, t);
		splice_all(data[0], STDOUT_FILENO, n);
		total += n;
		teed += t;
	}

	dprintf(STDOUT_FILENO, "spliced %llu bytes, teed %s\n", total,
		teed == total ? "all of them" : "fewer");
	return 0;
}
