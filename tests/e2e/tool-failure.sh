#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# When an external program fails the build fails with exit 1 and says why,
# and leaves no outputs and no temporary files; a missing program is an
# environment error (exit 3) naming the package to install, found before
# anything is written.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv unshare "$PY"
need_private_mounts
[ -x "$FAKE_TOOL" ] || die "missing $FAKE_TOOL"
setup_tmp
stage_recipe small
plan_json "$R" "$T/plan.json" || finish
fake_tool mkntfs "$FAKE_TOOL"
log "stand-in: $FAKE_TOOL"

log "mkntfs exits 1"
OUT=$T/w/out1
PATH=$T/fakebin:$PATH FAKE_TOOL_STDERR="fake mkntfs: the disk is on fire" FAKE_TOOL_EXIT=1 ib_build "$R" "$OUT"
expect_build_rc 1
assert_contains "exit 1: stderr carries the tool's message" "the disk is on fire" "$T/build.err"
assert_contains "exit 1: stderr names the tool" "mkntfs" "$T/build.err"
assert_dir_holds "$OUT"
assert_no_leftovers "$OUT"
check_json_events "$T/build.json" "$T/plan.json" 2 0
grep -q '"step-failed"' "$T/build.json" || fail "exit 1: no step-failed event in --json output"

log "mkntfs is killed by SIGKILL"
OUT=$T/w/out2
PATH=$T/fakebin:$PATH FAKE_TOOL_STDERR="fake mkntfs: about to be killed" FAKE_TOOL_SIGNAL=KILL ib_build "$R" "$OUT"
expect_build_rc 1
assert_matches "signal: stderr says it was killed by a signal" "mkntfs.*killed by signal|killed by signal.*mkntfs" "$T/build.err"
assert_dir_holds "$OUT"
assert_no_leftovers "$OUT"

for tool in mkntfs:ntfs-3g mkfs.fat:dosfstools mcopy:mtools qemu-img:qemu-utils; do
	prog=${tool%%:*} pkg=${tool#*:}
	log "$prog is missing"
	OUT=$T/w/out-no-$prog
	without_tools "$prog" "${UNPRIV[@]}" "$IMGBUILD" build "$R" -o "$OUT" --json >"$T/build.json" 2>"$T/build.err"
	BUILD_RC=$?
	show_stderr_head
	[ $BUILD_RC = 99 ] && die "could not hide $prog (unshare/mount --bind)"
	expect_build_rc 3
	assert_contains "missing $prog: stderr names it" "$prog" "$T/build.err"
	assert_contains "missing $prog: stderr names its package" "$pkg" "$T/build.err"
	[ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ] && fail "missing $prog: $OUT has files: $(ls -A "$OUT")"
	assert_no_leftovers "$OUT"
done
finish
