// SPDX-License-Identifier: GPL-2.0-or-later
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

static void oom(void)
{
	fputs("imgbuild: out of memory\n", stderr);
	abort();
}

void *ib_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *ib_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *ib_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

size_t ib_utf16_units(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n += *p >= 0xF0 ? 2 : 1;
	return n;
}

char *ib_xstrdup(const char *s)
{
	return ib_xstrndup(s, strlen(s));
}

char *ib_xstrndup(const char *s, size_t n)
{
	char *p = ib_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ib_xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom();
	char *p = ib_xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *ib_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = ib_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void ib_buf_append(struct ib_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = ib_xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void ib_buf_puts(struct ib_buf *b, const char *s)
{
	ib_buf_append(b, s, strlen(s));
}

void ib_buf_printf(struct ib_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = ib_xvasprintf(fmt, ap);
	va_end(ap);
	ib_buf_puts(b, p);
	free(p);
}

char *ib_buf_steal(struct ib_buf *b)
{
	char *s = b->s ? b->s : ib_xstrdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void ib_buf_free(struct ib_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

int ib_pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int ib_pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

char *ib_path_join(const char *dir, const char *rel)
{
	if (!dir || !*dir || (dir[0] == '.' && !dir[1]) || rel[0] == '/')
		return ib_xstrdup(rel);
	size_t dl = strlen(dir);
	return ib_xasprintf("%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", rel);
}

const char *ib_path_split(char *path, const char **name)
{
	char *slash = strrchr(path, '/');
	if (!slash) {
		*name = path;
		return "/";
	}
	*name = slash + 1;
	if (slash == path)
		return "/";
	*slash = '\0';
	return path;
}

static int rm_rf_at(int dirfd, const char *name, dev_t dev, bool top)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	/* Never walk into another filesystem: a volume still mounted below the
	 * tree (an unmount that failed) must not be emptied. */
	if (top)
		dev = st.st_dev;
	else if (st.st_dev != dev)
		return -EBUSY;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = -errno;
		close(fd);
		return e;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int q = rm_rf_at(fd, de->d_name, dev, false);
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int ib_rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path, 0, true);
}
