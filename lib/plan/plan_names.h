// SPDX-License-Identifier: GPL-2.0-or-later
/* The name rules of a partition's filesystem (lib/fs/names.h) applied to
 * everything its `files:` entries put there, while planning. */
#pragma once

#include "core/error.h"
#include "fs/names.h"
#include "plan.h"

/* Every destination path of pp's scanned trees is checked against r, and
 * every pair of entries in one directory that Windows would see as one name
 * (equal under ib_names_fold, spelled differently, or a file and a directory
 * of the same name) is refused. Each problem is added to d, located at the
 * `files:` item (its dst: when the bad name is in dst, else its src:).
 * 0, or -1 when anything was added. */
int ib_plan_check_names(const struct ib_name_rules *r, const struct ib_plan_part *pp, struct ib_diags *d);

/* The rules for a filesystem type, or NULL for none. */
const struct ib_name_rules *ib_plan_name_rules(enum ib_fs_type fs);
