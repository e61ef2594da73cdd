// SPDX-License-Identifier: GPL-2.0-or-later
/* Sizes as recipes write them ("8GiB", "260MiB", "512", "rest") and the
 * alignment arithmetic the planner needs. */
#pragma once

#include <stdint.h>

/* Parse a size: a decimal integer and an optional unit B, KiB, MiB, GiB, TiB
 * (powers of two) or KB, MB, GB, TB (powers of ten); a bare number is bytes.
 * Returns 0, or -1 with *why set to a static explanation. "rest" is not
 * accepted here (the recipe parser handles it). Overflow is an error. */
int ib_size_parse(const char *s, uint64_t *out, const char **why);

/* Format bytes the way a human reads them ("260 MiB", "8 GiB", "1.5 GiB").
 * Writes at most n bytes into buf and returns buf. */
char *ib_size_format(uint64_t bytes, char *buf, unsigned n);

/* Round up/down to a multiple of align (align > 0). ib_align_up saturates at
 * UINT64_MAX - align + 1 rather than wrapping. */
uint64_t ib_align_up(uint64_t v, uint64_t align);
uint64_t ib_align_down(uint64_t v, uint64_t align);
static inline int ib_is_pow2(uint64_t v) { return v && !(v & (v - 1)); }
