// SPDX-License-Identifier: GPL-2.0-or-later
/* File operations on an existing NTFS volume inside an image (see
 * ntfs3g_files.h). Lookups read the directory index with ntfs_readdir and
 * compare names with the volume's own $UpCase table, as Windows does, so
 * "/windows/system32/CONFIG/system" finds /Windows/System32/config/SYSTEM. */
#include "ntfs3g_files.h"
#include "ntfs3g_names.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fs/ntfs3g_compat.h"
#include "core/util.h"
#include "ntfs3g_device.h"

#define CHUNK (1u << 20)

struct ib_ntfs_files {
	struct ib_ntfs3g_io io;
	ntfs_volume *vol;
	struct timespec mtime;
	uint8_t *buf;
};

/* One directory entry found by a lookup. */
struct entry {
	u64 mref;
	ntfschar *uname; /* as stored */
	int ulen;
	bool dir;
};

static void entry_clear(struct entry *e)
{
	free(e->uname);
	*e = (struct entry){0};
}

int ib_ntfs_files_open(const struct ib_vol_target *t, bool read_only, const struct timespec *mtime,
		       struct ib_ntfs_files **out, struct ib_error *err)
{
	*out = NULL;
	struct ib_ntfs_files *f = ib_xcalloc(1, sizeof(*f));
	f->io.blk = NULL;
	if (mtime)
		f->mtime = *mtime;
	else
		clock_gettime(CLOCK_REALTIME, &f->mtime);
	if (ib_ntfs3g_mount(t, read_only, &f->io, &f->vol, err) < 0) {
		free(f);
		return -1;
	}
	f->buf = ib_xmalloc(CHUNK);
	*out = f;
	return 0;
}

int ib_ntfs_files_close(struct ib_ntfs_files *f, struct ib_error *err)
{
	if (!f)
		return 0;
	int rc = 0;
	if (f->vol && ntfs_umount(f->vol, FALSE) < 0)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot finish writing the filesystem");
	free(f->buf);
	free(f);
	return rc;
}

struct find_ctx {
	ntfs_volume *vol;
	const ntfschar *want;
	int want_len;
	struct entry exact, folded;
	int n_folded;
};

static int find_cb(void *p, const ntfschar *name, const int len, const int type, const s64 pos,
		   const MFT_REF mref, const unsigned dt)
{
	(void)pos;
	struct find_ctx *c = p;
	if (type == FILE_NAME_DOS)
		return 0;
	struct entry *slot = NULL;
	if (ntfs_names_are_equal(name, (size_t)len, c->want, (size_t)c->want_len, CASE_SENSITIVE, c->vol->upcase,
				 c->vol->upcase_len))
		slot = &c->exact;
	else if (ntfs_names_are_equal(name, (size_t)len, c->want, (size_t)c->want_len, IGNORE_CASE, c->vol->upcase,
				      c->vol->upcase_len)) {
		c->n_folded++;
		slot = c->folded.uname ? NULL : &c->folded;
	}
	if (slot) {
		slot->mref = MREF(mref);
		slot->uname = ib_xmalloc(((size_t)len + 1) * sizeof(ntfschar));
		memcpy(slot->uname, name, (size_t)len * sizeof(ntfschar));
		slot->uname[len] = 0;
		slot->ulen = len;
		slot->dir = dt == NTFS_DT_DIR;
	}
	return 0;
}

/* Find name in the open directory dir: 1 found, 0 absent, -1 (errno). Two
 * entries differing only in case (possible in the POSIX namespace) with
 * neither matching exactly is ambiguous: EEXIST. */
static int find_in(ntfs_inode *dir, const ntfschar *uname, int ulen, struct entry *out)
{
	struct find_ctx c = {.vol = dir->vol, .want = uname, .want_len = ulen};
	s64 pos = 0;
	if (ntfs_readdir(dir, &pos, &c, find_cb) < 0) {
		int e = errno;
		entry_clear(&c.exact);
		entry_clear(&c.folded);
		errno = e;
		return -1;
	}
	if (c.exact.uname) {
		entry_clear(&c.folded);
		*out = c.exact;
		return 1;
	}
	if (c.n_folded > 1) {
		entry_clear(&c.folded);
		errno = EEXIST;
		return -1;
	}
	*out = c.folded;
	return c.folded.uname ? 1 : 0;
}

static char *utf8_of(const ntfschar *u, int len)
{
	char *s = NULL;
	if (ntfs_ucstombs(u, len, &s, 0) < 0)
		return ib_xstrdup("?");
	return s;
}

/* Walk path from the root. 1: *e is the last component (e->mref of the root
 * for "/"), *real the stored path; 0: absent; -1 with errno. */
static int walk(struct ib_ntfs_files *f, const char *path, struct entry *e, char **real)
{
	*e = (struct entry){.mref = FILE_root, .dir = true};
	struct ib_buf rp = {0};
	_cleanup_free_ char *copy = ib_xstrdup(path);
	int r = 1;
	for (char *save = NULL, *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (!e->dir) {
			r = 0;
			break;
		}
		ntfschar *uname = NULL;
		int ulen = ntfs_mbstoucs(comp, &uname);
		if (ulen < 0) {
			r = -1;
			break;
		}
		ntfs_inode *dir = ntfs_inode_open(f->vol, e->mref);
		if (!dir) {
			free(uname);
			r = -1;
			break;
		}
		struct entry child;
		r = find_in(dir, uname, ulen, &child);
		int keep = errno;
		ntfs_inode_close(dir);
		free(uname);
		errno = keep;
		if (r <= 0)
			break;
		entry_clear(e);
		*e = child;
		_cleanup_free_ char *stored = utf8_of(e->uname, e->ulen);
		ib_buf_printf(&rp, "/%s", stored);
	}
	if (r == 1 && real)
		*real = rp.len ? ib_buf_steal(&rp) : ib_xstrdup("/");
	ib_buf_free(&rp);
	if (r != 1)
		entry_clear(e);
	return r;
}

static int walk_fail(struct ib_error *err, const char *what, const char *path)
{
	if (errno == EEXIST)
		return ib_fail(err, IB_EXIT_INPUT, "ntfs: %s %s: more than one name matches without regard to case",
			       what, path);
	return ib_fail_errno(err, -errno, "ntfs: cannot %s %s", what, path);
}

int ib_ntfs_files_resolve(struct ib_ntfs_files *f, const char *path, char **real, bool *is_dir,
			  struct ib_error *err)
{
	struct entry e;
	int r = walk(f, path, &e, real);
	if (r < 0)
		return walk_fail(err, "look up", path);
	if (r == 1 && is_dir)
		*is_dir = e.dir;
	entry_clear(&e);
	return r;
}

static int names_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

struct list_ctx {
	IB_VEC(char *) names;
};

static int list_cb(void *p, const ntfschar *name, const int len, const int type, const s64 pos,
		   const MFT_REF mref, const unsigned dt)
{
	(void)pos, (void)mref, (void)dt;
	struct list_ctx *c = p;
	if (type == FILE_NAME_DOS)
		return 0;
	char *s = utf8_of(name, len);
	if (!strcmp(s, ".") || !strcmp(s, "..")) {
		free(s);
		return 0;
	}
	IB_VEC_PUSH(c->names, s);
	return 0;
}

void ib_ntfs_files_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int ib_ntfs_files_list(struct ib_ntfs_files *f, const char *dir, char ***names, size_t *n, struct ib_error *err)
{
	*names = NULL;
	*n = 0;
	struct entry e;
	int r = walk(f, dir, &e, NULL);
	if (r < 0)
		return walk_fail(err, "list", dir);
	if (r == 0 || !e.dir) {
		entry_clear(&e);
		return ib_fail(err, IB_EXIT_INPUT, "ntfs: %s is not a directory on the volume", dir);
	}
	ntfs_inode *ni = ntfs_inode_open(f->vol, e.mref);
	entry_clear(&e);
	if (!ni)
		return ib_fail_errno(err, -errno, "ntfs: cannot open %s", dir);
	struct list_ctx c = {0};
	s64 pos = 0;
	r = ntfs_readdir(ni, &pos, &c, list_cb);
	int keep = errno;
	ntfs_inode_close(ni);
	if (r < 0) {
		ib_ntfs_files_names_free(c.names.v, c.names.n);
		return ib_fail_errno(err, -keep, "ntfs: cannot list %s", dir);
	}
	if (c.names.n)
		qsort(c.names.v, c.names.n, sizeof(char *), names_cmp);
	*names = c.names.v;
	*n = c.names.n;
	return 0;
}

int ib_ntfs_files_read(struct ib_ntfs_files *f, const char *path, const char *host_dst, uint64_t *size,
		       struct ib_error *err)
{
	struct entry e;
	int r = walk(f, path, &e, NULL);
	if (r < 0)
		return walk_fail(err, "read", path);
	if (r == 0 || e.dir) {
		bool d = r == 1;
		entry_clear(&e);
		return ib_fail(err, IB_EXIT_INPUT, "ntfs: %s %s on the volume", path, d ? "is a directory" : "does not exist");
	}
	ntfs_inode *ni = ntfs_inode_open(f->vol, e.mref);
	entry_clear(&e);
	if (!ni)
		return ib_fail_errno(err, -errno, "ntfs: cannot open %s", path);
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		int keep = errno;
		ntfs_inode_close(ni);
		return ib_fail_errno(err, -keep, "ntfs: cannot open the data of %s", path);
	}
	int fd = open(host_dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = 0;
	if (fd < 0)
		rc = ib_fail_errno(err, -errno, "cannot create %s", host_dst);
	uint64_t pos = 0, total = (uint64_t)na->data_size;
	while (!rc && pos < total) {
		size_t want = total - pos < CHUNK ? (size_t)(total - pos) : CHUNK;
		s64 got = ntfs_attr_pread(na, (s64)pos, (s64)want, f->buf);
		if (got <= 0) {
			rc = ib_fail_errno(err, got < 0 ? -errno : -EIO, "ntfs: cannot read %s", path);
			break;
		}
		int w = ib_pwrite_all(fd, f->buf, (size_t)got, pos);
		if (w < 0)
			rc = ib_fail_errno(err, w, "cannot write %s", host_dst);
		pos += (uint64_t)got;
	}
	if (fd >= 0 && close(fd) < 0 && !rc)
		rc = ib_fail_errno(err, -errno, "cannot write %s", host_dst);
	ntfs_attr_close(na);
	ntfs_inode_close(ni);
	if (rc && fd >= 0)
		unlink(host_dst);
	if (!rc && size)
		*size = total;
	return rc;
}

/* Open the directory at path (which must exist). */
static ntfs_inode *open_dir(struct ib_ntfs_files *f, const char *path, struct ib_error *err)
{
	struct entry e;
	int r = walk(f, path, &e, NULL);
	if (r < 0) {
		walk_fail(err, "open", path);
		return NULL;
	}
	if (r == 0 || !e.dir) {
		entry_clear(&e);
		ib_fail(err, IB_EXIT_FAIL, "ntfs: directory %s does not exist on the volume", path);
		return NULL;
	}
	ntfs_inode *ni = ntfs_inode_open(f->vol, e.mref);
	entry_clear(&e);
	if (!ni)
		ib_fail_errno(err, -errno, "ntfs: cannot open %s", path);
	return ni;
}

int ib_ntfs_files_mkdir(struct ib_ntfs_files *f, const char *path, char **real, struct ib_error *err)
{
	ntfs_inode *cur = ntfs_inode_open(f->vol, FILE_root);
	if (!cur)
		return ib_fail_errno(err, -errno, "ntfs: cannot open the root directory");
	struct ib_buf rp = {0};
	_cleanup_free_ char *copy = ib_xstrdup(path);
	int rc = 0;
	for (char *save = NULL, *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		ntfschar *uname = NULL;
		int ulen = ib_ntfs_windows_name(f->vol, comp, &uname);
		if (ulen < 0) {
			rc = ib_fail(err, IB_EXIT_INPUT, "ntfs: cannot create directory %s: \"%s\" is not a valid Windows name",
				     path, comp);
			break;
		}
		struct entry e;
		int r = find_in(cur, uname, ulen, &e);
		ntfs_inode *child = NULL;
		if (r == 1) {
			if (!e.dir)
				errno = ENOTDIR;
			else
				child = ntfs_inode_open(f->vol, e.mref);
			_cleanup_free_ char *stored = utf8_of(e.uname, e.ulen);
			ib_buf_printf(&rp, "/%s", stored);
			entry_clear(&e);
		} else if (r == 0) {
			child = ntfs_create(cur, const_cpu_to_le32(0), uname, (u8)ulen, S_IFDIR);
			if (child && ib_ntfs_set_times(child, &f->mtime) < 0) {
				ntfs_inode_close(child);
				child = NULL;
			}
			ib_buf_printf(&rp, "/%s", comp);
		}
		free(uname);
		if (!child) {
			rc = ib_fail_errno(err, -errno, "ntfs: cannot create directory %s", path);
			break;
		}
		if (ntfs_inode_close(cur) < 0) {
			cur = NULL;
			ntfs_inode_close(child);
			rc = ib_fail_errno(err, -errno, "ntfs: cannot create directory %s", path);
			break;
		}
		cur = child;
	}
	if (cur && ntfs_inode_close(cur) < 0 && !rc)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot create directory %s", path);
	if (!rc && real)
		*real = rp.len ? ib_buf_steal(&rp) : ib_xstrdup("/");
	ib_buf_free(&rp);
	return rc;
}

static int write_data(struct ib_ntfs_files *f, ntfs_inode *ni, int fd, const char *path, const char *src,
		      struct ib_error *err)
{
	uint64_t written = 0;
	return ib_ntfs3g_write_stream(ni, fd, f->buf, CHUNK, path, src, &written, err);
}

int ib_ntfs_files_write(struct ib_ntfs_files *f, const char *path, const char *host_src, struct ib_error *err)
{
	_cleanup_close_ int fd = open(host_src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot open %s", host_src);
	_cleanup_free_ char *copy = ib_xstrdup(path);
	const char *name;
	const char *parent = ib_path_split(copy, &name);
	ntfschar *uname = NULL;
	int ulen = ib_ntfs_windows_name(f->vol, name, &uname);
	if (ulen < 0)
		return ib_fail(err, IB_EXIT_INPUT, "ntfs: cannot create %s: \"%s\" is not a valid Windows name", path, name);
	ntfs_inode *dir = open_dir(f, parent, err);
	if (!dir) {
		free(uname);
		return -1;
	}
	struct entry e;
	int r = find_in(dir, uname, ulen, &e);
	ntfs_inode *ni = NULL;
	if (r == 1) {
		ni = e.dir ? NULL : ntfs_inode_open(f->vol, e.mref);
		if (e.dir)
			errno = EISDIR;
		entry_clear(&e);
	} else if (r == 0) {
		ni = ntfs_create(dir, const_cpu_to_le32(0), uname, (u8)ulen, S_IFREG);
	}
	free(uname);
	if (!ni) {
		int keep = errno;
		ntfs_inode_close(dir);
		return r < 0 && keep == EEXIST ? walk_fail(err, "write", path)
					       : ib_fail_errno(err, -keep, "ntfs: cannot create %s", path);
	}
	int rc = write_data(f, ni, fd, path, host_src, err);
	if (!rc && ib_ntfs_set_times(ni, &f->mtime) < 0)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot set the times of %s", path);
	if (ntfs_inode_close_in_dir(ni, dir) < 0 && !rc)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot write %s", path);
	if (ntfs_inode_close(dir) < 0 && !rc)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot write %s", path);
	return rc;
}

/* Each name operation opens the directory afresh: ntfs_delete closes both
 * the inode and the directory, and a second open copy of a directory
 * inode would be written back over the first. */

/* Remove the name e (a file) from the directory dir_ref. */
static int unlink_entry(ntfs_volume *vol, u64 dir_ref, const struct entry *e)
{
	ntfs_inode *dir = ntfs_inode_open(vol, dir_ref);
	if (!dir)
		return -1;
	ntfs_inode *ni = ntfs_inode_open(vol, e->mref);
	if (!ni) {
		int keep = errno;
		ntfs_inode_close(dir);
		errno = keep;
		return -1;
	}
	return ntfs_delete(vol, NULL, ni, dir, e->uname, (u8)e->ulen); /* closes ni and dir */
}

/* Give the file mref the name uname in the directory dir_ref too. */
static int link_entry(ntfs_volume *vol, u64 dir_ref, u64 mref, const ntfschar *uname, int ulen)
{
	ntfs_inode *dir = ntfs_inode_open(vol, dir_ref);
	if (!dir)
		return -1;
	ntfs_inode *ni = ntfs_inode_open(vol, mref);
	if (!ni) {
		int keep = errno;
		ntfs_inode_close(dir);
		errno = keep;
		return -1;
	}
	int r = ntfs_link(ni, dir, (ntfschar *)uname, (u8)ulen);
	int keep = errno;
	if (ntfs_inode_close_in_dir(ni, dir) < 0)
		r = -1, keep = errno;
	if (ntfs_inode_close(dir) < 0 && r == 0)
		r = -1, keep = errno;
	errno = keep;
	return r;
}

/* libntfs-3g sets the times a name operation changes from the clock:
 * ntfs_link gives the file a new change time (standard information, 0x48
 * into the attribute value) and ntfs_delete gives the directory new
 * modification and change times (0x08 and 0x10), copied into its entry in
 * its parent's index. They are set to the handle's time here, as every write
 * through the handle is, so that a reproducible build (which passes its
 * epoch as that time) is bit-identical. The creation time is kept. Closing
 * with the file name marked dirty updates the parent's index entry too. */
static int set_change_time(ntfs_volume *vol, u64 mref, const struct timespec *ts, bool modified_too)
{
	ntfs_inode *ni = ntfs_inode_open(vol, mref);
	if (!ni)
		return -1;
	ntfs_time t = timespec2ntfs(*ts);
	ni->last_mft_change_time = t;
	if (modified_too)
		ni->last_data_change_time = t;
	NInoSetDirty(ni);
	NInoFileNameSetDirty(ni);
	return ntfs_inode_close(ni);
}

/* Look name up in the directory dir_ref (opened and closed here). */
static int find_by_ref(ntfs_volume *vol, u64 dir_ref, const ntfschar *uname, int ulen, struct entry *out)
{
	ntfs_inode *dir = ntfs_inode_open(vol, dir_ref);
	if (!dir)
		return -1;
	int r = find_in(dir, uname, ulen, out);
	int keep = errno;
	ntfs_inode_close(dir);
	errno = keep;
	return r;
}

int ib_ntfs_files_rename(struct ib_ntfs_files *f, const char *from, const char *to_name, struct ib_error *err)
{
	_cleanup_free_ char *copy = ib_xstrdup(from);
	const char *name;
	const char *parent = ib_path_split(copy, &name);
	ntfschar *ufrom = NULL, *uto = NULL, *utmp = NULL;
	int lfrom = ntfs_mbstoucs(name, &ufrom);
	int lto = ib_ntfs_windows_name(f->vol, to_name, &uto);
	_cleanup_free_ char *tmp_name = ib_xasprintf("%s.ib-old", to_name);
	int ltmp = ib_ntfs_windows_name(f->vol, tmp_name, &utmp);
	struct entry pe = {0}, src = {0}, dst = {0}, stale = {0};
	int rc = 0, r;
	if (lfrom < 0 || lto < 0 || ltmp < 0) {
		rc = ib_fail(err, IB_EXIT_INPUT, "ntfs: cannot rename %s to \"%s\": not a valid Windows name", from, to_name);
		goto out;
	}
	if ((r = walk(f, parent, &pe, NULL)) <= 0 || !pe.dir) {
		rc = r < 0 ? walk_fail(err, "rename", from)
			   : ib_fail(err, IB_EXIT_FAIL, "ntfs: cannot rename %s: no directory %s", from, parent);
		goto out;
	}
	u64 dref = pe.mref;
	r = find_by_ref(f->vol, dref, ufrom, lfrom, &src);
	if (r <= 0 || src.dir) {
		rc = r < 0 ? walk_fail(err, "rename", from)
			   : ib_fail(err, IB_EXIT_FAIL, "ntfs: cannot rename %s: no such file", from);
		goto out;
	}
	if ((r = find_by_ref(f->vol, dref, uto, lto, &dst)) < 0 || (r == 1 && dst.dir)) {
		rc = r < 0 ? walk_fail(err, "rename onto", to_name)
			   : ib_fail(err, IB_EXIT_FAIL, "ntfs: cannot rename %s: %s is a directory", from, to_name);
		goto out;
	}
	if (r == 1 && dst.mref == src.mref)
		goto out; /* the same file */
	/* A leftover of an interrupted earlier rename. */
	if (find_by_ref(f->vol, dref, utmp, ltmp, &stale) == 1 && !stale.dir && unlink_entry(f->vol, dref, &stale) < 0) {
		rc = ib_fail_errno(err, -errno, "ntfs: cannot remove %s/%s", parent, tmp_name);
		goto out;
	}
	if (dst.uname) {
		/* Keep the old file reachable as <name>.ib-old until the new one
		 * has its name; the stored case of the old name is reused. */
		if (link_entry(f->vol, dref, dst.mref, utmp, ltmp) < 0 || unlink_entry(f->vol, dref, &dst) < 0) {
			rc = ib_fail_errno(err, -errno, "ntfs: cannot move %s/%s aside", parent, to_name);
			goto out;
		}
	}
	const ntfschar *final_name = dst.uname ? dst.uname : uto;
	int final_len = dst.uname ? dst.ulen : lto;
	if (link_entry(f->vol, dref, src.mref, final_name, final_len) < 0 || unlink_entry(f->vol, dref, &src) < 0) {
		rc = ib_fail_errno(err, -errno, "ntfs: cannot rename %s to %s", from, to_name);
		goto out;
	}
	if (dst.uname) {
		/* The old file's record is freed with the times it has now: its
		 * change time must not be the clock's either. */
		struct entry old = {.mref = dst.mref, .uname = utmp, .ulen = ltmp};
		if (set_change_time(f->vol, dst.mref, &f->mtime, false) < 0 || unlink_entry(f->vol, dref, &old) < 0) {
			rc = ib_fail_errno(err, -errno, "ntfs: cannot remove %s/%s", parent, tmp_name);
			goto out;
		}
	}
	if (set_change_time(f->vol, src.mref, &f->mtime, false) < 0 ||
	    set_change_time(f->vol, dref, &f->mtime, true) < 0)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot set the times after renaming %s", from);
out:
	entry_clear(&pe);
	entry_clear(&src);
	entry_clear(&dst);
	entry_clear(&stale);
	free(ufrom);
	free(uto);
	free(utmp);
	return rc;
}

int ib_ntfs_files_remove(struct ib_ntfs_files *f, const char *path, struct ib_error *err)
{
	_cleanup_free_ char *copy = ib_xstrdup(path);
	const char *name;
	const char *parent = ib_path_split(copy, &name);
	struct entry pe;
	int r = walk(f, parent, &pe, NULL);
	if (r < 0)
		return walk_fail(err, "remove", path);
	bool pdir = r == 1 && pe.dir;
	u64 dref = pe.mref;
	entry_clear(&pe);
	if (!pdir)
		return 0;
	ntfschar *uname = NULL;
	int ulen = ntfs_mbstoucs(name, &uname);
	struct entry e = {0};
	r = ulen < 0 ? 0 : find_by_ref(f->vol, dref, uname, ulen, &e);
	free(uname);
	int rc = r;
	if (r < 0)
		rc = walk_fail(err, "remove", path);
	else if (r == 1 && e.dir)
		rc = ib_fail(err, IB_EXIT_FAIL, "ntfs: cannot remove %s: it is a directory", path);
	else if (r == 1 && unlink_entry(f->vol, dref, &e) < 0)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot remove %s", path);
	entry_clear(&e);
	return rc;
}
