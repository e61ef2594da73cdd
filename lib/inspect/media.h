// SPDX-License-Identifier: GPL-2.0-or-later
/* Windows install media (issue 13, first part): a WIM or ESD file, or an
 * ISO 9660 image holding sources/install.wim or install.esd, read with
 * wimlib and libarchive. `imgbuild inspect` lists its images, so a recipe
 * can name the index or edition to apply. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/json.h"
#include "core/util.h"

#include "windows/wim.h"

/* Whether path is install media (a WIM/ESD by its magic, or an ISO 9660). */
static inline bool ib_media_is(const char *path) { return ib_wim_is_media(path); }
void ib_media_print(const struct ib_wim *m, FILE *f);
void ib_media_json(const struct ib_wim *m, struct ib_json *j);
