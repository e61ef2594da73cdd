// SPDX-License-Identifier: GPL-2.0-or-later
/* Build events. The library reports; bin/ decides how to show them
 * (terminal lines with ✓/✗, plain lines, or one JSON object per line). */
#pragma once

#include <stdint.h>

#include "error.h"

enum ib_event_kind {
	IB_EV_STEP_START,
	IB_EV_STEP_DONE,
	IB_EV_STEP_FAILED,
	IB_EV_OUTPUT, /* an output file is in place */
	IB_EV_INFO,
	IB_EV_WINDOWS, /* a partition's Windows was customised: the injector's report */
	IB_EV_PROGRESS, /* how far a long step is (an output's conversion): percent */
};

struct ib_event {
	enum ib_event_kind kind;
	unsigned step;      /* 1-based index */
	unsigned nsteps;
	const char *title;  /* step title or info text */
	double seconds;     /* DONE/FAILED: elapsed */
	const char *path;   /* OUTPUT */
	const char *format; /* OUTPUT */
	uint64_t apparent_bytes, allocated_bytes; /* OUTPUT */
	const struct ib_error *error; /* FAILED */
	const char *report_text, *report_json; /* WINDOWS: summary lines; one JSON object */
	double percent; /* PROGRESS: 0 to 100 */
	/* PROGRESS of an image applied (phase "files", "data", "metadata");
	 * total_bytes 0 otherwise. */
	const char *phase;
	uint64_t done_bytes, total_bytes, done_files, total_files;
};

struct ib_progress {
	void (*event)(void *ctx, const struct ib_event *ev);
	void *ctx;
};

static inline void ib_progress_emit(const struct ib_progress *p, const struct ib_event *ev)
{
	if (p && p->event)
		p->event(p->ctx, ev);
}

/* Monotonic seconds. */
double ib_now(void);
