// SPDX-License-Identifier: GPL-2.0
/*
 * Built by scripts/check-install against the installed header and
 * library, found through pkg-config: a pipe from libsbpipe carries a
 * message.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sbpipe.h>

int main(void)
{
	static const char msg[] = "sbpipe via pkg-config";
	char buf[sizeof(msg)];
	int fds[2];

	if (sbpipe_pipe2(fds, O_CLOEXEC)) {
		perror("sbpipe_pipe2");
		return 1;
	}
	if (write(fds[1], msg, sizeof(msg)) != sizeof(msg) ||
	    read(fds[0], buf, sizeof(buf)) != sizeof(buf) ||
	    memcmp(buf, msg, sizeof(msg))) {
		fprintf(stderr, "the message did not come through\n");
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}
