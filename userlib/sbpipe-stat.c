// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sbpipe-stat: list the sbpipe sandboxes of the machine with their
 * figures, the way ss(8) lists sockets.
 *
 * A sandbox is an open file of /dev/sbpipe. Every /proc/PID/fd/FD whose
 * link is /dev/sbpipe is one, and /proc/PID/fdinfo/FD carries the figures
 * the module shows for it as "name:\tvalue" lines. Fds of one sandbox
 * (dup'ed or inherited) are merged by the sandbox id when the module
 * shows one. Names this tool does not know are kept and shown with -v.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_FIELDS	48
#define MAX_HOLDERS	8

struct field {
	char name[32];
	char value[64];
};

struct sandbox {
	char id[32];			/* the module's id, or "PID:FD" */
	int holders[MAX_HOLDERS];	/* pids holding an fd of it */
	int nr_holders;
	int more_holders;		/* holders past MAX_HOLDERS */
	char comm[32];			/* the first holder's command */
	struct field fields[MAX_FIELDS];
	int nr_fields;
};

/* The columns shown, each with the fdinfo names the module may use. */
static const struct column {
	const char *title;
	const char *names[3];
} columns[] = {
	{ "PIPES",	{ "pipes" } },
	{ "CREATED",	{ "pipes_created" } },
	{ "RESERVED",	{ "bytes_reserved" } },
	{ "QUEUED",	{ "bytes_queued" } },
	{ "WRITTEN",	{ "bytes_written" } },
	{ "READ",	{ "bytes_read" } },
	{ "MAXPIPES",	{ "max_pipes" } },
	{ "MAXSIZE",	{ "max_size" } },
	{ "MAXBYTES",	{ "max_bytes" } },
	{ "WAITS",	{ "waits" } },
	{ "LIMITHITS",	{ "limit_hits" } },
	{ "FLAGS",	{ "sandbox_flags" } },
};

/*
 * The line naming the sandbox. The module prints it first, after the
 * lines every fdinfo has (pos, flags, mnt_id, ino), which are dropped.
 */
static const char *const id_names[] = { "sbpipe_sandbox" };

static struct sandbox *sandboxes;
static size_t nr_sandboxes;

static const char *field_value(const struct sandbox *sb, const char *name)
{
	int i;

	for (i = 0; i < sb->nr_fields; i++)
		if (!strcmp(sb->fields[i].name, name))
			return sb->fields[i].value;
	return NULL;
}

static int is_id_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(id_names); i++)
		if (!strcmp(name, id_names[i]))
			return 1;
	return 0;
}

static void copy_string(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);

	memmove(dst, src, len);
	dst[len] = '\0';
}

static int read_fdinfo(const char *pid, const char *fd, struct sandbox *sb)
{
	char path[PATH_MAX], line[256], *colon, *value, *end;
	struct field *f;
	FILE *file;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	file = fopen(path, "re");
	if (!file)
		return -1;

	while (fgets(line, sizeof(line), file) && sb->nr_fields < MAX_FIELDS) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		value = colon + 1;
		while (isspace((unsigned char)*value))
			value++;
		end = value + strlen(value);
		while (end > value && isspace((unsigned char)end[-1]))
			*--end = '\0';

		if (is_id_name(line))
			sb->nr_fields = 0;
		f = &sb->fields[sb->nr_fields++];
		copy_string(f->name, sizeof(f->name), line);
		copy_string(f->value, sizeof(f->value), value);
	}
	fclose(file);
	return 0;
}

static void read_comm(const char *pid, char *comm, size_t size)
{
	char path[PATH_MAX];
	FILE *file;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	file = fopen(path, "re");
	if (!file || !fgets(comm, size, file))
		snprintf(comm, size, "?");
	if (file)
		fclose(file);
	comm[strcspn(comm, "\n")] = '\0';
}

static struct sandbox *find_sandbox(const char *id)
{
	size_t i;

	for (i = 0; i < nr_sandboxes; i++)
		if (!strcmp(sandboxes[i].id, id))
			return &sandboxes[i];
	return NULL;
}

static void add_holder(struct sandbox *sb, int pid)
{
	int i;

	for (i = 0; i < sb->nr_holders; i++)
		if (sb->holders[i] == pid)
			return;
	if (sb->nr_holders < MAX_HOLDERS)
		sb->holders[sb->nr_holders++] = pid;
	else
		sb->more_holders = 1;
}

static int add_fd(const char *pid, const char *fd)
{
	struct sandbox sb = { }, *known, *grown;
	const char *id = NULL;
	size_t i;

	if (read_fdinfo(pid, fd, &sb))
		return 0;	/* the fd or the process went away */

	for (i = 0; i < ARRAY_SIZE(id_names) && !id; i++)
		id = field_value(&sb, id_names[i]);
	if (id)
		copy_string(sb.id, sizeof(sb.id), id);
	else
		snprintf(sb.id, sizeof(sb.id), "%.12s:%.12s", pid, fd);

	known = find_sandbox(sb.id);
	if (known) {
		add_holder(known, atoi(pid));
		return 0;
	}

	grown = realloc(sandboxes, (nr_sandboxes + 1) * sizeof(*sandboxes));
	if (!grown)
		return -1;
	sandboxes = grown;
	read_comm(pid, sb.comm, sizeof(sb.comm));
	add_holder(&sb, atoi(pid));
	sandboxes[nr_sandboxes++] = sb;
	return 0;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int scan_process(const char *pid)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	ssize_t len;
	DIR *dir;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;	/* gone, or not ours to look at */

	while ((de = readdir(dir)) && !ret) {
		if (!is_number(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid,
			 de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		if (!strcmp(link, "/dev/sbpipe"))
			ret = add_fd(pid, de->d_name);
	}
	closedir(dir);
	return ret;
}

static void print_holders(const struct sandbox *sb)
{
	char buf[128];
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < sb->nr_holders && used < sizeof(buf); i++)
		used += snprintf(buf + used, sizeof(buf) - used, "%s%d",
				 i ? "," : "", sb->holders[i]);
	printf(" %-16s %-15s", buf, sb->comm);
	if (sb->more_holders)
		printf("...");
}

static void print_table(int verbose)
{
	const char *value;
	size_t i, c, n;
	int k;

	printf("%-8s %-16s %-15s", "SANDBOX", "PIDS", "COMMAND");
	for (c = 0; c < ARRAY_SIZE(columns); c++)
		printf(" %10s", columns[c].title);
	printf("\n");

	for (i = 0; i < nr_sandboxes; i++) {
		const struct sandbox *sb = &sandboxes[i];

		printf("%-8s", sb->id);
		print_holders(sb);
		for (c = 0; c < ARRAY_SIZE(columns); c++) {
			value = NULL;
			for (n = 0; n < 3 && columns[c].names[n] && !value; n++)
				value = field_value(sb, columns[c].names[n]);
			printf(" %10s", value ?: "-");
		}
		printf("\n");

		if (!verbose)
			continue;
		for (k = 0; k < sb->nr_fields; k++)
			printf("\t%s: %s\n", sb->fields[k].name,
			       sb->fields[k].value);
	}
}

static void print_help(FILE *out)
{
	fprintf(out,
		"Usage: sbpipe-stat [-v]\n"
		"List the sbpipe sandboxes of the machine and their figures.\n"
		"\n"
		"  -v, --verbose   also print every line the module shows\n"
		"  -h, --help      show this help\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose",	no_argument, NULL, 'v' },
		{ "help",	no_argument, NULL, 'h' },
		{ }
	};
	struct dirent *de;
	int verbose = 0, c;
	DIR *proc;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = 1;
			break;
		case 'h':
			print_help(stdout);
			return 0;
		default:
			print_help(stderr);
			return 2;
		}
	}

	proc = opendir("/proc");
	if (!proc) {
		perror("sbpipe-stat: /proc");
		return 1;
	}
	while ((de = readdir(proc)))
		if (is_number(de->d_name) && scan_process(de->d_name)) {
			perror("sbpipe-stat");
			return 1;
		}
	closedir(proc);

	print_table(verbose);
	return 0;
}
