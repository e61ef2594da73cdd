// SPDX-License-Identifier: GPL-2.0-or-later
#include "ids.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "repro.h"
#include "core/util.h"

void ib_ids_init(struct ib_ids *ids, const struct ib_recipe *r)
{
	*ids = (struct ib_ids){0};
	if (ib_repro_active(r)) {
		ids->derived = true;
		/* The recipe name is part of the key so that two recipes with the
		 * same seed still get distinct identifiers. With SOURCE_DATE_EPOCH
		 * and no reproducible: in the recipe the seed is empty: the key is
		 * the name alone. */
		ids->key = ib_xasprintf("%s\n%s", r->name ? r->name : "", r->seed ? r->seed : "");
	}
}

void ib_ids_free(struct ib_ids *ids)
{
	free(ids->key);
	ids->key = NULL;
}

void ib_ids_bytes(const struct ib_ids *ids, const char *token, uint8_t out[32])
{
	if (ids->derived) {
		unsigned int len = 32;
		if (HMAC(EVP_sha256(), ids->key, (int)strlen(ids->key), (const unsigned char *)token, strlen(token),
			 out, &len))
			return;
	}
	size_t got = 0;
	while (got < 32) {
		ssize_t n = getrandom(out + got, 32 - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
}

void ib_ids_guid(const struct ib_ids *ids, const char *token, struct ib_guid *out)
{
	uint8_t h[32];
	ib_ids_bytes(ids, token, h);
	memcpy(out->b, h, 16);
	/* RFC 4122 version 4 and variant bits; byte 7 is the high byte of the
	 * little-endian third field in the on-disk layout. */
	out->b[7] = (uint8_t)((out->b[7] & 0x0f) | 0x40);
	out->b[8] = (uint8_t)((out->b[8] & 0x3f) | 0x80);
}

uint32_t ib_ids_u32(const struct ib_ids *ids, const char *token)
{
	uint8_t h[32];
	ib_ids_bytes(ids, token, h);
	uint32_t v = ib_get_le32(h);
	return v ? v : 1;
}

uint64_t ib_ids_u64(const struct ib_ids *ids, const char *token)
{
	uint8_t h[32];
	ib_ids_bytes(ids, token, h);
	uint64_t v = ib_get_le64(h);
	return v ? v : 1;
}
