// SPDX-License-Identifier: GPL-2.0-or-later
/* Image outputs through qemu-img convert. */
#pragma once

#include "core/error.h"
#include "recipe/recipe.h"

/* argv of `qemu-img convert` from the raw work image to dst in the output's
 * format and options; malloc'd, NULL-terminated (free with ib_argv_free). */
char **ib_convert_argv(const struct ib_output_spec *o, const char *raw, const char *dst);
int ib_convert(const struct ib_output_spec *o, const char *raw, const char *dst, struct ib_error *err);
