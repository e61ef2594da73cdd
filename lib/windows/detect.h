// SPDX-License-Identifier: GPL-2.0-or-later
/* Find the Windows on an NTFS volume and describe it: the system root (the
 * first of \Windows, \WINNT, \win32, \win, \reactos, any case, that has
 * System32, System32\config and System32\cmd.exe), its hives (copied to the
 * host and checked), the current control set, version and edition, CPU
 * architecture (PE header of cmd.exe), the virtio-win folder names, where the
 * DriverDatabase lives, and whether Setup/OOBE will run on the next boot. */
#pragma once

#include <stdbool.h>

#include "core/error.h"
#include "vol/ntfs3g_files.h"
#include "devpolicy.h"
#include "hive.h"
#include "winver.h"

enum ib_win_hive_id { IB_WIN_HIVE_SYSTEM, IB_WIN_HIVE_SOFTWARE, IB_WIN_HIVE_DRIVERS, IB_WIN_NHIVES };

struct ib_win_detect {
	char *root;                      /* "/Windows", as stored */
	char *hive_vol[IB_WIN_NHIVES];   /* volume paths as stored; DRIVERS may be NULL */
	char *hive_host[IB_WIN_NHIVES];  /* host copies in the work directory */
	char *control_set;               /* "ControlSet001" */
	struct ib_winver ver;
	enum ib_win_arch arch;
	const char *virtio_os;           /* "w10", ...; NULL when virtio-win has none */
	const char *virtio_arch;         /* "amd64", "x86", "ARM64" */
	bool ddb;                        /* Windows 8+: PnP binding through DriverDatabase */
	enum ib_win_hive_id ddb_hive;    /* the hive whose root has DriverDatabase (SYSTEM if none has) */
	char *system_root_win;           /* "C:\\Windows": SOFTWARE's SystemRoot, else C: + root */
	bool setup_pending;              /* Setup/OOBE will run: SetupComplete.cmd will run */
	struct ib_win_devpolicy devpolicy; /* Group Policy device-installation restrictions */
	char *setup_reason;
};
void ib_win_detect_free(struct ib_win_detect *d);

const char *ib_win_hive_name(enum ib_win_hive_id id);

/* The system root alone (the first candidate above that has System32,
 * System32\config and System32\cmd.exe): 1 found (*root malloc'd, as
 * stored), 0 no Windows on this volume, -1 an error reading it. For callers
 * that must tell "no Windows here" from a Windows that cannot be read
 * (imgbuild inspect). */
int ib_win_find_root(struct ib_ntfs_files *f, char **root, struct ib_error *err);

/* The system root \boot.ini's [boot loader] default= names, as a volume
 * path ("/WINXP" for default=multi(0)disk(0)rdisk(0)partition(1)\WINXP), or
 * NULL. The fallback when none of the usual folders holds Windows. */
char *ib_win_boot_ini_root(const char *text);

/* Detect on the open volume; hives and cmd.exe are copied into work_dir.
 * Input errors (exit 2): no Windows, a missing SYSTEM/SOFTWARE hive, a
 * corrupt hive ("SYSTEM hive at byte 0x...: ..."), an unsupported
 * architecture, unreadable version values. */
int ib_win_detect(struct ib_ntfs_files *f, const char *work_dir, struct ib_win_detect *out, struct ib_error *err);
