// SPDX-License-Identifier: GPL-2.0-or-later
/* A minimal streaming JSON writer (compact, one object per line for events). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct ib_json {
	struct ib_buf buf;
	bool need_comma[64];
	int depth;
	bool after_key;
};

void ib_json_begin_object(struct ib_json *j);
void ib_json_end_object(struct ib_json *j);
void ib_json_begin_array(struct ib_json *j);
void ib_json_end_array(struct ib_json *j);
void ib_json_key(struct ib_json *j, const char *key);
void ib_json_string(struct ib_json *j, const char *s); /* NULL writes null */
void ib_json_uint(struct ib_json *j, uint64_t v);
void ib_json_int(struct ib_json *j, int64_t v);
void ib_json_double(struct ib_json *j, double v);
void ib_json_bool(struct ib_json *j, bool v);
void ib_json_null(struct ib_json *j);
/* Shorthands: key + value. */
void ib_json_kv_str(struct ib_json *j, const char *key, const char *s);
void ib_json_kv_uint(struct ib_json *j, const char *key, uint64_t v);
void ib_json_kv_bool(struct ib_json *j, const char *key, bool v);
/* Write the document plus a newline to f, and reset the writer. */
void ib_json_flush(struct ib_json *j, FILE *f);
void ib_json_free(struct ib_json *j);
