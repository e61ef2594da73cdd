// SPDX-License-Identifier: GPL-2.0-or-later
/* --set KEY=VALUE overrides on a valid recipe: each input line is one. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "recipe/recipe.h"

static const char recipe[] = "imgbuild: 1\n"
			     "name: fuzz\n"
			     "disk:\n"
			     "  size: 64MiB\n"
			     "  table: gpt\n"
			     "  partitions:\n"
			     "    - { name: a, type: esp, size: 16MiB, fs: { type: fat32, label: A } }\n"
			     "    - { name: b, size: rest, fs: { type: ntfs } }\n"
			     "outputs: [ { format: raw }, { format: qcow2 } ]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd((const uint8_t *)recipe, sizeof recipe - 1, path);
	if (fd < 0)
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	const char *sets[8];
	size_t n = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < 8; line = strtok_r(NULL, "\n", &save))
		if (strchr(line, '='))
			sets[n++] = line;
	struct ib_diags d = {0};
	struct ib_recipe *r = ib_recipe_load(path, sets, n, &d);
	ib_recipe_free(r);
	ib_diags_free(&d);
	free(text);
	close(fd);
	return 0;
}
