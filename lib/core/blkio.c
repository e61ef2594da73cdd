// SPDX-License-Identifier: GPL-2.0-or-later
/* Image bytes from a file (pread/pwrite) or an NBD export (libnbd). */
#include "blkio.h"

#include <errno.h>
#include <fcntl.h>
#ifdef IB_HAVE_LIBNBD
#include <libnbd.h>
#else
struct nbd_handle;
#endif
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define NBD_PREFIX "nbd+unix:///?socket="

struct ib_blk {
	int fd;                 /* a file; -1 for an export */
	struct nbd_handle *nbd; /* an export */
	uint64_t size;
	bool dirty;
	bool borrowed; /* fd is the caller's */
};

bool ib_blk_is_nbd(const char *image)
{
	return !strncmp(image, NBD_PREFIX, strlen(NBD_PREFIX));
}

/* Unreserved URI characters stay, the rest is %XX. */
char *ib_blk_nbd_name(const char *socket_path)
{
	struct ib_buf b = {0};
	ib_buf_puts(&b, NBD_PREFIX);
	for (const unsigned char *p = (const unsigned char *)socket_path; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~", *p))
			ib_buf_append(&b, (const char *)p, 1);
		else
			ib_buf_printf(&b, "%%%02X", *p);
	}
	return ib_buf_steal(&b);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The socket path of an export name; NULL when malformed. */
static char *socket_of(const char *image)
{
	const char *s = image + strlen(NBD_PREFIX);
	char *out = ib_xcalloc(strlen(s) + 1, 1), *o = out;
	for (; *s; s++) {
		if (*s == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
			if (lo < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else if (*s == '&') {
			break; /* other query parameters: none are ours */
		} else {
			*o++ = *s;
		}
	}
	if (o == out) {
		free(out);
		return NULL;
	}
	return out;
}

#ifdef IB_HAVE_LIBNBD
bool ib_blk_nbd_available(void)
{
	return true;
}

const char *ib_blk_error(void)
{
	const char *e = nbd_get_error();
	return e ? e : "";
}

static int nbd_errno(void)
{
	int e = nbd_get_errno();
	return e ? e : EIO;
}

static int open_nbd(const char *image, bool writable, struct ib_blk *b, struct ib_error *err)
{
	_cleanup_free_ char *sock = socket_of(image);
	if (!sock)
		return ib_fail(err, IB_EXIT_FAIL, "'%s' is not an NBD export name", image);
	b->nbd = nbd_create();
	if (!b->nbd)
		return ib_fail(err, IB_EXIT_FAIL, "libnbd: %s", ib_blk_error());
	if (nbd_connect_unix(b->nbd, sock) < 0)
		return ib_fail(err, IB_EXIT_FAIL, "cannot connect to the NBD server at %s: %s", sock, ib_blk_error());
	if (writable && nbd_is_read_only(b->nbd) == 1)
		return ib_fail(err, IB_EXIT_FAIL, "the NBD export at %s is read-only", sock);
	int64_t size = nbd_get_size(b->nbd);
	if (size < 0)
		return ib_fail(err, IB_EXIT_FAIL, "NBD export at %s: %s", sock, ib_blk_error());
	b->size = (uint64_t)size;
	return 0;
}

static int nbd_pread_all(struct ib_blk *b, void *buf, size_t n, uint64_t off)
{
	return nbd_pread(b->nbd, buf, n, off, 0) == 0 ? 0 : -nbd_errno();
}

static int nbd_pwrite_all(struct ib_blk *b, const void *buf, size_t n, uint64_t off)
{
	return nbd_pwrite(b->nbd, buf, n, off, 0) == 0 ? 0 : -nbd_errno();
}

static int nbd_flush_all(struct ib_blk *b)
{
	return nbd_flush(b->nbd, 0) == 0 ? 0 : -nbd_errno();
}

static void nbd_release(struct ib_blk *b)
{
	nbd_shutdown(b->nbd, 0);
	nbd_close(b->nbd);
}
#else
/* Built without libnbd: no export can be opened (base: builds take the
 * raw-copy way, lib/plan/plan.c). */
bool ib_blk_nbd_available(void)
{
	return false;
}

const char *ib_blk_error(void)
{
	return "imgbuild was built without libnbd";
}

static int open_nbd(const char *image, bool writable, struct ib_blk *b, struct ib_error *err)
{
	(void)writable, (void)b;
	_cleanup_free_ char *sock = socket_of(image);
	return ib_fail(err, IB_EXIT_ENV,
		       "cannot connect to the NBD server at %s: imgbuild was built without libnbd (install libnbd-dev "
		       "and rebuild)",
		       sock ? sock : image);
}

static int nbd_pread_all(struct ib_blk *b, void *buf, size_t n, uint64_t off)
{
	(void)b, (void)buf, (void)n, (void)off;
	return -ENOTSUP;
}

static int nbd_pwrite_all(struct ib_blk *b, const void *buf, size_t n, uint64_t off)
{
	(void)b, (void)buf, (void)n, (void)off;
	return -ENOTSUP;
}

static int nbd_flush_all(struct ib_blk *b)
{
	(void)b;
	return -ENOTSUP;
}

static void nbd_release(struct ib_blk *b)
{
	(void)b;
}
#endif

int ib_blk_open(const char *image, bool writable, struct ib_blk **out, struct ib_error *err)
{
	*out = NULL;
	struct ib_blk *b = ib_xcalloc(1, sizeof(*b));
	b->fd = -1;
	int r;
	if (ib_blk_is_nbd(image)) {
		r = open_nbd(image, writable, b, err);
	} else {
		struct stat st;
		b->fd = open(image, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		r = b->fd < 0 || fstat(b->fd, &st) < 0 ? ib_fail_errno(err, -errno, "cannot open %s", image) : 0;
		if (r == 0 && S_ISREG(st.st_mode)) {
			b->size = (uint64_t)st.st_size;
		} else if (r == 0) { /* a block device: its size is where its end is */
			off_t end = lseek(b->fd, 0, SEEK_END);
			r = end < 0 ? ib_fail_errno(err, -errno, "cannot size %s", image) : 0;
			b->size = end < 0 ? 0 : (uint64_t)end;
		}
	}
	if (r < 0) {
		ib_blk_close(b);
		return -1;
	}
	*out = b;
	return 0;
}

struct ib_blk *ib_blk_from_fd(int fd, uint64_t size)
{
	struct ib_blk *b = ib_xcalloc(1, sizeof(*b));
	b->fd = fd;
	b->size = size;
	b->borrowed = true;
	return b;
}

uint64_t ib_blk_size(const struct ib_blk *b)
{
	return b->size;
}

int ib_blk_pread(struct ib_blk *b, void *buf, size_t n, uint64_t off)
{
	if (b->fd >= 0)
		return ib_pread_all(b->fd, buf, n, off);
	if (off > b->size || n > b->size - off)
		return -EIO;
	return n == 0 ? 0 : nbd_pread_all(b, buf, n, off);
}

int ib_blk_pwrite(struct ib_blk *b, const void *buf, size_t n, uint64_t off)
{
	b->dirty = true;
	if (b->fd >= 0)
		return ib_pwrite_all(b->fd, buf, n, off);
	if (off > b->size || n > b->size - off)
		return -ENOSPC;
	return n == 0 ? 0 : nbd_pwrite_all(b, buf, n, off);
}

int ib_blk_flush(struct ib_blk *b)
{
	if (b->fd >= 0 || !b->dirty)
		return 0;
	int r = nbd_flush_all(b);
	if (r == 0)
		b->dirty = false;
	return r;
}

int ib_blk_close(struct ib_blk *b)
{
	if (!b)
		return 0;
	int r = 0;
	if (b->nbd) {
		if (b->size)
			r = ib_blk_flush(b);
		nbd_release(b);
	}
	if (b->fd >= 0 && !b->borrowed && close(b->fd) < 0 && r == 0)
		r = -errno;
	free(b);
	return r;
}
