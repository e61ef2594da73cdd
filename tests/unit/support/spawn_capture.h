// SPDX-License-Identifier: GPL-2.0-or-later
/* Running peer tools (sgdisk, sfdisk, hivexget, losetup, ...) from the unit
 * tests through ib_spawn, and the SKIP convention when one is missing. */
#pragma once

#include <stdbool.h>

/* stdout of argv, which must succeed (asserted; caller frees). */
char *ut_spawn_capture(const char *const *argv);

/* stdout of argv (caller frees), or NULL when it fails. */
char *ut_spawn_capture_or_null(const char *const *argv);

/* Run argv with its output untouched; 0, or -1 after printing why. */
int ut_spawn_quiet(const char *const *argv);

/* Whether every program in the NULL-terminated progs is on PATH; else prints
 * "SKIP: <prog> is not installed; <not_run>" (without "; <not_run>" when it
 * is NULL) and returns false. */
bool ut_have_tools(const char *const *progs, const char *not_run);
bool ut_have_tool(const char *prog, const char *not_run);
