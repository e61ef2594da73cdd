// SPDX-License-Identifier: GPL-2.0-or-later
/* The offline Windows injector: drivers, guest tools, first-boot commands
 * and registry values put into the Windows on an NTFS volume inside an
 * image (the recipe's `windows:` section; docs/recipe.md, "windows").
 *
 * Order (so bad input leaves the volume unchanged, byte for byte):
 *  1. read-only: find Windows, read its hives, detect version and arch and
 *     whether Setup/OOBE will run; resolve every driver source, parse every
 *     INF, find every file; build the registry edits and apply them to host
 *     copies of the hives, verified; write the first-boot scripts on the host;
 *  2. read-write: directories, then files, then each hive last (written under
 *     a temporary name beside it, then renamed over it);
 *  3. read-only again: every file re-hashed and every hive re-verified.
 * Errors: exit 2 for input (no Windows, corrupt hive with its byte offset,
 * INF problems, missing files, unsupported arch), 1 for a failed write or a
 * verification mismatch, 3 for the environment. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/error.h"
#include "core/util.h"
#include "hive.h"
#include "regedit.h"
#include "winver.h"

/* One `drivers:` entry. path: a folder holding .inf + .sys + .cat, a
 * virtio-win tree (<Driver>/<os>/<arch>/...), or a virtio-win ISO. */
struct ib_win_driver_spec {
	const char *path;
	const char *const *select; /* driver names (virtio-win folder or INF name), case-insensitive; NULL = all */
	size_t n_select;
	bool boot_critical;        /* force the boot-start treatment (else: SCSIAdapter/HDC class) */
	bool select_if_present;    /* select names what to take where it is there (a target's list) */
	struct ib_loc loc;         /* for messages; file may be NULL */
};

/* One `guest_tools:` entry: a host file (.exe, .msi, .cmd/.bat) run once at first boot. */
struct ib_win_tool_spec {
	const char *src;  /* the installer; NULL when it comes from iso */
	const char *args; /* may be NULL */
	struct ib_loc loc;
	/* A named tool taken from an ISO (lib/windows/guesttools.h): the member
	 * for the detected architecture is extracted at build time. */
	const char *iso;
	const char *const *iso_member; /* by enum ib_win_arch */
	int kind;                      /* enum ib_win_installer */
	const char *name;              /* the named tool, or NULL */
};

/* One `registry:` entry. */
struct ib_win_reg_spec {
	const char *hive;  /* "SYSTEM", "SOFTWARE" ("HKLM\\" prefix accepted) */
	const char *key;   /* '\\'-separated; "CurrentControlSet\\..." maps to the current control set */
	const char *name;  /* value name, "" = default value; NULL with del: delete the key */
	enum ib_reg_type type;
	const char *data;  /* SZ/EXPAND_SZ text, DWORD/QWORD number (0x.. allowed), BINARY hex bytes */
	const char *const *multi; /* MULTI_SZ elements */
	size_t n_multi;
	bool del;          /* delete the value (or the key, when name is NULL) */
	struct ib_loc loc;
};

/* How first-boot actions run. */
enum ib_win_fb_mech {
	IB_WIN_FB_AUTO,          /* SetupComplete.cmd if Setup/OOBE will run, else the service if a
	                          * wrapper is given, else an error (drivers alone: DevicePath, warning) */
	IB_WIN_FB_SETUPCOMPLETE, /* %WINDIR%\Setup\Scripts\SetupComplete.cmd */
	IB_WIN_FB_SERVICE,       /* an auto-start service through a srvany-style wrapper binary */
	IB_WIN_FB_RUNONCE,       /* HKLM RunOnce: needs an interactive logon (warned) */
};

struct ib_win_spec {
	const char *base_dir; /* relative host paths are resolved against it; NULL = cwd */
	const struct ib_win_driver_spec *drivers;
	size_t n_drivers;
	const struct ib_win_tool_spec *guest_tools;
	size_t n_guest_tools;
	const char *const *first_boot; /* cmd.exe command lines, run once each in order */
	size_t n_first_boot;
	const struct ib_win_reg_spec *registry;
	size_t n_registry;
	enum ib_win_fb_mech first_boot_mechanism;
	const char *service_wrapper;   /* host path of rhsrvany.exe/srvany.exe-style binary */
	unsigned max_attempts;         /* per first-boot step; 0 = 3 */
	bool diagnose;                 /* CrashControl\AutoReboot=0 (a 0x7B stays on screen) */
	const char *target_note;       /* what target: added, and why (for the report); may be NULL */
	const char *unattend;          /* host path of an answer file for %SystemRoot%\Panther\unattend.xml
	                                * (checked by lib/windows/unattend.h while planning); may be NULL */
	const char *unattend_passes;   /* its configuration passes ("specialize, oobeSystem"), for the plan */
	const struct timespec *mtime;  /* times of files written; NULL = now */
	const char *work_dir;          /* host scratch space; NULL = $TMPDIR or /tmp */
};

/* Where the injector puts things (Windows paths below the volume root). */
#define IB_WIN_STAGE_DIR "Drivers\\imgbuild"        /* under %SystemRoot%: staged packages */
#define IB_WIN_FB_DIR "Setup\\imgbuild"              /* under %SystemRoot%: first-boot runner */
#define IB_WIN_FB_SERVICE_NAME "imgbuild-firstboot"

/* ---- the report ---- */

struct ib_win_service_report {
	char *name;
	uint32_t start; /* as written (boot drivers: 0) or as the INF says (installed at first boot) */
	bool written;   /* Services\<name> written offline */
};

struct ib_win_driver_report {
	char *name;       /* package: INF name without .inf */
	char *inf;        /* Windows path of the staged INF */
	char *source;     /* host path it came from */
	char *class_name; /* [Version] Class */
	char *provider, *version;
	bool boot;        /* boot-critical: services and PnP binding written offline */
	char *boot_reason;
	IB_VEC(struct ib_win_service_report) services;
	IB_VEC(char *) hwids; /* bound offline (boot) or matched by the chosen models (others) */
};

struct ib_win_file_report {
	char *path;    /* volume path, as stored */
	char *source;  /* host path, or "(generated)" */
	uint64_t size;
	char sha256[65];
};

struct ib_win_report {
	/* Windows */
	char *root;        /* "/Windows" */
	char *product;     /* ProductName */
	unsigned major, minor, build;
	bool server;
	char *edition, *installation_type;
	const char *arch;  /* "amd64" */
	const char *virtio_os; /* "w10"; NULL if virtio-win has none */
	char *control_set; /* "ControlSet001" */
	const char *pnp;   /* "DriverDatabase" or "CriticalDeviceDatabase" */
	char *ddb_hive;    /* hive holding DriverDatabase (Windows 8+) */
	bool setup_pending;
	char *setup_reason; /* why Setup/OOBE is or is not expected */
	const char *mechanism; /* "setupcomplete", "service", "runonce", "none" */
	IB_VEC(struct ib_win_driver_report) drivers;
	IB_VEC(struct ib_win_file_report) files;
	IB_VEC(char *) first_boot; /* one line per step: "0100-pnputil-netkvm: pnputil ... netkvm.inf" */
	struct ib_reg_changes changes;
	IB_VEC(char *) warnings;
	char *target; /* what the recipe's target: added, and why; NULL if nothing */
	bool verified;
};
void ib_win_report_free(struct ib_win_report *r);
/* Human-readable summary, several lines. */
char *ib_win_report_text(const struct ib_win_report *r);
/* One JSON object (one line, no newline). */
char *ib_win_report_json(const struct ib_win_report *r);

/* The partition holding Windows inside a raw image. */
struct ib_win_target {
	const char *image;
	uint64_t offset, size;
	uint32_t sector_size;
};

/* Inject spec into the Windows on the NTFS volume t. report is filled as
 * far as the run got (free it either way). */
int ib_win_inject(const struct ib_win_target *t, const struct ib_win_spec *spec, struct ib_win_report *report,
		  struct ib_error *err);

