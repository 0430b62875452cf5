/* SPDX-License-Identifier: GPL-2.0 */
/* Stands in for the kernel header in the userspace build of ring.c. */
#include "../ring_shim.h"
