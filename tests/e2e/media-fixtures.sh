#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The synthetic install media of lib-media.sh (make_install_media), for amd64
# and arm64, are what the install tests take them for: every WIM holds the
# images wimlib describes as the right architecture, edition and build; the
# NTFS features of the volume (security descriptor, junction, symbolic link,
# named stream, hard link, short name) are in the WIM and come back when it
# is applied to a fresh NTFS volume; the boot files are PEs of the right
# machine; BCD-Template is a BCD store hivexregedit reads; the split WIM, the
# ESD and the ISO hold the same; `imgbuild inspect` reads them all; nothing is
# left mounted, also when a step fails; and two runs make the same files.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib-media.sh
. "$E2E/lib-media.sh"
need_imgbuild
need wimlib-imagex bsdtar hivexsh hivexget mkntfs ntfscat
need_windows_fixtures
need_install_media
setup_tmp

# ---- helpers -------------------------------------------------------------------

# No mount under $T (ntfs-3g mounts of make_install_media) is left.
assert_no_mounts() { # WHAT
	local left
	left=$(awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts)
	[ -z "$left" ] || fail "$1: still mounted: $left"
	assert_eq "$1: MOUNTS entries left" 0 "${#MOUNTS[@]}"
}

# The COFF machine of each PE stand-in (and that the others are not PEs).
check_pe() { # TREE ARCH
	"$PY" - "$1" "$2" <<'PYEOF' || fail "$2: the boot and system files are not PEs of the right machine"
import os, struct, sys
tree, arch = sys.argv[1], sys.argv[2]
m = {"amd64": 0x8664, "arm64": 0xAA64}[arch]
want = {p: m for p in ("Windows/System32/kernel32.dll", "Windows/System32/ntoskrnl.exe",
                       "Windows/System32/winload.efi", "Windows/System32/winload.exe",
                       "Windows/System32/cmd.exe", "Windows/System32/hardlinked.dll",
                       "Windows/Boot/EFI/bootmgfw.efi", "Windows/Boot/EFI/bootmgr.efi",
                       "Windows/Boot/EFI/memtest.efi", "Windows/Boot/Resources/bootres.dll")}
want["Windows/Boot/PCAT/memtest.exe"] = 0x14C
for p in ("Windows/Boot/EFI/en-US/bootmgfw.efi.mui", "Windows/Boot/EFI/en-US/bootmgr.efi.mui",
          "Windows/Boot/Fonts/segmono_boot.ttf", "Windows/Boot/Fonts/wgl4_boot.ttf", "Windows/Boot/PCAT/bootmgr"):
    want[p] = None
bad = 0
for p, machine in sorted(want.items()):
    try:
        b = open(os.path.join(tree, p), "rb").read()
    except OSError as e:
        print(f"  {p}: {e}"); bad += 1; continue
    got = None
    if b[:2] == b"MZ" and len(b) >= 0x40:
        off = struct.unpack_from("<I", b, 0x3C)[0]
        if b[off:off + 4] == b"PE\0\0":
            got = struct.unpack_from("<H", b, off + 4)[0]
    if got != machine or len(b) < 1024:
        print(f"  {p}: machine {got and hex(got)}, expected {machine and hex(machine)} ({len(b)} bytes)"); bad += 1
sys.exit(1 if bad else 0)
PYEOF
}

# The features listed in ntfs-features.txt, as `wimlib-imagex dir --detailed`
# shows them for one image of a WIM.
check_wim_features() { # WHAT FEATURES DETAILED_DUMP
	"$PY" - "$2" "$3" <<'PYEOF' || fail "$1: NTFS features missing from the WIM"
import re, sys
feats = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
ents, cur = {}, None
for line in open(sys.argv[2], encoding="utf-8", errors="replace"):
    line = line.rstrip("\n")
    m = re.match(r'Full Path\s+= "(.*)"$', line)
    if m:
        cur = ents.setdefault(m.group(1), {"streams": []})
        continue
    if cur is None:
        continue
    m = re.match(r"(Short Name|Security Descriptor|Reparse Tag|Link Group ID|Link Count)\s+= (.*)$", line)
    if m:
        cur[m.group(1)] = m.group(2).strip('"')
    m = re.match(r'\s*Named data stream "(.*)":', line)
    if m:
        cur["streams"].append(m.group(1))
bad = []
def ent(p):
    e = ents.get("/" + p)
    if e is None:
        bad.append(f"{p}: not in the image")
    return e or {"streams": []}
kinds = sorted(f[0] for f in feats)
if kinds != sorted(["security", "junction", "symlink", "stream", "hardlink", "shortname"]):
    bad.append(f"ntfs-features.txt lists {kinds}")
for kind, path, detail in feats:
    e = ent(path)
    if kind == "security" and e.get("Security Descriptor") != detail:
        bad.append(f"{path}: security descriptor {e.get('Security Descriptor')}, expected {detail}")
    if kind in ("junction", "symlink"):
        want = {"junction": "0xa0000003", "symlink": "0xa000000c"}[kind]
        if e.get("Reparse Tag") != want:
            bad.append(f"{path}: reparse tag {e.get('Reparse Tag')}, expected {want}")
    if kind == "stream" and detail not in e["streams"]:
        bad.append(f"{path}: named streams {e['streams']}, expected {detail}")
    if kind == "hardlink":
        o = ent(detail)
        if not (e.get("Link Count") == o.get("Link Count") == "2" and
                e.get("Link Group ID") == o.get("Link Group ID") and int(e.get("Link Group ID", "0"), 16)):
            bad.append(f"{path} and {detail}: not one hard-linked file ({e.get('Link Group ID')}/{e.get('Link Count')}, "
                       f"{o.get('Link Group ID')}/{o.get('Link Count')})")
    if kind == "shortname" and e.get("Short Name") != detail:
        bad.append(f"{path}: short name {e.get('Short Name')!r}, expected {detail!r}")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
}

# An NTFS volume (the media's, or one a WIM was applied to) read back through
# ntfs-3g: the tree (less the two reparse points) and every listed feature.
check_volume() { # WHAT IMG TREE FEATURES
	local what=$1 mnt=$T/mnt/vol out
	mount_ntfs_ro "$2" "$mnt" || return 1
	out=$(LC_ALL=C.UTF-8 diff -r --no-dereference -x "Documents and Settings" -x "All Users" "$3" "$mnt" 2>&1) ||
		{ fail "$what: the volume's tree differs from the media's tree (< tree, > volume)"; echo "$out" | head -n 20 | sed 's/^/  /'; }
	check_ntfs_features "$what" "$mnt" "$4"
	unmount "$mnt"
	local keep=() i
	for i in "${MOUNTS[@]}"; do [ "$i" = "$mnt" ] || keep+=("$i"); done
	MOUNTS=("${keep[@]}")
}

# BCD-Template as hivexregedit exports it, against the layout of a BCD store.
check_bcd() { # WHAT HIVE
	if ! command -v hivexregedit >/dev/null 2>&1; then
		echo "SKIP-PART: hivexregedit (libwin-hivex-perl) is not installed: BCD-Template not exported"
		return 0
	fi
	# shellcheck disable=SC1003 # the root key is a lone backslash
	hivexregedit --export "$2" '\' >"$T/bcd.reg" 2>"$T/bcd.err" ||
		{ fail "$1: hivexregedit --export BCD-Template: $(head -c 300 "$T/bcd.err")"; return 1; }
	"$PY" - "$T/bcd.reg" <<'PYEOF' || fail "$1: BCD-Template is not the expected BCD store"
import re, sys
keys, cur = {}, None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.rstrip("\r\n")
    m = re.match(r"^\[(.*)\]$", line)
    if m:
        cur = keys.setdefault(m.group(1), {})
        continue
    m = re.match(r'^"(.*)"=(.*)$', line)
    if m and cur is not None:
        cur[m.group(1)] = m.group(2)
def h(t, b):
    return f"hex({t}):" + ",".join(f"{x:02x}" for x in b)
def sz(s):
    return h(1, (s + "\0").encode("utf-16le"))
def msz(*g):
    return h(7, "".join(x + "\0" for x in g).encode("utf-16le") + b"\0\0")
G, D, E = "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}", "{4636856e-540f-4170-a130-a84776f4c654}", "{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}"
L, HV = "{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}", "{7ff607e0-4395-11db-b0de-0800200c9a66}"
R, B = "{1afa9c49-16ab-4a5c-901b-212802da9460}", "{5189b25c-5558-4bf2-bca4-289b11bd29e2}"
want = {
    "\\Description": {"KeyName": sz("BCD00000000"), "System": "dword:00000001", "TreatAsSystem": "dword:00000001"},
    "\\Objects": {},
}
objs = {G: (0x20100000, {"16000020": h(3, b"\1"), "12000005": sz("en-US"), "14000006": msz(D, E)}),
        D: (0x20100000, {"15000011": h(3, (4).to_bytes(8, "little"))}),
        E: (0x20100000, {"16000020": h(3, b"\1")}),
        L: (0x20200003, {"14000006": msz(G, HV)}),
        HV: (0x20200003, {"250000f3": h(3, bytes(8))}),
        R: (0x20200004, {"14000006": msz(G)}),
        B: (0x20100000, {})}
for guid, (typ, els) in objs.items():
    o = f"\\Objects\\{guid}"
    want[o] = {}
    want[o + "\\Description"] = {"Type": f"dword:{typ:08x}"}
    want[o + "\\Elements"] = {}
    for el, v in els.items():
        want[f"{o}\\Elements\\{el}"] = {"Element": v}
want["\\"] = {}
bad = [f"{k}: {keys.get(k)}, expected {v}" for k, v in want.items() if keys.get(k) != v]
bad += [f"{k}: not expected" for k in keys if k not in want]
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
}

# ---- the media, for each architecture ----------------------------------------------

t0=$(date +%s%N)
for ARCH in amd64 arm64; do
	M=$T/$ARCH
	t1=$(date +%s%N)
	make_install_media "$M" "$ARCH"
	log "$ARCH: made in $((($(date +%s%N) - t1) / 1000000)) ms"
	assert_no_mounts "$ARCH"
	for f in tree ntfs.img ntfs-features.txt lzx.wim xpress.wim none.wim install.esd split.swm split2.swm media.iso \
		tree/Windows/System32/config/BCD-Template; do
		[ -e "$M/$f" ] || fail "$ARCH: $f is missing"
	done
	left=$(find "$M" \( -type d ! -perm -0005 \) -o \( ! -type d ! -perm -0004 \) | head -n 5)
	[ -z "$left" ] || fail "$ARCH: not world-readable: $left"
	[ ! -e "$M/.work" ] || fail "$ARCH: the work dir $M/.work is left"
	check_pe "$M/tree" "$ARCH"

	want_arch=x86_64
	[ "$ARCH" = arm64 ] && want_arch=ARM64
	for w in lzx.wim:LZX:2 xpress.wim:XPRESS:1 none.wim:None:1 install.esd:LZMS:1; do
		IFS=: read -r f comp count <<<"$w"
		wimlib-imagex info "$M/$f" >"$T/info" 2>&1 || { fail "$ARCH: wimlib-imagex info $f"; sed 's/^/  | /' "$T/info"; continue; }
		assert_matches "$ARCH $f: compression" "^Compression: +$comp\$" "$T/info"
		assert_matches "$ARCH $f: image count" "^Image Count: +$count\$" "$T/info"
		for ((i = 1; i <= count; i++)); do
			ed=Professional name="Windows 10 Pro"
			[ "$i" = 2 ] && ed=ProfessionalN name="Windows 10 Pro N"
			wimlib-imagex info "$M/$f" "$i" >"$T/info" 2>&1 || { fail "$ARCH: wimlib-imagex info $f $i"; continue; }
			for re in "^Name: +$name\$" "^Architecture: +$want_arch\$" "^Edition ID: +$ed\$" "^Product Name: +$name\$" \
				"^Build: +19045\$" "^Major Version: +10\$" "^Default Language: +en-US\$"; do
				assert_matches "$ARCH $f image $i" "$re" "$T/info"
			done
			wimlib-imagex dir "$M/$f" "$i" --detailed >"$T/dir.txt" 2>"$T/dir.err" ||
				{ fail "$ARCH: wimlib-imagex dir $f $i: $(head -c 300 "$T/dir.err")"; continue; }
			check_wim_features "$ARCH $f image $i" "$M/ntfs-features.txt" "$T/dir.txt"
		done
	done
	log "$ARCH: image 2's SOFTWARE is the N edition, the volume's and the tree's are not"
	wimlib-imagex extract "$M/lzx.wim" 2 /Windows/System32/config/SOFTWARE --to-stdout >"$T/SOFTWARE-2" 2>/dev/null ||
		fail "$ARCH: cannot extract image 2's SOFTWARE"
	assert_eq "$ARCH: image 2's EditionID" ProfessionalN "$(hivexget "$T/SOFTWARE-2" '\Microsoft\Windows NT\CurrentVersion' EditionID)"
	assert_eq "$ARCH: the tree's EditionID" Professional \
		"$(hivexget "$M/tree/Windows/System32/config/SOFTWARE" '\Microsoft\Windows NT\CurrentVersion' EditionID)"
	ntfscat "$M/ntfs.img" Windows/System32/config/SOFTWARE 2>/dev/null | cmp -s - "$M/tree/Windows/System32/config/SOFTWARE" ||
		fail "$ARCH: the volume's SOFTWARE is not the tree's (not put back after image 2?)"

	log "$ARCH: the split WIM"
	wimlib-imagex info "$M/split.swm" >"$T/info" 2>&1 || fail "$ARCH: wimlib-imagex info split.swm"
	assert_matches "$ARCH split.swm: parts" "^Part Number: +1/([2-9]|[1-9][0-9]+)\$" "$T/info"
	# The same files and metadata; only where the data sits differs.
	for i in 1 2; do
		wimlib-imagex dir "$M/split.swm" "$i" --ref="$M/split*.swm" --detailed 2>&1 |
			grep -vE '^(Offset in WIM|Part Number) ' >"$T/split.txt" || fail "$ARCH: wimlib-imagex dir split.swm $i --ref"
		wimlib-imagex dir "$M/lzx.wim" "$i" --detailed 2>&1 | grep -vE '^(Offset in WIM|Part Number) ' >"$T/dir.txt"
		cmp -s "$T/split.txt" "$T/dir.txt" || fail "$ARCH: split.swm's image $i is not lzx.wim's"
	done

	log "$ARCH: the ISO"
	efi=bootx64.efi
	[ "$ARCH" = arm64 ] && efi=bootaa64.efi
	rm -rf "$T/iso" && mkdir -p "$T/iso"
	bsdtar -xf "$M/media.iso" -C "$T/iso" 2>"$T/iso.err" || fail "$ARCH: bsdtar -x media.iso: $(cat "$T/iso.err")"
	cmp -s "$T/iso/sources/install.wim" "$M/lzx.wim" || fail "$ARCH: media.iso's sources/install.wim is not lzx.wim"
	cmp -s "$T/iso/efi/boot/$efi" "$M/tree/Windows/Boot/EFI/bootmgfw.efi" || fail "$ARCH: media.iso has no efi/boot/$efi"

	log "$ARCH: the volume, and lzx.wim image 1 applied to a fresh NTFS volume"
	check_volume "$ARCH ntfs.img" "$M/ntfs.img" "$M/tree" "$M/ntfs-features.txt"
	{ truncate -s 32M "$T/applied.img" && mkntfs -F -Q -q "$T/applied.img" >/dev/null 2>&1; } || fail "$ARCH: mkntfs"
	if wimlib-imagex apply "$M/lzx.wim" 1 "$T/applied.img" >/dev/null 2>"$T/apply.err"; then
		check_volume "$ARCH applied" "$T/applied.img" "$M/tree" "$M/ntfs-features.txt"
	else
		fail "$ARCH: wimlib-imagex apply lzx.wim 1 to NTFS: $(head -c 300 "$T/apply.err")"
	fi
	rm -f "$T/applied.img"

	check_bcd "$ARCH BCD-Template" "$M/tree/Windows/System32/config/BCD-Template"

	log "$ARCH: imgbuild inspect"
	chmod 0755 "$T"
	for f in lzx.wim xpress.wim none.wim install.esd media.iso; do
		run_unpriv "$IMGBUILD" inspect --json "$M/$f" >"$T/m.json" 2>"$T/m.err" ||
			{ fail "$ARCH: imgbuild inspect $f: $(head -c 300 "$T/m.err")"; continue; }
		assert_eq "$ARCH $f: the first image" "1 Windows 10 Pro Professional 10.0 19045 $ARCH" \
			"$(jget "$T/m.json" '" ".join(str(d["media"]["images"][0][k]) for k in ("index", "name", "edition", "version", "build", "arch"))')"
	done
done
log "both architectures in $((($(date +%s%N) - t0) / 1000000)) ms"

log "a second run makes the same tree and the same WIM contents"
make_install_media "$T/again" amd64 >/dev/null
assert_no_mounts "second run"
assert_eq "tree" "$(cd "$T/amd64/tree" && find . -type f -exec sha256sum {} + | LC_ALL=C sort)" \
	"$(cd "$T/again/tree" && find . -type f -exec sha256sum {} + | LC_ALL=C sort)"
cmp -s "$T/amd64/ntfs-features.txt" "$T/again/ntfs-features.txt" || fail "ntfs-features.txt differs between runs"
for i in 1 2; do
	cmp -s <(wimlib-imagex dir "$T/amd64/lzx.wim" "$i" --detailed) <(wimlib-imagex dir "$T/again/lzx.wim" "$i" --detailed) ||
		fail "lzx.wim image $i: files or metadata differ between runs"
done
rm -rf "$T/again"

log "a failure while the volume is mounted: die, nothing left mounted"
mkdir -p "$T/child"
# shellcheck disable=SC2016 # expanded by the script, not here
printf '#!/bin/sh\ncase "$2" in */.work/mnt) exit 3 ;; esac\nexec %s "$@"\n' "$PY" >"$T/failing-python"
chmod 0755 "$T/failing-python"
# shellcheck disable=SC2016
TMPDIR=$T/child bash -c '. "$1/lib.sh"; . "$1/lib-media.sh"; need_windows_fixtures; setup_tmp; PY=$2; make_install_media "$T/m"' \
	child "$E2E" "$T/failing-python" >"$T/child.out" 2>&1
assert_eq "a failing step: exit" 1 "$?"
assert_contains "a failing step: said" "FAIL: make_install_media: cannot give the volume its NTFS features" "$T/child.out"
assert_no_mounts "after a failing step"
left=$(find "$T/child" -mindepth 1 -maxdepth 1)
[ -z "$left" ] || fail "the failed run left $left"
( make_install_media "$T/bad" sparc ) >"$T/bad.out" 2>&1
assert_eq "ARCH sparc: exit" 1 "$?"
assert_contains "ARCH sparc: said" "ARCH is amd64 or arm64" "$T/bad.out"
finish
