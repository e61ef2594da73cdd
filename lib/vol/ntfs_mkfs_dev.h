// SPDX-License-Identifier: GPL-2.0-or-later
/* mkntfs for the mount backend, on the partition attached as a device. */
#pragma once

#include "core/error.h"
#include "fs/fs.h"
#include "ptable/table.h"

/* The mount backend's way, as users do it by hand: attach partition number
 * (of table) through the platform, mkntfs on that device with the same
 * arguments (start, geometry, cluster size, label), the volume serial
 * written through the device, detach. The device is on a->undo while
 * attached. The epoch restamp of reproducible mode is the handler's
 * (lib/fstype/ntfs.c), as for the lib way. */
int ib_ntfs_mkfs_dev(const struct ib_mkfs_args *a, unsigned number, enum ib_table table, struct ib_error *err);
