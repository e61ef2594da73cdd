// SPDX-License-Identifier: GPL-2.0-or-later
/* Patching what qemu-img convert makes random or run-dependent, measured with
 * qemu-img 7.2 by converting one raw image twice and comparing the results
 * byte for byte (tests/unit/test_repro.c does it for every format):
 *  - qcow2: nothing; the same raw image gives the same file.
 *  - vmdk (monolithicSparse, streamOptimized): the embedded descriptor's CID
 *    (random) and its extent line, which names the file qemu-img wrote: our
 *    temporary name, with the process id in it.
 *  - vhdx: FileWriteGuid, DataWriteGuid and the sequence number in both
 *    headers (random, under a CRC-32C), the page 83 data item in the metadata region (a random
 *    virtual disk id), and the log region: qemu logs its metadata updates,
 *    with a random log GUID and uninitialised padding in the entries.
 *  - vpc: the footer's UUID and time stamp (the time of the run), under a
 *    checksum; dynamic disks carry the footer twice (start and end).
 * Identifiers come from the plan's ids (derived from the seed); times from
 * the epoch. */
#include "repro_output.h"
#include "plan/repro.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/guid.h"
#include "core/util.h"

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* ---- VMDK ---- */

/* Sparse extent header (both subformats put it at offset 0): "KDMV", then
 * descriptorOffset (u64 LE, sectors) at 28 and descriptorSize (u64 LE,
 * sectors) at 36. The descriptor is NUL-padded text in that region;
 * nothing checksums it. */
#define VMDK_MAGIC "KDMV"
#define VMDK_DESC_OFFSET 28
#define VMDK_DESC_SIZE 36
#define VMDK_DESC_MAX (UINT64_C(1) << 20)

/* The descriptor with CID (when asked) and the extent's file name
 * replaced; NULL if it does not have the shape qemu-img writes. */
static char *vmdk_descriptor(const char *text, const struct ib_repro_output *ro)
{
	struct ib_buf b = {0};
	bool extent = false;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *q1 = memchr(line, '"', len);
		const char *q2 = q1 ? memchr(q1 + 1, '"', len - (size_t)(q1 + 1 - line)) : NULL;
		if (ro->reproducible && len >= 4 && !strncmp(line, "CID=", 4)) {
			/* The content id: qemu-img picks a random one; keep the 8
			 * hex digits it usually has. */
			ib_buf_printf(&b, "CID=%08" PRIx32, ib_ids_u32(ro->ids, "vmdk-cid"));
		} else if (!extent && len > 3 && !strncmp(line, "RW ", 3) && q1 && q2) {
			/* `RW <sectors> SPARSE "<file name>"`: the file is the
			 * extent itself, named as qemu-img saw it. */
			ib_buf_append(&b, line, (size_t)(q1 + 1 - line));
			ib_buf_puts(&b, ro->final_name);
			ib_buf_append(&b, q2, len - (size_t)(q2 - line));
			extent = true;
		} else {
			ib_buf_append(&b, line, len);
		}
		if (nl)
			ib_buf_puts(&b, "\n");
		line = nl ? nl + 1 : line + len;
	}
	if (!extent) {
		ib_buf_free(&b);
		return NULL;
	}
	return ib_buf_steal(&b);
}

static int patch_vmdk(int fd, const char *path, const struct ib_repro_output *ro, struct ib_error *err)
{
	uint8_t h[512];
	int r = ib_pread_all(fd, h, sizeof h, 0);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read the VMDK header of '%s'", path);
	uint64_t off = ib_get_le64(h + VMDK_DESC_OFFSET) * 512, size = ib_get_le64(h + VMDK_DESC_SIZE) * 512;
	if (memcmp(h, VMDK_MAGIC, 4) || !off || !size || size > VMDK_DESC_MAX)
		return ib_fail(err, IB_EXIT_FAIL, "'%s' has no embedded VMDK descriptor where expected", path);
	_cleanup_free_ char *text = ib_xcalloc(1, size + 1);
	if ((r = ib_pread_all(fd, text, size, off)) < 0)
		return ib_fail_errno(err, r, "cannot read the VMDK descriptor of '%s'", path);
	_cleanup_free_ char *desc = vmdk_descriptor(text, ro);
	if (!desc || strlen(desc) >= size)
		return ib_fail(err, IB_EXIT_FAIL, "the VMDK descriptor of '%s' %s", path,
			       desc ? "has no room for the output's name" : "has no extent line");
	/* The whole region: the new text, then NULs to its end. */
	memset(text, 0, size);
	memcpy(text, desc, strlen(desc));
	if ((r = ib_pwrite_all(fd, text, size, off)) < 0)
		return ib_fail_errno(err, r, "cannot write the VMDK descriptor of '%s'", path);
	return 0;
}

/* ---- VHDX ---- */

/* Layout (MS-VHDX 2.0): two 4 KiB headers at 64 KiB and 128 KiB, two region
 * tables at 192 KiB and 256 KiB. */
#define VHDX_HEADER1 (UINT64_C(64) << 10)
#define VHDX_HEADER2 (UINT64_C(128) << 10)
#define VHDX_REGION_TABLE (UINT64_C(192) << 10)
#define VHDX_BLOCK 4096
#define VHDX_TABLE (64 << 10) /* region table, metadata table */
/* Header fields: signature "head", Checksum (CRC-32C over the 4 KiB with the
 * field zero) at 4, SequenceNumber (u64) at 8, FileWriteGuid at 16, DataWriteGuid at 32, LogGuid at
 * 48, LogLength (u32) at 68, LogOffset (u64) at 72. */
#define VHDX_H_CSUM 4
#define VHDX_H_SEQ 8
#define VHDX_H_FILE_GUID 16
#define VHDX_H_DATA_GUID 32
#define VHDX_H_LOG_GUID 48
#define VHDX_H_LOG_LEN 68
#define VHDX_H_LOG_OFF 72
/* Region table: "regi", checksum, EntryCount (u32) at 8, entries of 32
 * bytes from 16: Guid, FileOffset (u64) at 16, Length (u32) at 24. */
#define VHDX_METADATA_REGION "8B7CA206-4790-4B9A-B8FE-575F050F886E"
/* Metadata table: "metadata", EntryCount (u16) at 10, entries of 32 bytes
 * from 32: ItemId, Offset (u32, from the region start) at 16, Length at 20. */
#define VHDX_PAGE83 "BECA12AB-B2E6-4523-93EF-C309E000C746"

static int vhdx_read_header(int fd, uint64_t at, uint8_t h[VHDX_BLOCK], const char *path, struct ib_error *err)
{
	int r = ib_pread_all(fd, h, VHDX_BLOCK, at);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read the VHDX header at %" PRIu64 " of '%s'", at, path);
	uint32_t sum = ib_get_le32(h + VHDX_H_CSUM);
	ib_put_le32(h + VHDX_H_CSUM, 0);
	if (memcmp(h, "head", 4) || ib_crc32c(0, h, VHDX_BLOCK) != sum)
		return ib_fail(err, IB_EXIT_FAIL, "'%s' has no valid VHDX header at %" PRIu64, path, at);
	/* A non-zero LogGuid means the log holds updates not yet applied:
	 * then the log is part of the data and must not be touched. */
	struct ib_guid g;
	memcpy(g.b, h + VHDX_H_LOG_GUID, 16);
	if (!ib_guid_is_zero(&g))
		return ib_fail(err, IB_EXIT_FAIL, "the VHDX log of '%s' is active (LogGuid is set)", path);
	return 0;
}

/* Both headers: the GUIDs from the seed; the sequence numbers (qemu starts
 * them at a random 32-bit value; the header with the larger one is the
 * current) moved to a derived start, keeping their difference. */
static int vhdx_headers(int fd, const struct ib_repro_output *ro, uint64_t *log_off, uint32_t *log_len,
			const char *path, struct ib_error *err)
{
	uint8_t h[2][VHDX_BLOCK];
	const uint64_t at[2] = {VHDX_HEADER1, VHDX_HEADER2};
	for (int i = 0; i < 2; i++)
		if (vhdx_read_header(fd, at[i], h[i], path, err) < 0)
			return -1;
	*log_len = ib_get_le32(h[0] + VHDX_H_LOG_LEN);
	*log_off = ib_get_le64(h[0] + VHDX_H_LOG_OFF);
	if (*log_len != ib_get_le32(h[1] + VHDX_H_LOG_LEN) || *log_off != ib_get_le64(h[1] + VHDX_H_LOG_OFF))
		return ib_fail(err, IB_EXIT_FAIL, "the two VHDX headers of '%s' place the log differently", path);
	uint64_t s0 = ib_get_le64(h[0] + VHDX_H_SEQ), s1 = ib_get_le64(h[1] + VHDX_H_SEQ);
	uint64_t low = s0 < s1 ? s0 : s1, base = ib_ids_u32(ro->ids, "vhdx-sequence-number");
	struct ib_guid file_guid, data_guid;
	ib_ids_guid(ro->ids, "vhdx-file-write-guid", &file_guid);
	ib_ids_guid(ro->ids, "vhdx-data-write-guid", &data_guid);
	for (int i = 0; i < 2; i++) {
		ib_put_le64(h[i] + VHDX_H_SEQ, base + (ib_get_le64(h[i] + VHDX_H_SEQ) - low));
		memcpy(h[i] + VHDX_H_FILE_GUID, file_guid.b, 16);
		memcpy(h[i] + VHDX_H_DATA_GUID, data_guid.b, 16);
		ib_put_le32(h[i] + VHDX_H_CSUM, ib_crc32c(0, h[i], VHDX_BLOCK));
		int r = ib_pwrite_all(fd, h[i], VHDX_BLOCK, at[i]);
		if (r < 0)
			return ib_fail_errno(err, r, "cannot write the VHDX header of '%s'", path);
	}
	return 0;
}

/* Where the metadata region is, from the (first) region table. */
static int vhdx_metadata_region(int fd, uint64_t *off, uint32_t *len, const char *path, struct ib_error *err)
{
	_cleanup_free_ uint8_t *t = ib_xmalloc(VHDX_TABLE);
	int r = ib_pread_all(fd, t, VHDX_TABLE, VHDX_REGION_TABLE);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read the VHDX region table of '%s'", path);
	uint32_t sum = ib_get_le32(t + 4);
	ib_put_le32(t + 4, 0);
	uint32_t n = ib_get_le32(t + 8);
	if (memcmp(t, "regi", 4) || ib_crc32c(0, t, VHDX_TABLE) != sum || n > 2047)
		return ib_fail(err, IB_EXIT_FAIL, "'%s' has no valid VHDX region table", path);
	struct ib_guid want;
	ib_guid_parse(VHDX_METADATA_REGION, &want);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = t + 16 + 32 * i;
		if (!memcmp(e, want.b, 16)) {
			*off = ib_get_le64(e + 16);
			*len = ib_get_le32(e + 24);
			return 0;
		}
	}
	return ib_fail(err, IB_EXIT_FAIL, "'%s' has no VHDX metadata region", path);
}

static int vhdx_page83(int fd, const struct ib_repro_output *ro, const char *path, struct ib_error *err)
{
	uint64_t moff = 0;
	uint32_t mlen = 0;
	if (vhdx_metadata_region(fd, &moff, &mlen, path, err) < 0)
		return -1;
	/* The metadata table is the region's first 64 KiB. */
	_cleanup_free_ uint8_t *t = ib_xmalloc(VHDX_TABLE);
	int r = ib_pread_all(fd, t, VHDX_TABLE, moff);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read the VHDX metadata table of '%s'", path);
	uint16_t n = ib_get_le16(t + 10);
	if (memcmp(t, "metadata", 8) || n > 2047)
		return ib_fail(err, IB_EXIT_FAIL, "'%s' has no valid VHDX metadata table", path);
	struct ib_guid want, g;
	ib_guid_parse(VHDX_PAGE83, &want);
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *e = t + 32 + 32 * i;
		if (memcmp(e, want.b, 16))
			continue;
		uint32_t ioff = ib_get_le32(e + 16), ilen = ib_get_le32(e + 20);
		if (ilen != 16 || mlen < VHDX_TABLE + 16 || ioff < VHDX_TABLE || ioff > mlen - 16)
			return ib_fail(err, IB_EXIT_FAIL, "the VHDX page 83 data of '%s' is malformed", path);
		ib_ids_guid(ro->ids, "vhdx-page83-data", &g);
		if ((r = ib_pwrite_all(fd, g.b, 16, moff + ioff)) < 0)
			return ib_fail_errno(err, r, "cannot write the VHDX page 83 data of '%s'", path);
		return 0;
	}
	return 0; /* optional item: nothing to patch */
}

/* Zero the log: with LogGuid zero in the header no reader replays it
 * (MS-VHDX 2.3.3), and an empty log is what a fresh file has. Holes where
 * the filesystem can punch them, zeros written otherwise. */
static int vhdx_clear_log(int fd, uint64_t off, uint32_t len, const char *path, struct ib_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ib_fail_errno(err, -errno, "cannot stat '%s'", path);
	if (!len || off < VHDX_REGION_TABLE || off + len > (uint64_t)st.st_size)
		return ib_fail(err, IB_EXIT_FAIL, "the VHDX log of '%s' lies outside the file", path);
#ifdef FALLOC_FL_PUNCH_HOLE
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
#endif
	_cleanup_free_ uint8_t *zero = ib_xcalloc(1, 1 << 16);
	for (uint64_t o = 0; o < len; o += 1 << 16) {
		size_t n = len - o < (1 << 16) ? (size_t)(len - o) : (size_t)1 << 16;
		int r = ib_pwrite_all(fd, zero, n, off + o);
		if (r < 0)
			return ib_fail_errno(err, r, "cannot clear the VHDX log of '%s'", path);
	}
	return 0;
}

static int patch_vhdx(int fd, const char *path, const struct ib_repro_output *ro, struct ib_error *err)
{
	uint64_t log_off = 0;
	uint32_t log_len = 0;
	if (vhdx_headers(fd, ro, &log_off, &log_len, path, err) < 0 || vhdx_page83(fd, ro, path, err) < 0)
		return -1;
	return vhdx_clear_log(fd, log_off, log_len, path, err);
}

/* ---- VPC (VHD) ---- */

/* Footer (VHD spec, big-endian): "conectix", Timestamp (u32, seconds since
 * 2000-01-01 UTC) at 24, Checksum (one's complement of the byte sum of the
 * footer without this field) at 64, UniqueId at 68. The dynamic header (at
 * 512 in a dynamic disk) holds no identifier or time of its own: its parent
 * fields are zero. */
#define VHD_FOOTER 512
#define VHD_TIMESTAMP 24
#define VHD_DISK_TYPE 60 /* u32: 2 fixed, 3 dynamic, 4 differencing */
#define VHD_TYPE_FIXED 2
#define VHD_CHECKSUM 64
#define VHD_UUID 68

static uint32_t vhd_checksum(const uint8_t *f)
{
	uint32_t sum = 0;
	for (int i = 0; i < VHD_FOOTER; i++)
		if (i < VHD_CHECKSUM || i >= VHD_CHECKSUM + 4)
			sum += f[i];
	return ~sum;
}

static int vhd_footer(int fd, uint64_t at, const struct ib_repro_output *ro, const char *path, struct ib_error *err)
{
	uint8_t f[VHD_FOOTER];
	int r = ib_pread_all(fd, f, sizeof f, at);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read the VHD footer of '%s'", path);
	if (memcmp(f, "conectix", 8) || get_be32(f + VHD_CHECKSUM) != vhd_checksum(f))
		return ib_fail(err, IB_EXIT_FAIL, "'%s' has no valid VHD footer at %" PRIu64, path, at);
	int64_t t = ro->epoch - IB_VHD_EPOCH;
	put_be32(f + VHD_TIMESTAMP, t < 0 ? 0 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t);
	struct ib_guid g;
	ib_ids_guid(ro->ids, "vpc-unique-id", &g);
	memcpy(f + VHD_UUID, g.b, 16);
	put_be32(f + VHD_CHECKSUM, vhd_checksum(f));
	if ((r = ib_pwrite_all(fd, f, sizeof f, at)) < 0)
		return ib_fail_errno(err, r, "cannot write the VHD footer of '%s'", path);
	return 0;
}

static int patch_vpc(int fd, const char *path, const struct ib_repro_output *ro, struct ib_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ib_fail_errno(err, -errno, "cannot stat '%s'", path);
	if ((uint64_t)st.st_size < 2 * VHD_FOOTER)
		return ib_fail(err, IB_EXIT_FAIL, "'%s' is too short for a VHD", path);
	uint64_t end = (uint64_t)st.st_size - VHD_FOOTER;
	if (vhd_footer(fd, end, ro, path, err) < 0)
		return -1;
	/* A dynamic (or differencing) disk starts with a copy of the footer; a
	 * fixed one with the disk's data, which must not be touched. */
	uint8_t type[4];
	int r = ib_pread_all(fd, type, sizeof type, end + VHD_DISK_TYPE);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read '%s'", path);
	return get_be32(type) == VHD_TYPE_FIXED ? 0 : vhd_footer(fd, 0, ro, path, err);
}

int ib_repro_patch_output(enum ib_out_format format, const char *path, const struct ib_repro_output *ro,
			  struct ib_error *err)
{
	if (format != IB_OUT_VMDK && (!ro->reproducible || (format != IB_OUT_VHDX && format != IB_OUT_VPC)))
		return 0;
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot open '%s'", path);
	switch (format) {
	case IB_OUT_VMDK: return patch_vmdk(fd, path, ro, err);
	case IB_OUT_VHDX: return patch_vhdx(fd, path, ro, err);
	case IB_OUT_VPC: return patch_vpc(fd, path, ro, err);
	default: return 0;
	}
}
