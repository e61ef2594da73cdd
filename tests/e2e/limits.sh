#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Layout limits refused before the first write (exit 2 at the recipe line,
# nothing written): more than 128 GPT partitions (an overflow of the entry
# array before), disks past 2^63 bytes or past what the output directory's
# filesystem can hold in one file, and a directory in an output's place.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv
setup_tmp
mkdir -p "$T/r"

expect_rc2_at() { # WHAT LINE CMD...
	local what=$1 line=$2
	shift 2
	(cd "$T/w" && run_unpriv "$IMGBUILD" "$@") >/dev/null 2>"$T/err.txt"
	local rc=$?
	assert_eq "$what: exit status" 2 "$rc"
	head -n 1 "$T/err.txt" | grep -qE "^$T/r/[a-z0-9]+\.yml:$line:[0-9]+: error: " ||
		{ fail "$what: first error not at line $line"; head -n 3 "$T/err.txt" | sed 's/^/  | /'; }
}

log "129 GPT partitions: the 129th is refused (line 135)"
"$PY" - "$T/r/p129.yml" <<'PYEOF'
import sys
parts = "\n".join("    - { size: 1MiB }" for _ in range(129))
open(sys.argv[1], "w").write("imgbuild: 1\nname: p\ndisk:\n  size: 200MiB\n  table: gpt\n  partitions:\n"
                             + parts + "\noutputs: [ { format: raw } ]\n")
PYEOF
chown -R "$NOBODY:$NOBODY" "$T/r"
expect_rc2_at "129 partitions (plan)" 135 plan "$T/r/p129.yml"
expect_rc2_at "129 partitions (build)" 135 build "$T/r/p129.yml" -o "$T/w/out"
assert_dir_holds "$T/w/out"
# 128 are fine.
sed -i '135d' "$T/r/p129.yml"
(cd "$T/w" && run_unpriv "$IMGBUILD" build "$T/r/p129.yml" -o "$T/w/out") >/dev/null 2>"$T/err.txt"
assert_eq "128 partitions: exit status" 0 "$?"
n=$(sfdisk --json "$T/w/out/p.raw" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["partitiontable"]["partitions"]))')
assert_eq "128 partitions: sfdisk sees" 128 "$n"
rm -rf "$T/w/out"

disk_recipe() { # FILE SIZE [PARTITION]
	local part=${3:-"{ size: rest, fs: { type: ntfs } }"}
	printf 'imgbuild: 1\nname: big\ndisk:\n  size: %s\n  table: gpt\n  partitions: [ %s ]\noutputs: [ { format: raw } ]\n' "$2" "$part" >"$1"
	chown "$NOBODY:$NOBODY" "$1"
}
log "disk sizes past 2^63 bytes (line 4)"
for sz in 8388608TiB 9000000TiB 9223372036854775808B; do
	disk_recipe "$T/r/big.yml" $sz
	expect_rc2_at "disk $sz (plan)" 4 plan "$T/r/big.yml"
	expect_rc2_at "disk $sz (build)" 4 build "$T/r/big.yml" -o "$T/w/out"
	assert_dir_holds "$T/w/out"
done

log "an NTFS of more than 2^32 clusters of 2 MiB: refused by the plan (line 6)"
disk_recipe "$T/r/big.yml" 8000000TiB
expect_rc2_at "NTFS of 7.6 EiB (plan)" 6 plan "$T/r/big.yml"
assert_contains "NTFS of 7.6 EiB: the reason" "more than 2^32 NTFS clusters" "$T/err.txt"

log "a disk the output directory's filesystem cannot hold (line 4)"
if truncate -s 8000000TiB "$T/w/probe" 2>/dev/null; then
	rm -f "$T/w/probe"
	echo "note: $T holds files of 7.6 EiB; that case is not testable here"
else
	disk_recipe "$T/r/big.yml" 8000000TiB "{ size: rest }"
	expect_rc2_at "disk 8000000TiB (build)" 4 build "$T/r/big.yml" -o "$T/w/out"
	assert_dir_holds "$T/w/out"
fi

log "a directory where an output goes (line 7)"
disk_recipe "$T/r/dir.yml" 16MiB
sed -i 's/name: big/name: dir/' "$T/r/dir.yml"
mkdir -p "$T/w/out/dir.raw/keep"
chown -R "$NOBODY:$NOBODY" "$T/w/out"
expect_rc2_at "directory in the output's place" 7 build "$T/r/dir.yml" -o "$T/w/out"
assert_dir_holds "$T/w/out" dir.raw
assert_dir_holds "$T/w/out/dir.raw" keep
assert_no_leftovers "$T/w/out"
finish
