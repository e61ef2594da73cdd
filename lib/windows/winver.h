// SPDX-License-Identifier: GPL-2.0-or-later
/* Which Windows is on an offline volume: the current control set (SYSTEM
 * hive), version, build and variant (SOFTWARE hive), the virtio-win folder
 * name for that version, and the CPU architecture from the PE header of
 * System32\cmd.exe. Facts from windows-injection.md section 2. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "hive.h"

/* "ControlSet%03u" from SYSTEM\Select\Current; the key must exist. Input
 * error (exit 2) when Select\Current is missing, not a DWORD, 0, > 999 or
 * names a control set that is not in the hive. *out is malloc'd. */
int ib_winver_control_set(struct ib_hive *system, char **out, struct ib_error *err);

struct ib_winver {
	unsigned major, minor; /* 10.0, 6.3, 6.1, ... */
	unsigned build;        /* CurrentBuildNumber (or CurrentBuild); 0 if absent */
	bool server;           /* InstallationType contains "Server" (or EditionID/ProductName do) */
	char *product_name;    /* "Windows 10 Pro" (Windows 11 also says "Windows 10"); may be NULL */
	char *edition_id;      /* "Professional", "ServerStandard"; may be NULL */
	char *installation_type; /* "Client", "Server", "Server Core"; may be NULL */
	const char *virtio_dir;  /* "w10", "2k22", ... (static); NULL when virtio-win has none */
};
void ib_winver_free(struct ib_winver *v);

/* Read SOFTWARE\Microsoft\Windows NT\CurrentVersion. Prefers the DWORDs
 * CurrentMajorVersionNumber/CurrentMinorVersionNumber (Windows 10+, whose
 * CurrentVersion says "6.3" for compatibility) over CurrentVersion. Input
 * error (exit 2) when the key or a version is missing or malformed. */
int ib_winver_read(struct ib_hive *software, struct ib_winver *out, struct ib_error *err);

/* virtio-win's folder name for a version: w7, w8, w8.1, w10, w11 (client
 * build >= 22000), 2k8R2, 2k12, 2k12R2, 2k16, 2k19 (build >= 17763), 2k22
 * (>= 20348), 2k25 (>= 26100); older: xp, 2k3, 2k8 (Vista too). Servers
 * without a build number fall back to the year in product_name. NULL when
 * there is none. Match it against ISO paths case-insensitively. */
const char *ib_winver_virtio_dir(unsigned major, unsigned minor, unsigned build, bool server,
				 const char *product_name);

enum ib_win_arch { IB_WIN_ARCH_X86, IB_WIN_ARCH_AMD64, IB_WIN_ARCH_ARM64 };
/* "x86", "amd64", "arm64": the DriverDatabase/DriverStore spelling. */
const char *ib_win_arch_name(enum ib_win_arch a);
/* virtio-win's folder: "x86", "amd64", "ARM64". */
const char *ib_win_arch_virtio_dir(enum ib_win_arch a);

/* The COFF Machine field of a PE image: 'MZ' at 0, e_lfanew at 0x3c,
 * "PE\0\0" there, Machine right after (0x14c x86, 0x8664 amd64, 0xaa64
 * arm64). what names the file in messages; errors are input errors (exit 2)
 * with the byte offset: "cmd.exe at byte 0x3c: e_lfanew 0x... is past the end". */
int ib_winver_pe_arch(const uint8_t *buf, size_t len, const char *what, enum ib_win_arch *arch,
		      struct ib_error *err);
/* Same on a file, reading only the two headers. */
int ib_winver_pe_arch_file(const char *path, const char *what, enum ib_win_arch *arch, struct ib_error *err);
