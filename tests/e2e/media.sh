#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Windows install media (issue 13, first part): `imgbuild inspect` lists the
# images of a WIM (LZX, XPRESS, none), an ESD (LZMS, solid) and an ISO 9660
# image holding sources/install.wim, as wimlib reads them: index, name,
# edition, version, build and architecture. The WIMs are captured with
# wimlib-imagex from the synthetic Windows of the other tests (its SOFTWARE
# hive and an amd64 kernel32.dll are what wimlib reads the version and the
# architecture from). A corrupt WIM is exit 2 with wimlib's words.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_imgbuild
need wimlib-imagex bsdtar hivexsh
need_windows_fixtures
setup_tmp
M=$T/media
mkdir -p "$M"
make_windows "$M/tree"
cp "$M/tree/Windows/System32/cmd.exe" "$M/tree/Windows/System32/kernel32.dll"
hives_set_win10_build "$M/tree/Windows/System32/config/SOFTWARE" 19045

cap() { wimlib-imagex capture "$M/tree" "$@" >/dev/null 2>"$T/wim.err" || die "wimlib-imagex capture: $(cat "$T/wim.err")"; }
cap "$M/lzx.wim" "Windows 10 Pro" --compress=LZX
wimlib-imagex append "$M/tree" "$M/lzx.wim" "Windows 10 Pro N" >/dev/null 2>&1 || die "wimlib-imagex append"
cap "$M/xpress.wim" "Windows 10 Pro" --compress=XPRESS
cap "$M/none.wim" "Windows 10 Pro" --compress=none
cap "$M/install.esd" "Windows 10 Pro" --solid
mkdir -p "$M/iso/sources"
cp "$M/lzx.wim" "$M/iso/sources/install.wim"
(cd "$M/iso" && bsdtar --format iso9660 -cf "$M/media.iso" sources) || die "bsdtar"
chmod -R a+rX "$M"

inspect_json() { run_unpriv "$IMGBUILD" inspect --json "$1" >"$T/m.json" 2>"$T/m.err"; }
for f in lzx.wim xpress.wim none.wim install.esd media.iso; do
	log "inspect $f"
	inspect_json "$M/$f"
	assert_eq "$f: exit" 0 "$?"
	assert_eq "$f: the first image" "1 Windows 10 Pro Professional 10.0 19045 amd64" \
		"$(jget "$T/m.json" '" ".join(str(d["media"]["images"][0][k]) for k in ("index", "name", "edition", "version", "build", "arch"))')"
done
assert_eq "lzx.wim: two images" 2 "$(run_unpriv "$IMGBUILD" inspect --json "$M/lzx.wim" | jq_py 'len(d["media"]["images"])')"
assert_eq "lzx.wim: compression" LZX "$(run_unpriv "$IMGBUILD" inspect --json "$M/lzx.wim" | jq_py 'd["media"]["compression"]')"
assert_eq "install.esd: compression" LZMS "$(run_unpriv "$IMGBUILD" inspect --json "$M/install.esd" | jq_py 'd["media"]["compression"]')"
assert_eq "media.iso: the WIM inside" sources/install.wim "$(run_unpriv "$IMGBUILD" inspect --json "$M/media.iso" | jq_py 'd["media"]["wim"]')"

log "a corrupt WIM"
cp "$M/xpress.wim" "$M/bad.wim"
printf 'XXXXXXXX' | dd of="$M/bad.wim" bs=1 seek=48 conv=notrunc status=none
chmod a+r "$M/bad.wim"
run_unpriv "$IMGBUILD" inspect "$M/bad.wim" >/dev/null 2>"$T/err.txt"
assert_eq "corrupt WIM: exit" 2 "$?"
assert_contains "corrupt WIM: wimlib's words" "not a WIM wimlib can read" "$T/err.txt"
log "an ISO without install media"
mkdir -p "$M/plain" && echo x >"$M/plain/readme.txt"
(cd "$M/plain" && bsdtar --format iso9660 -cf "$M/plain.iso" readme.txt)
chmod a+r "$M/plain.iso"
run_unpriv "$IMGBUILD" inspect "$M/plain.iso" >/dev/null 2>"$T/err.txt"
assert_eq "ISO without install.wim: exit" 2 "$?"
assert_contains "ISO without install.wim: said" "no sources/install.wim" "$T/err.txt"
finish
