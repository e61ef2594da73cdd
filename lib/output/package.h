// SPDX-License-Identifier: GPL-2.0-or-later
/* Packages for a hypervisor, made from the finished work image: an OVA (a
 * tar of the OVF descriptor, its manifest and a streamOptimized VMDK), the
 * same three files side by side (format: ovf), and a KubeVirt containerDisk
 * (an OCI image layout archive whose one layer holds disk/NAME.qcow2, owned
 * by 107:107). All of it reproducible: fixed times (the epoch), uid and gid
 * fixed, entries in a fixed order, the VMDK patched as vmdk outputs are. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "recipe/recipe.h"
#include "repro_output.h"
#include "targets.h"

struct ib_package_in {
	const struct ib_recipe *recipe;
	const char *src, *src_fmt; /* the work image: raw, or the qcow2 overlay on a base */
	const char *work_dir;      /* for the intermediate files */
	bool gpt;                  /* the disk's table (the firmware default) */
	const struct ib_guest_os *detected; /* NULL: unknown */
	struct ib_repro_output ro; /* ids, reproducible, epoch (final_name is set here) */
};

/* The VMDK's name inside a package: NAME-disk1.vmdk (malloc'd). */
char *ib_package_disk_name(const struct ib_recipe *r);

/* The OVA at out (a new file). */
int ib_package_ova(const struct ib_package_in *in, const char *out, struct ib_error *err);
/* The descriptor, the manifest and the disk at these three new paths. */
int ib_package_ovf(const struct ib_package_in *in, const char *ovf, const char *mf, const char *vmdk,
		   struct ib_error *err);
/* The containerDisk archive at out (a new file). */
int ib_package_containerdisk(const struct ib_package_in *in, const char *out, struct ib_error *err);
