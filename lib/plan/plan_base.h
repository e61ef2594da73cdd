// SPDX-License-Identifier: GPL-2.0-or-later
/* `base:`: opening the base image and locating the partitions `use:` names
 * (plan_base.c). */
#pragma once

#include "core/error.h"
#include "plan.h"

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
/* The BASE step: `qemu-img create -f qcow2 -b BASE` of the work overlay
 * (p->base_overlay), else `qemu-img convert -q -f FMT -O raw BASE WORK_IMAGE`
 * (sparse). */
char **ib_plan_base_argv(const struct ib_plan *p);
/* The base as an overlay output names it: relative to the output folder
 * (both must exist; else the base's path as given). malloc'd. */
char *ib_plan_base_from_out(const struct ib_plan *p);
/* `qemu-img rebase -u` of an overlay output at tmp onto that name. */
char **ib_plan_rebase_argv(const struct ib_plan *p, const char *tmp);
