// SPDX-License-Identifier: GPL-2.0-or-later
/* NTFS names as Windows can use them. NTFS itself stores any UTF-16 name
 * but NUL and '/', yet Windows opens files through Win32, so the Win32 rules
 * apply (names.c); and the root directory holds the volume's metadata files,
 * whose names a file must never take: writing "/$Bitmap" would replace the
 * cluster bitmap's data and "/$UpCase" would make the volume unmountable.
 * Below the root these names are ordinary (NTFS keeps its metadata in the
 * root and under $Extend only), so "/Docs/$MFT" is allowed. */
#include "names.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* The metadata files of the root (MFT records 0-11); $Extend holds $ObjId,
 * $Quota, $Reparse, $UsnJrnl, $RmMetadata ... so nothing may go below it. */
static const char *const metafiles[] = {"$MFT",     "$MFTMirr", "$LogFile", "$Volume", "$AttrDef", "$Bitmap",
					"$Boot",    "$BadClus", "$Secure",  "$UpCase", "$Extend"};

static const char *ntfs_check(const char *name, size_t len, unsigned depth, char *buf, size_t bufsz)
{
	if (depth == 0 && name[0] == '$') {
		_cleanup_free_ char *key = ib_names_fold(name, len);
		for (size_t i = 0; key && i < sizeof metafiles / sizeof *metafiles; i++) {
			_cleanup_free_ char *mk = ib_names_fold(metafiles[i], strlen(metafiles[i]));
			if (mk && !strcmp(key, mk)) {
				snprintf(buf, bufsz,
					 "%s is an NTFS metadata file of the root directory (names are compared "
					 "without regard to case); writing there would corrupt the volume",
					 metafiles[i]);
				return buf;
			}
		}
	}
	return ib_names_win32_reason(name, len);
}

const struct ib_name_rules ib_ntfs_name_rules = {
	.fs = "NTFS",
	.check = ntfs_check,
	.max_code_point = 0x10FFFF,
};
