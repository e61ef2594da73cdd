// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared by the hive tests: the fixture hive (used in place, never copied
 * into the repository), a scratch directory, and the independent reader
 * hivexget (libhivex-bin) run through ib_spawn. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lib/spawn.h"
#include "lib/util.h"

/* $IMGBUILD_SHARED/hives/minimal, default $IMGBUILD_SRCDIR/../shared. NULL
 * (after printing why) when it is not there. */
static inline const char *hive_fixture_minimal(void)
{
	static char path[4096];
	const char *shared = getenv("IMGBUILD_SHARED");
	const char *src = getenv("IMGBUILD_SRCDIR");
	if (shared && *shared)
		snprintf(path, sizeof(path), "%s/fixtures/hives/minimal", shared);
	else
		snprintf(path, sizeof(path), "%s/../shared/fixtures/hives/minimal", src && *src ? src : ".");
	if (access(path, R_OK) != 0) {
		printf("SKIP: fixture hive %s is missing (set IMGBUILD_SHARED or IMGBUILD_SRCDIR)\n", path);
		return NULL;
	}
	return path;
}

static inline char *hive_tmpdir(const char *tag)
{
	char *d = ib_xasprintf("/tmp/ib-test-%s-XXXXXX", tag);
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

static inline bool have_hivexget(void)
{
	char *p = ib_which("hivexget");
	if (!p) {
		printf("SKIP: hivexget is not installed (Debian package libhivex-bin); independent check not run\n");
		return false;
	}
	free(p);
	return true;
}

/* stdout of `hivexget HIVE KEY` (every value of KEY, one `"name"=...` line
 * each), or NULL when hivexget fails (e.g. the key does not exist). */
static inline char *hivexget_key(const char *hive, const char *key)
{
	const char *argv[] = {"hivexget", hive, key, NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result r = {0};
	struct ib_error err = {0};
	char *out = NULL;
	if (ib_spawn(argv, &o, &r, &err) == 0)
		out = TAKE_PTR(r.out);
	ib_spawn_result_free(&r);
	ib_error_clear(&err);
	return out;
}

/* Whether text has a line exactly equal to line. */
static inline bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && memcmp(p, line, n) == 0)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/* Assert that hivexget shows KEY with the value line `line`; prints the
 * whole output on failure. */
#define assert_hivexget(hive, key, line)                                                                  \
	do {                                                                                              \
		char *out_ = hivexget_key((hive), (key));                                                 \
		if (!out_ || !has_line(out_, (line)))                                                     \
			print_error("hivexget %s '%s' printed:\n%s\nwanted the line: %s\n", (hive), (key),  \
				    out_ ? out_ : "(failed)", (line));                                     \
		assert_true(out_ && has_line(out_, (line)));                                              \
		free(out_);                                                                               \
	} while (0)

static inline int read_all(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	*len = (size_t)st.st_size;
	*buf = ib_xmalloc(*len ? *len : 1);
	int r = ib_pread_all(fd, *buf, *len, 0);
	close(fd);
	return r;
}

static inline int write_all(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int r = ib_pwrite_all(fd, buf, len, 0);
	close(fd);
	return r;
}

static inline bool same_bytes(const char *a, const char *b)
{
	uint8_t *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0;
	bool same = read_all(a, &x, &nx) == 0 && read_all(b, &y, &ny) == 0 && nx == ny && memcmp(x, y, nx) == 0;
	free(x);
	free(y);
	return same;
}

static inline bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}
