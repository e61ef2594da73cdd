// SPDX-License-Identifier: GPL-2.0-or-later
/* `windows: { install: }` checked while planning, before anything is
 * written (docs/windows-install.md): the media opens and holds the image
 * the recipe names, the image is a Windows that boots through UEFI on an
 * architecture it has boot files for, its files fit the partition with the
 * margin below, its boot files fit the ESP, the drivers have models for it,
 * and the answer file is an unattend file. */
#pragma once

#include "plan.h"

struct ib_wim;
struct ib_wim_image;

struct ib_install_plan {
	char *media;                     /* host path */
	struct ib_wim *wim;              /* open for the build */
	const struct ib_wim_image *image;
	const char *efi_name;            /* "bootx64.efi" */
	uint16_t machine;                /* PE machine of the boot files */
	struct ib_plan_part *esp;
	uint64_t need_bytes;             /* what the Windows partition must hold, margin included */
	uint64_t boot_bytes;             /* what the ESP receives */
	uint64_t boot_entries;           /* its files and folders */
};

/* The smallest free space left on the Windows partition after the image's
 * files and NTFS's own (docs/windows-install.md, "Sizes"). */
#define IB_INSTALL_MARGIN_MIN (32ull << 20)
#define IB_INSTALL_MARGIN_PERCENT 10

/* 0, or -1 with diags at the recipe's nodes. Sets pp->install. */
int ib_plan_install(struct ib_plan *p, struct ib_plan_part *pp, struct ib_diags *d);
void ib_plan_install_free(struct ib_install_plan *ip);
