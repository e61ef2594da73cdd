// SPDX-License-Identifier: GPL-2.0-or-later
/* `windows:` sections checked and turned into injector specs (plan_windows.c). */
#pragma once

#include "core/error.h"
#include "plan.h"

/* Check a partition's windows: section (every path relative to the
 * recipe's folder must exist: driver folders and ISOs, guest tools, the
 * service wrapper; INFs of plain driver folders must parse) and build
 * pp->win. 0, or -1 with diags. */
int ib_plan_windows(struct ib_plan *p, struct ib_plan_part *pp, struct ib_diags *d);
void ib_plan_windows_free(struct ib_win_spec *w);
