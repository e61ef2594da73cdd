// SPDX-License-Identifier: GPL-2.0-or-later
/* First-boot actions: pnputil installs of the staged driver packages, guest
 * tools, and the recipe's commands, run by a generated cmd.exe runner
 * (CRLF, logging to %SystemRoot%\Setup\imgbuild\log.txt). Each action is a
 * step script run until it succeeds, at most max_attempts times in all
 * (attempts are counted in marker files), then given up; the runner never
 * reboots, so a failing optional driver cannot cause a reboot loop.
 *
 * Mechanisms (windows-injection.md section 4): SetupComplete.cmd when Setup
 * or OOBE will run (generalized images); an auto-start service through a
 * user-supplied srvany-style wrapper for installed images; RunOnce only when
 * asked for, with a warning (it needs an interactive logon). */
#pragma once

#include "core/error.h"
#include "vol/ntfs3g_files.h"
#include "detect.h"
#include "drivers.h"
#include "inject.h"
#include "regedit.h"

/* Write the runner, step scripts and SetupComplete.cmd (merged with an
 * existing one, read from f) under work_dir; add them, the guest tools and
 * the wrapper to files and the service/RunOnce values to edits; fill the
 * report's mechanism, first_boot and warnings. Input errors (exit 2): a
 * missing tool or wrapper, the service mechanism without a wrapper, and
 * auto with first-boot work on an installed image and no wrapper. */
int ib_win_firstboot_plan(const struct ib_win_spec *spec, const struct ib_win_detect *d, const struct ib_win_pkgs *pkgs,
			  struct ib_ntfs_files *f, const char *work_dir, struct ib_win_files *files,
			  struct ib_reg_edits *edits, struct ib_win_report *rep, struct ib_error *err);

/* The srvany rule: both values present and PWD shorter (in UTF-16 units)
 * than CommandLine. Input error (exit 2) otherwise. */
int ib_win_srvany_check(const char *command_line, const char *pwd, struct ib_error *err);
