// SPDX-License-Identifier: GPL-2.0-or-later
/* An overlay output (`backing: base`) names its base by a path relative to
 * its own folder; beside it, <output>.base.sha256 records the base's SHA-256
 * in sha256sum's format ("<hex>  <path>", so `sha256sum -c` checks it from
 * that folder), and `imgbuild inspect` checks it before it reads the image:
 * a missing or changed base is exit 2, named. */
#pragma once

#include "core/error.h"

/* to (a path) relative to the directory from_dir; both are resolved first
 * (they must exist). malloc'd, or NULL with err. */
char *ib_path_relative(const char *from_dir, const char *to, struct ib_error *err);
/* "<image>.base.sha256" (malloc'd). */
char *ib_base_record_path(const char *image);
/* The record's text for base seen from out_dir; *rel: the relative path
 * the overlay is to name. */
char *ib_base_record_text(const char *base, const char *out_dir, char **rel, struct ib_error *err);
/* The record beside image, if any, against the base it names: 1 when it
 * matches, 0 when image has no record, -1 (exit 2) when the base is
 * missing, unreadable or changed, or the record is malformed. */
int ib_base_record_check(const char *image, struct ib_error *err);
