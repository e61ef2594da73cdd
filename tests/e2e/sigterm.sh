#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGTERM while files are being copied into NTFS: exit 143, no output, no
# work dir, no temporary files.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv "$PY"
setup_tmp
stage_recipe big
mkdir -p "$T/r/payload/big"
# 1.5 GiB to copy, so the copy lasts long enough to be interrupted even when
# the disk is fast, from 64 MiB of disk: one random file and 23 hard links
# to it (each link is copied as a file of its own).
head -c $((64 * MiB)) /dev/urandom >"$T/r/payload/big/chunk-00.bin" || die "cannot write the payload"
for i in $(seq -w 1 23); do ln "$T/r/payload/big/chunk-00.bin" "$T/r/payload/big/chunk-$i.bin"; done
chown -R "$NOBODY:$NOBODY" "$T/r"
plan_json "$R" "$T/plan.json" || finish
# The step after the NTFS mkfs is the copy into it (events number steps from 1).
copy_step=$(jget "$T/plan.json" '[i + 1 for i, s in enumerate(d["steps"]) if i > 0 and "ntfs" in d["steps"][i-1]["title"]][0]')
copy_title=$(jget "$T/plan.json" "d['steps'][$copy_step - 1]['title']")
[ -n "$copy_title" ] || die "cannot find the copy step in the plan"
log "waiting for step $copy_step: $copy_title"

OUT=$T/w/out
"${UNPRIV[@]}" "$IMGBUILD" build "$R" -o "$OUT" --json >"$T/build.json" 2>"$T/build.err" &
pid=$!
BGPIDS+=("$pid")
started=0
# grep, not a JSON parser, so the signal follows the event within ~10 ms.
re_start='"event":"step-start".*"step":'$copy_step'[,}]|"step":'$copy_step'[,}].*"event":"step-start"'
re_done='"event":"step-done".*"step":'$copy_step'[,}]|"step":'$copy_step'[,}].*"event":"step-done"'
for _ in $(seq 1 3000); do
	if grep -qE "$re_start" "$T/build.json"; then
		started=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.01
done
if [ $started = 0 ]; then
	wait "$pid"
	BUILD_RC=$?
	fail "no step-start event for the copy step while the build ran (build exit $BUILD_RC; is --json output flushed per line?)"
	show_build_output
	finish
fi
sleep 0.05
ls -la "$OUT" >"$T/during.txt" 2>&1
kill -0 "$pid" 2>/dev/null || fail "the build finished before SIGTERM: make the payload bigger"
grep -qE "$re_done" "$T/build.json" && fail "the copy step was already done when SIGTERM was sent"
kill -TERM "$pid"
wait "$pid"
BUILD_RC=$?
BGPIDS=()
log "build exit status after SIGTERM: $BUILD_RC"
expect_build_rc 143
echo "out dir while the copy ran:"
sed 's/^/  /' "$T/during.txt"
assert_dir_holds "$OUT"
assert_no_leftovers "$OUT"
finish
