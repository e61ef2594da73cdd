#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# imgbuild check: passes on this machine (with the canary mount), as a user
# loop/FUSE problems are warnings unless --backend mount; fabricated broken
# systems (no /dev/fuse, fuse not registered, a tool missing) fail with 3;
# a device left by a dead build is reported; and the illumos code path on
# the simulated illumos (tests/sim/illumos, SYNTHETIC CTF): a matching fuse
# module passes with a canary mount through the lofiadm stand-in, an
# illumos-joyent module on a gate kernel fails with 3, the message the map (../shared/DESIGN.md) gives,
# and no mount attempted. No loop device or lofi mapping is left behind.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need_loop
need_fuse
need setpriv mkntfs losetup "$PY"
setup_tmp

SIM=$REPO/tests/sim/illumos
SIMROOTS=()
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	local r
	for r in "${SIMROOTS[@]}"; do
		IMGBUILD_SYSROOT=$r "$SIM/lofiadm" --sim-cleanup 2>/dev/null
	done
	cleanup
}
trap on_exit EXIT

# check_run NAME EXPECTED_RC [imgbuild check args...]: output in $T/NAME.out.
check_run() {
	local name=$1 want=$2 rc
	shift 2
	"$IMGBUILD" check "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	log "check $* -> exit $rc"
	if [ $rc -ne "$want" ]; then
		fail "$name: imgbuild check $* exited with $rc, expected $want"
		sed 's/^/  | /' "$T/$name.out" "$T/$name.err" | head -n 60
	fi
}
# json_status FILE NAME: the status of check NAME in a --json result.
json_status() {
	jget "$1" "[c['status'] for c in d['checks'] if c['name']=='$2'][0] if [c for c in d['checks'] if c['name']=='$2'] else 'absent'"
}
our_loops() { losetup -a 2>/dev/null | grep -F "$T" || true; }

# ---- this machine ----------------------------------------------------------------
check_run host 0
for name in mkntfs qemu-img /dev/loop-control /dev/fuse "kernel fuse" fusermount3 ntfs-3g; do
	grep -qE "^ok +[a-z]+ +$name " "$T/host.out" || fail "host: no ok line for $name"
done
assert_matches "host: versions" "mkntfs: mkntfs v[0-9]" "$T/host.out"
assert_matches "host: ntfs-3g version" "ntfs-3g: ntfs-3g [0-9]+\\." "$T/host.out"
assert_matches "host: summary" "^[0-9]+ ok, [0-9]+ warning\\(s\\), 0 failed$" "$T/host.out"

check_run canary 0 --canary --json
"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/canary.out" || fail "check --json is not one JSON document"
assert_eq "canary status" ok "$(json_status "$T/canary.out" "canary mount")"
assert_eq "json ok" True "$(jget "$T/canary.out" 'd["ok"]')"
assert_eq "json platform" linux "$(jget "$T/canary.out" 'd["platform"]')"

# With a recipe: only its tools, and the free space for its outputs.
stage_recipe small
check_run recipe 0 "$R" -o "$T/w/out"
assert_matches "recipe: free space" "^ok +space +free space +.* free in .*the raw image is sparse" "$T/recipe.out"

# ---- as a user -----------------------------------------------------------------
run_unpriv "$IMGBUILD" check >"$T/user.out" 2>&1
rc=$?
assert_eq "user check exit (loop/FUSE are warnings for --backend lib)" 0 "$rc"
assert_matches "user: privileges warned" "^warn +loop +privileges .*not root" "$T/user.out"
assert_contains "user: the reason it is only a warning" "needed only for --backend mount" "$T/user.out"
run_unpriv "$IMGBUILD" check --backend mount >"$T/user-mount.out" 2>&1
rc=$?
assert_eq "user check --backend mount exit" 3 "$rc"
assert_matches "user --backend mount: privileges fail" "^fail +loop +privileges" "$T/user-mount.out"

# ---- fabricated broken Linux systems ---------------------------------------------
mkroot() { # DIR: a sysroot where the FUSE checks pass
	mkdir -p "$1/dev" "$1/proc/sys/kernel"
	ln -s /dev/fuse "$1/dev/fuse"
	ln -s /dev/loop-control "$1/dev/loop-control"
	printf 'nodev\tsysfs\nnodev\tfusectl\n\tfuseblk\nnodev\tfuse\n' >"$1/proc/filesystems"
	echo 6.1.0-e2e >"$1/proc/sys/kernel/osrelease"
}
mkroot "$T/good"
IMGBUILD_SYSROOT=$T/good check_run good 0

mkroot "$T/nofuse"
rm "$T/nofuse/dev/fuse"
IMGBUILD_SYSROOT=$T/nofuse check_run nofuse 3
assert_matches "no /dev/fuse" "^fail +fuse +/dev/fuse +$T/nofuse/dev/fuse: No such file or directory" "$T/nofuse.out"
assert_contains "no /dev/fuse: remedy" "modprobe fuse" "$T/nofuse.out"

mkroot "$T/nofs"
printf 'nodev\tsysfs\n\text4\n' >"$T/nofs/proc/filesystems"
IMGBUILD_SYSROOT=$T/nofs check_run nofs 3
assert_matches "fuse not registered" "^fail +fuse +kernel fuse +fuse is not in .*no fuse module exists for kernel 6.1.0-e2e" "$T/nofs.out"

mkroot "$T/vermagic"
mkdir -p "$T/vermagic/lib/modules/6.1.0-e2e/updates/dkms"
printf '\177ELF\0license=GPL\0vermagic=5.10.0-old SMP mod_unload\0' >"$T/vermagic/lib/modules/6.1.0-e2e/updates/dkms/fuse.ko"
IMGBUILD_SYSROOT=$T/vermagic check_run vermagic 3
assert_contains "wrong vermagic" "was built for kernel 5.10.0-old (vermagic '5.10.0-old SMP mod_unload'), the running kernel is 6.1.0-e2e" "$T/vermagic.out"

if private_mounts_ok; then
	without_tools "mkntfs fusermount3" "$IMGBUILD" check >"$T/notools.out" 2>&1
	assert_eq "check without mkntfs and fusermount3: exit" 3 "$?"
	assert_matches "mkntfs missing" "^fail +tools +mkntfs +not found in PATH" "$T/notools.out"
	assert_contains "mkntfs remedy" "install the Debian package ntfs-3g" "$T/notools.out"
	assert_matches "fusermount3 missing" "^fail +fuse +fusermount3 +fusermount3 not found in PATH" "$T/notools.out"
else
	echo "SKIP-PART: the missing-tools case: $PRIVATE_MOUNTS_WHY"
fi

# ---- a device left by a dead build ----------------------------------------------
sh -c 'exit 0' &
deadpid=$!
wait $deadpid
mkdir -p "$T/w/out/.imgbuild-gone.$deadpid.work"
truncate -s 1M "$T/w/out/.imgbuild-gone.$deadpid.work/disk.raw"
dev=$(losetup -f --show "$T/w/out/.imgbuild-gone.$deadpid.work/disk.raw") && LOOPS+=("$dev")
check_run stale 0
assert_matches "stale device reported" "^warn +loop +leftover devices +$dev .* left by build $deadpid \\(dead\\)" "$T/stale.out"
losetup -d "$dev"

# ---- simulated illumos ---------------------------------------------------------------
if ! sim_fixtures_ok; then
	if [ "${CI:-}" = true ]; then
		fail "the simulated illumos: its fixtures are missing (set IMGBUILD_SHARED)"
	else
		echo "SKIP-PART: the simulated illumos: its struct vnode fixtures are missing (set IMGBUILD_SHARED)"
	fi
elif command -v cc >/dev/null && command -v objcopy >/dev/null && [ -f "$REPO/tests/ctf/mkctf.c" ]; then
	for abi in gate joyent; do
		"$SIM/sim-mksysroot" "$T/ill-$abi" --fuse-abi "$abi" >"$T/mksysroot.log" 2>&1 ||
			{ fail "sim-mksysroot --fuse-abi $abi failed"; sed 's/^/  | /' "$T/mksysroot.log"; }
		SIMROOTS+=("$T/ill-$abi")
	done
	export IMGBUILD_PLATFORM=illumos
	PATH=$SIM:$PATH IMGBUILD_SYSROOT=$T/ill-gate check_run ill-gate 0 --canary
	assert_matches "illumos: platform line" "^platform illumos, sysroot $T/ill-gate$" "$T/ill-gate.out"
	assert_matches "illumos: lofiadm" "^ok +loop +lofiadm " "$T/ill-gate.out"
	assert_matches "illumos: ABI ok" "^ok +fuse +fuse ABI \\(CTF\\)" "$T/ill-gate.out"
	assert_matches "illumos: ABI ok names what it compared" "fuse ABI \\(CTF\\) +struct vnode: 216 bytes, same layout as the kernel's" "$T/ill-gate.out"
	assert_matches "illumos: canary through lofi" "^ok +fuse +canary mount" "$T/ill-gate.out"

	PATH=$SIM:$PATH IMGBUILD_SYSROOT=$T/ill-joyent check_run ill-joyent 3 --canary
	assert_contains "illumos: ABI mismatch message" "was built against a struct vnode of 224 bytes (v_type at 0x30, has v_phantom_count); the running kernel's is 216 bytes (v_type at 0x28): the module was built for another illumos distribution; install the package built for this one" "$T/ill-joyent.out"
	assert_matches "illumos: no mount attempted" "^warn +fuse +canary mount +not attempted" "$T/ill-joyent.out"
	for r in "${SIMROOTS[@]}"; do
		left=$(IMGBUILD_SYSROOT=$r "$SIM/lofiadm" | tail -n +2)
		[ -z "$left" ] || fail "lofi mappings left in $r: $left"
	done
	unset IMGBUILD_PLATFORM
else
	log "SKIP simulated illumos part: needs cc, objcopy and tests/ctf/mkctf.c"
fi

left=$(our_loops)
[ -z "$left" ] || fail "loop devices left behind: $left"
finish
