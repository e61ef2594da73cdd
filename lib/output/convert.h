// SPDX-License-Identifier: GPL-2.0-or-later
/* Image outputs through qemu-img convert. */
#pragma once

#include "core/error.h"
#include "recipe/recipe.h"

/* argv of `qemu-img convert` from the raw work image to dst in the output's
 * format and options; malloc'd, NULL-terminated (free with ib_argv_free). */
/* src is the work image: raw, or with a base the qcow2 overlay on it
 * (src_fmt "qcow2"; qemu-img then reads the base's data through it, so the
 * output costs one pass over what the base holds). */
char **ib_convert_argv(const struct ib_output_spec *o, const char *src, const char *src_fmt, const char *dst);
int ib_convert(const struct ib_output_spec *o, const char *src, const char *src_fmt, const char *dst,
	       struct ib_error *err);
/* The same with qemu-img's progress (-p): percent(ctx, 0..100) as it goes,
 * once per whole percent. */
int ib_convert_progress(const struct ib_output_spec *o, const char *src, const char *src_fmt, const char *dst,
			void (*percent)(void *ctx, double pct), void *ctx, struct ib_error *err);
