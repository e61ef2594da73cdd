// SPDX-License-Identifier: GPL-2.0-or-later
/* The Linux FUSE checks' parsers (portable, unit-tested). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /proc/filesystems holds fs (exact name in its second column). */
bool ib_procfs_has(const char *text, const char *fs);
/* The kernel release of a vermagic string ("6.1.0-18-amd64 SMP preempt
 * mod_unload modversions"): its first word, malloc'd. */
char *ib_vermagic_release(const char *vermagic);
/* vermagic's release equals the running kernel's. */
bool ib_vermagic_matches(const char *vermagic, const char *release);
/* The value of vermagic= in a module's .modinfo strings (the file's bytes), or
 * NULL. */
char *ib_modinfo_vermagic(const uint8_t *data, size_t len);
