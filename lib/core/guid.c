// SPDX-License-Identifier: GPL-2.0-or-later
#include "guid.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Text order of the 16 bytes: the first three fields (4, 2 and 2 bytes) are
 * stored little-endian, the last 8 bytes as written. disk_index[i] is where
 * the i-th byte of the text lands on disk. */
static const uint8_t disk_index[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ib_guid_parse(const char *s, struct ib_guid *out)
{
	if (!s || strlen(s) != 36)
		return -1;
	struct ib_guid g;
	const char *p = s;
	for (size_t n = 0; n < 16; n++) {
		if (n == 4 || n == 6 || n == 8 || n == 10) {
			if (*p++ != '-')
				return -1;
		}
		int hi = hex_value(p[0]), lo = hex_value(p[1]);
		if (hi < 0 || lo < 0)
			return -1;
		g.b[disk_index[n]] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	*out = g;
	return 0;
}

char *ib_guid_format(const struct ib_guid *g, char *buf)
{
	static const char hex[] = "0123456789ABCDEF";
	char *p = buf;
	for (size_t n = 0; n < 16; n++) {
		if (n == 4 || n == 6 || n == 8 || n == 10)
			*p++ = '-';
		uint8_t v = g->b[disk_index[n]];
		*p++ = hex[v >> 4];
		*p++ = hex[v & 0xF];
	}
	*p = '\0';
	return buf;
}

bool ib_guid_is_zero(const struct ib_guid *g)
{
	for (size_t i = 0; i < sizeof(g->b); i++)
		if (g->b[i])
			return false;
	return true;
}

bool ib_guid_equal(const struct ib_guid *a, const struct ib_guid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static void random_bytes(uint8_t *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = getrandom(p + done, n - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		done += (size_t)r;
	}
	if (done == n)
		return;
	/* Kernels without getrandom(2): the device gives the same bytes. */
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && done < n) {
		ssize_t r = read(fd, p + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	if (done != n) {
		/* A GUID that is not random would silently collide: stop instead. */
		fprintf(stderr, "imgbuild: no source of random bytes (getrandom, /dev/urandom)\n");
		abort();
	}
}

void ib_guid_random(struct ib_guid *out)
{
	random_bytes(out->b, sizeof(out->b));
	/* RFC 4122: version 4 in the high nibble of the third field (stored
	 * little-endian, so byte 7), variant 10xx in byte 8. */
	out->b[7] = (uint8_t)((out->b[7] & 0x0F) | 0x40);
	out->b[8] = (uint8_t)((out->b[8] & 0x3F) | 0x80);
}

/* GUIDs as listed by `sgdisk -i` and util-linux's sfdisk; MBR bytes as in
 * `sfdisk --label dos -T`. The first alias with a given GUID or byte is the
 * one reported back for it. */
static const struct ib_ptype_alias aliases[] = {
	{ "esp", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", 0xEF },
	{ "msr", "E3C9E316-0B5C-4DB8-817D-F92DF00215AE", -1 },
	{ "basic-data", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 0x07 },
	{ "recovery", "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", 0x27 },
	{ "linux", "0FC63DAF-8483-4772-8E79-3D69D8477DE4", 0x83 },
	{ "linux-swap", "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", 0x82 },
	{ "bios-boot", "21686148-6449-6E6F-744E-656564454649", -1 },
	/* Filesystem-named aliases, mainly for MBR disks. */
	{ "fat32", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 0x0C },
	{ "fat16", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 0x0E },
	{ "ntfs", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 0x07 },
};

static const char *const alias_names[] = {
	"esp", "msr", "basic-data", "recovery", "linux", "linux-swap", "bios-boot", "fat32", "fat16", "ntfs", NULL,
};

_Static_assert(IB_ARRAY_SIZE(alias_names) == IB_ARRAY_SIZE(aliases) + 1, "alias_names must list every alias");

const struct ib_ptype_alias *ib_ptype_lookup(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < IB_ARRAY_SIZE(aliases); i++)
		if (strcmp(aliases[i].name, name) == 0)
			return &aliases[i];
	return NULL;
}

const char *const *ib_ptype_names(void)
{
	return alias_names;
}

const char *ib_ptype_name_for_guid(const struct ib_guid *g)
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(aliases); i++) {
		struct ib_guid t;
		if (aliases[i].gpt_guid && ib_guid_parse(aliases[i].gpt_guid, &t) == 0 && ib_guid_equal(&t, g))
			return aliases[i].name;
	}
	return NULL;
}

const char *ib_ptype_name_for_mbr(int mbr_type)
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(aliases); i++)
		if (aliases[i].mbr_type >= 0 && aliases[i].mbr_type == mbr_type)
			return aliases[i].name;
	return NULL;
}
