// SPDX-License-Identifier: GPL-2.0-or-later
#include "ntfs3g_names.h"

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

int ib_ntfs_set_change_time(ntfs_inode *ni, const struct timespec *ts)
{
	ntfs_time t = timespec2ntfs(*ts);
	ni->last_mft_change_time = t;
	/* The record's own $FILE_NAMEs here; closing the inode copies its
	 * times into the parents' index entries. */
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return -1;
	while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
		fn->last_mft_change_time = t;
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

int ib_ntfs_set_times(ntfs_inode *ni, const struct timespec *ts)
{
	ntfs_time t = timespec2ntfs(*ts);
	ni->creation_time = t;
	ni->last_data_change_time = t;
	ni->last_mft_change_time = t;
	ni->last_access_time = t;

	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return -1;
	while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((u8 *)ctx->attr + le16_to_cpu(ctx->attr->value_offset));
		fn->creation_time = t;
		fn->last_data_change_time = t;
		fn->last_mft_change_time = t;
		fn->last_access_time = t;
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
