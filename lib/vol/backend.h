// SPDX-License-Identifier: GPL-2.0-or-later
/* The volume backends a build can use (--backend), parsed once into this
 * enum; everything after the command line compares enums, not strings. */
#pragma once

enum ib_backend {
	IB_BACKEND_LIB = 0, /* libntfs-3g at an offset and mtools: rootless (default) */
	IB_BACKEND_MOUNT,   /* loop/lofi device, ntfs-3g FUSE mount, POSIX I/O: root */
	IB_BACKEND_GUESTFS, /* libguestfs: in the CLI contract, not available yet */
};

/* "lib", "mount", "guestfs" -> the enum: 0, or -1 for another name. */
int ib_backend_parse(const char *name, enum ib_backend *out);
const char *ib_backend_name(enum ib_backend b);
