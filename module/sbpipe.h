/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbpipe: internal declarations shared by the module's files.
 */
#ifndef _SBPIPE_INTERNAL_H
#define _SBPIPE_INTERNAL_H

#endif /* _SBPIPE_INTERNAL_H */
