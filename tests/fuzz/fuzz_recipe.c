// SPDX-License-Identifier: GPL-2.0-or-later
/* The recipe loader (libyaml, schema, cross-field checks) on any bytes. */
#include "fuzz_common.h"
#include "recipe/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path);
	if (fd < 0)
		return 0;
	struct ib_diags d = {0};
	struct ib_recipe *r = ib_recipe_load(path, NULL, 0, &d);
	ib_recipe_free(r);
	ib_diags_free(&d);
	close(fd);
	return 0;
}
