// SPDX-License-Identifier: GPL-2.0-or-later
/* Opening an image for inspection: `qemu-img info` names the format and the
 * virtual size; a raw image is read in place, any other format is converted
 * to a sparse raw temporary first (`qemu-img convert -O raw` writes holes
 * for zeros), so every reader sees plain disk bytes. -U (force share) lets
 * us read an image a VM holds open; we only read. */
#include "inspect.h"
#include "core/blkio.h"
#include "output/base_record.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h> /* BLKGETSIZE64 */
#endif

#include "core/spawn.h"

/* ---- a scan of qemu-img's JSON: only the top-level keys matter --------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* p at '"': the end of the string (after the closing quote), or NULL. */
static const char *skip_string(const char *p)
{
	for (p++; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* p at any value: its end, or NULL when the text is cut short. */
static const char *skip_value(const char *p)
{
	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		for (; *p; p++) {
			if (*p == '"') {
				p = skip_string(p);
				if (!p)
					return NULL;
				p--;
			} else if (*p == '{' || *p == '[') {
				depth++;
			} else if (*p == '}' || *p == ']') {
				if (--depth == 0)
					return p + 1;
			}
		}
		return NULL;
	}
	while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n')
		p++;
	return p;
}

char *ib_inspect_json_top(const char *json, const char *key)
{
	const char *p = skip_ws(json);
	if (*p != '{')
		return NULL;
	p = skip_ws(p + 1);
	size_t klen = strlen(key);
	while (*p == '"') {
		const char *kend = skip_string(p);
		if (!kend)
			return NULL;
		bool match = (size_t)(kend - p - 2) == klen && !memcmp(p + 1, key, klen);
		p = skip_ws(kend);
		if (*p != ':')
			return NULL;
		p = skip_ws(p + 1);
		const char *vend = skip_value(p);
		if (!vend)
			return NULL;
		if (match) {
			if (*p == '"') /* qemu-img's names need no unescaping */
				return ib_xstrndup(p + 1, (size_t)(vend - p - 2));
			return ib_xstrndup(p, (size_t)(vend - p));
		}
		p = skip_ws(vend);
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1);
	}
	return NULL;
}

/* ---- opening ------------------------------------------------------------ */

/* A failing qemu-img is about the image (exit 2), unless it is missing or
 * we were interrupted. */
static int qemu_img_failed(struct ib_error *err, const char *path)
{
	if (err->exit_code == IB_EXIT_FAIL) {
		err->exit_code = IB_EXIT_INPUT;
		ib_error_prefix(err, "%s: not an image qemu-img can read", path);
	} else {
		ib_error_prefix(err, "%s", path);
	}
	return -1;
}

static int query_info(const char *path, struct ib_inspect_image *img, struct ib_error *err)
{
	const char *argv[] = {"qemu-img", "info", "-U", "--output=json", path, NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res = {0};
	if (ib_spawn(argv, &o, &res, err) < 0) {
		ib_spawn_result_free(&res);
		return qemu_img_failed(err, path);
	}
	img->format = ib_inspect_json_top(res.out, "format");
	char *vs = ib_inspect_json_top(res.out, "virtual-size");
	ib_spawn_result_free(&res);
	char *end = NULL;
	errno = 0;
	unsigned long long v = vs ? strtoull(vs, &end, 10) : 0;
	bool ok = vs && end != vs && !*end && !errno;
	free(vs);
	if (!img->format || !ok)
		return ib_fail(err, IB_EXIT_INPUT, "%s: qemu-img info gave no format and virtual size", path);
	img->virtual_size = v;
	return 0;
}

static int make_temp(struct ib_inspect_image *img, struct ib_error *err)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	img->tmp = ib_xasprintf("%s/imgbuild-inspect-XXXXXX", dir);
	int fd = mkstemp(img->tmp);
	if (fd < 0) {
		int e = errno;
		free(img->tmp);
		img->tmp = NULL;
		return ib_fail(err, IB_EXIT_ENV, "cannot create a temporary file in %s: %s", dir, strerror(e));
	}
	close(fd);
	return 0;
}

static int convert_to_raw(const char *path, struct ib_inspect_image *img, struct ib_error *err)
{
	if (make_temp(img, err) < 0)
		return -1;
	const char *argv[] = {"qemu-img", "convert", "-U", "-f", img->format, "-O", "raw", path, img->tmp, NULL};
	struct ib_spawn_opts o = {.stdin_fd = -1};
	if (ib_spawn(argv, &o, NULL, err) < 0)
		return qemu_img_failed(err, path);
	img->raw_path = ib_xstrdup(img->tmp);
	return 0;
}

static int device_size(int fd, const char *path, uint64_t *size, struct ib_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ib_fail_errno(err, -errno, "%s", path);
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
#ifdef BLKGETSIZE64
	if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, size) == 0)
		return 0;
#endif
	return ib_fail(err, IB_EXIT_INPUT, "%s: not a regular file or block device", path);
}

int ib_inspect_image_open(const char *path, struct ib_inspect_image *img, struct ib_error *err)
{
	*img = (struct ib_inspect_image){.fd = -1};
	if (ib_blk_is_nbd(path)) {
		if (ib_blk_open(path, false, &img->blk, err) < 0)
			return -1;
		img->format = ib_xstrdup("raw");
		img->raw_path = ib_xstrdup(path);
		img->size = img->virtual_size = ib_blk_size(img->blk);
		return 0;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return ib_fail(err, IB_EXIT_INPUT, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return ib_fail(err, IB_EXIT_INPUT, "%s: is a directory, not an image", path);
	/* An overlay output: its base present and unchanged, before qemu-img
	 * reads through it (a changed base gives an undefined image). */
	if (ib_base_record_check(path, err) < 0)
		return -1;
	if (query_info(path, img, err) < 0)
		goto fail;
	if (!strcmp(img->format, "raw")) {
		img->raw_path = ib_xstrdup(path);
	} else if (convert_to_raw(path, img, err) < 0) {
		goto fail;
	}
	img->fd = open(img->raw_path, O_RDONLY | O_CLOEXEC);
	if (img->fd < 0) {
		ib_fail(err, IB_EXIT_INPUT, "%s: %s", img->raw_path, strerror(errno));
		goto fail;
	}
	if (device_size(img->fd, img->raw_path, &img->size, err) < 0)
		goto fail;
	img->blk = ib_blk_from_fd(img->fd, img->size);
	return 0;
fail:
	ib_inspect_image_close(img);
	return -1;
}

void ib_inspect_image_close(struct ib_inspect_image *img)
{
	ib_blk_close(img->blk); /* a view of fd, or the export's connection */
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
	if (img->tmp)
		unlink(img->tmp);
	free(img->tmp);
	free(img->raw_path);
	free(img->format);
	*img = (struct ib_inspect_image){.fd = -1};
}
