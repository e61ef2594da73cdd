// SPDX-License-Identifier: GPL-2.0-or-later
/* inspect's NTFS reader (libntfs-3g at an offset, then our walk) on any volume bytes. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_inspect(data, size, ib_inspect_ntfs);
	return 0;
}
