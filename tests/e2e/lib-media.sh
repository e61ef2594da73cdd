# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Synthetic Windows install media for the end-to-end tests (bash only).
#
# Sourced AFTER tests/e2e/lib.sh (it uses die, need, log, $PY, $T, $MINIMAL,
# make_windows, MOUNTS and lib.sh's cleanup). It is not a test: run on its
# own it only says so and exits 77.
#
#   need_install_media             SKIP unless root, FUSE, ntfs-3g, mkntfs,
#                                  wimlib-imagex, bsdtar and hivexsh are there
#   make_install_media DIR [ARCH]  ARCH amd64 (default) or arm64
#
# make_install_media lays out install media the way a real install.wim is
# made: a Windows tree on an NTFS volume, captured with wimlib's NTFS-3G mode
# (which keeps security descriptors, reparse points, named streams, short
# names and hard links). Call need_windows_fixtures (sets MINIMAL) and
# setup_tmp (the cleanup trap) first. It makes, all world-readable:
#
#   DIR/tree/          the plain directory tree: make_windows (SOFTWARE says
#                      Windows 10 Pro, Professional, build 19045), plus PE
#                      stand-ins whose COFF machine is ARCH's (0x8664 or
#                      0xAA64): Windows/System32/{kernel32.dll,ntoskrnl.exe,
#                      winload.efi,winload.exe,hardlinked.dll,cmd.exe},
#                      Windows/Boot/EFI/{bootmgfw,bootmgr,memtest}.efi,
#                      Windows/Boot/Resources/bootres.dll; random bytes for
#                      Windows/Boot/EFI/en-US/{bootmgfw,bootmgr}.efi.mui,
#                      Windows/Boot/Fonts/{segmono_boot,wgl4_boot}.ttf,
#                      Windows/Boot/PCAT/bootmgr; Windows/Boot/PCAT/memtest.exe
#                      (an i386 PE, as BIOS boot files are); the BCD store
#                      template Windows/System32/config/BCD-Template;
#                      Windows/System32/drivers/etc/hosts; the hard link
#                      Windows/WinSxS/ARCH_x/hardlinked.dll; the empty
#                      directories ProgramData, Users/Public, Program
#                      Files/Common Files and Program Files/desktop.ini.
#   DIR/ntfs.img       a 32 MiB NTFS volume (mkntfs -T: fixed times and
#                      serial) holding the same tree, every entry with its own
#                      fixed times, plus the NTFS-only features listed in
#   DIR/ntfs-features.txt  one line per feature, tab-separated
#                      "FEATURE<TAB>PATH<TAB>DETAIL" (paths relative to the
#                      volume root, '/'-separated):
#        security   Windows/System32/ntoskrnl.exe  SD as hex (O:SY G:SY,
#                   DACL: BUILTIN\Administrators full, Authenticated Users
#                   read/execute), byte for byte what `wimlib-imagex dir
#                   --detailed` prints as "Security Descriptor"
#        junction   Documents and Settings  \??\C:\Users (tag 0xa0000003)
#        symlink    Users/All Users  \??\C:\ProgramData (tag 0xa000000c)
#        stream     Windows/System32/drivers/etc/hosts  Zone.Identifier
#                   (holds "[ZoneTransfer]\r\nZoneId=3\r\n")
#        hardlink   Windows/System32/hardlinked.dll  Windows/WinSxS/ARCH_x/hardlinked.dll
#        shortname  Program Files  PROGRA~1
#   DIR/lzx.wim        LZX, image 1 "Windows 10 Pro" (EditionID Professional),
#                      image 2 "Windows 10 Pro N" (EditionID ProfessionalN,
#                      ProductName "Windows 10 Pro N"), both build 19045
#   DIR/xpress.wim, DIR/none.wim, DIR/install.esd (solid LZMS): image 1 only
#   DIR/split.swm, DIR/split2.swm, ...: lzx.wim split into >= 2 parts
#   DIR/media.iso      ISO 9660 with sources/install.wim (= lzx.wim) and
#                      efi/boot/bootx64.efi (arm64: bootaa64.efi), a copy of
#                      bootmgfw.efi
# Every step that fails dies with what failed; mounts are registered in
# lib.sh's MOUNTS while they exist, so its cleanup unmounts them on any exit.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "SKIP: $(basename "$0") is a library for the e2e tests (sourced after lib.sh), not a test"
	exit 77
fi

# Fixed times: each entry of the volume gets MEDIA_EPOCH plus one day per
# entry (in name order) plus a fraction of a second in 100 ns units.
MEDIA_EPOCH=1700000000

need_install_media() {
	need_root
	need_fuse
	need mkntfs wimlib-imagex bsdtar hivexsh "$PY"
}

# The tree's files that make_windows does not make (PE stand-ins, boot
# files, the hard link). _media_files TREE ARCH
_media_files() {
	"$PY" - "$1" "$2" <<'PYEOF' || die "make_install_media: cannot write the boot and system files"
import os, random, struct, sys
tree, arch = sys.argv[1], sys.argv[2]
MACHINE = {"amd64": 0x8664, "arm64": 0xAA64}[arch]

def pe(path, machine, subsystem, dll=False, size=4096):
    """A PE image with no sections: DOS header, COFF header, optional header
    (PE32+, or PE32 for i386), random bytes after the headers."""
    rnd = random.Random(f"{arch}:{path}")
    b = bytearray(0x200) + rnd.randbytes(size - 0x200)
    b[0:2] = b"MZ"
    b[0x3C:0x40] = struct.pack("<I", 0x80)
    plus = machine != 0x14C
    optsize = 0xF0 if plus else 0xE0
    chars = (0x0022 if plus else 0x0102) | (0x2000 if dll else 0)
    b[0x80:0x98] = struct.pack("<4sHHIIIHH", b"PE\0\0", machine, 0, 0, 0, 0, optsize, chars)
    opt = bytearray(optsize)
    opt[0:2] = struct.pack("<H", 0x20B if plus else 0x10B)
    struct.pack_into("<II", opt, 32, 0x1000, 0x200)  # section, file alignment
    struct.pack_into("<II", opt, 56, 0x1000, 0x200)  # size of image, of headers
    struct.pack_into("<H", opt, 68, subsystem)
    struct.pack_into("<I", opt, 108 if plus else 92, 16)  # data directories
    b[0x98:0x98 + optsize] = opt
    write(path, b)

def rnd_file(path, size):
    write(path, random.Random(path).randbytes(size))

def write(path, data):
    full = os.path.join(tree, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)

S = "Windows/System32/"
B = "Windows/Boot/"
pe(S + "kernel32.dll", MACHINE, 3, dll=True, size=8192)
pe(S + "ntoskrnl.exe", MACHINE, 1, size=8192)
pe(S + "winload.efi", MACHINE, 16)
pe(S + "winload.exe", MACHINE, 16)
pe(S + "hardlinked.dll", MACHINE, 3, dll=True)
if arch != "amd64":  # make_windows' cmd.exe is amd64
    pe(S + "cmd.exe", MACHINE, 3, size=1024)
pe(B + "EFI/bootmgfw.efi", MACHINE, 10, size=12288)
pe(B + "EFI/bootmgr.efi", MACHINE, 10, size=12288)
pe(B + "EFI/memtest.efi", MACHINE, 10)
rnd_file(B + "EFI/en-US/bootmgfw.efi.mui", 2048)
rnd_file(B + "EFI/en-US/bootmgr.efi.mui", 2048)
rnd_file(B + "Fonts/segmono_boot.ttf", 24576)
rnd_file(B + "Fonts/wgl4_boot.ttf", 32768)
pe(B + "Resources/bootres.dll", MACHINE, 2, dll=True, size=8192)
rnd_file(B + "PCAT/bootmgr", 16384)
pe(B + "PCAT/memtest.exe", 0x14C, 16)
write(S + "drivers/etc/hosts", b"# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# localhost name resolution is handled within DNS itself.\r\n")
write("Program Files/desktop.ini", b"\xff\xfe" + "\r\n[.ShellClassInfo]\r\nLocalizedResourceName=@%SystemRoot%\\system32\\shell32.dll,-21781\r\n".encode("utf-16le"))
for d in ("ProgramData", "Users/Public", "Program Files/Common Files"):
    os.makedirs(os.path.join(tree, d), exist_ok=True)
sxs = os.path.join(tree, f"Windows/WinSxS/{arch}_x")
os.makedirs(sxs, exist_ok=True)
os.link(os.path.join(tree, S + "hardlinked.dll"), os.path.join(sxs, "hardlinked.dll"))
PYEOF
}

# SOFTWARE's CurrentVersion for one edition of build 19045 (lib.sh).
_media_set_edition() { # SOFTWARE_HIVE EDITIONID PRODUCTNAME
	hives_set_win10_build "$1" 19045 "$2" "$3"
}

# What a real SYSTEM hive tells wimlib besides the version: the update
# revision, the product type and the languages (WINDOWS/VERSION/SPBUILD,
# PRODUCTTYPE, LANGUAGES).
_media_system_hive() { # SYSTEM_HIVE
	hivexsh -w "$1" >/dev/null <<'HIVE' || die "make_install_media: hivexsh cannot add languages to $1"
cd \ControlSet001\Control
add Windows
cd \ControlSet001\Control\Windows
setval 2
CSDBuildNumber
dword:0x00000cb5
CSDVersion
dword:0x00000000
cd \ControlSet001\Control
add ProductOptions
cd \ControlSet001\Control\ProductOptions
setval 1
ProductType
string:WinNT
cd \ControlSet001\Control
add MUI
cd \ControlSet001\Control\MUI
add UILanguages
cd \ControlSet001\Control\MUI\UILanguages
add en-US
cd \ControlSet001\Control\MUI\UILanguages\en-US
setval 1
LCID
dword:0x00000409
cd \ControlSet001\Control
add Nls
cd \ControlSet001\Control\Nls
add Language
cd \ControlSet001\Control\Nls\Language
setval 2
InstallLanguage
string:0409
Default
string:0409
commit
HIVE
}

# The BCD store template (Windows/System32/config/BCD-Template), from the
# fixture hive: Description (KeyName BCD00000000, System, TreatAsSystem) and
# Objects with the settings objects a real template has. Object keys are
# braced lowercase GUIDs, element keys 8 lowercase hex digits (as Windows
# writes them; registry names are case-insensitive), values per element
# format: 2 string REG_SZ, 4 object list REG_MULTI_SZ, 5 integer 8-byte
# REG_BINARY, 6 boolean 1-byte REG_BINARY.
_media_bcd_template() { # FILE
	{ cp "$MINIMAL" "$1" && chmod 0644 "$1"; } || die "make_install_media: cannot copy the fixture hive to $1"
	"$PY" - >"$1.hivexsh" <<'PYEOF' || die "make_install_media: cannot write the BCD-Template script"
GLOBAL = "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}"
DBG = "{4636856e-540f-4170-a130-a84776f4c654}"
EMS = "{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}"
LOADER = "{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}"
HV = "{7ff607e0-4395-11db-b0de-0800200c9a66}"
RESUME = "{1afa9c49-16ab-4a5c-901b-212802da9460}"
BADMEM = "{5189b25c-5558-4bf2-bca4-289b11bd29e2}"

def hexv(t, b):
    return f"hex:{t}:" + ",".join(f"{x:02x}" for x in b)
def sz(s):
    return hexv(1, (s + "\0").encode("utf-16le"))
def multi_sz(*items):
    return hexv(7, "".join(i + "\0" for i in items).encode("utf-16le") + b"\0\0")
def boolean(v):
    return hexv(3, bytes([v]))
def integer(v):
    return hexv(3, v.to_bytes(8, "little"))

OBJECTS = [  # guid, type, [(element, value)]
    (GLOBAL, 0x20100000, [(0x16000020, boolean(1)), (0x12000005, sz("en-US")), (0x14000006, multi_sz(DBG, EMS))]),
    (DBG, 0x20100000, [(0x15000011, integer(4))]),
    (EMS, 0x20100000, [(0x16000020, boolean(1))]),
    (LOADER, 0x20200003, [(0x14000006, multi_sz(GLOBAL, HV))]),
    (HV, 0x20200003, [(0x250000F3, integer(0))]),
    (RESUME, 0x20200004, [(0x14000006, multi_sz(GLOBAL))]),
    (BADMEM, 0x20100000, []),
]
out = ["add Description", "add Objects", "cd \\Description", "setval 3",
       "KeyName", "string:BCD00000000", "System", "dword:0x00000001", "TreatAsSystem", "dword:0x00000001"]
for guid, typ, elements in OBJECTS:
    o = f"\\Objects\\{guid}"
    out += ["cd \\Objects", f"add {guid}", f"cd {o}", "add Description", "add Elements",
            f"cd {o}\\Description", "setval 1", "Type", f"dword:0x{typ:08x}"]
    for el, val in elements:
        out += [f"cd {o}\\Elements", f"add {el:08x}", f"cd {o}\\Elements\\{el:08x}", "setval 1", "Element", val]
out.append("commit")
print("\n".join(out))
PYEOF
	hivexsh -w "$1" <"$1.hivexsh" >"$1.err" 2>&1 ||
		die "make_install_media: hivexsh cannot write the BCD-Template: $(head -c 500 "$1.err")"
	rm -f "$1.hivexsh" "$1.err"
}

# ---- the NTFS volume ---------------------------------------------------------

# ntfs-3g (read-write, named streams as user.* xattrs) of IMG on MNT, in the
# foreground in the background: _media_umount waits for it to exit, which
# is when everything is on the image (a FUSE unmount returns before that).
_MEDIA_NTFS_PID=""
_media_mount() { # IMG MNT ERRFILE
	local i
	mkdir -p "$2" || die "make_install_media: cannot make the mount point $2"
	ntfs-3g -o no_detach,streams_interface=xattr,noatime "$1" "$2" >"$3" 2>&1 &
	_MEDIA_NTFS_PID=$!
	MOUNTS+=("$2")
	for ((i = 0; i < 200; i++)); do
		mountpoint -q "$2" && return 0
		kill -0 "$_MEDIA_NTFS_PID" 2>/dev/null || break
		sleep 0.05
	done
	die "make_install_media: ntfs-3g cannot mount $1 on $2: $(head -c 500 "$3")"
}
_media_umount() { # MNT ERRFILE
	local i keep=() rc
	umount "$1" || die "make_install_media: cannot unmount $1"
	wait "$_MEDIA_NTFS_PID"
	rc=$?
	_MEDIA_NTFS_PID=""
	for i in "${MOUNTS[@]}"; do
		[ "$i" = "$1" ] || keep+=("$i")
	done
	MOUNTS=("${keep[@]}")
	[ "$rc" -eq 0 ] || die "make_install_media: ntfs-3g exited with $rc after unmounting $1: $(head -c 500 "$2")"
}

# What the volume has beyond the tree: a security descriptor, a junction, a
# symbolic link, a named stream and a short name, all through ntfs-3g's
# xattrs; and the list of them (with the hard link the copy kept).
_media_ntfs_features() { # MNT ARCH FEATURES_FILE
	"$PY" - "$@" <<'PYEOF' || die "make_install_media: cannot give the volume its NTFS features"
import os, struct, sys
mnt, arch, listing = sys.argv[1:4]
def p(rel):
    return os.path.join(mnt, rel)

def sid(s):
    parts = s.split("-")
    subs = [int(x) for x in parts[3:]]
    return bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, "big") + b"".join(struct.pack("<I", x) for x in subs)
def allow(mask, s):
    b = sid(s)
    return struct.pack("<BBHI", 0, 0, 8 + len(b), mask) + b
# Self-relative (0x8000) with a DACL (0x0004): owner and group LocalSystem,
# FILE_ALL_ACCESS for BUILTIN\Administrators, read and execute
# (FILE_GENERIC_READ|FILE_GENERIC_EXECUTE) for Authenticated Users.
aces = allow(0x001F01FF, "S-1-5-32-544") + allow(0x001200A9, "S-1-5-11")
dacl = struct.pack("<BBHHH", 2, 0, 8 + len(aces), 2, 0) + aces
owner = group = sid("S-1-5-18")
sd = struct.pack("<BBHIIII", 1, 0, 0x8004, 20, 20 + len(owner), 0, 20 + len(owner) + len(group)) + owner + group + dacl
SD_PATH = "Windows/System32/ntoskrnl.exe"
os.setxattr(p(SD_PATH), "system.ntfs_acl", sd)
if os.getxattr(p(SD_PATH), "system.ntfs_acl") != sd:
    sys.exit(f"{SD_PATH}: the security descriptor did not stick")

def reparse(tag, target, symlink):
    sub = ("\\??\\" + target).encode("utf-16le")
    prt = target.encode("utf-16le")
    if symlink:  # absolute: flags 0; names without NULs
        buf = struct.pack("<HHHHI", 0, len(sub), len(sub), len(prt), 0) + sub + prt
    else:  # mount point: each name NUL-terminated
        buf = struct.pack("<HHHH", 0, len(sub), len(sub) + 2, len(prt)) + sub + b"\0\0" + prt + b"\0\0"
    return struct.pack("<IHH", tag, len(buf), 0) + buf
links = [("junction", "Documents and Settings", 0xA0000003, "C:\\Users", False),
         ("symlink", "Users/All Users", 0xA000000C, "C:\\ProgramData", True)]
for _, rel, tag, target, symlink in links:
    os.mkdir(p(rel))
    os.setxattr(p(rel), "system.ntfs_reparse_data", reparse(tag, target, symlink))

STREAM = "Windows/System32/drivers/etc/hosts"
os.setxattr(p(STREAM), "user.Zone.Identifier", b"[ZoneTransfer]\r\nZoneId=3\r\n")

SHORT = "Program Files"
os.setxattr(p(SHORT), "system.ntfs_dos_name", b"PROGRA~1")
if os.getxattr(p(SHORT), "system.ntfs_dos_name") != b"PROGRA~1":
    sys.exit(f"{SHORT}: the short name did not stick")

HL = ("Windows/System32/hardlinked.dll", f"Windows/WinSxS/{arch}_x/hardlinked.dll")
a, b = os.stat(p(HL[0])), os.stat(p(HL[1]))
if (a.st_ino, a.st_nlink) != (b.st_ino, 2):
    sys.exit(f"{HL[0]} and {HL[1]} are not one file with two links on the volume")

with open(listing, "w") as f:
    f.write(f"security\t{SD_PATH}\t{sd.hex()}\n")
    for kind, rel, _, target, _ in links:
        f.write(f"{kind}\t{rel}\t\\??\\{target}\n")
    f.write(f"stream\t{STREAM}\tZone.Identifier\n")
    f.write(f"hardlink\t{HL[0]}\t{HL[1]}\n")
    f.write(f"shortname\t{SHORT}\tPROGRA~1\n")
PYEOF
}

# Every entry's four NTFS times (creation, write, access, MFT change) fixed:
# MEDIA_EPOCH plus one day per entry in name order plus a sub-second part,
# children before their directory (their writes touch it).
_media_ntfs_times() { # MNT [RELPATH...]: all entries, or only these
	"$PY" - "$MEDIA_EPOCH" "$@" <<'PYEOF' || die "make_install_media: cannot set the NTFS times"
import os, struct, sys
epoch, mnt, only = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
entries = [""]
for root, dirs, files in os.walk(mnt):
    for n in dirs + files:
        entries.append(os.path.relpath(os.path.join(root, n), mnt))
entries.sort()
stamps = {rel: (epoch + 11644473600 + i * 86400) * 10**7 + 1234567 for i, rel in enumerate(entries)}
for rel in sorted(only or entries, key=lambda e: (-e.count("/"), e == "", e)):
    t = stamps[rel]
    os.setxattr(os.path.join(mnt, rel), "system.ntfs_times", struct.pack("<4Q", t, t, t, t), follow_symlinks=False)
PYEOF
}

# ---- the media -----------------------------------------------------------------

make_install_media() { # DIR [ARCH]
	local dir=$1 arch=${2:-amd64} work mnt err cfg f i
	case $arch in amd64 | arm64) ;; *) die "make_install_media: ARCH is amd64 or arm64, not '$arch'" ;; esac
	[ -n "${T:-}" ] || die "make_install_media: call setup_tmp first (its cleanup unmounts what this mounts)"
	[ -r "${MINIMAL:-}" ] || die "make_install_media: no fixture hive (call need_windows_fixtures first)"
	need_install_media
	mkdir -p "$dir" || die "make_install_media: cannot make $dir"
	dir=$(cd "$dir" && pwd)
	work=$dir/.work mnt=$dir/.work/mnt err=$dir/.work/err
	{ rm -rf "$work" "$dir/tree" && mkdir -p "$work"; } || die "make_install_media: cannot make $work"

	log "install media ($arch) in $dir"
	make_windows "$dir/tree"
	cfg=$dir/tree/Windows/System32/config
	_media_set_edition "$cfg/SOFTWARE" Professional "Windows 10 Pro"
	_media_system_hive "$cfg/SYSTEM"
	_media_bcd_template "$cfg/BCD-Template"
	_media_files "$dir/tree" "$arch"
	# Image 2's SOFTWARE hive: the same Windows as the N edition.
	cp "$cfg/SOFTWARE" "$work/SOFTWARE-N" || die "make_install_media: cannot copy SOFTWARE"
	_media_set_edition "$work/SOFTWARE-N" ProfessionalN "Windows 10 Pro N"

	# The volume: mkntfs -T (times 0, so its random numbers too are fixed).
	rm -f "$dir/ntfs.img"
	{ truncate -s 32M "$dir/ntfs.img" && mkntfs -F -Q -q -T -L Windows "$dir/ntfs.img" >"$err" 2>&1; } ||
		die "make_install_media: mkntfs failed: $(head -c 500 "$err")"
	_media_mount "$dir/ntfs.img" "$mnt" "$work/ntfs-3g.log"
	cp -R --preserve=links "$dir/tree/." "$mnt/" 2>"$err" ||
		die "make_install_media: cannot copy the tree onto the volume: $(head -c 500 "$err")"
	_media_ntfs_features "$mnt" "$arch" "$dir/ntfs-features.txt"
	_media_ntfs_times "$mnt"
	_media_umount "$mnt" "$work/ntfs-3g.log"

	# The WIMs, read from the volume by wimlib's NTFS-3G mode.
	# (wimlib sets FLAGS, DISPLAYNAME and the WINDOWS element from the hives.)
	for f in lzx:LZX xpress:XPRESS none:none; do
		wimlib-imagex capture "$dir/ntfs.img" "$dir/${f%%:*}.wim" "Windows 10 Pro" "Windows 10 Pro" \
			--compress="${f#*:}" >/dev/null 2>"$err" ||
			die "make_install_media: wimlib-imagex capture ${f%%:*}.wim: $(head -c 500 "$err")"
	done
	wimlib-imagex capture "$dir/ntfs.img" "$dir/install.esd" "Windows 10 Pro" "Windows 10 Pro" \
		--solid >/dev/null 2>"$err" ||
		die "make_install_media: wimlib-imagex capture install.esd: $(head -c 500 "$err")"
	# Image 2: the same volume with the N edition's SOFTWARE hive (its times
	# kept), appended; then the hive is put back.
	_media_mount "$dir/ntfs.img" "$mnt" "$work/ntfs-3g.log"
	cp "$work/SOFTWARE-N" "$mnt/Windows/System32/config/SOFTWARE" ||
		die "make_install_media: cannot put the N edition's SOFTWARE on the volume"
	_media_ntfs_times "$mnt" Windows/System32/config/SOFTWARE
	_media_umount "$mnt" "$work/ntfs-3g.log"
	wimlib-imagex append "$dir/ntfs.img" "$dir/lzx.wim" "Windows 10 Pro N" "Windows 10 Pro N" >/dev/null 2>"$err" ||
		die "make_install_media: wimlib-imagex append to lzx.wim: $(head -c 500 "$err")"
	_media_mount "$dir/ntfs.img" "$mnt" "$work/ntfs-3g.log"
	cp "$cfg/SOFTWARE" "$mnt/Windows/System32/config/SOFTWARE" ||
		die "make_install_media: cannot put SOFTWARE back on the volume"
	_media_ntfs_times "$mnt" Windows/System32/config/SOFTWARE
	_media_umount "$mnt" "$work/ntfs-3g.log"

	# What wimlib read from the hives and kernel32.dll.
	local want_arch=x86_64
	[ "$arch" = arm64 ] && want_arch=ARM64
	for i in 1:Professional 2:ProfessionalN; do
		wimlib-imagex info "$dir/lzx.wim" "${i%%:*}" >"$work/info" 2>"$err" ||
			die "make_install_media: wimlib-imagex info lzx.wim ${i%%:*}: $(head -c 500 "$err")"
		{ grep -qE "^Architecture: +$want_arch\$" "$work/info" &&
			grep -qE "^Edition ID: +${i#*:}\$" "$work/info" &&
			grep -qE "^Build: +19045\$" "$work/info"; } ||
			die "make_install_media: lzx.wim image ${i%%:*} is not $want_arch, ${i#*:}, build 19045: $(cat "$work/info")"
	done

	# A split WIM of at least two parts (parts of at most 64 KiB).
	rm -f "$dir"/split*.swm
	wimlib-imagex split "$dir/lzx.wim" "$dir/split.swm" 0.0625 >/dev/null 2>"$err" ||
		die "make_install_media: wimlib-imagex split: $(head -c 500 "$err")"
	[ -f "$dir/split2.swm" ] || die "make_install_media: lzx.wim was split into one part only"

	# The ISO: what Windows' media hold that matters here.
	local efi=bootx64.efi
	[ "$arch" = arm64 ] && efi=bootaa64.efi
	{ mkdir -p "$work/iso/sources" "$work/iso/efi/boot" &&
		cp "$dir/lzx.wim" "$work/iso/sources/install.wim" &&
		cp "$dir/tree/Windows/Boot/EFI/bootmgfw.efi" "$work/iso/efi/boot/$efi"; } ||
		die "make_install_media: cannot stage the ISO's files"
	find "$work/iso" -exec touch -h -d "@$MEDIA_EPOCH" {} + || die "make_install_media: touch"
	rm -f "$dir/media.iso"
	(cd "$work/iso" && bsdtar --format iso9660 --options iso9660:volume-id=IMGBUILD_MEDIA \
		-cf "$dir/media.iso" sources efi) 2>"$err" ||
		die "make_install_media: bsdtar cannot make media.iso: $(head -c 500 "$err")"

	rm -rf "$work"
	chmod -R a+rX "$dir" || die "make_install_media: chmod -R a+rX $dir"
}

# The features ntfs-features.txt lists, on a volume mounted with ntfs-3g
# (named streams as user.* xattrs, its default): the security descriptor
# byte for byte, the reparse points' tags and targets, the stream's data,
# the hard link as one inode, the short name.
check_ntfs_features() { # WHAT MNT FEATURES
	local what=$1 mnt=$2
	"$PY" - "$mnt" "$3" <<'PYEOF' || fail "$what: NTFS features not on the volume"
import os, sys
mnt, feats = sys.argv[1], [l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8")]
bad = []
def p(rel):
    return os.path.join(mnt, rel)
for kind, path, detail in feats:
    try:
        if kind == "security":
            got = os.getxattr(p(path), "system.ntfs_acl").hex()
            if got != detail:
                bad.append(f"{path}: security descriptor {got}, expected {detail}")
        elif kind in ("junction", "symlink"):
            rp = os.getxattr(p(path), "system.ntfs_reparse_data", follow_symlinks=False)
            tag = {"junction": 0xA0000003, "symlink": 0xA000000C}[kind]
            if int.from_bytes(rp[:4], "little") != tag or detail.encode("utf-16le") not in rp:
                bad.append(f"{path}: reparse data {rp.hex()}, expected tag {tag:#x} to {detail}")
        elif kind == "stream":
            got = os.getxattr(p(path), "user." + detail)
            if got != b"[ZoneTransfer]\r\nZoneId=3\r\n":
                bad.append(f"{path}:{detail} holds {got!r}")
        elif kind == "hardlink":
            a, b = os.stat(p(path)), os.stat(p(detail))
            if a.st_ino != b.st_ino or a.st_nlink != 2:
                bad.append(f"{path} and {detail}: inodes {a.st_ino}, {b.st_ino}, links {a.st_nlink}")
        elif kind == "shortname":
            got = os.getxattr(p(path), "system.ntfs_dos_name")
            if got != detail.encode():
                bad.append(f"{path}: short name {got!r}, expected {detail!r}")
    except OSError as e:
        bad.append(f"{kind} {path}: {e}")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
}
