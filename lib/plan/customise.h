// SPDX-License-Identifier: GPL-2.0-or-later
/* `base:` and `windows:` between the recipe and the build: opening the base
 * image and locating the partitions `use:` names (plan_base.c), the
 * `windows:` sections checked and turned into injector specs
 * (plan_windows.c), and the BASE and WINDOWS build steps
 * (build_customise.c). Used by plan.c, build.c and bin/. */
#pragma once

#include "core/error.h"
#include "plan.h"
#include "core/progress.h"
#include "core/undo.h"

/* Plan phase: `qemu-img info` for the base's format and virtual size (an
 * unreadable or missing base is an input error at `base:`); a raw base's
 * table is read and its partitions located now. 0, or -1 with diags. */
int ib_plan_base_open(struct ib_plan *p, struct ib_diags *d);
/* Read the table of raw (the base itself, or the converted work image) and
 * locate every partition entry: its number (use: N, or use: auto: the one
 * NTFS partition where the injector finds Windows), LBAs, offset, size and
 * filesystem. Errors (exit 2) point at the recipe node. scratch: a folder for
 * the probe's hive copies (NULL: TMPDIR). */
int ib_plan_base_locate(struct ib_plan *p, const char *raw, const char *scratch, struct ib_error *err);
/* qemu-img convert -q -f FMT -O raw BASE WORK_IMAGE (sparse). */
char **ib_plan_base_argv(const struct ib_plan *p);

/* Check a partition's windows: section (every path relative to the
 * recipe's folder must exist: driver folders and ISOs, guest tools, the
 * service wrapper; INFs of plain driver folders must parse) and build
 * pp->win. 0, or -1 with diags. */
int ib_plan_windows(struct ib_plan *p, struct ib_plan_part *pp, struct ib_diags *d);
void ib_plan_windows_free(struct ib_win_spec *w);

/* The BASE step: work dir, conversion, partitions located (a non-raw base),
 * step titles refreshed. */
int ib_build_base(struct ib_plan *p, struct ib_undo *undo, struct ib_error *err);
/* The WINDOWS step: ib_win_inject on the work image; the report goes to
 * progress as an IB_EV_WINDOWS event (also when the injection fails). */
int ib_build_windows(struct ib_plan *p, struct ib_plan_part *pp, const struct ib_progress *progress,
		     struct ib_error *err);
