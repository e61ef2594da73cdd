// SPDX-License-Identifier: GPL-2.0-or-later
/* The GPT/MBR reader on any disk bytes, at both sector sizes. */
#include "fuzz_common.h"
#include "ptable/ptable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path);
	if (fd < 0)
		return 0;
	static const uint32_t ss[] = {0, 512, 4096};
	for (size_t i = 0; i < 3; i++) {
		struct ib_ptable t = {0};
		struct ib_error err = {0};
		ib_ptable_read(fd, size, ss[i], &t, &err);
		ib_error_clear(&err);
	}
	close(fd);
	return 0;
}
