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

struct ib_media_image {
	unsigned index;
	char *name, *edition, *arch; /* owned; may be NULL */
	unsigned major, minor, build;
	uint64_t bytes; /* expanded size */
};

struct ib_media {
	char *path;        /* as given */
	char *wim;         /* the WIM inside an ISO ("sources/install.wim"), or NULL */
	char *compression; /* "LZX", "XPRESS", "LZMS", "NONE" */
	IB_VEC(struct ib_media_image) images;
};

/* Whether path is install media (a WIM/ESD by its magic, or an ISO 9660). */
bool ib_media_is(const char *path);
/* Read the image list; an ISO's WIM is extracted to a temporary in TMPDIR
 * first. Corrupt media, an ISO without install.wim/esd, or a UDF-only ISO
 * (Windows' own: libarchive reads ISO 9660) are exit 2, said plainly. */
int ib_media_read(const char *path, struct ib_media **out, struct ib_error *err);
void ib_media_free(struct ib_media *m);
void ib_media_print(const struct ib_media *m, FILE *f);
void ib_media_json(const struct ib_media *m, struct ib_json *j);
