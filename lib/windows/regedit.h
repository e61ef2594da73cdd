// SPDX-License-Identifier: GPL-2.0-or-later
/* Lists of registry edits, applied to one hive file with verification:
 * open the hive, apply every edit meant for it, commit to a NEW file,
 * re-open that file read-only and check that every value written is there
 * with the same type and bytes (and that deleted ones are gone). The input
 * file is never written; the caller renames the output into place. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/util.h"
#include "hive.h"

enum ib_reg_op {
	IB_REG_OP_SET,          /* set value name to (type, data) */
	IB_REG_OP_DELETE_VALUE, /* absent value or key is fine */
	IB_REG_OP_CREATE_KEY,
	IB_REG_OP_DELETE_KEY,   /* recursive; absent is fine */
	/* Append data (a UTF-8 element) to a ';'-separated REG_SZ/REG_EXPAND_SZ
	 * list unless it is already there (case-insensitive), keeping the
	 * value's type; when the value is absent it becomes "base;element"
	 * (or "element") of the edit's type. For DevicePath. */
	IB_REG_OP_APPEND_PATH,
};

struct ib_reg_edit {
	char *hive;   /* "SYSTEM", "SOFTWARE", "DRIVERS" (matched case-insensitively) */
	char *key;    /* from the hive root, '\\'-separated; in SYSTEM a first
	               * component "CurrentControlSet" means ControlSet%03u of
	               * Select\Current (it does not exist offline) */
	char *name;   /* value name, "" = default value; NULL for key operations */
	enum ib_reg_op op;
	enum ib_reg_type type;
	uint8_t *data; /* SET: the encoded bytes; APPEND_PATH: the UTF-8 element (NUL-terminated) */
	size_t len;    /* of data (APPEND_PATH: without the NUL) */
	char *base;    /* APPEND_PATH: content when the value is absent; may be NULL */
};

struct ib_reg_edits {
	IB_VEC(struct ib_reg_edit) list;
};
void ib_reg_edits_free(struct ib_reg_edits *e);

/* Builders; everything is copied. The string setters fail (exit 2) only on
 * invalid UTF-8 or an empty MULTI_SZ element. */
void ib_reg_edits_set(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
		      enum ib_reg_type type, const void *data, size_t len);
int ib_reg_edits_set_sz(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			const char *utf8, struct ib_error *err);
int ib_reg_edits_set_expand_sz(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			       const char *utf8, struct ib_error *err);
int ib_reg_edits_set_multi_sz(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			      const char *const *strs, size_t n, struct ib_error *err);
void ib_reg_edits_set_dword(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			    uint32_t v);
void ib_reg_edits_set_qword(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			    uint64_t v);
void ib_reg_edits_delete_value(struct ib_reg_edits *e, const char *hive, const char *key, const char *name);
void ib_reg_edits_create_key(struct ib_reg_edits *e, const char *hive, const char *key);
void ib_reg_edits_delete_key(struct ib_reg_edits *e, const char *hive, const char *key);
void ib_reg_edits_append_path(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			      enum ib_reg_type type, const char *element, const char *base);

/* Append a copy, for to_hive, of every edit from index from on whose key
 * starts with key_prefix (case-insensitive): the same entries in two hives. */
void ib_reg_edits_mirror(struct ib_reg_edits *e, size_t from, const char *key_prefix, const char *to_hive);

enum ib_reg_change_kind {
	IB_REG_KEY_CREATED,
	IB_REG_KEY_DELETED,
	IB_REG_VALUE_ADDED,
	IB_REG_VALUE_CHANGED,
	IB_REG_VALUE_DELETED,
};

/* One thing that changed, for the build report. Values are rendered with
 * ib_reg_value_format. */
struct ib_reg_change {
	enum ib_reg_change_kind kind;
	char *hive;      /* as given to ib_regedit_apply */
	char *key;       /* resolved (ControlSet001, not CurrentControlSet) */
	char *name;      /* NULL for key changes */
	char *old_value; /* NULL when there was none */
	char *new_value; /* NULL when deleted */
};

struct ib_reg_changes {
	IB_VEC(struct ib_reg_change) list;
};
void ib_reg_changes_free(struct ib_reg_changes *c);
/* One line: `SYSTEM\ControlSet001\Services\viostor: Start = REG_DWORD 0x00000000 (0) (was REG_DWORD 0x00000003 (3))`. */
char *ib_reg_change_format(const struct ib_reg_change *c);

/* Apply the edits whose hive is hive_name to the hive at in_path, commit to
 * out_path (a new temporary name beside the final one), then verify
 * out_path as described above. Changes are appended to changes (may be
 * NULL). Returns 1 when out_path was written and verified, 0 when no edit
 * is for this hive (nothing written), -1 on failure with out_path removed:
 * a corrupt input is exit 2 with its byte offset, a verification mismatch
 * exit 1. hive_flags: IB_HIVE_ALLOW_DIRTY or 0. */
int ib_regedit_apply(const char *hive_name, const char *in_path, const char *out_path,
		     const struct ib_reg_edits *edits, int hive_flags, struct ib_reg_changes *changes,
		     struct ib_error *err);

/* The verification step alone: re-open path read-only and check the final
 * state every edit for hive_name implies (edits overridden by later ones in
 * the list are skipped). Exit 1 on a mismatch. */
int ib_regedit_verify(const char *hive_name, const char *path, const struct ib_reg_edits *edits, int hive_flags,
		      struct ib_error *err);
