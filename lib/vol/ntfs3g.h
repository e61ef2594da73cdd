// SPDX-License-Identifier: GPL-2.0-or-later
/* What the libntfs-3g volume code (ntfs3g.c) offers besides its volume ops
 * (ib_vol_ntfs3g_ops in vol.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* change_only (after an image is applied: its files keep the image's
 * times): only the MFT change time, which NTFS sets to the current time on
 * every change and no API sets, is set to the epoch.
 *
 * NTFS: after mkntfs -T every time in the new volume's metadata is 1970;
 * set all of them to epoch through libntfs-3g: the four times of every in-use
 * MFT record (standard information, file names, the parents' index entries)
 * and the change times of the $Quota entries. */
int ib_repro_ntfs_restamp(const char *image, uint64_t offset, uint64_t size, uint32_t sector_size,
			  int64_t epoch, bool change_only, struct ib_error *err);
