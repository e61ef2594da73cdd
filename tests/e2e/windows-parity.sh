#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Windows injection that boots, compared with what virt-v2v and distrobuilder
# write (docs/windows-parity.md), on synthetic hive sets, every value read
# back with hivexget from the image through a read-only ntfs-3g mount:
# 1. DriverDatabase only in the DRIVERS hive: the boot-critical binding is
#    still written into SYSTEM, and mirrored into DRIVERS.
# 2. An installed image (Setup not pending) whose boot driver needs pnputil
#    at first boot, with nothing to run it: exit 2 with the remedy; with the
#    service mechanism: Parameters\CommandLine and PWD (literal, PWD shorter),
#    and the step removes the placeholder after pnputil.
# 3. pnputil syntax by build: /add-driver /install from 14393, -i -a before.
# 4. A Group Policy that denies the storage class: exit 2 (0x7B); one that
#    denies a non-boot driver's id: a warning.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
stage_hive_sets

# A recipe with only the boot driver (no tools, no commands) and extra
# windows: keys given as arguments.
drivers_recipe() { # FILE [windows: lines...]
	local f=$1
	shift
	{
		sed -n '1,/^      windows:/p' "$R/win.yml"
		echo "        drivers: [ drivers/viostor, { path: drivers/netkvm, select: [NetKVM] } ]"
		for l in "$@"; do echo "        $l"; done
		echo "outputs: [ { format: raw } ]"
		echo "reproducible: { epoch: 1700000000, seed: parity }"
	} >"$f"
	chown -R "$NOBODY:$NOBODY" "$R"
}

# build_and_mount RECIPE: build as nobody, mount p3 read-only at $M.
build_and_mount() {
	rm -rf "$T/w/out"
	ib_build "$1" "$T/w/out"
	expect_build_rc 0 || return 1
	plan_json "$1" "$T/plan.json" || return 1
	local j="[q for q in d['partitions'] if q['number']==3][0]"
	attach "$T/w/out/win.raw" "$(jget "$T/plan.json" "${j}['offset']")" "$(jget "$T/plan.json" "${j}['size']")" || return 1
	M=$T/mnt/$(basename "$1" .yml)
	mount_ntfs_ro "$LOOPDEV" "$M" || return 1
	SYS=$M/Windows/System32/config/SYSTEM
	SW=$M/Windows/System32/config/SOFTWARE
	DRV=$M/Windows/System32/config/DRIVERS
}
done_mount() { unmount "$M"; detach "$LOOPDEV"; }
restore_hives() { cp "$T/SYSTEM.orig" "$CFG/SYSTEM"; cp "$T/SOFTWARE.orig" "$CFG/SOFTWARE"; rm -f "$CFG/DRIVERS"; }
ID='PCI\VEN_1AF4&DEV_1001'
PKG='imgbuild_viostor.inf_amd64_0000000000000000'
set_current_version() { hives_set_win10_build "$CFG/SOFTWARE" "$1"; }

log "1. DriverDatabase only in DRIVERS"
restore_hives
hives_ddb_only_in_drivers "$CFG"
drivers_recipe "$R/ddb.yml"
if build_and_mount "$R/ddb.yml"; then
	for h in SYS DRV; do
		v=$(hivexget "${!h}" "DriverDatabase\\DeviceIds\\$ID" imgbuild_viostor.inf 2>&1 | od -An -tx1 | tr -d ' \n')
		[ -n "$v" ] || fail "$h: DriverDatabase\\DeviceIds\\$ID does not bind imgbuild_viostor.inf"
		assert_eq "$h: the package's configuration Service" viostor \
			"$(hivexget "${!h}" "DriverDatabase\\DriverPackages\\$PKG\\Configurations\\imgbuild_viostor_conf" Service 2>&1)"
		assert_eq "$h: DriverInfFiles Active" "$PKG" \
			"$(hivexget "${!h}" 'DriverDatabase\DriverInfFiles\imgbuild_viostor.inf' Active 2>&1)"
	done
	assert_eq "SYSTEM: Services\\viostor Start" 0 "$(hivexget "$SYS" 'ControlSet001\Services\viostor' Start 2>&1)"
	done_mount
fi

log "2. an installed image: nothing runs pnputil -> exit 2"
restore_hives
hivexsh -w "$CFG/SYSTEM" >/dev/null <<'HIVE' || die "hivexsh"
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
hivexsh -w "$CFG/SOFTWARE" >/dev/null <<'HIVE' || die "hivexsh"
cd \Microsoft\Windows\CurrentVersion\Setup\State
setval 1
ImageState
string:IMAGE_STATE_COMPLETE
commit
HIVE
set_current_version 19045
drivers_recipe "$R/installed.yml"
ib_build "$R/installed.yml" "$T/w/out-installed"
expect_build_rc 2
assert_contains "installed: the reason" "placeholder driver package" "$T/build.err"
assert_contains "installed: the remedy" "service_wrapper" "$T/build.err"
assert_dir_holds "$T/w/out-installed"

log "2. the service mechanism: CommandLine, PWD, and the placeholder cleanup"
drivers_recipe "$R/service.yml" "first_boot_mechanism: service" "service_wrapper: tools/rhsrvany.exe" "diagnose: true"
if build_and_mount "$R/service.yml"; then
	P='ControlSet001\Services\imgbuild-firstboot\Parameters'
	cl=$(hivexget "$SYS" "$P" CommandLine 2>&1)
	pwd_=$(hivexget "$SYS" "$P" PWD 2>&1)
	assert_eq "service: CommandLine" 'cmd.exe /c "C:\WINDOWS\Setup\imgbuild\firstboot.cmd" service' "$cl"
	assert_eq "service: PWD" 'C:\WINDOWS\Setup\imgbuild' "$pwd_"
	[ ${#pwd_} -lt ${#cl} ] || fail "service: PWD is not shorter than CommandLine"
	step=$(tr -d '\r' <"$M"/Windows/Setup/imgbuild/steps/*-driver-viostor.cmd 2>/dev/null)
	[[ $step == *'/add-driver "%SystemRoot%\Drivers\imgbuild\viostor\viostor.inf" /install'* ]] ||
		fail "service: build 19045 does not use pnputil /add-driver ... /install: $step"
	[[ $step == *"reg.exe delete \"HKLM\\SYSTEM\\DriverDatabase\\DriverPackages\\$PKG\" /f"* ]] ||
		fail "service: the step does not remove the placeholder package: $step"
	[[ $step == *'if "%RC%"=="259" set "RC=0"'* ]] || fail "service: 259 is not success"
	assert_eq "diagnose: AutoReboot" 0 "$(hivexget "$SYS" 'ControlSet001\Control\CrashControl' AutoReboot 2>&1)"
	done_mount
fi

log "3. pnputil -i -a before build 14393"
set_current_version 10586
if build_and_mount "$R/service.yml"; then
	step=$(tr -d '\r' <"$M"/Windows/Setup/imgbuild/steps/*-driver-viostor.cmd 2>/dev/null)
	[[ $step == *'"%PNPUTIL%" -i -a "%SystemRoot%\Drivers\imgbuild\viostor\viostor.inf"'* ]] ||
		fail "10586: the step does not use pnputil -i -a: $step"
	done_mount
fi

log "4. Group Policy device-installation restrictions"
restrict() { hives_restrict "$CFG" "$@"; }
restore_hives
restrict DenyDeviceClasses '{4d36e97b-e325-11ce-bfc1-08002be10318}'
drivers_recipe "$R/gpo.yml"
ib_build "$R/gpo.yml" "$T/w/out-gpo"
expect_build_rc 2
assert_contains "GPO: the reason" "DenyDeviceClasses" "$T/build.err"
assert_contains "GPO: the consequence" "INACCESSIBLE_BOOT_DEVICE" "$T/build.err"
assert_dir_holds "$T/w/out-gpo"
restore_hives
restrict DenyDeviceIDs 'PCI\VEN_1AF4&DEV_1000'
ib_build "$R/gpo.yml" "$T/w/out-gpo"
expect_build_rc 0
grep -q 'DenyDeviceIDs' "$T/build.json" || fail "GPO on a non-boot driver: no warning in the report"
restore_hives

log "5. named guest tools"
restore_hives
"$PY" -c 'import sys; b=bytearray(8192); b[0:8]=bytes([0xD0,0xCF,0x11,0xE0,0xA1,0xB1,0x1A,0xE1]); open(sys.argv[1],"wb").write(b)' \
	"$R/tools/qemu-ga-ole.msi"
tool_recipe() { # FILE GUEST_TOOLS_YAML
	{
		sed -n '1,/^      windows:/p' "$R/win.yml"
		echo "        drivers: [ drivers/viostor ]"
		echo "        guest_tools:"
		echo "$2"
		echo "outputs: [ { format: raw } ]"
	} >"$1"
	chown -R "$NOBODY:$NOBODY" "$R"
}
tool_recipe "$R/tool.yml" "          - { name: qemu-ga, src: tools/qemu-ga-ole.msi }"
if build_and_mount "$R/tool.yml"; then
	step=$(tr -d '\r' <"$M"/Windows/Setup/imgbuild/steps/*-tool-qemu-ga-ole.msi.cmd 2>/dev/null)
	[[ $step == *'msiexec.exe /i "%SystemRoot%\Setup\imgbuild\tools\qemu-ga-ole.msi" /qn /norestart'* ]] ||
		fail "named qemu-ga: the step does not install the MSI quietly: $step"
	done_mount
fi
line=$(($(sed -n '1,/^      windows:/p' "$R/win.yml" | wc -l) + 3))
tool_recipe "$R/tool-bad.yml" "          - { name: qemu-ga, src: tools/qemu-ga-x86_64.msi }"
(cd "$T/w" && run_unpriv "$IMGBUILD" plan "$R/tool-bad.yml") >/dev/null 2>"$T/err.txt"
assert_eq "named tool, not an MSI: exit" 2 "$?"
assert_matches "named tool, not an MSI: located" "tool-bad\.yml:$line:[0-9]+: error: .*not a Windows Installer package" "$T/err.txt"
tool_recipe "$R/tool-unknown.yml" "          - qemu-agent"
(cd "$T/w" && run_unpriv "$IMGBUILD" plan "$R/tool-unknown.yml") >/dev/null 2>"$T/err.txt"
assert_eq "unknown named tool: exit" 2 "$?"
assert_matches "unknown named tool: located, listing the names" "tool-unknown\.yml:$line:[0-9]+: error: unknown guest tool 'qemu-agent': the named tools are qemu-ga, spice, vmware-tools" "$T/err.txt"
tool_recipe "$R/tool-nosrc.yml" "          - qemu-ga"
(cd "$T/w" && run_unpriv "$IMGBUILD" plan "$R/tool-nosrc.yml") >/dev/null 2>"$T/err.txt"
assert_eq "qemu-ga without a source: exit" 2 "$?"
assert_contains "qemu-ga without a source: the remedy" "list the virtio-win ISO under drivers:" "$T/err.txt"
restore_hives
finish
