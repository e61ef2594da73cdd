# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the end-to-end tests (sourced by tests/e2e/*.sh, bash only).
#
# A test calls setup_tmp, stages a recipe, builds it as an unprivileged user
# and checks the result with independent tools (sfdisk, sgdisk, fsck.fat,
# mtools, ntfs-3g, qemu-img). Checks record failures and carry on, so one run
# shows everything that is wrong; `finish` turns them into the exit status.
# Exit status: 0 pass, 1 fail, 77 skip (after a "SKIP: reason" line).
# The temp dir, and every loop device, mount and background process the test
# made, are removed on exit (KEEP_TMP=1 keeps the dir for a post-mortem).

set -uo pipefail

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E/../.." && pwd)
: "${IMGBUILD:=$REPO/build/san/imgbuild}"
case $IMGBUILD in /*) ;; *) IMGBUILD=$PWD/$IMGBUILD ;; esac
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || echo python3)
NOBODY=65534
MiB=$((1024 * 1024))
# Our own readers run in a UTF-8 locale (names are UTF-8 on disk); builds run
# in the C locale, as on a bare CI runner: imgbuild must not depend on it.
export LC_ALL=C.UTF-8 TZ=UTC
# mtools' geometry check rejects sane images made with --offset; fsck.fat is
# the judge of the FAT structures here.
export MTOOLS_SKIP_CHECK=1
# An ASan report must fail the test, and a leak is a report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

FAILS=0
T=""
LOOPS=()
MOUNTS=()
BGPIDS=()

log() { printf -- '--- %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*"
	FAILS=$((FAILS + 1))
}
die() {
	fail "$*"
	exit 1
}
skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}
finish() {
	if [ "$FAILS" -gt 0 ]; then
		printf '%d check(s) failed\n' "$FAILS"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

# ---- preconditions ---------------------------------------------------------

need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (loop devices, mounts, setpriv)"; }
need_loop() {
	need losetup
	[ -e /dev/loop-control ] || skip "no /dev/loop-control: loop devices unavailable"
}
need_fuse() {
	need ntfs-3g
	[ -c /dev/fuse ] || skip "no /dev/fuse: cannot mount NTFS to read it back"
	grep -qw fuseblk /proc/filesystems 2>/dev/null || grep -qw fuse /proc/filesystems ||
		skip "fuse is not in /proc/filesystems"
}
need_imgbuild() {
	[ -x "$IMGBUILD" ] || die "imgbuild binary not found at $IMGBUILD (set IMGBUILD)"
}
# Everything a build-and-verify test needs.
need_all() {
	need_root
	need_imgbuild
	need setpriv sfdisk sgdisk fsck.fat mcopy qemu-img blkid ntfsfix od "$PY"
	need_loop
	need_fuse
}

# ---- temp dir and cleanup ----------------------------------------------------

cleanup() {
	local i
	for i in "${BGPIDS[@]}"; do
		kill -KILL "$i" 2>/dev/null
		wait "$i" 2>/dev/null
	done
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null
	done
	for ((i = ${#LOOPS[@]} - 1; i >= 0; i--)); do
		losetup -d "${LOOPS[i]}" 2>/dev/null
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "${KEEP_TMP:-0}" = 1 ]; then
			echo "kept $T"
		else
			rm -rf "$T"
		fi
	fi
}

# T: the test's dir, readable by everyone. $T/w belongs to the unprivileged
# user (builds write there); $T/home is its HOME.
setup_tmp() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/imgbuild-e2e.XXXXXX") || die "mktemp failed"
	chmod 0755 "$T"
	trap cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	mkdir -p "$T/w" "$T/home" "$T/w/tmp"
	chown -R "$NOBODY:$NOBODY" "$T/w" "$T/home"
	UNPRIV=(setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups
		env -u MTOOLS_SKIP_CHECK -u TZ HOME="$T/home" TMPDIR="$T/w/tmp" LC_ALL=C LANG=)
	stage_repo_if_unreachable
	SHM_BEFORE=$(shm_files)
}

# What builds keep in /dev/shm (mkntfs's temporary file, named
# .imgbuild-<name>.<pid>.ntfs-p<N>.tmp), made by the unprivileged user.
shm_files() { find /dev/shm -maxdepth 1 -name '.imgbuild-*' -user "$NOBODY" -printf '%P\n' 2>/dev/null | LC_ALL=C sort; }

# A clone in root's 0700 home (or any tree the unprivileged user cannot
# enter): the tests then run on a world-readable copy of what they use (the
# binary, the recipes, the test data, the simulated illumos) in $T/repo.
stage_repo_if_unreachable() {
	"${UNPRIV[@]}" test -x "$IMGBUILD" -a -r "$E2E/lib.sh" 2>/dev/null && return 0
	mkdir -p "$T/repo/tests" "$T/repo/lib"
	cp -a "$REPO/recipes" "$T/repo/" &&
		cp -a "$REPO/tests/e2e" "$REPO/tests/fixtures" "$REPO/tests/sim" "$REPO/tests/ctf" "$REPO/tests/recipes" \
			"$T/repo/tests/" &&
		cp -a "$REPO/lib/core" "$T/repo/lib/" &&
		cp "$IMGBUILD" "$T/repo/imgbuild" || die "cannot stage a copy of the repository in $T/repo"
	chmod -R a+rX "$T/repo"
	log "the unprivileged user cannot reach $REPO: the tests use a copy in $T/repo"
	# The fixtures stay where they are (root reads them), found as before.
	export IMGBUILD_SHARED=${IMGBUILD_SHARED:-$(cd "$REPO/.." && pwd)/shared}
	REPO=$T/repo
	E2E=$REPO/tests/e2e
	IMGBUILD=$REPO/imgbuild
	FAKE_TOOL=$REPO/tests/fixtures/bin/fake-tool
}

# Run a command as uid/gid 65534 with no supplementary groups and no
# capabilities; the environment is kept (PATH, ASAN_OPTIONS, FAKE_TOOL_*).
# UNPRIV is the same as an array (set by setup_tmp): run a background job as
# `"${UNPRIV[@]}" prog ... &` so that $! is the program's own pid.
run_unpriv() { "${UNPRIV[@]}" "$@"; }

# ---- recipes and payloads --------------------------------------------------

# Copy tests/e2e/recipes/NAME.yml and the payload into $T/r, add the generated
# files, give it all to the unprivileged user. Sets R (the recipe path).
stage_recipe() {
	local name=$1
	mkdir -p "$T/r"
	cp "$E2E/recipes/$name.yml" "$T/r/" || die "no recipe $name"
	cp -a "$E2E/recipes/payload" "$T/r/" || die "cannot copy payload"
	gen_payload "$T/r/payload"
	chown -R "$NOBODY:$NOBODY" "$T/r"
	R=$T/r/$name.yml
}

# What git cannot store or should not carry: a pseudorandom file of a few MiB
# (odd size: the last cluster is partial), zero-byte files, empty directories,
# and mtimes with sub-second parts (NTFS keeps 100 ns).
gen_payload() {
	local p=$1
	mkdir -p "$p/esp/big" "$p/esp/emptydir" "$p/data/big" "$p/data/empty-dir" \
		"$p/data/nested/empty/deeper"
	"$PY" - "$p" <<'EOF' || die "payload generation failed"
import os, random, sys
p = sys.argv[1]
rnd = random.Random(20240229)
open(os.path.join(p, "data/big/random.bin"), "wb").write(rnd.randbytes(2 * 1024 * 1024 + 654321))
open(os.path.join(p, "esp/big/RANDOM.BIN"), "wb").write(rnd.randbytes(2 * 1024 * 1024 + 4093))
for f in ("data/empty-file", "data/nested/zero.bin", "esp/EMPTY.TXT"):
    open(os.path.join(p, f), "wb").close()
# Distinct times, each with a fraction finer than 100 ns to see truncation.
base = 1600000000 * 10**9 + 123456789
entries = []
for root, dirs, files in os.walk(p):
    for n in dirs + files:
        entries.append(os.path.join(root, n))
for i, path in enumerate(sorted(entries, reverse=True)):  # children before parents
    t = base + i * 86_400_000_000_123
    os.utime(path, ns=(t, t), follow_symlinks=False)
EOF
}

# Expected content of one filesystem, built with cp the way docs/recipe.md defines
# `files:` (a directory src copies its contents, like cp -rT; a file src becomes
# dst, or dst/<name> when dst ends in /). expect_add DIR SRC DST.
expect_add() {
	local root=$1 src=$2 dst=$3
	mkdir -p "$root"
	if [ -d "$src" ]; then
		mkdir -p "$root/$dst"
		cp -a "$src/." "$root/$dst/"
	elif [[ $dst == */ ]]; then
		mkdir -p "$root/$dst"
		cp -a "$src" "$root/$dst"
	else
		mkdir -p "$root/$(dirname "$dst")"
		cp -a "$src" "$root/$dst"
	fi
}

# ---- running imgbuild ------------------------------------------------------

# ib_build RECIPE OUT [more args]: build as the unprivileged user with --json.
# Sets BUILD_RC; stdout in $T/build.json, stderr in $T/build.err.
ib_build() {
	local recipe=$1 out=$2
	shift 2
	run_unpriv "$IMGBUILD" build "$recipe" -o "$out" --json "$@" >"$T/build.json" 2>"$T/build.err"
	BUILD_RC=$?
	log "imgbuild build $(basename "$recipe") -> exit $BUILD_RC"
	show_stderr_head
}
show_stderr_head() { [ -s "$T/build.err" ] && head -n 5 "$T/build.err" | sed 's/^/    stderr| /'; return 0; }
show_build_output() {
	echo "stderr of the build:"
	sed 's/^/  | /' "$T/build.err" | head -n 60
	echo "stdout of the build (last lines):"
	tail -n 15 "$T/build.json" | sed 's/^/  | /'
}
expect_build_rc() {
	if [ "$BUILD_RC" -ne "$1" ]; then
		fail "build exited with $BUILD_RC, expected $1"
		show_build_output
		return 1
	fi
}

# plan_json RECIPE FILE: the plan as JSON (as the unprivileged user, cwd $T/w).
plan_json() {
	(cd "$T/w" && run_unpriv "$IMGBUILD" plan "$1" --json) >"$2" 2>"$T/plan.err"
	local rc=$?
	if [ $rc -ne 0 ]; then
		fail "imgbuild plan --json exited with $rc"
		sed 's/^/  | /' "$T/plan.err"
		return 1
	fi
	"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$2" ||
		{ fail "plan --json is not one JSON document"; head -c 2000 "$2"; return 1; }
}

# jq-like read of a JSON file with a Python expression over `d`.
# The value of a Python expression over the JSON on stdin (d).
jq_py() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
jget() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1" "$2"; }

# No temporary output and no work dir left behind.
assert_no_leftovers() {
	local dir=$1 left
	[ -d "$dir" ] || return 0
	left=$(find "$dir" -maxdepth 1 -name '.imgbuild-*' 2>/dev/null)
	if [ -n "$left" ]; then
		fail "leftovers in $dir:"
		echo "$left" | sed 's/^/  /'
	fi
	left=$(find "${T}/w/tmp" -mindepth 1 -maxdepth 1 2>/dev/null)
	if [ -n "$left" ]; then
		fail "leftovers in TMPDIR:"
		echo "$left" | sed 's/^/  /'
	fi
	assert_no_shm_leftovers
}
# No file in /dev/shm that a build of this test left: new since setup_tmp and
# its build's pid gone (a build still running elsewhere is not ours to judge).
assert_no_shm_leftovers() {
	local f left=()
	while read -r f; do
		[ -n "$f" ] || continue
		[[ $f =~ .*\.([0-9]+)\. ]] && kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
		left+=("$f")
	done < <(LC_ALL=C comm -13 <(echo "${SHM_BEFORE:-}") <(shm_files))
	if [ ${#left[@]} -gt 0 ]; then
		fail "leftovers in /dev/shm:"
		printf '  /dev/shm/%s\n' "${left[@]}"
	fi
}
# The output dir holds exactly these names (none: empty or absent).
assert_dir_holds() {
	local dir=$1 want have
	shift
	want=$(printf '%s\n' "$@" | sed '/^$/d' | LC_ALL=C sort)
	have=$( [ -d "$dir" ] && cd "$dir" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
	if [ "$want" != "$have" ]; then
		fail "$dir holds [$(echo $have)], expected [$(echo $want)]"
	fi
}
assert_eq() { # what expected actual
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
assert_contains() { # what needle file
	grep -qF -- "$2" "$3" || { fail "$1: '$2' not found in:"; sed 's/^/  | /' "$3" | head -n 30; }
}
assert_matches() { # what regex file
	grep -qE -- "$2" "$3" || { fail "$1: /$2/ not matched in:"; sed 's/^/  | /' "$3" | head -n 30; }
}

# Every stdout line of a --json build is a JSON object with an "event"; the
# last one is the result; each plan step starts; one output event per output.
check_json_events() {
	local events=$1 plan=$2 noutputs=$3 want_ok=$4
	"$PY" - "$events" "$plan" "$noutputs" "$want_ok" <<'EOF' || fail "--json event stream"
import json, sys
events, plan, nout, want_ok = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3]), sys.argv[4] == "1"
bad = 0
evs = []
for i, line in enumerate(open(events, encoding="utf-8"), 1):
    try:
        e = json.loads(line)
    except ValueError as x:
        print(f"  line {i} is not JSON ({x}): {line.rstrip()[:200]}"); bad += 1; continue
    if not isinstance(e, dict) or "event" not in e:
        print(f"  line {i} has no \"event\": {line.rstrip()[:200]}"); bad += 1; continue
    evs.append(e)
kinds = [e["event"] for e in evs]
unknown = set(kinds) - {"step-start", "step-done", "step-failed", "output", "error", "result", "info", "windows", "manifest",
                        "progress"}
if unknown:
    print(f"  unknown event kinds {sorted(unknown)}"); bad += 1
last = {}
for e in evs:
    if e["event"] != "progress":
        continue
    if not (1 <= e.get("step", 0) <= e.get("steps", 0)) or not (0 <= e.get("percent", -1) <= 100):
        print(f"  a progress event out of range: {e}"); bad += 1
    elif e["percent"] < last.get(e["step"], 0):
        print(f"  progress of step {e['step']} went back: {e}"); bad += 1
    else:
        last[e["step"]] = e["percent"]
if not evs or kinds[-1] != "result":
    print(f"  the last event is {kinds[-1] if kinds else None!r}, expected 'result'"); bad += 1
if want_ok:
    if kinds.count("step-start") != len(plan["steps"]) or kinds.count("step-done") != len(plan["steps"]):
        print(f"  {kinds.count('step-start')} step-start and {kinds.count('step-done')} step-done events for {len(plan['steps'])} planned steps"); bad += 1
    if kinds.count("output") != nout:
        print(f"  {kinds.count('output')} output events, expected {nout}"); bad += 1
    if "step-failed" in kinds or "error" in kinds:
        print("  a successful build reported step-failed/error"); bad += 1
    if kinds[-2:-1] != ["manifest"]:
        print("  a successful --json build does not end with its manifest before the result"); bad += 1
sys.exit(1 if bad else 0)
EOF
}

# ---- devices, mounts, boot sectors -------------------------------------------

# attach IMG [OFFSET SIZE] [SECTOR_SIZE]: read-only loop device in LOOPDEV.
attach() {
	local img=$1 off=${2:-0} size=${3:-} ss=${4:-512} args=(-r -f --show)
	[ "$off" != 0 ] && args+=(-o "$off")
	[ -n "$size" ] && args+=(--sizelimit "$size")
	[ "$ss" != 512 ] && args+=(--sector-size "$ss")
	LOOPDEV=$(losetup "${args[@]}" "$img") || { LOOPDEV=""; fail "losetup ${args[*]} $img failed"; return 1; }
	LOOPS+=("$LOOPDEV")
	udevadm settle 2>/dev/null || true
}
detach() { losetup -d "$1" 2>/dev/null; }

mount_ntfs_ro() { # DEV DIR
	mkdir -p "$2"
	ntfs-3g -o ro "$1" "$2" || { fail "ntfs-3g -o ro $1 $2 failed"; return 1; }
	MOUNTS+=("$2")
}
unmount() { umount "$1" || umount -l "$1"; }

# Little-endian integer at byte OFFSET of FILE: u8 / u16 / u32 / u64.
rd_u() {
	"$PY" -c 'import sys; f=open(sys.argv[1],"rb"); f.seek(int(sys.argv[2])); print(int.from_bytes(f.read(int(sys.argv[3])),"little"))' "$1" "$2" "$3"
}
rd_str() { # FILE OFFSET LEN
	"$PY" -c 'import sys; f=open(sys.argv[1],"rb"); f.seek(int(sys.argv[2])); print(f.read(int(sys.argv[3])).decode("latin-1"))' "$1" "$2" "$3"
}

# Trees equal byte for byte, same names (case and Unicode), same empty dirs.
compare_trees() { # WHAT EXPECTED ACTUAL
	local out
	out=$(LC_ALL=C.UTF-8 diff -r --no-dereference "$2" "$3" 2>&1)
	if [ -n "$out" ]; then
		fail "$1: trees differ (expected < $2, image > $3)"
		echo "$out" | head -n 40 | sed 's/^/  /'
	fi
	local nexp nact
	nexp=$(find "$2" -mindepth 1 | wc -l)
	nact=$(find "$3" -mindepth 1 | wc -l)
	log "$1: $nact entries read back, $nexp expected"
}

# File mtimes equal (NTFS keeps 100 ns units; anything finer is truncated).
# With EPOCH given, every file's mtime must be exactly that instead.
compare_mtimes() { # WHAT EXPECTED ACTUAL [EPOCH]
	"$PY" - "$2" "$3" "${4:-}" <<'EOF' || fail "$1: file mtimes differ"
import os, sys
exp, act, epoch = sys.argv[1], sys.argv[2], sys.argv[3]
bad = n = 0
for root, dirs, files in os.walk(exp):
    for f in files:
        e = os.path.join(root, f)
        a = os.path.join(act, os.path.relpath(e, exp))
        try:
            am = os.lstat(a).st_mtime_ns
        except OSError:
            continue  # compare_trees reports missing files
        want = int(epoch) * 10**9 if epoch else os.lstat(e).st_mtime_ns // 100 * 100
        n += 1
        if am != want:
            bad += 1
            if bad <= 10:
                print(f"  {os.path.relpath(e, exp)}: mtime {am} ns in the image, expected {want}")
print(f"  {n} file mtimes compared, {bad} differ")
sys.exit(1 if bad else 0)
EOF
}

# ---- whole-image checks ------------------------------------------------------

# The partition table of IMG against the plan: table kind, sector size, starts,
# sizes, types, names (GPT), bootable (MBR); hard rules: first partition at
# 1 MiB, aligned, inside the disk, no overlap. With GUIDS=1 also disk and
# partition GUIDs / MBR signature (reproducible recipes only). Uses a loop
# device of the whole image with the plan's sector size, so 4K disks are read
# as 4K disks.
verify_table() { # IMG PLAN [GUIDS]
	local img=$1 plan=$2 guids=${3:-0} ss dev
	ss=$(jget "$plan" 'd["sector_size"]')
	assert_eq "image size" "$(jget "$plan" 'd["disk_size"]')" "$(stat -c %s "$img")"
	attach "$img" 0 "" "$ss" || return 1
	dev=$LOOPDEV
	sfdisk --json "$dev" >"$T/sfdisk.json" 2>"$T/sfdisk.err" ||
		{ fail "sfdisk --json $dev failed"; cat "$T/sfdisk.err"; detach "$dev"; return 1; }
	"$PY" - "$T/sfdisk.json" "$plan" "$guids" <<'EOF' || fail "partition table differs from the plan"
import json, sys
t = json.load(open(sys.argv[1]))["partitiontable"]
p = json.load(open(sys.argv[2]))
guids = sys.argv[3] == "1"
bad = []
ss = p["sector_size"]
want_label = {"gpt": "gpt", "mbr": "dos"}[p["table"]]
if t["label"] != want_label: bad.append(f"table {t['label']}, expected {want_label}")
if t.get("sectorsize", 512) != ss: bad.append(f"sector size {t.get('sectorsize')}, expected {ss}")
if guids:
    if p["table"] == "gpt" and t["id"].upper() != p["disk_guid"].upper():
        bad.append(f"disk GUID {t['id']}, plan {p['disk_guid']}")
    if p["table"] == "mbr" and int(t["id"], 16) != int(p["mbr_signature"], 16):
        bad.append(f"MBR signature {t['id']}, plan {p['mbr_signature']}")
parts = t.get("partitions", [])
if len(parts) != len(p["partitions"]):
    bad.append(f"{len(parts)} partitions, plan has {len(p['partitions'])}")
for got, want in zip(parts, p["partitions"]):
    n = want["number"]
    size = want["end_lba"] - want["start_lba"] + 1
    if not got["node"].endswith(str(n)): bad.append(f"p{n}: table entry {got['node']}")
    if got["start"] != want["start_lba"]: bad.append(f"p{n}: start {got['start']}, plan {want['start_lba']}")
    if got["size"] != size: bad.append(f"p{n}: {got['size']} sectors, plan {size}")
    if want["offset"] != want["start_lba"] * ss or want["size"] != size * ss:
        bad.append(f"p{n}: plan offset/size in bytes disagree with its LBAs")
    if p["table"] == "gpt":
        if got["type"].upper() != want["type_guid"].upper(): bad.append(f"p{n}: type {got['type']}, plan {want['type_guid']}")
        if (got.get("name") or "") != (want.get("name") or ""): bad.append(f"p{n}: name {got.get('name')!r}, plan {want.get('name')!r}")
        if guids and got["uuid"].upper() != want["guid"].upper(): bad.append(f"p{n}: GUID {got['uuid']}, plan {want['guid']}")
    else:
        if int(got["type"], 16) != int(want["mbr_type"], 16): bad.append(f"p{n}: type 0x{got['type']}, plan {want['mbr_type']}")
        if "bootable" in want and bool(got.get("bootable")) != bool(want["bootable"]):
            bad.append(f"p{n}: bootable {bool(got.get('bootable'))}, plan {want['bootable']}")
# Rules that hold whatever the plan says.
if parts and parts[0]["start"] * ss != 1024 * 1024:
    bad.append(f"first partition at byte {parts[0]['start'] * ss}, expected 1 MiB")
end_prev = 0
for q in parts:
    if q["start"] * ss % (1024 * 1024): bad.append(f"{q['node']}: start not 1 MiB aligned")
    if q["start"] < end_prev: bad.append(f"{q['node']}: overlaps the previous partition")
    end_prev = q["start"] + q["size"]
    last = t.get("lastlba", p["disk_size"] // ss - 1)
    if q["start"] + q["size"] - 1 > last: bad.append(f"{q['node']}: ends after the last usable sector {last}")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
EOF
	if [ "$(jget "$plan" 'd["table"]')" = gpt ]; then
		sgdisk -v "$dev" >"$T/sgdisk.txt" 2>&1
		grep -q "No problems found" "$T/sgdisk.txt" ||
			{ fail "sgdisk -v reports problems"; sed 's/^/  | /' "$T/sgdisk.txt"; }
	else
		# When sane sfdisk --verify prints the device, "No errors detected."
		# and maybe "Remaining N unallocated 512-byte sectors.".
		sfdisk --verify "$dev" >"$T/verify.txt" 2>&1 ||
			{ fail "sfdisk --verify failed"; sed 's/^/  | /' "$T/verify.txt"; }
		if grep -vE '^(/dev/[^ ]*:|No errors detected\.|Remaining .* sectors\.)$' "$T/verify.txt" | grep -q .; then
			fail "sfdisk --verify complains"
			sed 's/^/  | /' "$T/verify.txt"
		fi
		assert_eq "MBR boot signature" "43605" "$(rd_u "$img" 510 2)"
	fi
	detach "$dev"
}

# Boot sector fields every volume must get right: bytes per sector, cluster
# size, hidden sectors (the partition start, used by boot code).
check_boot_sector() { # WHAT IMG PART_OFFSET SECTOR_SIZE CLUSTER START_LBA
	local what=$1 img=$2 off=$3 ss=$4 cl=$5 start=$6 bps spc
	bps=$(rd_u "$img" $((off + 0x0B)) 2)
	spc=$(rd_u "$img" $((off + 0x0D)) 1)
	# NTFS writes clusters bigger than 128 sectors as a negative power of two.
	[ "$spc" -gt 128 ] && spc=$((1 << (256 - spc)))
	assert_eq "$what: bytes per sector (0x0B)" "$ss" "$bps"
	assert_eq "$what: cluster size (0x0D x 0x0B)" "$cl" "$((bps * spc))"
	assert_eq "$what: hidden sectors (0x1C)" "$start" "$(rd_u "$img" $((off + 0x1C)) 4)"
	assert_eq "$what: boot signature" "43605" "$(rd_u "$img" $((off + 510)) 2)"
}

# The plan's view of one partition against what the test's recipe asks for;
# an empty argument is not checked. SIZE is bytes or "rest".
check_plan_part() { # PLAN N NAME TYPE_GUID_OR_MBR_BYTE SIZE FS LABEL CLUSTER
	local plan=$1
	shift
	"$PY" - "$plan" "$@" <<'PYEOF' || fail "plan: partition $2 is not what the recipe asks for"
import json, sys
d = json.load(open(sys.argv[1]))
n, name, typ, size, fs, label, cl = sys.argv[2:9]
ps = [q for q in d["partitions"] if q["number"] == int(n)]
if not ps:
    print(f"  no partition {n} in the plan"); sys.exit(1)
q = ps[0]
bad = []
def chk(what, want, got):
    if want != "" and str(want) != str(got): bad.append(f"p{n} {what}: plan says {got!r}, recipe asks {want!r}")
chk("name", name, q.get("name"))
if typ:
    key = "mbr_type" if d["table"] == "mbr" else "type_guid"
    got = q.get(key) or ""
    if (int(got, 16) if key == "mbr_type" and got else got.upper()) != (int(typ, 16) if key == "mbr_type" else typ.upper()):
        bad.append(f"p{n} {key}: plan says {got!r}, expected {typ!r}")
if size == "rest":
    ss, align = d["sector_size"], 1024 * 1024
    last = d["disk_size"] // ss - 1 - ((33 if ss == 512 else 5) if d["table"] == "gpt" else 0)
    if (last - q["end_lba"]) * ss >= align: bad.append(f"p{n}: 'rest' ends at LBA {q['end_lba']}, the disk's last usable LBA is about {last}")
else:
    chk("size", size, q["size"])
chk("fs", fs, "null" if q.get("fs") is None else q["fs"])
chk("label", label, q.get("label"))
chk("cluster_size", cl, q.get("cluster_size"))
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
}

# The plan's file count and byte total for a partition equal the expected tree's.
check_plan_counts() { # PLAN N EXPECT_DIR
	local files bytes
	files=$(find "$3" -type f | wc -l)
	bytes=$(find "$3" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
	assert_eq "plan p$2: files" "$files" "$(jget "$1" "[q for q in d['partitions'] if q['number']==$2][0]['files']")"
	assert_eq "plan p$2: bytes" "$bytes" "$(jget "$1" "[q for q in d['partitions'] if q['number']==$2][0]['bytes']")"
}

# A raw image must be sparse: the tests' payloads are small next to the disk.
assert_sparse() { # FILE
	local alloc app
	alloc=$(du -B1 "$1" | cut -f1)
	app=$(stat -c %s "$1")
	[ "$alloc" -lt $((app / 2)) ] || fail "$1 is not sparse: $alloc bytes allocated of $app"
}

GUID_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
GUID_MSR=E3C9E316-0B5C-4DB8-817D-F92DF00215AE
GUID_BASIC=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7

blkid_field() { # DEV FIELD
	blkid -p -o value -s "$2" "$1" 2>/dev/null
}

# A FAT partition: boot sector, fsck.fat, label, and the tree read back with
# mcopy equals EXPECT. With EPOCH (reproducible builds) every file's mtime
# must be the epoch (FAT keeps local time: both sides run with TZ=UTC here).
verify_fat() { # IMG PLAN PARTNO EXPECT_DIR [EPOCH]
	local img=$1 plan=$2 n=$3 exp=$4 epoch=${5:-} j off size ss start fs label cl dev
	j="[q for q in d['partitions'] if q['number']==$n][0]"
	off=$(jget "$plan" "${j}['offset']")
	size=$(jget "$plan" "${j}['size']")
	ss=$(jget "$plan" 'd["sector_size"]')
	start=$(jget "$plan" "${j}['start_lba']")
	fs=$(jget "$plan" "${j}['fs']")
	label=$(jget "$plan" "${j}['label']")
	cl=$(jget "$plan" "${j}['cluster_size']")
	log "p$n: $fs '$label' at byte $off, $size bytes, cluster $cl"
	check_boot_sector "p$n $fs" "$img" "$off" "$ss" "$cl" "$start"
	case $fs in
	fat32) assert_eq "p$n: FAT32 type string (0x52)" "FAT32   " "$(rd_str "$img" $((off + 0x52)) 8)" ;;
	fat16) assert_eq "p$n: FAT16 type string (0x36)" "FAT16   " "$(rd_str "$img" $((off + 0x36)) 8)" ;;
	esac
	attach "$img" "$off" "$size" "$ss" || return 1
	dev=$LOOPDEV
	fsck.fat -n "$dev" >"$T/fsck.txt" 2>&1 || { fail "p$n: fsck.fat -n found problems"; sed 's/^/  | /' "$T/fsck.txt" | head -n 30; }
	assert_eq "p$n: blkid TYPE" vfat "$(blkid_field "$dev" TYPE)"
	assert_eq "p$n: label" "$label" "$(blkid_field "$dev" LABEL)"
	detach "$dev"
	local got=$T/got/p$n
	rm -rf "$got"
	mkdir -p "$got"
	# ::/ with -s copies the root's contents, dot files and empty dirs included.
	if ! mcopy -s -n -m -i "$img@@$off" '::/*' "$got/" >"$T/mcopy.txt" 2>&1; then
		if [ -n "$(find "$exp" -mindepth 1 -maxdepth 1)" ]; then
			fail "p$n: mcopy -s failed"
			sed 's/^/  | /' "$T/mcopy.txt" | head -n 20
		fi
	fi
	compare_trees "p$n ($fs)" "$exp" "$got"
	[ -z "$epoch" ] || compare_mtimes "p$n ($fs)" "$exp" "$got" "$epoch"
}

# An NTFS partition: boot sector, ntfsfix -n, label, and the tree read through
# a read-only ntfs-3g mount equals EXPECT, file mtimes included.
verify_ntfs() { # IMG PLAN PARTNO EXPECT_DIR [EPOCH]
	local img=$1 plan=$2 n=$3 exp=$4 epoch=${5:-} j off size ss start label cl dev total
	j="[q for q in d['partitions'] if q['number']==$n][0]"
	off=$(jget "$plan" "${j}['offset']")
	size=$(jget "$plan" "${j}['size']")
	ss=$(jget "$plan" 'd["sector_size"]')
	start=$(jget "$plan" "${j}['start_lba']")
	label=$(jget "$plan" "${j}['label']")
	cl=$(jget "$plan" "${j}['cluster_size']")
	log "p$n: ntfs '$label' at byte $off, $size bytes, cluster $cl"
	assert_eq "p$n: NTFS OEM id (0x03)" "NTFS    " "$(rd_str "$img" $((off + 3)) 8)"
	check_boot_sector "p$n ntfs" "$img" "$off" "$ss" "$cl" "$start"
	# The volume spans the partition (less the backup boot sector at its end).
	total=$(rd_u "$img" $((off + 0x28)) 8)
	if [ "$total" -ge $((size / ss)) ] || [ "$total" -lt $((size / ss - 2 * cl / ss - 1)) ]; then
		fail "p$n: NTFS total sectors (0x28) $total for a partition of $((size / ss)) sectors"
	fi
	attach "$img" "$off" "$size" "$ss" || return 1
	dev=$LOOPDEV
	ntfsfix -n "$dev" >"$T/ntfsfix.txt" 2>&1 || { fail "p$n: ntfsfix -n failed"; sed 's/^/  | /' "$T/ntfsfix.txt"; }
	assert_eq "p$n: blkid TYPE" ntfs "$(blkid_field "$dev" TYPE)"
	assert_eq "p$n: label" "$label" "$(blkid_field "$dev" LABEL)"
	local mnt=$T/mnt/p$n
	if mount_ntfs_ro "$dev" "$mnt"; then
		compare_trees "p$n (ntfs)" "$exp" "$mnt"
		compare_mtimes "p$n (ntfs)" "$exp" "$mnt" "$epoch"
		unmount "$mnt"
	fi
	detach "$dev"
}

# Outputs: exactly NAME.EXT for each format, each readable by qemu-img with
# the right format and size, `qemu-img check` clean where it applies, and the
# same guest-visible bytes as the raw image (qemu-img compare).
verify_outputs() { # OUTDIR NAME PLAN RAW FORMAT...
	local out=$1 name=$2 plan=$3 raw=$4 f file ext size vs names=()
	shift 4
	size=$(jget "$plan" 'd["disk_size"]')
	for f in "$@"; do
		ext=$f
		[ "$f" = vpc ] && ext=vhd
		names+=("$name.$ext")
	done
	assert_dir_holds "$out" "${names[@]}"
	for f in "$@"; do
		ext=$f
		[ "$f" = vpc ] && ext=vhd
		file=$out/$name.$ext
		[ -f "$file" ] || { fail "output $file missing"; continue; }
		qemu-img info --output=json "$file" >"$T/info.json" 2>&1 || { fail "qemu-img info $file"; cat "$T/info.json"; continue; }
		assert_eq "$name.$ext: format" "$f" "$(jget "$T/info.json" 'd["format"]')"
		vs=$(jget "$T/info.json" 'd["virtual-size"]')
		if [ "$f" = vpc ]; then
			# VHD sizes follow CHS geometry: never smaller, at most a little larger.
			[ "$vs" -ge "$size" ] && [ "$vs" -le $((size + 16 * MiB)) ] ||
				fail "$name.$ext: virtual size $vs for a $size-byte disk"
		else
			assert_eq "$name.$ext: virtual size" "$size" "$vs"
		fi
		case $f in
		qcow2 | vmdk | vhdx)
			qemu-img check -f "$f" "$file" >"$T/check.txt" 2>&1 ||
				{ fail "qemu-img check $name.$ext"; sed 's/^/  | /' "$T/check.txt"; }
			;;
		esac
		if [ "$file" != "$raw" ]; then
			qemu-img compare -f raw -F "$f" "$raw" "$file" >"$T/compare.txt" 2>&1 ||
				{ fail "qemu-img compare raw vs $name.$ext"; sed 's/^/  | /' "$T/compare.txt"; }
		fi
	done
}

# ---- stand-ins for external programs -----------------------------------------

# The generic stand-in (see its header: FAKE_TOOL_STDERR, FAKE_TOOL_EXIT,
# FAKE_TOOL_SIGNAL, ...).
FAKE_TOOL=$REPO/tests/fixtures/bin/fake-tool

# fake_tool NAME TARGET: $T/fakebin/NAME runs TARGET; put $T/fakebin first in PATH.
fake_tool() {
	mkdir -p "$T/fakebin"
	chmod 0755 "$T/fakebin"
	ln -sf "$2" "$T/fakebin/$1"
}

# without_tools "TOOL..." CMD...: run CMD in a private mount namespace where
# each TOOL's file is covered by /dev/null (not a regular file, so not a
# program): missing however imgbuild looks for it (PATH, then the sbin dirs).
# need_private_mounts: SKIP (with the reason) where a private mount namespace
# with bind mounts cannot be made (a chroot whose root is not a mount point,
# a container without CAP_SYS_ADMIN).
private_mounts_ok() { # sets PRIVATE_MOUNTS_WHY when not
	command -v unshare >/dev/null || { PRIVATE_MOUNTS_WHY="no unshare"; return 1; }
	PRIVATE_MOUNTS_WHY=$(unshare --mount --propagation private sh -c 'mount --bind /dev/null /dev/null' 2>&1) &&
		return 0
	PRIVATE_MOUNTS_WHY="cannot make a private mount namespace to hide programs in (unshare -m, mount --bind: ${PRIVATE_MOUNTS_WHY:-failed})"
	return 1
}
need_private_mounts() { private_mounts_ok || skip "$PRIVATE_MOUNTS_WHY"; }

without_tools() {
	local tools=$1 t d f covers=()
	shift
	for t in $tools; do
		for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
			f=$d/$t
			[ -f "$f" ] && covers+=("$(readlink -f "$f")")
		done
	done
	unshare --mount --propagation private sh -c '
		n=$1; shift
		while [ "$n" -gt 0 ]; do mount --bind /dev/null "$1" || exit 99; shift; n=$((n - 1)); done
		exec "$@"' sh "${#covers[@]}" "${covers[@]}" "$@"
}

# sha256 of each file given, one line each (for before/after comparisons).
hashes() { (cd "$1" && shift && sha256sum "$@" 2>&1); }

# ---- a synthetic Windows (windows.sh, reproducible-windows.sh) ---------------

# The fixtures: $IMGBUILD_SHARED (default $REPO/../shared)/fixtures. Sets
# MINIMAL (an empty hive) and INF (driver INFs); skips when they are missing.
# The simulated illumos builds its kernel CTF from the shared struct vnode
# fixtures (tests/sim/illumos/sim-mksysroot).
sim_fixtures_ok() {
	local shared=${IMGBUILD_SHARED:-$REPO/../shared}
	[ -r "$shared/fixtures/illumos/vnode.h.struct-illumos-gate" ]
}
need_sim_fixtures() {
	sim_fixtures_ok ||
		skip "the struct vnode fixtures for the simulated illumos are missing in ${IMGBUILD_SHARED:-$REPO/../shared}/fixtures/illumos (set IMGBUILD_SHARED)"
}

# Whether the Windows fixtures are there (and MINIMAL, INF set), without skipping.
windows_fixtures_ok() {
	local shared=${IMGBUILD_SHARED:-$REPO/../shared}
	MINIMAL=$shared/fixtures/hives/minimal
	INF=$shared/fixtures/windows/inf
	command -v hivexsh >/dev/null 2>&1 && [ -r "$MINIMAL" ] && [ -r "$INF/viostor-built-2k12r2-amd64.inf" ] &&
		[ -r "$INF/netkvm-built-arm64.inf" ]
}
need_windows_fixtures() {
	need hivexsh
	local shared=${IMGBUILD_SHARED:-$REPO/../shared}
	MINIMAL=$shared/fixtures/hives/minimal
	INF=$shared/fixtures/windows/inf
	[ -r "$MINIMAL" ] || skip "fixture hive $MINIMAL is missing (set IMGBUILD_SHARED)"
	[ -r "$INF/viostor-built-2k12r2-amd64.inf" ] && [ -r "$INF/netkvm-built-arm64.inf" ] ||
		skip "fixture INFs are missing in $INF (set IMGBUILD_SHARED)"
}

# A Windows 10 Pro 19045 amd64 tree at DIR/Windows, generalized (Setup runs at
# the next boot): SYSTEM and SOFTWARE hives made with hivexsh from the fixture
# hive, a cmd.exe that is only an amd64 PE header.
make_windows() { # DIR
	local cfg=$1/Windows/System32/config
	mkdir -p "$cfg" "$1/Windows/System32/drivers"
	cp "$MINIMAL" "$cfg/SYSTEM" && cp "$MINIMAL" "$cfg/SOFTWARE" && chmod 0644 "$cfg/SYSTEM" "$cfg/SOFTWARE" ||
		die "cannot copy the fixture hive"
	# A StartOverride that would keep viostor off: the injector must remove it.
	hivexsh -w "$cfg/SYSTEM" >/dev/null <<'HIVE' || die "hivexsh SYSTEM failed"
add Select
cd Select
setval 1
Current
dword:1
cd \
add ControlSet001
cd ControlSet001
add Control
add Services
cd Services
add viostor
cd viostor
setval 1
Start
dword:3
add StartOverride
cd StartOverride
setval 1
0
dword:3
cd \
add DriverDatabase
cd DriverDatabase
add DeviceIds
cd \
add Setup
cd Setup
setval 3
SystemSetupInProgress
dword:1
OOBEInProgress
dword:1
SetupType
dword:2
commit
HIVE
	hivexsh -w "$cfg/SOFTWARE" >/dev/null <<'HIVE' || die "hivexsh SOFTWARE failed"
add Microsoft
cd Microsoft
add Windows NT
cd Windows NT
add CurrentVersion
cd CurrentVersion
setval 7
CurrentVersion
string:6.3
CurrentMajorVersionNumber
dword:10
CurrentMinorVersionNumber
dword:0
CurrentBuildNumber
string:19045
ProductName
string:Windows 10 Pro
InstallationType
string:Client
EditionID
string:Professional
cd \Microsoft
add Windows
cd Windows
add CurrentVersion
cd CurrentVersion
setval 1
DevicePath
expandstring:%SystemRoot%\inf
add Setup
cd Setup
add State
cd State
setval 1
ImageState
string:IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE
commit
HIVE
	# cmd.exe: only its PE header matters (the architecture: amd64).
	"$PY" - "$1/Windows/System32/cmd.exe" <<'PYEOF' || die "cannot write cmd.exe"
import sys
b = bytearray(1024)
b[0:2] = b"MZ"
b[0x3C:0x40] = (0x80).to_bytes(4, "little")
b[0x80:0x84] = b"PE\0\0"
b[0x84:0x86] = (0x8664).to_bytes(2, "little")
open(sys.argv[1], "wb").write(b)
PYEOF
}

# A driver folder: the fixture INF (retargeted like stampinf would), stand-in .sys and .cat.
make_driver() { # DIR NAME FIXTURE [SED]
	mkdir -p "$1"
	sed "${4:-}" "$INF/$3" >"$1/$2.inf"
	"$PY" -c 'import random,sys; r=random.Random(sys.argv[2]); open(sys.argv[1],"wb").write(b"MZ"+r.randbytes(7001))' "$1/$2.sys" "$2"
	"$PY" -c 'import random,sys; r=random.Random(sys.argv[2]); open(sys.argv[1],"wb").write(r.randbytes(3001))' "$1/$2.cat" "$2.cat"
}

# DIR/win.yml and what it uses: the synthetic Windows copied onto the NTFS
# partition of a GPT disk by files:, then windows: with viostor (boot-
# critical) and netkvm, a guest tool, a first-boot command and a registry
# value; reproducible (epoch 1700000000). Also DIR/extra for base: recipes.
# All of it belongs to the unprivileged user.
stage_windows() { # DIR
	local r=$1
	mkdir -p "$r/tools" "$r/extra"
	make_windows "$r/win"
	make_driver "$r/drivers/viostor" viostor viostor-built-2k12r2-amd64.inf
	make_driver "$r/drivers/netkvm" netkvm netkvm-built-arm64.inf 's/NTARM64/NTamd64/g'
	"$PY" -c 'import sys; open(sys.argv[1],"wb").write(bytes(range(256))*80)' "$r/tools/qemu-ga-x86_64.msi"
	echo "added by the base recipe" >"$r/extra/hello.txt"
	cat >"$r/win.yml" <<'YML'
imgbuild: 1
name: win
disk:
  size: 256MiB
  table: gpt
  partitions:
    - { name: esp, type: esp, size: 64MiB, fs: { type: fat32, label: ESP } }
    - { name: msr, type: msr, size: 16MiB }
    - name: windows
      size: rest
      fs: { type: ntfs, label: Windows }
      files: [ { src: win, dst: / } ]
      windows:
        drivers:
          - drivers/viostor
          - { path: drivers/netkvm, select: [NetKVM] }
        guest_tools: [ { src: tools/qemu-ga-x86_64.msi, args: /qn } ]
        first_boot: [ 'powercfg /hibernate off' ]
        registry:
          - { hive: SOFTWARE, key: 'imgbuild\Test', name: Hello, type: sz, data: world }
outputs: [ { format: qcow2 }, { format: raw } ]
reproducible: { epoch: 1700000000, seed: windows }
YML
	chown -R "$NOBODY:$NOBODY" "$r"
}

# ---- synthetic hive sets (windows-parity.sh, windows-versions.sh) -----------

# What the hive-set tests share: their requirements, $T, the staged
# Windows in $R (stage_windows) with a stand-in service wrapper
# ($R/tools/rhsrvany.exe), its hive folder $CFG, and copies of the hives as
# staged in $T/SYSTEM.orig and $T/SOFTWARE.orig.
stage_hive_sets() {
	need_all
	need hivexget hivexsh
	need_windows_fixtures
	setup_tmp
	R=$T/r
	stage_windows "$R"
	"$PY" -c 'import sys; b=bytearray(4096); b[0:2]=b"MZ"; open(sys.argv[1],"wb").write(b)' "$R/tools/rhsrvany.exe"
	CFG=$R/win/Windows/System32/config
	cp "$CFG/SYSTEM" "$T/SYSTEM.orig"
	cp "$CFG/SOFTWARE" "$T/SOFTWARE.orig"
}

# SOFTWARE's CurrentVersion of a Windows 10 Pro of this build (hivexsh's
# setval replaces every value of the key: all of them). Windows keeps the
# build twice, CurrentBuildNumber and CurrentBuild; wimlib reads the second.
# EDITION and PRODUCT default to Professional, "Windows 10 Pro".
hives_set_win10_build() { # SOFTWARE_HIVE BUILD [EDITION PRODUCT]
	hivexsh -w "$1" >/dev/null <<HIVE || die "hivexsh cannot set the version in $1"
cd \Microsoft\Windows NT\CurrentVersion
setval 10
CurrentVersion
string:6.3
CurrentMajorVersionNumber
dword:10
CurrentMinorVersionNumber
dword:0
CurrentBuildNumber
string:$2
CurrentBuild
string:$2
UBR
dword:0x00000cb5
ProductName
string:${4:-Windows 10 Pro}
InstallationType
string:Client
EditionID
string:${3:-Professional}
SystemRoot
string:C:\WINDOWS
commit
HIVE
}

# DriverDatabase only in the DRIVERS hive (as serviced images may have it):
# removed from CFG/SYSTEM, a DRIVERS hive made from the fixture with the
# empty database.
hives_ddb_only_in_drivers() { # CFG
	hivexsh -w "$1/SYSTEM" >/dev/null <<'HIVE' || die "hivexsh"
cd \DriverDatabase
del
commit
HIVE
	cp "$MINIMAL" "$1/DRIVERS"
	chmod 644 "$1/DRIVERS"
	hivexsh -w "$1/DRIVERS" >/dev/null <<'HIVE' || die "hivexsh"
add DriverDatabase
cd DriverDatabase
add DeviceIds
add DriverPackages
add DriverInfFiles
commit
HIVE
}

# A device-installation restriction in CFG/SOFTWARE as Group Policy writes
# it: Restrictions\KIND=1 and its list KIND\1=VALUE.
hives_restrict() { # CFG KIND VALUE
	hivexsh -w "$1/SOFTWARE" >/dev/null <<HIVE || die "hivexsh"
add Policies
cd Policies
add Microsoft
cd Microsoft
add Windows
cd Windows
add DeviceInstall
cd DeviceInstall
add Restrictions
cd Restrictions
setval 1
$2
dword:1
add $2
cd $2
setval 1
1
string:$3
commit
HIVE
}

# ---- reproducible builds (reproducible.sh, reproducible-windows.sh) ----------

# A copy of $1 at $2 with the same names and contents, made children-first
# in reverse name order, every entry with its own new mtime (so inode order,
# directory order and mtimes all differ from the original).
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
	[ "$(cd "$1" && find . -printf '%P %T@\n' | sort | sha256sum)" != \
		"$(cd "$2" && find . -printf '%P %T@\n' | sort | sha256sum)" ] ||
		die "the scrambled copy of $1 has the same mtimes"
}

# The two worlds builds run in: $T/w/tmp and $T/w/tmp2 as TMPDIR, output
# directories $T/w/one/... and $T/w/two/a/much/longer/path/...
setup_worlds() {
	mkdir -p "$T/w/tmp2" "$T/w/one" "$T/w/two/a/much/longer/path"
	chown -R "$NOBODY:$NOBODY" "$T/w"
}

# rbuild WORLD RECIPE OUT [args]: build as the unprivileged user in world 1
# (TMPDIR $T/w/tmp, umask 022, TZ UTC, C locale) or world 2 (TMPDIR
# $T/w/tmp2, umask 077, TZ Pacific/Chatham, C.UTF-8); sets BUILD_RC, writes
# $T/build.json and $T/build.err. ENVX (an array) adds environment
# (SOURCE_DATE_EPOCH).
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
