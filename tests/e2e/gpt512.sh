#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# GPT, 512-byte sectors: FAT32 ESP + MSR + NTFS, every output format, built
# as an unprivileged user and checked with independent tools.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
setup_tmp
stage_recipe gpt512
P=$T/r/payload
expect_add "$T/exp/p1" "$P/esp" /
expect_add "$T/exp/p1" "$P/single.txt" /loose/
expect_add "$T/exp/p3" "$P/data" /Data
expect_add "$T/exp/p3" "$P/single.txt" /renamed.txt

plan_json "$R" "$T/plan.json" || finish
check_plan_part "$T/plan.json" 1 esp "$GUID_ESP" $((100 * MiB)) fat32 ESP512 ""
check_plan_part "$T/plan.json" 2 msr "$GUID_MSR" $((16 * MiB)) null "" ""
check_plan_part "$T/plan.json" 3 data "$GUID_BASIC" rest ntfs Data512 4096
check_plan_counts "$T/plan.json" 1 "$T/exp/p1"
check_plan_counts "$T/plan.json" 3 "$T/exp/p3"
assert_eq "plan: first partition start" 2048 "$(jget "$T/plan.json" 'd["partitions"][0]["start_lba"]')"

OUT=$T/w/out
ib_build "$R" "$OUT"
expect_build_rc 0 || finish
check_json_events "$T/build.json" "$T/plan.json" 5 1
assert_no_leftovers "$OUT"
RAW=$OUT/gpt512.raw
verify_outputs "$OUT" gpt512 "$T/plan.json" "$RAW" raw qcow2 vmdk vhdx vpc
[ -f "$OUT/gpt512.vmdk" ] && assert_eq "vmdk subformat" streamOptimized \
	"$(qemu-img info --output=json "$OUT/gpt512.vmdk" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["format-specific"]["data"]["create-type"])')"
[ -f "$RAW" ] || finish
assert_sparse "$RAW"
verify_table "$RAW" "$T/plan.json"
verify_fat "$RAW" "$T/plan.json" 1 "$T/exp/p1"
verify_ntfs "$RAW" "$T/plan.json" 3 "$T/exp/p3"
finish
