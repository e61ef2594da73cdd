#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGINT while an external program runs (a slow mkntfs stand-in): the build
# stops promptly with exit 130, the program is not left running, and no
# output or temporary file remains.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv
setup_tmp
stage_recipe small
fake_tool mkntfs "$E2E/stubs/slow-tool"
export SLOW_TOOL_PIDFILE=$T/w/tmp-slow.pid SLOW_TOOL_SECONDS=120

OUT=$T/w/out
# Job control on: a background job of a script otherwise starts with SIGINT ignored.
set -m
PATH=$T/fakebin:$PATH "${UNPRIV[@]}" "$IMGBUILD" build "$R" -o "$OUT" --json >"$T/build.json" 2>"$T/build.err" &
pid=$!
set +m
BGPIDS+=("$pid")
for _ in $(seq 1 600); do
	[ -s "$SLOW_TOOL_PIDFILE" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
if [ ! -s "$SLOW_TOOL_PIDFILE" ]; then
	wait "$pid"
	BUILD_RC=$?
	fail "the mkntfs stand-in never ran (build exit $BUILD_RC)"
	show_build_output
	finish
fi
child=$(cat "$SLOW_TOOL_PIDFILE")
BGPIDS+=("$child")
sleep 0.2
t0=$(date +%s)
kill -INT "$pid"
for _ in $(seq 1 200); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
if kill -0 "$pid" 2>/dev/null; then
	fail "imgbuild still runs 10 s after SIGINT"
	kill -KILL "$pid"
fi
wait "$pid"
BUILD_RC=$?
log "exit status after SIGINT: $BUILD_RC ($(($(date +%s) - t0)) s)"
expect_build_rc 130
if kill -0 "$child" 2>/dev/null; then
	fail "the running tool (pid $child) was left behind"
	ps -o pid,ppid,stat,cmd -p "$child" | sed 's/^/  /'
fi
rm -f "$SLOW_TOOL_PIDFILE"
assert_dir_holds "$OUT"
assert_no_leftovers "$OUT"
finish
