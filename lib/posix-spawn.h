// SPDX-License-Identifier: GPL-2.0-or-later
/* The system <spawn.h>. lib/spawn.h shadows it because the Makefile puts -Ilib
 * on the include path; include this header as <posix-spawn.h> so it is found
 * through -Ilib too, and #include_next continues past lib/ to the system's. */
#pragma once

#include_next <spawn.h>
