// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest tools a recipe can name instead of writing command lines
 * (`guest_tools: [ qemu-ga ]`): where each installer is on its ISO, the
 * arguments for an unattended install, and the check that a file is the
 * installer it claims to be (an MSI is an OLE compound file; an EXE a PE
 * image), made before anything is written. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "winver.h"

enum ib_win_installer { IB_WIN_INSTALLER_MSI, IB_WIN_INSTALLER_EXE };

struct ib_win_named_tool {
	const char *name;                /* "qemu-ga", "spice", "vmware-tools" */
	const char *iso_member[3];       /* by enum ib_win_arch: path on its ISO, NULL: none */
	const char *iso_args;            /* arguments when taken from the ISO */
	const char *file_args;           /* arguments for an installer given as a file */
	enum ib_win_installer kind;
	const char *iso_name;            /* "the virtio-win ISO" */
	bool from_driver_iso;            /* without src: the virtio-win ISO listed under drivers: */
	const char *note;                /* for the report */
};

/* The tool of that name, or NULL. */
const struct ib_win_named_tool *ib_win_named_tool(const char *name);
/* "qemu-ga, spice, vmware-tools". */
const char *ib_win_named_tool_names(void);

/* buf (the first bytes of a file) is an installer of that kind: an MSI
 * starts with the OLE compound-file signature D0 CF 11 E0 A1 B1 1A E1, an
 * EXE with 'MZ' and a PE header at e_lfanew. Input error (exit 2) naming
 * what and the byte offset otherwise. */
int ib_win_installer_check(const char *what, const uint8_t *buf, size_t n, enum ib_win_installer kind,
			   struct ib_error *err);
/* The same on a file (its first 4 KiB). */
int ib_win_installer_check_file(const char *path, enum ib_win_installer kind, struct ib_error *err);

/* Read the first bytes of member (matched without regard to case) of an ISO
 * image into buf: 1 found, 0 absent, -1 error (a damaged ISO: exit 2). */
int ib_win_iso_head(const char *iso, const char *member, uint8_t *buf, size_t cap, size_t *got,
		    struct ib_error *err);
/* Extract member of iso to dst (a new file). 0, or -1. */
int ib_win_iso_extract_file(const char *iso, const char *member, const char *dst, struct ib_error *err);
