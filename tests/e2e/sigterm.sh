#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGTERM while files are being copied into NTFS: exit 143, no output, no
# work dir, no temporary files.
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv "$PY"
setup_tmp
stage_recipe big
mkdir -p "$T/r/payload/big"
# Big enough that the copy takes a while even on a fast machine.
head -c $((400 * MiB)) /dev/urandom >"$T/r/payload/big/random.bin" || die "cannot write the payload"
cp "$T/r/payload/single.txt" "$T/r/payload/big/"
chown -R "$NOBODY:$NOBODY" "$T/r"
plan_json "$R" "$T/plan.json" || finish
# The step after the NTFS mkfs is the copy into it.
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
for _ in $(seq 1 1200); do
	if "$PY" - "$T/build.json" "$copy_step" "$copy_title" <<'PYEOF'; then started=1; break; fi
import json, sys
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "step-start" and (e.get("step") == int(sys.argv[2]) or e.get("title") == sys.argv[3]):
        sys.exit(0)
sys.exit(1)
PYEOF
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
if [ $started = 0 ]; then
	wait "$pid"
	BUILD_RC=$?
	fail "no step-start event for the copy step while the build ran (build exit $BUILD_RC; is --json output flushed per line?)"
	show_build_output
	finish
fi
sleep 0.3
ls -la "$OUT" >"$T/during.txt" 2>&1
kill -0 "$pid" 2>/dev/null || fail "the build finished before SIGTERM: make the payload bigger"
grep -q '"step-done","step":'"$copy_step"',' "$T/build.json" &&
	fail "the copy step was already done when SIGTERM was sent"
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
