// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading an image into its manifest (read.c): the entry point of inspect,
 * diff and build --manifest. */
#pragma once

#include "core/error.h"
#include "manifest.h"

/* Read IMAGE (any format qemu-img reads; non-raw ones are converted to a
 * sparse raw temporary in TMPDIR that is removed on every path) without root
 * and without mounting anything. Errors in the image are input errors
 * (exit 2) naming the byte offset and what was wrong; a missing qemu-img is
 * exit 3. SIGINT/SIGTERM (with ib_signals_install) fail it as interrupted. */
int ib_manifest_read(const char *image, struct ib_manifest **out, struct ib_error *err);
