// SPDX-License-Identifier: GPL-2.0-or-later
/* The INSTALL and BOOT build steps (build_install.c). */
#pragma once

#include "core/error.h"
#include "core/progress.h"
#include "core/undo.h"
#include "plan/plan.h"
#include "vol/vol.h"

/* Where a step is, for the events it sends while it runs. */
struct ib_build_step_info {
	const struct ib_progress *progress;
	unsigned step, nsteps;
	const char *title;
};

/* Where a partition of the work image is, for the volume code. */
struct ib_vol_target ib_build_part_target(const struct ib_plan *p, const struct ib_plan_part *pp, struct ib_undo *undo);

/* INSTALL: apply pp->install's image onto pp's new NTFS and verify it;
 * progress events (bytes and files) while applying, an INFO line after. */
int ib_build_install(struct ib_plan *p, struct ib_plan_part *pp, struct ib_undo *undo,
		     const struct ib_build_step_info *si, struct ib_error *err);
/* BOOT: the boot manager, fonts, resources and the BCD store on the ESP,
 * as bcdboot puts them there for pp's Windows. */
int ib_build_boot(struct ib_plan *p, struct ib_plan_part *pp, struct ib_undo *undo, const struct ib_build_step_info *si,
		  struct ib_error *err);
