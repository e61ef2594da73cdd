// SPDX-License-Identifier: GPL-2.0-or-later
/* What a package output (OVA, OVF, containerDisk) needs from the build:
 * the guest the image holds, for the OVF's OperatingSystemSection. */
#pragma once

#include "output/targets.h"
#include "plan/plan.h"

/* The Windows on the first partition of the work image that holds one
 * (read-only, while the work image can be read: before a base's overlay
 * server stops); NULL when there is none or it cannot be told. */
const struct ib_guest_os *ib_build_detect_guest(const struct ib_plan *p);
