// SPDX-License-Identifier: GPL-2.0-or-later
/* lib/core/blkio.c against a real qemu-nbd (the way a base build edits its
 * overlay), and the background-program API of the spawn helper:
 * - the export's name survives any socket path (percent-encoding);
 * - unaligned reads and writes through NBD land where they should, the
 *   flush makes them visible in the overlay file, and the base underneath
 *   is byte-identical afterwards;
 * - a read past the end is refused, not wrapped;
 * - a server that dies early is reported with its stderr; a stopped one is
 *   reaped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/blkio.h"
#include "core/spawn.h"
#include "core/util.h"
#include "tests/unit/support/spawn_capture.h"
#include "tests/unit/support/tmpdir.h"

#define MiB (1024u * 1024u)

static int setup(void **state) { return ut_dirfx_setup(state, "blkio"); }
static int teardown(void **state) { return ut_dirfx_teardown(state); }

static void test_names(void **state)
{
	(void)state;
	_cleanup_free_ char *n = ib_blk_nbd_name("/tmp/a b/%?&.sock");
	assert_true(ib_blk_is_nbd(n));
	assert_string_equal(n, "nbd+unix:///?socket=/tmp/a%20b/%25%3F%26.sock");
	assert_false(ib_blk_is_nbd("/tmp/disk.raw"));
	/* A plain file reads through the same interface. */
	struct ib_error err = {0};
	struct ib_blk *b = NULL;
	assert_int_equal(ib_blk_open("/nonexistent/x.raw", false, &b, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/x.raw"));
	ib_error_clear(&err);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void test_overlay_io(void **state)
{
	struct ut_dirfx *f = *state;
	if (!ib_blk_nbd_available()) {
		print_message("SKIP: imgbuild was built without libnbd\n");
		skip();
	}
	const char *tools[] = {"qemu-img", "qemu-nbd", NULL};
	if (!ut_have_tools(tools, "the NBD round trip is not run"))
		skip();
	_cleanup_free_ char *base = ib_path_join(f->dir, "base.raw");
	_cleanup_free_ char *ovl = ib_path_join(f->dir, "ovl.qcow2");
	_cleanup_free_ char *sock = ib_path_join(f->dir, "nbd.sock");
	_cleanup_free_ char *log = ib_path_join(f->dir, "nbd.log");
	/* A 4 MiB base with a pattern everywhere. */
	uint8_t *pat = ib_xcalloc(1, 4 * MiB);
	for (size_t i = 0; i < 4 * MiB; i++)
		pat[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(ut_write_all(base, pat, 4 * MiB), 0);
	const char *create[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base, ovl, NULL};
	assert_int_equal(ut_spawn_quiet(create), 0);

	_cleanup_free_ char *sock_arg = ib_xasprintf("--socket=%s", sock);
	const char *serve[] = {"qemu-nbd", "--format=qcow2", "--persistent", "--shared=0", sock_arg, ovl, NULL};
	struct ib_bg *bg = NULL;
	struct ib_error err = {0};
	assert_int_equal(ib_spawn_bg(serve, log, &bg, &err), 0);
	_cleanup_free_ char *name = ib_blk_nbd_name(sock);
	struct ib_blk *b = NULL;
	for (int i = 0; i < 3000 && !b; i++) {
		assert_true(ib_bg_running(bg, &err));
		struct ib_error probe = {0};
		if (ib_blk_open(name, true, &b, &probe) < 0)
			sleep_ms(2);
		ib_error_clear(&probe);
	}
	assert_non_null(b);
	assert_int_equal(ib_blk_size(b), 4 * MiB);

	/* Unaligned: 1000 bytes at 511, and 70000 across a 64 KiB cluster. */
	uint8_t w1[1000], w2[70000], r[70000];
	memset(w1, 0xA5, sizeof w1);
	for (size_t i = 0; i < sizeof w2; i++)
		w2[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(ib_blk_pwrite(b, w1, sizeof w1, 511), 0);
	assert_int_equal(ib_blk_pwrite(b, w2, sizeof w2, 65536 - 123), 0);
	assert_int_equal(ib_blk_pread(b, r, sizeof w1, 511), 0);
	assert_memory_equal(r, w1, sizeof w1);
	assert_int_equal(ib_blk_pread(b, r, sizeof w2, 65536 - 123), 0);
	assert_memory_equal(r, w2, sizeof w2);
	/* Untouched bytes come from the base. */
	assert_int_equal(ib_blk_pread(b, r, 100, 3 * MiB), 0);
	assert_memory_equal(r, pat + 3 * MiB, 100);
	/* Past the end: refused. */
	assert_int_equal(ib_blk_pread(b, r, 100, 4 * MiB - 50), -EIO);
	assert_int_equal(ib_blk_close(b), 0);
	assert_int_equal(ib_bg_stop(bg, 10000, &err), 0);

	/* The overlay file holds the writes (qemu-img reads it without the
	 * server), and the base is as it was. */
	_cleanup_free_ char *out = ib_path_join(f->dir, "flat.raw");
	const char *flat[] = {"qemu-img", "convert", "-f", "qcow2", "-O", "raw", ovl, out, NULL};
	assert_int_equal(ut_spawn_quiet(flat), 0);
	uint8_t *got = NULL, *again = NULL;
	size_t n = 0, m = 0;
	assert_int_equal(ut_read_all(out, &got, &n), 0);
	assert_int_equal(n, 4 * MiB);
	assert_memory_equal(got + 511, w1, sizeof w1);
	assert_memory_equal(got + 65536 - 123, w2, sizeof w2);
	assert_memory_equal(got + 2 * MiB, pat + 2 * MiB, MiB);
	assert_int_equal(ut_read_all(base, &again, &m), 0);
	assert_int_equal(m, 4 * MiB);
	assert_memory_equal(again, pat, 4 * MiB);
	free(got);
	free(again);
	free(pat);
}

static void test_bg_dies_early(void **state)
{
	struct ut_dirfx *f = *state;
	if (!ut_have_tool("qemu-nbd", "the early-exit case is not run"))
		skip();
	_cleanup_free_ char *log = ib_path_join(f->dir, "bad.log");
	const char *serve[] = {"qemu-nbd", "--format=qcow2", "--socket=relative.sock", "/nonexistent.qcow2", NULL};
	struct ib_bg *bg = NULL;
	struct ib_error err = {0};
	assert_int_equal(ib_spawn_bg(serve, log, &bg, &err), 0);
	bool running = true;
	for (int i = 0; i < 5000 && running; i++) {
		running = ib_bg_running(bg, &err);
		if (running)
			sleep_ms(2);
	}
	assert_false(running);
	assert_non_null(strstr(err.msg, "qemu-nbd"));
	ib_error_clear(&err);
	assert_int_equal(ib_bg_stop(bg, 1000, NULL), 0); /* reaped already: frees */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlay_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bg_dies_early, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
