// SPDX-License-Identifier: GPL-2.0-or-later
/* The seam between portable code and the operating system: attach an image
 * as block devices (one per partition), mount ntfs-3g on a directory, and
 * verify the FUSE driver before any mount.
 *
 * Both platforms are compiled everywhere; the host's is the default and
 * IMGBUILD_PLATFORM=linux|illumos picks one at run time. Every file the
 * checks (and all of the illumos code) read is looked up under
 * IMGBUILD_SYSROOT (default "/"), and every program comes from PATH, so the
 * tests can run the illumos code on Linux with stand-ins (tests/sim/illumos)
 * and fabricate broken systems. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "ptable/table.h"
#include "core/util.h"

enum ib_platform_kind { IB_PLATFORM_LINUX = 0, IB_PLATFORM_ILLUMOS };

/* The platform in force: IMGBUILD_PLATFORM (linux|illumos), or the one set
 * with ib_platform_select, else the host's. */
enum ib_platform_kind ib_platform(void);
const char *ib_platform_name(enum ib_platform_kind k);
/* Override the choice (the hidden --platform flag); -1 and err (exit code 2)
 * for an unknown name. */
int ib_platform_select(const char *name, struct ib_error *err);
/* IMGBUILD_SYSROOT without a trailing slash ("" for "/"). */
const char *ib_sysroot(void);
/* abs (an absolute path) under the sysroot; malloc'd. */
char *ib_sysroot_path(const char *abs);

/* ---- attach / detach ------------------------------------------------------ */

/* One region of the image to expose as a block device: a partition, given
 * by the caller from the plan or from the partition table. */
struct ib_attach_region {
	unsigned number;         /* partition number (1-based, as in the table) */
	uint64_t offset, size;   /* bytes */
};

struct ib_attach_req {
	const char *image;
	bool read_only;
	uint32_t sector_size;    /* 512 (0 means 512) or 4096 */
	enum ib_table table;     /* illumos names GPT partitions sN-1, MBR ones pN */
	const struct ib_attach_region *regions;
	size_t nregions;
	bool whole_disk;         /* also give a device for the whole image */
};

struct ib_attached_part {
	unsigned number;
	char *dev;               /* block device node, e.g. /dev/loop7 or /dev/dsk/c2t0d0s1 */
	int loop_index;          /* Linux: N of /dev/loopN; -1 on illumos */
	int fd;                  /* Linux: the loop device held open (autoclear); -1 */
};

struct ib_attachment {
	enum ib_platform_kind kind;
	char *image;
	bool read_only;
	char *disk;              /* whole-image device if asked (Linux) / lofi p0 node (illumos) */
	struct ib_attached_part whole; /* Linux whole-image loop when whole_disk; dev NULL otherwise */
	struct ib_attached_part *parts;
	size_t nparts;
};

/* Attach: on success *a holds a device per region (in the request's order);
 * on failure nothing stays attached. Linux: one offset loop device with a
 * size limit per region (partition scanning is unreliable), autoclear, the
 * image path marked in lo_file_name. illumos: `lofiadm [-r] -l -a IMAGE`. */
int ib_platform_attach(const struct ib_attach_req *req, struct ib_attachment *a, struct ib_error *err);
/* Detach every device of a, retrying with backoff while busy; frees a's
 * contents. Returns -1 (exit code 3) if a device stayed busy. */
int ib_platform_detach(struct ib_attachment *a, struct ib_error *err);
/* The device of partition number, or NULL. */
const char *ib_attachment_dev(const struct ib_attachment *a, unsigned number);

/* ---- mount ------------------------------------------------------------------ */

/* `ntfs-3g [-o ro] DEV DIR`. */
int ib_platform_mount_ntfs(const char *dev, const char *dir, bool read_only, struct ib_error *err);
/* `umount DIR` (Linux without root: `fusermount3 -u DIR`), retried while busy. */
int ib_platform_unmount(const char *dir, struct ib_error *err);

/* ---- devices this tool attached ----------------------------------------- */

struct ib_attached_dev {
	char *dev;     /* /dev/loop7, or lofiadm's first column */
	char *file;    /* backing file */
	long pid;      /* the build that made it (from its work dir name), 0 if unknown */
	bool alive;    /* that process still runs */
	bool read_only;
};
struct ib_attached_list {
	IB_VEC(struct ib_attached_dev) list;
};

/* Devices whose backing file lies in an imgbuild work dir
 * (".imgbuild-<name>.<pid>.work/") or is marked in lo_file_name. */
int ib_platform_list(struct ib_attached_list *out, struct ib_error *err);
void ib_attached_list_free(struct ib_attached_list *l);
/* Detach the devices of builds that are gone, one line each to report
 * ("released loop7, left by build 12345 (dead)") when report is not NULL.
 * Returns the number released, or -1 with err. */
int ib_platform_release_stale(FILE *report, struct ib_error *err);

/* The pid in an imgbuild work dir name inside path, or 0. */
long ib_work_dir_pid(const char *path);

/* ---- checks ----------------------------------------------------------------- */

enum ib_check_status { IB_CHECK_OK = 0, IB_CHECK_WARN, IB_CHECK_FAIL };

struct ib_check {
	char *group;   /* "tools", "loop", "fuse", "space" */
	char *name;    /* "/dev/fuse", "mkntfs", ... */
	enum ib_check_status status;
	char *found;   /* what was found */
	char *remedy;  /* what to do about a warning or failure; may be NULL */
};
struct ib_checks {
	IB_VEC(struct ib_check) list;
};

void ib_checks_add(struct ib_checks *c, const char *group, const char *name, enum ib_check_status st,
		   const char *remedy, const char *fmt, ...) IB_PRINTF(6, 7);
size_t ib_checks_count(const struct ib_checks *c, enum ib_check_status st);
const char *ib_check_status_name(enum ib_check_status st);
/* The failures as one message: "name: found; remedy" lines joined by "\n". */
char *ib_checks_failures(const struct ib_checks *c);
void ib_checks_free(struct ib_checks *c);

/* The FUSE driver checks of the platform in force, appended to out (group
 * "fuse"). mountpoint, when given, must be an empty directory. */
void ib_platform_fuse_checks(const char *mountpoint, struct ib_checks *out);
/* Block device capability (group "loop"): /dev/loop-control and privileges,
 * or lofiadm. */
void ib_platform_loop_checks(struct ib_checks *out);
/* Run the FUSE checks before a mount: -1 with err (exit code 3) listing every
 * failure; warnings pass. */
int ib_platform_fuse_verify(const char *mountpoint, struct ib_error *err);
/* The canary: an 8 MiB NTFS image made with mkntfs, attached, mounted with
 * ntfs-3g, a file written and read back, unmounted and detached. 0, or -1
 * with the exact error of the step that failed. */
int ib_platform_canary(const char *tmpdir, struct ib_error *err);

/* The parsers behind the checks (portable, unit-tested) are declared beside
 * their definitions: platform/linux/fuse_check.h, platform/illumos/lofi.h,
 * platform/illumos/fuse_check.h. */
