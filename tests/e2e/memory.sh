#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Memory stays flat: putting a 200 MiB file into NTFS peaks under 100 MiB of
# resident memory (imgbuild and the programs it runs; GNU time reports the
# largest), and the file arrives intact.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv "$PY"
[ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1 || skip "GNU time (/usr/bin/time -v) is not installed (Debian package: time)"
setup_tmp
stage_recipe big
mkdir -p "$T/r/payload/big"
head -c $((200 * MiB)) /dev/urandom >"$T/r/payload/big/random.bin" || die "cannot write the payload"
chown -R "$NOBODY:$NOBODY" "$T/r"

OUT=$T/w/out
# ASan keeps freed memory in a quarantine (256 MiB by default) that would
# show as resident; cap it so the figure is the program's own use.
ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=8" \
	run_unpriv /usr/bin/time -v -o "$T/w/time.txt" "$IMGBUILD" build "$R" -o "$OUT" >"$T/build.out" 2>"$T/build.err"
BUILD_RC=$?
expect_build_rc 0 || finish
kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/w/time.txt")
log "peak RSS: ${kib} KiB"
[ -n "$kib" ] || die "no peak RSS in the time report"
[ "$kib" -lt $((100 * 1024)) ] || fail "peak RSS ${kib} KiB, bound 102400 KiB (100 MiB)"

need_loop
need_fuse
plan_json "$R" "$T/plan.json" || finish
off=$(jget "$T/plan.json" 'd["partitions"][0]["offset"]')
size=$(jget "$T/plan.json" 'd["partitions"][0]["size"]')
attach "$OUT/big.raw" "$off" "$size" || finish
mount_ntfs_ro "$LOOPDEV" "$T/mnt" || finish
cmp "$T/r/payload/big/random.bin" "$T/mnt/big/random.bin" || fail "the 200 MiB file differs after the build"
unmount "$T/mnt"
finish
