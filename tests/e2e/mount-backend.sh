#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --backend mount gives what the default lib backend gives. Each e2e recipe
# is built with both backends (as root), on Linux and on simulated illumos
# (tests/sim/illumos: lofiadm on loop devices, a sysroot from
# sim-mksysroot), and the images are compared through independent readers:
# the partition table (sfdisk --json, GUIDs left out: they are random), the
# boot sector fields of every filesystem (NTFS: bytes per sector, sectors
# per cluster, hidden sectors, heads, sectors per track, total sectors, MFT
# locations; FAT: the BPB without the volume id), the label (blkid), and
# the file tree (paths, types, sizes, sha256, mtimes of files and
# directories) read back through read-only ntfs-3g mounts and mcopy.
# A logging stand-in for ntfs-3g proves the mount backend really mounted
# the attached device (and the lib backend did not); afterwards no loop
# device, lofi mapping, mount or temporary file is left.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need sfdisk mcopy blkid cc objcopy flock "$PY"
need_loop
need_fuse
need_sim_fixtures
setup_tmp
SIM=$REPO/tests/sim/illumos
SYSROOT=$T/sysroot
sim_cleanup() {
	[ -d "$SYSROOT" ] && IMGBUILD_SYSROOT=$SYSROOT "$SIM/lofiadm" --sim-cleanup 2>/dev/null
	local m
	for m in $(awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts 2>/dev/null | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	cleanup
}
trap sim_cleanup EXIT

RECIPES=(gpt512 gpt4k mbr repro small)
for r in "${RECIPES[@]}"; do stage_recipe "$r"; done
chmod -R a+rX "$T/r"

# ntfs-3g that logs its arguments, then runs the real one.
REAL_NTFS3G=$(command -v ntfs-3g)
mkdir -p "$T/fakebin"
cat >"$T/fakebin/ntfs-3g" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/ntfs-3g.log"
exec "$REAL_NTFS3G" "\$@"
EOF
chmod 0755 "$T/fakebin/ntfs-3g"

"$SIM/sim-mksysroot" "$SYSROOT" >"$T/mksysroot.txt" 2>&1 || { cat "$T/mksysroot.txt"; die "sim-mksysroot failed"; }

# build PLATFORM BACKEND RECIPE OUT: as root, with the logging ntfs-3g.
build() {
	local plat=$1 backend=$2 recipe=$3 out=$4 env=(PATH="$T/fakebin:$PATH")
	[ "$plat" = illumos ] && env=(PATH="$T/fakebin:$SIM:$PATH" IMGBUILD_PLATFORM=illumos IMGBUILD_SYSROOT="$SYSROOT")
	: >"$T/ntfs-3g.log"
	env "${env[@]}" "$IMGBUILD" build "$T/r/$recipe.yml" -o "$out" --backend "$backend" --json \
		>"$T/build.json" 2>"$T/build.err"
	BUILD_RC=$?
	log "$plat: imgbuild build $recipe --backend $backend -> exit $BUILD_RC"
	expect_build_rc 0
}

# state IMG PLAN OUT.json: everything compared, as one JSON document.
state() {
	local img=$1 plan=$2 js=$3 ss n off size fs dev tree
	ss=$(jget "$plan" 'd["sector_size"]')
	attach "$img" 0 "" "$ss" || return 1
	sfdisk --json "$LOOPDEV" >"$T/st-table.json" 2>/dev/null || fail "sfdisk --json $img"
	detach "$LOOPDEV"
	rm -rf "$T/st" && mkdir -p "$T/st"
	for n in $(jget "$plan" '" ".join(str(q["number"]) for q in d["partitions"] if q.get("fs"))'); do
		off=$(jget "$plan" "[q for q in d['partitions'] if q['number']==$n][0]['offset']")
		size=$(jget "$plan" "[q for q in d['partitions'] if q['number']==$n][0]['size']")
		fs=$(jget "$plan" "[q for q in d['partitions'] if q['number']==$n][0]['fs']")
		dd if="$img" of="$T/st/p$n.bs" bs=512 count=1 skip=$((off / 512)) status=none
		attach "$img" "$off" "$size" "$ss" || return 1
		dev=$LOOPDEV
		blkid_field "$dev" LABEL >"$T/st/p$n.label"
		tree=$T/st/p$n.tree
		mkdir -p "$tree"
		if [ "$fs" = ntfs ]; then
			if mount_ntfs_ro "$dev" "$T/st/m$n"; then
				"$PY" "$T/walk.py" "$T/st/m$n" >"$T/st/p$n.files"
				unmount "$T/st/m$n"
			fi
		else
			mcopy -s -n -m -i "$img@@$off" '::/*' "$tree/" >/dev/null 2>&1
			# mcopy keeps file times only: directory times are not compared.
			"$PY" "$T/walk.py" "$tree" nodirtimes >"$T/st/p$n.files"
		fi
		detach "$dev"
		echo "$fs" >"$T/st/p$n.fs"
	done
	"$PY" - "$T/st-table.json" "$T/st" "$js" <<'EOF' || fail "cannot summarise $img"
import json, os, sys
table = json.load(open(sys.argv[1]))["partitiontable"]
table.pop("id", None)
for p in table.get("partitions", []):
    p.pop("uuid", None)
    p.pop("node", None)
table.pop("device", None)
st = sys.argv[2]
parts = {}
u = lambda b, o, n: int.from_bytes(b[o:o + n], "little")
for f in sorted(os.listdir(st)):
    if not f.endswith(".fs"):
        continue
    n = f[:-3]
    fs = open(os.path.join(st, f)).read().strip()
    bs = open(os.path.join(st, n + ".bs"), "rb").read()
    if fs == "ntfs":
        fields = {"oem": bs[3:11].decode("latin-1"), "bytes_per_sector": u(bs, 0x0B, 2),
                  "sectors_per_cluster": bs[0x0D], "media": bs[0x15], "sectors_per_track": u(bs, 0x18, 2),
                  "heads": u(bs, 0x1A, 2), "hidden_sectors": u(bs, 0x1C, 4), "total_sectors": u(bs, 0x28, 8),
                  "mft_lcn": u(bs, 0x30, 8), "mftmirr_lcn": u(bs, 0x38, 8), "clusters_per_mft_record": bs[0x40],
                  "clusters_per_index": bs[0x44]}
    else:
        # The BPB and the extended BPB without the volume id (random).
        vid = 0x43 if fs == "fat32" else 0x27
        fields = {"bpb": bs[3:vid].hex(), "label_type": bs[vid + 4:vid + 23].hex()}
    files = os.path.join(st, n + ".files")
    parts[n] = {"fs": fs, "boot": fields, "label": open(os.path.join(st, n + ".label")).read().strip(),
                "tree": json.load(open(files)) if os.path.exists(files) else None}
json.dump({"table": table, "parts": parts}, open(sys.argv[3], "w"), indent=1, sort_keys=True)
EOF
}

# walk.py DIR: every entry under DIR (not DIR itself): type, size, sha256,
# mtime in ns.
cat >"$T/walk.py" <<'EOF'
import hashlib, json, os, stat, sys
top = sys.argv[1]
dirtimes = len(sys.argv) < 3
out = {}
for root, dirs, files in os.walk(top):
    for name in dirs + files:
        p = os.path.join(root, name)
        st = os.lstat(p)
        e = {"mtime_ns": st.st_mtime_ns}
        if stat.S_ISDIR(st.st_mode):
            e["type"] = "dir"
            if not dirtimes:
                del e["mtime_ns"]
        else:
            e["type"] = "file"
            e["size"] = st.st_size
            e["sha256"] = hashlib.sha256(open(p, "rb").read()).hexdigest()
        out[os.path.relpath(p, top)] = e
json.dump(out, sys.stdout, indent=1, sort_keys=True)
EOF

# compare WHAT A.json B.json
compare() {
	"$PY" - "$2" "$3" <<'EOF' || fail "$1: the images differ"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = 0
def diff(path, x, y):
    global bad
    if isinstance(x, dict) and isinstance(y, dict):
        for k in sorted(set(x) | set(y)):
            diff(path + "/" + str(k), x.get(k, "<missing>"), y.get(k, "<missing>"))
    elif x != y:
        bad += 1
        if bad <= 15:
            print(f"  {path}: lib {x!r}, mount {y!r}")
diff("", a, b)
n = sum(len(p["tree"] or {}) for p in a["parts"].values())
print(f"  {len(a['parts'])} filesystems, {n} entries compared, {bad} differences")
sys.exit(1 if bad else 0)
EOF
}

# No device, mapping, mount or temporary file left by the builds.
assert_clean() { # WHAT
	local left
	left=$(losetup -a 2>/dev/null | grep -F "$T/w/")
	[ -z "$left" ] || { fail "$1: loop devices left:"; echo "$left" | sed 's/^/  /'; }
	left=$(awk -v t="$T/w/" 'index($2, t) == 1' /proc/mounts)
	[ -z "$left" ] || { fail "$1: mounts left:"; echo "$left" | sed 's/^/  /'; }
	left=$(find "$T/w" -name '.imgbuild-*' 2>/dev/null)
	[ -z "$left" ] || { fail "$1: temporary files left:"; echo "$left" | sed 's/^/  /'; }
	if [ -d "$SYSROOT/.sim/lofi" ]; then
		left=$(find "$SYSROOT/.sim/lofi" -mindepth 1 -maxdepth 1 -type d)
		[ -z "$left" ] || { fail "$1: lofi mappings left: $left"; }
	fi
}

for plat in linux illumos; do
	for r in "${RECIPES[@]}"; do
		plan_json "$T/r/$r.yml" "$T/plan-$r.json" || continue
		nntfs=$(jget "$T/plan-$r.json" 'sum(1 for q in d["partitions"] if q.get("fs") == "ntfs")')
		img=""
		for backend in lib mount; do
			out=$T/w/$plat-$r-$backend
			build "$plat" "$backend" "$r" "$out" || continue
			# The raw image, or one converted from the first output.
			img=$out/$r.raw
			if [ ! -f "$img" ]; then
				f=$(find "$out" -maxdepth 1 -type f -name "$r.*" | head -n 1)
				qemu-img convert -O raw "$f" "$T/w/$plat-$r-$backend.raw" || { fail "qemu-img convert $f"; continue; }
				img=$T/w/$plat-$r-$backend.raw
			fi
			mounts=$(grep -c . "$T/ntfs-3g.log")
			if [ "$backend" = lib ]; then
				assert_eq "$plat $r lib: ntfs-3g mounts" 0 "$mounts"
			else
				# One read-write mount of a partition device per NTFS volume
				# (the FUSE check may run ntfs-3g --version or so as well).
				devre='^/dev/loop[0-9]+ '
				[ "$plat" = illumos ] && devre="^$SYSROOT/dev/dsk/c99t[0-9]+d0(s|p)[0-9]+ "
				assert_eq "$plat $r mount: ntfs-3g mounts of a partition device" "$nntfs" \
					"$(grep -cE "$devre$T/w/.*/mnt-p[0-9]+\$" "$T/ntfs-3g.log")"
			fi
			state "$img" "$T/plan-$r.json" "$T/state-$plat-$r-$backend.json"
		done
		compare "$plat $r" "$T/state-$plat-$r-lib.json" "$T/state-$plat-$r-mount.json"
		assert_clean "$plat $r"
	done
done
# The two platforms agree with each other as well (their lib builds are
# the same code, so this compares Linux loop with simulated lofi).
for r in "${RECIPES[@]}"; do
	compare "$r linux-mount vs illumos-mount" "$T/state-linux-$r-mount.json" "$T/state-illumos-$r-mount.json"
done
finish
