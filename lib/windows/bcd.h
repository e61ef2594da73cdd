// SPDX-License-Identifier: GPL-2.0-or-later
/* The BCD store of an installed Windows, made offline with hivex as
 * `bcdboot C:\Windows /s S: /f UEFI` makes it: from the image's
 * Windows\System32\config\BCD-Template, a {bootmgr} on the ESP, one Windows
 * Boot Loader and its resume object on the Windows partition, and
 * {memdiag}. Partitions are named by their GPT GUIDs and the disk's GUID.
 * Element by element, with where each value comes from:
 * docs/windows-install.md. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/guid.h"

struct ib_bcd_params {
	const char *template_path; /* host copy of the image's BCD-Template */
	const char *out_path;      /* the new store (host) */
	struct ib_guid disk_guid;  /* the GPT disk */
	struct ib_guid esp_guid;   /* the ESP's unique partition GUID */
	struct ib_guid win_guid;   /* the Windows partition's */
	struct ib_guid loader_id;  /* the Windows Boot Loader object (from the seed) */
	struct ib_guid resume_id;  /* its resume object (from the seed) */
	const char *locale;        /* "en-US" */
	const char *description;   /* "Windows 10" */
	const char *loader_path;   /* "\\Windows\\system32\\winload.efi" */
	const char *resume_path;   /* "\\Windows\\system32\\winresume.efi" */
	const char *bootmgr_path;  /* "\\EFI\\Microsoft\\Boot\\bootmgfw.efi" */
	const char *memtest_path;  /* "\\EFI\\Microsoft\\Boot\\memtest.efi", or NULL (no {memdiag}) */
	unsigned timeout;          /* seconds */
	bool legacy;               /* Windows 7: without the Windows 8+ elements (isolatedcontext,
	                            * allowedinmemorysettings, bootmenupolicy, resume's bootmenupolicy
	                            * and debugoptionenabled) */
};

/* Make the store (out_path, replaced). A template that is no hive, or has
 * no Objects key, is exit 2 naming it. */
int ib_bcd_make(const struct ib_bcd_params *bp, struct ib_error *err);
/* Read the store back and check every element written (exit 1 naming the
 * object and element on a difference). *checked: how many. */
int ib_bcd_verify(const struct ib_bcd_params *bp, unsigned *checked, struct ib_error *err);
/* The device element value of a GPT partition (for tests): len bytes. */
size_t ib_bcd_gpt_device(uint8_t *buf, size_t n, const struct ib_guid *disk, const struct ib_guid *part);
