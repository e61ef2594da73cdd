#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# windows: and base:, end to end, built as the unprivileged user.
# 1. A GPT disk whose NTFS partition gets a synthetic Windows 10 (hives made
#    here with hivexsh from the fixture hive `minimal`, a cmd.exe with an
#    amd64 PE header) through files:, then windows: with viostor (boot-
#    critical) and netkvm stamped from the fixture INFs, a guest tool, a
#    first-boot command and a registry value. Checked with independent tools
#    after the build: a read-only ntfs-3g mount of an offset loop device,
#    hivexget on the hives found there, sha256 of the files written.
# 2. That qcow2 as base: of a second recipe (use: auto, files:, a registry
#    value); the base must be byte-identical afterwards, the new image must
#    hold the changes and keep the old ones (imgbuild inspect, the mount).
#    The same from a raw base with use: 3 (its table read while planning).
# 3. Bad input: exit 2, a FILE:LINE:COL error, nothing written.
# 4. imgbuild inspect of the built image names the Windows it holds, and
#    `diff` compares it (category "windows").
# Fixtures: $IMGBUILD_SHARED (default $REPO/../shared)/fixtures.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
need hivexget sha256sum
need_windows_fixtures
setup_tmp
R=$T/r
stage_windows "$R" # lib.sh: the synthetic Windows 10, drivers, tool, win.yml

# ---- 1. windows: on a fresh disk ----

log "build win.yml"
plan_json "$R/win.yml" "$T/plan.json"
assert_eq "plan: make ntfs, copy files, then customise Windows on p3" "make copy customise" \
	"$(jget "$T/plan.json" '" ".join(s["title"].split()[0] for s in d["steps"] if "p3 (windows)" in s["title"])')"
OUT=$T/w/out
ib_build "$R/win.yml" "$OUT"
expect_build_rc 0
check_json_events "$T/build.json" "$T/plan.json" 2 1
"$PY" - "$T/build.json" <<'PYEOF' || fail "the windows event"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
w = [e for e in evs if e["event"] == "windows"]
bad = []
if len(w) != 1:
    bad.append(f"{len(w)} windows events, expected 1")
else:
    r = w[0]["report"]
    text = json.dumps(r)
    if '"verified": true' not in text: bad.append("report: not verified")
    if "setupcomplete" not in text: bad.append("report: mechanism is not setupcomplete")
    if "viostor" not in text or "netkvm" not in text: bad.append("report: a driver is missing")
    if "qemu-ga-x86_64.msi" not in text: bad.append("report: the guest tool is missing")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
RAW=$OUT/win.raw
verify_outputs "$OUT" win "$T/plan.json" "$RAW" qcow2 raw
j="[q for q in d['partitions'] if q['number']==3][0]"
OFF=$(jget "$T/plan.json" "${j}['offset']")
SIZE=$(jget "$T/plan.json" "${j}['size']")

# Everything through a read-only ntfs-3g mount of an offset loop device.
check_windows_volume() { # IMG OFFSET SIZE WHAT [BASE]
	local img=$1 off=$2 size=$3 what=$4 base=${5:-} m=$T/mnt/$4 v got
	attach "$img" "$off" "$size" || return 1
	mount_ntfs_ro "$LOOPDEV" "$m" || { detach "$LOOPDEV"; return 1; }
	local sys=$m/Windows/System32/config/SYSTEM sw=$m/Windows/System32/config/SOFTWARE
	v=$(hivexget "$sys" 'ControlSet001\Services\viostor' Start 2>&1)
	assert_eq "$what: Services\\viostor Start (boot)" 0 "$v"
	v=$(hivexget "$sys" 'ControlSet001\Services\viostor' ImagePath 2>&1)
	assert_eq "$what: Services\\viostor ImagePath" 'System32\drivers\viostor.sys' "$v"
	hivexget "$sys" 'ControlSet001\Services\viostor\StartOverride' >/dev/null 2>&1 &&
		fail "$what: Services\\viostor\\StartOverride is still there"
	hivexget "$sys" 'ControlSet001\Services\netkvm' >/dev/null 2>&1 &&
		fail "$what: netkvm (not boot-critical) got a service offline"
	for id in 'PCI\VEN_1AF4&DEV_1001' 'PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01'; do
		v=$(hivexget "$sys" "DriverDatabase\\DeviceIds\\$id" imgbuild_viostor.inf 2>&1 | od -An -tx1 | tr -d ' \n')
		[ -n "$v" ] || fail "$what: DriverDatabase\\DeviceIds\\$id does not bind imgbuild_viostor.inf"
	done
	v=$(hivexget "$sys" 'DriverDatabase\DriverPackages\imgbuild_viostor.inf_amd64_0000000000000000\Configurations\imgbuild_viostor_conf' Service 2>&1)
	assert_eq "$what: DriverDatabase configuration's Service" viostor "$v"
	hivexget "$sys" 'ControlSet001\Control\CriticalDeviceDatabase' >/dev/null 2>&1 &&
		fail "$what: CriticalDeviceDatabase written for Windows 10"
	assert_eq "$what: SOFTWARE imgbuild\\Test Hello" world "$(hivexget "$sw" 'imgbuild\Test' Hello 2>&1)"
	v=$(hivexget "$sw" 'Microsoft\Windows\CurrentVersion' DevicePath 2>&1)
	assert_eq "$what: DevicePath" '%SystemRoot%\inf;%SystemRoot%\Drivers\imgbuild\viostor;%SystemRoot%\Drivers\imgbuild\netkvm' "$v"
	if [ -n "$base" ]; then
		assert_eq "$what: SOFTWARE imgbuild\\Base From" base "$(hivexget "$sw" 'imgbuild\Base' From 2>&1)"
		cmp -s "$R/extra/hello.txt" "$m/Extra/hello.txt" || fail "$what: /Extra/hello.txt differs or is missing"
	fi
	same() { # WHAT SRC VOLPATH
		local a b
		a=$(sha256sum <"$2" | cut -d' ' -f1)
		b=$(sha256sum <"$m/$3" 2>/dev/null | cut -d' ' -f1)
		assert_eq "$what: sha256 of $3" "$a" "$b"
	}
	same "$what" "$R/drivers/viostor/viostor.sys" Windows/System32/drivers/viostor.sys
	same "$what" "$R/drivers/viostor/viostor.inf" Windows/Drivers/imgbuild/viostor/viostor.inf
	same "$what" "$R/drivers/viostor/viostor.cat" Windows/Drivers/imgbuild/viostor/viostor.cat
	same "$what" "$R/drivers/netkvm/netkvm.sys" Windows/System32/drivers/netkvm.sys
	same "$what" "$R/drivers/netkvm/netkvm.inf" Windows/Drivers/imgbuild/netkvm/netkvm.inf
	same "$what" "$R/tools/qemu-ga-x86_64.msi" Windows/Setup/imgbuild/tools/qemu-ga-x86_64.msi
	same "$what" "$R/win/Windows/System32/cmd.exe" Windows/System32/cmd.exe
	got=$(tr -d '\r' <"$m/Windows/Setup/Scripts/SetupComplete.cmd" 2>/dev/null)
	[[ $got == *'call "%SystemRoot%\Setup\imgbuild\firstboot.cmd" setupcomplete'* ]] ||
		fail "$what: SetupComplete.cmd does not call the runner: $got"
	grep -q 'powercfg /hibernate off' "$m"/Windows/Setup/imgbuild/steps/*-cmd-*.cmd 2>/dev/null ||
		fail "$what: the first_boot command is not a step"
	[ -e "$m/Windows/System32/config/SYSTEM.imgbuild-new" ] && fail "$what: a temporary hive is left"
	# Reproducible: the files written have the epoch as mtime.
	assert_eq "$what: mtime of viostor.sys" 1700000000 "$(stat -c %Y "$m/Windows/System32/drivers/viostor.sys")"
	unmount "$m"
	detach "$LOOPDEV"
}
check_windows_volume "$RAW" "$OFF" "$SIZE" fresh

# ---- 2. base: that image, changed by another recipe ----

BASE=$OUT/win.qcow2
before=$(sha256sum <"$BASE")
cp "$BASE" "$R/base.qcow2"
chown "$NOBODY:$NOBODY" "$R/base.qcow2"
chmod 0444 "$R/base.qcow2" # read is all a base needs
cat >"$R/custom.yml" <<'YML'
imgbuild: 1
name: custom
base: base.qcow2
disk:
  partitions:
    - use: auto
      files: [ { src: extra, dst: /Extra } ]
      windows:
        registry:
          - { hive: SOFTWARE, key: 'imgbuild\Base', name: From, type: sz, data: base }
outputs: [ { format: qcow2 }, { format: raw } ]
reproducible: { epoch: 1700000000, seed: custom }
YML
chown "$NOBODY:$NOBODY" "$R/custom.yml"
log "build custom.yml (base: qcow2, use: auto)"
plan_json "$R/custom.yml" "$T/plan2.json"
assert_eq "plan: base format" qcow2 "$(jget "$T/plan2.json" 'd["base"]["format"]')"
assert_eq "plan: a qcow2 base's table is read by the build" False "$(jget "$T/plan2.json" 'd["base"]["table_read"]')"
assert_eq "plan: the first step overlays the base" "qemu-img create -q -f qcow2 -F qcow2 -b" \
	"$(jget "$T/plan2.json" '" ".join(d["steps"][0]["argv"][:8])')"
assert_eq "plan: the outputs are converted from the overlay" "-f qcow2" \
	"$(jget "$T/plan2.json" '" ".join([s for s in d["steps"] if s["argv"] and s["argv"][1] == "convert"][0]["argv"][3:5])')"
OUT2=$T/w/out2
ib_build "$R/custom.yml" "$OUT2"
expect_build_rc 0
assert_eq "the base is byte-identical after the build" "$before" "$(sha256sum <"$R/base.qcow2")"
assert_matches "the step titles name the partition found" '"title":"customise Windows on p3 \(unnamed\)"' "$T/build.json"
run_unpriv "$IMGBUILD" inspect --json "$OUT2/custom.qcow2" >"$T/inspect.json" 2>"$T/inspect.err" ||
	fail "imgbuild inspect failed: $(head -n 3 "$T/inspect.err")"
want=$(sha256sum <"$R/extra/hello.txt" | cut -d' ' -f1)
assert_eq "inspect: /Extra/hello.txt on p3" "$want" \
	"$(jget "$T/inspect.json" '[f["sha256"] for q in d["partitions"] if q["number"]==3 for f in q["files"] if f["path"]=="/Extra/hello.txt"][0]')"
assert_eq "inspect: the table is the base's (same disk GUID)" \
	"$(jget "$T/plan.json" 'd["disk_guid"]')" "$(jget "$T/inspect.json" 'd["table"]["id"] if "id" in d["table"] else d["table"].get("disk_guid")')"
check_windows_volume "$OUT2/custom.raw" "$OFF" "$SIZE" based base

# A raw base: its table is read while planning; use: 3 explicitly.
cp "$RAW" "$R/base.raw"
chown "$NOBODY:$NOBODY" "$R/base.raw"
before=$(sha256sum <"$R/base.raw")
sed -e 's/base.qcow2/base.raw/' -e 's/use: auto/use: 3/' -e 's/name: custom/name: custom-raw/' "$R/custom.yml" >"$R/custom-raw.yml"
chown "$NOBODY:$NOBODY" "$R/custom-raw.yml"
plan_json "$R/custom-raw.yml" "$T/plan3.json"
assert_eq "plan (raw base): table read" True "$(jget "$T/plan3.json" 'd["base"]["table_read"]')"
assert_eq "plan (raw base): p3 offset" "$OFF" "$(jget "$T/plan3.json" 'd["partitions"][0]["offset"]')"
assert_eq "plan (raw base): p3 fs" ntfs "$(jget "$T/plan3.json" 'd["partitions"][0]["fs"]')"
ib_build "$R/custom-raw.yml" "$T/w/out3"
expect_build_rc 0
assert_eq "the raw base is byte-identical after the build" "$before" "$(sha256sum <"$R/base.raw")"
check_windows_volume "$T/w/out3/custom-raw.raw" "$OFF" "$SIZE" based-raw base

# ---- 4. inspect names the Windows, diff compares it ----

log "inspect the Windows"
mkdir -p "$T/w/itmp"
chown "$NOBODY:$NOBODY" "$T/w/itmp"
inspect() { # IMAGE OUT [--json]: exit status in IRC
	run_unpriv env TMPDIR="$T/w/itmp" "$IMGBUILD" inspect "${@:3}" "$1" >"$2" 2>"$T/inspect.err"
	IRC=$?
}
inspect "$OUT/win.qcow2" "$T/inspect-win.json" --json
assert_eq "inspect --json: exit status" 0 "$IRC"
"$PY" - "$T/inspect-win.json" <<'PYEOF' || fail "inspect: the windows object of p3"
import json, sys
d = json.load(open(sys.argv[1]))
want = {"root": "/Windows", "version": "10.0", "build": 19045, "edition": "Professional",
        "installation_type": "Client", "product_name": "Windows 10 Pro", "arch": "amd64",
        "control_set": "ControlSet001", "virtio_os": "w10", "virtio_arch": "amd64", "error": None}
bad = []
for q in d["partitions"]:
    keys = list(q.keys())
    if keys[keys.index("fs") + 1] != "windows" or keys[-1] != "files":
        bad.append(f"p{q['number']}: key order {keys}")
    w = q["windows"]
    if q["number"] != 3:
        if w is not None: bad.append(f"p{q['number']}: windows {w}, expected null")
        continue
    if w is None:
        bad.append("p3: windows is null"); continue
    if list(w.keys()) != list(want.keys()): bad.append(f"p3: windows keys {list(w.keys())}")
    for k, v in want.items():
        if w.get(k) != v: bad.append(f"p3: windows {k} = {w.get(k)!r}, expected {v!r}")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
inspect "$OUT/win.raw" "$T/inspect-win.txt"
assert_eq "inspect (text): exit status" 0 "$IRC"
assert_contains "inspect (text): the Windows line" \
	"Windows at /Windows: Windows 10 Pro, version 10.0 build 19045, edition Professional, Client, amd64" "$T/inspect-win.txt"
assert_contains "inspect (text): control set and virtio-win folders" \
	"control set ControlSet001, virtio-win folders w10/amd64" "$T/inspect-win.txt"
assert_eq "inspect leaves nothing in TMPDIR" "" "$(ls -A "$T/w/itmp")"

# A damaged hive is reported, not fatal: every "regf" signature at a cluster
# start of p3 (the hives, and the old copies in freed clusters) is broken.
cp "$RAW" "$T/w/badhive.raw"
"$PY" - "$T/w/badhive.raw" "$OFF" "$SIZE" <<'PYEOF' || fail "cannot break the hives"
import sys
path, off, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
n = 0
with open(path, "r+b") as f:
    for pos in range(off, off + size, 4096):
        f.seek(pos)
        if f.read(4) == b"regf":
            f.seek(pos)
            f.write(b"rXgf")
            n += 1
print(f"  {n} hive signature(s) broken")
sys.exit(0 if n >= 2 else 1)
PYEOF
chown "$NOBODY:$NOBODY" "$T/w/badhive.raw"
inspect "$T/w/badhive.raw" "$T/inspect-bad.json" --json
assert_eq "inspect of a damaged hive: exit status" 0 "$IRC"
assert_eq "inspect of a damaged hive: p3 windows root" /Windows \
	"$(jget "$T/inspect-bad.json" '[q for q in d["partitions"] if q["number"]==3][0]["windows"]["root"]')"
assert_eq "inspect of a damaged hive: the error names the SYSTEM hive" True \
	"$(jget "$T/inspect-bad.json" '"SYSTEM hive" in ([q for q in d["partitions"] if q["number"]==3][0]["windows"]["error"] or "")')"
assert_eq "inspect of a damaged hive: nothing else detected" None \
	"$(jget "$T/inspect-bad.json" '[q for q in d["partitions"] if q["number"]==3][0]["windows"]["version"]')"
inspect "$T/w/badhive.raw" "$T/inspect-bad.txt"
assert_matches "inspect (text) of a damaged hive: detection failed" '^    detection failed: .*SYSTEM hive' "$T/inspect-bad.txt"
assert_eq "inspect of a damaged hive leaves nothing in TMPDIR" "" "$(ls -A "$T/w/itmp")"

# diff: the Windows is compared (category "windows").
run_unpriv env TMPDIR="$T/w/itmp" "$IMGBUILD" diff --json "$RAW" "$T/w/badhive.raw" >"$T/diff.json" 2>"$T/diff.err"
assert_eq "diff of the damaged copy: exit status" 1 "$?"
assert_eq "diff: the windows version and build items" '[[3, "changed", ["version"], "10.0", null], [3, "changed", ["build"], "19045", null]]' \
	"$(jget "$T/diff.json" 'json.dumps([[x["partition"], x["change"], x["fields"], x["a"], x["b"]] for x in d["differences"] if x["category"]=="windows" and x["fields"] in (["version"], ["build"])])')"
assert_eq "diff: the windows error field" '["(none)", true]' \
	"$(jget "$T/diff.json" '[[x["a"] or "(none)", "SYSTEM hive" in x["b"]] for x in d["differences"] if x["category"]=="windows" and x["fields"]==["error"]][0]')"
run_unpriv "$IMGBUILD" diff "$RAW" "$T/w/badhive.raw" >"$T/diff.txt" 2>&1
assert_matches "diff (text): the windows line" '^~ partition 3: windows product_name: Windows 10 Pro -> \(none\)$' "$T/diff.txt"
run_unpriv "$IMGBUILD" diff --ignore ids "$OUT/win.qcow2" "$OUT2/custom.qcow2" >"$T/diff2.txt" 2>&1
grep -q ' windows ' "$T/diff2.txt" && fail "diff: the same Windows in the base-derived image differs: $(grep ' windows ' "$T/diff2.txt")"

# ---- 3. bad input: exit 2, located, nothing written ----

bad() { # NAME LINE RECIPE-TEXT
	local name=$1 line=$2 f=$R/$1.yml out=$T/w/bad-$1
	printf '%s\n' "$3" >"$f"
	chown "$NOBODY:$NOBODY" "$f"
	(cd "$T/w" && run_unpriv "$IMGBUILD" build "$f" -o "$out") >/dev/null 2>"$T/err.txt"
	local rc=$?
	assert_eq "$name: exit status" 2 "$rc"
	assert_matches "$name: located at line $line" "^$(printf '%s' "$f" | sed 's/[.[\*^$]/\\&/g'):$line:[0-9]+: error: " "$T/err.txt"
	assert_dir_holds "$out"
	assert_no_leftovers "$out"
}
bad windows-on-fat 9 'imgbuild: 1
name: bad
disk:
  size: 128MiB
  partitions:
    - name: data
      size: 64MiB
      fs: { type: fat32 }
      windows: { first_boot: [ "echo hi" ] }
outputs: [ { format: raw } ]'
bad base-with-size 5 'imgbuild: 1
name: bad
base: base.qcow2
disk:
  size: 1GiB
  partitions:
    - { use: auto }
outputs: [ { format: raw } ]'
bad use-9-qcow2 6 'imgbuild: 1
name: bad
base: base.qcow2
disk:
  partitions:
    - use: 9
      files: [ { src: extra, dst: /Extra } ]
outputs: [ { format: raw } ]'
assert_contains "use: 9: the message lists the base's partitions" "the base has no partition 9" "$T/err.txt"
bad use-9-raw 6 'imgbuild: 1
name: bad
base: base.raw
disk:
  partitions:
    - use: 9
      files: [ { src: extra, dst: /Extra } ]
outputs: [ { format: raw } ]'
bad base-not-an-image 3 'imgbuild: 1
name: bad
base: extra/hello.txt
disk:
  partitions:
    - use: auto
outputs: [ { format: raw } ]'
bad missing-driver 11 'imgbuild: 1
name: bad
disk:
  size: 128MiB
  partitions:
    - name: win
      size: rest
      fs: { type: ntfs }
      windows:
        drivers:
          - drivers/no-such-driver
outputs: [ { format: raw } ]'
assert_contains "missing driver: the message names the path" "drivers/no-such-driver" "$T/err.txt"
assert_eq "bad inputs leave the raw base alone" "$before" "$(sha256sum <"$R/base.raw")"
finish
