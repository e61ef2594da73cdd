// SPDX-License-Identifier: GPL-2.0-or-later
/* What platform.c dispatches to: one implementation per platform. */
#pragma once

#include "platform.h"
#include "core/spawn.h"

/* Linux (platform/linux/). */
int ib_linux_attach(const struct ib_attach_req *req, struct ib_attachment *a, struct ib_error *err);
int ib_linux_detach(struct ib_attachment *a, struct ib_error *err);
int ib_linux_list(struct ib_attached_list *out, struct ib_error *err);
/* Detach one loop device by index (stale devices). */
int ib_linux_detach_index(int index, struct ib_error *err);
int ib_linux_unmount(const char *dir, struct ib_error *err);
void ib_linux_fuse_checks(const char *mountpoint, struct ib_checks *out);
void ib_linux_loop_checks(struct ib_checks *out);

/* illumos (platform/illumos/). */
int ib_illumos_attach(const struct ib_attach_req *req, struct ib_attachment *a, struct ib_error *err);
int ib_illumos_detach(struct ib_attachment *a, struct ib_error *err);
int ib_illumos_list(struct ib_attached_list *out, struct ib_error *err);
/* `lofiadm -d DEV` with retries while busy. */
int ib_illumos_lofi_unmap(const char *dev, struct ib_error *err);
int ib_illumos_unmount(const char *dir, struct ib_error *err);
void ib_illumos_fuse_checks(const char *mountpoint, struct ib_checks *out);
void ib_illumos_loop_checks(struct ib_checks *out);
/* Remedies for missing programs in illumos terms (packages.c). */
extern const struct ib_pkg_system ib_illumos_pkg_system;

/* Shared helpers (platform/platform.c). */
void ib_sleep_ms(long ms);
/* Read a file whole, at most about max bytes, NUL-terminated; its length in
 * *len when len is not NULL. NULL with errno set. */
char *ib_read_text(const char *path, size_t max, size_t *len);
/* The mount point check both platforms do. */
void ib_mountpoint_check(const char *mountpoint, struct ib_checks *out);
/* Free the contents of an attachment (not the devices). */
void ib_attachment_clear(struct ib_attachment *a);
/* Run argv; while it fails saying "busy", run it again with backoff for up
 * to timeout_ms (platform/unmount_retry.c). */
int ib_spawn_retry_busy(const char *const *argv, long timeout_ms, struct ib_error *err);
