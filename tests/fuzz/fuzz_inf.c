// SPDX-License-Identifier: GPL-2.0-or-later
/* The INF parser, then what the injector asks of it (models for amd64
 * Windows 10, their install sections). */
#include "fuzz_common.h"
#include "windows/inf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_inf *inf = NULL;
	struct ib_error err = {0};
	if (ib_inf_load_buf("fuzz.inf", data, size, NULL, &inf, &err) == 0) {
		struct ib_inf_target t = {.arch = "amd64", .major = 10, .minor = 0, .build = 19045, .product_type = 1};
		struct ib_inf_selection sel = {0};
		struct ib_error e2 = {0};
		if (ib_inf_select_models(inf, &t, &sel, &e2) == 0) {
			for (size_t m = 0; m < sel.n_mfg; m++)
				for (size_t j = 0; j < sel.mfg[m].n_devices; j++) {
					struct ib_inf_install *ins = NULL;
					struct ib_error e3 = {0};
					if (ib_inf_install_get(inf, &t, sel.mfg[m].devices[j].install, &ins, &e3) == 0)
						ib_inf_install_free(ins);
					ib_error_clear(&e3);
				}
			ib_inf_selection_free(&sel);
		}
		ib_error_clear(&e2);
	}
	ib_inf_free(inf);
	ib_error_clear(&err);
	return 0;
}
