// SPDX-License-Identifier: GPL-2.0-or-later
/* Reproducible mode: whether it is on, its epoch, and the patches applied
 * after the fact where an external tool cannot be told to be deterministic.
 *
 * It is on when SOURCE_DATE_EPOCH is set (non-empty) or the recipe has
 * `reproducible: { epoch, seed }`. SOURCE_DATE_EPOCH overrides the recipe's
 * epoch (reproducible-builds.org: tools honour it); the seed is the recipe's,
 * or empty when only SOURCE_DATE_EPOCH is set (identifiers then derive from
 * the recipe name alone, see ids.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "ids.h"
#include "recipe/recipe.h"

/* Seconds from 1970-01-01 to 2000-01-01 (the VHD footer's epoch). */
#define IB_VHD_EPOCH INT64_C(946684800)

/* Whether reproducible mode is on for r in this environment. */
bool ib_repro_active(const struct ib_recipe *r);

/* Resolve the mode and epoch: *on false and *epoch -1 when off. A malformed
 * SOURCE_DATE_EPOCH (anything but decimal digits, or beyond 2^63 - 1) is an
 * input error (exit 2). */
int ib_repro_epoch(const struct ib_recipe *r, bool *on, int64_t *epoch, struct ib_error *err);

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as VHDX uses for
 * its headers and log: pass crc 0 to start; the result is final. */
uint32_t ib_crc32c(uint32_t crc, const void *buf, size_t len);


