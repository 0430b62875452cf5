// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sbpipe-run: run a command with all the pipes of its process tree in a
 * new sbpipe sandbox.
 *
 * The sandbox fd is inherited by the command as SBPIPE_FD, and
 * libsbpipe-preload.so, found beside this binary or in ../lib, is added to
 * LD_PRELOAD so that the pipes the command and its descendants create go
 * into it. The exit status is the command's, or 128 plus the signal that
 * killed it, as in a shell; 125 is sbpipe-run's own failure, 126 a
 * command that cannot run and 127 one that is not found, as env(1) does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbpipe.h"
#include "internal.h"

#define EXIT_RUN_FAILED		125
#define EXIT_CANNOT_EXEC	126
#define EXIT_NOT_FOUND		127

/* Where the sandbox fd is put, out of the way of fds scripts pick. */
#define SANDBOX_FD_FLOOR	512

struct run_options {
	const char *stats_path;		/* NULL: no stats; "-": stderr */
	unsigned long long max_pipes;	/* 0: leave the default */
	unsigned long long max_bytes;
	unsigned long long max_size;
	int kill_on_exit;
};

static pid_t child_pid;

static void print_help(FILE *out)
{
	fprintf(out,
		"Usage: sbpipe-run [options] [--] COMMAND [ARGS...]\n"
		"Run COMMAND with its pipes, and its descendants', in a new sbpipe sandbox.\n"
		"\n"
		"  --stats[=FILE]      print the sandbox statistics at exit (default: stderr)\n"
		"  --max-pipes N       at most N pipes at once\n"
		"  --max-bytes N       at most N ring bytes for all pipes together\n"
		"  --max-size N        at most N bytes for one pipe\n"
		"  --kill-on-exit      shut every pipe down when COMMAND exits, or when\n"
		"                      the last holder of the sandbox dies\n"
		"  -h, --help          show this help\n");
}

static int parse_count(const char *arg, unsigned long long *value)
{
	char *end;

	errno = 0;
	*value = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || *arg == '-' || !*value) {
		fprintf(stderr, "sbpipe-run: invalid count '%s'\n", arg);
		return -1;
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct run_options *opts)
{
	static const struct option longopts[] = {
		{ "stats",		optional_argument, NULL, 's' },
		{ "max-pipes",		required_argument, NULL, 'p' },
		{ "max-bytes",		required_argument, NULL, 'b' },
		{ "max-size",		required_argument, NULL, 'z' },
		{ "kill-on-exit",	no_argument,	   NULL, 'k' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opts->stats_path = optarg ? optarg : "-";
			break;
		case 'p':
			if (parse_count(optarg, &opts->max_pipes))
				return -1;
			break;
		case 'b':
			if (parse_count(optarg, &opts->max_bytes))
				return -1;
			break;
		case 'z':
			if (parse_count(optarg, &opts->max_size))
				return -1;
			break;
		case 'k':
			opts->kill_on_exit = 1;
			break;
		case 'h':
			print_help(stdout);
			exit(0);
		default:
			print_help(stderr);
			return -1;
		}
	}

	if (optind >= argc) {
		print_help(stderr);
		return -1;
	}
	return optind;
}

static int apply_limits(int sandbox, const struct run_options *opts)
{
	struct sbpipe_limits limits;

	if (!opts->max_pipes && !opts->max_bytes && !opts->max_size &&
	    !opts->kill_on_exit)
		return 0;

	if (sbpipe_get_limits(sandbox, &limits))
		return -1;

	if (opts->max_pipes)
		limits.max_pipes = opts->max_pipes > UINT_MAX ?
				   UINT_MAX : opts->max_pipes;
	if (opts->max_size)
		limits.max_size = opts->max_size > UINT_MAX ?
				  UINT_MAX : opts->max_size;
	if (opts->max_bytes)
		limits.max_bytes = opts->max_bytes;
	if (opts->kill_on_exit)
		limits.flags |= SBPIPE_SANDBOX_KILL_ON_CLOSE;
	/* Only SET's own flags may be passed back; SHUTDOWN is read-only. */
	limits.flags &= ~SBPIPE_SANDBOX_SHUTDOWN;

	return sbpipe_set_limits(sandbox, &limits);
}

/* Moves the sandbox fd high, where scripts' `exec 3>file` do not land. */
static int move_sandbox_fd(int fd)
{
	struct rlimit rl;
	int high;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur <= SANDBOX_FD_FLOOR)
		return fd;

	high = fcntl(fd, F_DUPFD, SANDBOX_FD_FLOOR);
	if (high < 0)
		return fd;
	close(fd);
	return high;
}

/*
 * The preload beside this binary (the build tree) or in ../lib (an
 * installed tree), prepended to LD_PRELOAD.
 */
static int set_preload(void)
{
	static const char *const where[] = {
		"%s/libsbpipe-preload.so",
		"%s/../lib/libsbpipe-preload.so",
	};
	char exe[PATH_MAX], path[PATH_MAX + 64], *dir, *value;
	const char *old = getenv("LD_PRELOAD");
	ssize_t len;
	size_t i;
	int ret;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return -1;
	exe[len] = '\0';
	dir = strrchr(exe, '/');
	if (dir)
		*dir = '\0';

	for (i = 0; i < ARRAY_SIZE(where); i++) {
		snprintf(path, sizeof(path), where[i], exe);
		if (!access(path, R_OK))
			break;
	}
	if (i == ARRAY_SIZE(where)) {
		errno = ENOENT;
		return -1;
	}

	if (old && *old)
		ret = asprintf(&value, "%s:%s", realpath(path, exe) ?: path,
			       old);
	else
		ret = asprintf(&value, "%s", realpath(path, exe) ?: path);
	if (ret < 0)
		return -1;

	ret = setenv("LD_PRELOAD", value, 1);
	free(value);
	return ret;
}

static int print_stats(int sandbox, const char *stats_path)
{
	struct sbpipe_stats st;
	FILE *out = stderr;

	if (sbpipe_get_stats(sandbox, &st))
		return -1;

	if (strcmp(stats_path, "-")) {
		out = fopen(stats_path, "we");
		if (!out)
			return -1;
	}

	fprintf(out,
		"sandbox %llu\npipes %llu\npipes_created %llu\n"
		"bytes_reserved %llu\nbytes_queued %llu\n"
		"bytes_written %llu\nbytes_read %llu\n"
		"waits %llu\nlimit_hits %llu\nflags %#x\n",
		st.id, st.pipes, st.pipes_created, st.bytes_reserved,
		st.bytes_queued, st.bytes_written, st.bytes_read, st.waits,
		st.limit_hits, st.flags);

	if (out != stderr && fclose(out))
		return -1;
	return 0;
}

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/*
 * Like a shell waiting for a foreground job: the terminal's SIGINT and
 * SIGQUIT reach the command through its process group, so they are
 * ignored here; SIGTERM and SIGHUP sent to sbpipe-run are passed on.
 */
static void setup_signals(int in_child)
{
	struct sigaction sa = { .sa_handler = forward_signal };

	if (in_child) {
		sa.sa_handler = SIG_DFL;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		return;
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

static int run_command(char **argv)
{
	int status;
	pid_t pid;

	child_pid = fork();
	if (child_pid < 0) {
		perror("sbpipe-run: fork");
		return EXIT_RUN_FAILED;
	}
	if (!child_pid) {
		setup_signals(1);
		execvp(argv[0], argv);
		fprintf(stderr, "sbpipe-run: %s: %s\n", argv[0],
			strerror(errno));
		_exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
	}

	setup_signals(0);
	do {
		pid = waitpid(child_pid, &status, 0);
	} while (pid < 0 && errno == EINTR);
	if (pid < 0) {
		perror("sbpipe-run: waitpid");
		return EXIT_RUN_FAILED;
	}

	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct run_options opts = { };
	char fdstr[16];
	int sandbox, first, status;

	first = parse_options(argc, argv, &opts);
	if (first < 0)
		return EXIT_RUN_FAILED;

	sandbox = sbpipe_open_sandbox(0);
	if (sandbox < 0) {
		fprintf(stderr, "sbpipe-run: cannot open a sandbox: %s\n",
			errno == ENODEV ? "sbpipe is not available (no /dev/sbpipe)" :
			strerror(errno));
		return EXIT_RUN_FAILED;
	}
	sandbox = move_sandbox_fd(sandbox);

	if (apply_limits(sandbox, &opts)) {
		perror("sbpipe-run: cannot set the sandbox limits");
		return EXIT_RUN_FAILED;
	}

	snprintf(fdstr, sizeof(fdstr), "%d", sandbox);
	if (setenv("SBPIPE_FD", fdstr, 1) || set_preload()) {
		perror("sbpipe-run: cannot find libsbpipe-preload.so");
		return EXIT_RUN_FAILED;
	}

	status = run_command(argv + first);

	if (opts.stats_path && print_stats(sandbox, opts.stats_path))
		perror("sbpipe-run: cannot report the statistics");
	if (opts.kill_on_exit && sbpipe_shutdown_sandbox(sandbox))
		perror("sbpipe-run: cannot shut the sandbox down");
	return status;
}
