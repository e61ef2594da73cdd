// SPDX-License-Identifier: GPL-2.0-or-later
#include "ntfs3g_names.h"

#include <stdlib.h>

#include "core/util.h"

#include <errno.h>
#include <stdlib.h>

int ib_ntfs_windows_name(ntfs_volume *vol, const char *name, ntfschar **uname)
{
	*uname = NULL;
	int len = ntfs_mbstoucs(name, uname);
	if (len < 0)
		return -1;
	if (len == 0 || len > NTFS_MAX_NAME_LEN || ntfs_forbidden_names(vol, *uname, len, TRUE)) {
		free(*uname);
		*uname = NULL;
		errno = len > NTFS_MAX_NAME_LEN ? ENAMETOOLONG : EINVAL;
		return -1;
	}
	return len;
}

/* Set t into the $FILE_NAMEs of the record (all four times, or only the
 * change time), and mark the inode so closing it copies its times into
 * the parents' index entries. */
static int set_name_times(ntfs_inode *ni, ntfs_time t, bool change_only)
{
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return -1;
	while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
		fn->last_mft_change_time = t;
		if (!change_only)
			fn->creation_time = fn->last_data_change_time = fn->last_access_time = t;
		ntfs_inode_mark_dirty(ctx->ntfs_ino);
	}
	int e = errno;
	ntfs_attr_put_search_ctx(ctx);
	if (e != ENOENT) {
		errno = e;
		return -1;
	}
	NInoSetDirty(ni);
	NInoFileNameSetDirty(ni);
	return 0;
}

int ib_ntfs_set_change_time(ntfs_inode *ni, const struct timespec *ts)
{
	ntfs_time t = timespec2ntfs(*ts);
	ni->last_mft_change_time = t;
	return set_name_times(ni, t, true);
}

struct fn_val {
	u8 *v;
	u32 len;
};

/* libntfs-3g's order for attributes of one type and name: by value, bytes
 * compared up to the shorter, then the shorter first. */
static int fn_cmp(const void *a, const void *b)
{
	const struct fn_val *x = a, *y = b;
	int r = memcmp(x->v, y->v, x->len < y->len ? x->len : y->len);
	return r ? r : (x->len > y->len) - (x->len < y->len);
}

int ib_ntfs_sort_file_names(ntfs_inode *ni)
{
	if (NInoAttrList(ni))
		return 0; /* names in extension records: left as they are */
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return -1;
	struct fn_val v[8];
	size_t n = 0;
	while (n < 8 && !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		u32 len = le32_to_cpu(ctx->attr->value_length);
		v[n].v = ib_xmalloc(len);
		memcpy(v[n].v, (u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset), len);
		v[n].len = len;
		n++;
	}
	int r = 0;
	if (n >= 2 && n < 8) {
		/* Inserted in order of values that held the clock of the moment;
		 * now that the times are fixed, put them back in value order,
		 * always (so their instance numbers are the same every time). */
		qsort(v, n, sizeof(*v), fn_cmp);
		for (size_t i = 0; i < n && r == 0; i++) {
			ntfs_attr_reinit_search_ctx(ctx);
			r = ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx) ||
					    ntfs_attr_record_rm(ctx)
				    ? -1
				    : 0;
		}
		for (size_t i = 0; i < n && r == 0; i++)
			r = ntfs_resident_attr_record_add(ni, AT_FILE_NAME, AT_UNNAMED, 0, v[i].v, v[i].len, 0) < 0 ? -1 : 0;
		/* The new records' padding after the value holds whatever the
		 * record held there before. */
		ntfs_attr_reinit_search_ctx(ctx);
		while (r == 0 && !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
			u32 end = le16_to_cpu(ctx->attr->value_offset) + le32_to_cpu(ctx->attr->value_length);
			u32 len = le32_to_cpu(ctx->attr->length);
			if (end < len)
				memset((u8 *)ctx->attr + end, 0, len - end);
		}
		if (r == 0)
			ntfs_inode_mark_dirty(ni);
	}
	ntfs_attr_put_search_ctx(ctx);
	for (size_t i = 0; i < n; i++)
		free(v[i].v);
	return r;
}

int ib_ntfs_set_times(ntfs_inode *ni, const struct timespec *ts)
{
	ntfs_time t = timespec2ntfs(*ts);
	ni->creation_time = t;
	ni->last_data_change_time = t;
	ni->last_mft_change_time = t;
	ni->last_access_time = t;
	return set_name_times(ni, t, false);
}
