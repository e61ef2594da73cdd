// SPDX-License-Identifier: GPL-2.0-or-later
/* inspect's own FAT reader on any volume bytes. */
#include "fuzz_common.h"
#include "inspect/inspect.h"
#include "inspect/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path);
	if (fd < 0)
		return 0;
	struct ib_manifest *m = ib_xcalloc(1, sizeof(*m));
	IB_VEC_PUSH(m->parts, ((struct ib_mf_part){.number = 1, .size = size}));
	struct ib_inspect_vol v = {.path = path, .fd = fd, .offset = 0, .size = size, .sector_size = 512, .number = 1};
	struct ib_error err = {0};
	ib_inspect_fat(&v, &m->parts.v[0], &err);
	ib_error_clear(&err);
	ib_manifest_free(m);
	close(fd);
	return 0;
}
