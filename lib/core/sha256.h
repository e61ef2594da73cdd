// SPDX-License-Identifier: GPL-2.0-or-later
/* SHA-256 of a file, streamed (memory stays flat in the file's size), with
 * OpenSSL's libcrypto; and a cache for large files read again and again
 * (a base image behind every overlay build). */
#pragma once

#include <stdint.h>

#include "error.h"

/* Lower-case hex into hex[65]; *size (may be NULL) the bytes read. Stops
 * on SIGINT/SIGTERM. 0, or -1. */
int ib_sha256_file(const char *path, char hex[65], uint64_t *size, struct ib_error *err);
/* SHA-256 and SHA-1 of a file in one pass (OVF manifests use either). */
int ib_file_digests(const char *path, char sha256[65], char sha1[41], struct ib_error *err);
/* The same, remembered in the user's cache ($XDG_CACHE_HOME, else
 * ~/.cache: imgbuild/sha256/<device>-<inode>) with the file's size, mtime
 * and ctime; a file whose inode changed in any way is read again. A cache
 * that cannot be read or written is only not used. */
int ib_sha256_file_cached(const char *path, char hex[65], struct ib_error *err);
