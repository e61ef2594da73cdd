// SPDX-License-Identifier: GPL-2.0-or-later
#include "wim.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/progress.h"
#include "core/undo.h"

#define ISO_SECTOR 2048

static bool has_magic(const char *path, off_t off, const char *magic, size_t n)
{
	char buf[8];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && n <= sizeof buf && ib_pread_all(fd, buf, n, (uint64_t)off) == 0 && !memcmp(buf, magic, n);
}

static bool is_wim(const char *path)
{
	return has_magic(path, 0, "MSWIM\0\0\0", 8);
}

/* An ISO 9660 primary volume descriptor at sector 16. */
static bool is_iso(const char *path)
{
	return has_magic(path, 16 * ISO_SECTOR + 1, "CD001", 5);
}

/* A UDF volume (NSR02/NSR03 descriptor among the first volume descriptors). */
static bool has_udf(const char *path)
{
	for (int s = 16; s < 64; s++)
		if (has_magic(path, (off_t)s * ISO_SECTOR + 1, "NSR02", 5) ||
		    has_magic(path, (off_t)s * ISO_SECTOR + 1, "NSR03", 5))
			return true;
	return false;
}

bool ib_wim_is_media(const char *path)
{
	return is_wim(path) || is_iso(path);
}

const char *ib_wim_efi_boot_name(int arch_id)
{
	switch (arch_id) {
	case IB_WIM_AMD64: return "bootx64.efi";
	case IB_WIM_ARM64: return "bootaa64.efi";
	case IB_WIM_X86: return "bootia32.efi";
	default: return NULL;
	}
}

uint16_t ib_wim_pe_machine(int arch_id)
{
	switch (arch_id) {
	case IB_WIM_AMD64: return 0x8664;
	case IB_WIM_ARM64: return 0xAA64;
	case IB_WIM_X86: return 0x014C;
	default: return 0;
	}
}

uint16_t ib_pe_machine_file(const char *path)
{
	uint8_t h[64], pe[6];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ib_pread_all(fd, h, sizeof h, 0) < 0 || h[0] != 'M' || h[1] != 'Z')
		return 0;
	uint32_t off = (uint32_t)h[0x3C] | (uint32_t)h[0x3D] << 8 | (uint32_t)h[0x3E] << 16 | (uint32_t)h[0x3F] << 24;
	if (ib_pread_all(fd, pe, sizeof pe, off) < 0 || memcmp(pe, "PE\0\0", 4))
		return 0;
	return (uint16_t)(pe[4] | pe[5] << 8);
}

const char *ib_pe_machine_name(uint16_t m)
{
	switch (m) {
	case 0x8664: return "amd64";
	case 0xAA64: return "arm64";
	case 0x014C: return "x86";
	case 0x01C4: return "arm";
	default: return "not a PE image, or an unknown machine";
	}
}

void ib_wim_close(struct ib_wim *w);

static bool install_member(const char *name)
{
	const char *n = strncmp(name, "./", 2) ? name : name + 2;
	return !strcasecmp(n, "sources/install.wim") || !strcasecmp(n, "sources/install.esd");
}

/* sources/install.wim|esd of an ISO 9660 image into fd. */
static int extract_from_iso(const char *path, int fd, char **member, struct ib_error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_iso9660(a);
	int r = archive_read_open_filename(a, path, 1 << 20) == ARCHIVE_OK ? 0 : -1;
	if (r < 0) {
		r = ib_fail(err, IB_EXIT_INPUT, "%s: not an ISO 9660 image libarchive can read: %s", path,
			    archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	struct archive_entry *e;
	bool found = false;
	while (!found && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (!install_member(archive_entry_pathname(e)))
			continue;
		found = true;
		*member = ib_xstrdup(archive_entry_pathname(e));
		if (strncmp(*member, "./", 2) == 0)
			memmove(*member, *member + 2, strlen(*member) - 1);
		if (archive_read_data_into_fd(a, fd) != ARCHIVE_OK)
			r = ib_fail(err, IB_EXIT_INPUT, "%s: cannot read %s: %s", path, *member, archive_error_string(a));
	}
	archive_read_free(a);
	if (!found && has_udf(path))
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s: its files are in UDF, which imgbuild does not read (Windows' own ISOs are; their "
			       "ISO 9660 part holds only a README): extract sources/install.wim or install.esd "
			       "(7z x ISO sources/install.wim) and give that",
			       path);
	if (!found)
		return ib_fail(err, IB_EXIT_INPUT, "%s: no sources/install.wim or sources/install.esd in this ISO", path);
	return r;
}

/* A temporary in TMPDIR for an ISO's WIM. It is unlinked as soon as wimlib
 * has opened it (wimlib wants a real path, then reads through its own
 * descriptor), so only the extraction itself can leave it behind. */
static int make_tmp(char **path, struct ib_error *err)
{
	const char *t = getenv("TMPDIR");
	*path = ib_xasprintf("%s/imgbuild-media.XXXXXX", t && *t ? t : "/tmp");
	int fd = mkstemp(*path);
	if (fd < 0) {
		int e = errno;
		free(*path);
		*path = NULL;
		return ib_fail_errno(err, -e, "cannot create a temporary file in %s for the ISO's WIM", t && *t ? t : "/tmp");
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

#ifdef IB_HAVE_WIMLIB
#include <wimlib.h>

#include "core/sha256.h"
#include "fs/ntfs3g_compat.h"
#include "vol/ntfs3g_device.h"
#include "vol/ntfs3g_route.h"
#include "vol/vol.h"

#include <openssl/evp.h>

/* wimlib's own messages (it says more than its error codes), gathered in
 * an anonymous file while a call runs. */
static FILE *wim_msgs;

static void msgs_begin(void)
{
	if (!wim_msgs)
		wim_msgs = tmpfile();
	if (wim_msgs) {
		rewind(wim_msgs);
		if (ftruncate(fileno(wim_msgs), 0) < 0)
			clearerr(wim_msgs);
		wimlib_set_error_file(wim_msgs);
	}
}

/* The last thing wimlib said, on one line ("" if nothing); static storage. */
static const char *msgs_last(void)
{
	static char line[512];
	line[0] = 0;
	if (!wim_msgs)
		return line;
	fflush(wim_msgs);
	rewind(wim_msgs);
	char buf[512];
	while (fgets(buf, sizeof buf, wim_msgs)) {
		buf[strcspn(buf, "\n")] = 0;
		const char *b = buf;
		while (*b == ' ')
			b++;
		if (*b) {
			if (!strncmp(b, "[ERROR] ", 8))
				b += 8;
			if (line[0] && strlen(line) + strlen(b) + 3 < sizeof line)
				strcat(strcat(line, "; "), b);
			else if (!line[0])
				snprintf(line, sizeof line, "%s", b);
		}
	}
	wimlib_set_print_errors(false);
	return line;
}

static int wim_fail(struct ib_error *err, int code, int ret, const char *fmt, const char *shown)
{
	const char *said = msgs_last();
	return ib_fail(err, code, fmt, shown, wimlib_get_error_string((enum wimlib_error_code)ret), *said ? " (" : "",
		       said, *said ? ")" : "");
}

static char *prop(WIMStruct *w, int image, const char *name)
{
	const wimlib_tchar *v = wimlib_get_image_property(w, image, name);
	return v && *v ? ib_xstrdup(v) : NULL;
}

static uint64_t uprop(WIMStruct *w, int image, const char *name)
{
	const wimlib_tchar *v = wimlib_get_image_property(w, image, name);
	return v ? strtoull(v, NULL, 10) : 0;
}

static char *arch_name(int id, const char *raw)
{
	switch (id) {
	case IB_WIM_X86: return ib_xstrdup("x86");
	case IB_WIM_ARM: return ib_xstrdup("arm");
	case IB_WIM_AMD64: return ib_xstrdup("amd64");
	case IB_WIM_ARM64: return ib_xstrdup("arm64");
	default: return raw ? ib_xasprintf("unknown (%s)", raw) : NULL;
	}
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n >= m && !strcasecmp(s + n - m, tail);
}

static int read_wim(struct ib_wim *m, struct ib_error *err)
{
	WIMStruct *w = NULL;
	msgs_begin();
	int ret = wimlib_open_wim(m->open_path, 0, &w);
	if (ret)
		return wim_fail(err, IB_EXIT_INPUT, ret, "%s: not a WIM wimlib can read: %s%s%s%s", m->shown);
	m->wim = w;
	struct wimlib_wim_info info;
	wimlib_get_wim_info(w, &info);
	m->parts = info.total_parts;
	if (info.total_parts > 1) {
		/* A split WIM: NAME.swm, NAME2.swm, ... beside the first part. */
		if (!ends_with(m->open_path, ".swm"))
			return ib_fail(err, IB_EXIT_INPUT, "%s: part %u of a split WIM of %u parts; give the first part (.swm)",
				       m->shown, info.part_number, info.total_parts);
		_cleanup_free_ char *glob = ib_xasprintf("%.*s*.swm", (int)(strlen(m->open_path) - 4), m->open_path);
		const wimlib_tchar *globs[] = {glob};
		msgs_begin();
		ret = wimlib_reference_resource_files(w, globs, 1,
						      WIMLIB_REF_FLAG_GLOB_ENABLE | WIMLIB_REF_FLAG_GLOB_ERR_ON_NOMATCH, 0);
		if (ret)
			return wim_fail(err, IB_EXIT_INPUT, ret, "%s: cannot gather the parts of the split WIM: %s%s%s%s",
					m->shown);
	}
	m->compression =
		ib_xstrdup(wimlib_get_compression_type_string((enum wimlib_compression_type)info.compression_type));
	for (int i = 1; i <= (int)info.image_count; i++) {
		const wimlib_tchar *a = wimlib_get_image_property(w, i, "WINDOWS/ARCH");
		int id = a ? atoi(a) : IB_WIM_ARCH_UNKNOWN;
		struct ib_wim_image im = {
			.index = (unsigned)i,
			.name = prop(w, i, "NAME"),
			.edition = prop(w, i, "WINDOWS/EDITIONID"),
			.locale = prop(w, i, "WINDOWS/LANGUAGES/DEFAULT"),
			.arch_id = id,
			.arch = arch_name(id, a),
			.major = (unsigned)uprop(w, i, "WINDOWS/VERSION/MAJOR"),
			.minor = (unsigned)uprop(w, i, "WINDOWS/VERSION/MINOR"),
			.build = (unsigned)uprop(w, i, "WINDOWS/VERSION/BUILD"),
			.bytes = uprop(w, i, "TOTALBYTES"),
			.files = uprop(w, i, "FILECOUNT"),
			.dirs = uprop(w, i, "DIRCOUNT"),
		};
		const wimlib_tchar *pt = wimlib_get_image_property(w, i, "WINDOWS/PRODUCTTYPE");
		im.product_type = !pt ? 0 : !strcasecmp(pt, "WinNT") ? 1 : !strcasecmp(pt, "LanmanNT") ? 2
				  : !strcasecmp(pt, "ServerNT") ? 3 : 0;
		IB_VEC_PUSH(m->images, im);
	}
	return 0;
}

int ib_wim_stat(struct ib_wim *m, unsigned index, const char *path, uint64_t *size, bool *is_dir,
		struct ib_error *err);

struct stat_ctx {
	uint64_t size;
	bool dir;
};

static int stat_cb(const struct wimlib_dir_entry *d, void *arg)
{
	struct stat_ctx *c = arg;
	c->dir = d->attributes & WIMLIB_FILE_ATTRIBUTE_DIRECTORY;
	c->size = c->dir ? 0 : d->streams[0].resource.uncompressed_size;
	return 0;
}

static char *wim_path(const char *path)
{
	char *p = ib_xstrdup(path);
	for (char *c = p; *c; c++)
		if (*c == '\\')
			*c = '/';
	return p;
}

int ib_wim_stat(struct ib_wim *m, unsigned index, const char *path, uint64_t *size, bool *is_dir,
		struct ib_error *err)
{
	struct stat_ctx c = {0};
	_cleanup_free_ char *p = wim_path(path);
	msgs_begin();
	int ret = wimlib_iterate_dir_tree(m->wim, (int)index, p, 0, stat_cb, &c);
	if (ret == WIMLIB_ERR_PATH_DOES_NOT_EXIST) {
		msgs_last();
		return 0;
	}
	if (ret)
		return wim_fail(err, IB_EXIT_INPUT, ret, "%s: cannot read the image's files: %s%s%s%s", m->shown);
	msgs_last();
	if (size)
		*size = c.size;
	if (is_dir)
		*is_dir = c.dir;
	return 1;
}

struct tree_sum {
	uint64_t bytes, entries;
};

static int bytes_cb(const struct wimlib_dir_entry *d, void *arg)
{
	struct tree_sum *t = arg;
	if (!(d->attributes & WIMLIB_FILE_ATTRIBUTE_DIRECTORY))
		t->bytes += d->streams[0].resource.uncompressed_size;
	t->entries++;
	return 0;
}

int ib_wim_tree_bytes(struct ib_wim *m, unsigned index, const char *dir, uint64_t *bytes, uint64_t *entries,
		      struct ib_error *err)
{
	struct tree_sum t = {0};
	_cleanup_free_ char *p = wim_path(dir);
	msgs_begin();
	int ret = wimlib_iterate_dir_tree(m->wim, (int)index, p, WIMLIB_ITERATE_DIR_TREE_FLAG_RECURSIVE, bytes_cb, &t);
	*bytes = t.bytes;
	*entries = t.entries;
	if (ret && ret != WIMLIB_ERR_PATH_DOES_NOT_EXIST)
		return wim_fail(err, IB_EXIT_INPUT, ret, "%s: cannot read the image's files: %s%s%s%s", m->shown);
	msgs_last();
	return 0;
}

int ib_wim_pe_machine_of(struct ib_wim *m, unsigned index, const char *path, uint16_t *machine,
			 struct ib_error *err)
{
	*machine = 0;
	const char *t = getenv("TMPDIR");
	_cleanup_free_ char *dir = ib_xasprintf("%s/imgbuild-pe.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir))
		return ib_fail_errno(err, -errno, "cannot create a temporary folder in %s", t && *t ? t : "/tmp");
	_cleanup_free_ char *p = wim_path(path);
	const wimlib_tchar *paths[] = {p};
	msgs_begin();
	int ret = wimlib_extract_paths(m->wim, (int)index, dir, paths, 1,
				      WIMLIB_EXTRACT_FLAG_NO_PRESERVE_DIR_STRUCTURE | WIMLIB_EXTRACT_FLAG_NO_ACLS);
	int r = 0;
	if (ret) {
		r = wim_fail(err, IB_EXIT_INPUT, ret, "%s: cannot read the image's files: %s%s%s%s", m->shown);
	} else {
		msgs_last();
		const char *base = strrchr(p, '/');
		_cleanup_free_ char *f = ib_path_join(dir, base ? base + 1 : p);
		*machine = ib_pe_machine_file(f);
	}
	ib_rm_rf(dir);
	return r;
}

/* ---- apply ---- */

struct apply_ctx {
	const struct ib_wim_progress *progress;
	double last;
};

static enum wimlib_progress_status on_progress(enum wimlib_progress_msg msg, union wimlib_progress_info *info,
					      void *arg)
{
	struct apply_ctx *c = arg;
	if (ib_interrupted())
		return WIMLIB_PROGRESS_STATUS_ABORT;
	if (!c->progress || !c->progress->fn)
		return WIMLIB_PROGRESS_STATUS_CONTINUE;
	const char *phase = NULL;
	switch (msg) {
	case WIMLIB_PROGRESS_MSG_EXTRACT_FILE_STRUCTURE: phase = "files"; break;
	case WIMLIB_PROGRESS_MSG_EXTRACT_STREAMS: phase = "data"; break;
	case WIMLIB_PROGRESS_MSG_EXTRACT_METADATA: phase = "metadata"; break;
	default: return WIMLIB_PROGRESS_STATUS_CONTINUE;
	}
	/* At most about 4 reports a second, and the last one of each phase. */
	double now = ib_now();
	bool end = msg == WIMLIB_PROGRESS_MSG_EXTRACT_STREAMS
			   ? info->extract.completed_bytes >= info->extract.total_bytes
			   : info->extract.current_file_count >= info->extract.end_file_count;
	if (!end && now - c->last < 0.25)
		return WIMLIB_PROGRESS_STATUS_CONTINUE;
	c->last = now;
	c->progress->fn(c->progress->ctx, phase, info->extract.completed_bytes, info->extract.total_bytes,
			info->extract.current_file_count, info->extract.end_file_count);
	return WIMLIB_PROGRESS_STATUS_CONTINUE;
}

/* Errors wimlib returns for damaged media (not our volume or our host). */
static bool media_error(int ret)
{
	switch (ret) {
	case WIMLIB_ERR_DECOMPRESSION:
	case WIMLIB_ERR_INVALID_RESOURCE_HASH:
	case WIMLIB_ERR_INVALID_METADATA_RESOURCE:
	case WIMLIB_ERR_INVALID_LOOKUP_TABLE_ENTRY:
	case WIMLIB_ERR_INVALID_REPARSE_DATA:
	case WIMLIB_ERR_RESOURCE_NOT_FOUND:
	case WIMLIB_ERR_UNEXPECTED_END_OF_FILE:
	case WIMLIB_ERR_INVALID_HEADER:
	case WIMLIB_ERR_INVALID_PART_NUMBER:
	case WIMLIB_ERR_INVALID_CHUNK_SIZE:
	case WIMLIB_ERR_INVALID_COMPRESSION_TYPE:
	case WIMLIB_ERR_SPLIT_INVALID:
	case WIMLIB_ERR_XML: return true;
	default: return false;
	}
}

int ib_wim_apply_ntfs(struct ib_wim *m, unsigned index, const struct ib_vol_target *t,
		      const struct ib_wim_progress *progress, struct ib_error *err)
{
	/* A name that is no file: if the route did not take, wimlib's
	 * ntfs_mount fails on it plainly instead of opening something else. */
	_cleanup_free_ char *name = ib_xasprintf("imgbuild-partition-%u-at-%" PRIu64 ":", t->number, t->offset);
	if (ib_ntfs3g_route_begin(name, t, err) < 0)
		return -1;
	struct apply_ctx c = {.progress = progress};
	wimlib_register_progress_function(m->wim, on_progress, &c);
	msgs_begin();
	int ret = wimlib_extract_image(m->wim, (int)index, name, WIMLIB_EXTRACT_FLAG_NTFS);
	ib_ntfs3g_route_end();
	wimlib_register_progress_function(m->wim, NULL, NULL);
	if (ret == WIMLIB_ERR_ABORTED_BY_PROGRESS) {
		msgs_last();
		return ib_fail_interrupted(err, "applying the image");
	}
	if (ret)
		return wim_fail(err, media_error(ret) ? IB_EXIT_INPUT : IB_EXIT_FAIL, ret,
				"%s: applying the image failed: %s%s%s%s", m->shown);
	msgs_last();
	return 0;
}

/* ---- verify ---- */

struct verify_ctx {
	ntfs_volume *vol;
	struct ib_wim_verified *v;
	struct ib_error *err;
	uint8_t *buf;
	size_t bufsz;
	/* Hard link groups seen: group id -> MFT number (open addressing;
	 * Windows has tens of thousands of hard-linked files in WinSxS). */
	uint64_t *gkey, *gval;
	size_t gcap, gn;
	bool failed;             /* err says why */
};

static size_t group_slot(const struct verify_ctx *c, uint64_t id)
{
	size_t i = (size_t)(id * 0x9E3779B97F4A7C15ull) & (c->gcap - 1);
	while (c->gkey[i] && c->gkey[i] != id)
		i = (i + 1) & (c->gcap - 1);
	return i;
}

static bool group_has(const struct verify_ctx *c, uint64_t id)
{
	return c->gcap && c->gkey[group_slot(c, id)] == id;
}

/* The MFT number recorded for group id; mft is recorded when it is new.
 * Ids are never 0 (wimlib's id of files with one name). */
static uint64_t *group_find(struct verify_ctx *c, uint64_t id, uint64_t mft)
{
	if (2 * (c->gn + 1) > c->gcap) {
		size_t ocap = c->gcap;
		uint64_t *ok = c->gkey, *ov = c->gval;
		c->gcap = ocap ? 2 * ocap : 1024;
		c->gkey = ib_xcalloc(c->gcap, sizeof(*c->gkey));
		c->gval = ib_xcalloc(c->gcap, sizeof(*c->gval));
		for (size_t i = 0; i < ocap; i++)
			if (ok[i]) {
				size_t j = group_slot(c, ok[i]);
				c->gkey[j] = ok[i];
				c->gval[j] = ov[i];
			}
		free(ok);
		free(ov);
	}
	size_t i = group_slot(c, id);
	if (!c->gkey[i]) {
		c->gkey[i] = id;
		c->gval[i] = mft;
		c->gn++;
	}
	return &c->gval[i];
}

static int vfail(struct verify_ctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int vfail(struct verify_ctx *c, const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	ib_fail(c->err, IB_EXIT_FAIL, "verify: %s: %s", path, what);
	c->failed = true;
	return 1; /* stops the iteration */
}

/* The stream's size and SHA-1 on the volume equal the image's. */
static int check_stream(struct verify_ctx *c, ntfs_inode *ni, const char *path, const struct wimlib_stream_entry *s)
{
	ntfschar *uname = NULL;
	int ulen = 0;
	if (s->stream_name) {
		ulen = ntfs_mbstoucs(s->stream_name, &uname);
		if (ulen < 0)
			return vfail(c, path, "stream name '%s' is not valid", s->stream_name);
	}
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, s->stream_name ? uname : AT_UNNAMED, (u32)ulen);
	free(uname);
	uint64_t want = s->resource.uncompressed_size;
	if (!na) {
		if (want == 0 && !s->stream_name)
			return 0; /* an empty file may have no data to open */
		return vfail(c, path, "stream %s is missing", s->stream_name ? s->stream_name : "(data)");
	}
	int r = 0;
	if ((uint64_t)na->data_size != want) {
		r = vfail(c, path, "stream %s is %lld bytes, the image has %" PRIu64, s->stream_name ? s->stream_name : "(data)",
			  (long long)na->data_size, want);
	} else if (want) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		EVP_DigestInit_ex(md, EVP_sha1(), NULL);
		for (uint64_t off = 0; off < want && r == 0;) {
			s64 n = ntfs_attr_pread(na, (s64)off, (s64)(want - off < c->bufsz ? want - off : c->bufsz), c->buf);
			if (n <= 0) {
				r = vfail(c, path, "cannot read at %" PRIu64 ": %s", off, strerror(errno));
				break;
			}
			EVP_DigestUpdate(md, c->buf, (size_t)n);
			off += (uint64_t)n;
		}
		uint8_t h[EVP_MAX_MD_SIZE];
		unsigned hl = 0;
		EVP_DigestFinal_ex(md, h, &hl);
		EVP_MD_CTX_free(md);
		static const uint8_t zero[20];
		/* A hash the image does not record (all zero) cannot be compared. */
		if (r == 0 && memcmp(s->resource.sha1_hash, zero, 20) && memcmp(h, s->resource.sha1_hash, 20))
			r = vfail(c, path, "stream %s differs from the image (SHA-1)", s->stream_name ? s->stream_name : "(data)");
		c->v->bytes += want;
	}
	c->v->streams++;
	ntfs_attr_close(na);
	return r;
}

static int verify_cb(const struct wimlib_dir_entry *d, void *arg)
{
	struct verify_ctx *c = arg;
	if (ib_interrupted()) {
		ib_fail_interrupted(c->err, "verifying the applied image");
		c->failed = true;
		return 1;
	}
	const char *path = d->full_path && *d->full_path ? d->full_path : "/";
	ntfs_inode *ni = ntfs_pathname_to_inode(c->vol, NULL, path);
	if (!ni)
		return vfail(c, path, "not on the volume");
	int r = 0;
	bool dir = d->attributes & WIMLIB_FILE_ATTRIBUTE_DIRECTORY;
	bool ntfs_dir = ni->mrec->flags & MFT_RECORD_IS_DIRECTORY;
	bool reparse = d->attributes & WIMLIB_FILE_ATTRIBUTE_REPARSE_POINT;
	if (dir != ntfs_dir)
		r = vfail(c, path, "is a %s on the volume, a %s in the image", ntfs_dir ? "directory" : "file",
			  dir ? "directory" : "file");
	if (r == 0 && reparse) {
		/* The tag is the first 4 bytes of the $REPARSE_POINT attribute. */
		ntfs_attr *na = ntfs_attr_open(ni, AT_REPARSE_POINT, AT_UNNAMED, 0);
		uint8_t tag[4];
		if (!na || ntfs_attr_pread(na, 0, 4, tag) != 4 ||
		    ((uint32_t)tag[0] | (uint32_t)tag[1] << 8 | (uint32_t)tag[2] << 16 | (uint32_t)tag[3] << 24) !=
			    d->reparse_tag)
			r = vfail(c, path, "reparse point 0x%08x is missing or different", d->reparse_tag);
		if (na)
			ntfs_attr_close(na);
		c->v->reparse++;
	}
	/* Data: the unnamed stream of a file that is no reparse point, and
	 * every named stream; once per hard link group. */
	bool again = d->num_links > 1 && group_has(c, d->hard_link_group_id);
	if (again)
		c->v->links++;
	for (uint32_t i = 0; r == 0 && !again && i <= d->num_named_streams; i++) {
		const struct wimlib_stream_entry *s = &d->streams[i];
		if (!s->stream_name && (dir || reparse))
			continue;
		r = check_stream(c, ni, path, s);
	}
	if (r == 0 && d->dos_name && *d->dos_name) {
		/* The short name is a DOS-namespace $FILE_NAME of the inode. */
		ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
		bool found = false;
		while (ctx && !found && !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
			const FILE_NAME_ATTR *fn =
				(const FILE_NAME_ATTR *)((const uint8_t *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
			if (fn->file_name_type == FILE_NAME_DOS) {
				char *name = NULL;
				ntfschar u[256]; /* aligned: the attribute's name is packed */
				memcpy(u, (const uint8_t *)fn + offsetof(FILE_NAME_ATTR, file_name),
				       fn->file_name_length * sizeof(ntfschar));
				if (ntfs_ucstombs(u, fn->file_name_length, &name, 0) > 0)
					found = !strcasecmp(name, d->dos_name);
				free(name);
			}
		}
		if (ctx)
			ntfs_attr_put_search_ctx(ctx);
		if (!found)
			r = vfail(c, path, "short name %s is missing", d->dos_name);
		c->v->short_names++;
	}
	if (r == 0 && d->num_links > 1) {
		/* Every name of a hard link group is the same MFT record. */
		uint64_t mft = MREF(ni->mft_no), *seen = group_find(c, d->hard_link_group_id, mft);
		if (*seen != mft)
			r = vfail(c, path, "should be a hard link of MFT record %" PRIu64 ", is record %" PRIu64, *seen, mft);
	}
	if (dir)
		c->v->dirs++;
	else
		c->v->files++;
	ntfs_inode_close(ni);
	return r;
}

int ib_wim_verify_ntfs(struct ib_wim *m, unsigned index, const struct ib_vol_target *t, struct ib_wim_verified *out,
		       struct ib_error *err)
{
	*out = (struct ib_wim_verified){0};
	struct ib_ntfs3g_io io;
	ntfs_volume *vol = NULL;
	if (ib_ntfs3g_mount(t, true, &io, &vol, err) < 0)
		return -1;
	struct verify_ctx c = {.vol = vol, .v = out, .err = err, .bufsz = 1 << 20};
	c.buf = ib_xmalloc(c.bufsz);
	msgs_begin();
	int ret = wimlib_iterate_dir_tree(m->wim, (int)index, "/", WIMLIB_ITERATE_DIR_TREE_FLAG_RECURSIVE, verify_cb, &c);
	int r = 0;
	if (c.failed)
		r = -1; /* verify_cb said why */
	else if (ret)
		r = wim_fail(err, IB_EXIT_INPUT, ret, "%s: cannot read the image's files: %s%s%s%s", m->shown);
	else
		msgs_last();
	free(c.buf);
	free(c.gkey);
	free(c.gval);
	if (ntfs_umount(vol, false) < 0 && r == 0)
		r = ib_fail_errno(err, -errno, "verify: cannot close the volume");
	return r;
}

#else /* !IB_HAVE_WIMLIB: ib_wim_open already refused (exit 3), so these are never reached */

static int no_wimlib(struct ib_error *err)
{
	return ib_fail(err, IB_EXIT_ENV, "imgbuild was built without wimlib (install libwim-dev and rebuild)");
}

int ib_wim_stat(struct ib_wim *m, unsigned index, const char *path, uint64_t *size, bool *is_dir,
		struct ib_error *err)
{
	(void)m, (void)index, (void)path, (void)size, (void)is_dir;
	return no_wimlib(err);
}

int ib_wim_tree_bytes(struct ib_wim *m, unsigned index, const char *dir, uint64_t *bytes, uint64_t *entries,
		      struct ib_error *err)
{
	(void)m, (void)index, (void)dir, (void)bytes, (void)entries;
	return no_wimlib(err);
}

int ib_wim_pe_machine_of(struct ib_wim *m, unsigned index, const char *path, uint16_t *machine,
			 struct ib_error *err)
{
	(void)m, (void)index, (void)path, (void)machine;
	return no_wimlib(err);
}

int ib_wim_apply_ntfs(struct ib_wim *m, unsigned index, const struct ib_vol_target *t,
		      const struct ib_wim_progress *progress, struct ib_error *err)
{
	(void)m, (void)index, (void)t, (void)progress;
	return no_wimlib(err);
}

int ib_wim_verify_ntfs(struct ib_wim *m, unsigned index, const struct ib_vol_target *t, struct ib_wim_verified *out,
		       struct ib_error *err)
{
	(void)m, (void)index, (void)t, (void)out;
	return no_wimlib(err);
}
#endif /* IB_HAVE_WIMLIB */

void ib_wim_close(struct ib_wim *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->images.n; i++) {
		free(m->images.v[i].name);
		free(m->images.v[i].edition);
		free(m->images.v[i].arch);
		free(m->images.v[i].locale);
	}
	free(m->images.v);
#ifdef IB_HAVE_WIMLIB
	if (m->wim)
		wimlib_free(m->wim);
#endif
	if (m->tmp_fd >= 0)
		close(m->tmp_fd);
	free(m->path);
	free(m->shown);
	free(m->member);
	free(m->compression);
	free(m->open_path);
	free(m);
}

int ib_wim_open(const char *path, struct ib_wim **out, struct ib_error *err)
{
	*out = NULL;
	struct ib_wim *m = ib_xcalloc(1, sizeof(*m));
	m->tmp_fd = -1;
	m->path = ib_xstrdup(path);
	int r = 0;
	if (is_wim(path)) {
		m->shown = ib_xstrdup(path);
		m->open_path = ib_xstrdup(path);
	} else if (is_iso(path)) {
		m->tmp_fd = make_tmp(&m->open_path, err);
		r = m->tmp_fd < 0 ? -1 : extract_from_iso(path, m->tmp_fd, &m->member, err);
		if (r == 0)
			m->shown = ib_xasprintf("%s (%s)", path, m->member);
	} else {
		int e = access(path, R_OK) < 0 ? errno : 0;
		r = ib_fail(err, e == ENOENT ? IB_EXIT_INPUT : IB_EXIT_INPUT, "%s: %s", path,
			    e ? strerror(e) : "neither a WIM/ESD (MSWIM magic) nor an ISO 9660 image");
	}
#ifdef IB_HAVE_WIMLIB
	if (r == 0)
		r = read_wim(m, err);
	if (m->tmp_fd >= 0 && m->open_path)
		unlink(m->open_path); /* wimlib holds it open */
#else
	if (m->tmp_fd >= 0 && m->open_path)
		unlink(m->open_path);
	if (r == 0)
		r = ib_fail(err, IB_EXIT_ENV, "%s: imgbuild was built without wimlib (install libwim-dev and rebuild)",
			    m->shown);
#endif
	if (r < 0) {
		ib_wim_close(m);
		return -1;
	}
	*out = m;
	return 0;
}

static void list_images(const struct ib_wim *m, struct ib_buf *b)
{
	for (size_t i = 0; i < m->images.n; i++) {
		const struct ib_wim_image *im = &m->images.v[i];
		ib_buf_printf(b, "%s%u \"%s\" (%s, build %u, %s)", i ? ", " : "", im->index, im->name ? im->name : "",
			      im->edition ? im->edition : "no edition", im->build, im->arch ? im->arch : "no arch");
	}
}

int ib_wim_pick(const struct ib_wim *m, const char *want, const struct ib_wim_image **out, struct ib_error *err)
{
	*out = NULL;
	struct ib_buf list = {0};
	list_images(m, &list);
	int r = 0;
	if (!want || !*want) {
		if (m->images.n == 1)
			*out = &m->images.v[0];
		else
			r = ib_fail(err, IB_EXIT_INPUT, "%s has %zu images; say which with index: (a number, name or edition): %s",
				    m->shown, m->images.n, list.s ? list.s : "");
		ib_buf_free(&list);
		return r;
	}
	char *end;
	unsigned long n = strtoul(want, &end, 10);
	if (*want >= '0' && *want <= '9' && !*end) {
		if (n >= 1 && n <= m->images.n)
			*out = &m->images.v[n - 1];
		else
			r = ib_fail(err, IB_EXIT_INPUT, "%s has no image %s; it has: %s", m->shown, want, list.s ? list.s : "none");
		ib_buf_free(&list);
		return r;
	}
	size_t hits = 0;
	for (size_t i = 0; i < m->images.n; i++) {
		const struct ib_wim_image *im = &m->images.v[i];
		if (im->name && !strcasecmp(im->name, want)) {
			*out = im; /* a name is unique in a WIM */
			hits = 1;
			break;
		}
		if (im->edition && !strcasecmp(im->edition, want)) {
			*out = im;
			hits++;
		}
	}
	if (hits == 0)
		r = ib_fail(err, IB_EXIT_INPUT, "%s has no image named or of edition '%s'; it has: %s", m->shown, want,
			    list.s ? list.s : "none");
	else if (hits > 1)
		r = ib_fail(err, IB_EXIT_INPUT, "%s: %zu images are of edition '%s'; give the number or the name: %s",
			    m->shown, hits, want, list.s);
	if (r < 0)
		*out = NULL;
	ib_buf_free(&list);
	return r;
}
