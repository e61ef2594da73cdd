// SPDX-License-Identifier: GPL-2.0-or-later
/* The recipe: version 1 of the format docs/recipe.md describes, parsed into plain data.
 * Every field keeps the location of the YAML node it came from so that the
 * validator and the planner can point at it: the *_loc fields hold the
 * location of the value (a mapping's `loc` is its first key or its `{`); a
 * defaulted field gets its enclosing mapping's location; a value from --set
 * has file "--set", line 0, col = 1 + the index of the override. docs/recipe.md
 * is the user-facing reference. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "fstype/fstype.h"
#include "ptable/table.h"

enum ib_out_format {
	IB_OUT_RAW = 0, IB_OUT_QCOW2, IB_OUT_VMDK, IB_OUT_VHDX, IB_OUT_VPC,
	/* Packages for a hypervisor (lib/output/package.c): not one image file. */
	IB_OUT_OVA, IB_OUT_OVF, IB_OUT_CONTAINERDISK,
	IB_OUT_NFORMATS
};

/* One row per output format, the only place they are listed: the recipe's
 * name, the file name extension, and qemu-img's format name. */
struct ib_out_format_info {
	const char *name; /* format: in the recipe */
	const char *ext;  /* <name>.<ext> */
	const char *qemu; /* qemu-img -O; NULL for a package (OVA, OVF, containerDisk) */
};
extern const struct ib_out_format_info ib_out_formats[IB_OUT_NFORMATS];
/* The recipe names alone, in enum order (for the schema's enum table). */
extern const char *const ib_out_format_names[IB_OUT_NFORMATS];
extern const int ib_out_format_values[IB_OUT_NFORMATS];

struct ib_file_spec {
	char *src; /* as written: relative to the recipe's folder (or absolute) */
	char *dst; /* absolute inside the volume, '/'-separated, no ".." */
	struct ib_loc loc, src_loc, dst_loc;
};

struct ib_fs_spec {
	enum ib_fs_type type; /* IB_FS_NONE: no filesystem */
	char *label;          /* may be NULL */
	uint64_t cluster_size; /* 0: the filesystem's default */
	struct ib_loc loc, type_loc, label_loc, cluster_loc;
};

/* The `windows:` section of an NTFS partition (docs/recipe.md, "windows"):
 * offline customisation through lib/windows/inject.h. Paths are as written,
 * relative to the recipe's folder. */
enum ib_fb_mech { IB_FB_AUTO = 0, IB_FB_SETUPCOMPLETE, IB_FB_SERVICE, IB_FB_RUNONCE };

struct ib_win_driver_entry {
	char *path;           /* a folder of .inf/.sys/.cat, a virtio-win tree, or a virtio-win ISO */
	char **select;        /* driver names; NULL: all */
	size_t nselect;
	bool boot_critical;
	struct ib_loc loc, path_loc, select_loc, boot_critical_loc;
};

struct ib_win_tool_entry {
	char *name; /* a named tool (qemu-ga, spice, vmware-tools), or NULL */
	char *src;  /* the installer (or, for a named tool, its ISO) on the host; may be NULL for a named tool */
	char *args; /* may be NULL */
	struct ib_loc loc, name_loc, src_loc, args_loc;
};

struct ib_win_reg_entry {
	char *hive;   /* SYSTEM, SOFTWARE, DRIVERS (an HKLM\ prefix accepted) */
	char *key;
	char *name;   /* the value's name ("" = default value); NULL: the key itself */
	int type;     /* enum ib_reg_type (lib/windows/hive.h); valid when has_type */
	bool has_type;
	char *data;   /* scalar data, or NULL */
	char **multi; /* multi_sz data (a sequence), or NULL */
	size_t nmulti;
	bool del;     /* delete: true */
	struct ib_loc loc, hive_loc, key_loc, name_loc, type_loc, data_loc, del_loc;
};

/* `install:` (docs/windows-install.md): Windows applied from install media
 * onto the partition, then made bootable on the disk's ESP. */
struct ib_win_install_entry {
	char *image; /* an ISO, install.wim/.esd, or the first part of a split .swm */
	char *index; /* an image number, or its name or edition; NULL: the media's only image */
	struct ib_loc loc, image_loc, index_loc;
};

struct ib_windows_spec {
	bool has_install;
	struct ib_win_install_entry install;
	char *unattend; /* to Windows\Panther\unattend.xml; may be NULL */
	struct ib_loc install_loc, unattend_loc;
	struct ib_win_driver_entry *drivers;
	size_t ndrivers;
	struct ib_win_tool_entry *guest_tools;
	size_t nguest_tools;
	char **first_boot;
	size_t nfirst_boot;
	struct ib_win_reg_entry *registry;
	size_t nregistry;
	enum ib_fb_mech first_boot_mechanism;
	char *service_wrapper;
	uint64_t max_attempts; /* 0: the injector's default (3) */
	bool diagnose;         /* CrashControl\AutoReboot=0: a stop error stays on screen */
	struct ib_loc diagnose_loc;
	struct ib_loc loc, drivers_loc, guest_tools_loc, first_boot_loc, registry_loc, mechanism_loc, wrapper_loc,
		max_attempts_loc;
};

struct ib_partition_spec {
	char *name; /* may be NULL for unnamed partitions */
	char *type; /* an alias or a GUID as written, or an MBR byte as "0x07"; never
		     * NULL after a successful load (omitted: basic-data on GPT; on MBR
		     * 0x07 ntfs, 0x0c fat32, 0x0e fat16, 0x83 without fs) */
	uint64_t size;
	bool size_rest; /* size: rest */
	bool bootable;  /* MBR active flag */
	struct ib_fs_spec fs;
	struct ib_file_spec *files;
	size_t nfiles;
	struct ib_loc loc, name_loc, type_loc, size_loc, bootable_loc, files_loc;
	/* `windows:` (has_windows) and, with a `base:`, `use:` (has_use): the
	 * partition number of the base's table, or 0 for `auto` (the one that
	 * holds Windows). */
	bool has_windows, has_use;
	struct ib_windows_spec windows;
	unsigned use;
	struct ib_loc windows_loc, use_loc;
};

struct ib_disk_spec {
	uint64_t size;
	enum ib_table table;
	uint32_t sector_size;
	uint64_t align;
	struct ib_partition_spec *parts;
	size_t nparts;
	struct ib_loc loc, size_loc, table_loc, sector_size_loc, align_loc, parts_loc;
};

struct ib_output_spec {
	enum ib_out_format format;
	char *subformat; /* vmdk: monolithicSparse (default) | streamOptimized; vhdx/vpc: dynamic
			  * (default) | fixed; NULL for raw and qcow2 */
	char *adapter;   /* vmdk: ide | lsilogic | buslogic | legacyESX */
	/* "base": a qcow2 overlay on the recipe's base (only the changed
	 * clusters; the base by relative path); NULL: a standalone image. */
	char *backing;
	struct ib_loc loc, format_loc, subformat_loc, adapter_loc, backing_loc;
};

/* Where the image is to run (lib/output/targets.c): the defaults of vm:. */
enum ib_target { IB_TARGET_GENERIC = 0, IB_TARGET_ESXI, IB_TARGET_SYNOLOGY, IB_TARGET_VIRTUALBOX, IB_TARGET_KVM };
enum ib_firmware { IB_FW_AUTO = 0, IB_FW_EFI, IB_FW_BIOS };

/* vm: the virtual machine an OVF descriptor describes. 0/NULL: the
 * target's default. */
struct ib_vm_spec {
	char *name, *controller, *nic, *guest_os;
	uint64_t cpus, memory, hardware_version;
	int firmware; /* enum ib_firmware */
	bool secure_boot;
	struct ib_loc loc, name_loc, cpus_loc, memory_loc, firmware_loc, secure_boot_loc, controller_loc, nic_loc,
		guest_os_loc, hardware_version_loc;
};

/* properties: entries, an OVF ProductSection's Property elements. */
struct ib_property_spec {
	char *key, *type, *value, *label;
	bool user_configurable;
	struct ib_loc loc, key_loc, type_loc, value_loc, label_loc, user_configurable_loc;
};

struct ib_recipe {
	char *path; /* as given */
	char *dir;  /* the recipe's folder: file sources are relative to it */
	int version;
	char *name;
	char *base; /* an existing image to start from (raw/qcow2/vmdk/vhdx/vpc), as written; NULL: none */
	struct ib_disk_spec disk;
	struct ib_output_spec *outputs;
	size_t noutputs;
	bool reproducible;
	uint64_t epoch;
	char *seed;
	int target; /* enum ib_target */
	struct ib_vm_spec vm;
	struct ib_property_spec *properties;
	size_t nproperties;
	struct ib_loc name_loc, base_loc, outputs_loc, reproducible_loc, target_loc, properties_loc;
	/* The source text, kept for diagnostics. */
	char *text;
	size_t text_len;
};

/* Parse and validate a recipe file. Every problem found is added to diags
 * (all of them, not just the first); returns NULL when there was any error.
 * sets are "KEY=VALUE" overrides from --set (dotted keys, e.g. disk.size). */
struct ib_recipe *ib_recipe_load(const char *path, const char *const *sets, size_t nsets,
				 struct ib_diags *diags);
void ib_recipe_free(struct ib_recipe *r);

const char *ib_table_name(enum ib_table t);
const char *ib_out_format_name(enum ib_out_format f);
/* File name extension for an output format: raw, qcow2, vmdk, vhdx, vhd. */
const char *ib_out_format_ext(enum ib_out_format f);
/* qemu-img's name: raw, qcow2, vmdk, vhdx, vpc. */
const char *ib_out_format_qemu(enum ib_out_format f);
