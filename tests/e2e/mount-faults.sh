#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults during --backend mount builds (as root), on Linux and on simulated
# illumos (tests/sim/illumos):
#  - SIGTERM when each step starts (the --json step-start event), and once
#    more in the middle of the NTFS copy (the ntfs-3g mount is up): exit 143,
#    and no mount under the test dir, no loop device backed by a file in it
#    (losetup -a), no lofi mapping, no output and no .imgbuild-* leftover.
#    Slow stand-ins for mkfs.fat, mkntfs, ntfs-3g and qemu-img (0.3 s, then
#    the real program) keep each step open long enough for the signal to land
#    inside it.
#  - SIGKILL in the middle of the copy leaves the mount, the device and the
#    work dir (checked: the fault is real); `imgbuild check` reports the
#    device as left by the dead build, and the next build reports and
#    releases everything (mount, device, work dir) and succeeds.
#  - A device left attached on purpose (losetup without autoclear, its file
#    in a dead build's work dir) is released by the next build, which says
#    "released loopN, left by build PID (dead)".
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need losetup cc objcopy flock "$PY"
need_loop
need_fuse
need_sim_fixtures
setup_tmp
SIM=$REPO/tests/sim/illumos
SYSROOT=$T/sysroot
mine_cleanup() {
	local m
	for m in $(awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts 2>/dev/null | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	[ -d "$SYSROOT" ] && IMGBUILD_SYSROOT=$SYSROOT "$SIM/lofiadm" --sim-cleanup 2>/dev/null
	losetup -a 2>/dev/null | grep -F "$T/" | cut -d: -f1 | while read -r l; do losetup -d "$l" 2>/dev/null; done
	cleanup
}
trap mine_cleanup EXIT

stage_recipe small
chmod -R a+rX "$T/r"
"$SIM/sim-mksysroot" "$SYSROOT" >"$T/mksysroot.txt" 2>&1 || { cat "$T/mksysroot.txt"; die "sim-mksysroot failed"; }

# Slow stand-ins: sleep, then the real program.
mkdir -p "$T/fakebin"
for t in mkfs.fat mkntfs ntfs-3g qemu-img; do
	real=$(command -v "$t") || skip "$t is not installed"
	printf '#!/bin/sh\nsleep 0.3\nexec %s "$@"\n' "$real" >"$T/fakebin/$t"
	chmod 0755 "$T/fakebin/$t"
done

plan_json "$R" "$T/plan.json" || finish
NSTEPS=$(jget "$T/plan.json" 'len(d["steps"])')

PLAT=linux
envs() {
	if [ "$PLAT" = illumos ]; then
		echo PATH="$T/fakebin:$SIM:$PATH" IMGBUILD_PLATFORM=illumos IMGBUILD_SYSROOT="$SYSROOT"
	else
		echo PATH="$T/fakebin:$PATH"
	fi
}
# start_build OUT: in the background (pid in BPID), events in $T/build.json.
start_build() {
	# shellcheck disable=SC2046
	env $(envs) "$IMGBUILD" build "$R" -o "$1" --backend mount --json >"$T/build.json" 2>"$T/build.err" &
	BPID=$!
	BGPIDS+=("$BPID")
}
# wait_for CMD...: poll (10 ms) until CMD succeeds or the build ends.
wait_for() {
	local _
	for _ in $(seq 1 1500); do
		"$@" && return 0
		kill -0 "$BPID" 2>/dev/null || { "$@"; return; }
		sleep 0.01
	done
	return 1
}
step_started() { grep -qE '"event":"step-start".*"step":'"$1"'[,}]' "$T/build.json"; }
mounted_in() { awk -v t="$1/" 'index($2, t) == 1 {f=1} END {exit !f}' /proc/mounts; }
finish_build() {
	wait "$BPID"
	BUILD_RC=$?
	BGPIDS=()
}

# Nothing of the test's builds left anywhere.
assert_clean() { # WHAT OUT
	local left
	left=$(awk -v t="$T/" 'index($2, t) == 1' /proc/mounts)
	[ -z "$left" ] || { fail "$1: mounts left:"; echo "$left" | sed 's/^/  /'; }
	left=$(losetup -a 2>/dev/null | grep -F "$T/")
	[ -z "$left" ] || { fail "$1: loop devices left:"; echo "$left" | sed 's/^/  /'; }
	left=$(find "$SYSROOT/.sim/lofi" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
	[ -z "$left" ] || fail "$1: lofi mappings left: $left"
	left=$(find "$T/w" -name '.imgbuild-*' 2>/dev/null)
	[ -z "$left" ] || { fail "$1: temporary files left:"; echo "$left" | sed 's/^/  /'; }
}

term_case() { # WHAT OUT CONDITION...
	local what=$1 out=$2
	shift 2
	start_build "$out"
	if ! wait_for "$@"; then
		fail "$what: the build never got there (it ended first?)"
		finish_build
		show_build_output
		return
	fi
	kill -TERM "$BPID" 2>/dev/null
	finish_build
	log "$PLAT: SIGTERM $what -> exit $BUILD_RC"
	expect_build_rc 143
	assert_dir_holds "$out"
	assert_clean "$PLAT: SIGTERM $what" "$out"
}

for PLAT in linux illumos; do
	for ((k = 1; k <= NSTEPS; k++)); do
		title=$(jget "$T/plan.json" "d['steps'][$k - 1]['title']")
		term_case "at step $k ($title)" "$T/w/$PLAT-term-$k" step_started "$k"
	done

	# A copy long enough to be in the middle of (the NTFS partition has
	# about 62 MiB): 12 links to 4 MiB.
	mkdir -p "$T/r/payload/data/bulk"
	head -c $((4 * MiB)) /dev/urandom >"$T/r/payload/data/bulk/f00.bin"
	for i in $(seq -w 1 11); do ln -f "$T/r/payload/data/bulk/f00.bin" "$T/r/payload/data/bulk/f$i.bin"; done
	# Many small files keep the copy through FUSE going for seconds, however
	# fast the machine: each one costs several round trips to ntfs-3g.
	mkdir -p "$T/r/payload/data/bulk/many"
	(cd "$T/r/payload/data/bulk/many" && seq -w 1 3000 | xargs touch)
	term_case "mid-copy (ntfs-3g mounted)" "$T/w/$PLAT-term-copy" mounted_in "$T/w/$PLAT-term-copy"

	# SIGKILL mid-copy: the mount, the device and the work dir stay.
	out=$T/w/$PLAT-kill
	start_build "$out"
	wait_for mounted_in "$out" || fail "$PLAT kill: the NTFS volume was never mounted"
	kill -KILL "$BPID"
	finish_build
	deadpid=$BPID
	log "$PLAT: SIGKILL mid-copy (build $deadpid) -> exit $BUILD_RC"
	rm -rf "$T/r/payload/data/bulk"
	mounted_in "$out" || fail "$PLAT kill: no mount left after SIGKILL (the fault did not happen)"
	[ -d "$out/.imgbuild-small.$deadpid.work" ] || fail "$PLAT kill: no work dir left after SIGKILL"
	if [ "$PLAT" = linux ]; then
		losetup -a | grep -qF "$out/.imgbuild-small.$deadpid.work" ||
			fail "$PLAT kill: no loop device left after SIGKILL (ntfs-3g holds it)"
	else
		find "$SYSROOT/.sim/lofi" -mindepth 1 -maxdepth 1 -type d | grep -q . ||
			fail "$PLAT kill: no lofi mapping left after SIGKILL"
	fi
	# shellcheck disable=SC2046
	env $(envs) "$IMGBUILD" check >"$T/check.out" 2>&1
	assert_matches "$PLAT: check reports the dead build's device" "left by build $deadpid \\(dead\\)" "$T/check.out"
	# The next build: reports what it releases, then builds.
	start_build "$out"
	finish_build
	log "$PLAT: the next build -> exit $BUILD_RC"
	grep -F '"event":"info"' "$T/build.json" | sed 's/^/    /'
	expect_build_rc 0
	assert_matches "$PLAT: next build unmounts the dead build's mount" \
		"\"unmounted [^\"]*\\.imgbuild-small\\.$deadpid\\.work/mnt-p2, left by build $deadpid \\(dead\\)\"" "$T/build.json"
	assert_matches "$PLAT: next build removes the dead build's work dir" \
		"\"removed [^\"]*\\.imgbuild-small\\.$deadpid\\.work, left by build $deadpid \\(dead\\)\"" "$T/build.json"
	[ "$PLAT" = illumos ] && assert_matches "$PLAT: next build releases the lofi mapping" \
		"\"released [^\"]*, left by build $deadpid \\(dead\\)\"" "$T/build.json"
	assert_dir_holds "$out" small.raw small.qcow2
	rm -rf "$out"
	assert_clean "$PLAT: after the next build"
done

# Reclaim everywhere: a mount build killed in one directory is listed by
# `check` with the command that releases it, and released by `check --fix`,
# or by a lib build into any other directory.
PLAT=linux
kill_mid_copy() { # OUT: a mount build killed while ntfs-3g is mounted
	mkdir -p "$T/r/payload/data/bulk/many"
	(cd "$T/r/payload/data/bulk/many" && seq -w 1 3000 | xargs touch)
	start_build "$1"
	wait_for mounted_in "$1" || fail "reclaim: the NTFS volume was never mounted"
	kill -KILL "$BPID"
	finish_build
	deadpid=$BPID
	rm -rf "$T/r/payload/data/bulk"
	mounted_in "$1" || fail "reclaim: no mount left after SIGKILL (the fault did not happen)"
}
kill_mid_copy "$T/w/reclaim-a"
"$IMGBUILD" check >"$T/check.out" 2>&1
assert_matches "check lists the dead build's mount with the command" \
	"leftover mounts +$T/w/reclaim-a/\\.imgbuild-small\\.$deadpid\\.work/mnt-p2 left by build $deadpid \\(dead\\)" "$T/check.out"
assert_contains "check names the command" "umount $T/w/reclaim-a/.imgbuild-small.$deadpid.work/mnt-p2" "$T/check.out"
"$IMGBUILD" check --fix -o "$T/w/reclaim-a" >"$T/fix.out" 2>&1
assert_matches "check --fix says what it released" "^fixed: unmounted .*\\.imgbuild-small\\.$deadpid\\.work/mnt-p2" "$T/fix.out"
mounted_in "$T/w/reclaim-a" && fail "check --fix left the mount"
losetup -a | grep -qF "$T/w/reclaim-a/" && fail "check --fix left the loop device"
rm -rf "$T/w/reclaim-a"
kill_mid_copy "$T/w/reclaim-b"
"$IMGBUILD" build "$R" -o "$T/w/reclaim-other" --json >"$T/build.json" 2>"$T/build.err"
assert_eq "a lib build elsewhere: exit status" 0 "$?"
assert_matches "a lib build elsewhere unmounts the dead build's mount" \
	"\"unmounted [^\"]*reclaim-b/\\.imgbuild-small\\.$deadpid\\.work/mnt-p2, left by build $deadpid \\(dead\\)\"" "$T/build.json"
mounted_in "$T/w/reclaim-b" && fail "a lib build elsewhere left the mount"
losetup -a | grep -qF "$T/w/reclaim-b/" && fail "a lib build elsewhere left the loop device"
rm -rf "$T/w/reclaim-b" "$T/w/reclaim-other"
assert_clean "after check --fix and a lib build elsewhere"

# A device left attached on purpose (no autoclear) to a file in a dead
# build's work dir: released by the next build, which says so.
PLAT=linux
out=$T/w/stale
deadpid=$(sh -c 'echo $$')
mkdir -p "$out/.imgbuild-small.$deadpid.work"
truncate -s 4M "$out/.imgbuild-small.$deadpid.work/disk.raw"
dev=$(losetup -f --show "$out/.imgbuild-small.$deadpid.work/disk.raw") || die "losetup failed"
start_build "$out"
finish_build
log "stale device $dev of build $deadpid; the next build -> exit $BUILD_RC"
grep -F '"event":"info"' "$T/build.json" | sed 's/^/    /'
expect_build_rc 0
assert_matches "next build releases the stale device" "\"released ${dev#/dev/}, left by build $deadpid \\(dead\\)\"" "$T/build.json"
assert_dir_holds "$out" small.raw small.qcow2
rm -rf "$out"
assert_clean "after the stale device"
finish
