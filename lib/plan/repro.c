// SPDX-License-Identifier: GPL-2.0-or-later
/* Reproducible mode: on or off, and the epoch. */
#include "repro.h"

#include <stdlib.h>

#include "core/util.h"

static const char *source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	return s && *s ? s : NULL;
}

bool ib_repro_active(const struct ib_recipe *r)
{
	return r->reproducible || source_date_epoch();
}

int ib_repro_epoch(const struct ib_recipe *r, bool *on, int64_t *epoch, struct ib_error *err)
{
	*on = false;
	*epoch = -1;
	const char *sde = source_date_epoch();
	if (sde) {
		/* reproducible-builds.org: a malformed value is an error, not
		 * something to guess at. Decimal digits only (no sign, no space). */
		uint64_t v = 0;
		for (const char *p = sde; *p; p++) {
			if (*p < '0' || *p > '9' || v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
				return ib_fail(err, IB_EXIT_INPUT,
					       "SOURCE_DATE_EPOCH='%s' is not a whole number of seconds since 1970 "
					       "(decimal digits, at most 2^63 - 1)",
					       sde);
			v = v * 10 + (uint64_t)(*p - '0');
		}
		*on = true;
		*epoch = (int64_t)v;
		return 0;
	}
	if (r->reproducible) {
		if (r->epoch > (uint64_t)INT64_MAX)
			return ib_fail_at(err, IB_EXIT_INPUT, &r->reproducible_loc,
					  "reproducible.epoch %llu is beyond 2^63 - 1", (unsigned long long)r->epoch);
		*on = true;
		*epoch = (int64_t)r->epoch;
	}
	return 0;
}

/* Table-driven CRC-32C: zlib only has the IEEE polynomial and OpenSSL none,
 * and VHDX needs Castagnoli. The table is built once, on first use. */
uint32_t ib_crc32c(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ UINT32_C(0x82F63B78) : c >> 1;
			table[i] = c;
		}
	}
	const uint8_t *p = buf;
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
