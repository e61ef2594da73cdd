// SPDX-License-Identifier: GPL-2.0-or-later
/* Image manifests: what `imgbuild inspect` reports about a disk image (its
 * format and size, the partition table, each partition's filesystem and
 * every file and directory with size, mtime and sha256) and what `imgbuild
 * diff` compares.
 *
 * The JSON form is stable: keys in a fixed order (every key is always
 * present, null where it does not apply), partitions by number, files sorted
 * bytewise by path. A time is written twice: "mtime" is ISO 8601 UTC with as
 * many fraction digits as it needs ("2020-09-13T12:26:40.1234567Z",
 * "1980-01-01T00:00:00Z"), "mtime_unix" the whole seconds (floor).
 * docs/inspect.md describes every key. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/guid.h"
#include "core/json.h"
#include "core/util.h"

#define IB_MANIFEST_VERSION 1

struct ib_mf_time {
	int64_t sec;   /* since 1970-01-01 UTC, floor */
	uint32_t nsec; /* 0..999999999 */
};

struct ib_mf_file {
	char *path; /* "/EFI/BOOT/BOOTX64.EFI", UTF-8; owned */
	bool dir;
	uint64_t size; /* 0 for directories */
	struct ib_mf_time mtime;
	bool has_sha256; /* files only */
	uint8_t sha256[32];
};

struct ib_mf_fs {
	char type[8];   /* "ntfs", "fat12", "fat16", "fat32" */
	char *label;    /* owned; NULL when the volume has none */
	char *serial;   /* owned: NTFS 16 hex digits, FAT "XXXX-XXXX" */
	uint32_t sector_size, cluster_size;
	uint32_t hidden_sectors;
	uint16_t heads, sectors_per_track;
};

/* The Windows installed on an NTFS volume (lib/windows/detect.h). When
 * detection fails for any reason other than "no Windows here" (a corrupt
 * hive, a cmd.exe of an unknown architecture) error says why and the other
 * fields hold what was found before it (NULL/0 otherwise): inspect still
 * lists the image. */
struct ib_mf_windows {
	char *root;              /* "/Windows", as stored; owned */
	unsigned major, minor;   /* 10.0; 0.0 unknown */
	unsigned build;          /* 0 unknown */
	char *edition;           /* EditionID, "Professional"; owned, may be NULL */
	char *installation_type; /* "Client", "Server", "Server Core"; owned, may be NULL */
	char *product_name;      /* "Windows 10 Pro"; owned, may be NULL */
	char *arch;              /* "x86", "amd64", "arm64" (cmd.exe's PE header); owned, may be NULL */
	char *control_set;       /* "ControlSet001"; owned, may be NULL */
	char *virtio_os;         /* virtio-win folder names: "w10", "2k22"; owned, may be NULL */
	char *virtio_arch;       /* "amd64", "x86", "ARM64"; owned, may be NULL */
	char *error;             /* owned; NULL when detection succeeded */
};
void ib_mf_windows_free(struct ib_mf_windows *w);

enum ib_mf_table { IB_MF_TABLE_NONE, IB_MF_TABLE_GPT, IB_MF_TABLE_MBR };

struct ib_mf_part {
	unsigned number;
	char *name; /* GPT; owned, NULL on MBR */
	/* GPT */
	struct ib_guid type_guid, guid;
	uint64_t attrs;
	/* MBR */
	uint8_t mbr_type;
	bool bootable;
	uint64_t start_lba, end_lba; /* inclusive */
	uint64_t offset, size;       /* bytes */
	bool has_fs;
	struct ib_mf_fs fs;
	IB_VEC(struct ib_mf_file) files;
	struct ib_mf_windows *windows; /* owned; NULL when the volume holds no Windows */
};

/* A package around the disk (lib/inspect/package.c): an OVA, an OVF
 * descriptor with its disk beside it, or a KubeVirt containerDisk. */
struct ib_mf_property {
	char *key, *type, *value; /* owned */
};
struct ib_mf_package {
	char *kind;            /* "ova", "ovf", "containerdisk"; owned */
	char *disk;            /* the member or file the disk is; owned */
	char *digests;         /* the manifest's algorithm ("SHA256", "SHA1"); owned, NULL without one */
	size_t verified;       /* files whose digest was checked */
	/* The OVF descriptor's virtual machine (NULL/0 when not said). */
	char *vm_name, *os_id, *os_type, *os_description, *system_type, *firmware, *secure_boot;
	char *controller, *nic;
	uint64_t cpus, memory_mib;
	IB_VEC(struct ib_mf_property) properties;
	/* containerDisk: the image manifest's and the layer's digests. */
	char *oci_manifest, *oci_layer;
};
void ib_mf_package_free(struct ib_mf_package *p);

struct ib_manifest {
	char *path;   /* as given; owned */
	char *format; /* qemu-img's name: raw, qcow2, vmdk, vhdx, vpc, ...; owned */
	uint64_t virtual_size;
	enum ib_mf_table table; /* NONE: a bare filesystem (one pseudo-partition) */
	struct ib_guid disk_guid;
	uint32_t mbr_signature;
	uint32_t sector_size;
	IB_VEC(struct ib_mf_part) parts;
	struct ib_mf_package *package; /* NULL: a plain image */
};

void ib_manifest_free(struct ib_manifest *m);

/* Sort each partition's files by path (bytewise); the readers call it. */
void ib_manifest_sort(struct ib_manifest *m);

/* The manifest as one JSON object (see the top of this file). */
void ib_manifest_json(const struct ib_manifest *m, struct ib_json *j);
/* One file or directory as a JSON object (path, type, size, mtime,
 * mtime_unix, sha256). */
void ib_mf_file_json(const struct ib_mf_file *f, struct ib_json *j);
/* The same for people: a summary, then each partition and its files. */
void ib_manifest_print(const struct ib_manifest *m, FILE *f);

/* Text forms shared by the printers. buf: at least 48 bytes. */
char *ib_mf_time_format(const struct ib_mf_time *t, char *buf);
char *ib_mf_sha256_hex(const uint8_t sha[32], char out[65]);
/* The partition type as the recipe names it (esp, basic-data, ...), else the
 * GUID or "0x07"; NULL for a bare filesystem. buf: at least 40 bytes. */
const char *ib_mf_part_type(const struct ib_manifest *m, const struct ib_mf_part *p, char *buf);
const char *ib_mf_table_name(enum ib_mf_table t);

/* ---- diff ------------------------------------------------------------ */

enum {
	IB_MF_IGNORE_IDS = 1u << 0,   /* disk/partition GUIDs, MBR signature, fs serials */
	IB_MF_IGNORE_TIMES = 1u << 1, /* file and directory mtimes */
};

enum ib_mf_change { IB_MF_ADDED, IB_MF_REMOVED, IB_MF_CHANGED };

struct ib_mf_diff_item {
	const char *category; /* "image", "table", "partition", "fs", "windows", "file" (static) */
	unsigned partition;   /* 0 for image and table items */
	enum ib_mf_change change;
	/* file items: the path and both sides (NULL when absent) */
	const char *path;
	const struct ib_mf_file *fa, *fb;
	/* every item: the fields that differ, comma-separated ("size,sha256");
	 * other items: the values as text (NULL when absent). All owned. */
	char *fields;
	char *a, *b;
};

struct ib_mf_diff {
	unsigned ignore;
	IB_VEC(struct ib_mf_diff_item) items;
};

/* Compare two manifests (both sorted). Items point into a and b, which must
 * outlive d. Never fails; d->items.n == 0 means the images are the same. */
void ib_manifest_diff(const struct ib_manifest *a, const struct ib_manifest *b, unsigned ignore,
		      struct ib_mf_diff *d);
/* Parse "ids,times" into IB_MF_IGNORE_* bits; -1 on an unknown word (*bad). */
int ib_mf_ignore_parse(const char *s, unsigned *out, const char **bad, size_t *badlen);
void ib_mf_diff_json(const struct ib_mf_diff *d, const struct ib_manifest *a, const struct ib_manifest *b,
		     struct ib_json *j);
void ib_mf_diff_print(const struct ib_mf_diff *d, FILE *f);
void ib_mf_diff_free(struct ib_mf_diff *d);
