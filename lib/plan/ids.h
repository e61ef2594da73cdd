// SPDX-License-Identifier: GPL-2.0-or-later
/* Identifiers of a build (disk and partition GUIDs, MBR signature, volume
 * serials). Random by default; in reproducible mode each one is derived from
 * the seed with HMAC-SHA256 over a fixed per-object token, so the same
 * recipe gives the same identifiers. Tokens name the object ("disk-guid",
 * "partition-guid-2", "vhdx-data-write-guid", ...), so each identifier is
 * independent of the others and of the order they are asked for. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/guid.h"
#include "recipe/recipe.h"

struct ib_ids {
	bool derived;
	char *key; /* the HMAC key: "<recipe name>\n<seed>" (seed empty without reproducible:) */
};

void ib_ids_init(struct ib_ids *ids, const struct ib_recipe *r);
void ib_ids_free(struct ib_ids *ids);
/* 32 bytes for token: HMAC-SHA256(key, token) or random. */
void ib_ids_bytes(const struct ib_ids *ids, const char *token, uint8_t out[32]);
void ib_ids_guid(const struct ib_ids *ids, const char *token, struct ib_guid *out);
uint32_t ib_ids_u32(const struct ib_ids *ids, const char *token);
uint64_t ib_ids_u64(const struct ib_ids *ids, const char *token);
