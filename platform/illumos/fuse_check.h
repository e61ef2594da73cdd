// SPDX-License-Identifier: GPL-2.0-or-later
/* The illumos FUSE checks' parsers (portable, unit-tested). */
#pragma once

#include <stdbool.h>

/* `modinfo` output lists a module named name (column "Module Name"). */
bool ib_modinfo_lists(const char *text, const char *name);
