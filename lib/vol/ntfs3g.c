// SPDX-License-Identifier: GPL-2.0-or-later
/* The default NTFS backend: libntfs-3g opens the volume inside the image
 * through the offset device, and file data is written once, straight into
 * the image. No root, no loop device, no FUSE.
 *
 * Names are UTF-8 (libntfs-3g converts them to UTF-16); names Windows cannot
 * use (reserved names, \ : * ? " < > |, control characters, a trailing dot
 * or space) are refused. New files and directories get libntfs-3g's default
 * security descriptor, the one an ntfs-3g mount without a user mapping gives:
 * Everyone has full control. All four NTFS times (creation, data change, MFT
 * change, access) are set to the given mtime, in the standard information,
 * in the file-name attribute and in the parent directory's index entry.
 * libntfs-3g leaves a directory's times alone when entries are added to it
 * (the ntfs-3g FUSE layer is what updates them), so the times mkdir sets
 * hold without being re-applied at close (the tests check this). */
#include "vol.h"
#include "ntfs3g.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/ntfs3g_compat.h"
#include "plan/repro.h"
#include "fs/names.h"
#include "core/undo.h"
#include "core/util.h"
#include "ntfs3g_device.h"
#include "ntfs3g_names.h"

#define WRITE_CHUNK (1u << 20)

struct ib_vol {
	struct ib_ntfs3g_io io; /* the device's state; lives as long as the volume */
	ntfs_volume *vol;       /* owns the device: ntfs_umount frees it */
	uint8_t *buf;
};

static void vol_free(struct ib_vol *v)
{
	free(v->buf);
	free(v);
}

static int vol_open(struct ib_vol **out, const struct ib_vol_target *t, struct ib_error *err)
{
	*out = NULL;
	struct ib_vol *v = ib_xcalloc(1, sizeof(*v));
	v->io.blk = NULL;
	if (ib_ntfs3g_mount(t, false, &v->io, &v->vol, err) < 0) {
		vol_free(v);
		return -1;
	}
	v->buf = ib_xmalloc(WRITE_CHUNK);
	*out = v;
	return 0;
}

static int name_fail(struct ib_error *err, const char *what, const char *path, int e)
{
	if (e == EINVAL)
		return ib_fail(err, IB_EXIT_FAIL,
			       "ntfs: cannot %s %s: not a valid Windows name (reserved name, one of \\ : * ? \" < > | "
			       "or a control character, or a trailing dot or space)",
			       what, path);
	if (e == EILSEQ)
		return ib_fail(err, IB_EXIT_FAIL, "ntfs: cannot %s %s: the name is not valid UTF-8", what, path);
	return ib_fail_errno(err, -e, "ntfs: cannot %s %s", what, path);
}

static bool is_dir(const ntfs_inode *ni) { return ni->mrec->flags & MFT_RECORD_IS_DIRECTORY; }

/* Close ni (syncing its index entry in dir) and then dir; the first error wins. */
static int close_pair(ntfs_inode *ni, ntfs_inode *dir)
{
	int r = 0, e = 0;
	if (ni && (dir ? ntfs_inode_close_in_dir(ni, dir) : ntfs_inode_close(ni)) < 0) {
		r = -1;
		e = errno;
	}
	if (dir && ntfs_inode_close(dir) < 0 && !r) {
		r = -1;
		e = errno;
	}
	errno = e;
	return r;
}

/* mkdir -p, one component at a time from the root, each parent kept open
 * while its child is created or opened. */
static int vol_mkdir(struct ib_vol *v, const char *path, const struct timespec *mtime, struct ib_error *err)
{
	if (ib_names_check_path(&ib_ntfs_name_rules, path, err) < 0)
		return -1;
	ntfs_inode *parent = NULL;
	ntfs_inode *cur = ntfs_inode_open(v->vol, FILE_root);
	if (!cur)
		return ib_fail_errno(err, -errno, "ntfs: cannot open the root directory");

	_cleanup_free_ char *copy = ib_xstrdup(path);
	for (char *save = NULL, *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		size_t plen = (size_t)(comp - copy) + strlen(comp);
		_cleanup_free_ char *sofar = ib_xstrndup(path, plen);
		ntfschar *uname = NULL;
		int ulen = ib_ntfs_windows_name(v->vol, comp, &uname);
		if (ulen < 0) {
			int e = errno;
			close_pair(cur, parent);
			return name_fail(err, "create directory", sofar, e);
		}
		ntfs_inode *child = NULL;
		u64 mref = ntfs_inode_lookup_by_name(cur, uname, ulen);
		if (mref != (u64)-1 && MREF(mref) < FILE_first_user) {
			errno = EPERM; /* a metadata file: never written through here */
		} else if (mref != (u64)-1) {
			child = ntfs_inode_open(v->vol, MREF(mref));
			if (child && !is_dir(child)) {
				ntfs_inode_close(child);
				child = NULL;
				errno = ENOTDIR;
			}
		} else if (errno == ENOENT) {
			child = ntfs_create(cur, const_cpu_to_le32(0), uname, (u8)ulen, S_IFDIR);
		}
		free(uname);
		if (!child) {
			int e = errno;
			close_pair(cur, parent);
			return ib_fail_errno(err, -e, "ntfs: cannot create directory %s", sofar);
		}
		if (parent && ntfs_inode_close(parent) < 0) {
			int e = errno;
			close_pair(child, cur);
			return ib_fail_errno(err, -e, "ntfs: cannot create directory %s", sofar);
		}
		parent = cur;
		cur = child;
	}

	if (ib_ntfs_set_times(cur, mtime) < 0) {
		int e = errno;
		close_pair(cur, parent);
		return ib_fail_errno(err, -e, "ntfs: cannot set the times of %s", path);
	}
	if (close_pair(cur, parent) < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot create directory %s", path);
	return 0;
}

/* Open the regular file name in dir, emptied, or create it. */
static ntfs_inode *create_or_empty(ntfs_inode *dir, const ntfschar *uname, int ulen)
{
	u64 mref = ntfs_inode_lookup_by_name(dir, uname, ulen);
	if (mref == (u64)-1)
		return errno == ENOENT ? ntfs_create(dir, const_cpu_to_le32(0), uname, (u8)ulen, S_IFREG) : NULL;
	if (MREF(mref) < FILE_first_user) {
		errno = EPERM; /* a metadata file ($Bitmap, $UpCase ...): never replaced */
		return NULL;
	}

	ntfs_inode *ni = ntfs_inode_open(dir->vol, MREF(mref));
	if (!ni)
		return NULL;
	if (is_dir(ni)) {
		ntfs_inode_close(ni);
		errno = EISDIR;
		return NULL;
	}
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na || ntfs_attr_truncate(na, 0) < 0) {
		int e = errno;
		if (na)
			ntfs_attr_close(na);
		ntfs_inode_close(ni);
		errno = e;
		return NULL;
	}
	ntfs_attr_close(na);
	return ni;
}

/* Stream src into the file in 1 MiB writes; the size must be what was planned. */
static int write_data(struct ib_vol *v, ntfs_inode *ni, int fd, const char *path, const char *src, uint64_t size,
		      struct ib_error *err)
{
	uint64_t pos = 0;
	int rc = ib_ntfs3g_write_stream(ni, fd, v->buf, WRITE_CHUNK, path, src, &pos, err);
	if (!rc && pos != size)
		rc = ib_fail(err, IB_EXIT_FAIL, "ntfs: %s changed while being copied to %s (%llu bytes, expected %llu)",
			     src, path, (unsigned long long)pos, (unsigned long long)size);
	return rc;
}

/* libntfs-3g moves its next-allocation hint 4096 clusters past every
 * allocation (NTFS_LCNALLOC_SKIP), so consecutive files land 16 MiB apart:
 * on a large volume they spread over the whole disk, and every output format
 * that allocates in clusters (qcow2: 64 KiB) grows. Point the hint at the end
 * of the file just written instead, so files are packed back to back. It is
 * only a hint: the allocator still checks the bitmap. */
static void pack_next_allocation(ntfs_volume *vol, ntfs_inode *ni)
{
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na)
		return;
	if (NAttrNonResident(na) && ntfs_attr_map_whole_runlist(na) == 0) {
		LCN end = -1;
		for (runlist_element *rl = na->rl; rl && rl->length; rl++)
			if (rl->lcn >= 0)
				end = rl->lcn + rl->length;
		if (end >= vol->mft_zone_end && end < vol->nr_clusters)
			vol->data1_zone_pos = end;
	}
	ntfs_attr_close(na);
}

static int vol_put_file(struct ib_vol *v, const char *path, const char *src, uint64_t size,
			const struct timespec *mtime, struct ib_error *err)
{
	if (ib_names_check_path(&ib_ntfs_name_rules, path, err) < 0)
		return -1;
	_cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot open %s", src);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	_cleanup_free_ char *copy = ib_xstrdup(path);
	const char *name;
	const char *parent = ib_path_split(copy, &name);
	ntfschar *uname = NULL;
	int ulen = ib_ntfs_windows_name(v->vol, name, &uname);
	if (ulen < 0)
		return name_fail(err, "create", path, errno);

	ntfs_inode *dir = ntfs_pathname_to_inode(v->vol, NULL, parent);
	if (dir && !is_dir(dir)) {
		ntfs_inode_close(dir);
		dir = NULL;
		errno = ENOTDIR;
	}
	if (!dir) {
		int e = errno;
		free(uname);
		return ib_fail_errno(err, -e, "ntfs: cannot create %s: cannot open %s", path, parent);
	}
	ntfs_inode *ni = create_or_empty(dir, uname, ulen);
	free(uname);
	if (!ni) {
		int e = errno;
		ntfs_inode_close(dir);
		return ib_fail_errno(err, -e, "ntfs: cannot create %s", path);
	}

	int rc = write_data(v, ni, fd, path, src, size, err);
	if (!rc)
		pack_next_allocation(v->vol, ni);
	if (!rc && ib_ntfs_set_times(ni, mtime) < 0)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot set the times of %s", path);
	if (close_pair(ni, dir) < 0 && !rc)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot write %s", path);
	return rc;
}

static int vol_close(struct ib_vol *v, struct ib_error *err)
{
	if (!v)
		return 0;
	int rc = 0;
	if (v->vol) {
		if (ntfs_umount(v->vol, FALSE) < 0)
			rc = ib_fail_errno(err, -errno, "ntfs: cannot finish writing the filesystem");
	}
	vol_free(v);
	return rc;
}

/* ---- reproducible mode: the metadata mkntfs -T made ---- */

/* The inodes the mounted volume keeps open itself. Opening one of them again
 * would make a second in-memory copy of its MFT record, and whichever copy is
 * written last would win; these are stamped through the volume's own. */
static ntfs_inode *held_inode(ntfs_volume *vol, u64 mft_no)
{
	switch (mft_no) {
	case FILE_MFT: return vol->mft_ni;
	case FILE_MFTMirr: return vol->mftmirr_ni;
	case FILE_Volume: return vol->vol_ni;
	case FILE_Bitmap: return vol->lcnbmp_ni;
	case FILE_Secure: return vol->secure_ni;
	default: return NULL;
	}
}

/* A record that is not in use but carries a standard information attribute:
 * mkntfs formats records 16-23 (reserved for future system files) that way,
 * times included. Set them in the record itself; ntfs_mft_record_write
 * applies the update sequence and writes the $MFTMirr copy too. */
static int restamp_free_record(ntfs_volume *vol, u64 mft_no, MFT_RECORD *m, ntfs_time t)
{
	u32 used = le32_to_cpu(m->bytes_in_use);
	u32 off = le16_to_cpu(m->attrs_offset);
	bool changed = false;
	if (used > vol->mft_record_size)
		return 0;
	while (off + offsetof(ATTR_RECORD, length) + 4 <= used) {
		ATTR_RECORD *a = (ATTR_RECORD *)((u8 *)m + off);
		u32 len = le32_to_cpu(a->length);
		if (a->type == AT_END || len < offsetof(ATTR_RECORD, resident_end) || off + len > used)
			break;
		if (a->type == AT_STANDARD_INFORMATION && !a->non_resident &&
		    le16_to_cpu(a->value_offset) + offsetof(STANDARD_INFORMATION, file_attributes) <= len) {
			STANDARD_INFORMATION *si = (STANDARD_INFORMATION *)((u8 *)a + le16_to_cpu(a->value_offset));
			si->creation_time = si->last_data_change_time = t;
			si->last_mft_change_time = si->last_access_time = t;
			changed = true;
		}
		off += len;
	}
	return changed ? ntfs_mft_record_write(vol, mft_no, m) : 0;
}

/* Zero an in-use record's bytes from its end (bytes_in_use) to its size. */
static int zero_record_tail(ntfs_volume *vol, u64 mft_no, MFT_RECORD *m)
{
	if (ntfs_mft_record_read(vol, mft_no, m) < 0)
		return -1;
	u32 used = le32_to_cpu(m->bytes_in_use);
	if (!ntfs_is_file_record(m->magic) || !(m->flags & MFT_RECORD_IN_USE) || used >= vol->mft_record_size)
		return 0;
	u8 *b = (u8 *)m;
	bool dirty = false;
	for (u32 i = used; i < vol->mft_record_size; i++)
		dirty |= b[i] != 0;
	if (!dirty)
		return 0;
	memset(b + used, 0, vol->mft_record_size - used);
	return ntfs_mft_record_write(vol, mft_no, m);
}

/* Set the times of one MFT record's inode; extension records are skipped.
 * Closing (or syncing) writes the standard information and the file names,
 * and updates the index entries in the parent (the root is its own parent:
 * libntfs-3g handles that). */
static int restamp_record(ntfs_volume *vol, u64 mft_no, MFT_RECORD *m, const struct timespec *ts, bool change_only)
{
	if (ntfs_mft_record_read(vol, mft_no, m) < 0)
		return -1;
	if (!ntfs_is_file_record(m->magic) || m->base_mft_record)
		return 0;
	if (!(m->flags & MFT_RECORD_IN_USE))
		return restamp_free_record(vol, mft_no, m, timespec2ntfs(*ts));
	ntfs_inode *held = held_inode(vol, mft_no);
	ntfs_inode *ni = held ? held : ntfs_inode_open(vol, mft_no);
	if (!ni)
		return -1;
	int r = change_only ? ib_ntfs_set_change_time(ni, ts) : ib_ntfs_set_times(ni, ts);
	if (r == 0 && change_only && !held)
		r = ib_ntfs_sort_file_names(ni);
	if (held)
		return r < 0 || ntfs_inode_sync(held) < 0 ? -1 : 0;
	int e = errno;
	if (ntfs_inode_close(ni) < 0)
		return -1;
	errno = e;
	return r;
}

/* $Extend/$Quota: each quota entry of its $Q index (mkntfs makes two, both in
 * the index root) has a change time. */
static int restamp_quota(ntfs_volume *vol, ntfs_time t, struct ib_error *err)
{
	ntfs_inode *ni = ntfs_pathname_to_inode(vol, NULL, "$Extend/$Quota");
	if (!ni)
		return errno == ENOENT ? 0 : ib_fail_errno(err, -errno, "cannot open $Extend/$Quota");
	static const ntfschar q_name[] = {const_cpu_to_le16('$'), const_cpu_to_le16('Q')};
	int rc = 0;
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx) {
		rc = ib_fail_errno(err, -errno, "cannot read $Quota");
	} else if (!ntfs_attr_lookup(AT_INDEX_ALLOCATION, q_name, 2, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		rc = ib_fail(err, IB_EXIT_FAIL, "the $Quota $Q index has grown out of its index root");
	} else {
		ntfs_attr_reinit_search_ctx(ctx);
		if (ntfs_attr_lookup(AT_INDEX_ROOT, q_name, 2, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
			rc = ib_fail_errno(err, -errno, "cannot find the $Quota $Q index");
		} else {
			INDEX_ROOT *ir = (INDEX_ROOT *)((u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
			u8 *end = (u8 *)&ir->index + le32_to_cpu(ir->index.index_length);
			INDEX_ENTRY *ie = (INDEX_ENTRY *)((u8 *)&ir->index + le32_to_cpu(ir->index.entries_offset));
			while ((u8 *)ie + sizeof(INDEX_ENTRY_HEADER) <= end && !(ie->ie_flags & INDEX_ENTRY_END)) {
				u16 off = le16_to_cpu(ie->data_offset), len = le16_to_cpu(ie->data_length);
				if (!le16_to_cpu(ie->length) || (u8 *)ie + le16_to_cpu(ie->length) > end ||
				    len < offsetof(QUOTA_CONTROL_ENTRY, threshold) || off + len > le16_to_cpu(ie->length)) {
					rc = ib_fail(err, IB_EXIT_FAIL, "the $Quota $Q index is malformed");
					break;
				}
				QUOTA_CONTROL_ENTRY *q = (QUOTA_CONTROL_ENTRY *)((u8 *)ie + off);
				q->change_time = t;
				ie = (INDEX_ENTRY *)((u8 *)ie + le16_to_cpu(ie->length));
			}
			ntfs_inode_mark_dirty(ctx->ntfs_ino);
		}
		ntfs_attr_put_search_ctx(ctx);
		ctx = NULL;
	}
	if (ctx)
		ntfs_attr_put_search_ctx(ctx);
	if (ntfs_inode_close(ni) < 0 && !rc)
		rc = ib_fail_errno(err, -errno, "cannot write $Quota");
	return rc;
}

int ib_repro_ntfs_restamp(const char *image, uint64_t offset, uint64_t size, uint32_t sector_size,
			  int64_t epoch, bool change_only, struct ib_error *err)
{
	struct ib_vol_target t = {.image = image, .offset = offset, .size = size, .sector_size = sector_size};
	struct ib_vol *v = NULL;
	if (vol_open(&v, &t, err) < 0 || !v)
		return -1;
	ntfs_volume *vol = v->vol;
	const struct timespec ts = {.tv_sec = (time_t)epoch};
	u64 nrecords = (u64)vol->mft_na->initialized_size >> vol->mft_record_size_bits;
	MFT_RECORD *m = ib_xmalloc(vol->mft_record_size);
	int rc = 0;
	for (u64 n = 0; n < nrecords && rc == 0; n++)
		if (restamp_record(vol, n, m, &ts, change_only) < 0)
			rc = ib_fail_errno(err, -errno, "cannot set the times of MFT record %llu", (unsigned long long)n);
	/* After an image was applied, records hold old bytes past their end
	 * (an index root that moved to an index block leaves its entries, with
	 * the times of the moment, behind): zeroed, so equal volumes are equal
	 * bytes. The system files' records (0-23) are left to the volume. */
	for (u64 n = 24; change_only && n < nrecords && rc == 0; n++)
		if (zero_record_tail(vol, n, m) < 0)
			rc = ib_fail_errno(err, -errno, "cannot clear the unused end of MFT record %llu", (unsigned long long)n);
	free(m);
	if (rc == 0)
		rc = restamp_quota(vol, timespec2ntfs(ts), err);
	if (vol_close(v, err) < 0)
		rc = -1;
	return rc;
}

const struct ib_vol_ops ib_vol_ntfs3g_ops = {
	.reads_src_now = true,
	.name = "ntfs3g",
	.open = vol_open,
	.mkdir = vol_mkdir,
	.put_file = vol_put_file,
	.close = vol_close,
};
