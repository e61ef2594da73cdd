// SPDX-License-Identifier: GPL-2.0-or-later
/* A base image customised at the cost of the change: a qcow2 overlay on the
 * base in the work directory, served rootless by qemu-nbd on a unix socket
 * while the build edits it (libntfs-3g through lib/core/blkio.h; FAT
 * partitions through a small raw copy), then stopped so the outputs can be
 * converted from it. The base is only ever read. */
#pragma once

#include "core/error.h"
#include "core/undo.h"
#include "plan/plan.h"
#include "vol/vol.h"

struct ib_overlay;

/* Create the overlay (the plan's BASE argv), start qemu-nbd on it, wait
 * until it serves, and point p->work_image at the export. The server is on
 * undo until ib_overlay_stop. */
int ib_overlay_start(struct ib_plan *p, struct ib_undo *undo, struct ib_overlay **out, struct ib_error *err);
/* Stop the server (it writes out everything it holds) before anything reads
 * the overlay file; p->work_image names the overlay file again. NULL is
 * fine. 0, or -1. */
int ib_overlay_stop(struct ib_plan *p, struct ib_overlay *ov, struct ib_undo *undo, struct ib_error *err);

/* Fill a partition of the export whose filesystem's tools need a file
 * (mtools): the partition is copied out to a raw temporary in the work
 * directory (holes where it reads as zeros), fill runs on t pointed at it,
 * and the chunks that changed are written back. */
int ib_overlay_via_copy(const struct ib_plan *p, struct ib_vol_target *t,
			int (*fill)(struct ib_vol_target *t, void *arg), void *arg, struct ib_error *err);
