// SPDX-License-Identifier: GPL-2.0-or-later
/* The packages inspect reads before the disk inside them: an OVA (its
 * manifest's digests checked over every member), an OVF descriptor (its
 * .mf and disk beside it), a KubeVirt containerDisk (every blob's digest
 * checked, the disk found in the image's layer). Any mismatch, missing
 * member or unreadable descriptor is exit 2, named. */
#pragma once

#include "core/error.h"
#include "manifest.h"

/* The summary as the manifest's "package" object, and as text lines. */
void ib_mf_package_json(const struct ib_mf_package *p, struct ib_json *j);
void ib_mf_package_print(const struct ib_mf_package *p, FILE *f);

enum ib_pkg_kind { IB_PKG_NONE = 0, IB_PKG_OVA, IB_PKG_OVF, IB_PKG_CONTAINERDISK };

/* What path is, by its contents. */
enum ib_pkg_kind ib_package_kind(const char *path);
/* Verify the package at path; its disk is extracted into tmp_dir (an OVF's
 * disk is read where it is): *disk is its path (malloc'd), *out the
 * summary. 0, or -1. */
int ib_package_open(const char *path, enum ib_pkg_kind kind, const char *tmp_dir, struct ib_mf_package **out,
		    char **disk, struct ib_error *err);
