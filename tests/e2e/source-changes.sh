#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A source file that changes, or is swapped for a symlink, after planning or
# during the copy fails the build on every backend (exit 1, the change named),
# and the output directory is left as it was: no torn file and no data from
# outside the tree in a shipped image. The tool stand-ins make the change at
# a known moment: after mkfs (before the copy) or inside mcopy (during it).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv mcopy mkntfs mkfs.fat
need_fuse
setup_tmp
R=$T/r
mkdir -p "$R/src"
head -c $((3 * MiB)) /dev/urandom >"$R/src/big.bin"
echo small >"$R/src/small.txt"
echo "outside secret" >"$T/secret.txt"
chmod 644 "$T/secret.txt"
cat >"$R/c.yml" <<'YML'
imgbuild: 1
name: c
disk:
  size: 96MiB
  table: gpt
  partitions:
    - { name: esp, type: esp, size: 40MiB, fs: { type: fat32 }, files: [ { src: src, dst: /f } ] }
    - { name: data, size: rest, fs: { type: ntfs }, files: [ { src: src, dst: /n } ] }
outputs: [ { format: raw } ]
YML
chown -R "$NOBODY:$NOBODY" "$R"
OUT=$T/w/out

# standin TOOL ACTION: TOOL runs ACTION (a shell snippet) around the real one.
standin() {
	local tool=$1 action=$2 real
	real=$(PATH=$PATH:/usr/sbin:/sbin command -v "$tool")
	cat >"$T/standin-$tool" <<SH
#!/bin/bash
$action
exec $real "\$@"
SH
	chmod 755 "$T/standin-$tool"
	fake_tool "$tool" "$T/standin-$tool"
}

expect_refused() { # WHAT NEEDLE
	PATH=$T/fakebin:$PATH ib_build "$R/c.yml" "$OUT"
	expect_build_rc 1
	assert_contains "$1: the message" "$2" "$T/build.err"
	assert_dir_holds "$OUT"
	assert_no_leftovers "$OUT"
	rm -rf "$T/fakebin"
}

log "changed after planning (before the FAT copy)"
standin mkfs.fat 'echo more >>'"$R/src/small.txt"
expect_refused "changed before the copy" "the source '$R/src/small.txt' changed size since the build was planned"
echo small >"$R/src/small.txt"

log "changed during the FAT copy (mtools already reads it)"
standin mcopy '[ -f '"$T/once"' ] || { touch '"$T/once"'; printf x | dd of='"$R/src/big.bin"' bs=1 seek=100 conv=notrunc status=none; }'
expect_refused "changed during the copy" "the source '$R/src/big.bin' was modified since the build was planned"
rm -f "$T/once"

log "changed before the NTFS copy"
standin mkntfs 'printf y | dd of='"$R/src/big.bin"' bs=1 seek=200 conv=notrunc status=none'
expect_refused "ntfs: changed" "the source '$R/src/big.bin' was modified since the build was planned"

log "swapped for a symlink to a file outside the tree before the NTFS copy"
standin mkntfs 'mv '"$R/src/small.txt $R/src/small.bak"'; ln -s '"$T/secret.txt $R/src/small.txt"
expect_refused "ntfs: symlink swap" "replaced by a symlink"
rm -f "$R/src/small.txt"
mv "$R/src/small.bak" "$R/src/small.txt"

log "swapped for a symlink during the FAT copy, and put back before it ends"
real_mcopy=$(command -v mcopy)
cat >"$T/standin-mcopy" <<SH
#!/bin/bash
if [ -f "$T/once" ]; then exec $real_mcopy "\$@"; fi
touch "$T/once"
mv "$R/src/small.txt" "$R/src/small.bak"
ln -s "$T/secret.txt" "$R/src/small.txt"
$real_mcopy "\$@"
rc=\$?
rm -f "$R/src/small.txt"
mv "$R/src/small.bak" "$R/src/small.txt"
exit \$rc
SH
chmod 755 "$T/standin-mcopy"
fake_tool mcopy "$T/standin-mcopy"
expect_refused "fat: swapped and put back" "the source '$R/src/small.txt' was modified since the build was planned"
[ -f "$R/src/small.txt" ] && [ ! -L "$R/src/small.txt" ] || fail "the stand-in did not put the file back"
rm -f "$T/once"

log "the mount backend refuses a change too"
standin mkntfs 'echo more >>'"$R/src/small.txt"
# (as root: the mount backend attaches loop devices)
PATH=$T/fakebin:$PATH "$IMGBUILD" build "$R/c.yml" -o "$OUT" --backend mount >/dev/null 2>"$T/build.err"
assert_eq "mount backend: exit status" 1 "$?"
assert_contains "mount backend: the message" "changed size since the build was planned" "$T/build.err"
assert_dir_holds "$OUT"
rm -rf "$T/fakebin"

log "a stable tree builds"
echo small >"$R/src/small.txt"
chown -R "$NOBODY:$NOBODY" "$R"
ib_build "$R/c.yml" "$OUT"
expect_build_rc 0
finish
