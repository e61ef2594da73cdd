// SPDX-License-Identifier: GPL-2.0-or-later
/* Hive editing through hivex, checked with the independent hivexget: every
 * value type written lands with the right type and bytes, deletes are gone,
 * the fixture is never modified, a failed commit leaves nothing behind, and
 * corrupt hives (checksum, truncation, hbin, cell, root, dirty header) are
 * input errors naming the byte offset. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "windows/hive.h"
#include "tests/unit/support/fixtures.h"
#include "tests/unit/support/hive.h"

static const char *minimal;

/* A scratch directory per test. */
static int setup(void **state) { return ut_dirfx_setup(state, "hive"); }
static int teardown(void **state) { return ut_dirfx_teardown(state); }

static char *in_dir(struct ut_dirfx *f, const char *name) { return ib_path_join(f->dir, name); }

static struct ib_hive *open_ok(const char *path, int flags)
{
	struct ib_error err = {0};
	struct ib_hive *h = ib_hive_open(path, "TEST", flags, &err);
	if (!h)
		print_error("%s\n", err.msg);
	assert_non_null(h);
	ib_error_clear(&err);
	return h;
}

/* Every type, Unicode strings, the default value and case-insensitive
 * replacement; the fixture itself stays byte-identical. */
static void test_set_values(void **state)
{
	struct ut_dirfx *f = *state;
	struct ib_error err = {0};
	_cleanup_free_ char *before = in_dir(f, "minimal.before");
	uint8_t *orig;
	size_t orig_len;
	assert_int_equal(ut_read_all(minimal, &orig, &orig_len), 0);
	assert_int_equal(ut_write_all(before, orig, orig_len), 0);
	free(orig);

	struct ib_hive *h = open_ok(minimal, IB_HIVE_WRITE);
	const char *k = "Software\\Test Key\\Sub";
	ut_ok(ib_hive_set_sz(h, k, "Sz", "hello world", &err), &err);
	ut_ok(ib_hive_set_sz(h, k, "Uni", "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9d\x84\x9e", &err), &err);
	ut_ok(ib_hive_set_expand_sz(h, k, "Exp", "%SystemRoot%\\inf", &err), &err);
	const char *multi[] = {"a", "bc"};
	ut_ok(ib_hive_set_multi_sz(h, k, "Multi", multi, 2, &err), &err);
	ut_ok(ib_hive_set_dword(h, k, "Start", 3, &err), &err);
	ut_ok(ib_hive_set_dword(h, k, "start", 0, &err), &err); /* replaces "Start", keeps its spelling */
	ut_ok(ib_hive_set_qword(h, k, "Qw", 0x0102030405060708ull, &err), &err);
	const uint8_t bin[] = {0x01, 0xff, 0x00, 0x00};
	ut_ok(ib_hive_set_binary(h, k, "Bin", bin, sizeof(bin), &err), &err);
	ut_ok(ib_hive_set_sz(h, k, "", "default", &err), &err);
	ut_ok(ib_hive_create_key(h, "software\\TEST KEY\\Other", NULL, &err), &err); /* existing parents, any case */

	_cleanup_free_ char *out = in_dir(f, "out.hive");
	ut_ok(ib_hive_commit(h, out, &err), &err);
	ib_hive_close(h);
	assert_true(ut_same_bytes(minimal, before));

	if (ut_have_hivexget()) {
		assert_hivexget(out, k, "\"Sz\"=\"hello world\"");
		assert_hivexget(out, k, "\"Exp\"=str(2):\"%SystemRoot%\\\\inf\"");
		assert_hivexget(out, k, "\"Multi\"=hex(7):61,00,00,00,62,00,63,00,00,00,00,00");
		assert_hivexget(out, k, "\"Start\"=dword:00000000");
		assert_hivexget(out, k, "\"Qw\"=hex(11):08,07,06,05,04,03,02,01");
		assert_hivexget(out, k, "\"Bin\"=hex(3):01,ff,00,00");
		assert_hivexget(out, k, "\"@\"=\"default\"");
		/* UTF-16LE of "Grüße € " then the surrogate pair D834 DD1E. */
		assert_hivexget(out, k,
				"\"Uni\"=\"Gr\xc3\xbc\xc3\x9f"
				"e \xe2\x82\xac \xf0\x9d\x84\x9e\"");
		char *all = ut_hivexget_key(out, k);
		assert_non_null(all);
		assert_false(strstr(all, "\"start\"")); /* no second value differing in case */
		free(all);
		char *other = ut_hivexget_key(out, "Software\\Test Key\\Other");
		assert_non_null(other);
		free(other);
	}

	/* Our own reader agrees. */
	h = open_ok(out, 0);
	char *s = NULL;
	uint32_t dw = 99;
	assert_int_equal(ib_hive_get_string(h, "SOFTWARE\\test key\\SUB", "uni", &s, &err), 1);
	assert_string_equal(s, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9d\x84\x9e");
	free(s);
	assert_int_equal(ib_hive_get_dword(h, k, "Start", &dw, &err), 1);
	assert_int_equal(dw, 0);
	struct ib_reg_value v;
	assert_int_equal(ib_hive_get_value(h, k, "Multi", &v, &err), 1);
	assert_int_equal(v.type, IB_REG_MULTI_SZ);
	assert_int_equal(v.len, 12);
	ib_reg_value_free(&v);
	assert_int_equal(ib_hive_get_value(h, k, "Missing", &v, &err), 0);
	assert_int_equal(ib_hive_get_value(h, "No\\Such", "x", &v, &err), 0);
	/* A type mismatch is an input error naming both types. */
	assert_int_equal(ib_hive_get_dword(h, k, "Sz", &dw, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_non_null(strstr(err.msg, "is REG_SZ, expected REG_DWORD"));
	ib_error_clear(&err);
	/* Read-only handles refuse edits. */
	assert_int_equal(ib_hive_set_dword(h, k, "x", 1, &err), -1);
	ib_error_clear(&err);
	char **names;
	size_t n;
	ut_ok(ib_hive_subkeys(h, "Software\\Test Key", &names, &n, &err), &err);
	assert_int_equal(n, 2);
	ib_hive_names_free(names, n);
	ib_hive_close(h);
}

static void test_delete(void **state)
{
	struct ut_dirfx *f = *state;
	struct ib_error err = {0};
	_cleanup_free_ char *one = in_dir(f, "one.hive");
	_cleanup_free_ char *two = in_dir(f, "two.hive");
	struct ib_hive *h = open_ok(minimal, IB_HIVE_WRITE);
	ut_ok(ib_hive_set_dword(h, "A\\B\\C", "Deep", 1, &err), &err);
	ut_ok(ib_hive_set_dword(h, "A", "Keep", 2, &err), &err);
	ut_ok(ib_hive_set_dword(h, "A", "Drop", 3, &err), &err);
	ut_ok(ib_hive_set_sz(h, "A", "Also", "kept", &err), &err);
	ut_ok(ib_hive_set_dword(h, "Z", "Stay", 4, &err), &err);
	ut_ok(ib_hive_commit(h, one, &err), &err);
	ib_hive_close(h);

	h = open_ok(one, IB_HIVE_WRITE);
	assert_int_equal(ib_hive_delete_value(h, "a", "DROP", &err), 1);
	assert_int_equal(ib_hive_delete_value(h, "A", "Drop", &err), 0); /* already gone */
	assert_int_equal(ib_hive_delete_value(h, "Nope", "x", &err), 0);
	assert_int_equal(ib_hive_delete_key(h, "A\\B", &err), 1); /* with its subkey C */
	assert_int_equal(ib_hive_delete_key(h, "A\\B", &err), 0);
	assert_int_equal(ib_hive_delete_key(h, "", &err), -1); /* the root */
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	ib_error_clear(&err);
	ut_ok(ib_hive_commit(h, two, &err), &err);
	ib_hive_close(h);

	if (ut_have_hivexget()) {
		char *a = ut_hivexget_key(two, "A");
		assert_non_null(a);
		assert_true(ut_has_line(a, "\"Keep\"=dword:00000002"));
		assert_true(ut_has_line(a, "\"Also\"=\"kept\""));
		assert_null(strstr(a, "Drop"));
		free(a);
		char *gone = ut_hivexget_key(two, "A\\B");
		assert_null(gone);
		gone = ut_hivexget_key(two, "A\\B\\C");
		assert_null(gone);
		assert_hivexget(two, "Z", "\"Stay\"=dword:00000004");
		/* The first commit still has them: commits never touch their input. */
		assert_hivexget(one, "A\\B\\C", "\"Deep\"=dword:00000001");
	}
	h = open_ok(two, 0);
	assert_int_equal(ib_hive_key_exists(h, "A\\B", &err), 0);
	assert_int_equal(ib_hive_key_exists(h, "a", &err), 1);
	ib_hive_close(h);
}

/* A commit that cannot be written leaves no file and the input untouched. */
static void test_commit_failure(void **state)
{
	struct ut_dirfx *f = *state;
	struct ib_error err = {0};
	_cleanup_free_ char *work = in_dir(f, "work.hive");
	_cleanup_free_ char *copy = in_dir(f, "copy.hive");
	uint8_t *b;
	size_t n;
	assert_int_equal(ut_read_all(minimal, &b, &n), 0);
	assert_int_equal(ut_write_all(work, b, n), 0);
	assert_int_equal(ut_write_all(copy, b, n), 0);
	free(b);

	struct ib_hive *h = open_ok(work, IB_HIVE_WRITE);
	ut_ok(ib_hive_set_dword(h, "K", "V", 1, &err), &err);
	_cleanup_free_ char *bad = in_dir(f, "no-such-dir/out.hive");
	assert_int_equal(ib_hive_commit(h, bad, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_FAIL);
	assert_non_null(strstr(err.msg, "cannot write"));
	ib_error_clear(&err);
	/* A path whose parent is a regular file. */
	_cleanup_free_ char *bad2 = in_dir(f, "copy.hive/out");
	assert_int_equal(ib_hive_commit(h, bad2, &err), -1);
	ib_error_clear(&err);
	ib_hive_close(h);
	assert_false(ut_file_exists(bad));
	assert_true(ut_same_bytes(work, copy));

	/* ib_hive_replace is the rename step. */
	_cleanup_free_ char *tmp = in_dir(f, "tmp.hive");
	h = open_ok(work, IB_HIVE_WRITE);
	ut_ok(ib_hive_set_dword(h, "K", "V", 7, &err), &err);
	ut_ok(ib_hive_commit(h, tmp, &err), &err);
	ib_hive_close(h);
	ut_ok(ib_hive_replace(tmp, work, &err), &err);
	assert_false(ut_file_exists(tmp));
	h = open_ok(work, 0);
	uint32_t v = 0;
	assert_int_equal(ib_hive_get_dword(h, "K", "V", &v, &err), 1);
	assert_int_equal(v, 7);
	ib_hive_close(h);
}

/* Corruption helpers: a hive with several hbins, written by hivex. */
static char *big_hive(struct ut_dirfx *f)
{
	struct ib_error err = {0};
	char *p = in_dir(f, "big.hive");
	struct ib_hive *h = open_ok(minimal, IB_HIVE_WRITE);
	uint8_t blob[600];
	memset(blob, 0xab, sizeof(blob));
	for (int i = 0; i < 40; i++) {
		char name[16];
		snprintf(name, sizeof(name), "V%02d", i);
		ut_ok(ib_hive_set_binary(h, "Big", name, blob, sizeof(blob), &err), &err);
	}
	ut_ok(ib_hive_commit(h, p, &err), &err);
	ib_hive_close(h);
	return p;
}

static void fix_checksum(uint8_t *b)
{
	uint32_t x = 0;
	for (int i = 0; i < 127; i++)
		x ^= ib_get_le32(b + 4 * i);
	ib_put_le32(b + 0x1fc, x);
}

/* Write buf (len bytes) to a file, open it, expect an input error whose
 * message contains want. */
static void expect_corrupt(struct ut_dirfx *f, const uint8_t *buf, size_t len, const char *want)
{
	_cleanup_free_ char *p = in_dir(f, "corrupt.hive");
	assert_int_equal(ut_write_all(p, buf, len), 0);
	struct ib_error err = {0};
	struct ib_hive *h = ib_hive_open(p, "SYSTEM", IB_HIVE_WRITE, &err);
	if (h || !strstr(err.msg, want))
		print_error("wanted an error containing \"%s\", got: %s\n", want, h ? "(opened)" : err.msg);
	assert_null(h);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_non_null(strstr(err.msg, want));
	ib_error_clear(&err);
}

static void test_corrupt(void **state)
{
	struct ut_dirfx *f = *state;
	_cleanup_free_ char *big = big_hive(f);
	uint8_t *orig, *b;
	size_t n;
	assert_int_equal(ut_read_all(big, &orig, &n), 0);
	assert_true(n >= 0x3000);
	b = ib_xmalloc(n);

	/* The checksum, with the stored and the expected value. */
	memcpy(b, orig, n);
	uint32_t good = ib_get_le32(b + 0x1fc);
	b[0x1fc] ^= 0x5a;
	_cleanup_free_ char *msg = ib_xasprintf("SYSTEM hive at byte 0x1fc: header checksum is 0x%08x, expected 0x%08x",
						 ib_get_le32(b + 0x1fc), good);
	expect_corrupt(f, b, n, msg);
	/* A flipped header field also shows up as a checksum error. */
	memcpy(b, orig, n);
	b[0x30] ^= 1;
	expect_corrupt(f, b, n, "at byte 0x1fc: header checksum");

	/* Truncation: inside the header, and inside the hive bins. */
	expect_corrupt(f, orig, 100, "SYSTEM hive at byte 0x64: the file ends inside the 4096-byte 'regf' header");
	expect_corrupt(f, orig, n - 0x1000, "SYSTEM hive at byte 0x28: hive bins data size");
	expect_corrupt(f, orig, n - 0x1000, "(truncated)");
	memset(b, 0, n);
	expect_corrupt(f, b, n, "at byte 0x0: no 'regf' signature");

	/* Bad hbin signatures: the first and a later one. */
	memcpy(b, orig, n);
	memcpy(b + 0x1000, "hbix", 4);
	expect_corrupt(f, b, n, "SYSTEM hive at byte 0x1000: no 'hbin' signature");
	size_t second = 0x1000 + ib_get_le32(orig + 0x1008);
	assert_true(second + 0x20 < n);
	assert_memory_equal(orig + second, "hbin", 4);
	memcpy(b, orig, n);
	b[second + 1] = 'X';
	_cleanup_free_ char *want2 = ib_xasprintf("SYSTEM hive at byte 0x%zx: no 'hbin' signature", second);
	expect_corrupt(f, b, n, want2);
	/* An hbin size that overruns the hive bins. */
	memcpy(b, orig, n);
	ib_put_le32(b + second + 8, 0x100000);
	_cleanup_free_ char *want3 = ib_xasprintf("SYSTEM hive at byte 0x%zx: hbin size 0x100000 runs past", second + 8);
	expect_corrupt(f, b, n, want3);

	/* A cell whose size is not a multiple of 8: the first cell of hbin 1. */
	memcpy(b, orig, n);
	ib_put_le32(b + 0x1020, (uint32_t)-0x5d);
	expect_corrupt(f, b, n, "SYSTEM hive at byte 0x1020: cell size -93");

	/* Header fields behind a valid checksum: root offset, bins size, dirty. */
	memcpy(b, orig, n);
	ib_put_le32(b + 0x24, 0x7ffffff0);
	fix_checksum(b);
	expect_corrupt(f, b, n, "SYSTEM hive at byte 0x24: root cell offset 0x7ffffff0 is outside");
	memcpy(b, orig, n);
	ib_put_le32(b + 0x28, 0x1234);
	fix_checksum(b);
	expect_corrupt(f, b, n, "SYSTEM hive at byte 0x28: hive bins data size 0x1234");
	memcpy(b, orig, n);
	ib_put_le32(b + 0x8, ib_get_le32(b + 0x4) + 1);
	fix_checksum(b);
	expect_corrupt(f, b, n, "SYSTEM hive at byte 0x8: secondary sequence number");
	/* ...which a caller may accept explicitly. */
	_cleanup_free_ char *dirty = in_dir(f, "dirty.hive");
	assert_int_equal(ut_write_all(dirty, b, n), 0);
	struct ib_hive *h = open_ok(dirty, IB_HIVE_ALLOW_DIRTY);
	ib_hive_close(h);

	/* The key tree: pointers that do not land on a cell of their kind, found
	 * before hivex would fail with "Bad address" in the middle of an edit. */
	size_t root = 0x1000 + ib_get_le32(orig + 0x24);
	assert_memory_equal(orig + root + 4, "nk", 2);
	assert_true(ib_get_le32(orig + root + 4 + 0x14) > 0); /* the root has subkeys */
	memcpy(b, orig, n);
	ib_put_le32(b + root + 4 + 0x1c, ib_get_le32(orig + root + 4 + 0x1c) + 4);
	_cleanup_free_ char *want4 = ib_xasprintf("SYSTEM hive at byte 0x%zx: the subkey list (offset", root + 4 + 0x1c);
	expect_corrupt(f, b, n, want4);
	memcpy(b, orig, n);
	ib_put_le32(b + root + 4 + 0x14, ib_get_le32(orig + root + 4 + 0x14) + 1);
	_cleanup_free_ char *want5 = ib_xasprintf("SYSTEM hive at byte 0x%zx: the key says it has", root + 4 + 0x14);
	expect_corrupt(f, b, n, want5);
	/* A subkey entry pointing at the root again: a loop. */
	memcpy(b, orig, n);
	size_t list = 0x1000 + ib_get_le32(orig + root + 4 + 0x1c);
	ib_put_le32(b + list + 8, ib_get_le32(orig + 0x24));
	expect_corrupt(f, b, n, "the key tree loops back to the key");

	/* The untouched file passes, and hivex reads what our check passes. */
	struct ib_error err = {0};
	assert_int_equal(ib_hive_check(big, "SYSTEM", false, &err), 0);
	free(orig);
	free(b);
}

/* Real hives from the fixtures pass the check (test data we did not make). */
static void test_fixture_hives_pass(void **state)
{
	(void)state;
	static const char *const names[] = {"hives/minimal", "hives/rlenvalue_test_hive", "hives/special"};
	for (size_t i = 0; i < IB_ARRAY_SIZE(names); i++) {
		char path[4096];
		if (!ut_shared_fixture(path, sizeof path, names[i], "a hive fixture"))
			skip();
		struct ib_error err = {0};
		if (ib_hive_check(path, names[i], false, &err) < 0)
			fail_msg("%s: %s", names[i], err.msg);
	}
}

static void test_encode(void **state)
{
	(void)state;
	struct ib_error err = {0};
	uint8_t *d;
	size_t n;
	const char *l[] = {"ab", "c"};
	assert_int_equal(ib_reg_encode_multi_sz(l, 2, &d, &n, &err), 0);
	const uint8_t want[] = {'a', 0, 'b', 0, 0, 0, 'c', 0, 0, 0, 0, 0};
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(d, want, n);
	char *s = ib_reg_value_format(IB_REG_MULTI_SZ, d, n);
	assert_string_equal(s, "REG_MULTI_SZ [\"ab\", \"c\"]");
	free(s);
	free(d);
	assert_int_equal(ib_reg_encode_multi_sz(NULL, 0, &d, &n, &err), 0);
	assert_int_equal(n, 2);
	free(d);
	const char *empty[] = {"a", ""};
	assert_int_equal(ib_reg_encode_multi_sz(empty, 2, &d, &n, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	ib_error_clear(&err);
	assert_int_equal(ib_reg_encode_sz("bad \xc3\x28", &d, &n, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_non_null(strstr(err.msg, "invalid UTF-8 at byte 4"));
	ib_error_clear(&err);
	assert_int_equal(ib_reg_encode_sz("\xed\xa0\x80", &d, &n, &err), -1); /* an encoded surrogate */
	ib_error_clear(&err);

	uint8_t dw[4];
	ib_reg_encode_dword(0x12345678, dw);
	s = ib_reg_value_format(IB_REG_DWORD, dw, 4);
	assert_string_equal(s, "REG_DWORD 0x12345678 (305419896)");
	free(s);
	assert_int_equal(ib_reg_encode_sz("%SystemRoot%\\x", &d, &n, &err), 0);
	s = ib_reg_value_format(IB_REG_EXPAND_SZ, d, n);
	assert_string_equal(s, "REG_EXPAND_SZ \"%SystemRoot%\\\\x\"");
	free(s);
	free(d);
	const uint8_t bin[] = {1, 0xff, 0, 0};
	s = ib_reg_value_format(IB_REG_BINARY, bin, 4);
	assert_string_equal(s, "REG_BINARY 01 ff 00 00");
	free(s);
}

int main(void)
{
	minimal = ut_hive_fixture_minimal();
	if (!minimal)
		return 77;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test_setup_teardown(test_set_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test(test_fixture_hives_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
