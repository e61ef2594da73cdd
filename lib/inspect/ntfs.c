// SPDX-License-Identifier: GPL-2.0-or-later
/* Listing an NTFS volume: the boot sector is checked here first (so nonsense
 * is reported with its byte offset rather than as libntfs-3g's EINVAL), then
 * libntfs-3g opens the volume read-only through the offset device and the
 * tree is walked from the root. What an ntfs-3g mount shows is what is
 * listed: the metafiles (MFT records below 16) and DOS 8.3 aliases are left
 * out; a file's size and sha256 are those of its unnamed data stream, its
 * mtime the standard information's data-change time (100 ns units). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>

#include "fs/ntfs3g_compat.h"
#include "fs/fs.h"
#include "core/blkio.h"
#include "core/undo.h"
#include "vol/ntfs3g_device.h"
#include "inspect.h"

#define READ_CHUNK (1u << 20)
#define MAX_DEPTH 512

struct walk {
	const struct ib_inspect_vol *v;
	ntfs_volume *vol;
	struct ib_mf_part *p;
	uint8_t *visited; /* directories seen, by MFT record number */
	uint64_t nrecords;
	uint8_t *buf;
	struct ib_error *err;
};

static bool pow2(uint64_t v) { return v && !(v & (v - 1)); }

/* Boot sector checks; every message names the field's byte offset. */
static int check_boot(const struct ib_inspect_vol *v, const uint8_t *b, struct ib_mf_fs *fs, struct ib_error *err)
{
	uint64_t o = v->offset;
	unsigned n = v->number;
#define BAD(field_off, fmt, ...)                                                                 \
	ib_fail(err, IB_EXIT_INPUT, "NTFS boot sector of partition %u at byte %" PRIu64 ": " fmt, n, \
		o + (field_off), __VA_ARGS__)
	uint32_t bps = ib_get_le16(b + 0x0B);
	if (bps < 256 || bps > 4096 || !pow2(bps))
		return BAD(0x0B, "bytes per sector is %" PRIu32 ", expected a power of two from 256 to 4096", bps);
	uint8_t spc = b[0x0D];
	uint64_t cluster;
	if (spc <= 0x80 && pow2(spc))
		cluster = (uint64_t)bps * spc;
	else if (spc > 0x80 && 256 - spc <= 12) /* 2^(256 - x) sectors: clusters above 64 KiB */
		cluster = (uint64_t)bps << (256 - spc);
	else
		return BAD(0x0D, "sectors per cluster is 0x%02X, not a power of two", spc);
	if (cluster > 2u * 1024 * 1024)
		return BAD(0x0D, "clusters of %" PRIu64 " bytes are larger than NTFS allows (2 MiB)", cluster);
	uint16_t spt = ib_get_le16(b + 0x18), heads = ib_get_le16(b + 0x1A);
	if (spt > 63)
		return BAD(0x18, "sectors per track is %u, expected 0 to 63", spt);
	if (heads > 256)
		return BAD(0x1A, "number of heads is %u, expected 0 to 256", heads);
	uint64_t total = ib_get_le64(b + 0x28);
	if (total == 0 || total > v->size / bps)
		return BAD(0x28, "total sectors is %" PRIu64 " (of %" PRIu32 " bytes), the partition holds %" PRIu64, total,
			   bps, v->size / bps);
	uint64_t clusters = total * bps / cluster;
	uint64_t mft = ib_get_le64(b + 0x30), mirr = ib_get_le64(b + 0x38);
	if (mft == 0 || mft >= clusters)
		return BAD(0x30, "$MFT at cluster %" PRIu64 " is outside the volume of %" PRIu64 " clusters", mft, clusters);
	if (mirr == 0 || mirr >= clusters)
		return BAD(0x38, "$MFTMirr at cluster %" PRIu64 " is outside the volume of %" PRIu64 " clusters", mirr,
			   clusters);
	for (int k = 0; k < 2; k++) {
		unsigned at = k ? 0x44 : 0x40;
		int8_t c = (int8_t)b[at];
		uint64_t rec = c > 0 ? cluster * (uint64_t)c : c < 0 && c >= -31 ? 1ull << -c : 0;
		if (rec < 256 || rec > 65536 || !pow2(rec))
			return BAD(at, "%s record size byte is 0x%02X (%" PRIu64 " bytes), expected 256 to 65536",
				   k ? "index" : "MFT", b[at], rec);
	}
	if (b[510] != 0x55 || b[511] != 0xAA)
		return BAD(510, "signature is 0x%02X%02X, expected 0x55AA", b[510], b[511]);
#undef BAD
	snprintf(fs->type, sizeof fs->type, "ntfs");
	fs->sector_size = bps;
	fs->cluster_size = (uint32_t)cluster;
	fs->hidden_sectors = ib_get_le32(b + 0x1C);
	fs->heads = heads;
	fs->sectors_per_track = spt;
	fs->serial = ib_xasprintf("%016" PRIX64, ib_get_le64(b + IB_NTFS_BS_SERIAL));
	return 0;
}

static struct ib_mf_time ntfs_mtime(ntfs_time t)
{
	/* 100 ns units since 1601 -> Unix seconds (floor) and nanoseconds. */
	int64_t u = (int64_t)sle64_to_cpu(t) - NTFS_TIME_OFFSET;
	int64_t sec = u / 10000000, rem = u % 10000000;
	if (rem < 0) {
		rem += 10000000;
		sec--;
	}
	return (struct ib_mf_time){.sec = sec, .nsec = (uint32_t)rem * 100};
}

static int hash_data(struct walk *w, ntfs_inode *ni, const char *path, uint64_t *size, uint8_t sha[32])
{
	*size = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return ib_fail(w->err, IB_EXIT_FAIL, "sha256 is not available from libcrypto");
	}
	int rc = 0;
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na && errno != ENOENT) { /* no unnamed data: an empty file */
		rc = ib_fail(w->err, IB_EXIT_INPUT, "NTFS partition %u: %s: cannot open its data: %s", w->v->number,
			     path, strerror(errno));
	} else if (na) {
		*size = (uint64_t)na->data_size;
		for (uint64_t pos = 0; pos < *size && !rc;) {
			if (ib_interrupted()) {
				rc = ib_fail(w->err, IB_EXIT_FAIL, "reading %s: interrupted", path);
				break;
			}
			s64 want = (s64)(*size - pos < READ_CHUNK ? *size - pos : READ_CHUNK);
			s64 got = ntfs_attr_pread(na, (s64)pos, want, w->buf);
			if (got <= 0) {
				rc = ib_fail(w->err, IB_EXIT_INPUT,
					     "NTFS partition %u: %s: cannot read bytes %" PRIu64 "-%" PRIu64 ": %s", w->v->number,
					     path, pos, pos + (uint64_t)want - 1, got < 0 ? strerror(errno) : "unexpected end");
				break;
			}
			EVP_DigestUpdate(ctx, w->buf, (size_t)got);
			pos += (uint64_t)got;
		}
		ntfs_attr_close(na);
	}
	if (!rc)
		EVP_DigestFinal_ex(ctx, sha, NULL);
	EVP_MD_CTX_free(ctx);
	return rc;
}

struct dirent_rec {
	char *name; /* UTF-8 */
	uint64_t mref;
};

struct dirlist {
	IB_VEC(struct dirent_rec) v;
	int bad_errno; /* a name that does not convert */
};

static int collect(void *ctx, const ntfschar *name, const int name_len, const int name_type, const s64 pos,
		   const MFT_REF mref, const unsigned dt_type)
{
	(void)pos;
	(void)dt_type;
	struct dirlist *l = ctx;
	if (name_type == FILE_NAME_DOS || MREF(mref) < FILE_first_user)
		return 0;
	char *s = NULL;
	if (ntfs_ucstombs(name, name_len, &s, 0) < 0) {
		l->bad_errno = errno ? errno : EILSEQ;
		return 0;
	}
	if (!strcmp(s, ".") || !strcmp(s, "..")) {
		free(s);
		return 0;
	}
	struct dirent_rec r = {.name = s, .mref = (uint64_t)mref};
	IB_VEC_PUSH(l->v, r);
	return 0;
}

static int walk_dir(struct walk *w, ntfs_inode *dir, const char *dpath, int depth);

static int visit(struct walk *w, const char *dpath, const struct dirent_rec *e, int depth)
{
	if (ib_interrupted())
		return ib_fail(w->err, IB_EXIT_FAIL, "reading %s: interrupted", *dpath ? dpath : "/");
	char *path = ib_xasprintf("%s/%s", dpath, e->name);
	uint64_t rec = MREF(e->mref);
	ntfs_inode *ni = ntfs_inode_open(w->vol, rec);
	if (!ni) {
		int er = errno;
		ib_fail(w->err, IB_EXIT_INPUT, "NTFS partition %u: %s: cannot read MFT record %" PRIu64 ": %s",
			w->v->number, path, rec, strerror(er));
		free(path);
		return -1;
	}
	struct ib_mf_time mt = ntfs_mtime(ni->last_data_change_time);
	int rc;
	if (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) {
		ib_inspect_add(w->p, ib_xstrdup(path), true, 0, &mt, NULL);
		rc = walk_dir(w, ni, path, depth + 1);
	} else {
		uint64_t size;
		uint8_t sha[32];
		rc = hash_data(w, ni, path, &size, sha);
		if (!rc)
			ib_inspect_add(w->p, ib_xstrdup(path), false, size, &mt, sha);
	}
	ntfs_inode_close(ni);
	free(path);
	return rc;
}

static int walk_dir(struct walk *w, ntfs_inode *dir, const char *dpath, int depth)
{
	uint64_t rec = dir->mft_no;
	const char *shown = *dpath ? dpath : "/";
	if (rec < w->nrecords) {
		if (w->visited[rec / 8] & (1u << (rec % 8)))
			return ib_fail(w->err, IB_EXIT_INPUT,
				       "NTFS partition %u: directory %s (MFT record %" PRIu64 ") is its own ancestor", w->v->number,
				       shown, rec);
		w->visited[rec / 8] |= (uint8_t)(1u << (rec % 8));
	}
	if (depth > MAX_DEPTH)
		return ib_fail(w->err, IB_EXIT_INPUT, "NTFS partition %u: %s: directories nested deeper than %d",
			       w->v->number, shown, MAX_DEPTH);
	struct dirlist l = {0};
	s64 pos = 0;
	int rc = 0;
	if (ntfs_readdir(dir, &pos, &l, collect) < 0)
		rc = ib_fail(w->err, IB_EXIT_INPUT, "NTFS partition %u: cannot read directory %s: %s", w->v->number,
			     shown, strerror(errno));
	else if (l.bad_errno)
		rc = ib_fail(w->err, IB_EXIT_INPUT, "NTFS partition %u: directory %s holds a name that is not valid UTF-16: %s",
			     w->v->number, shown, strerror(l.bad_errno));
	for (size_t i = 0; i < l.v.n && !rc; i++)
		rc = visit(w, dpath, &l.v.v[i], depth);
	for (size_t i = 0; i < l.v.n; i++)
		free(l.v.v[i].name);
	free(l.v.v);
	return rc;
}

static const char *mount_error(int e)
{
	switch (e) {
	case EINVAL:
		return "not a valid NTFS filesystem";
	case EOPNOTSUPP:
		return "the NTFS journal is unclean";
	case EIO:
		return "the filesystem is damaged (an I/O error reading its metadata)";
	default:
		return strerror(e);
	}
}

int ib_inspect_ntfs(const struct ib_inspect_vol *v, struct ib_mf_part *p, struct ib_error *err)
{
	uint8_t boot[512];
	int r = ib_blk_pread(v->blk, boot, sizeof boot, v->offset);
	if (r < 0)
		return ib_fail(err, IB_EXIT_INPUT, "NTFS boot sector of partition %u at byte %" PRIu64 ": cannot read: %s",
			       v->number, v->offset, strerror(-r));
	if (check_boot(v, boot, &p->fs, err) < 0) {
		free(p->fs.serial);
		p->fs.serial = NULL;
		return -1;
	}
	p->has_fs = true;

	struct ib_ntfs3g_io io = {.offset = v->offset, .size = v->size, .sector_size = v->sector_size};
	ntfs_set_char_encoding("utf8");
	struct ntfs_device *dev = ib_ntfs3g_device_new(v->path, &io);
	if (!dev)
		return ib_fail_errno(err, -errno, "NTFS partition %u: cannot set up a device", v->number);
	ntfs_volume *vol = ntfs_device_mount(dev, NTFS_MNT_RDONLY);
	if (!vol) {
		int e = errno;
		ntfs_device_free(dev);
		return ib_fail(err, IB_EXIT_INPUT,
			       "NTFS filesystem of partition %u at byte %" PRIu64 ": libntfs-3g cannot open it: %s", v->number,
			       v->offset, mount_error(e));
	}
	if (vol->vol_name && *vol->vol_name)
		p->fs.label = ib_xstrdup(vol->vol_name);

	struct walk w = {.v = v, .vol = vol, .p = p, .err = err};
	w.nrecords = vol->mft_na ? (uint64_t)vol->mft_na->initialized_size >> vol->mft_record_size_bits : 0;
	w.visited = ib_xcalloc(w.nrecords / 8 + 1, 1);
	w.buf = ib_xmalloc(READ_CHUNK);
	int rc = 0;
	ntfs_inode *root = ntfs_inode_open(vol, FILE_root);
	if (!root) {
		rc = ib_fail(err, IB_EXIT_INPUT, "NTFS partition %u: cannot open the root directory: %s", v->number,
			     strerror(errno));
	} else {
		rc = walk_dir(&w, root, "", 0);
		ntfs_inode_close(root);
	}
	free(w.visited);
	free(w.buf);
	ntfs_umount(vol, FALSE);
	return rc;
}
