#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# imgbuild inspect: the manifest against independent sources.
#  1. FAT12/16/32 volumes filled by mtools (long and Unicode names, nested and
#     empty dirs, empty files, a fragmented file), bare and inside an MBR
#     disk: inspect's own FAT reader lists what `mcopy -s` extracts (names,
#     sizes, sha256, file mtimes) and the label and serial blkid reads.
#  2. An image built the manual way (sgdisk, mkntfs on a loop device of the
#     partition, files copied through a read-write ntfs-3g mount), also as
#     qcow2: the same files, hashes and 100 ns mtimes as the source tree; the
#     disk and partition GUIDs sgdisk reports; the boot sector's fields.
#  3. An imgbuild build (every output format): the plan's layout, the source
#     trees, and the JSON is stable (the same bytes for every format but the
#     image block; keys in order; paths sorted).
#  4. Bad input: exit 2, the byte offset in the message, no sanitizer report.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
need mkfs.fat mkntfs blkid
setup_tmp
export MTOOLSRC=/dev/null

# inspect_json IMAGE OUT: inspect --json as the unprivileged user; fails the
# check (and returns 1) unless it exits 0 with one JSON document.
inspect_json() {
	run_unpriv "$IMGBUILD" inspect --json "$1" >"$2" 2>"$T/inspect.err"
	local rc=$?
	if [ $rc -ne 0 ]; then
		fail "inspect $(basename "$1") exited with $rc"
		sed 's/^/  | /' "$T/inspect.err" | head -n 20
		return 1
	fi
	grep -q 'Sanitizer\|runtime error' "$T/inspect.err" && { fail "sanitizer report from inspect"; cat "$T/inspect.err"; }
	"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$2" || { fail "inspect --json is not JSON"; return 1; }
}

# manifest_vs_tree WHAT MANIFEST PARTNO TREE MTIMES: the partition's files
# are exactly the tree's entries (dirs and files), with the same sizes and
# sha256. MTIMES: ntfs (files and dirs equal to the 100 ns), fat (files equal
# to the even second below), none.
manifest_vs_tree() {
	"$PY" - "$@" <<'EOF' || fail "$1: manifest differs from the tree"
import hashlib, json, os, sys
what, mf, n, tree, mode = sys.argv[1:6]
d = json.load(open(mf))
parts = [p for p in d["partitions"] if p["number"] == int(n)]
if not parts:
    print(f"  {what}: no partition {n}"); sys.exit(1)
got = {f["path"]: f for f in parts[0]["files"]}
paths = [f["path"] for f in parts[0]["files"]]
bad = []
if paths != sorted(paths, key=lambda s: s.encode()):
    bad.append("files are not sorted bytewise by path")
want = {}
for root, dirs, files in os.walk(tree):
    for name in dirs + files:
        full = os.path.join(root, name)
        want["/" + os.path.relpath(full, tree)] = full
for p in sorted(set(want) | set(got)):
    if p not in got: bad.append(f"{p}: in the tree, not in the manifest"); continue
    if p not in want: bad.append(f"{p}: in the manifest, not in the tree"); continue
    f, full = got[p], want[p]
    st = os.lstat(full)
    isdir = os.path.isdir(full)
    if f["type"] != ("dir" if isdir else "file"): bad.append(f"{p}: type {f['type']}"); continue
    if not isdir:
        h = hashlib.sha256(open(full, "rb").read()).hexdigest()
        if f["size"] != st.st_size: bad.append(f"{p}: size {f['size']}, expected {st.st_size}")
        if f["sha256"] != h: bad.append(f"{p}: sha256 {f['sha256']}, expected {h}")
    elif f["sha256"] is not None or f["size"] != 0:
        bad.append(f"{p}: a directory with size {f['size']} and sha256 {f['sha256']}")
    # mtime: ISO string and integer agree
    iso = f["mtime"]
    frac = iso[20:-1] if "." in iso else ""
    ns = f["mtime_unix"] * 10**9 + (int(frac.ljust(9, "0")) if frac else 0)
    import calendar, time
    if calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) != f["mtime_unix"]:
        bad.append(f"{p}: mtime {iso} and mtime_unix {f['mtime_unix']} disagree")
    if mode == "ntfs":
        exp = st.st_mtime_ns // 100 * 100
        if ns != exp: bad.append(f"{p}: mtime {iso} ({ns} ns), expected {exp} ns")
    elif mode == "fat" and not isdir:
        exp = st.st_mtime_ns // 10**9 // 2 * 2
        if f["mtime_unix"] != exp or ns % 10**9: bad.append(f"{p}: mtime {iso}, expected {exp} s")
for b in bad[:30]: print(f"  {what}: {b}")
print(f"  {what}: {len(got)} manifest entries, {len(want)} in the tree, {len(bad)} problems")
sys.exit(1 if bad else 0)
EOF
}

jpart() { # MANIFEST N EXPR(over p)
	jget "$1" "[p for p in d['partitions'] if p['number']==$2][0]$3"
}

# ---- 1. FAT against mtools ---------------------------------------------------

make_fat_tree() { # DIR
	local s=$1
	mkdir -p "$s/Sub Dir/Deeper/Deepest" "$s/empty dir" "$s/lower" "$s/Ελληνικά"
	head -c 70000 /dev/urandom >"$s/Long File Name With Spaces.bin"
	printf 'hello\n' >"$s/lower/readme.txt"
	printf 'x' >"$s/Sub Dir/Deeper/Ünïcødé.dat"
	printf 'αβγ' >"$s/Ελληνικά/κείμενο.txt"
	: >"$s/empty"
	printf 'UP\n' >"$s/UPPER.TXT"
	printf 'mixed\n' >"$s/MiXeD.Txt"
	printf 'dots\n' >"$s/name.with.many.dots"
	for i in $(seq 1 40); do printf 'file %d\n' "$i" >"$s/Sub Dir/Deeper/Deepest/entry number $i.txt"; done
	# Times with odd seconds and fractions: FAT keeps the even second below.
	"$PY" - "$s" <<'EOF'
import os, sys
t = 1500000001 * 10**9 + 987654321
for i, (root, dirs, files) in enumerate(os.walk(sys.argv[1])):
    for j, n in enumerate(files):
        os.utime(os.path.join(root, n), ns=(t + (i * 100 + j) * 3_600_000_000_000, t + (i * 100 + j) * 3_600_000_000_000))
EOF
}

# fill_fat TARGET SRC: copy SRC's contents with mtools, fragmenting one file:
# a placeholder is written first and deleted after the big file's first part
# exists, so the big file's chain jumps.
fill_fat() {
	local tgt=$1 src=$2
	head -c 9000 /dev/urandom >"$T/filler"
	mcopy -i "$tgt" "$T/filler" ::/FILLER1 && mcopy -i "$tgt" "$T/filler" ::/FILLER2 &&
		mdel -i "$tgt" ::/FILLER1 || { fail "mtools could not prepare $tgt"; return 1; }
	mcopy -s -m -i "$tgt" "$src"/* ::/ || { fail "mcopy into $tgt failed"; return 1; }
	mdel -i "$tgt" ::/FILLER2
}

# mtools' view: the tree `mcopy -s -m` extracts (times included).
extract_fat() { # TARGET DIR
	rm -rf "$2"
	mkdir -p "$2"
	mcopy -s -n -m -i "$1" '::/*' "$2/" >"$T/mcopy.out" 2>&1 || { fail "mcopy -s out of $1"; cat "$T/mcopy.out"; }
}

SRC=$T/fatsrc
make_fat_tree "$SRC"
for fat in 12 16 32; do
	case $fat in 12) mb=4 ;; 16) mb=32 ;; 32) mb=300 ;; esac
	img=$T/fat$fat.img
	rm -f "$img"
	truncate -s ${mb}M "$img"
	mkfs.fat -F $fat -n "FAT${fat}LBL" -i 1234ABC$((fat / 4)) "$img" >/dev/null || { fail "mkfs.fat -F $fat"; continue; }
	fill_fat "$img" "$SRC" || continue
	chmod 0644 "$img"
	inspect_json "$img" "$T/fat$fat.json" || continue
	log "bare FAT$fat"
	assert_eq "FAT$fat: table" none "$(jget "$T/fat$fat.json" 'd["table"]["type"]')"
	assert_eq "FAT$fat: fs type" "fat$fat" "$(jpart "$T/fat$fat.json" 1 "['fs']['type']")"
	assert_eq "FAT$fat: label" "$(blkid -p -o value -s LABEL "$img")" "$(jpart "$T/fat$fat.json" 1 "['fs']['label']")"
	assert_eq "FAT$fat: serial" "$(blkid -p -o value -s UUID "$img")" "$(jpart "$T/fat$fat.json" 1 "['fs']['serial']")"
	extract_fat "$img" "$T/x$fat"
	manifest_vs_tree "FAT$fat vs mcopy" "$T/fat$fat.json" 1 "$T/x$fat" fat
	manifest_vs_tree "FAT$fat vs source" "$T/fat$fat.json" 1 "$SRC" fat
done

# FAT16 inside an MBR disk at 1 MiB, and the same disk as vmdk.
log "FAT16 in an MBR disk"
img=$T/mbrfat.img
truncate -s 64M "$img"
printf 'label: dos\nlabel-id: 0x1234abcd\nstart=2048, size=65536, type=6, bootable\n' | sfdisk -q "$img" ||
	fail "sfdisk failed"
mkfs.fat -F 16 -n MBRFAT --offset 2048 -h 2048 "$img" $((65536 / 2)) >/dev/null || fail "mkfs.fat --offset"
fill_fat "$img@@$((2048 * 512))" "$SRC"
chmod 0644 "$img"
if inspect_json "$img" "$T/mbr.json"; then
	assert_eq "MBR: table" mbr "$(jget "$T/mbr.json" 'd["table"]["type"]')"
	assert_eq "MBR: signature" 0x1234abcd "$(jget "$T/mbr.json" 'd["table"]["signature"]')"
	assert_eq "MBR: disk_guid" None "$(jget "$T/mbr.json" 'd["table"]["disk_guid"]')"
	assert_eq "MBR p1: type byte" 0x06 "$(jpart "$T/mbr.json" 1 "['mbr_type']")"
	assert_eq "MBR p1: bootable" True "$(jpart "$T/mbr.json" 1 "['bootable']")"
	assert_eq "MBR p1: start" 2048 "$(jpart "$T/mbr.json" 1 "['start_lba']")"
	assert_eq "MBR p1: size" $((65536 * 512)) "$(jpart "$T/mbr.json" 1 "['size']")"
	assert_eq "MBR p1: hidden sectors" 2048 "$(jpart "$T/mbr.json" 1 "['fs']['hidden_sectors']")"
	extract_fat "$img@@$((2048 * 512))" "$T/xmbr"
	manifest_vs_tree "MBR FAT16 vs mcopy" "$T/mbr.json" 1 "$T/xmbr" fat
	qemu-img convert -O vmdk "$img" "$T/mbrfat.vmdk" && chmod 0644 "$T/mbrfat.vmdk"
	if inspect_json "$T/mbrfat.vmdk" "$T/mbrvmdk.json"; then
		assert_eq "vmdk: format" vmdk "$(jget "$T/mbrvmdk.json" 'd["image"]["format"]')"
		assert_eq "vmdk: same partitions as raw" "$(jget "$T/mbr.json" 'd["partitions"]')" \
			"$(jget "$T/mbrvmdk.json" 'd["partitions"]')"
	fi
fi
left=$(find "$T/w/tmp" -mindepth 1 2>/dev/null)
[ -z "$left" ] || fail "inspect left temporaries in TMPDIR: $left"

# ---- 2. the manual way: sgdisk, mkntfs, ntfs-3g ------------------------------

log "manual NTFS image"
MAN=$T/manual.img
NSRC=$T/ntfssrc
mkdir -p "$NSRC"
cp -a "$E2E/recipes/payload/data/." "$NSRC/"
gen_payload "$T/genp"
cp -a "$T/genp/data/." "$NSRC/"
truncate -s 300M "$MAN"
sgdisk -n 1:2048:+64M -t 1:EF00 -c 1:first -n 2:0:0 -t 2:0700 -c 2:"data part" "$MAN" >/dev/null ||
	fail "sgdisk failed"
p2start=$(sgdisk -i 2 "$MAN" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
p2end=$(sgdisk -i 2 "$MAN" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')
p2size=$(((p2end - p2start + 1) * 512))
# mkntfs on a file holding just the partition, files written through a
# read-write ntfs-3g mount of that file, then the bytes put in place.
PART=$T/part2.ntfs
truncate -s "$p2size" "$PART"
mkntfs -Q -F -L ManualNTFS -p "$p2start" -H 255 -S 63 "$PART" >"$T/mkntfs.out" 2>&1 ||
	{ fail "mkntfs failed"; cat "$T/mkntfs.out"; }
mkdir -p "$T/mnt"
if ntfs-3g "$PART" "$T/mnt"; then
	MOUNTS+=("$T/mnt")
	cp -a "$NSRC/." "$T/mnt/" || fail "cp into the ntfs-3g mount"
	umount "$T/mnt" || fail "umount"
else
	fail "ntfs-3g could not mount the partition file"
fi
dd if="$PART" of="$MAN" bs=1M seek=$((p2start * 512)) oflag=seek_bytes conv=notrunc,sparse status=none ||
	fail "dd of the partition into the disk"
rm -f "$PART"
chmod 0644 "$MAN"
if inspect_json "$MAN" "$T/manual.json"; then
	assert_eq "manual: table" gpt "$(jget "$T/manual.json" 'd["table"]["type"]')"
	assert_eq "manual: disk GUID" "$(sgdisk -p "$MAN" | sed -n 's/^Disk identifier (GUID): //p')" \
		"$(jget "$T/manual.json" 'd["table"]["disk_guid"]')"
	for n in 1 2; do
		assert_eq "manual p$n: GUID" "$(sgdisk -i $n "$MAN" | sed -n 's/^Partition unique GUID: //p')" \
			"$(jpart "$T/manual.json" $n "['guid']")"
	done
	assert_eq "manual p1: type" esp "$(jpart "$T/manual.json" 1 "['type']")"
	assert_eq "manual p1: name" first "$(jpart "$T/manual.json" 1 "['name']")"
	assert_eq "manual p1: no fs" None "$(jpart "$T/manual.json" 1 "['fs']")"
	assert_eq "manual p1: no files" "[]" "$(jpart "$T/manual.json" 1 "['files']")"
	assert_eq "manual p2: name" "data part" "$(jpart "$T/manual.json" 2 "['name']")"
	assert_eq "manual p2: type" basic-data "$(jpart "$T/manual.json" 2 "['type']")"
	assert_eq "manual p2: start" "$p2start" "$(jpart "$T/manual.json" 2 "['start_lba']")"
	assert_eq "manual p2: end" "$p2end" "$(jpart "$T/manual.json" 2 "['end_lba']")"
	assert_eq "manual p2: fs" ntfs "$(jpart "$T/manual.json" 2 "['fs']['type']")"
	assert_eq "manual p2: label" ManualNTFS "$(jpart "$T/manual.json" 2 "['fs']['label']")"
	off=$((p2start * 512))
	assert_eq "manual p2: hidden sectors" "$(rd_u "$MAN" $((off + 0x1C)) 4)" "$(jpart "$T/manual.json" 2 "['fs']['hidden_sectors']")"
	assert_eq "manual p2: heads" 255 "$(jpart "$T/manual.json" 2 "['fs']['heads']")"
	assert_eq "manual p2: sectors per track" 63 "$(jpart "$T/manual.json" 2 "['fs']['sectors_per_track']")"
	assert_eq "manual p2: serial" "$(printf '%016X' "$(rd_u "$MAN" $((off + 0x48)) 8)")" \
		"$(jpart "$T/manual.json" 2 "['fs']['serial']")"
	manifest_vs_tree "manual NTFS" "$T/manual.json" 2 "$NSRC" ntfs
	qemu-img convert -O qcow2 "$MAN" "$T/manual.qcow2" && chmod 0644 "$T/manual.qcow2"
	if inspect_json "$T/manual.qcow2" "$T/manualq.json"; then
		assert_eq "qcow2 of the manual image: format" qcow2 "$(jget "$T/manualq.json" 'd["image"]["format"]')"
		assert_eq "qcow2: partitions as raw" "$(jget "$T/manual.json" 'd["partitions"]')" \
			"$(jget "$T/manualq.json" 'd["partitions"]')"
	fi
fi

# ---- 3. an imgbuild build, every output format -----------------------------

log "imgbuild gpt512"
stage_recipe gpt512
P=$T/r/payload
expect_add "$T/exp/p1" "$P/esp" /
expect_add "$T/exp/p1" "$P/single.txt" /loose/
expect_add "$T/exp/p3" "$P/data" /Data
expect_add "$T/exp/p3" "$P/single.txt" /renamed.txt
plan_json "$R" "$T/plan.json" || finish
ib_build "$R" "$T/w/out"
expect_build_rc 0 || finish
OUT=$T/w/out
if inspect_json "$OUT/gpt512.raw" "$T/b.raw.json"; then
	"$PY" - "$T/b.raw.json" "$T/plan.json" <<'EOF' || fail "inspect of the build differs from the plan"
import json, sys
m, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
def chk(what, a, b):
    if a != b: bad.append(f"{what}: manifest {a!r}, plan {b!r}")
chk("virtual size", m["image"]["virtual_size"], p["disk_size"])
chk("table", m["table"]["type"], p["table"])
chk("sector size", m["table"]["sector_size"], p["sector_size"])
chk("partitions", len(m["partitions"]), len(p["partitions"]))
for a, b in zip(m["partitions"], p["partitions"]):
    n = b["number"]
    for k in ("number", "name", "type", "type_guid", "start_lba", "end_lba", "offset", "size"):
        chk(f"p{n} {k}", a[k], b[k])
    chk(f"p{n} fs", a["fs"] and a["fs"]["type"], b["fs"])
    if b["fs"]:
        chk(f"p{n} label", a["fs"]["label"], b["label"])
        chk(f"p{n} cluster", a["fs"]["cluster_size"], b["cluster_size"])
        chk(f"p{n} hidden sectors", a["fs"]["hidden_sectors"], b["start_lba"])
        chk(f"p{n} files", sum(f["type"] == "file" for f in a["files"]), b["files"])
        chk(f"p{n} bytes", sum(f["size"] for f in a["files"]), b["bytes"])
# Key order is part of the contract.
chk("top keys", list(m), ["manifest", "image", "table", "partitions", "package"])
chk("image keys", list(m["image"]), ["path", "format", "virtual_size"])
chk("table keys", list(m["table"]), ["type", "disk_guid", "signature", "sector_size"])
for q in m["partitions"]:
    chk("partition keys", list(q), ["number", "name", "type", "type_guid", "guid", "attributes", "mbr_type",
        "bootable", "start_lba", "end_lba", "offset", "size", "fs", "windows", "files"])
    chk("windows (none in this image)", q["windows"], None)
    if q["fs"]:
        chk("fs keys", list(q["fs"]), ["type", "label", "serial", "sector_size", "cluster_size", "hidden_sectors",
            "heads", "sectors_per_track"])
    for f in q["files"]:
        chk("file keys", list(f), ["path", "type", "size", "mtime", "mtime_unix", "sha256"])
for b in bad[:30]: print("  " + b)
sys.exit(1 if bad else 0)
EOF
	# The build's GUIDs are random (not reproducible): ask sgdisk.
	assert_eq "build: disk GUID" "$(sgdisk -p "$OUT/gpt512.raw" | sed -n 's/^Disk identifier (GUID): //p')" \
		"$(jget "$T/b.raw.json" 'd["table"]["disk_guid"]')"
	for n in 1 2 3; do
		assert_eq "build p$n: GUID" "$(sgdisk -i $n "$OUT/gpt512.raw" | sed -n 's/^Partition unique GUID: //p')" \
			"$(jpart "$T/b.raw.json" $n "['guid']")"
	done
	manifest_vs_tree "build p1 (fat32)" "$T/b.raw.json" 1 "$T/exp/p1" fat
	manifest_vs_tree "build p3 (ntfs)" "$T/b.raw.json" 3 "$T/exp/p3" ntfs
	# Every output format: the same document but for the image block.
	for f in qcow2:qcow2 vmdk:vmdk vhdx:vhdx vhd:vpc; do
		file=$OUT/gpt512.${f%%:*}
		inspect_json "$file" "$T/b.${f%%:*}.json" || continue
		assert_eq "${f%%:*}: format" "${f#*:}" "$(jget "$T/b.${f%%:*}.json" 'd["image"]["format"]')"
		a=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["image"]; print(json.dumps(d))' "$T/b.raw.json")
		b=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["image"]; print(json.dumps(d))' "$T/b.${f%%:*}.json")
		[ "$a" = "$b" ] || fail "${f%%:*}: the manifest differs from the raw image's"
	done
	# Stable: two runs give the same bytes.
	run_unpriv "$IMGBUILD" inspect --json "$OUT/gpt512.raw" >"$T/again.json" 2>/dev/null
	cmp -s "$T/b.raw.json" "$T/again.json" || fail "two inspect runs differ"
	# The text form names every file.
	run_unpriv "$IMGBUILD" inspect "$OUT/gpt512.raw" >"$T/b.txt" 2>&1 || fail "inspect (text) failed"
	assert_contains "text output" "/Data/Setup/autounattend.xml" "$T/b.txt"
	assert_contains "text output" "disk GUID $(jget "$T/b.raw.json" 'd["table"]["disk_guid"]')" "$T/b.txt"
fi
left=$(find "$T/w/tmp" -mindepth 1 2>/dev/null)
[ -z "$left" ] || fail "inspect left temporaries in TMPDIR: $left"

# ---- 4. bad input ----------------------------------------------------------

# bad_input WHAT FILE REGEX: exit 2, the message matches REGEX (which should
# name a byte offset), no sanitizer report.
bad_input() {
	chmod 0644 "$2" 2>/dev/null
	run_unpriv "$IMGBUILD" inspect "$2" >"$T/bad.out" 2>"$T/bad.err"
	local rc=$?
	log "$1: exit $rc: $(head -c 300 "$T/bad.err")"
	assert_eq "$1: exit code" 2 "$rc"
	assert_matches "$1: message" "$3" "$T/bad.err"
	if grep -q 'Sanitizer\|runtime error\|LeakSanitizer' "$T/bad.err"; then
		fail "$1: sanitizer report"
		head -n 30 "$T/bad.err"
	fi
}

RAW=$OUT/gpt512.raw
SIZE=$(stat -c %s "$RAW")
cp --sparse=always "$RAW" "$T/trunc.img" && truncate -s $((SIZE - MiB)) "$T/trunc.img"
bad_input "truncated image" "$T/trunc.img" 'GPT (backup )?header at byte [0-9]+: .*(alternate|LBA)'
cp --sparse=always "$RAW" "$T/crc.img"
printf '\x5a' | dd of="$T/crc.img" bs=1 seek=$((512 + 60)) conv=notrunc status=none
bad_input "GPT header CRC" "$T/crc.img" 'GPT header at byte 512: header CRC32'
cp --sparse=always "$RAW" "$T/acrc.img"
printf '\x5a' | dd of="$T/acrc.img" bs=1 seek=$((1024 + 100)) conv=notrunc status=none
bad_input "GPT entry array CRC" "$T/acrc.img" 'GPT entry array at byte 1024: CRC32'
p3=$(jget "$T/plan.json" "[q for q in d['partitions'] if q['number']==3][0]['offset']")
cp --sparse=always "$RAW" "$T/geo.img"
printf '\x34\x12' | dd of="$T/geo.img" bs=1 seek=$((p3 + 0x0B)) conv=notrunc status=none
bad_input "NTFS bytes per sector" "$T/geo.img" "NTFS boot sector of partition 3 at byte $((p3 + 11)): bytes per sector is 4660"
cp --sparse=always "$RAW" "$T/geo2.img"
printf '\xff\xff' | dd of="$T/geo2.img" bs=1 seek=$((p3 + 0x18)) conv=notrunc status=none
bad_input "NTFS sectors per track" "$T/geo2.img" "at byte $((p3 + 24)): sectors per track is 65535"
cp --sparse=always "$RAW" "$T/geo3.img"
printf '\xff\xff\xff\xff\xff\x00\x00\x00' | dd of="$T/geo3.img" bs=1 seek=$((p3 + 0x28)) conv=notrunc status=none
bad_input "NTFS total sectors" "$T/geo3.img" "at byte $((p3 + 40)): total sectors is 1099511627775"
cp --sparse=always "$RAW" "$T/geo4.img"
printf '\x03' | dd of="$T/geo4.img" bs=1 seek=$((p3 + 0x0D)) conv=notrunc status=none
bad_input "NTFS sectors per cluster" "$T/geo4.img" "at byte $((p3 + 13)): sectors per cluster is 0x03"
head -c 100000 /dev/urandom >"$T/random.bin"
printf '\x00\x00' | dd of="$T/random.bin" bs=1 seek=510 conv=notrunc status=none
bad_input "random bytes" "$T/random.bin" 'no partition table at byte 510'
cp /etc/os-release "$T/text.txt"
bad_input "a text file" "$T/text.txt" 'at byte [0-9]+'
# A qcow2 cut short reads as zeros past its end (qemu-img's choice): no table.
head -c 4096 "$OUT/gpt512.qcow2" >"$T/cut.qcow2"
bad_input "truncated qcow2" "$T/cut.qcow2" 'no partition table at byte 510'
# A qcow2 header qemu-img refuses (cluster_bits, big-endian u32 at byte 20).
cp --sparse=always "$OUT/gpt512.qcow2" "$T/badhdr.qcow2"
printf '\x00\x00\x00\x63' | dd of="$T/badhdr.qcow2" bs=1 seek=20 conv=notrunc status=none
bad_input "qcow2 header" "$T/badhdr.qcow2" 'badhdr.qcow2: not an image qemu-img can read: qemu-img exited with status 1: .*[Cc]luster size'
bad_input "missing file" "$T/nonexistent.img" 'No such file'
bad_input "a directory" "$T/w" 'is a directory'
# A FAT chain that loops: the big file's first cluster points to itself.
cp "$T/fat16.img" "$T/loop.img"
first=$("$PY" - "$T/fat16.img" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
bps, spc, rsvd, nf, re_, fatsz = struct.unpack_from("<HBHBH", b, 11) + (struct.unpack_from("<H", b, 22)[0],)
root = (rsvd + nf * fatsz) * bps
for i in range(re_):
    e = b[root + 32 * i: root + 32 * i + 32]
    if e[11] & 0x10 == 0 and e[11] != 0x0F and e[0] not in (0, 0xE5) and struct.unpack_from("<I", e, 28)[0] > 4 * bps * spc:
        c = struct.unpack_from("<H", e, 26)[0]
        print(c, rsvd * bps + 2 * c)
        break
EOF
)
set -- $first
if [ $# -eq 2 ]; then
	printf "$(printf '\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8)))" | dd of="$T/loop.img" bs=1 seek="$2" conv=notrunc status=none
	bad_input "FAT chain loop" "$T/loop.img" 'FAT partition 1: .*: cluster [0-9]+ \(at byte [0-9]+\) is already used'
else
	fail "could not find a multi-cluster file in the FAT16 root"
fi
left=$(find "$T/w/tmp" -mindepth 1 2>/dev/null)
[ -z "$left" ] || fail "inspect left temporaries in TMPDIR: $left"
finish
