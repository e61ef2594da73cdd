// SPDX-License-Identifier: GPL-2.0-or-later
/* Registry value types: the numbers, their names and the recipe's spellings.
 * A leaf header (no hive, no injector) so the recipe model can name them. */
#pragma once

/* The numbers are the on-disk ones (and hivex's). */
enum ib_reg_type {
	IB_REG_NONE = 0,
	IB_REG_SZ = 1,
	IB_REG_EXPAND_SZ = 2,
	IB_REG_BINARY = 3,
	IB_REG_DWORD = 4,
	IB_REG_MULTI_SZ = 7,
	IB_REG_QWORD = 11,
};

/* "REG_SZ", ...; "REG_0x<n>" style names are not needed: unknown gives "REG_?". */
const char *ib_reg_type_name(enum ib_reg_type t);

/* "REG_SZ", "sz", "string", "expand_sz", "multi_sz", "dword", "qword",
 * "binary" (case-insensitive) to a type; -1 for anything else. */
int ib_win_reg_type_parse(const char *s, enum ib_reg_type *out);
