#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Outputs appear as one set, and one build at a time writes into a directory:
# a build killed in the middle of its renames leaves a set the next build
# completes (never old and new mixed); a second build into a busy directory
# fails at once, or waits with --wait; four concurrent builds leave one
# consistent set.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv qemu-img sha256sum
setup_tmp
stage_recipe small
OUT=$T/w/out

consistent() { # WHAT: small.raw and small.qcow2 hold the same disk
	qemu-img compare -q -f raw -F qcow2 "$OUT/small.raw" "$OUT/small.qcow2" >/dev/null 2>&1 ||
		fail "$1: small.raw and small.qcow2 are from different builds"
}

ib_build "$R" "$OUT"
expect_build_rc 0 || finish
old=$(hashes "$OUT" small.raw small.qcow2)

log "killed after the first rename of the publish"
IMGBUILD_TEST_KILL_AFTER_RENAMES=1 ib_build "$R" "$OUT"
assert_eq "killed build: exit status" 137 "$BUILD_RC"
ls -a "$OUT" | grep -q '\.publish$' || fail "no publish journal after the kill"
qemu-img compare -q -f raw -F qcow2 "$OUT/small.raw" "$OUT/small.qcow2" >/dev/null 2>&1 &&
	fail "the kill did not land between the renames (the test is not testing anything)"
# Any build into the directory completes the dead build's publish first.
cat >"$T/r/other.yml" <<'YML'
imgbuild: 1
name: other
disk: { size: 8MiB, table: gpt, partitions: [ { size: rest } ] }
outputs: [ { format: raw } ]
YML
chown "$NOBODY:$NOBODY" "$T/r/other.yml"
ib_build "$T/r/other.yml" "$OUT"
expect_build_rc 0
assert_contains "the recovery is reported" "completed the publish of build" "$T/build.err"
consistent "after the recovery"
[ "$old" != "$(hashes "$OUT" small.raw small.qcow2)" ] || fail "the recovery did not roll forward to the new set"
assert_dir_holds "$OUT" small.raw small.qcow2 other.raw
assert_no_leftovers "$OUT"

log "a second build into a busy directory"
fake_tool mkntfs "$E2E/stubs/slow-tool"
export SLOW_TOOL_PIDFILE=$T/w/slow.pid SLOW_TOOL_SECONDS=30
rm -f "$SLOW_TOOL_PIDFILE"
PATH=$T/fakebin:$PATH "${UNPRIV[@]}" "$IMGBUILD" build "$R" -o "$OUT" >/dev/null 2>"$T/first.err" &
first=$!
BGPIDS+=("$first")
for _ in $(seq 200); do [ -s "$SLOW_TOOL_PIDFILE" ] && break; sleep 0.05; done
[ -s "$SLOW_TOOL_PIDFILE" ] || fail "the first build never reached mkntfs"
ib_build "$T/r/other.yml" "$OUT"
assert_eq "busy directory: exit status" 1 "$BUILD_RC"
assert_contains "busy directory: the message" "another imgbuild is building into" "$T/build.err"
# With --wait it waits, and builds once the first is gone.
"${UNPRIV[@]}" "$IMGBUILD" build "$T/r/other.yml" -o "$OUT" --wait >/dev/null 2>"$T/wait.err" &
waiter=$!
BGPIDS+=("$waiter")
sleep 1
kill -0 "$waiter" 2>/dev/null || fail "--wait did not wait"
assert_contains "--wait says it waits" "waiting for another build" "$T/wait.err"
kill -TERM "$first"
wait "$first"
wait "$waiter"
assert_eq "--wait: exit status once the first build is gone" 0 "$?"
unset SLOW_TOOL_PIDFILE SLOW_TOOL_SECONDS
rm -rf "$T/fakebin"
consistent "after the interrupted build and the waiter"

log "four concurrent builds"
pids=()
for i in 1 2 3 4; do
	"${UNPRIV[@]}" "$IMGBUILD" build "$R" -o "$OUT" --wait >/dev/null 2>"$T/c$i.err" &
	pids+=($!)
done
BGPIDS+=("${pids[@]}")
for i in 1 2 3 4; do
	wait "${pids[i - 1]}"
	assert_eq "concurrent build $i: exit status" 0 "$?"
done
consistent "after four concurrent builds"
assert_dir_holds "$OUT" small.raw small.qcow2 other.raw
assert_no_leftovers "$OUT"
finish
