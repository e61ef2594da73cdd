// SPDX-License-Identifier: GPL-2.0-or-later
/* Driver sources and driver packages for the injector.
 *
 * drivers.c turns each `drivers:` entry into driver folders on the host: a
 * folder holding .inf files as it is; a virtio-win tree (<Driver>/<os>/<arch>)
 * or a virtio-win ISO (read with libarchive, no mount; the chosen folders are
 * extracted into the work directory) by picking the detected Windows's os and
 * arch folders, case-insensitively ("2k12R2", "ARM64"), for the selected
 * drivers. drvpkg.c parses every INF of those folders for the detected
 * Windows and produces the files to write and the registry edits. Nothing
 * here writes to the volume. */
#pragma once

#include <stdbool.h>

#include "core/error.h"
#include "core/util.h"
#include "detect.h"
#include "inf.h"
#include "inject.h"
#include "regedit.h"

/* A host folder holding one driver's .inf/.sys/.cat. */
struct ib_win_drvdir {
	char *dir;    /* host path */
	char *name;   /* staging folder name ("viostor"), unique */
	char *source; /* what the user gave, for messages and the report */
	const struct ib_win_driver_spec *spec;
	bool from_tree; /* a virtio-win tree or ISO: `select` picked the folder itself */
};

struct ib_win_drvdirs {
	IB_VEC(struct ib_win_drvdir) list;
};
void ib_win_drvdirs_free(struct ib_win_drvdirs *l);

/* Resolve every driver source of spec. Input errors (exit 2): a missing
 * path, a folder with neither .inf files nor a virtio-win layout, a selected
 * driver that does not exist or has no folder for the detected Windows and
 * architecture (the message lists what exists), an unreadable ISO. */
/* The same choice for the virtio-win trees and ISOs of spec, read-only
 * (an ISO's listing only): for a Windows known before it is on a volume
 * (an image to install). Only d->ver, d->virtio_os and d->virtio_arch are
 * read. */
int ib_win_drivers_check(const struct ib_win_spec *spec, const struct ib_win_detect *d, struct ib_error *err);
int ib_win_drivers_sources(const struct ib_win_spec *spec, const struct ib_win_detect *d, const char *work_dir,
			   struct ib_win_drvdirs *out, struct ib_error *err);

/* A file to put on the volume. */
struct ib_win_file {
	char *src; /* host path */
	char *dst; /* volume path ("/Windows/System32/drivers/viostor.sys"); parents are made as needed */
	bool generated; /* made by imgbuild (scripts), not copied from the user */
};

struct ib_win_files {
	IB_VEC(struct ib_win_file) list;
};
/* Add (copied); a later file for the same destination (any case) replaces
 * the earlier one. */
void ib_win_files_add(struct ib_win_files *l, const char *src, const char *dst, bool generated);
void ib_win_files_free(struct ib_win_files *l);

/* One INF that will be installed at first boot with pnputil. */
struct ib_win_pnp_inf {
	char *name;    /* "viostor" */
	char *inf_win; /* "%SystemRoot%\Drivers\imgbuild\viostor\viostor.inf" */
	/* A boot-critical driver bound offline through the placeholder driver
	 * package (DriverDatabase, Windows 8 and later): pnputil must turn it
	 * into a real driver-store package at first boot, after which these
	 * commands remove the placeholder's keys (stale placeholder entries
	 * break `pnputil /enum-drivers` and feature upgrades). */
	bool boot_placeholder;
	IB_VEC(char *) cleanup; /* reg.exe command lines */
};

struct ib_win_pkgs {
	IB_VEC(struct ib_win_pnp_inf) pnp;
	IB_VEC(char *) stage_dirs; /* Windows paths added to DevicePath */
};
void ib_win_pkgs_free(struct ib_win_pkgs *p);

/* Parse every INF in dirs for the detected Windows and collect: the files
 * (staged package, and each file where the INF sends it), the registry
 * edits (boot-critical services with Start=0, StartOverride removed, the
 * CriticalDeviceDatabase or DriverDatabase binding for every hardware id of
 * the chosen models; DevicePath), the INFs for first-boot pnputil, and the
 * report's driver entries. Input errors (exit 2) for INF problems, an INF
 * for another architecture or Windows, a file the INF copies that the folder
 * lacks, a missing catalog. */
int ib_win_drivers_plan(const struct ib_win_drvdirs *dirs, const struct ib_win_detect *d, struct ib_win_files *files,
			struct ib_reg_edits *edits, struct ib_win_pkgs *pkgs, struct ib_win_report *rep,
			struct ib_error *err);

/* Host helpers shared by the injector parts. */
/* dir/name with name matched case-insensitively (exact case first); NULL if absent. */
char *ib_win_host_child(const char *dir, const char *name);
/* dir/rel, each '/'- or '\\'-separated component matched as above. */
char *ib_win_host_path(const char *dir, const char *rel);
/* "%SystemRoot%\X\y" (or %SystemDrive%, %ProgramFiles%, %CommonProgramFiles%)
 * to a volume path under root ("/Windows/X/y"); NULL for other forms. */
char *ib_win_volume_path(const char *root, const char *win);
