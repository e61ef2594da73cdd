// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared by the hive tests: the fixture hive (used in place, never copied
 * into the repository) and the independent reader hivexget (libhivex-bin)
 * run through ib_spawn. Includes the other support headers they use. */
#pragma once

#include <stdbool.h>

#include "check.h"
#include "core/spawn.h"
#include "core/util.h"
#include "tmpdir.h"

/* $IMGBUILD_SHARED/fixtures/hives/minimal, by default under
 * $IMGBUILD_SRCDIR/../shared. NULL (after printing SKIP) when missing. */
const char *ut_hive_fixture_minimal(void);

/* Whether hivexget is installed; else prints SKIP and returns false. */
bool ut_have_hivexget(void);

/* stdout of `hivexget HIVE KEY` (every value of KEY, one `"name"=...` line
 * each), or NULL when hivexget fails (e.g. the key does not exist). */
char *ut_hivexget_key(const char *hive, const char *key);

/* Whether text has a line exactly equal to line. */
bool ut_has_line(const char *text, const char *line);

/* Assert that hivexget shows KEY with the value line `line`; prints the
 * whole output on failure. */
#define assert_hivexget(hive, key, line)                                                                  \
	do {                                                                                              \
		char *out_ = ut_hivexget_key((hive), (key));                                              \
		if (!out_ || !ut_has_line(out_, (line)))                                                  \
			print_error("hivexget %s '%s' printed:\n%s\nwanted the line: %s\n", (hive), (key),  \
				    out_ ? out_ : "(failed)", (line));                                     \
		assert_true(out_ && ut_has_line(out_, (line)));                                           \
		free(out_);                                                                               \
	} while (0)
