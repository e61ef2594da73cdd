// SPDX-License-Identifier: GPL-2.0-or-later
/* Assertions the unit tests share (cmocka must be included first). */
#pragma once

#include <string.h>

#include "core/error.h"

/* A macro, so that a failure names the caller's line. */
#define assert_contains(hay, needle)                                                        \
	do {                                                                                \
		const char *h_ = (hay), *n_ = (needle);                                     \
		if (!h_ || !strstr(h_, n_)) {                                               \
			print_error("expected \"%s\" in \"%s\"\n", n_, h_ ? h_ : "(null)"); \
			fail();                                                             \
		}                                                                           \
	} while (0)

/* Assert r >= 0, printing err's message when it is not. */
void ut_ok(int r, const struct ib_error *err);
