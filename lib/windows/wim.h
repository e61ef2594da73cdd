// SPDX-License-Identifier: GPL-2.0-or-later
/* Windows install media read with wimlib (libwim): a WIM or ESD (solid
 * LZMS), a split WIM (NAME.swm and its parts NAME2.swm ... beside it), or an
 * ISO 9660 image holding sources/install.wim|esd (libarchive; copied to a
 * temporary in TMPDIR, unlinked once wimlib holds it open).
 * `imgbuild inspect` lists the images; `windows: { install: }` picks one,
 * checks it before the first write and applies it onto the partition with
 * wimlib's NTFS-3G mode through the offset device (docs/windows-install.md). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/util.h"

/* PROCESSOR_ARCHITECTURE_* as the WIM's XML gives it (WINDOWS/ARCH). */
enum ib_wim_arch { IB_WIM_X86 = 0, IB_WIM_ARM = 5, IB_WIM_AMD64 = 9, IB_WIM_ARM64 = 12, IB_WIM_ARCH_UNKNOWN = -1 };

struct ib_wim_image {
	unsigned index;
	char *name, *edition, *arch; /* owned; may be NULL */
	char *locale;                /* the default language ("en-US"); may be NULL */
	int arch_id;                 /* enum ib_wim_arch */
	unsigned major, minor, build;
	uint64_t bytes;   /* expanded size (TOTALBYTES) */
	uint64_t files, dirs;
	unsigned product_type; /* 1 workstation (WinNT), 2 domain controller (LanmanNT), 3 server (ServerNT), 0 unknown */
};

struct ib_wim {
	char *path;        /* as given */
	char *shown;       /* for messages: path, or "path (sources/install.wim)" */
	char *member;      /* the WIM inside an ISO, or NULL */
	char *compression; /* "LZX", "XPRESS", "LZMS", "None" */
	unsigned parts;    /* split WIM: its parts */
	IB_VEC(struct ib_wim_image) images;
	/* private */
	int tmp_fd;        /* an ISO's WIM (unlinked once open); -1 */
	char *open_path;   /* what wimlib opens */
	void *wim;         /* WIMStruct */
};

/* Whether path looks like install media (a WIM/ESD/SWM by its magic, or an
 * ISO 9660 image). */
bool ib_wim_is_media(const char *path);
/* Open media and read its image list. Corrupt media (wimlib's words), an
 * ISO without install.wim/esd, a UDF-only ISO (Windows' own) are exit 2;
 * imgbuild built without wimlib is exit 3. */
int ib_wim_open(const char *path, struct ib_wim **out, struct ib_error *err);
void ib_wim_close(struct ib_wim *w);
/* The image `want` names: its number, or its name or edition
 * (case-insensitive); NULL: the only image. Else exit 2 listing them. */
int ib_wim_pick(const struct ib_wim *w, const char *want, const struct ib_wim_image **out, struct ib_error *err);
/* A file in image index: 1 and its size (and whether it is a directory),
 * 0 when it is not there, -1 on a read error. path uses '/' or '\\'. */
int ib_wim_stat(struct ib_wim *w, unsigned index, const char *path, uint64_t *size, bool *is_dir,
		struct ib_error *err);
/* The PE machine (0x8664 ...) of the file at path in image index, read
 * from a copy wimlib extracts into a temporary folder in TMPDIR (removed
 * before it returns); 0 when the file is no PE image. */
int ib_wim_pe_machine_of(struct ib_wim *w, unsigned index, const char *path, uint16_t *machine, struct ib_error *err);
/* The bytes of the files under dir (recursively) in image index, and how
 * many files and directories there are. */
int ib_wim_tree_bytes(struct ib_wim *w, unsigned index, const char *dir, uint64_t *bytes, uint64_t *entries,
		      struct ib_error *err);
/* The boot file name a UEFI firmware looks for on this architecture
 * ("bootx64.efi"), or NULL for one Windows does not boot through UEFI. */
const char *ib_wim_efi_boot_name(int arch_id);
/* The PE machine of that architecture (0x8664 ...), or 0. */
uint16_t ib_wim_pe_machine(int arch_id);
/* The COFF machine field of a host file's PE header; 0 when it is no PE. */
uint16_t ib_pe_machine_file(const char *path);
/* "amd64", "arm64", "x86", "arm", or words for another value. */
const char *ib_pe_machine_name(uint16_t machine);

struct ib_vol_target;
struct ib_wim_progress {
	void (*fn)(void *ctx, const char *phase, uint64_t done_bytes, uint64_t total_bytes, uint64_t done_files,
		   uint64_t total_files);
	void *ctx;
};
/* Apply image index onto the NTFS volume at t (made by mkntfs, empty) in
 * wimlib's NTFS-3G mode: security descriptors, reparse points, named
 * streams, short names, hard links and times as the image has them. */
int ib_wim_apply_ntfs(struct ib_wim *w, unsigned index, const struct ib_vol_target *t,
		      const struct ib_wim_progress *progress, struct ib_error *err);

struct ib_wim_verified {
	uint64_t files, dirs, streams, bytes, links, reparse, short_names;
};
/* After the apply: every file and directory of the image is on the volume
 * at t with its type, each data stream (named ones too) with its size and
 * SHA-1 (the image's), reparse points with their tag, short names as the
 * image has them, hard links as one file. A difference is exit 1, naming
 * the path. */
int ib_wim_verify_ntfs(struct ib_wim *w, unsigned index, const struct ib_vol_target *t, struct ib_wim_verified *out,
		       struct ib_error *err);
