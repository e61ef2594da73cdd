// SPDX-License-Identifier: GPL-2.0-or-later
#include "base_record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/sha256.h"
#include "core/util.h"

char *ib_path_relative(const char *from_dir, const char *to, struct ib_error *err)
{
	_cleanup_free_ char *from = realpath(from_dir, NULL);
	_cleanup_free_ char *dst = from ? realpath(to, NULL) : NULL;
	if (!from || !dst) {
		ib_fail_errno(err, -errno, "cannot resolve %s", from ? to : from_dir);
		return NULL;
	}
	if (!strcmp(from, "/"))
		return ib_xstrdup(dst + 1);
	/* The longest common leading run of whole components. */
	size_t common = 0;
	for (size_t i = 0; from[i] && from[i] == dst[i]; i++)
		if (from[i] == '/')
			common = i;
	size_t fl = strlen(from);
	if (!strncmp(from, dst, fl) && (dst[fl] == '/' || !dst[fl]))
		common = fl; /* to is inside from_dir */
	struct ib_buf b = {0};
	for (const char *s = from + common; *s; s++)
		if (*s == '/')
			ib_buf_puts(&b, "../");
	ib_buf_puts(&b, dst[common] == '/' ? dst + common + 1 : dst + common);
	return ib_buf_steal(&b);
}

char *ib_base_record_path(const char *image)
{
	return ib_xasprintf("%s.base.sha256", image);
}

char *ib_base_record_text(const char *base, const char *out_dir, char **rel, struct ib_error *err)
{
	*rel = ib_path_relative(out_dir, base, err);
	if (!*rel)
		return NULL;
	char hex[65];
	if (ib_sha256_file_cached(base, hex, err) < 0) {
		free(*rel);
		*rel = NULL;
		return NULL;
	}
	return ib_xasprintf("%s  %s\n", hex, *rel);
}

int ib_base_record_check(const char *image, struct ib_error *err)
{
	_cleanup_free_ char *rec = ib_base_record_path(image);
	FILE *f = fopen(rec, "re");
	if (!f)
		return errno == ENOENT ? 0 : ib_fail_errno(err, -errno, "cannot read %s", rec);
	char line[8192];
	bool got = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	size_t n = got ? strlen(line) : 0;
	if (n && line[n - 1] == '\n')
		line[--n] = 0;
	bool hex_ok = n > 66;
	for (size_t i = 0; hex_ok && i < 64; i++)
		hex_ok = (line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f');
	if (!hex_ok || line[64] != ' ' || line[65] != ' ')
		return ib_fail(err, IB_EXIT_INPUT, "%s, line 1: not \"<sha256>  <base>\"", rec);
	const char *name = line + 66;
	_cleanup_free_ char *dir = ib_xstrdup(image);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	_cleanup_free_ char *base = name[0] == '/' || !slash ? ib_xstrdup(name) : ib_xasprintf("%s/%s", dir, name);
	struct stat st;
	if (stat(base, &st) < 0)
		return ib_fail(err, IB_EXIT_INPUT, "%s: its base %s is missing (%s): the overlay cannot be read without it",
			       image, base, strerror(errno));
	char hex[65];
	struct ib_error herr = {0};
	if (ib_sha256_file_cached(base, hex, &herr) < 0) {
		int r = ib_fail(err, herr.exit_code == IB_EXIT_FAIL ? IB_EXIT_INPUT : herr.exit_code,
				"%s: its base %s cannot be read: %s", image, base, herr.msg);
		ib_error_clear(&herr);
		return r;
	}
	if (memcmp(hex, line, 64))
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s: its base %s has changed since the overlay was built (SHA-256 %s, recorded %.64s "
			       "in %s): the overlay's contents are undefined on it",
			       image, base, hex, line, rec);
	return 1;
}
