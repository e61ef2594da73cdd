// SPDX-License-Identifier: GPL-2.0-or-later
/* Where the unit tests find the repository and the shared fixtures (the
 * ../shared tree, never copied into the repository), and the SKIP line when
 * a fixture is missing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The repository into buf: $IMGBUILD_SRCDIR when env_first and it is set,
 * else four levels above this binary (build/san/tests/test_x). 0 or -1. */
int ut_repo_dir(char *buf, size_t size, bool env_first);

/* buf = $IMGBUILD_SHARED/fixtures/<rel>, by default
 * ${IMGBUILD_SRCDIR:-.}/../shared/fixtures/<rel>. */
void ut_shared_path(char *buf, size_t size, const char *rel);

/* Whether path is readable; else prints "SKIP: <what> not found at <path>
 * (set IMGBUILD_SHARED or IMGBUILD_SRCDIR)" and returns false. */
bool ut_fixture_present(const char *path, const char *what);

/* ut_shared_path, then ut_fixture_present. */
bool ut_shared_fixture(char *buf, size_t size, const char *rel, const char *what);
