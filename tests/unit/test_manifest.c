// SPDX-License-Identifier: GPL-2.0-or-later
/* Manifests: the JSON form (exact bytes: key order, nulls, sorting, times),
 * the diff (each category, --ignore ids/times), the qemu-img JSON scan, the
 * filesystem probe and FAT name decoding (long names, checksums, case flags,
 * code page 437), the Windows object (JSON, text, diff). Reading real images is tested end to end
 * (tests/e2e/inspect.sh, diff.sh) against mtools, sgdisk and ntfs-3g. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "inspect/fat_int.h"
#include "inspect/inspect.h"
#include "inspect/manifest.h"

static const char DISK_GUID[] = "11111111-2222-3333-4444-555555555555";
static const char PART_GUID[] = "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE";
static const char ESP_GUID[] = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";

static void add_file(struct ib_mf_part *p, const char *path, bool dir, uint64_t size, int64_t sec, uint32_t nsec,
		     uint8_t fill)
{
	uint8_t sha[32];
	memset(sha, fill, sizeof sha);
	struct ib_mf_time t = {.sec = sec, .nsec = nsec};
	ib_inspect_add(p, ib_xstrdup(path), dir, size, &t, dir ? NULL : sha);
}

/* A GPT disk with one FAT32 partition holding three entries, added unsorted. */
static struct ib_manifest *sample(void)
{
	struct ib_manifest *m = ib_xcalloc(1, sizeof(*m));
	m->path = ib_xstrdup("disk.qcow2");
	m->format = ib_xstrdup("qcow2");
	m->virtual_size = 1048576 * 64;
	m->table = IB_MF_TABLE_GPT;
	m->sector_size = 512;
	assert_int_equal(ib_guid_parse(DISK_GUID, &m->disk_guid), 0);
	struct ib_mf_part p = {
		.number = 1,
		.name = ib_xstrdup("esp"),
		.start_lba = 2048,
		.end_lba = 4095,
		.offset = 2048 * 512,
		.size = 2048 * 512,
		.has_fs = true,
		.fs = {.type = "fat32", .label = ib_xstrdup("SYSTEM"), .serial = ib_xstrdup("1234-ABCD"),
		       .sector_size = 512, .cluster_size = 4096, .hidden_sectors = 2048, .heads = 255,
		       .sectors_per_track = 63},
	};
	assert_int_equal(ib_guid_parse(ESP_GUID, &p.type_guid), 0);
	assert_int_equal(ib_guid_parse(PART_GUID, &p.guid), 0);
	IB_VEC_PUSH(m->parts, p);
	struct ib_mf_part *q = &m->parts.v[0];
	add_file(q, "/b.txt", false, 3, 1700000000, 0, 0xAB);
	add_file(q, "/a", true, 0, 1700000000, 0, 0);
	add_file(q, "/a/x", false, 0, -1, 500000000, 0x01); /* 1969-12-31T23:59:59.5 */
	ib_manifest_sort(m);
	return m;
}

static char *to_json(const struct ib_manifest *m)
{
	struct ib_json j = {0};
	ib_manifest_json(m, &j);
	return ib_buf_steal(&j.buf);
}

static void test_json_exact(void **state)
{
	(void)state;
	struct ib_manifest *m = sample();
	char *s = to_json(m);
	const char *want =
		"{\"manifest\":1,\"image\":{\"path\":\"disk.qcow2\",\"format\":\"qcow2\",\"virtual_size\":67108864},"
		"\"table\":{\"type\":\"gpt\",\"disk_guid\":\"11111111-2222-3333-4444-555555555555\",\"signature\":null,"
		"\"sector_size\":512},"
		"\"partitions\":[{\"number\":1,\"name\":\"esp\",\"type\":\"esp\","
		"\"type_guid\":\"C12A7328-F81F-11D2-BA4B-00A0C93EC93B\","
		"\"guid\":\"AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE\",\"attributes\":\"0x0000000000000000\","
		"\"mbr_type\":null,\"bootable\":null,\"start_lba\":2048,\"end_lba\":4095,\"offset\":1048576,"
		"\"size\":1048576,"
		"\"fs\":{\"type\":\"fat32\",\"label\":\"SYSTEM\",\"serial\":\"1234-ABCD\",\"sector_size\":512,"
		"\"cluster_size\":4096,\"hidden_sectors\":2048,\"heads\":255,\"sectors_per_track\":63},"
		"\"windows\":null,"
		"\"files\":["
		"{\"path\":\"/a\",\"type\":\"dir\",\"size\":0,\"mtime\":\"2023-11-14T22:13:20Z\",\"mtime_unix\":1700000000,"
		"\"sha256\":null},"
		"{\"path\":\"/a/x\",\"type\":\"file\",\"size\":0,\"mtime\":\"1969-12-31T23:59:59.5Z\",\"mtime_unix\":-1,"
		"\"sha256\":\"0101010101010101010101010101010101010101010101010101010101010101\"},"
		"{\"path\":\"/b.txt\",\"type\":\"file\",\"size\":3,\"mtime\":\"2023-11-14T22:13:20Z\","
		"\"mtime_unix\":1700000000,"
		"\"sha256\":\"abababababababababababababababababababababababababababababababab\"}]}],\"package\":null}";
	assert_string_equal(s, want);
	free(s);
	ib_manifest_free(m);
}

static void test_json_mbr(void **state)
{
	(void)state;
	struct ib_manifest *m = sample();
	m->table = IB_MF_TABLE_MBR;
	m->mbr_signature = 0xDEADBEEF;
	m->parts.v[0].mbr_type = 0x0C;
	m->parts.v[0].bootable = true;
	m->parts.v[0].has_fs = false;
	char *s = to_json(m);
	assert_non_null(strstr(s, "\"table\":{\"type\":\"mbr\",\"disk_guid\":null,\"signature\":\"0xdeadbeef\""));
	assert_non_null(strstr(s, "\"type\":\"fat32\",\"type_guid\":null,\"guid\":null,\"attributes\":null,"
				  "\"mbr_type\":\"0x0c\",\"bootable\":true"));
	assert_non_null(strstr(s, "\"fs\":null"));
	free(s);
	ib_manifest_free(m);
}

static void test_time_format(void **state)
{
	(void)state;
	char buf[48];
	struct ib_mf_time t = {.sec = 0, .nsec = 100};
	assert_string_equal(ib_mf_time_format(&t, buf), "1970-01-01T00:00:00.0000001Z");
	t = (struct ib_mf_time){.sec = 315532800, .nsec = 0};
	assert_string_equal(ib_mf_time_format(&t, buf), "1980-01-01T00:00:00Z");
	t = (struct ib_mf_time){.sec = 1600000000, .nsec = 123456700};
	assert_string_equal(ib_mf_time_format(&t, buf), "2020-09-13T12:26:40.1234567Z");
	t = (struct ib_mf_time){.sec = -11644473600, .nsec = 0}; /* NTFS time 0 */
	assert_string_equal(ib_mf_time_format(&t, buf), "1601-01-01T00:00:00Z");
}

static size_t count(const struct ib_mf_diff *d) { return d->items.n; }

static void test_diff_same(void **state)
{
	(void)state;
	struct ib_manifest *a = sample(), *b = sample();
	free(b->format);
	b->format = ib_xstrdup("raw"); /* the container is not compared */
	struct ib_mf_diff d;
	ib_manifest_diff(a, b, 0, &d);
	assert_int_equal(count(&d), 0);
	ib_mf_diff_free(&d);
	ib_manifest_free(a);
	ib_manifest_free(b);
}

static void test_diff_ids(void **state)
{
	(void)state;
	struct ib_manifest *a = sample(), *b = sample();
	b->disk_guid.b[0] ^= 1;
	b->parts.v[0].guid.b[15] ^= 1;
	free(b->parts.v[0].fs.serial);
	b->parts.v[0].fs.serial = ib_xstrdup("9999-0000");
	struct ib_mf_diff d;
	ib_manifest_diff(a, b, 0, &d);
	assert_int_equal(count(&d), 3);
	assert_string_equal(d.items.v[0].category, "table");
	assert_string_equal(d.items.v[0].fields, "disk_guid");
	assert_string_equal(d.items.v[1].category, "partition");
	assert_string_equal(d.items.v[1].fields, "guid");
	assert_int_equal(d.items.v[1].partition, 1);
	assert_string_equal(d.items.v[2].category, "fs");
	assert_string_equal(d.items.v[2].fields, "serial");
	assert_string_equal(d.items.v[2].a, "1234-ABCD");
	assert_string_equal(d.items.v[2].b, "9999-0000");
	ib_mf_diff_free(&d);
	ib_manifest_diff(a, b, IB_MF_IGNORE_IDS, &d);
	assert_int_equal(count(&d), 0);
	ib_mf_diff_free(&d);
	/* Ignoring times does not hide ids. */
	ib_manifest_diff(a, b, IB_MF_IGNORE_TIMES, &d);
	assert_int_equal(count(&d), 3);
	ib_mf_diff_free(&d);
	ib_manifest_free(a);
	ib_manifest_free(b);
}

static void test_diff_files(void **state)
{
	(void)state;
	struct ib_manifest *a = sample(), *b = sample();
	struct ib_mf_part *q = &b->parts.v[0];
	q->files.v[2].sha256[5] ^= 0xFF; /* /b.txt: content */
	q->files.v[0].mtime.nsec = 1;    /* /a: time only */
	free(q->files.v[1].path);        /* /a/x removed, /a/y added */
	q->files.v[1].path = ib_xstrdup("/a/y");
	struct ib_mf_diff d;
	ib_manifest_diff(a, b, 0, &d);
	assert_int_equal(count(&d), 4);
	assert_string_equal(d.items.v[0].path, "/a");
	assert_string_equal(d.items.v[0].fields, "mtime");
	assert_int_equal(d.items.v[1].change, IB_MF_REMOVED);
	assert_string_equal(d.items.v[1].path, "/a/x");
	assert_null(d.items.v[1].fb);
	assert_int_equal(d.items.v[2].change, IB_MF_ADDED);
	assert_string_equal(d.items.v[2].path, "/a/y");
	assert_string_equal(d.items.v[3].path, "/b.txt");
	assert_string_equal(d.items.v[3].fields, "sha256");
	ib_mf_diff_free(&d);

	ib_manifest_diff(a, b, IB_MF_IGNORE_TIMES | IB_MF_IGNORE_IDS, &d);
	assert_int_equal(count(&d), 3);
	struct ib_json j = {0};
	ib_mf_diff_json(&d, a, b, &j);
	char *s = ib_buf_steal(&j.buf);
	assert_non_null(strstr(s, "\"ignore\":[\"ids\",\"times\"],\"same\":false,"));
	assert_non_null(strstr(s, "{\"category\":\"file\",\"partition\":1,\"change\":\"changed\",\"path\":\"/b.txt\","
				  "\"fields\":[\"sha256\"],\"a\":{\"path\":\"/b.txt\""));
	assert_non_null(strstr(s, "\"change\":\"removed\",\"path\":\"/a/x\",\"fields\":[],\"a\":{"));
	assert_non_null(strstr(s, "\"b\":null}"));
	free(s);
	ib_mf_diff_free(&d);
	ib_manifest_free(a);
	ib_manifest_free(b);
}

/* The Windows a detection found on partition 1 of m. */
static struct ib_mf_windows *add_windows(struct ib_manifest *m)
{
	struct ib_mf_windows *w = ib_xcalloc(1, sizeof(*w));
	w->root = ib_xstrdup("/Windows");
	w->major = 10;
	w->build = 20348;
	w->edition = ib_xstrdup("ServerStandard");
	w->installation_type = ib_xstrdup("Server Core");
	w->product_name = ib_xstrdup("Windows Server 2022 Standard");
	w->arch = ib_xstrdup("amd64");
	w->control_set = ib_xstrdup("ControlSet002");
	w->virtio_os = ib_xstrdup("2k22");
	w->virtio_arch = ib_xstrdup("amd64");
	m->parts.v[0].windows = w;
	return w;
}

static char *to_text(const struct ib_manifest *m)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	assert_non_null(f);
	ib_manifest_print(m, f);
	fclose(f);
	return s;
}

static void test_json_windows(void **state)
{
	(void)state;
	struct ib_manifest *m = sample();
	struct ib_mf_windows *w = add_windows(m);
	char *s = to_json(m);
	assert_non_null(strstr(s, "\"sectors_per_track\":63},\"windows\":{\"root\":\"/Windows\",\"version\":\"10.0\","
				  "\"build\":20348,\"edition\":\"ServerStandard\",\"installation_type\":\"Server Core\","
				  "\"product_name\":\"Windows Server 2022 Standard\",\"arch\":\"amd64\","
				  "\"control_set\":\"ControlSet002\",\"virtio_os\":\"2k22\",\"virtio_arch\":\"amd64\","
				  "\"error\":null},\"files\":["));
	free(s);
	char *t = to_text(m);
	assert_non_null(strstr(t, "\n  Windows at /Windows: Windows Server 2022 Standard, version 10.0 build 20348, "
				  "edition ServerStandard, Server Core, amd64\n"
				  "    control set ControlSet002, virtio-win folders 2k22/amd64\n"
				  "  2 files (3 bytes), 1 directories\n"));
	free(t);

	/* A failed detection: what is known, nulls, and the error. */
	ib_mf_windows_free(w);
	w = ib_xcalloc(1, sizeof(*w));
	w->root = ib_xstrdup("/WINNT");
	w->error = ib_xstrdup("SYSTEM hive at byte 0x1000: bad \"hbin\"");
	m->parts.v[0].windows = w;
	s = to_json(m);
	assert_non_null(strstr(s, "\"windows\":{\"root\":\"/WINNT\",\"version\":null,\"build\":null,\"edition\":null,"
				  "\"installation_type\":null,\"product_name\":null,\"arch\":null,\"control_set\":null,"
				  "\"virtio_os\":null,\"virtio_arch\":null,"
				  "\"error\":\"SYSTEM hive at byte 0x1000: bad \\\"hbin\\\"\"},\"files\":["));
	free(s);
	t = to_text(m);
	assert_non_null(strstr(t, "\n  Windows at /WINNT:\n    detection failed: SYSTEM hive at byte 0x1000: bad \"hbin\"\n"));
	free(t);
	ib_manifest_free(m);
}

static void test_diff_windows(void **state)
{
	(void)state;
	struct ib_manifest *a = sample(), *b = sample();
	struct ib_mf_diff d;
	/* Added (b only), then removed (a only). */
	add_windows(b);
	ib_manifest_diff(a, b, IB_MF_IGNORE_IDS | IB_MF_IGNORE_TIMES, &d);
	assert_int_equal(count(&d), 1);
	assert_string_equal(d.items.v[0].category, "windows");
	assert_int_equal(d.items.v[0].partition, 1);
	assert_int_equal(d.items.v[0].change, IB_MF_ADDED);
	assert_null(d.items.v[0].a);
	assert_string_equal(d.items.v[0].b, "Windows Server 2022 Standard 10.0 build 20348 amd64 at /Windows");
	ib_mf_diff_free(&d);
	ib_manifest_diff(b, a, 0, &d);
	assert_int_equal(count(&d), 1);
	assert_int_equal(d.items.v[0].change, IB_MF_REMOVED);
	assert_non_null(d.items.v[0].a);
	ib_mf_diff_free(&d);
	/* The same on both sides: nothing. */
	add_windows(a);
	ib_manifest_diff(a, b, 0, &d);
	assert_int_equal(count(&d), 0);
	ib_mf_diff_free(&d);
	/* Field by field; an unknown build is absent, an error appears. */
	struct ib_mf_windows *w = b->parts.v[0].windows;
	w->build = 0;
	free(w->control_set);
	w->control_set = ib_xstrdup("ControlSet001");
	w->error = ib_xstrdup("broken");
	ib_manifest_diff(a, b, IB_MF_IGNORE_IDS | IB_MF_IGNORE_TIMES, &d);
	assert_int_equal(count(&d), 3);
	assert_string_equal(d.items.v[0].fields, "build");
	assert_string_equal(d.items.v[0].a, "20348");
	assert_null(d.items.v[0].b);
	assert_string_equal(d.items.v[1].fields, "control_set");
	assert_string_equal(d.items.v[1].b, "ControlSet001");
	assert_string_equal(d.items.v[2].fields, "error");
	assert_null(d.items.v[2].a);
	assert_string_equal(d.items.v[2].b, "broken");
	for (size_t i = 0; i < count(&d); i++) {
		assert_string_equal(d.items.v[i].category, "windows");
		assert_int_equal(d.items.v[i].change, IB_MF_CHANGED);
	}
	ib_mf_diff_free(&d);
	ib_manifest_free(a);
	ib_manifest_free(b);
}

static void test_diff_layout(void **state)
{
	(void)state;
	struct ib_manifest *a = sample(), *b = sample();
	b->virtual_size *= 2;
	b->parts.v[0].end_lba++;
	b->parts.v[0].fs.cluster_size = 512;
	struct ib_mf_part extra = {.number = 2, .start_lba = 5000, .end_lba = 6000, .size = 1001 * 512};
	extra.type_guid = b->parts.v[0].type_guid;
	IB_VEC_PUSH(b->parts, extra);
	struct ib_mf_diff d;
	ib_manifest_diff(a, b, IB_MF_IGNORE_IDS | IB_MF_IGNORE_TIMES, &d);
	assert_int_equal(count(&d), 4);
	assert_string_equal(d.items.v[0].fields, "virtual_size");
	assert_string_equal(d.items.v[1].fields, "end_lba");
	assert_string_equal(d.items.v[1].a, "4095");
	assert_string_equal(d.items.v[1].b, "4096");
	assert_string_equal(d.items.v[2].category, "fs");
	assert_string_equal(d.items.v[2].fields, "cluster_size");
	assert_int_equal(d.items.v[3].change, IB_MF_ADDED);
	assert_int_equal(d.items.v[3].partition, 2);
	assert_non_null(strstr(d.items.v[3].b, "esp, LBA 5000-6000"));
	ib_mf_diff_free(&d);
	ib_manifest_free(a);
	ib_manifest_free(b);
}

static void test_ignore_parse(void **state)
{
	(void)state;
	unsigned bits;
	const char *bad;
	size_t badlen;
	assert_int_equal(ib_mf_ignore_parse("ids,times", &bits, &bad, &badlen), 0);
	assert_int_equal(bits, IB_MF_IGNORE_IDS | IB_MF_IGNORE_TIMES);
	assert_int_equal(ib_mf_ignore_parse("times", &bits, &bad, &badlen), 0);
	assert_int_equal(bits, IB_MF_IGNORE_TIMES);
	assert_int_equal(ib_mf_ignore_parse("ids,guids", &bits, &bad, &badlen), -1);
	assert_int_equal(badlen, 5);
	assert_memory_equal(bad, "guids", 5);
}

static void test_json_top(void **state)
{
	(void)state;
	/* qemu-img 8 nests "format" inside children; only the top level counts. */
	const char *info = "{\n  \"children\": [{\"name\": \"file\", \"info\": {\"format\": \"file\", \"x\": \"}\\\"\"}}],\n"
			   "  \"virtual-size\": 10485760,\n  \"filename\": \"a \\\"b\\\".qcow2\",\n"
			   "  \"format\": \"qcow2\",\n  \"format-specific\": {\"type\": \"qcow2\"}\n}\n";
	char *f = ib_inspect_json_top(info, "format");
	char *v = ib_inspect_json_top(info, "virtual-size");
	char *none = ib_inspect_json_top(info, "type");
	assert_string_equal(f, "qcow2");
	assert_string_equal(v, "10485760");
	assert_null(none);
	free(f);
	free(v);
	assert_null(ib_inspect_json_top("{\"format\": \"raw", "format"));
	assert_null(ib_inspect_json_top("not json", "format"));
}

static void test_probe(void **state)
{
	(void)state;
	uint8_t s[512] = {0};
	assert_int_equal(ib_inspect_probe(s), IB_INSPECT_FS_NONE);
	memcpy(s + 3, "NTFS    ", 8);
	assert_int_equal(ib_inspect_probe(s), IB_INSPECT_FS_NTFS);
	memset(s, 0, sizeof s);
	s[0] = 0xEB;
	s[1] = 0x58;
	s[2] = 0x90;
	ib_put_le16(s + 0x0B, 512);
	s[0x0D] = 8;
	ib_put_le16(s + 0x0E, 32);
	s[0x10] = 2;
	s[0x15] = 0xF8;
	ib_put_le32(s + 0x20, 204800);
	assert_int_equal(ib_inspect_probe(s), IB_INSPECT_FS_FAT);
	s[0x0D] = 3; /* not a power of two */
	assert_int_equal(ib_inspect_probe(s), IB_INSPECT_FS_NONE);
	s[0x0D] = 8;
	s[0] = 0x33; /* MBR code, no jump */
	assert_int_equal(ib_inspect_probe(s), IB_INSPECT_FS_NONE);
}

/* One LFN entry: sequence byte, 13 units of name (already split), checksum. */
static void lfn_entry(uint8_t *e, uint8_t seq, const uint16_t *u13, uint8_t sum)
{
	static const uint8_t at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
	memset(e, 0, 32);
	e[0] = seq;
	e[11] = 0x0F;
	e[13] = sum;
	for (int k = 0; k < 13; k++)
		ib_put_le16(e + at[k], u13[k]);
}

static void test_fat_names(void **state)
{
	(void)state;
	uint8_t sfn[32] = {0};
	memcpy(sfn, "LONGFI~1TXT", 11);
	uint8_t sum = fat_short_sum(sfn);
	/* "Long file.txt" + U+1F600 as a surrogate pair = 15 units: two pieces. */
	const char *ascii = "Long file.txt";
	uint16_t u[26];
	for (int i = 0; i < 26; i++)
		u[i] = 0xFFFF;
	for (int i = 0; i < 13; i++)
		u[i] = (uint16_t)ascii[i];
	u[13] = 0xD83D;
	u[14] = 0xDE00;
	u[15] = 0;
	uint8_t e1[32], e2[32];
	lfn_entry(e2, 0x42, u + 13, sum);
	lfn_entry(e1, 0x01, u, sum);

	struct fat_lfn l = {0};
	fat_lfn_add(&l, e2);
	fat_lfn_add(&l, e1);
	char *name = fat_entry_name(&l, sfn);
	assert_string_equal(name, "Long file.txt\xF0\x9F\x98\x80");
	free(name);

	/* A wrong checksum: the short name counts. */
	lfn_entry(e2, 0x42, u + 13, (uint8_t)(sum + 1));
	lfn_entry(e1, 0x01, u, (uint8_t)(sum + 1));
	fat_lfn_add(&l, e2);
	fat_lfn_add(&l, e1);
	name = fat_entry_name(&l, sfn);
	assert_string_equal(name, "LONGFI~1.TXT");
	free(name);

	/* A missing piece: the short name counts. */
	lfn_entry(e2, 0x42, u + 13, sum);
	fat_lfn_add(&l, e2);
	name = fat_entry_name(&l, sfn);
	assert_string_equal(name, "LONGFI~1.TXT");
	free(name);

	/* NT case flags, 0x05 for 0xE5, code page 437, no extension. */
	uint8_t s2[32] = {0};
	memcpy(s2, "README  TXT", 11);
	s2[12] = 0x08 | 0x10;
	name = fat_entry_name(&l, s2);
	assert_string_equal(name, "readme.txt");
	free(name);
	memcpy(s2, "\x05" "BC\x81     ", 8);
	memcpy(s2 + 8, "   ", 3);
	s2[12] = 0;
	name = fat_entry_name(&l, s2);
	assert_string_equal(name, "\xCF\x83" "BC\xC3\xBC"); /* 0xE5 = σ, 0x81 = ü */
	free(name);

	char *label = fat_label_name((const uint8_t *)"SYSTEM     ");
	assert_string_equal(label, "SYSTEM");
	free(label);
	assert_null(fat_label_name((const uint8_t *)"           "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_exact), cmocka_unit_test(test_json_mbr),
		cmocka_unit_test(test_time_format), cmocka_unit_test(test_diff_same),
		cmocka_unit_test(test_diff_ids),    cmocka_unit_test(test_diff_files),
		cmocka_unit_test(test_diff_layout), cmocka_unit_test(test_ignore_parse),
		cmocka_unit_test(test_json_top),    cmocka_unit_test(test_probe),
		cmocka_unit_test(test_fat_names),   cmocka_unit_test(test_json_windows),
		cmocka_unit_test(test_diff_windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
