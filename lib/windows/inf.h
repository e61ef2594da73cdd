// SPDX-License-Identifier: GPL-2.0-or-later
/* Windows driver INF files: load, pick the models section for a target
 * Windows, and resolve a device's install section into the files, registry
 * records and services the offline injector has to write.
 *
 * ib_inf_load checks everything that does not depend on the target: encoding,
 * syntax, %strings%, [Version], [Manufacturer] decorations and that every
 * section named by Manufacturer/CopyFiles/AddReg/AddService/models exists.
 * Errors are exit code 2 with loc = the INF file and line (col when known);
 * loc.file points at the path given to ib_inf_load for load errors and at the
 * struct ib_inf's own copy for later ones, so keep those alive with the error.
 * Every string handed out is UTF-8 with %strkey% and %% already substituted;
 * DIRID references (%12%) stay as written unless a field says "expanded". */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/util.h"
#include "hive.h"

struct ib_inf;

enum ib_inf_encoding { IB_INF_ANSI, IB_INF_UTF8_BOM, IB_INF_UTF16LE_BOM };

struct ib_inf_opts {
	/* Parse an unbuilt .inx template instead of refusing it (tests). */
	bool allow_template;
	/* NULL-terminated pairs "token", "replacement" substituted in the raw text
	 * before parsing, as stampinf/the INX build would ("$ARCH$", "amd64"). */
	const char *const *defines;
};

/* Load and check an INF. opts may be NULL (strict). */
int ib_inf_load(const char *path, const struct ib_inf_opts *opts, struct ib_inf **out, struct ib_error *err);
/* Same from memory; name is used in error locations and must outlive the error. */
int ib_inf_load_buf(const char *name, const void *data, size_t len, const struct ib_inf_opts *opts,
		    struct ib_inf **out, struct ib_error *err);
void ib_inf_free(struct ib_inf *inf);

const char *ib_inf_path(const struct ib_inf *inf);
enum ib_inf_encoding ib_inf_encoding(const struct ib_inf *inf);
/* First unexpanded build token (e.g. "$ARCH$") and its line, or NULL when built. */
const char *ib_inf_template_token(const struct ib_inf *inf, unsigned *line);

/* [Version]. Strings are NULL when the key is absent. */
struct ib_inf_version {
	char *signature;   /* "$Windows NT$" */
	char *class_name;  /* "SCSIAdapter" */
	char *class_guid;  /* as written, braces included */
	char *provider;
	char *driver_ver;  /* as written: "08/30/2021,100.85.104.20800" */
	bool has_driver_ver;
	unsigned year, month, day;
	uint16_t ver[4];   /* a.b.c.d; missing parts are 0 */
	char *catalog;     /* undecorated CatalogFile */
	bool pnp_lockdown;
	unsigned line;     /* the [Version] header */
};
const struct ib_inf_version *ib_inf_version(const struct ib_inf *inf);

/* The Windows an INF is matched against. */
struct ib_inf_target {
	const char *arch;      /* "amd64", "x86", "arm64" */
	unsigned major, minor; /* 10.0, 6.3, ... */
	unsigned build;        /* 0 = unknown: decorations with a build number never match */
	unsigned product_type; /* 0 = unknown (decorations with one never match), 1 workstation, 2 DC, 3 server */
};

/* The CatalogFile for a target: CatalogFile.NT<arch>, then .NT, then plain. */
const char *ib_inf_catalog(const struct ib_inf *inf, const struct ib_inf_target *t);

/* One line of a models section. */
struct ib_inf_device {
	char *desc;     /* device description */
	char *install;  /* install section name as written in the models line */
	char **ids;     /* ids[0] hardware id, then compatible ids; n_ids may be 0 */
	size_t n_ids;
	unsigned line;
};

/* The models section chosen for one [Manufacturer] entry. */
struct ib_inf_models {
	char *manufacturer; /* entry name (substituted), "" if the line had none */
	char *section;      /* "VioStor.NTamd64.6.3" */
	char *decoration;   /* "NTamd64.6.3"; "" for the undecorated section */
	struct ib_inf_device *devices;
	size_t n_devices;
};

struct ib_inf_selection {
	struct ib_inf_models *mfg;
	size_t n_mfg;
};

/* For every [Manufacturer] entry choose the most specific models section that
 * fits t (arch, OS version >= decoration, product type); entries with none are
 * skipped. Fails when no entry fits, listing the decorations the INF has. */
int ib_inf_select_models(const struct ib_inf *inf, const struct ib_inf_target *t, struct ib_inf_selection *out,
			 struct ib_error *err);
void ib_inf_selection_free(struct ib_inf_selection *sel);

/* Registry value types (winnt.h REG_*) used in AddReg records: IB_REG_* of
 * windows/hive.h (one definition, so both headers can be included together). */

/* AddReg flags (FLG_ADDREG_*), kept as written in flags. */
#define IB_ADDREG_NOCLOBBER 0x2u
#define IB_ADDREG_DELVAL 0x4u
#define IB_ADDREG_APPEND 0x8u
#define IB_ADDREG_KEYONLY 0x10u

/* One AddReg line. */
struct ib_inf_addreg {
	char *root;      /* "HKR", "HKLM", "HKCU", "HKCR", "HKU" */
	char *subkey;    /* "" for the root key itself */
	char *name;      /* value name; "" = default value */
	uint32_t flags;  /* as written */
	bool key_only;   /* only create the key (KEYONLY or no value given) */
	uint32_t type;   /* IB_REG_* (binary-encoded types keep their number) */
	char **strs;     /* SZ/EXPAND_SZ: one string; MULTI_SZ: each string */
	size_t n_strs;
	uint8_t *bin;    /* data bytes for BINARY-encoded types; DWORD/QWORD little-endian */
	size_t bin_len;
	uint32_t dword;  /* DWORD value */
	char *section;   /* the AddReg section */
	unsigned line;
};

/* One file of a CopyFiles directive. */
struct ib_inf_copyfile {
	char *section;     /* copy-files section; NULL for CopyFiles=@file */
	char *dest;        /* destination file name */
	char *source;      /* source file name (= dest unless renamed) */
	uint32_t flags;    /* COPYFLG_* */
	int dirid;         /* destination DIRID from [DestinationDirs] (default 11) */
	char *subdir;      /* subdirectory from [DestinationDirs], or NULL */
	char *dest_dir;    /* DIRID expanded ("%SystemRoot%\System32\drivers"), NULL if no fixed path (13, 1) */
	unsigned disk;     /* source disk id from [SourceDisksFiles] */
	char *source_dir;  /* disk path + file subdir from [SourceDisksNames]/[SourceDisksFiles], "" = INF dir */
	unsigned line;
};

/* One AddService directive with its service-install section. */
struct ib_inf_service {
	char *name;            /* "" for a null driver */
	uint32_t flags;        /* SPSVCINST_* (0x2 = ASSOCSERVICE) */
	char *section;         /* service-install section, NULL for a null driver */
	char *eventlog_section;
	char *display_name, *description;
	uint32_t type, start, error_control; /* ServiceType, StartType, ErrorControl */
	char *binary_raw;      /* ServiceBinary as written: "%12%\viostor.sys" */
	char *binary;          /* DIRID expanded: "%SystemRoot%\System32\drivers\viostor.sys" (raw if no fixed path) */
	int binary_dirid;      /* 12; -1 when ServiceBinary does not start with a DIRID */
	char *load_order_group;
	char **dependencies;
	size_t n_dependencies;
	struct ib_inf_addreg *addreg; /* HKR = Services\<name> */
	size_t n_addreg;
	struct ib_inf_addreg *eventlog_addreg; /* HKR = Services\EventLog\System\<name> */
	size_t n_eventlog_addreg;
	unsigned line;         /* the AddService line */
};

struct ib_inf_install {
	char *section;          /* chosen decorated name: "PVPanic_Device.NT" */
	char *services_section; /* "<section>.Services" if present, else NULL */
	char *hw_section;       /* "<section>.HW" if present, else NULL */
	struct ib_inf_copyfile *files;
	size_t n_files;
	struct ib_inf_addreg *addreg;    /* install section AddReg (HKR = driver key) */
	size_t n_addreg;
	struct ib_inf_addreg *hw_addreg; /* .HW AddReg (HKR = device hardware key) */
	size_t n_hw_addreg;
	struct ib_inf_service *services;
	size_t n_services;
	unsigned line;
};

/* Resolve install section `name` for t: <name>.NT<arch>, then <name>.NT, then
 * <name> (setupapi's order); .Services/.HW are looked up on the chosen name. */
int ib_inf_install_get(const struct ib_inf *inf, const struct ib_inf_target *t, const char *name,
		       struct ib_inf_install **out, struct ib_error *err);
void ib_inf_install_free(struct ib_inf_install *ins);

/* Fixed path of a DIRID in Windows environment notation ("%SystemRoot%\System32"
 * for 11), or NULL for DIRIDs without one (1 source dir, 13 driver store, -1). */
const char *ib_inf_dirid_path(int dirid);

/* Raw access: first field of the first `key` line of `section` (both
 * case-insensitive), substituted; NULL if absent. */
const char *ib_inf_get_value(const struct ib_inf *inf, const char *section, const char *key);

/* A JSON description (one line) of the INF: version, and with t the chosen
 * models, devices and each install section resolved. Appended to out. */
int ib_inf_describe(const struct ib_inf *inf, const struct ib_inf_target *t, struct ib_buf *out,
		    struct ib_error *err);
