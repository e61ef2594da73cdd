// SPDX-License-Identifier: GPL-2.0-or-later
/* Windows registry hive files through hivex: open (after our own check of the
 * 'regf' header and the hbin chain, so corruption is reported with a byte
 * offset), navigate keys by backslash paths case-insensitively, create and
 * delete keys, set, read and delete values, and commit the whole hive to a
 * NEW file that the caller then renames over the old one (hivex writes in
 * place otherwise, which could leave a half-written hive).
 *
 * Key paths are relative to the hive root, components separated by '\\'
 * ("ControlSet001\\Services\\viostor"); "" is the root. Value name "" is the
 * key's default value. Strings are UTF-8 on our side and UTF-16LE in the hive. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "regtype.h"

/* A value as stored: type and raw bytes (UTF-16LE for the string types). */
struct ib_reg_value {
	enum ib_reg_type type;
	uint8_t *data; /* owned, may be NULL when len is 0 */
	size_t len;
};
void ib_reg_value_free(struct ib_reg_value *v);

/* Encoders for value data. Strings are UTF-8 in, UTF-16LE out with the
 * terminating 00 00; MULTI_SZ is each string plus 00 00, then one more 00 00
 * (an empty list is just 00 00). Invalid UTF-8 is an input error (exit 2). */
int ib_reg_encode_sz(const char *utf8, uint8_t **data, size_t *len, struct ib_error *err);
int ib_reg_encode_multi_sz(const char *const *strs, size_t n, uint8_t **data, size_t *len,
			   struct ib_error *err);
void ib_reg_encode_dword(uint32_t v, uint8_t out[4]);
void ib_reg_encode_qword(uint64_t v, uint8_t out[8]);
/* Decode UTF-16LE (up to the first 00 00 or len) into UTF-8; unpaired
 * surrogates become U+FFFD. Never NULL. */
char *ib_reg_decode_sz(const uint8_t *data, size_t len);
/* Human-readable rendering for reports: `REG_SZ "text"`, `REG_DWORD 0x00000001 (1)`,
 * `REG_MULTI_SZ ["a", "b"]`, `REG_BINARY 01 ff 00 00` (long blobs elided). */
char *ib_reg_value_format(enum ib_reg_type type, const uint8_t *data, size_t len);

struct ib_hive; /* opaque */

enum ib_hive_flags {
	IB_HIVE_WRITE = 1 << 0,       /* edits allowed (kept in memory until commit) */
	IB_HIVE_ALLOW_DIRTY = 1 << 1, /* accept a header whose sequence numbers differ */
};

/* Check the file's structure without hivex: the 'regf' base block (signature,
 * sequence numbers unless allow_dirty, version, type, root cell offset, hive
 * bins size, checksum) and every hbin header and cell size. On the first
 * problem: exit code 2 and "<label> hive at byte 0x<off>: <what>". label
 * names the hive in messages ("SYSTEM"); NULL gives the file name. */
int ib_hive_check(const char *path, const char *label, bool allow_dirty, struct ib_error *err);

/* ib_hive_check, then hivex_open. The file is read (never written) by this;
 * see ib_hive_commit. */
struct ib_hive *ib_hive_open(const char *path, const char *label, int flags, struct ib_error *err);
void ib_hive_close(struct ib_hive *h);
const char *ib_hive_label(const struct ib_hive *h);

/* 1 if the key exists, 0 if not, -1 on a hive read error. */
int ib_hive_key_exists(struct ib_hive *h, const char *key, struct ib_error *err);
/* Create the key and any missing parents (existing ones are fine). Sets
 * *created (if given) to whether anything new was made. */
int ib_hive_create_key(struct ib_hive *h, const char *key, bool *created, struct ib_error *err);
/* Delete the key with all its subkeys and values. 1 deleted, 0 absent, -1
 * error. The root cannot be deleted (exit 2). */
int ib_hive_delete_key(struct ib_hive *h, const char *key, struct ib_error *err);
/* Names of the direct subkeys, as stored (malloc'd array of malloc'd strings). */
int ib_hive_subkeys(struct ib_hive *h, const char *key, char ***names, size_t *n, struct ib_error *err);
void ib_hive_names_free(char **names, size_t n);

/* Set a value, creating the key (and parents) if needed. An existing value
 * whose name differs only in case is replaced and keeps its stored name. */
int ib_hive_set_value(struct ib_hive *h, const char *key, const char *name, enum ib_reg_type type,
		      const void *data, size_t len, struct ib_error *err);
int ib_hive_set_sz(struct ib_hive *h, const char *key, const char *name, const char *utf8,
		   struct ib_error *err);
int ib_hive_set_expand_sz(struct ib_hive *h, const char *key, const char *name, const char *utf8,
			  struct ib_error *err);
int ib_hive_set_multi_sz(struct ib_hive *h, const char *key, const char *name, const char *const *strs,
			 size_t n, struct ib_error *err);
int ib_hive_set_dword(struct ib_hive *h, const char *key, const char *name, uint32_t v,
		      struct ib_error *err);
int ib_hive_set_qword(struct ib_hive *h, const char *key, const char *name, uint64_t v,
		      struct ib_error *err);
int ib_hive_set_binary(struct ib_hive *h, const char *key, const char *name, const void *data,
		       size_t len, struct ib_error *err);
/* 1 deleted, 0 absent (key or value), -1 error. */
int ib_hive_delete_value(struct ib_hive *h, const char *key, const char *name, struct ib_error *err);

/* Read a value: 1 found (out filled, caller frees), 0 absent, -1 error. */
int ib_hive_get_value(struct ib_hive *h, const char *key, const char *name, struct ib_reg_value *out,
		      struct ib_error *err);
/* Typed readers: 1 found, 0 absent, -1 error (a value of the wrong type is
 * an input error, exit 2, naming key, value and both types). */
int ib_hive_get_string(struct ib_hive *h, const char *key, const char *name, char **utf8,
		       struct ib_error *err); /* REG_SZ or REG_EXPAND_SZ */
int ib_hive_get_dword(struct ib_hive *h, const char *key, const char *name, uint32_t *v,
		      struct ib_error *err);

/* Write the whole (edited) hive to path, which must be a new temporary file
 * on the same filesystem as the final name, then fsync it. The caller
 * renames it into place (see ib_hive_replace). On failure path is removed:
 * no half-written hive is left. Build failure (exit 1) on I/O errors. */
int ib_hive_commit(struct ib_hive *h, const char *path, struct ib_error *err);
/* rename(tmp, final) and fsync the directory: the host-side last step. */
int ib_hive_replace(const char *tmp, const char *final, struct ib_error *err);
