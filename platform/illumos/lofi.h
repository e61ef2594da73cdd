// SPDX-License-Identifier: GPL-2.0-or-later
/* lofiadm's output and lofi's device names (portable, unit-tested). */
#pragma once

#include <stdbool.h>

#include "core/util.h"
#include "ptable/table.h"

struct ib_lofi_row {
	char *dev;     /* first column: /dev/lofi/N or a /dev/dsk path */
	char *file;
	char *options; /* "-", "Readonly", "Compressed(gzip),Readonly", ... */
	bool read_only;
};
struct ib_lofi_rows {
	IB_VEC(struct ib_lofi_row) list;
};
/* The output of `lofiadm` without arguments (header "Block Device File
 * Options", then one row per mapping). -1 if it is not in that format. */
int ib_lofi_parse_list(const char *text, struct ib_lofi_rows *out);
void ib_lofi_rows_free(struct ib_lofi_rows *r);
/* "/dev/dsk/c2t0d0p0" -> base "c2t0d0" (malloc'd), NULL if not that shape. */
char *ib_lofi_disk_base(const char *p0);
/* The node of partition n of base: GPT s(n-1), MBR pN; "/dev/dsk/<base>sK". */
char *ib_lofi_part_node(const char *base, enum ib_table table, unsigned n);
