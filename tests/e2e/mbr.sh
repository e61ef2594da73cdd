#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# MBR: a bootable FAT16, an NTFS and a FAT32 filling the rest; raw and qcow2.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
setup_tmp
stage_recipe mbr
P=$T/r/payload
expect_add "$T/exp/p1" "$P/esp" /
expect_add "$T/exp/p2" "$P/data" /
expect_add "$T/exp/p2" "$P/single.txt" /more/
expect_add "$T/exp/p3" "$P/esp/docs" /docs
expect_add "$T/exp/p3" "$P/single.txt" /single.txt

plan_json "$R" "$T/plan.json" || finish
assert_eq "plan: table" mbr "$(jget "$T/plan.json" 'd["table"]')"
jget "$T/plan.json" 'd["mbr_signature"]' | grep -qE '^0x[0-9a-fA-F]{8}$' || fail "plan: mbr_signature is not 0x + 8 hex digits"
check_plan_part "$T/plan.json" 1 boot 0x0e $((64 * MiB)) fat16 BOOT16 ""
check_plan_part "$T/plan.json" 2 data 0x07 $((200 * MiB)) ntfs MbrData 8192
check_plan_part "$T/plan.json" 3 store 0x0c rest fat32 STORE32 2048
for n in 1 2 3; do check_plan_counts "$T/plan.json" $n "$T/exp/p$n"; done

OUT=$T/w/out
ib_build "$R" "$OUT"
expect_build_rc 0 || finish
check_json_events "$T/build.json" "$T/plan.json" 2 1
assert_no_leftovers "$OUT"
RAW=$OUT/mbr.raw
verify_outputs "$OUT" mbr "$T/plan.json" "$RAW" raw qcow2
[ -f "$RAW" ] || finish
assert_sparse "$RAW"
verify_table "$RAW" "$T/plan.json"
# Only the first partition is active (0x80 at byte 446 + 16 * i).
for i in 0 1 2; do
	want=0
	[ $i = 0 ] && want=128
	assert_eq "MBR entry $((i + 1)) status byte" $want "$(rd_u "$RAW" $((446 + 16 * i)) 1)"
done
assert_eq "MBR entry 4 is empty" 0 "$(rd_u "$RAW" $((446 + 48 + 4)) 1)"
verify_fat "$RAW" "$T/plan.json" 1 "$T/exp/p1"
verify_ntfs "$RAW" "$T/plan.json" 2 "$T/exp/p2"
verify_fat "$RAW" "$T/plan.json" 3 "$T/exp/p3"
finish
