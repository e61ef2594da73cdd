#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A failed build leaves the earlier outputs of the same name untouched, even
# when it fails after writing some of its new outputs; a later good build
# replaces them.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv sha256sum qemu-img
[ -x "$FAKE_TOOL" ] || die "missing $FAKE_TOOL"
setup_tmp
stage_recipe small
OUT=$T/w/out
ib_build "$R" "$OUT"
expect_build_rc 0 || finish
assert_dir_holds "$OUT" small.raw small.qcow2
before=$(hashes "$OUT" small.raw small.qcow2)

log "rebuild with a failing mkntfs"
fake_tool mkntfs "$FAKE_TOOL"
PATH=$T/fakebin:$PATH FAKE_TOOL_STDERR="fake mkntfs: no" FAKE_TOOL_EXIT=1 ib_build "$R" "$OUT"
expect_build_rc 1
assert_eq "outputs after a failed mkntfs" "$before" "$(hashes "$OUT" small.raw small.qcow2)"
assert_dir_holds "$OUT" small.raw small.qcow2
assert_no_leftovers "$OUT"

log "rebuild where only the qcow2 conversion fails (raw is listed first)"
rm -rf "$T/fakebin"
cat >"$T/qemu-img-standin" <<SH
#!/bin/sh
for a; do
	case \$a in *qcow2*) echo "stand-in qemu-img: refusing to write qcow2" >&2; exit 1 ;; esac
done
exec $(command -v qemu-img) "\$@"
SH
chmod 755 "$T/qemu-img-standin"
fake_tool qemu-img "$T/qemu-img-standin"
PATH=$T/fakebin:$PATH ib_build "$R" "$OUT"
expect_build_rc 1
assert_contains "qcow2 failure: the tool's message" "refusing to write qcow2" "$T/build.err"
assert_eq "outputs after a failed qcow2 conversion" "$before" "$(hashes "$OUT" small.raw small.qcow2)"
assert_dir_holds "$OUT" small.raw small.qcow2
assert_no_leftovers "$OUT"

log "a good rebuild replaces them"
ib_build "$R" "$OUT"
expect_build_rc 0
assert_dir_holds "$OUT" small.raw small.qcow2
assert_no_leftovers "$OUT"
qemu-img compare -f raw -F qcow2 "$OUT/small.raw" "$OUT/small.qcow2" >/dev/null ||
	fail "after the rebuild small.raw and small.qcow2 differ"
[ "$before" != "$(hashes "$OUT" small.raw small.qcow2)" ] ||
	fail "the good rebuild did not replace the outputs (same hashes; GUIDs and NTFS times should differ)"
finish
