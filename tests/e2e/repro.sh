#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reproducible builds: with `reproducible:` in the recipe two builds give the
# same raw image bit for bit, the GUIDs are the plan's, and NTFS file times
# (NTFS and FAT) are the epoch; SOURCE_DATE_EPOCH does the same for a recipe without it.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
setup_tmp
stage_recipe repro
P=$T/r/payload
EPOCH=1700000000
expect_add "$T/exp/p1" "$P/esp" /
expect_add "$T/exp/p2" "$P/data" /

# cmp_images WHAT A B: same bytes; else where they differ (partition-relative).
cmp_images() {
	if ! cmp "$2" "$3" >/dev/null 2>&1; then
		fail "$1: two builds differ"
		cmp -l "$2" "$3" 2>/dev/null | "$PY" -c '
import json, sys
plan = json.load(open(sys.argv[1]))
n = 0
for line in sys.stdin:
    off = int(line.split()[0]) - 1
    n += 1
    if n <= 8:
        where = "outside any partition"
        for q in plan["partitions"]:
            if q["offset"] <= off < q["offset"] + q["size"]:
                where = f"p{q[\"number\"]} ({q[\"fs\"]}) + 0x{off - q[\"offset\"]:x}"
        print(f"  byte {off}: {where}")
print(f"  {n} bytes differ")' "$T/plan.json"
	fi
}

plan_json "$R" "$T/plan.json" || finish
ib_build "$R" "$T/w/out1"
expect_build_rc 0 || finish
ib_build "$R" "$T/w/out2"
expect_build_rc 0 || finish
cmp_images "reproducible: recipe" "$T/w/out1/repro.raw" "$T/w/out2/repro.raw"
verify_table "$T/w/out1/repro.raw" "$T/plan.json" 1
verify_fat "$T/w/out1/repro.raw" "$T/plan.json" 1 "$T/exp/p1" "$EPOCH"
verify_ntfs "$T/w/out1/repro.raw" "$T/plan.json" 2 "$T/exp/p2" "$EPOCH"

log "SOURCE_DATE_EPOCH with a recipe that does not ask for it"
cp "$E2E/recipes/small.yml" "$T/r/"
chown "$NOBODY" "$T/r/small.yml"
SOURCE_DATE_EPOCH=$EPOCH ib_build "$T/r/small.yml" "$T/w/sde1"
expect_build_rc 0 || finish
SOURCE_DATE_EPOCH=$EPOCH ib_build "$T/r/small.yml" "$T/w/sde2"
expect_build_rc 0 || finish
(cd "$T/w" && SOURCE_DATE_EPOCH=$EPOCH run_unpriv "$IMGBUILD" plan "$T/r/small.yml" --json) >"$T/plan.json"
cmp_images "SOURCE_DATE_EPOCH" "$T/w/sde1/small.raw" "$T/w/sde2/small.raw"
finish
