// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers the fuzz targets share: the input as a file the code under test
 * can open by name (a memfd, seen through /proc/self/fd), without touching
 * the disk. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/undo.h"

/* fd of a memfd holding data (rewound), its path in *path; -1 on failure. */
static inline int fuzz_memfd(const uint8_t *data, size_t size, char path[64])
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}
