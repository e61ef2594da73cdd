#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# imgbuild diff: compares images by manifest.
#  - Two reproducible builds with the same seed are the same (exit 0); a
#    different seed changes the disk and partition GUIDs and the volume
#    serials and nothing else, so --ignore ids makes them the same.
#  - One changed byte in one payload file: diff names exactly that file
#    (sha256 changed) and exits 1.
#  - Two ordinary (random ids, source times) builds: --ignore ids,times
#    leaves nothing.
#  - A raw image and its qcow2 conversion are the same.
#  - Usage errors and unreadable images exit 2.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
setup_tmp
stage_recipe repro

# ib_diff ARGS...: as the unprivileged user; stdout in $T/diff.out, stderr in
# $T/diff.err, exit status in DIFF_RC.
ib_diff() {
	run_unpriv "$IMGBUILD" diff "$@" >"$T/diff.out" 2>"$T/diff.err"
	DIFF_RC=$?
	log "imgbuild diff $* -> exit $DIFF_RC"
	if grep -q 'Sanitizer\|runtime error' "$T/diff.err"; then
		fail "sanitizer report from diff"
		head -n 30 "$T/diff.err"
	fi
}
expect_diff_rc() { # WHAT RC
	if [ "$DIFF_RC" -ne "$2" ]; then
		fail "$1: diff exited with $DIFF_RC, expected $2"
		sed 's/^/  | /' "$T/diff.out" "$T/diff.err" | head -n 40
	fi
}

build_to() { # OUT [args]
	local out=$1
	shift
	ib_build "$R" "$out" "$@"
	expect_build_rc 0 || finish
}

build_to "$T/w/a1"
build_to "$T/w/a2"
build_to "$T/w/b1" --set reproducible.seed="another seed"
A1=$T/w/a1/repro.raw A2=$T/w/a2/repro.raw B1=$T/w/b1/repro.raw

ib_diff "$A1" "$A2"
expect_diff_rc "same recipe, same seed" 0
assert_contains "same seed: text" "the images are the same" "$T/diff.out"

ib_diff "$A1" "$B1" --json
expect_diff_rc "another seed" 1
"$PY" - "$T/diff.out" <<'EOF' || fail "another seed: the differences are not exactly the ids"
import json, sys
d = json.load(open(sys.argv[1]))
got = sorted((x["category"], x["partition"] or 0, ",".join(x["fields"]), x["change"]) for x in d["differences"])
want = sorted([("table", 0, "disk_guid", "changed"), ("partition", 1, "guid", "changed"),
               ("partition", 2, "guid", "changed"), ("fs", 1, "serial", "changed"), ("fs", 2, "serial", "changed")])
if d["same"] is not False: print("  'same' is not false")
if got != want:
    print(f"  differences: {got}\n  expected:    {want}")
    sys.exit(1)
for x in d["differences"]:
    if x["a"] == x["b"] or not x["a"] or not x["b"]:
        print(f"  {x}: values not both given and different"); sys.exit(1)
EOF
ib_diff "$A1" "$B1"
expect_diff_rc "another seed (text)" 1
assert_matches "another seed: text names the disk GUID" '^~ table disk_guid: [0-9A-F-]{36} -> [0-9A-F-]{36}$' "$T/diff.out"
assert_contains "another seed: text counts" "5 differences" "$T/diff.out"
ib_diff --ignore ids "$A1" "$B1"
expect_diff_rc "another seed, --ignore ids" 0
ib_diff --ignore ids --json "$A1" "$B1"
expect_diff_rc "another seed, --ignore ids --json" 0
assert_eq "--ignore ids --json: same" True "$(jget "$T/diff.out" 'd["same"]')"
assert_eq "--ignore ids --json: ignore" '["ids"]' "$(jget "$T/diff.out" 'd["ignore"]')"

# One byte of one payload file.
cp -a "$T/r" "$T/r2"
F=Setup/autounattend.xml
[ -f "$T/r2/payload/data/$F" ] || die "payload has no data/$F"
size=$(stat -c %s "$T/r2/payload/data/$F")
mtime=$(stat -c %y "$T/r2/payload/data/$F")
byte=$(od -An -tu1 -j 10 -N 1 "$T/r2/payload/data/$F" | tr -d ' ')
printf "$(printf '\\x%02x' $(((byte + 1) % 256)))" | dd of="$T/r2/payload/data/$F" bs=1 seek=10 conv=notrunc status=none
touch -d "$mtime" "$T/r2/payload/data/$F"
assert_eq "edited file keeps its size" "$size" "$(stat -c %s "$T/r2/payload/data/$F")"
chown -R "$NOBODY:$NOBODY" "$T/r2"
R=$T/r2/repro.yml build_to "$T/w/c1"
C1=$T/w/c1/repro.raw
ib_diff --json "$A1" "$C1"
expect_diff_rc "one byte changed" 1
"$PY" - "$T/diff.out" "/$F" <<'EOF' || fail "one byte changed: diff does not name exactly that file"
import json, sys
d = json.load(open(sys.argv[1]))
diffs = d["differences"]
if len(diffs) != 1:
    print(f"  {len(diffs)} differences: {json.dumps(diffs)[:1500]}"); sys.exit(1)
x = diffs[0]
ok = (x["category"] == "file" and x["partition"] == 2 and x["path"] == sys.argv[2] and x["change"] == "changed"
      and x["fields"] == ["sha256"] and x["a"]["sha256"] != x["b"]["sha256"] and x["a"]["size"] == x["b"]["size"])
if not ok:
    print(f"  {json.dumps(x)}"); sys.exit(1)
EOF
ib_diff --ignore ids,times "$A1" "$C1"
expect_diff_rc "one byte changed, --ignore ids,times" 1
assert_eq "one byte changed: text lines naming files" "~ partition 2: /$F (sha256)" "$(grep '^[-+~] ' "$T/diff.out")"

# Ordinary builds: random ids, times from the sources.
grep -v '^reproducible:' "$T/r/repro.yml" >"$T/r/plain.yml"
chown "$NOBODY:$NOBODY" "$T/r/plain.yml"
R=$T/r/plain.yml build_to "$T/w/p1"
R=$T/r/plain.yml build_to "$T/w/p2"
P1=$T/w/p1/repro.raw P2=$T/w/p2/repro.raw
ib_diff "$P1" "$P2"
expect_diff_rc "two ordinary builds" 1
assert_contains "ordinary builds differ in their ids" "disk_guid" "$T/diff.out"
ib_diff --ignore ids,times "$P1" "$P2"
expect_diff_rc "two ordinary builds, --ignore ids,times" 0
# Times: the reproducible build has every time at the epoch, the ordinary
# one the sources' times; the same content otherwise.
ib_diff --ignore ids --json "$A1" "$P1"
expect_diff_rc "reproducible vs ordinary" 1
"$PY" - "$T/diff.out" <<'EOF' || fail "reproducible vs ordinary: differences other than mtimes"
import json, sys
d = json.load(open(sys.argv[1]))
other = [x for x in d["differences"] if x["category"] != "file" or x["fields"] != ["mtime"]]
if other or not d["differences"]:
    print(f"  {len(d['differences'])} differences, not mtime-only: {json.dumps(other)[:1500]}"); sys.exit(1)
EOF
ib_diff --ignore ids,times "$A1" "$P1"
expect_diff_rc "reproducible vs ordinary, --ignore ids,times" 0

# Container formats are not compared.
qemu-img convert -O qcow2 "$A1" "$T/a1.qcow2" && chmod 0644 "$T/a1.qcow2"
ib_diff "$A1" "$T/a1.qcow2"
expect_diff_rc "raw vs its qcow2" 0

# Usage and input errors.
ib_diff "$A1"
expect_diff_rc "one image" 2
ib_diff --ignore guids "$A1" "$A2"
expect_diff_rc "--ignore guids" 2
assert_contains "--ignore guids: message" "not 'guids'" "$T/diff.err"
head -c 1000 /dev/urandom >"$T/junk.bin"
chmod 0644 "$T/junk.bin"
ib_diff "$A1" "$T/junk.bin"
expect_diff_rc "junk as B" 2
assert_matches "junk: message" 'junk.bin: no partition table at byte 510' "$T/diff.err"
ib_diff --json "$T/junk.bin" "$A1"
expect_diff_rc "junk as A, --json" 2
assert_eq "junk --json: error event" error "$(jget "$T/diff.out" 'd["event"]')"
left=$(find "$T/w/tmp" -mindepth 1 2>/dev/null)
[ -z "$left" ] || fail "diff left temporaries in TMPDIR: $left"
finish
