// SPDX-License-Identifier: GPL-2.0-or-later
/* The BASE and WINDOWS build steps (build_customise.c). */
#pragma once

#include "core/error.h"
#include "core/progress.h"
#include "core/undo.h"
#include "plan/plan.h"

struct ib_overlay;
/* The BASE step: work dir, the overlay served (*ov) or the conversion,
 * partitions located (a non-raw base), step titles refreshed. */
int ib_build_base(struct ib_plan *p, struct ib_undo *undo, struct ib_overlay **ov, struct ib_error *err);
/* The WINDOWS step: ib_win_inject on the work image; the report goes to
 * progress as an IB_EV_WINDOWS event (also when the injection fails). */
int ib_build_windows(struct ib_plan *p, struct ib_plan_part *pp, const struct ib_progress *progress,
		     struct ib_error *err);
