// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "tmpdir.h"

char *ut_tmpdir_make(const char *tag)
{
	char *d = ib_xasprintf("/tmp/ib-test-%s-XXXXXX", tag);
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

bool ut_tmpdir_into(char *buf, size_t size, const char *tag)
{
	int n = snprintf(buf, size, "/tmp/ib-test-%s-XXXXXX", tag);
	return n > 0 && (size_t)n < size && mkdtemp(buf);
}

int ut_dirfx_setup(void **state, const char *tag)
{
	struct ut_dirfx *f = ib_xcalloc(1, sizeof(*f));
	f->dir = ut_tmpdir_make(tag);
	if (!f->dir) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int ut_dirfx_teardown(void **state)
{
	struct ut_dirfx *f = *state;
	ib_rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

void ut_mkdir_p(const char *dir)
{
	char *p = ib_xstrdup(dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
	free(p);
}

int ut_read_all(const char *path, uint8_t **buf, size_t *len)
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

int ut_write_all(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int r = ib_pwrite_all(fd, buf, len, 0);
	close(fd);
	return r;
}

bool ut_same_bytes(const char *a, const char *b)
{
	uint8_t *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0;
	bool same = ut_read_all(a, &x, &nx) == 0 && ut_read_all(b, &y, &ny) == 0 && nx == ny && memcmp(x, y, nx) == 0;
	free(x);
	free(y);
	return same;
}

bool ut_file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}
