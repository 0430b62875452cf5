// SPDX-License-Identifier: GPL-2.0
/*
 * The sbpipe device: it exists, opens, and refuses what it does not know.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sbpipe.h>

#include "kselftest_harness.h"

FIXTURE(device) {
	int fd;		/* an open of /dev/sbpipe: one sandbox */
};

FIXTURE_SETUP(device)
{
	self->fd = open("/dev/sbpipe", O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && (errno == ENOENT || errno == ENODEV))
		SKIP(return, "/dev/sbpipe is missing: sbpipe.ko not loaded");
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(device)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(device, is_a_character_device_anyone_may_open)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666U, st.st_mode & 0777U);
}

TEST_F(device, unknown_ioctl_fails_with_enotty)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(SBPIPE_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR('x', 1, int), NULL));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(device, each_open_is_a_separate_file)
{
	int fd2 = open("/dev/sbpipe", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd2);
	EXPECT_NE(self->fd, fd2);
	EXPECT_EQ(0, close(fd2));
}

TEST_HARNESS_MAIN
