// SPDX-License-Identifier: GPL-2.0-or-later
#include "media.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#ifdef IB_HAVE_WIMLIB
#include <wimlib.h>
#endif

#include "core/size.h"
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

bool ib_media_is(const char *path)
{
	return is_wim(path) || is_iso(path);
}

void ib_media_free(struct ib_media *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->images.n; i++) {
		free(m->images.v[i].name);
		free(m->images.v[i].edition);
		free(m->images.v[i].arch);
	}
	free(m->images.v);
	free(m->path);
	free(m->wim);
	free(m->compression);
	free(m);
}

static bool install_image(const char *name)
{
	const char *n = strncmp(name, "./", 2) ? name : name + 2;
	return !strcasecmp(n, "sources/install.wim") || !strcasecmp(n, "sources/install.esd");
}

/* sources/install.wim|esd of an ISO 9660 image, copied to tmp. */
static int extract_from_iso(const char *path, const char *tmp, char **member, struct ib_error *err)
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
		if (!install_image(archive_entry_pathname(e)))
			continue;
		found = true;
		*member = ib_xstrdup(archive_entry_pathname(e));
		_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || archive_read_data_into_fd(a, fd) != ARCHIVE_OK)
			r = ib_fail(err, IB_EXIT_INPUT, "%s: cannot read %s: %s", path, *member,
				    fd < 0 ? strerror(errno) : archive_error_string(a));
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

#ifdef IB_HAVE_WIMLIB
static char *prop(WIMStruct *w, int image, const char *name)
{
	const wimlib_tchar *v = wimlib_get_image_property(w, image, name);
	return v && *v ? ib_xstrdup(v) : NULL;
}

static unsigned uprop(WIMStruct *w, int image, const char *name)
{
	const wimlib_tchar *v = wimlib_get_image_property(w, image, name);
	return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

/* WINDOWS/ARCH is PROCESSOR_ARCHITECTURE_*: 0 x86, 5 arm, 9 amd64, 12 arm64. */
static char *arch_name(WIMStruct *w, int image)
{
	const wimlib_tchar *v = wimlib_get_image_property(w, image, "WINDOWS/ARCH");
	if (!v)
		return NULL;
	switch (atoi(v)) {
	case 0: return ib_xstrdup("x86");
	case 5: return ib_xstrdup("arm");
	case 9: return ib_xstrdup("amd64");
	case 12: return ib_xstrdup("arm64");
	default: return ib_xasprintf("unknown (%s)", v);
	}
}

static int list_wim(const char *path, const char *shown, struct ib_media *m, struct ib_error *err)
{
	WIMStruct *w = NULL;
	int ret = wimlib_open_wim(path, 0, &w);
	if (ret)
		return ib_fail(err, IB_EXIT_INPUT, "%s: not a WIM wimlib can read: %s", shown,
			       wimlib_get_error_string((enum wimlib_error_code)ret));
	struct wimlib_wim_info info;
	wimlib_get_wim_info(w, &info);
	m->compression =
		ib_xstrdup(wimlib_get_compression_type_string((enum wimlib_compression_type)info.compression_type));
	for (int i = 1; i <= (int)info.image_count; i++) {
		struct ib_media_image im = {
			.index = (unsigned)i,
			.name = prop(w, i, "NAME"),
			.edition = prop(w, i, "WINDOWS/EDITIONID"),
			.arch = arch_name(w, i),
			.major = uprop(w, i, "WINDOWS/VERSION/MAJOR"),
			.minor = uprop(w, i, "WINDOWS/VERSION/MINOR"),
			.build = uprop(w, i, "WINDOWS/VERSION/BUILD"),
		};
		const wimlib_tchar *tb = wimlib_get_image_property(w, i, "TOTALBYTES");
		im.bytes = tb ? strtoull(tb, NULL, 10) : 0;
		IB_VEC_PUSH(m->images, im);
	}
	wimlib_free(w);
	return 0;
}
#else
static int list_wim(const char *path, const char *shown, struct ib_media *m, struct ib_error *err)
{
	(void)path, (void)m;
	return ib_fail(err, IB_EXIT_ENV, "%s: imgbuild was built without wimlib (install libwim-dev and rebuild)", shown);
}
#endif

int ib_media_read(const char *path, struct ib_media **out, struct ib_error *err)
{
	*out = NULL;
	struct ib_media *m = ib_xcalloc(1, sizeof(*m));
	m->path = ib_xstrdup(path);
	int r;
	if (is_wim(path)) {
		r = list_wim(path, path, m, err);
	} else {
		const char *t = getenv("TMPDIR");
		_cleanup_free_ char *tmp = ib_xasprintf("%s/imgbuild-media.%ld.wim", t && *t ? t : "/tmp", (long)getpid());
		r = extract_from_iso(path, tmp, &m->wim, err);
		if (r == 0) {
			_cleanup_free_ char *shown = ib_xasprintf("%s (%s)", path, m->wim);
			r = list_wim(tmp, shown, m, err);
		}
		unlink(tmp);
	}
	if (r < 0) {
		ib_media_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void ib_media_print(const struct ib_media *m, FILE *f)
{
	char sz[32];
	fprintf(f, "media:  %s%s%s%s, %s compression, %zu image(s)\n", m->path, m->wim ? " (" : "", m->wim ? m->wim : "",
		m->wim ? ")" : "", m->compression ? m->compression : "-", m->images.n);
	for (size_t i = 0; i < m->images.n; i++) {
		const struct ib_media_image *im = &m->images.v[i];
		fprintf(f, "  %u  %s  edition %s, %u.%u build %u, %s, %s\n", im->index, im->name ? im->name : "-",
			im->edition ? im->edition : "-", im->major, im->minor, im->build, im->arch ? im->arch : "-",
			ib_size_format(im->bytes, sz, sizeof sz));
	}
}

void ib_media_json(const struct ib_media *m, struct ib_json *j)
{
	ib_json_begin_object(j);
	ib_json_key(j, "media");
	ib_json_begin_object(j);
	ib_json_kv_str(j, "path", m->path);
	ib_json_kv_str(j, "wim", m->wim);
	ib_json_kv_str(j, "compression", m->compression);
	ib_json_key(j, "images");
	ib_json_begin_array(j);
	for (size_t i = 0; i < m->images.n; i++) {
		const struct ib_media_image *im = &m->images.v[i];
		ib_json_begin_object(j);
		ib_json_kv_uint(j, "index", im->index);
		ib_json_kv_str(j, "name", im->name);
		ib_json_kv_str(j, "edition", im->edition);
		char v[32];
		snprintf(v, sizeof v, "%u.%u", im->major, im->minor);
		ib_json_kv_str(j, "version", v);
		ib_json_kv_uint(j, "build", im->build);
		ib_json_kv_str(j, "arch", im->arch);
		ib_json_kv_uint(j, "bytes", im->bytes);
		ib_json_end_object(j);
	}
	ib_json_end_array(j);
	ib_json_end_object(j);
	ib_json_end_object(j);
}
