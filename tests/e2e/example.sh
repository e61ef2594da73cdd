#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bundled example (recipes/example.yml) builds in place as an unprivileged
# user into the default ./out, and holds its payload.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
setup_tmp
R=$REPO/recipes/example.yml
P=$REPO/recipes/payload
bytes=$(find "$P" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
[ "$bytes" -lt 102400 ] || fail "the example payload is $bytes bytes, keep it under 100 KiB"
expect_add "$T/exp/p1" "$P/efi" /EFI
expect_add "$T/exp/p3" "$P/setup" /Setup

plan_json "$R" "$T/plan.json" || finish
check_plan_part "$T/plan.json" 1 esp "$GUID_ESP" $((260 * MiB)) fat32 SYSTEM ""
check_plan_part "$T/plan.json" 2 msr "$GUID_MSR" $((16 * MiB)) null "" ""
check_plan_part "$T/plan.json" 3 windows "$GUID_BASIC" rest ntfs Windows 4096

# No -o: the outputs go to ./out.
(cd "$T/w" && run_unpriv "$IMGBUILD" build "$R" --json) >"$T/build.json" 2>"$T/build.err"
BUILD_RC=$?
log "imgbuild build recipes/example.yml (cwd $T/w) -> exit $BUILD_RC"
expect_build_rc 0 || finish
check_json_events "$T/build.json" "$T/plan.json" 1 1
OUT=$T/w/out
assert_no_leftovers "$OUT"
assert_dir_holds "$OUT" example.qcow2
[ -f "$OUT/example.qcow2" ] || finish
RAW=$T/example.raw
qemu-img convert -f qcow2 -O raw "$OUT/example.qcow2" "$RAW" || die "qemu-img convert failed"
verify_outputs "$OUT" example "$T/plan.json" "$RAW" qcow2
verify_table "$RAW" "$T/plan.json"
verify_fat "$RAW" "$T/plan.json" 1 "$T/exp/p1"
verify_ntfs "$RAW" "$T/plan.json" 3 "$T/exp/p3"
# The qcow2 stays small: the disk is 2 GiB, the data a few MiB of metadata.
alloc=$(du -B1 "$OUT/example.qcow2" | cut -f1)
[ "$alloc" -lt $((64 * MiB)) ] || fail "example.qcow2 takes $alloc bytes for a nearly empty disk"
finish
