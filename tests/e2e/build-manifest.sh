#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build --manifest writes <name>.manifest.json beside the outputs, and
# build --json ends with a "manifest" event: both are what `imgbuild inspect
# --json` says of the output (the image block names the output by file name).
# A failed build writes no manifest.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
setup_tmp
stage_recipe gpt512
OUT=$T/w/out
(cd "$T/w" && run_unpriv "$IMGBUILD" build "$R" -o "$OUT" --manifest --json) >"$T/build.json" 2>"$T/build.err"
BUILD_RC=$?
expect_build_rc 0 || finish
[ -f "$OUT/gpt512.manifest.json" ] || fail "no $OUT/gpt512.manifest.json"
assert_no_leftovers "$OUT"
"$PY" - "$OUT" "$T/build.json" "$IMGBUILD" <<'PYEOF' || fail "manifest differs from inspect"
import json, os, subprocess, sys
out, events, imgbuild = sys.argv[1:4]
m = json.load(open(os.path.join(out, "gpt512.manifest.json")))
ev = [json.loads(l) for l in open(events) if l.strip()]
mev = [e for e in ev if e["event"] == "manifest"]
assert len(mev) == 1, f"{len(mev)} manifest events"
assert mev[0]["manifest"] == m, "the --json manifest differs from the file"
img = os.path.join(out, m["image"]["path"])
assert os.path.exists(img), f"the manifest names {m['image']['path']}, which is not an output"
ins = json.loads(subprocess.run([imgbuild, "inspect", img, "--json"], check=True, capture_output=True).stdout)
ins["image"]["path"] = m["image"]["path"]
assert ins == m, "inspect of the output differs from the build's manifest"
files = sum(len(p["files"]) for p in m["partitions"])
assert files > 10, f"only {files} files in the manifest"
print(f"manifest: {len(m['partitions'])} partitions, {files} files, same as inspect")
PYEOF
# A failed build (a tool stand-in that fails) leaves no manifest.
mkdir -p "$T/bin"
ln -s "$REPO/tests/fixtures/bin/fake-tool" "$T/bin/qemu-img"
OUT2=$T/w/out2
(cd "$T/w" && run_unpriv env PATH="$T/bin:$PATH" FAKE_TOOL_EXIT=1 FAKE_TOOL_STDERR=broken "$IMGBUILD" build "$R" -o "$OUT2" --manifest) >/dev/null 2>"$T/fail.err"
rc=$?
grep -q broken "$T/fail.err" || fail "the tool's stderr is not in the error"
[ $rc = 1 ] || { fail "the failing build exited $rc, expected 1"; sed 's/^/  | /' "$T/fail.err"; }
[ -e "$OUT2/gpt512.manifest.json" ] && fail "a failed build wrote a manifest"
assert_no_leftovers "$OUT2"
finish
