#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# GPT on a 4096-byte-sector disk (FAT32 4 KiB clusters, NTFS 64 KiB
# clusters), vhdx output, reproducible: GUIDs equal the plan's, NTFS times
# equal the epoch, and a second build gives the same disk bit for bit.
. "$(dirname "$0")/lib.sh"
need_all
setup_tmp
stage_recipe gpt4k
P=$T/r/payload
EPOCH=1700000000
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
verify_table "$RAW" "$T/plan.json" 1
verify_fat "$RAW" "$T/plan.json" 1 "$T/exp/p1"
verify_ntfs "$RAW" "$T/plan.json" 2 "$T/exp/p2" "$EPOCH"

log "second build: must be identical"
OUT2=$T/w/out2
ib_build "$R" "$OUT2"
if expect_build_rc 0 && [ -f "$OUT2/gpt4k.vhdx" ]; then
	qemu-img convert -f vhdx -O raw "$OUT2/gpt4k.vhdx" "$T/again.raw" || die "qemu-img convert failed"
	cmp "$RAW" "$T/again.raw" >"$T/cmp.txt" 2>&1 || {
		fail "reproducible recipe: two builds differ"
		cmp -l "$RAW" "$T/again.raw" 2>/dev/null | head -n 5 | sed 's/^/  byte (1-based), octal values: /'
	}
fi
finish
