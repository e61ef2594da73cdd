// SPDX-License-Identifier: GPL-2.0-or-later
/* A name that libntfs-3g's ntfs_mount(name) opens as a partition inside an
 * image, through the offset device (ntfs3g_device.h).
 *
 * Why: wimlib's NTFS-3G apply mode takes only a name and calls
 * ntfs_mount(name), which opens it with libntfs-3g's default device
 * operations (a file or block device from its first byte). Our partition is
 * a byte range of the image, and a loop device would need root. While a
 * route is set, the default operations (a writable table libntfs-3g exports,
 * shared with wimlib, which links the same library) dispatch that one name
 * to the offset device and everything else to the saved originals. One
 * route at a time; the build is single-threaded at that point (wimlib's
 * decompression threads do no device I/O). */
#pragma once

#include "core/error.h"

struct ib_vol_target;

/* Route name (not an existing path, so an unrouted open fails plainly) to
 * the partition at t. 0, or -1 when a route is already set. */
int ib_ntfs3g_route_begin(const char *name, const struct ib_vol_target *t, struct ib_error *err);
/* Restore the default operations (the routed device must be closed). */
void ib_ntfs3g_route_end(void);
