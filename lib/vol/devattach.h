// SPDX-License-Identifier: GPL-2.0-or-later
/* One partition of the work image attached as a block device through the
 * platform (loop / lofi), with its detach on the undo stack for as long as
 * it is attached. Used by the mount backend's mkfs and files steps. */
#pragma once

#include <stdint.h>

#include "core/error.h"
#include "recipe/recipe.h"
#include "core/undo.h"

struct ib_devattach;

struct ib_devattach_req {
	const char *image;
	unsigned number;       /* partition number in the table */
	enum ib_table table;
	uint64_t offset, size; /* bytes */
	uint32_t sector_size;
	struct ib_undo *undo;  /* may be NULL */
};

/* Attach; NULL with err (nothing attached) on failure. */
struct ib_devattach *ib_devattach_open(const struct ib_devattach_req *req, struct ib_error *err);
/* The block device node of the partition. */
const char *ib_devattach_dev(const struct ib_devattach *d);
/* Detach and free. While a signal is pending (outside the undo run) the
 * detach is left to the undo stack, which then owns d, and -1 is returned
 * with the interruption in err. NULL is fine. */
int ib_devattach_close(struct ib_devattach *d, struct ib_error *err);
