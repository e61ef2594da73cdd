// SPDX-License-Identifier: GPL-2.0-or-later
/* An image's bytes, read and written by offset, wherever they live: a file,
 * or an NBD export on a unix socket (libnbd), named as qemu names it:
 * "nbd+unix:///?socket=PATH" (PATH percent-encoded where needed). The NBD
 * way lets a build edit a qcow2 overlay on a base image, served rootless by
 * qemu-nbd, without a raw copy of the base (lib/build/build_overlay.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct ib_blk;

/* Whether this build of imgbuild can open NBD exports (libnbd). */
bool ib_blk_nbd_available(void);
/* Whether image names an NBD export. */
bool ib_blk_is_nbd(const char *image);
/* The name of the export on a unix socket (malloc'd). */
char *ib_blk_nbd_name(const char *socket_path);

/* Open for reading, or reading and writing. A file must exist; an export
 * must be served. 0, or -1 with err set. */
int ib_blk_open(const char *image, bool writable, struct ib_blk **out, struct ib_error *err);
/* A view of an open file descriptor the caller keeps owning (ib_blk_close
 * frees the view, the fd stays open). */
struct ib_blk *ib_blk_from_fd(int fd, uint64_t size);
uint64_t ib_blk_size(const struct ib_blk *b);
/* All of [off, off + n): 0, or -errno (-EIO for a range past the end). */
int ib_blk_pread(struct ib_blk *b, void *buf, size_t n, uint64_t off);
int ib_blk_pwrite(struct ib_blk *b, const void *buf, size_t n, uint64_t off);
/* For an export: its server has every write (NBD FLUSH); a file: nothing,
 * the page cache is what every later reader sees. 0, or -errno. */
int ib_blk_flush(struct ib_blk *b);
/* Flush what was written, then release; NULL is fine. 0, or -errno. */
int ib_blk_close(struct ib_blk *b);
/* The last NBD error in words (static; "" for files). */
const char *ib_blk_error(void);
