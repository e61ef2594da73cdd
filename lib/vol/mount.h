// SPDX-License-Identifier: GPL-2.0-or-later
/* What the mount backend needs besides its volume ops: the early privilege
 * check, and the cleanup of what dead builds left (mounts, devices, work
 * dirs, temporary outputs). */
#pragma once

#include <stdbool.h>

#include "core/error.h"
#include "core/progress.h"

/* --backend mount attaches devices and mounts: that needs root. -1 with err
 * (exit code 3) naming the remedy otherwise. */
int ib_mount_backend_ready(struct ib_error *err);

/* Release what builds that are gone (their pid in the work dir name is not
 * running) left behind: ntfs-3g mounts inside their work dirs, their
 * attached devices (ib_platform_release_stale), and, in out_dir, their work
 * dirs and temporary outputs. One IB_EV_INFO event per thing released (or
 * that could not be). Returns how many things were released; failures to
 * release are reported, not fatal. */
int ib_mount_release_stale(const char *out_dir, const struct ib_progress *progress);

/* Mounts in the system's mount table that lie in the work dir of a build
 * that is gone (any output directory): for `check` to list and the release
 * above to unmount. */
struct ib_stale_mount {
	char *dir;      /* the mount point */
	char *work_dir; /* the dead build's work dir holding it */
	long pid;
};
size_t ib_mount_stale_mounts(struct ib_stale_mount **out);
void ib_stale_mounts_free(struct ib_stale_mount *m, size_t n);

/* path is a mount point: a directory on another device than its parent, or
 * a FUSE mount whose daemon is gone (ENOTCONN). */
bool ib_is_mountpoint(const char *path);

/* The pid in a temporary name ".imgbuild-<name>.<pid>.<ext>" (a work dir
 * has ext "work"), 0 if name is not one; *ext points into name. */
long ib_tmp_name_pid(const char *name, const char **ext);
