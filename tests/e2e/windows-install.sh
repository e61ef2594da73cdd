#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# windows: { install: } (issue 13): Windows applied from install media and
# made bootable through UEFI, checked with readers imgbuild does not use:
#  - every media form builds (WIM: LZX, XPRESS, none; ESD: solid LZMS; a
#    split SWM; an ISO 9660 image), the index given by number, name or
#    edition;
#  - the applied volume, mounted read-only with ntfs-3g, holds the image's
#    tree byte for byte, and the NTFS features the WIM carries (a security
#    descriptor, a reparse point, a named stream, a hard link, a short
#    name) are there as the volume the WIM was captured from had them;
#  - the ESP passes fsck.fat, holds \EFI\Microsoft\Boot and
#    \EFI\Boot\bootx64.efi (= the image's bootmgfw.efi), and the BCD store
#    read with hivexget names the ESP and the Windows partition by the GUIDs
#    sgdisk reports; the table passes sgdisk -v;
#  - unattend.xml is at Windows\Panther; a boot-critical driver is bound;
#  - `imgbuild inspect` reports the image's edition and build;
#  - --json reports the apply's progress in bytes and files;
#  - a reproducible recipe built twice gives the same image; an arm64 image
#    gets \EFI\Boot\bootaa64.efi; SIGINT while applying is exit 130 with
#    nothing left;
#  - bad input is exit 2 before the first write, with nothing left: a wrong
#    index or edition (the valid ones listed), a corrupt WIM header, a
#    partition too small, boot files that do not fit the ESP, an ESP that
#    is not FAT32, an MBR disk, an unattend that is no XML, a driver (a
#    folder, a virtio-win tree) for another architecture, an image whose
#    boot manager is for another architecture than its XML says; damaged
#    file data is exit 2 during the apply, with nothing published.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib-media.sh
. "$(dirname "$0")/lib-media.sh"
need_imgbuild
need_root
need_loop
need_fuse
need wimlib-imagex bsdtar hivexsh hivexget sgdisk fsck.fat mcopy ntfs-3g
need_windows_fixtures
setup_tmp
M=$T/media
make_install_media "$M" amd64
chmod -R a+rX "$M"
W=$T/w

# recipe NAME IMAGE [INDEX] [extra lines under windows:] [table] [esp fs] [disk size]
recipe() {
	local name=$1 image=$2 index=${3:-} extra=${4:-} table=${5:-gpt} espfs=${6:-fat32} size=${7:-1GiB}
	{
		echo "imgbuild: 1"
		echo "name: $name"
		echo "disk:"
		echo "  size: $size"
		echo "  table: $table"
		echo "  partitions:"
		if [ "$table" = gpt ]; then
			echo "    - { name: esp, type: esp, size: 100MiB, fs: { type: $espfs } }"
			echo "    - { name: msr, type: msr, size: 16MiB }"
		else
			echo "    - { name: esp, size: 100MiB, fs: { type: fat32 } }"
		fi
		echo "    - name: windows"
		echo "      size: rest"
		echo "      fs: { type: ntfs, label: Windows }"
		echo "      windows:"
		if [ -n "$index" ]; then
			echo "        install: { image: $image, index: \"$index\" }"
		else
			echo "        install: { image: $image }"
		fi
		[ -n "$extra" ] && printf '%s\n' "$extra"
		echo "outputs:"
		echo "  - { format: raw }"
	} >"$W/$name.yml"
	chown "$NOBODY:$NOBODY" "$W/$name.yml"
}

cat >"$W/unattend.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<unattend xmlns="urn:schemas-microsoft-com:unattend">
  <settings pass="specialize">
    <component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64"
      publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS">
      <ComputerName>imgbuild-test</ComputerName>
    </component>
  </settings>
  <settings pass="oobeSystem"/>
</unattend>
XML
make_driver "$W/drivers/viostor" viostor viostor-built-2k12r2-amd64.inf
# A virtio-win tree with viostor for Windows 10 on amd64 only.
make_driver "$W/virtio-win/viostor/w10/amd64" viostor viostor-built-2k12r2-amd64.inf
chown -R "$NOBODY:$NOBODY" "$W"

# ---- every media form ---------------------------------------------------------
declare -A FORMS=([lzx]="$M/lzx.wim|Windows 10 Pro N" [xpress]="$M/xpress.wim|1" [none]="$M/none.wim|"
	[esd]="$M/install.esd|Professional" [swm]="$M/split.swm|Windows 10 Pro" [iso]="$M/media.iso|2")
for f in lzx xpress none esd swm iso; do
	IFS='|' read -r img idx <<<"${FORMS[$f]}"
	recipe "$f" "$img" "$idx"
	ib_build "$W/$f.yml" "$W/out-$f"
	expect_build_rc 0 || continue
	assert_dir_holds "$W/out-$f" "$f.raw"
	assert_no_leftovers "$W/out-$f"
done

# ---- one build, checked in depth ---------------------------------------------
recipe full "$M/media.iso" "Windows 10 Pro" "        unattend: unattend.xml
        drivers: [ { path: drivers/viostor, boot_critical: true } ]
        first_boot: [ 'echo installed > C:\\installed.txt' ]"
ib_build "$W/full.yml" "$W/out-full"
if expect_build_rc 0; then
	IMG=$W/out-full/full.raw
	sgdisk -v "$IMG" >"$T/sgdisk.txt" 2>&1 || fail "sgdisk -v: $(cat "$T/sgdisk.txt")"
	assert_contains "sgdisk -v" "No problems found" "$T/sgdisk.txt"
	disk_guid=$(sgdisk -p "$IMG" | awk '/Disk identifier \(GUID\)/ {print tolower($4)}')
	esp_guid=$(sgdisk -i 1 "$IMG" | awk '/Partition unique GUID/ {print tolower($4)}')
	win_guid=$(sgdisk -i 3 "$IMG" | awk '/Partition unique GUID/ {print tolower($4)}')
	esp_off=$(($(sgdisk -i 1 "$IMG" | awk '/First sector/ {print $3}') * 512))
	win_off=$(($(sgdisk -i 3 "$IMG" | awk '/First sector/ {print $3}') * 512))
	win_end=$((($(sgdisk -i 3 "$IMG" | awk '/Last sector/ {print $3}') + 1) * 512))

	log "the ESP"
	dd if="$IMG" of="$T/esp.img" bs=1M skip=$((esp_off >> 20)) count=100 status=none
	fsck.fat -n "$T/esp.img" >"$T/fsck.txt" 2>&1 || fail "fsck.fat -n: $(cat "$T/fsck.txt")"
	mkdir -p "$T/espx"
	MTOOLS_SKIP_CHECK=1 mcopy -s -n -i "$T/esp.img" ::/EFI "$T/espx/" || fail "mcopy of the ESP failed"
	cmp -s "$T/espx/EFI/Boot/bootx64.efi" "$M/tree/Windows/Boot/EFI/bootmgfw.efi" ||
		fail "\\EFI\\Boot\\bootx64.efi is not the image's bootmgfw.efi"
	mkdir -p "$T/want-boot"
	cp -a "$M/tree/Windows/Boot/EFI/." "$T/want-boot/"
	cp -a "$M/tree/Windows/Boot/Fonts" "$M/tree/Windows/Boot/Resources" "$T/want-boot/"
	cp "$T/espx/EFI/Microsoft/Boot/BCD" "$T/BCD" && rm "$T/espx/EFI/Microsoft/Boot/BCD"
	compare_trees "\\EFI\\Microsoft\\Boot" "$T/want-boot" "$T/espx/EFI/Microsoft/Boot"

	log "the BCD store"
	bcd() { hivexget "$T/BCD" "$1" "$2" 2>/dev/null; }
	loader=$(bcd '\Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\Elements\23000003' Element)
	assert_eq "{bootmgr} default is an object" 1 "$([[ $loader =~ ^\{[0-9a-f-]{36}\}$ ]] && echo 1 || echo 0)"
	assert_eq "loader type" 10200003 "$(hivexget "$T/BCD" "\\Objects\\$loader\\Description" | sed -n 's/^"Type"=dword://p')"
	assert_eq "loader path" '\Windows\system32\winload.efi' "$(bcd "\\Objects\\$loader\\Elements\\12000002" Element)"
	assert_eq "bootmgr path" '\EFI\Microsoft\Boot\bootmgfw.efi' \
		"$(bcd '\Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\Elements\12000002' Element)"
	# A device element: type 6 at 0x10, the partition GUID at 0x20, the disk GUID at 0x38 (on-disk order).
	dev_guids() { # KEY -> "partguid diskguid"
		hivexget "$T/BCD" "$1" | sed -n 's/^"Element"=hex(3)://p' | "$PY" -c '
import sys, uuid
b = bytes(int(x, 16) for x in sys.stdin.read().strip().split(","))
assert len(b) == 88 and b[16] == 6, b[:32].hex()
print(uuid.UUID(bytes_le=b[32:48]), uuid.UUID(bytes_le=b[56:72]))'
	}
	assert_eq "{bootmgr} device: the ESP on this disk" "$esp_guid $disk_guid" \
		"$(dev_guids '\Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\Elements\11000001')"
	assert_eq "loader osdevice: the Windows partition on this disk" "$win_guid $disk_guid" \
		"$(dev_guids "\\Objects\\$loader\\Elements\\21000001")"

	log "the Windows partition"
	attach "$IMG" "$win_off" $((win_end - win_off))
	mount_ntfs_ro "$LOOPDEV" "$T/mnt"
	mkdir -p "$T/want-win"
	cp -a "$M/tree/." "$T/want-win/"
	mkdir -p "$T/want-win/Windows/Panther"
	cp "$W/unattend.xml" "$T/want-win/Windows/Panther/unattend.xml"
	# What the injector adds and changes is checked by its own tests; here:
	# every file of the image is there with its bytes.
	(cd "$M/tree" && find . -type f ! -path './Windows/System32/config/*' -print0 | sort -z) |
		while IFS= read -r -d '' f; do
			cmp -s "$M/tree/$f" "$T/mnt/$f" || echo "$f"
		done >"$T/differ.txt"
	[ -s "$T/differ.txt" ] && fail "files differ from the image: $(head -5 "$T/differ.txt")"
	cmp -s "$W/unattend.xml" "$T/mnt/Windows/Panther/unattend.xml" || fail "unattend.xml is not at Windows\\Panther"
	check_ntfs_features "the applied volume" "$T/mnt" "$M/ntfs-features.txt"
	# The image is generalized (Setup runs at its first boot): first_boot
	# goes through SetupComplete.cmd.
	grep -q "imgbuild" "$T/mnt/Windows/Setup/Scripts/SetupComplete.cmd" 2>/dev/null ||
		fail "no SetupComplete.cmd calling imgbuild's first-boot runner"
	cp "$T/mnt/Windows/System32/config/SYSTEM" "$T/SYSTEM"
	unmount "$T/mnt"
	assert_eq "viostor Start (boot-critical)" "dword:0" \
		"$(hivexget "$T/SYSTEM" '\ControlSet001\Services\viostor' Start 2>/dev/null | sed 's/^/dword:/;s/^dword:dword:/dword:/')"

	log "inspect"
	run_unpriv "$IMGBUILD" inspect --json "$IMG" >"$T/inspect.json" 2>"$T/inspect.err" || fail "inspect failed"
	assert_eq "inspect: edition and build" "Professional 19045" \
		"$(jget "$T/inspect.json" '" ".join(str(p["windows"][k]) for p in d["partitions"] if p.get("windows") for k in ("edition", "build"))')"

	log "progress events"
	"$PY" - "$T/build.json" <<'PY' || fail "no progress events with bytes and files for the apply"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
p = [e for e in ev if e.get("event") == "progress" and e.get("phase") == "data"]
assert p and p[-1]["total_bytes"] > 0 and p[-1]["bytes"] == p[-1]["total_bytes"], p[-1:]
assert any(e.get("phase") == "files" and e["total_files"] > 0 for e in ev if e.get("event") == "progress")
PY
fi

# ---- reproducible: the same recipe twice gives the same bytes ----------------
recipe repro "$M/lzx.wim" 2 "        unattend: unattend.xml"
sed -i 's/^name: repro$/name: repro\nreproducible: { epoch: 1700000000, seed: install }/' "$W/repro.yml"
for i in 1 2; do
	ib_build "$W/repro.yml" "$W/out-repro$i"
	expect_build_rc 0
done
assert_eq "reproducible install: the same image twice" "$(sha256sum <"$W/out-repro1/repro.raw")" \
	"$(sha256sum <"$W/out-repro2/repro.raw")"

# ---- an arm64 image: its own fallback boot file ------------------------------
make_install_media "$T/arm" arm64
chmod -R a+rX "$T/arm"
recipe arm "$T/arm/install.esd"
ib_build "$W/arm.yml" "$W/out-arm"
if expect_build_rc 0; then
	esp_off=$(($(sgdisk -i 1 "$W/out-arm/arm.raw" | awk '/First sector/ {print $3}') * 512))
	MTOOLS_SKIP_CHECK=1 mcopy -n -i "$W/out-arm/arm.raw@@$esp_off" ::/EFI/Boot/bootaa64.efi "$T/bootaa64.efi" ||
		fail "arm64: no \\EFI\\Boot\\bootaa64.efi"
	cmp -s "$T/bootaa64.efi" "$T/arm/tree/Windows/Boot/EFI/bootmgfw.efi" || fail "arm64: bootaa64.efi is not bootmgfw.efi"
fi

# ---- SIGINT while the image is applied ----------------------------------------
log "SIGINT while applying"
rm -rf "$T/big"
cp -a "$M/tree" "$T/big"
"$PY" -c 'import os,random,sys; r=random.Random(5); [open(os.path.join(sys.argv[1], "p%02d.bin" % i), "wb").write(r.randbytes(16 << 20)) for i in range(24)]' "$T/big/Windows"
wimlib-imagex capture "$T/big" "$W/big.wim" "Windows 10 Pro" --compress=none >/dev/null 2>&1 || die "capture big"
rm -rf "$T/big"
chown "$NOBODY:$NOBODY" "$W/big.wim"
recipe big "$W/big.wim" "" "" gpt fat32 2GiB
set -m
"${UNPRIV[@]}" "$IMGBUILD" build "$W/big.yml" -o "$W/out-big" --json >"$T/big.json" 2>"$T/big.err" &
pid=$!
set +m
BGPIDS+=("$pid")
for _ in $(seq 1 600); do
	grep -q '"phase":"data"' "$T/big.json" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.02
done
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
if grep -q '"phase":"data"' "$T/big.json"; then
	assert_eq "SIGINT while applying: exit" 130 "$rc"
	assert_contains "SIGINT while applying: said" "interrupted" "$T/big.err"
else
	fail "the apply never reported progress (exit $rc): $(head -c 300 "$T/big.err")"
fi
assert_dir_holds "$W/out-big"
assert_no_leftovers "$W/out-big"

# ---- refused before the first write ------------------------------------------
refused() { # WHAT RECIPE NEEDLE
	ib_build "$W/$2.yml" "$W/out-$2"
	expect_build_rc 2 || return
	assert_contains "$1: said" "$3" "$T/build.err"
	assert_dir_holds "$W/out-$2"
	assert_no_leftovers "$W/out-$2"
}
recipe badidx "$M/lzx.wim" 7
refused "index 7 of 2 images" badidx 'has no image 7; it has: 1 "Windows 10 Pro"'
recipe badname "$M/lzx.wim" "Windows 11 Home"
refused "an edition the media lacks" badname "ProfessionalN"
recipe twoimg "$M/lzx.wim"
refused "no index with two images" twoimg "has 2 images"
cp "$M/xpress.wim" "$W/corrupt.wim"
printf 'XXXXXXXXXXXXXXXX' | dd of="$W/corrupt.wim" bs=1 seek=48 conv=notrunc status=none
chown "$NOBODY:$NOBODY" "$W/corrupt.wim"
recipe corrupt "$W/corrupt.wim"
refused "a corrupt WIM" corrupt "not a WIM wimlib can read"
# Damaged file data (the header and metadata intact): found while applying,
# exit 2 with wimlib's words, nothing published.
cp "$M/none.wim" "$W/baddata.wim"
off=$("$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.index(b"[ZoneTransfer]"))' "$W/baddata.wim")
printf 'XXXXXXXX' | dd of="$W/baddata.wim" bs=1 seek="$off" conv=notrunc status=none
chown "$NOBODY:$NOBODY" "$W/baddata.wim"
recipe baddata "$W/baddata.wim"
ib_build "$W/baddata.yml" "$W/out-baddata"
if expect_build_rc 2; then
	assert_contains "damaged data: wimlib's words" "applying the image failed" "$T/build.err"
	assert_dir_holds "$W/out-baddata"
	assert_no_leftovers "$W/out-baddata"
fi
recipe small "$M/lzx.wim" 1 "" gpt fat32 150MiB
refused "a partition too small" small "needs"
rm -rf "$T/bigfont"
cp -a "$M/tree" "$T/bigfont"
head -c $((110 << 20)) /dev/zero >"$T/bigfont/Windows/Boot/Fonts/big_boot.ttf"
wimlib-imagex capture "$T/bigfont" "$W/bigfont.wim" "Windows 10 Pro" >/dev/null 2>&1 || die "capture bigfont"
rm -rf "$T/bigfont"
chown "$NOBODY:$NOBODY" "$W/bigfont.wim"
recipe espsmall "$W/bigfont.wim"
refused "boot files larger than the ESP" espsmall "the ESP p1 has"
recipe espfat16 "$M/lzx.wim" 1 "" gpt fat16
refused "an ESP that is FAT16" espfat16 "must be FAT32"
recipe mbr "$M/lzx.wim" 1 "" mbr
refused "an MBR disk" mbr "needs a GPT disk"
printf '<unattend xmlns="urn:schemas-microsoft-com:unattend">\n<settings pass="specialize">\n</unattend>\n' >"$W/bad.xml"
chown "$NOBODY:$NOBODY" "$W/bad.xml"
recipe badxml "$M/lzx.wim" 1 "        unattend: bad.xml"
refused "an unattend that is no XML" badxml "bad.xml:4: unattend: not well-formed XML"
recipe armdrv "$T/arm/lzx.wim" 1 "        drivers: [ drivers/viostor ]"
refused "an amd64 driver for an arm64 image" armdrv "does not fit the image to install (arm64"
recipe armtree "$T/arm/lzx.wim" 1 "        drivers: [ { path: virtio-win, select: [viostor] } ]"
refused "a virtio-win tree without the arm64 folder" armtree 'driver viostor has no w10\ARM64 folder'
recipe amdtree "$M/lzx.wim" 1 "        drivers: [ { path: virtio-win, select: [viostor] } ]"
ib_build "$W/amdtree.yml" "$W/out-amdtree"
expect_build_rc 0

log "a boot manager for another architecture than the image"
rm -rf "$T/mixed"
cp -a "$M/tree" "$T/mixed"
cp "$T/arm/tree/Windows/Boot/EFI/bootmgfw.efi" "$T/mixed/Windows/Boot/EFI/bootmgfw.efi"
wimlib-imagex capture "$T/mixed" "$W/mixed.wim" "Windows 10 Pro" >/dev/null 2>&1 || die "capture mixed"
chown "$NOBODY:$NOBODY" "$W/mixed.wim"
recipe mixed "$W/mixed.wim"
refused "a boot manager for arm64 in an amd64 image" mixed "bootmgfw.efi is arm64"
finish
