// SPDX-License-Identifier: GPL-2.0-or-later
/* The CTF v2 reader (raw or zlib-compressed container) and the struct
 * lookups the FUSE check makes. */
#include "fuzz_common.h"
#include "platform/illumos/ctf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_ctf *c = NULL;
	struct ib_error err = {0};
	if (ib_ctf_open_mem(data, size, "fuzz", &c, &err) == 0) {
		static const char *const names[] = {"vnode", "vfs", "cred", "proc"};
		for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
			struct ib_ctf_struct s;
			struct ib_error e2 = {0};
			if (ib_ctf_find_struct(c, names[i], &s, &e2) == 0)
				ib_ctf_struct_free(&s);
			ib_error_clear(&e2);
		}
		size_t n = 0;
		const char **all = ib_ctf_struct_names(c, &n);
		free(all);
		ib_ctf_free(c);
	}
	ib_error_clear(&err);
	return 0;
}
