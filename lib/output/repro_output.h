// SPDX-License-Identifier: GPL-2.0-or-later
/* The patches that make qemu-img's outputs reproducible, applied after each
 * conversion. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "plan/ids.h"
#include "recipe/recipe.h"

/* What an output's patch needs. */
struct ib_repro_output {
	const struct ib_ids *ids; /* the plan's: derived in reproducible mode, random otherwise */
	bool reproducible;
	int64_t epoch;
	const char *final_name; /* the output's final file name (basename), for the VMDK descriptor */
};

/* Patch a freshly converted output in place (path is its temporary name):
 *  vmdk: the descriptor's extent file name becomes final_name (always: qemu
 *        writes the temporary name there); reproducible: CID from the seed.
 *  vhdx (reproducible): FileWriteGuid, DataWriteGuid and the sequence
 *        numbers in both headers, the page 83 data (virtual disk id), the
 *        inactive log zeroed.
 *  vpc (reproducible): UUID and time stamp in the footer (both copies).
 * Other formats are left alone. Every patch re-checks the structure it
 * edits and fails (exit 1) rather than write into something unexpected. */
int ib_repro_patch_output(enum ib_out_format format, const char *path, const struct ib_repro_output *ro,
			  struct ib_error *err);
