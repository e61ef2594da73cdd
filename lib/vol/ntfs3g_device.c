// SPDX-License-Identifier: GPL-2.0-or-later
/* The offset device: libntfs-3g sees a disk the size of the partition, the
 * bytes live in the image at the partition's offset. Positions past the end
 * of the partition read as end-of-device and cannot be written, so a bug in
 * the filesystem code can never touch a neighbouring partition. */
#include "ntfs3g_device.h"

#include <string.h>
#include <sys/stat.h>

#include "core/blkio.h"
#include "core/error.h"
#include "core/undo.h"
#include "vol.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h> /* BLKGETSIZE64, BLKSSZGET */
#endif

static struct ib_ntfs3g_io *io_of(struct ntfs_device *dev) { return dev->d_private; }

static int dev_open(struct ntfs_device *dev, int flags)
{
	struct ib_ntfs3g_io *io = io_of(dev);
	if (NDevOpen(dev)) {
		errno = EBUSY;
		return -1;
	}
	struct ib_error err = {0};
	if (ib_blk_open(io->path ? io->path : dev->d_name, (flags & O_ACCMODE) != O_RDONLY, &io->blk, &err) < 0) {
		ntfs_log_error("%s\n", err.msg);
		ib_error_clear(&err);
		errno = EIO;
		return -1;
	}
	io->pos = 0;
	if ((flags & O_ACCMODE) == O_RDONLY)
		NDevSetReadOnly(dev);
	else
		NDevClearReadOnly(dev);
	NDevSetOpen(dev);
	return 0;
}

static int dev_close(struct ntfs_device *dev)
{
	struct ib_ntfs3g_io *io = io_of(dev);
	if (!NDevOpen(dev)) {
		errno = EBADF;
		return -1;
	}
	int r = ib_blk_close(io->blk);
	io->blk = NULL;
	if (r < 0) {
		errno = -r;
		r = -1;
	}
	NDevClearOpen(dev);
	NDevClearDirty(dev);
	return r;
}

static s64 dev_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct ib_ntfs3g_io *io = io_of(dev);
	s64 base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? io->pos : whence == SEEK_END ? (s64)io->size : -1;
	if (base < 0 || (offset > 0 && base + offset < base) || base + offset < 0 ||
	    (uint64_t)(base + offset) > io->size) {
		errno = EINVAL;
		return -1;
	}
	io->pos = base + offset;
	return io->pos;
}

/* Clip [pos, pos + count) to the partition; the length that remains. */
static s64 clip(const struct ib_ntfs3g_io *io, s64 pos, s64 count)
{
	if (pos < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)pos >= io->size)
		return 0;
	if ((uint64_t)count > io->size - (uint64_t)pos)
		count = (s64)(io->size - (uint64_t)pos);
	return count;
}

static s64 dev_pread(struct ntfs_device *dev, void *buf, s64 count, s64 pos)
{
	struct ib_ntfs3g_io *io = io_of(dev);
	s64 n = clip(io, pos, count);
	if (n <= 0)
		return n;
	/* The mount checked that the partition lies inside the image. */
	int r = ib_blk_pread(io->blk, buf, (size_t)n, io->offset + (uint64_t)pos);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return n;
}

static s64 dev_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 pos)
{
	struct ib_ntfs3g_io *io = io_of(dev);
	if (NDevReadOnly(dev)) {
		errno = EROFS;
		return -1;
	}
	s64 n = clip(io, pos, count);
	if (n < 0)
		return -1;
	if (n == 0 && count > 0) {
		errno = ENOSPC; /* past the end of the partition */
		return -1;
	}
	NDevSetDirty(dev);
	int r = ib_blk_pwrite(io->blk, buf, (size_t)n, io->offset + (uint64_t)pos);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return n;
}

static s64 dev_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct ib_ntfs3g_io *io = io_of(dev);
	s64 r = dev_pread(dev, buf, count, io->pos);
	if (r > 0)
		io->pos += r;
	return r;
}

static s64 dev_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	struct ib_ntfs3g_io *io = io_of(dev);
	s64 r = dev_pwrite(dev, buf, count, io->pos);
	if (r > 0)
		io->pos += r;
	return r;
}

/* No fsync: the work image is a temporary that is read back through the page
 * cache (conversion, inspection); durability is the business of the outputs,
 * which the build writes and renames into place. An NBD export is flushed,
 * so its server has the writes before anything else reads the image. */
static int dev_sync(struct ntfs_device *dev)
{
	int r = ib_blk_flush(io_of(dev)->blk);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	NDevClearDirty(dev);
	return 0;
}

static int dev_stat(struct ntfs_device *dev, struct stat *st)
{
	struct ib_ntfs3g_io *io = io_of(dev);
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0600;
	st->st_size = (off_t)io->size;
	st->st_blocks = (blkcnt_t)(io->size / 512);
	return 0;
}

static int dev_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	struct ib_ntfs3g_io *io = io_of(dev);
	(void)io;
	(void)argp;
	switch (request) {
#ifdef BLKGETSIZE64
	case BLKGETSIZE64:
		*(uint64_t *)argp = io->size;
		return 0;
#endif
#ifdef BLKSSZGET
	case BLKSSZGET:
		*(int *)argp = (int)io->sector_size;
		return 0;
#endif
	default:
		/* Not a block device: libntfs-3g falls back to stat and seeks. */
		errno = ENOTTY;
		return -1;
	}
}

const struct ntfs_device_operations ib_ntfs3g_offset_ops = {
	.open = dev_open,
	.close = dev_close,
	.seek = dev_seek,
	.read = dev_read,
	.write = dev_write,
	.pread = dev_pread,
	.pwrite = dev_pwrite,
	.sync = dev_sync,
	.stat = dev_stat,
	.ioctl = dev_ioctl,
};

struct ntfs_device *ib_ntfs3g_device_new(const char *image, struct ib_ntfs3g_io *io)
{
	io->blk = NULL;
	io->pos = 0;
	/* libntfs-3g's prototype takes the table non-const; it never writes it. */
	return ntfs_device_alloc(image, 0, (struct ntfs_device_operations *)&ib_ntfs3g_offset_ops, io);
}

/* libntfs-3g's errno after a failed mount, in words. */
static const char *mount_error(int e)
{
	switch (e) {
	case EINVAL: return "not an NTFS filesystem";
	case EPERM: return "Windows is hibernated or was shut down with Fast Startup; boot it and shut it down fully";
	case EOPNOTSUPP: return "the NTFS journal is unclean (Windows did not close the volume cleanly)";
	case EIO: return "the NTFS filesystem is damaged (run chkdsk)";
	default: return strerror(e);
	}
}

int ib_ntfs3g_mount(const struct ib_vol_target *t, bool read_only, struct ib_ntfs3g_io *io, ntfs_volume **vol,
		    struct ib_error *err)
{
	*vol = NULL;
	struct ib_blk *b = NULL;
	if (ib_blk_open(t->image, false, &b, err) < 0) {
		ib_error_prefix(err, "ntfs");
		return -1;
	}
	uint64_t image_size = ib_blk_size(b);
	ib_blk_close(b);
	if (image_size < t->offset || image_size - t->offset < t->size)
		return ib_fail(err, IB_EXIT_INPUT, "ntfs: partition at %llu (+%llu bytes) lies beyond the end of %s",
			       (unsigned long long)t->offset, (unsigned long long)t->size, t->image);
	io->blk = NULL;
	io->path = NULL;
	io->offset = t->offset;
	io->size = t->size;
	io->sector_size = t->sector_size ? t->sector_size : 512;
	ntfs_set_char_encoding("utf8");
	struct ntfs_device *dev = ib_ntfs3g_device_new(t->image, io);
	if (!dev)
		return ib_fail_errno(err, -errno, "ntfs: cannot set up a device for %s", t->image);
	*vol = ntfs_device_mount(dev, read_only ? NTFS_MNT_RDONLY : NTFS_MNT_NONE);
	if (!*vol) {
		int e = errno;
		ntfs_device_free(dev); /* a failed mount closes it but leaves it to us */
		bool input = e == EINVAL || e == EPERM || e == EOPNOTSUPP || e == EIO;
		return ib_fail(err, input ? IB_EXIT_INPUT : IB_EXIT_FAIL,
			       "ntfs: cannot open the filesystem at offset %llu of %s: %s", (unsigned long long)t->offset,
			       t->image, mount_error(e));
	}
	return 0;
}

int ib_ntfs3g_write_stream(ntfs_inode *ni, int fd, uint8_t *buf, size_t bufsz, const char *path, const char *src,
			   uint64_t *written, struct ib_error *err)
{
	*written = 0;
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na)
		return ib_fail_errno(err, -errno, "ntfs: cannot open the data of %s", path);
	int rc = 0;
	if (na->data_size && ntfs_attr_truncate(na, 0) < 0)
		rc = ib_fail_errno(err, -errno, "ntfs: cannot truncate %s", path);
	uint64_t pos = 0;
	while (!rc) {
		if (ib_interrupted()) {
			_cleanup_free_ char *what = ib_xasprintf("ntfs: writing %s", path);
			rc = ib_fail_interrupted(err, what);
			break;
		}
		ssize_t n = read(fd, buf, bufsz);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ib_fail_errno(err, -errno, "ntfs: cannot read %s", src);
			break;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n && !rc;) {
			s64 w = ntfs_attr_pwrite(na, (s64)(pos + (uint64_t)off), n - off, buf + off);
			if (w <= 0)
				rc = ib_fail_errno(err, w < 0 ? -errno : -EIO, "ntfs: cannot write %s", path);
			else
				off += w;
		}
		if (!rc)
			pos += (uint64_t)n;
	}
	ntfs_attr_close(na);
	*written = pos;
	return rc;
}
