/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsbpipe: declarations shared by the library, its preload and its
 * tools, never installed.
 */
#ifndef _SBPIPE_INTERNAL_H
#define _SBPIPE_INTERNAL_H

/* The library is built with -fvisibility=hidden; this marks its API. */
#define SBPIPE_EXPORT	__attribute__((visibility("default")))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

const char *__sbpipe_device_path(void);
int __sbpipe_is_sandbox(int fd);

#endif /* _SBPIPE_INTERNAL_H */
