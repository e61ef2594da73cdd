#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reproducible mode: every e2e recipe is built twice, as the unprivileged
# user, in two different worlds: other output directory (and path length),
# other TMPDIR, umask 022 vs 077, TZ and locale, another time of day, and a
# payload copied file by file in reverse order with new mtimes (so its
# inode order, directory order and mtimes all differ). The sha256 of every
# output must be equal. The mode is switched on by SOURCE_DATE_EPOCH for some
# recipes and by `reproducible:` (through --set) for the others. Then a different seed must
# change the GUIDs (plan), the signatures and serials, and nothing else in
# the raw image; and every patched output must still pass qemu-img check and
# compare equal to its raw image.
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv qemu-img sha256sum cmp "$PY"
setup_tmp
EPOCH=1700000000

# A copy of $1 at $2 with the same names and contents, made children-first
# in reverse name order, every entry with its own new mtime.
scrambled_copy() {
	"$PY" - "$1" "$2" <<'EOF' || die "cannot copy the payload"
import os, shutil, sys, time
src, dst = sys.argv[1], sys.argv[2]
entries = []
for root, dirs, files in os.walk(src):
    for n in dirs + files:
        entries.append(os.path.relpath(os.path.join(root, n), src))
os.makedirs(dst)
# Directories first (they must exist), each level in reverse order.
for rel in sorted((e for e in entries if os.path.isdir(os.path.join(src, e))), key=lambda e: (e.count("/"), e), reverse=True):
    os.makedirs(os.path.join(dst, rel), exist_ok=True)
for rel in sorted((e for e in entries if not os.path.isdir(os.path.join(src, e))), reverse=True):
    shutil.copyfile(os.path.join(src, rel), os.path.join(dst, rel))
now = time.time_ns()
for i, rel in enumerate(sorted(entries)):
    t = now - i * 7_777_777_777
    os.utime(os.path.join(dst, rel), ns=(t, t))
EOF
}

# The staged recipes and payload (tests/e2e/recipes, plus generated files),
# and a second copy whose payload is scrambled.
mkdir -p "$T/r" "$T/r2"
cp "$E2E"/recipes/*.yml "$T/r/"
cp -a "$E2E/recipes/payload" "$T/r/"
gen_payload "$T/r/payload"
cp "$E2E"/recipes/*.yml "$T/r2/"
scrambled_copy "$T/r/payload" "$T/r2/payload"
chown -R "$NOBODY:$NOBODY" "$T/r" "$T/r2"
[ "$(cd "$T/r/payload" && find . -printf '%P %T@\n' | sort | sha256sum)" != \
	"$(cd "$T/r2/payload" && find . -printf '%P %T@\n' | sort | sha256sum)" ] ||
	die "the scrambled payload copy has the same mtimes"
mkdir -p "$T/w/tmp2" "$T/w/one" "$T/w/two/a/much/longer/path"
chown -R "$NOBODY:$NOBODY" "$T/w"

# rbuild WORLD RECIPE OUT [args]: build in world 1 or 2; sets BUILD_RC.
# ENVX (an array) adds environment (SOURCE_DATE_EPOCH).
ENVX=()
rbuild() {
	local world=$1 recipe=$2 out=$3 tmp mask tz lc
	shift 3
	if [ "$world" = 1 ]; then
		tmp=$T/w/tmp mask=022 tz=UTC lc=C
	else
		tmp=$T/w/tmp2 mask=077 tz=Pacific/Chatham lc=C.UTF-8
	fi
	setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
		env -u MTOOLS_SKIP_CHECK HOME="$T/home" TMPDIR="$tmp" TZ="$tz" LC_ALL="$lc" LANG= "${ENVX[@]}" \
		bash -c 'umask "$1"; shift; exec "$@"' umask "$mask" \
		"$IMGBUILD" build "$recipe" -o "$out" --json "$@" >"$T/build.json" 2>"$T/build.err"
	BUILD_RC=$?
	log "world $world: imgbuild build $(basename "$recipe") -> exit $BUILD_RC"
}

# Every file of DIR_A has the same sha256 in DIR_B, and they hold the same names.
same_outputs() { # WHAT DIR_A DIR_B
	local a b f
	a=$(cd "$2" && find . -maxdepth 1 -type f -printf '%P\n' | LC_ALL=C sort)
	b=$(cd "$3" && find . -maxdepth 1 -type f -printf '%P\n' | LC_ALL=C sort)
	assert_eq "$1: output names" "$a" "$b"
	[ -n "$a" ] || { fail "$1: no outputs"; return; }
	for f in $a; do
		if [ "$(sha256sum <"$2/$f")" = "$(sha256sum <"$3/$f")" ]; then
			log "$1: $f identical ($(sha256sum <"$2/$f" | cut -c1-16)...)"
		else
			fail "$1: $f differs between the two builds"
			cmp -l "$2/$f" "$3/$f" 2>/dev/null | head -n 5 | sed 's/^/  byte (1-based), octal values: /'
		fi
	done
}

# Outputs still valid after patching: qemu-img check and compare with raw.
valid_outputs() { # DIR NAME RAW
	local f fmt
	for f in "$1"/"$2".*; do
		case $f in
		*.raw) continue ;;
		*.qcow2) fmt=qcow2 ;;
		*.vmdk) fmt=vmdk ;;
		*.vhdx) fmt=vhdx ;;
		*.vhd) fmt=vpc ;;
		*) fail "unexpected output $f"; continue ;;
		esac
		if [ "$fmt" != vpc ]; then
			qemu-img check -q -f "$fmt" "$f" >"$T/check.txt" 2>&1 ||
				{ fail "qemu-img check $(basename "$f")"; sed 's/^/  | /' "$T/check.txt"; }
		fi
		qemu-img compare -q -f raw -F "$fmt" "$3" "$f" >"$T/compare.txt" 2>&1 ||
			{ fail "qemu-img compare raw vs $(basename "$f")"; sed 's/^/  | /' "$T/compare.txt"; }
	done
}

# name, how the mode is switched on, extra build arguments. `small` also
# gets the outputs not in the other recipes: vmdk monolithicSparse, vhdx
# and vpc fixed.
SMALL_OUTPUTS='outputs=[{format: raw}, {format: vmdk, subformat: monolithicSparse}, {format: vhdx, subformat: fixed}, {format: vpc, subformat: fixed}]'
for name in gpt512 gpt4k mbr small; do
	ENVX=()
	args=()
	case $name in
	gpt512) args=(--set "reproducible={epoch: $EPOCH, seed: e2e}") ;;
	gpt4k) args=(--set "reproducible={epoch: 0, seed: gpt4k}") ;; # 1970: FAT clamps to 1980
	mbr) ENVX=(SOURCE_DATE_EPOCH=$EPOCH) ;;
	small) ENVX=(SOURCE_DATE_EPOCH=$EPOCH) args=(--set "$SMALL_OUTPUTS") ;;
	esac
	o1=$T/w/one/$name o2=$T/w/two/a/much/longer/path/$name
	rbuild 1 "$T/r/$name.yml" "$o1" "${args[@]}"
	expect_build_rc 0 || continue
	sleep 1 # another second: VHD footers hold the time of the run
	rbuild 2 "$T/r2/$name.yml" "$o2" "${args[@]}"
	expect_build_rc 0 || continue
	same_outputs "$name" "$o1" "$o2"
	raw=$o1/$name.raw
	if [ ! -f "$raw" ]; then
		raw=$T/$name.raw
		qemu-img convert -f vhdx -O raw "$o1/$name.vhdx" "$raw" || fail "$name: cannot convert to raw"
	fi
	valid_outputs "$o1" "$name" "$raw"
	cp "$raw" "$T/$name.ref.raw" 2>/dev/null
	rm -rf "$o2"
done

# The VMDK descriptor names the file itself, not the temporary name qemu-img
# wrote (in every mode: here a build that is not reproducible).
ENVX=()
rbuild 1 "$T/r/small.yml" "$T/w/one/plain" --set 'outputs=[{format: vmdk, subformat: streamOptimized}]'
if expect_build_rc 0; then
	desc=$(dd if="$T/w/one/plain/small.vmdk" bs=512 skip=1 count=20 2>/dev/null | tr -d '\0')
	grep -q '^RW [0-9]* SPARSE "small.vmdk"$' <<<"$desc" ||
		{ fail "VMDK extent line does not name small.vmdk:"; grep '^RW' <<<"$desc" | sed 's/^/  | /'; }
	qemu-img check -q "$T/w/one/plain/small.vmdk" || fail "qemu-img check of the plain vmdk"
fi

# Another seed: other GUIDs in the plan, and in the raw image nothing but the
# identifiers differs: the protective MBR's signature, both GPT headers and
# entry arrays, the FAT32 volume ID (boot sector and its backup at sector
# 6), the NTFS serial (both boot sectors).
log "gpt512 with another seed"
plan_of() { # SEED FILE
	(cd "$T/w" && run_unpriv "$IMGBUILD" plan "$T/r/gpt512.yml" --json --set "reproducible={epoch: $EPOCH, seed: $1}") >"$2" ||
		fail "plan with seed $1"
}
plan_of e2e "$T/plan-a.json"
plan_of other "$T/plan-b.json"
plan_of e2e "$T/plan-a2.json"
ids() { jget "$1" '[d["disk_guid"]] + [p["guid"] for p in d["partitions"]]'; }
assert_eq "same seed, same GUIDs" "$(ids "$T/plan-a.json")" "$(ids "$T/plan-a2.json")"
[ "$(ids "$T/plan-a.json")" != "$(ids "$T/plan-b.json")" ] || fail "another seed gives the same GUIDs"
o3=$T/w/two/seed
rbuild 2 "$T/r2/gpt512.yml" "$o3" --set "reproducible={epoch: $EPOCH, seed: other}"
if expect_build_rc 0 && [ -f "$T/gpt512.ref.raw" ]; then
	for f in qcow2 vmdk vhdx vhd; do
		cmp -s "$T/w/one/gpt512/gpt512.$f" "$o3/gpt512.$f" && fail "another seed: gpt512.$f is unchanged"
	done
	valid_outputs "$o3" gpt512 "$o3/gpt512.raw"
	ss=512
	esp=$(jget "$T/plan-a.json" 'd["partitions"][0]["offset"]')
	ntfs=$(jget "$T/plan-a.json" 'd["partitions"][2]["offset"]')
	ntfs_end=$((ntfs + $(jget "$T/plan-a.json" 'd["partitions"][2]["size"]')))
	disk=$(jget "$T/plan-a.json" 'd["disk_size"]')
	cmp -l "$T/gpt512.ref.raw" "$o3/gpt512.raw" >"$T/seed-diff.txt"
	"$PY" - "$T/seed-diff.txt" "$ss" "$esp" "$ntfs" "$ntfs_end" "$disk" <<'EOF' || fail "another seed changed more than the identifiers"
import sys
lines = open(sys.argv[1]).read().split("\n")
ss, esp, ntfs, ntfs_end, disk = map(int, sys.argv[2:])
allowed = [
    ("MBR disk signature", 0x1B8, 0x1BC),
    ("GPT header and entries", ss, 34 * ss),
    ("backup GPT entries and header", disk - 33 * ss, disk),
    ("FAT32 volume ID", esp + 0x43, esp + 0x47),
    ("FAT32 backup boot sector volume ID", esp + 6 * ss + 0x43, esp + 6 * ss + 0x47),
    ("NTFS serial", ntfs + 0x48, ntfs + 0x50),
    ("NTFS backup boot sector serial", ntfs_end - ss + 0x48, ntfs_end - ss + 0x50),
]
hit = {a[0]: 0 for a in allowed}
bad = []
for l in lines:
    if not l.strip():
        continue
    off = int(l.split()[0]) - 1
    w = [a for a in allowed if a[1] <= off < a[2]]
    if w:
        hit[w[0][0]] += 1
    elif len(bad) < 10:
        bad.append(off)
for b in bad:
    print(f"  unexpected difference at byte {b} (0x{b:x})")
for k, v in hit.items():
    print(f"  {k}: {v} byte(s) differ")
# Each identifier must actually have changed (the MBR signature need not be
# used by a protective MBR).
missing = [k for k, v in hit.items() if v == 0 and k != "MBR disk signature"]
for m in missing:
    print(f"  {m}: unchanged")
sys.exit(1 if bad or missing else 0)
EOF
fi
finish
