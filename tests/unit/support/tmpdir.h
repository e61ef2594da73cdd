// SPDX-License-Identifier: GPL-2.0-or-later
/* Scratch directories and whole-file reads and writes for the unit tests. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fresh /tmp/ib-test-<tag>-XXXXXX (caller frees), NULL when mkdtemp fails. */
char *ut_tmpdir_make(const char *tag);

/* The same, made in buf (size bytes); false when it cannot be. */
bool ut_tmpdir_into(char *buf, size_t size, const char *tag);

/* A fixture that is just a scratch directory: state holds a struct ut_dirfx. */
struct ut_dirfx {
	char *dir;
};
int ut_dirfx_setup(void **state, const char *tag);
int ut_dirfx_teardown(void **state);

/* mkdir -p without a shell; errors are left for the next open to find. */
void ut_mkdir_p(const char *dir);

/* The whole file into *buf (caller frees); 0 or -1 with errno. */
int ut_read_all(const char *path, uint8_t **buf, size_t *len);

/* Create or truncate path with exactly buf; 0 or -1 with errno. */
int ut_write_all(const char *path, const void *buf, size_t len);

/* Whether both files can be read and hold the same bytes. */
bool ut_same_bytes(const char *a, const char *b);

bool ut_file_exists(const char *path);
