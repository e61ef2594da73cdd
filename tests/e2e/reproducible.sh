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
# (scrambled_copy, rbuild and same_outputs are in lib.sh; the bundled example
# and a Windows build are in reproducible-windows.sh.)
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv qemu-img sha256sum cmp "$PY"
setup_tmp
EPOCH=1700000000

# The staged recipes and payload (tests/e2e/recipes, plus generated files),
# and a second copy whose payload is scrambled.
mkdir -p "$T/r" "$T/r2"
cp "$E2E"/recipes/*.yml "$T/r/"
cp -a "$E2E/recipes/payload" "$T/r/"
gen_payload "$T/r/payload"
cp "$E2E"/recipes/*.yml "$T/r2/"
scrambled_copy "$T/r/payload" "$T/r2/payload"
chown -R "$NOBODY:$NOBODY" "$T/r" "$T/r2"
setup_worlds

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
