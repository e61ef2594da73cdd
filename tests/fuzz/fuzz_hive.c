// SPDX-License-Identifier: GPL-2.0-or-later
/* The hive structure check (base block, hbins, cells, the key tree), then
 * hivex on what it passes, as the injector does. */
#include "fuzz_common.h"
#include "windows/hive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path);
	if (fd < 0)
		return 0;
	struct ib_error err = {0};
	struct ib_hive *h = ib_hive_open(path, "FUZZ", 0, &err);
	if (h) {
		char *v = NULL;
		struct ib_error e2 = {0};
		if (ib_hive_get_string(h, "Select", "Current", &v, &e2) == 1)
			free(v);
		ib_error_clear(&e2);
		ib_hive_close(h);
	}
	ib_error_clear(&err);
	close(fd);
	return 0;
}
