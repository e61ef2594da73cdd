// SPDX-License-Identifier: GPL-2.0-or-later
/* The name rules of NTFS and FAT (lib/fs/names.h), and Windows' case
 * folding checked against the $UpCase table of a volume made by mkntfs
 * (read back with ntfscat, a reader we did not write). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/spawn.h"
#include "core/util.h"
#include "fs/names.h"
#include "support/tmpdir.h"

static void ok(const struct ib_name_rules *r, const char *path)
{
	struct ib_error err = {0};
	if (ib_names_check_path(r, path, &err) < 0)
		fail_msg("%s refused '%s': %s", r->fs, path, err.msg);
}

static void bad(const struct ib_name_rules *r, const char *path, const char *why)
{
	struct ib_error err = {0};
	if (ib_names_check_path(r, path, &err) == 0)
		fail_msg("%s accepted '%s'", r->fs, path);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	if (!strstr(err.msg, why))
		fail_msg("%s: '%s': '%s' lacks '%s'", r->fs, path, err.msg, why);
	ib_error_clear(&err);
}

static const char *const both_ok[] = {
	"/readme.txt", "/Données/résumé.txt", "/日本語/データ", "/.hidden", "/a.b.c", "/COM10", "/CONSOLE",
	"/nul_", "/LPT", "/auxiliary.txt", "/COM", "/$Recycle.Bin", "/x/$MFT", "/sub/$Extend/y",
	"/ leading space", "/name with spaces.txt", "/plus+comma,semi;eq=[br]",
};

static void test_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < IB_ARRAY_SIZE(both_ok); i++) {
		ok(&ib_ntfs_name_rules, both_ok[i]);
		ok(&ib_fat_name_rules, both_ok[i]);
	}
	ok(&ib_ntfs_name_rules, "/emoji \xf0\x9f\x98\x80"); /* a surrogate pair on NTFS */
	char name[300] = "/";
	memset(name + 1, 'a', 255);
	ok(&ib_ntfs_name_rules, name);
	ok(&ib_fat_name_rules, name);
}

static void test_refused(void **state)
{
	(void)state;
	static const struct {
		const char *path, *why;
	} common[] = {
		{"/a:b", "< > : \" / \\ | ? *"},         {"/d/q?", "< > : \" / \\ | ? *"},
		{"/star*", "< > : \" / \\ | ? *"},        {"/pipe|", "< > : \" / \\ | ? *"},
		{"/back\\slash", "< > : \" / \\ | ? *"},  {"/quote\"", "< > : \" / \\ | ? *"},
		{"/lt<", "< > : \" / \\ | ? *"},          {"/tab\tx", "control character"},
		{"/nl\nx", "control character"},          {"/trail.", "ends with a dot or a space"},
		{"/trail ", "ends with a dot or a space"}, {"/dir./x", "ends with a dot or a space"},
		{"/CON", "DOS device name"},              {"/con.txt", "DOS device name"},
		{"/Nul.tar.gz", "DOS device name"},       {"/aux", "DOS device name"},
		{"/PRN.log", "DOS device name"},          {"/COM1", "DOS device name"},
		{"/com9.x", "DOS device name"},           {"/COM0", "DOS device name"},
		{"/lpt5", "DOS device name"},             {"/LPT\xc2\xb9", "DOS device name"},
		{"/COM\xc2\xb3.txt", "DOS device name"},  {"/CONIN$", "DOS device name"},
		{"/conout$.x", "DOS device name"},        {"/NUL .txt", "DOS device name"},
		{"/x/CON/y", "DOS device name"},          {"/.", "'.' and '..'"},
		{"/bad\xff", "not valid UTF-8"},          {"/overlong\xc0\xaf", "not valid UTF-8"},
		{"/over3\xe0\x80\xaf", "not valid UTF-8"}, {"/surrogate\xed\xa0\x80", "not valid UTF-8"},
		{"/past\xf4\x90\x80\x80", "not valid UTF-8"}, {"/cut\xe6\x97", "not valid UTF-8"},
		{"/stray\x80", "not valid UTF-8"},
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(common); i++) {
		bad(&ib_ntfs_name_rules, common[i].path, common[i].why);
		bad(&ib_fat_name_rules, common[i].path, common[i].why);
	}
	static const char *const meta[] = {"$MFT",    "$MFTMirr", "$LogFile", "$Volume", "$AttrDef", "$Bitmap",
					   "$Boot",   "$BadClus", "$Secure",  "$UpCase", "$Extend"};
	for (size_t i = 0; i < IB_ARRAY_SIZE(meta); i++) {
		_cleanup_free_ char *p = ib_xasprintf("/%s", meta[i]);
		bad(&ib_ntfs_name_rules, p, "NTFS metadata file");
		ok(&ib_fat_name_rules, p);
		/* any case, and anything below */
		_cleanup_free_ char *low = ib_xasprintf("/%s/below", meta[i]);
		for (char *c = low; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		bad(&ib_ntfs_name_rules, low, "NTFS metadata file");
	}
	bad(&ib_ntfs_name_rules, "/$Extend/$Quota", "$Extend is an NTFS metadata file");
	bad(&ib_fat_name_rules, "/emoji \xf0\x9f\x98\x80", "U+1F600 cannot be stored in a FAT name");
	char name[300] = "/";
	memset(name + 1, 'a', 256);
	bad(&ib_ntfs_name_rules, name, "at most 255 UTF-16 units");
	bad(&ib_fat_name_rules, name, "at most 255 UTF-16 units");
	/* 128 emoji: 256 UTF-16 units on NTFS */
	struct ib_buf b = {0};
	ib_buf_puts(&b, "/");
	for (int i = 0; i < 128; i++)
		ib_buf_puts(&b, "\xf0\x9f\x98\x80");
	bad(&ib_ntfs_name_rules, b.s, "(this one has 256)");
	ib_buf_free(&b);
}

static bool same(const char *a, const char *b)
{
	_cleanup_free_ char *x = ib_names_fold(a, strlen(a));
	_cleanup_free_ char *y = ib_names_fold(b, strlen(b));
	assert_non_null(x);
	assert_non_null(y);
	return !strcmp(x, y);
}

static void test_fold(void **state)
{
	(void)state;
	assert_true(same("X", "x"));
	assert_true(same("README.txt", "readme.TXT"));
	assert_true(same("\xc3\x89.txt", "\xc3\xa9.txt"));           /* É é */
	assert_true(same("\xce\xa3", "\xcf\x83"));                   /* Σ σ */
	assert_true(same("\xd0\x96", "\xd0\xb6"));                   /* Ж ж */
	assert_false(same("stra\xc3\x9f" "e", "STRASSE"));           /* ß has no upper case in $UpCase */
	assert_false(same("a", "b"));
	assert_false(same("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x81")); /* outside the BMP: as they are */
	assert_null(ib_names_fold("\xff", 1));
}

/* Our fold against the $UpCase of a volume mkntfs made: for every BMP code
 * point, fold(c) names the unit the volume's table maps c to. */
static void test_fold_matches_mkntfs(void **state)
{
	(void)state;
	_cleanup_free_ char *mkntfs = ib_which("mkntfs");
	_cleanup_free_ char *ntfscat = ib_which("ntfscat");
	if (!mkntfs || !ntfscat) {
		printf("SKIP: mkntfs or ntfscat missing (Debian package ntfs-3g)\n");
		skip();
	}
	_cleanup_free_ char *dir = ut_tmpdir_make("names");
	assert_non_null(dir);
	_cleanup_free_ char *img = ib_path_join(dir, "v.img");
	FILE *f = fopen(img, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 16 << 20), 0);
	fclose(f);
	const char *mk[] = {mkntfs, "-Q", "-F", "-q", img, NULL};
	struct ib_error err = {0};
	if (ib_spawn(mk, NULL, NULL, &err) < 0)
		fail_msg("mkntfs: %s", err.msg);
	_cleanup_free_ char *out = ib_path_join(dir, "upcase.bin");
	/* ntfscat writes the binary table to stdout: run it with stdout on a file. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		execl(ntfscat, "ntfscat", img, "$UpCase", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	f = fopen(out, "rb");
	assert_non_null(f);
	static uint8_t table[131072];
	assert_int_equal(fread(table, 1, sizeof table, f), sizeof table);
	fclose(f);
	size_t differing = 0;
	for (uint32_t c = 1; c < 0x10000; c++) {
		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		char utf8[4];
		size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
		if (n == 1) {
			utf8[0] = (char)c;
		} else if (n == 2) {
			utf8[0] = (char)(0xC0 | (c >> 6));
			utf8[1] = (char)(0x80 | (c & 0x3F));
		} else {
			utf8[0] = (char)(0xE0 | (c >> 12));
			utf8[1] = (char)(0x80 | ((c >> 6) & 0x3F));
			utf8[2] = (char)(0x80 | (c & 0x3F));
		}
		_cleanup_free_ char *key = ib_names_fold(utf8, n);
		assert_non_null(key);
		unsigned up = (unsigned)table[2 * c] | (unsigned)table[2 * c + 1] << 8;
		char want[8];
		snprintf(want, sizeof want, "%04x.", up);
		if (strcmp(key, want))
			differing++;
	}
	ib_rm_rf(dir);
	assert_int_equal(differing, 0);
}

static void test_fat_short_names(void **state)
{
	(void)state;
	static const char *const yes[] = {"README.TXT", "readme.txt", "longfi~1.txt", "ABCDEF~1", "A", "a.b",
					  "12345678.123", "{x}-@!.$%&"};
	static const char *const no[] = {"a.b.c",  "abcdefghi", "name with space", ".hidden", "x.", "abc.defg",
					 "a+b.txt", "\xc3\xa9.txt", ""};
	for (size_t i = 0; i < IB_ARRAY_SIZE(yes); i++)
		if (!ib_fat_is_short_name(yes[i], strlen(yes[i])))
			fail_msg("'%s' is an 8.3 name", yes[i]);
	for (size_t i = 0; i < IB_ARRAY_SIZE(no); i++)
		if (ib_fat_is_short_name(no[i], strlen(no[i])))
			fail_msg("'%s' is not an 8.3 name", no[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),	   cmocka_unit_test(test_refused),
		cmocka_unit_test(test_fold),		   cmocka_unit_test(test_fold_matches_mkntfs),
		cmocka_unit_test(test_fat_short_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
