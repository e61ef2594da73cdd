#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A base customised through a qcow2 overlay served by qemu-nbd (issue 15),
# as an unprivileged user:
# 1. a full output (qcow2 and raw): the base byte-identical afterwards, the
#    NTFS edits (a boot driver) and a file put into the FAT ESP (through the
#    partition copy) both there, fsck.fat clean, no qemu-nbd, socket or
#    temporary left; two builds bit-identical;
# 2. an overlay output (backing: base): a qcow2 naming the base by relative
#    path, a fraction of the full output's size, its record checked by
#    sha256sum -c; `imgbuild diff` against the full output finds nothing;
#    two builds bit-identical;
# 3. inspect of the overlay: a changed base, then a missing one, exit 2;
# 4. the base changed (touched) during the build: exit 2, nothing published;
# 5. SIGTERM while qemu-nbd serves: exit 143, no qemu-nbd, no leftovers.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
need qemu-nbd qemu-img fsck.fat sha256sum pgrep
need_windows_fixtures
setup_tmp
R=$T/r
stage_windows "$R"

# Data the overlay must not carry: 32 MiB the base holds already.
mkdir -p "$R/win/Data"
head -c $((32 * MiB)) /dev/urandom >"$R/win/Data/blob.bin"
chown -R "$NOBODY:$NOBODY" "$R/win"
log "the base: win.yml built once (qcow2)"
ib_build "$R/win.yml" "$T/w/base"
expect_build_rc 0 || finish
mv "$T/w/base/win.qcow2" "$R/base.qcow2"
chmod 0444 "$R/base.qcow2"
before=$(sha256sum <"$R/base.qcow2")
mkdir -p "$R/esp/EXTRA"
echo "on the ESP, through the copy" >"$R/esp/EXTRA/hello.txt"
recipe() { # FILE OUTPUTS
	cat >"$1" <<YML
imgbuild: 1
name: custom
base: base.qcow2
disk:
  partitions:
    - use: auto
      files: [ { src: extra, dst: /Extra } ]
      windows:
        drivers: [ drivers/viostor ]
    - { use: 1, files: [ { src: esp, dst: / } ] }
outputs: $2
reproducible: { epoch: 1700000000, seed: overlay }
YML
	chown -R "$NOBODY:$NOBODY" "$R"
}
recipe "$R/full.yml" "[ { format: qcow2 }, { format: raw } ]"
recipe "$R/overlay.yml" "[ { format: qcow2, backing: base } ]"

# Every qemu-nbd serving one of this test's overlays.
nbd_left() { pgrep -f "qemu-nbd.*$T/" || true; }

log "1. a full output"
plan_json "$R/full.yml" "$T/plan.json"
assert_eq "plan: the base is overlaid" "qemu-img create" "$(jget "$T/plan.json" '" ".join(d["steps"][0]["argv"][:2])')"
ib_build "$R/full.yml" "$T/w/full"
expect_build_rc 0
assert_eq "the base is byte-identical after the build" "$before" "$(sha256sum <"$R/base.qcow2")"
assert_eq "no qemu-nbd is left" "" "$(nbd_left)"
assert_no_leftovers "$T/w/full"
assert_eq "the copy pass reports its progress, to 100%" 100.0 \
	"$(grep '"event":"progress"' "$T/build.json" | tail -n 1 | jq_py 'float(d["percent"])')"
assert_dir_holds "$T/w/full" custom.qcow2 custom.raw
run_unpriv "$IMGBUILD" inspect --json "$T/w/full/custom.qcow2" >"$T/full.json" 2>"$T/inspect.err" ||
	fail "inspect of the full output: $(head -n 3 "$T/inspect.err")"
has() { jget "$T/full.json" "[f['path'] for q in d['partitions'] if q['number']==$1 for f in q['files']].count('$2')"; }
assert_eq "the driver is on p3" 1 "$(has 3 /Windows/System32/drivers/viostor.sys)"
assert_eq "the files: are on p3" 1 "$(has 3 /Extra/hello.txt)"
assert_eq "the ESP file is on p1" 1 "$(has 1 /EXTRA/hello.txt)"
plan_json "$R/full.yml" "$T/plan-full.json"
off=$(jget "$T/full.json" "[q['offset'] for q in d['partitions'] if q['number']==1][0]")
sz=$(jget "$T/full.json" "[q['size'] for q in d['partitions'] if q['number']==1][0]")
dd if="$T/w/full/custom.raw" of="$T/esp.img" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$sz" status=none
fsck.fat -n "$T/esp.img" >"$T/fsck.txt" 2>&1 || { fail "fsck.fat on the ESP"; sed 's/^/  /' "$T/fsck.txt"; }
ib_build "$R/full.yml" "$T/w/full2"
expect_build_rc 0
cmp -s "$T/w/full/custom.qcow2" "$T/w/full2/custom.qcow2" || fail "two full builds differ (qcow2)"
cmp -s "$T/w/full/custom.raw" "$T/w/full2/custom.raw" || fail "two full builds differ (raw)"

log "2. an overlay output"
ib_build "$R/overlay.yml" "$T/w/ov"
expect_build_rc 0
assert_eq "the base is byte-identical after the overlay build" "$before" "$(sha256sum <"$R/base.qcow2")"
assert_dir_holds "$T/w/ov" custom.qcow2 custom.qcow2.base.sha256
assert_no_leftovers "$T/w/ov"
assert_eq "no qemu-nbd is left" "" "$(nbd_left)"
qemu-img info --output=json "$T/w/ov/custom.qcow2" >"$T/ovinfo.json" 2>&1
assert_eq "the overlay names its base relative to its folder" ../../r/base.qcow2 \
	"$(jget "$T/ovinfo.json" 'd["backing-filename"]')"
full_size=$(stat -c %s "$T/w/full/custom.qcow2")
ov_size=$(stat -c %s "$T/w/ov/custom.qcow2")
[ "$ov_size" -lt $((full_size / 4)) ] || fail "the overlay ($ov_size bytes) is not much smaller than the full output ($full_size)"
(cd "$T/w/ov" && sha256sum -c --quiet custom.qcow2.base.sha256) >/dev/null 2>&1 ||
	fail "sha256sum -c of the base record: $(cat "$T/w/ov/custom.qcow2.base.sha256")"
run_unpriv "$IMGBUILD" diff "$T/w/full/custom.qcow2" "$T/w/ov/custom.qcow2" >"$T/diff.txt" 2>&1
assert_eq "imgbuild diff full overlay: exit" 0 "$?"
ib_build "$R/overlay.yml" "$T/w/ov2"
expect_build_rc 0
cmp -s "$T/w/ov/custom.qcow2" "$T/w/ov2/custom.qcow2" || fail "two overlay builds differ"

log "3. inspect of the overlay: the base changed, then missing"
chmod 0644 "$R/base.qcow2"
cp "$R/base.qcow2" "$T/base.keep"
printf 'X' | dd of="$R/base.qcow2" bs=1 seek=$(($(stat -c %s "$R/base.qcow2") - 1)) conv=notrunc status=none
run_unpriv "$IMGBUILD" inspect "$T/w/ov/custom.qcow2" >/dev/null 2>"$T/err.txt"
assert_eq "changed base: exit" 2 "$?"
assert_contains "changed base: named" "has changed since the overlay was built" "$T/err.txt"
mv "$R/base.qcow2" "$T/base.changed"
run_unpriv "$IMGBUILD" inspect "$T/w/ov/custom.qcow2" >/dev/null 2>"$T/err.txt"
assert_eq "missing base: exit" 2 "$?"
assert_contains "missing base: named" "base.qcow2 is missing" "$T/err.txt"
cp "$T/base.keep" "$R/base.qcow2"
chown "$NOBODY:$NOBODY" "$R/base.qcow2"

# Build full.yml into $OUT in the background (pid) until qemu-nbd serves
# (seen=1) or the build ends first (seen=0).
build_until_nbd() { # ERRFILE
	"${UNPRIV[@]}" "$IMGBUILD" build "$R/full.yml" -o "$OUT" >/dev/null 2>"$1" &
	pid=$!
	BGPIDS+=("$pid")
	seen=0
	for _ in $(seq 1 2000); do
		[ -n "$(nbd_left)" ] && { seen=1; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.005
	done
}

log "4. the base changed during the build: exit 2, nothing published"
OUT=$T/w/changed
build_until_nbd "$T/chg.err"
touch "$R/base.qcow2"
wait "$pid"
rc=$?
BGPIDS=()
if [ $seen = 1 ]; then
	assert_eq "changed base: exit" 2 "$rc"
	assert_contains "changed base: said" "changed during the build" "$T/chg.err"
	assert_dir_holds "$OUT"
	assert_no_leftovers "$OUT"
else
	echo "SKIP-PART: the build ended before qemu-nbd was seen; the changed-base case is not run"
fi
assert_eq "no qemu-nbd is left" "" "$(nbd_left)"

log "5. SIGTERM while qemu-nbd serves"
OUT=$T/w/term
build_until_nbd "$T/term.err"
if [ $seen = 1 ]; then
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	BGPIDS=()
	assert_eq "SIGTERM: exit" 143 "$rc"
	sleep 0.2
	assert_eq "SIGTERM: no qemu-nbd is left" "" "$(nbd_left)"
	assert_dir_holds "$OUT"
	assert_no_leftovers "$OUT"
else
	wait "$pid"
	BGPIDS=()
	echo "SKIP-PART: the build ended before qemu-nbd was seen; the SIGTERM case is not run"
fi
finish
