// SPDX-License-Identifier: GPL-2.0-or-later
/* The list of filesystem handlers, and lookups in it. */
#include "fstype.h"

#include <string.h>

#include "core/util.h"

/* In type order; a new filesystem adds its line here. */
static const struct ib_fs_ops *const handlers[] = { &ib_fs_fat16, &ib_fs_fat32, &ib_fs_ntfs };

const struct ib_fs_ops *ib_fs_ops_of(enum ib_fs_type t)
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(handlers); i++)
		if (handlers[i]->type == t)
			return handlers[i];
	return NULL;
}

const struct ib_fs_ops *ib_fs_ops_by_name(const char *name)
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(handlers); i++)
		if (!strcmp(handlers[i]->name, name))
			return handlers[i];
	return NULL;
}

const struct ib_fs_ops *ib_fs_ops_probe(const uint8_t sec[512])
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(handlers); i++)
		if (handlers[i]->probe(sec))
			return handlers[i];
	return NULL;
}

const char *const *ib_fs_type_names(void)
{
	static const char *names[IB_ARRAY_SIZE(handlers) + 1];
	for (size_t i = 0; i < IB_ARRAY_SIZE(handlers); i++)
		names[i] = handlers[i]->name;
	return names;
}

const char *ib_fs_type_name(enum ib_fs_type t)
{
	const struct ib_fs_ops *o = ib_fs_ops_of(t);
	return o ? o->name : "none";
}

uint64_t ib_fs_min_size(enum ib_fs_type t, uint64_t cluster, uint32_t sector_size)
{
	const struct ib_fs_ops *o = ib_fs_ops_of(t);
	return o ? o->min_size(cluster, sector_size) : 0;
}

bool ib_fs_holds_windows(enum ib_fs_type t)
{
	const struct ib_fs_ops *o = ib_fs_ops_of(t);
	return o && o->holds_windows;
}

const char *ib_fs_default_ptype(enum ib_fs_type t, enum ib_table table)
{
	if (table == IB_TABLE_GPT)
		return "basic-data";
	const struct ib_fs_ops *o = ib_fs_ops_of(t);
	return o ? o->mbr_type : "0x83";
}
