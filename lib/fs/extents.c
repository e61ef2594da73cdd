// SPDX-License-Identifier: GPL-2.0-or-later
/* Copy only the data extents of a sparse file into another file at an offset:
 * how a freshly made filesystem (a few MiB of metadata in a file of many GiB)
 * gets into the image without writing its holes. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/undo.h"
#include "core/util.h"

#define COPY_CHUNK (1u << 20)

static bool all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Copy [off, end) of src to dst_off + off in bounded chunks. With skip_zero
 * (no extent map available) all-zero blocks are left out so they stay holes. */
static int copy_range(int src_fd, int dst_fd, uint64_t dst_off, uint64_t off, uint64_t end, bool skip_zero,
		      uint8_t *buf, struct ib_error *err)
{
	while (off < end) {
		if (ib_interrupted())
			return ib_fail_interrupted(err, "copying filesystem");
		size_t n = end - off < COPY_CHUNK ? (size_t)(end - off) : COPY_CHUNK;
		int r = ib_pread_all(src_fd, buf, n, off);
		if (r < 0)
			return ib_fail_errno(err, r, "copying filesystem: read at %llu", (unsigned long long)off);
		if (skip_zero) {
			/* Per 4 KiB block, so a mostly empty chunk stays mostly sparse. */
			for (size_t b = 0; b < n; b += 4096) {
				size_t bn = n - b < 4096 ? n - b : 4096;
				if (all_zero(buf + b, bn))
					continue;
				r = ib_pwrite_all(dst_fd, buf + b, bn, dst_off + off + b);
				if (r < 0)
					return ib_fail_errno(err, r, "copying filesystem: write at %llu",
							     (unsigned long long)(dst_off + off + b));
			}
		} else {
			r = ib_pwrite_all(dst_fd, buf, n, dst_off + off);
			if (r < 0)
				return ib_fail_errno(err, r, "copying filesystem: write at %llu",
						     (unsigned long long)(dst_off + off));
		}
		off += n;
	}
	return 0;
}

/* The destination may hold old bytes (a base image, a rebuilt partition):
 * deallocate it where the source has holes so it reads back as zeros, as
 * mkntfs left it. Where punching is unsupported the range is left as it is
 * (a fresh sparse work image reads as zeros anyway). */
static int punch(int dst_fd, uint64_t off, uint64_t len, struct ib_error *err)
{
#ifdef FALLOC_FL_PUNCH_HOLE
	if (len && fallocate(dst_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS)
		return ib_fail_errno(err, -errno, "copying filesystem: cannot clear %llu bytes at %llu",
				     (unsigned long long)len, (unsigned long long)off);
#else
	(void)dst_fd, (void)off, (void)len, (void)err;
#endif
	return 0;
}

int ib_copy_extents(int src_fd, int dst_fd, uint64_t dst_off, struct ib_error *err)
{
	off_t size = lseek(src_fd, 0, SEEK_END);
	if (size < 0)
		return ib_fail_errno(err, -errno, "copying filesystem: cannot size the source");
	_cleanup_free_ uint8_t *buf = ib_xmalloc(COPY_CHUNK);

	off_t pos = 0;
	while (pos < size) {
		off_t data = lseek(src_fd, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO) /* only a hole remains */
				return punch(dst_fd, dst_off + (uint64_t)pos, (uint64_t)(size - pos), err);
			if (errno == EINVAL || errno == EOPNOTSUPP) /* no extent map here */
				return copy_range(src_fd, dst_fd, dst_off, (uint64_t)pos, (uint64_t)size, true, buf,
						  err);
			return ib_fail_errno(err, -errno, "copying filesystem: SEEK_DATA");
		}
		off_t hole = lseek(src_fd, data, SEEK_HOLE);
		if (hole < 0)
			return ib_fail_errno(err, -errno, "copying filesystem: SEEK_HOLE");
		if (hole > size)
			hole = size;
		if (punch(dst_fd, dst_off + (uint64_t)pos, (uint64_t)(data - pos), err) < 0)
			return -1;
		if (copy_range(src_fd, dst_fd, dst_off, (uint64_t)data, (uint64_t)hole, false, buf, err) < 0)
			return -1;
		pos = hole;
	}
	return 0;
}
