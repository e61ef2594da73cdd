#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A build that was SIGKILLed (nothing can clean up then) leaves its work dir
# and temporary outputs in the output directory; the next build there (lib
# backend, unprivileged) removes them and says so. What a live build owns is
# left alone.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
setup_tmp
stage_recipe small
OUT=$T/w/out
mkdir -p "$OUT"
# The pid of a process that has ended, and of one that runs.
sleep 0 &
dead=$!
wait "$dead"
sleep 60 &
alive=$!
BGPIDS+=("$alive")
mkdir -p "$OUT/.imgbuild-small.$dead.work" "$OUT/.imgbuild-small.$alive.work"
head -c 4096 /dev/urandom >"$OUT/.imgbuild-small.$dead.work/disk.raw"
: >"$OUT/.imgbuild-small.$dead.qcow2"
chown -R "$NOBODY:$NOBODY" "$OUT"
(cd "$T/w" && run_unpriv "$IMGBUILD" build "$R" -o "$OUT" --json) >"$T/build.json" 2>"$T/build.err"
BUILD_RC=$?
expect_build_rc 0 || finish
assert_matches "the dead build's work dir is reported" "removed [^\"]*\\.imgbuild-small\\.$dead\\.work, left by build $dead \\(dead\\)" "$T/build.json"
[ -e "$OUT/.imgbuild-small.$dead.work" ] && fail "the dead build's work dir is still there"
[ -e "$OUT/.imgbuild-small.$dead.qcow2" ] && fail "the dead build's temporary output is still there"
[ -d "$OUT/.imgbuild-small.$alive.work" ] || fail "the live build's work dir was removed"
kill "$alive" 2>/dev/null
rmdir "$OUT/.imgbuild-small.$alive.work"
assert_dir_holds "$OUT" small.raw small.qcow2
finish
