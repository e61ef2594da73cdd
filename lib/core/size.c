// SPDX-License-Identifier: GPL-2.0-or-later
/* Sizes as recipes write them, and alignment arithmetic. Whole numbers only:
 * "1.5GiB" is refused with a hint to use a smaller unit, so a size always
 * means an exact number of bytes. */
#include "size.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

struct unit {
	const char *name;
	uint64_t mult;
};

static const struct unit units[] = {
	{ "B", 1 },
	{ "KiB", 1ULL << 10 },
	{ "MiB", 1ULL << 20 },
	{ "GiB", 1ULL << 30 },
	{ "TiB", 1ULL << 40 },
	{ "KB", 1000ULL },
	{ "MB", 1000ULL * 1000 },
	{ "GB", 1000ULL * 1000 * 1000 },
	{ "TB", 1000ULL * 1000 * 1000 * 1000 },
};

#define VALID_UNITS "B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000)"

/* A bare letter (K, m, G, ...) could mean either family: say so. */
static const char *ambiguous(const char *u)
{
	if (!u[0] || (u[1] && strcmp(u + 1, "i")))
		return NULL;
	switch (u[0]) {
	case 'k': case 'K': return "ambiguous unit: write KiB (1024) or KB (1000)";
	case 'm': case 'M': return "ambiguous unit: write MiB (1024^2) or MB (1000^2)";
	case 'g': case 'G': return "ambiguous unit: write GiB (1024^3) or GB (1000^3)";
	case 't': case 'T': return "ambiguous unit: write TiB (1024^4) or TB (1000^4)";
	}
	return NULL;
}

int ib_size_parse(const char *s, uint64_t *out, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	if (!s || !*s) {
		*why = "empty size";
		return -1;
	}
	const char *p = s;
	if (*p < '0' || *p > '9') {
		*why = "a size starts with a digit, e.g. 512, 260MiB or 8GiB";
		return -1;
	}
	uint64_t v = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*why = "size too large (more than 2^64 bytes)";
			return -1;
		}
		v = v * 10 + d;
	}
	if (*p == '.' || *p == ',') {
		*why = "sizes are whole numbers: use a smaller unit (1536MiB, not 1.5GiB)";
		return -1;
	}
	while (*p == ' ')
		p++;
	uint64_t mult = 1;
	if (*p) {
		const struct unit *u = NULL;
		for (size_t i = 0; i < IB_ARRAY_SIZE(units); i++)
			if (!strcmp(p, units[i].name))
				u = &units[i];
		if (!u) {
			const char *a = ambiguous(p);
			*why = a ? a : "unknown unit: use " VALID_UNITS;
			return -1;
		}
		mult = u->mult;
	}
	if (v && mult > UINT64_MAX / v) {
		*why = "size too large (more than 2^64 bytes)";
		return -1;
	}
	*out = v * mult;
	return 0;
}

char *ib_size_format(uint64_t bytes, char *buf, unsigned n)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	if (!buf || !n)
		return buf;
	unsigned i = 0;
	while (i + 1 < IB_ARRAY_SIZE(names) && bytes >= (1ULL << (10 * (i + 1))))
		i++;
	uint64_t unit = 1ULL << (10 * i);
	if (bytes % unit == 0) {
		snprintf(buf, n, "%llu %s", (unsigned long long)(bytes / unit), names[i]);
		return buf;
	}
	/* One decimal, truncated (never claims more than there is); in integers
	 * so the text is the same everywhere. unit >= 1024 here. */
	uint64_t whole = bytes / unit, rem = bytes % unit;
	uint64_t tenth = rem / (unit / 1024) * 10 / 1024;
	snprintf(buf, n, "%llu.%llu %s", (unsigned long long)whole, (unsigned long long)tenth, names[i]);
	return buf;
}

uint64_t ib_align_up(uint64_t v, uint64_t align)
{
	if (align <= 1)
		return v;
	uint64_t r = v % align;
	if (!r)
		return v;
	if (v > UINT64_MAX - (align - r))
		return UINT64_MAX - align + 1;
	return v + (align - r);
}

uint64_t ib_align_down(uint64_t v, uint64_t align)
{
	if (align <= 1)
		return v;
	return v - v % align;
}
