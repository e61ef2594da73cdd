#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reproducible mode for the bundled example (recipes/example.yml) and for a
# Windows build (the recipe and synthetic Windows of windows.sh: files:, then
# the offline injector writing drivers, first-boot scripts and hives). Each
# is built twice as the unprivileged user in the two worlds of lib.sh's
# rbuild (output directory and its path length, TMPDIR, umask 022/077, TZ,
# locale, time of day), the second from a copy of its inputs made in
# reverse order with other mtimes. Every output's sha256 must be equal.
# The example is switched on with --set reproducible.epoch/.seed, the
# Windows recipe by its own `reproducible:` in world 1 and in world 2 by
# SOURCE_DATE_EPOCH, which wins over the other epoch its recipe says there.
# The Windows build is made a third time on simulated illumos: same bytes.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv qemu-img sha256sum cmp "$PY"
need_windows_fixtures
setup_tmp
setup_worlds
EPOCH=1700000000

# ---- the bundled example ----
cp -a "$REPO/recipes" "$T/ex1"
scrambled_copy "$T/ex1" "$T/ex2"
chown -R "$NOBODY:$NOBODY" "$T/ex1" "$T/ex2"
ENVX=()
rbuild 1 "$T/ex1/example.yml" "$T/w/one/example" --set reproducible.epoch=$EPOCH --set reproducible.seed=example
expect_build_rc 0
sleep 1 # another second of the clock
rbuild 2 "$T/ex2/example.yml" "$T/w/two/a/much/longer/path/example" \
	--set reproducible.epoch=$EPOCH --set reproducible.seed=example
expect_build_rc 0
same_outputs example "$T/w/one/example" "$T/w/two/a/much/longer/path/example"
assert_dir_holds "$T/w/one/example" example.qcow2

# ---- a Windows build ----
stage_windows "$T/wr1"
scrambled_copy "$T/wr1" "$T/wr2"
sed -i 's/^reproducible: { epoch: [0-9]*,/reproducible: { epoch: 1,/' "$T/wr2/win.yml"
grep -q '^reproducible: { epoch: 1,' "$T/wr2/win.yml" || die "cannot change the epoch of win.yml in world 2"
chown -R "$NOBODY:$NOBODY" "$T/wr2"
ENVX=()
rbuild 1 "$T/wr1/win.yml" "$T/w/one/win"
expect_build_rc 0
sleep 1
ENVX=(SOURCE_DATE_EPOCH=$EPOCH)
rbuild 2 "$T/wr2/win.yml" "$T/w/two/a/much/longer/path/win"
expect_build_rc 0
# The injector really ran in both (not two identical images without it).
assert_matches "world 2: the Windows report is verified" '"verified":true' "$T/build.json"
same_outputs windows "$T/w/one/win" "$T/w/two/a/much/longer/path/win"
assert_dir_holds "$T/w/one/win" win.qcow2 win.raw

# ---- the same Windows build on simulated illumos ----
# The platform code paths of illumos (tests/sim/illumos: lofiadm and modinfo
# stand-ins, a sysroot) run on Linux; the outputs must be the very same bytes
# as on Linux, which is what Helios/OmniOS-vs-Linux parity means.
SIM=$REPO/tests/sim/illumos
if command -v cc >/dev/null && command -v objcopy >/dev/null && "$SIM/sim-mksysroot" "$T/sysroot" >"$T/mksysroot.txt" 2>&1; then
	chmod -R a+rX "$T/sysroot"
	mkdir -p "$T/w/illumos"
	chown "$NOBODY:$NOBODY" "$T/w/illumos"
	ENVX=(SOURCE_DATE_EPOCH=$EPOCH PATH="$SIM:$PATH" IMGBUILD_PLATFORM=illumos IMGBUILD_SYSROOT="$T/sysroot")
	rbuild 1 "$T/wr2/win.yml" "$T/w/illumos/win"
	expect_build_rc 0
	assert_matches "illumos: the Windows report is verified" '"verified":true' "$T/build.json"
	same_outputs "windows, Linux vs simulated illumos" "$T/w/one/win" "$T/w/illumos/win"
else
	log "SKIP part: cannot make the simulated illumos sysroot (needs cc and objcopy): $(tail -n 3 "$T/mksysroot.txt" 2>/dev/null)"
fi
finish
