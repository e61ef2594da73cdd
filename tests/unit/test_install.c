// SPDX-License-Identifier: GPL-2.0-or-later
/* The parts of windows: { install: } that need no media: which image an
 * index names (a number, a name, an edition, case-insensitive; an edition
 * two images share refused; every error lists the images, exit 2), the
 * UEFI fallback names and PE machines per architecture, and the answer
 * file check (well-formed, the unattend root in its namespace, known
 * passes; errors name the file and line, exit 2). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "windows/unattend.h"
#include "windows/wim.h"
#include "tests/unit/support/check.h"
#include "tests/unit/support/tmpdir.h"

static struct ib_wim *media(void)
{
	struct ib_wim *m = ib_xcalloc(1, sizeof(*m));
	m->tmp_fd = -1;
	m->path = ib_xstrdup("install.wim");
	m->shown = ib_xstrdup("install.wim");
	static const char *const names[] = {"Windows 11 Home", "Windows 11 Pro", "Windows 11 Pro N", "Windows 11 Pro (copy)"};
	static const char *const eds[] = {"Core", "Professional", "ProfessionalN", "Professional"};
	for (unsigned i = 0; i < 4; i++) {
		struct ib_wim_image im = {.index = i + 1, .name = ib_xstrdup(names[i]), .edition = ib_xstrdup(eds[i]),
					  .arch = ib_xstrdup("amd64"), .arch_id = IB_WIM_AMD64, .build = 22631};
		IB_VEC_PUSH(m->images, im);
	}
	return m;
}

static unsigned pick(struct ib_wim *m, const char *want, struct ib_error *err)
{
	const struct ib_wim_image *im = NULL;
	return ib_wim_pick(m, want, &im, err) == 0 ? im->index : 0;
}

static void test_pick(void **state)
{
	(void)state;
	struct ib_wim *m = media();
	struct ib_error err = {0};
	assert_int_equal(pick(m, "2", &err), 2);
	assert_int_equal(pick(m, "windows 11 pro n", &err), 3);
	assert_int_equal(pick(m, "CORE", &err), 1);
	assert_int_equal(pick(m, "ProfessionalN", &err), 3);
	/* A name wins over an edition that two images share. */
	assert_int_equal(pick(m, "Windows 11 Pro", &err), 2);
	const char *bad[] = {"5", "0", "Education", "Professional", NULL, "2x"};
	const char *said[] = {"has no image 5", "has no image 0", "no image named or of edition 'Education'",
			      "2 images are of edition 'Professional'", "has 4 images", "no image named or of edition '2x'"};
	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++) {
		assert_int_equal(pick(m, bad[i], &err), 0);
		assert_int_equal(err.exit_code, IB_EXIT_INPUT);
		assert_non_null(strstr(err.msg, said[i]));
		/* Every error lists the images. */
		assert_non_null(strstr(err.msg, "3 \"Windows 11 Pro N\" (ProfessionalN, build 22631, amd64)"));
		ib_error_clear(&err);
	}
	ib_wim_close(m);
}

static void test_arch(void **state)
{
	(void)state;
	assert_string_equal(ib_wim_efi_boot_name(IB_WIM_AMD64), "bootx64.efi");
	assert_string_equal(ib_wim_efi_boot_name(IB_WIM_ARM64), "bootaa64.efi");
	assert_string_equal(ib_wim_efi_boot_name(IB_WIM_X86), "bootia32.efi");
	assert_null(ib_wim_efi_boot_name(IB_WIM_ARM));
	assert_null(ib_wim_efi_boot_name(IB_WIM_ARCH_UNKNOWN));
	assert_int_equal(ib_wim_pe_machine(IB_WIM_AMD64), 0x8664);
	assert_int_equal(ib_wim_pe_machine(IB_WIM_ARM64), 0xAA64);
	assert_int_equal(ib_wim_pe_machine(IB_WIM_X86), 0x014C);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
	char *p = ib_path_join(dir, name);
	assert_int_equal(ut_write_all(p, text, strlen(text)), 0);
	return p;
}

static void test_unattend(void **state)
{
	(void)state;
	_cleanup_free_ char *dir = ut_tmpdir_make("unattend");
	assert_non_null(dir);
	struct ib_error err = {0};
	char *passes = NULL;
	_cleanup_free_ char *good = write_tmp(dir, "good.xml",
					      "<?xml version=\"1.0\"?>\n<unattend xmlns=\"urn:schemas-microsoft-com:unattend\">\n"
					      "<settings pass=\"specialize\"/>\n<!-- c -->\n<settings pass=\"oobeSystem\"/>\n</unattend>\n");
	ut_ok(ib_unattend_check(good, "good.xml", &passes, &err), &err);
	assert_string_equal(passes, "specialize, oobeSystem");
	free(passes);
	static const struct {
		const char *text, *said;
	} bad[] = {
		{"<unattend xmlns=\"urn:schemas-microsoft-com:unattend\">\n<settings pass=\"specialize\">\n</unattend>\n",
		 "f.xml:4: unattend: not well-formed XML"},
		{"<unattend>\n</unattend>\n", "f.xml:1: unattend: the root element must be"},
		{"<unattend xmlns=\"urn:other\"/>\n", "in namespace urn:other"},
		{"<answers xmlns=\"urn:schemas-microsoft-com:unattend\"/>\n", "found <answers>"},
		{"<unattend xmlns=\"urn:schemas-microsoft-com:unattend\">\n\n<settings pass=\"later\"/></unattend>\n",
		 "f.xml:3: unattend: <settings> with unknown pass 'later'"},
		{"<unattend xmlns=\"urn:schemas-microsoft-com:unattend\"><settings/></unattend>\n", "with no pass="},
		{"", "not well-formed XML"},
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *f = write_tmp(dir, "f.xml", bad[i].text);
		assert_int_equal(ib_unattend_check(f, "f.xml", &passes, &err), -1);
		assert_int_equal(err.exit_code, IB_EXIT_INPUT);
		if (!strstr(err.msg, bad[i].said))
			print_error("case %zu: %s\n", i, err.msg);
		assert_non_null(strstr(err.msg, bad[i].said));
		assert_null(passes);
		ib_error_clear(&err);
	}
	ib_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_arch),
		cmocka_unit_test(test_unattend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
