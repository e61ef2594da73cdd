#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The boot driver injected into installed Windows 7, Windows 11 and Windows
# Server 2022 images (synthetic hive sets, as the references see them:
# docs/windows-parity.md), from a virtio-win tree whose folders hold
# different binaries, every value read back with hivexget from the image
# through a read-only ntfs-3g mount. For each version:
# - the virtio-win folder the version needs (w7, w11, 2k22; not w10 or 2k19)
#   is the one copied in;
# - Services\viostor Start 0 and no StartOverride;
# - Windows 7: CriticalDeviceDatabase\PCI#<id> Service and ClassGUID;
#   11 and 2022 with DriverDatabase only in the DRIVERS hive: the binding is
#   written into SYSTEM and mirrored into DRIVERS;
# - the service mechanism: Parameters\CommandLine and a literal, shorter PWD
#   on the system root's drive;
# - pnputil: -i -a on 7, /add-driver /install on 11 and 2022;
# - a Group Policy denying the storage class: exit 2, no output.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
stage_hive_sets
STORAGE='{4d36e97b-e325-11ce-bfc1-08002be10318}'

# A virtio-win tree: viostor for several OS folders, each with its own .sys
# (make_driver seeds the bytes with the name), the INF retargeted for 6.1
# where the folder is Windows 7's.
for os in w7 w10 w11 2k19 2k22; do
	d=$R/virtio-win/viostor/$os/amd64
	sedexpr=
	[ $os = w7 ] && sedexpr='s/NTamd64\.6\.3/NTamd64.6.1/g'
	make_driver "$d" viostor viostor-built-2k12r2-amd64.inf "$sedexpr"
	"$PY" -c 'import random,sys; r=random.Random(sys.argv[2]); open(sys.argv[1],"wb").write(b"MZ"+r.randbytes(7001))' \
		"$d/viostor.sys" "viostor-$os"
done

recipe() { # FILE [windows: lines...]
	local f=$1
	shift
	{
		sed -n '1,/^      windows:/p' "$R/win.yml"
		echo "        drivers: [ { path: virtio-win, select: [viostor] } ]"
		for l in "$@"; do echo "        $l"; done
		echo "outputs: [ { format: raw } ]"
		echo "reproducible: { epoch: 1700000000, seed: versions }"
	} >"$f"
	chown -R "$NOBODY:$NOBODY" "$R"
}

# set_version CURRENT_VERSION MAJOR BUILD PRODUCT TYPE EDITION SYSTEMROOT:
# SOFTWARE's CurrentVersion as that Windows has it (MAJOR 0: no
# CurrentMajorVersionNumber, as before Windows 10); an installed image.
set_version() {
	cp "$T/SYSTEM.orig" "$CFG/SYSTEM"
	cp "$T/SOFTWARE.orig" "$CFG/SOFTWARE"
	rm -f "$CFG/DRIVERS"
	local majmin=
	[ "$2" = 0 ] || majmin=$(printf 'CurrentMajorVersionNumber\ndword:%s\nCurrentMinorVersionNumber\ndword:0' "$2")
	local n=6
	[ -z "$majmin" ] || n=8
	hivexsh -w "$CFG/SOFTWARE" >/dev/null <<HIVE || die "hivexsh SOFTWARE"
cd \Microsoft\Windows NT\CurrentVersion
setval $n
CurrentVersion
string:$1
${majmin:+$majmin
}CurrentBuildNumber
string:$3
ProductName
string:$4
InstallationType
string:$5
EditionID
string:$6
SystemRoot
string:$7
cd \Microsoft\Windows\CurrentVersion\Setup\State
setval 1
ImageState
string:IMAGE_STATE_COMPLETE
commit
HIVE
	hivexsh -w "$CFG/SYSTEM" >/dev/null <<'HIVE' || die "hivexsh SYSTEM"
cd \Setup
setval 3
SystemSetupInProgress
dword:0
OOBEInProgress
dword:0
SetupType
dword:0
commit
HIVE
}

# No DriverDatabase anywhere: Windows 7.
no_ddb() {
	hivexsh -w "$CFG/SYSTEM" >/dev/null <<'HIVE' || die "hivexsh"
cd \DriverDatabase
del
commit
HIVE
}

deny_storage_class() { hives_restrict "$CFG" DenyDeviceClasses "$STORAGE"; }

# check_version LABEL FOLDER SYSTEMROOT PNPUTIL_PATTERN DDB(yes/no)
check_version() {
	local label=$1 folder=$2 sysroot=$3 pnp=$4 ddb=$5
	recipe "$R/$label.yml" "first_boot_mechanism: service" "service_wrapper: tools/rhsrvany.exe"
	rm -rf "$T/w/out"
	ib_build "$R/$label.yml" "$T/w/out"
	expect_build_rc 0 || return 0
	plan_json "$R/$label.yml" "$T/plan.json" || return 0
	local j="[q for q in d['partitions'] if q['number']==3][0]"
	attach "$T/w/out/win.raw" "$(jget "$T/plan.json" "${j}['offset']")" "$(jget "$T/plan.json" "${j}['size']")" || return 0
	local M=$T/mnt/$label
	mount_ntfs_ro "$LOOPDEV" "$M" || { detach "$LOOPDEV"; return 0; }
	local SYS=$M/Windows/System32/config/SYSTEM DRV=$M/Windows/System32/config/DRIVERS

	cmp -s "$M/Windows/System32/drivers/viostor.sys" "$R/virtio-win/viostor/$folder/amd64/viostor.sys" ||
		fail "$label: System32\\drivers\\viostor.sys is not the one from viostor/$folder/amd64"
	assert_eq "$label: Services\\viostor Start" 0 "$(hivexget "$SYS" 'ControlSet001\Services\viostor' Start 2>&1)"
	hivexget "$SYS" 'ControlSet001\Services\viostor\StartOverride' >/dev/null 2>&1 &&
		fail "$label: StartOverride is still there"

	local id='PCI\VEN_1AF4&DEV_1001' pkg='imgbuild_viostor.inf_amd64_0000000000000000'
	if [ "$ddb" = yes ]; then
		local h
		for h in SYS DRV; do
			[ -n "$(hivexget "${!h}" "DriverDatabase\\DeviceIds\\$id" imgbuild_viostor.inf 2>/dev/null | od -An -tx1)" ] ||
				fail "$label: $h: DriverDatabase\\DeviceIds\\$id does not bind imgbuild_viostor.inf"
			assert_eq "$label: $h: DriverInfFiles Active" "$pkg" \
				"$(hivexget "${!h}" 'DriverDatabase\DriverInfFiles\imgbuild_viostor.inf' Active 2>&1)"
		done
	else
		local cddb='ControlSet001\Control\CriticalDeviceDatabase\PCI#VEN_1AF4&DEV_1001'
		assert_eq "$label: CriticalDeviceDatabase Service" viostor "$(hivexget "$SYS" "$cddb" Service 2>&1)"
		assert_eq "$label: CriticalDeviceDatabase ClassGUID" "$STORAGE" \
			"$(hivexget "$SYS" "$cddb" ClassGUID 2>&1 | tr 'A-F' 'a-f')"
		hivexget "$SYS" 'DriverDatabase' >/dev/null 2>&1 && fail "$label: a DriverDatabase was made on Windows 7"
	fi

	local P='ControlSet001\Services\imgbuild-firstboot\Parameters' cl pwd_
	cl=$(hivexget "$SYS" "$P" CommandLine 2>&1)
	pwd_=$(hivexget "$SYS" "$P" PWD 2>&1)
	assert_eq "$label: CommandLine" "cmd.exe /c \"$sysroot\\Setup\\imgbuild\\firstboot.cmd\" service" "$cl"
	assert_eq "$label: PWD" "$sysroot\\Setup\\imgbuild" "$pwd_"
	[ ${#pwd_} -lt ${#cl} ] || fail "$label: PWD is not shorter than CommandLine"
	local step
	step=$(tr -d '\r' <"$M"/Windows/Setup/imgbuild/steps/*-driver-viostor.cmd 2>/dev/null)
	[[ $step == *"$pnp"* ]] || fail "$label: the pnputil step does not use $pnp: $step"
	unmount "$M"
	detach "$LOOPDEV"
	echo "ok $label"
}

# check_gpo LABEL: the same image with the storage class denied.
check_gpo() {
	deny_storage_class
	recipe "$R/$1-gpo.yml" "first_boot_mechanism: service" "service_wrapper: tools/rhsrvany.exe"
	ib_build "$R/$1-gpo.yml" "$T/w/out-gpo"
	expect_build_rc 2
	assert_contains "$1: GPO: the reason" "DenyDeviceClasses" "$T/build.err"
	assert_dir_holds "$T/w/out-gpo"
}

ADD='/add-driver "%SystemRoot%\Drivers\imgbuild\viostor\viostor.inf" /install'
OLD='-i -a "%SystemRoot%\Drivers\imgbuild\viostor\viostor.inf"'

log "Windows 7 SP1 (6.1.7601): CriticalDeviceDatabase, w7, pnputil -i -a"
set_version 6.1 0 7601 "Windows 7 Professional" Client Professional 'C:\Windows'
no_ddb
check_version win7 w7 'C:\Windows' "$OLD" no
check_gpo win7

log "Windows 11 23H2 (10.0.22631, ProductName still 'Windows 10 Pro'): DRIVERS-only DriverDatabase, w11"
set_version 6.3 10 22631 "Windows 10 Pro" Client Professional 'C:\WINDOWS'
hives_ddb_only_in_drivers "$CFG"
check_version win11 w11 'C:\WINDOWS' "$ADD" yes
check_gpo win11

log "Windows Server 2022 (10.0.20348) on D:: DRIVERS-only DriverDatabase, 2k22"
set_version 6.3 10 20348 "Windows Server 2022 Datacenter" Server ServerDatacenter 'D:\Windows'
hives_ddb_only_in_drivers "$CFG"
check_version srv2022 2k22 'D:\Windows' "$ADD" yes
check_gpo srv2022
finish
