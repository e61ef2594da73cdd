// SPDX-License-Identifier: GPL-2.0-or-later
/* Names and times of NTFS entries, shared by the volume backend and the
 * file operations of the Windows injector. */
#pragma once

#include <time.h>

#include "fs/ntfs3g_compat.h"

/* name (UTF-8) as a UTF-16 NTFS name that Windows accepts (no reserved name,
 * none of \ : * ? " < > |, no control character, no trailing dot or space).
 * Returns its length in *uname (malloc'd), or -1 with errno EILSEQ (not
 * UTF-8), ENAMETOOLONG or EINVAL. */
int ib_ntfs_windows_name(ntfs_volume *vol, const char *name, ntfschar **uname);

/* Set all four times of ni to ts: in the standard information (written from
 * the inode when it is synced), in every FILE_NAME attribute of the record,
 * and (through the file-name dirty flag) in the parent's index entry.
 * 0, or -1 with errno. */
int ib_ntfs_set_times(ntfs_inode *ni, const struct timespec *ts);
/* Only the MFT change time (in the standard information, the $FILE_NAMEs
 * and the parents' index entries); the other three are kept. */
int ib_ntfs_set_change_time(ntfs_inode *ni, const struct timespec *ts);
/* An inode's $FILE_NAMEs (a long and a short name, hard links) in the
 * order libntfs-3g would insert them now. They were inserted in the order
 * their values had when made, times of the moment included, so equal
 * volumes could hold them in different orders. */
int ib_ntfs_sort_file_names(ntfs_inode *ni);
