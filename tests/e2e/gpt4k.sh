#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# GPT on a 4096-byte-sector disk (FAT32 4 KiB clusters, NTFS 64 KiB
# clusters), vhdx output; read back through 4K loop devices.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
setup_tmp
stage_recipe gpt4k
P=$T/r/payload
expect_add "$T/exp/p1" "$P/esp" /EFI-copy
expect_add "$T/exp/p2" "$P/data" /

plan_json "$R" "$T/plan.json" || finish
assert_eq "plan: sector size" 4096 "$(jget "$T/plan.json" 'd["sector_size"]')"
assert_eq "plan: first partition start (4K sectors)" 256 "$(jget "$T/plan.json" 'd["partitions"][0]["start_lba"]')"
check_plan_part "$T/plan.json" 1 esp "$GUID_ESP" $((320 * MiB)) fat32 ESP4K 4096
check_plan_part "$T/plan.json" 2 data "$GUID_BASIC" rest ntfs Data4K 65536
check_plan_counts "$T/plan.json" 1 "$T/exp/p1"
check_plan_counts "$T/plan.json" 2 "$T/exp/p2"

OUT=$T/w/out
ib_build "$R" "$OUT"
expect_build_rc 0 || finish
check_json_events "$T/build.json" "$T/plan.json" 1 1
assert_no_leftovers "$OUT"
assert_dir_holds "$OUT" gpt4k.vhdx
[ -f "$OUT/gpt4k.vhdx" ] || finish
RAW=$T/gpt4k.raw
qemu-img convert -f vhdx -O raw "$OUT/gpt4k.vhdx" "$RAW" || die "qemu-img convert vhdx -> raw failed"
verify_outputs "$OUT" gpt4k "$T/plan.json" "$RAW" vhdx
verify_table "$RAW" "$T/plan.json"
verify_fat "$RAW" "$T/plan.json" 1 "$T/exp/p1"
verify_ntfs "$RAW" "$T/plan.json" 2 "$T/exp/p2"

finish
