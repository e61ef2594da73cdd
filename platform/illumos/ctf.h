// SPDX-License-Identifier: GPL-2.0-or-later
/* A reader for illumos CTF (Compact C Type Format, version 2, magic 0xcff1),
 * as found in the .SUNW_ctf section of illumos kernel modules, and the check
 * that a FUSE kernel module was built against the running kernel's struct
 * layouts (struct vnode first).
 *
 * Everything read from the data is bounds-checked. Malformed CTF fails with
 * exit code 2 and a message naming the byte offset inside the section, e.g.
 * "fuse: .SUNW_ctf at byte 24: type section offset 0x12345 is past the end of
 * the data (0x800 bytes)"; for compressed CTF the offsets are those of the
 * decompressed section (header + inflated body) and the message says so.
 * Byte order is the data's own (both are accepted). GNU CTF (binutils, magic
 * 0xdff2) and CTF versions other than 2 are rejected with a clear message. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/util.h"

struct ib_ctf; /* one CTF container (opaque) */

struct ib_ctf_member {
	const char *name;  /* points into the container's strings */
	uint64_t off_bits; /* offset from the start of the struct, in bits */
	char *type;        /* owned: "kmutex_t", "struct vfs *", "enum vtype", "char [16]" */
};

struct ib_ctf_struct {
	const char *name;  /* "vnode"; points into the container's strings */
	uint64_t size;     /* bytes */
	size_t nmembers;
	struct ib_ctf_member *members; /* owned */
	bool from_parent;  /* found in the parent container, not in this one */
	uint32_t pos;      /* byte offset of its type record in the (decompressed) section */
};

/* Open the .SUNW_ctf section of an ELF file (through libelf); name-references
 * into the ELF string table are resolved through .symtab's .strtab.
 * Returns 0 and *out; 1 and *out = NULL (err untouched) when the ELF file
 * has no .SUNW_ctf section; -1 and err: exit 2 for a bad ELF or bad CTF
 * (also for an ELF file that only has GNU CTF, ".ctf"), exit 3 when the file
 * cannot be opened or read. Messages start with the path. */
int ib_ctf_open_elf(const char *path, struct ib_ctf **out, struct ib_error *err);
/* Open raw CTF data (the bytes of a .SUNW_ctf section); the data is copied.
 * name prefixes messages ("fuse"). 0 or -1 (exit 2). */
int ib_ctf_open_mem(const void *buf, size_t len, const char *name, struct ib_ctf **out,
		    struct ib_error *err);
void ib_ctf_free(struct ib_ctf *ctf);

/* What the header says: the basename of the parent ("genunix") for a child
 * container, or NULL for a parent/self-contained one; the parent's label
 * the child was uniquified against (NULL if none); this container's own
 * label (the last entry of its label section, NULL if none). */
const char *ib_ctf_parent_name(const struct ib_ctf *ctf);
const char *ib_ctf_parent_label(const struct ib_ctf *ctf);
const char *ib_ctf_label(const struct ib_ctf *ctf);
bool ib_ctf_is_compressed(const struct ib_ctf *ctf);
size_t ib_ctf_type_count(const struct ib_ctf *ctf);

/* Attach the parent container a child's type ids below 0x8000 refer to (not
 * owned; it must outlive the child). Without one, resolving such an id fails
 * with a message naming the parent. -1 (exit 2) if parent is itself a child
 * or ctf is not a child. */
int ib_ctf_set_parent(struct ib_ctf *ctf, struct ib_ctf *parent, struct ib_error *err);

/* Find the full definition of struct NAME: in this container (a root type
 * preferred) or, when this one has only a forward declaration or nothing and
 * a parent is attached, in the parent (then out->from_parent is set).
 * Member types are resolved to C-like names through typedefs, qualifiers,
 * pointers and arrays (into the parent where needed; loops are detected).
 * Returns 0 and *out (free with ib_ctf_struct_free), 1 when there is no full
 * definition, -1 and err (exit 2) for malformed data. */
int ib_ctf_find_struct(const struct ib_ctf *ctf, const char *name, struct ib_ctf_struct *out,
		       struct ib_error *err);
void ib_ctf_struct_free(struct ib_ctf_struct *s);

/* Names of the structs fully defined in this container itself (not its
 * parent), sorted and without duplicates. The array is malloc'd (free it);
 * the strings point into the container. */
const char **ib_ctf_struct_names(const struct ib_ctf *ctf, size_t *n);

/* Compare a module's struct with the kernel's: size and every member's name
 * and byte offset (member type names are not compared). Returns 0 when they
 * agree, 1 when not; then appends to report a clause meant to follow
 * "<module> was ", e.g. "built against a struct vnode of 224 bytes (v_type at
 * 0x30, has v_phantom_count); the running kernel's is 216 bytes (v_type at
 * 0x28)". report may be NULL. */
int ib_ctf_compare_struct(const struct ib_ctf_struct *module, const struct ib_ctf_struct *kernel,
			  struct ib_buf *report);

/* The illumos FUSE ABI check: read the CTF of the fuse module at module_path
 * and of the kernel, kernel_paths (NULL-terminated; genunix first, then
 * modules such as unix whose CTF is a child of genunix), and compare every
 * struct that the module defines itself and the kernel defines too, struct
 * vnode first. A module whose CTF is a child ("genunix") gets the kernel's
 * genunix as its parent.
 * Returns 0 when all agree; 1 when the check could not be made (the module or
 * the kernel has no CTF, or struct vnode is missing from one of them); -1 and
 * err when a struct differs (exit 3, "fuse module ... was built against a
 * struct vnode of 224 bytes (...); the running kernel's is 216 bytes (...):
 * the module was built for another illumos distribution; install the package
 * built for this one"), when a file is missing (exit 3) or malformed (exit 2).
 * notes (may be NULL) receives one line per finding: what was compared, every
 * difference member by member, label mismatches, why the check was skipped. */
int ib_ctf_check_fuse(const char *module_path, const char *const *kernel_paths, struct ib_buf *notes,
		      struct ib_error *err);
