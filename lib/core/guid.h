// SPDX-License-Identifier: GPL-2.0-or-later
/* GUIDs in their on-disk (mixed-endian) byte order, partition type aliases. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct ib_guid {
	uint8_t b[16]; /* as stored on disk: first three fields little-endian */
};

/* "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" (case-insensitive) -> on-disk bytes. */
int ib_guid_parse(const char *s, struct ib_guid *out);
/* Upper-case canonical text; buf holds at least 37 bytes. */
char *ib_guid_format(const struct ib_guid *g, char *buf);
bool ib_guid_is_zero(const struct ib_guid *g);
bool ib_guid_equal(const struct ib_guid *a, const struct ib_guid *b);
/* A random version-4 GUID (getrandom). */
void ib_guid_random(struct ib_guid *out);

/* Partition type aliases of the recipe format (docs/recipe.md): esp, msr,
 * basic-data, recovery, linux, ... */
struct ib_ptype_alias {
	const char *name;
	const char *gpt_guid; /* NULL when GPT has no such type */
	int mbr_type;         /* -1 when MBR has no such type */
};
const struct ib_ptype_alias *ib_ptype_lookup(const char *name);
/* All alias names, NULL-terminated, for did-you-mean hints. */
const char *const *ib_ptype_names(void);
/* The alias name for a GPT type GUID or MBR type byte, or NULL. */
const char *ib_ptype_name_for_guid(const struct ib_guid *g);
const char *ib_ptype_name_for_mbr(int mbr_type);
