// SPDX-License-Identifier: GPL-2.0-or-later
/* Running a program that may fail while something is busy (umount, lofiadm
 * -d), again with backoff until it succeeds or a deadline passes. */
#include "platform-int.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/spawn.h"

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static bool says_busy(const char *text)
{
	return text && (strcasestr(text, "busy") || strcasestr(text, "EBUSY"));
}

int ib_spawn_retry_busy(const char *const *argv, long timeout_ms, struct ib_error *err)
{
	long deadline = now_ms() + timeout_ms, delay = 100;
	for (;;) {
		struct ib_spawn_result res;
		struct ib_error e = {0};
		int r = ib_spawn(argv, NULL, &res, &e);
		bool busy = r < 0 && e.exit_code == IB_EXIT_FAIL && (says_busy(res.err) || says_busy(e.msg));
		ib_spawn_result_free(&res);
		if (r == 0 || !busy || now_ms() + delay > deadline) {
			if (r < 0) {
				ib_fail(err, e.exit_code, "%s", e.msg);
				if (busy)
					ib_error_prefix(err, "still busy after %ld s", timeout_ms / 1000);
			}
			ib_error_clear(&e);
			return r;
		}
		ib_error_clear(&e);
		ib_sleep_ms(delay);
		delay = delay < 1000 ? delay * 2 : 2000;
	}
}
