// SPDX-License-Identifier: GPL-2.0-or-later
/* Small helpers shared by every part of libimgbuild: allocation that cannot
 * fail silently, cleanup attributes, growable arrays, little-endian access. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define IB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Cleanup attributes (GCC and Clang, on Linux and illumos alike). */
#define _cleanup_(f) __attribute__((cleanup(f)))
static inline void ib_freep(void *p) { free(*(void **)p); }
static inline void ib_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void ib_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void ib_closedirp(DIR **d) { if (*d) closedir(*d); }
#define _cleanup_free_ _cleanup_(ib_freep)
#define _cleanup_close_ _cleanup_(ib_closep)
#define _cleanup_fclose_ _cleanup_(ib_fclosep)   /* FILE * (read-only use: errors are not checked) */
#define _cleanup_closedir_ _cleanup_(ib_closedirp)
/* Hand ownership over: returns the pointer and clears the variable. */
#define TAKE_PTR(p) __extension__({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })
#define TAKE_FD(fd) __extension__({ int _tf = (fd); (fd) = -1; _tf; })

/* Allocation: abort with a message on out-of-memory (nothing sensible to undo). */
void *ib_xmalloc(size_t n);
void *ib_xcalloc(size_t n, size_t size);
void *ib_xrealloc(void *p, size_t n);
char *ib_xstrdup(const char *s);
/* UTF-16 code units of valid UTF-8: one per sequence, two past U+FFFF. */
size_t ib_utf16_units(const char *s);
char *ib_xstrndup(const char *s, size_t n);
char *ib_xasprintf(const char *fmt, ...) IB_PRINTF(1, 2);
char *ib_xvasprintf(const char *fmt, va_list ap) IB_PRINTF(1, 0);

/* Growable array: struct { T *v; size_t n, cap; }. */
#define IB_VEC(T) struct { T *v; size_t n, cap; }
#define IB_VEC_PUSH(vec, item)                                                       \
	do {                                                                         \
		if ((vec).n == (vec).cap) {                                          \
			(vec).cap = (vec).cap ? (vec).cap * 2 : 8;                   \
			(vec).v = ib_xrealloc((vec).v, (vec).cap * sizeof(*(vec).v)); \
		}                                                                    \
		(vec).v[(vec).n++] = (item);                                         \
	} while (0)

/* Growable string. */
struct ib_buf {
	char *s;
	size_t len, cap;
};
void ib_buf_append(struct ib_buf *b, const char *s, size_t n);
void ib_buf_puts(struct ib_buf *b, const char *s);
void ib_buf_printf(struct ib_buf *b, const char *fmt, ...) IB_PRINTF(2, 3);
char *ib_buf_steal(struct ib_buf *b); /* never NULL */
void ib_buf_free(struct ib_buf *b);
static inline void ib_buf_freep(struct ib_buf *b) { ib_buf_free(b); }
#define _cleanup_buf_ _cleanup_(ib_buf_freep) /* struct ib_buf */

/* Little-endian field access for on-disk structures. */
static inline void ib_put_le16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void ib_put_le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static inline void ib_put_le64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static inline uint16_t ib_get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t ib_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ib_get_le64(const uint8_t *p)
{
	return (uint64_t)ib_get_le32(p) | (uint64_t)ib_get_le32(p + 4) << 32;
}

/* Whole-buffer I/O that retries short transfers and EINTR; -errno on failure. */
int ib_pwrite_all(int fd, const void *buf, size_t n, uint64_t off);
int ib_pread_all(int fd, void *buf, size_t n, uint64_t off); /* -EIO on short read (EOF) */

/* Join a directory and a relative path ("" or "." dir gives rel). */
char *ib_path_join(const char *dir, const char *rel);
/* Split an absolute volume path in place: "/a/b/c" -> returns "/a/b" and sets
 * *name to "c"; "/c" and "c" -> returns "/" (a static string). */
const char *ib_path_split(char *path, const char **name);
/* Recursively remove a path; ignores ENOENT. 0 or -errno. */
int ib_rm_rf(const char *path);
