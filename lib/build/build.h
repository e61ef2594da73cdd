// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs a plan: work directory next to the outputs, undo stack, steps in
 * order, outputs written under temporary names and renamed at the end. */
#pragma once

#include <stdbool.h>

#include "core/error.h"
#include "plan/plan.h"
#include "core/progress.h"

struct ib_build_opts {
	const char *out_dir;
	const struct ib_progress *progress;
	/* The manifest of what was built (imgbuild inspect's, read from the work
	 * image after the last step): returned here when non-NULL (the caller
	 * frees it with ib_manifest_free), and written as
	 * <out_dir>/<name>.manifest.json with the outputs when write_manifest. */
	struct ib_manifest **manifest;
	bool write_manifest;
	/* Another build holds the output directory: wait for it (else fail). */
	bool wait;
};

/* 0 on success; -1 with err set. On failure nothing is left behind: no work
 * directory, no temporary file, and earlier outputs of the same name intact. */
int ib_build(struct ib_plan *plan, const struct ib_build_opts *opts, struct ib_error *err);
