#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packages for each target (issue 12), built from one recipe as an
# unprivileged user, read back with tools imgbuild did not write:
# - OVA: tar order (descriptor, manifest, disk), the manifest's SHA-256s
#   recomputed, the descriptor well-formed (xmllint) and every element the
#   issue lists present with the target's values (a structural check: the
#   DMTF XSD and the CIM schemas it imports cannot be fetched here), the VMDK
#   streamOptimized (qemu-img info) and equal to the raw output (qemu-img
#   compare); format: ovf gives the same three files side by side;
# - containerDisk: skopeo inspect and copy of the OCI archive, the layer's
#   disk/NAME.qcow2 owned by 107:107 and byte-equal to the qcow2 output;
# - every package bit-identical over two builds;
# - on the synthetic Windows 10: the OVF names the guest (CIM 121,
#   windows9_64Guest on ESXi).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_all
need xmllint skopeo tar
setup_tmp
R=$T/r
mkdir -p "$R/payload"
echo "package me" >"$R/payload/hello.txt"
chown -R "$NOBODY:$NOBODY" "$R"

recipe() { # FILE TARGET [VM]
	cat >"$1" <<YML
imgbuild: 1
name: pkg
target: $2
vm: { cpus: 2, memory: 2GiB${3:+, $3} }
properties:
  - { key: hostname, default: "web<01>", label: "Host & name" }
  - { key: debug, type: boolean, default: "false", user_configurable: false }
disk:
  size: 256MiB
  partitions:
    - { name: esp, type: esp, size: 64MiB, fs: { type: fat32 } }
    - { name: data, size: rest, fs: { type: ntfs }, files: [ { src: payload, dst: /Data } ] }
outputs: [ { format: ova }, { format: ovf }, { format: containerdisk }, { format: raw }, { format: qcow2 } ]
reproducible: { epoch: 1700000000, seed: targets }
YML
	chown "$NOBODY:$NOBODY" "$1"
}

# check_ovf FILE TARGET CONTROLLER_TYPE NIC_SUBTYPE VMWARE(yes/no) DISK_NAME DISK_FILE RAW
check_ovf() {
	xmllint --noout "$1" 2>"$T/xmllint.err" || { fail "$2: the descriptor is not well-formed: $(cat "$T/xmllint.err")"; return; }
	"$PY" - "$@" <<'PYEOF' || fail "$2: the descriptor's structure"
import os, sys, xml.etree.ElementTree as ET
f, target, ctype, nicsub, vmware, dname, dfile, raw = sys.argv[1:9]
O = "{http://schemas.dmtf.org/ovf/envelope/1}"
R = "{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData}"
V = "{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData}"
W = "{http://www.vmware.com/schema/ovf}"
env = ET.parse(f).getroot()
bad = []
def need(cond, what):
    if not cond: bad.append(what)
need(env.tag == O + "Envelope", "root Envelope")
fl = env.find(f"{O}References/{O}File")
need(fl is not None and fl.get(O + "href") == dname, "References/File href")
need(fl is not None and int(fl.get(O + "size")) == os.path.getsize(dfile), "References/File size")
d = env.find(f"{O}DiskSection/{O}Disk")
need(d is not None and int(d.get(O + "capacity")) == os.path.getsize(raw), "Disk capacity")
need(d is not None and int(d.get(O + "populatedSize", "0")) > 0, "Disk populatedSize")
need(d is not None and d.get(O + "format", "").endswith("#streamOptimized"), "Disk format")
need(env.find(f"{O}NetworkSection/{O}Network") is not None, "NetworkSection")
vs = env.find(f"{O}VirtualSystem")
need(vs is not None, "VirtualSystem")
os_ = vs.find(f"{O}OperatingSystemSection")
need(os_ is not None and os_.get(O + "id"), "OperatingSystemSection ovf:id")
need((os_.get(W + "osType") is not None) == (vmware == "yes"), "vmw:osType only on VMware targets")
hw = vs.find(f"{O}VirtualHardwareSection")
st = hw.find(f"{O}System/{V}VirtualSystemType").text
need(st.startswith("vmx-") == (vmware == "yes"), f"VirtualSystemType {st}")
items = {i.find(R + "ResourceType").text: i for i in hw.findall(f"{O}Item")}
need(items.get("3") is not None and items["3"].find(R + "VirtualQuantity").text == "2", "CPU item")
need(items.get("4") is not None and items["4"].find(R + "VirtualQuantity").text == "2048", "memory item")
need(items.get(ctype) is not None, f"controller item of type {ctype}")
need(items.get("17") is not None and items["17"].find(R + "HostResource").text == "ovf:/disk/vmdisk1", "disk item")
need(items.get("10") is not None and items["10"].find(R + "ResourceSubType").text == nicsub, f"NIC {nicsub}")
for i in hw.findall(f"{O}Item"):
    names = [c.tag for c in i]
    need(names == sorted(names), f"rasd elements in schema (alphabetical) order: {names}")
fw = [c for c in hw.findall(W + "Config") if c.get(W + "key") == "firmware"]
need(bool(fw) == (vmware == "yes") and (not fw or fw[0].get(W + "value") == "efi"), "firmware efi (VMware)")
need(hw.get(O + "transport") == "com.vmware.guestInfo iso", "ovf:transport")
props = {p.get(O + "key"): p for p in vs.findall(f"{O}ProductSection/{O}Property")}
need(props.get("hostname") is not None and props["hostname"].get(O + "value") == "web<01>", "property hostname")
need(props.get("hostname") is not None and props["hostname"].find(O + "Label").text == "Host & name", "label")
need(props.get("debug") is not None and props["debug"].get(O + "userConfigurable") == "false", "property debug")
for b in bad: print("  bad:", b)
sys.exit(1 if bad else 0)
PYEOF
}

# target controller-type nic-subtype vmware
while read -r target ctype nicsub vmware; do
	log "target $target"
	recipe "$R/$target.yml" "$target"
	O=$T/w/$target
	ib_build "$R/$target.yml" "$O"
	expect_build_rc 0 || continue
	assert_dir_holds "$O" pkg-disk1.vmdk pkg.containerdisk.tar pkg.mf pkg.ova pkg.ovf pkg.qcow2 pkg.raw
	# OVA: order, manifest, descriptor, disk.
	assert_eq "$target: OVA members in order" "pkg.ovf pkg.mf pkg-disk1.vmdk" "$(tar tf "$O/pkg.ova" | tr '\n' ' ' | sed 's/ $//')"
	X=$T/x-$target
	mkdir -p "$X" && tar xf "$O/pkg.ova" -C "$X"
	(cd "$X" && "$PY" -c '
import hashlib, re, sys
for line in open("pkg.mf"):
    m = re.fullmatch(r"SHA256\((.+)\)= ([0-9a-f]{64})\n", line)
    assert m, line
    assert hashlib.sha256(open(m.group(1), "rb").read()).hexdigest() == m.group(2), m.group(1)
') || fail "$target: the manifest's digests do not match the members"
	check_ovf "$X/pkg.ovf" "$target" "$ctype" "$nicsub" "$vmware" pkg-disk1.vmdk "$X/pkg-disk1.vmdk" "$O/pkg.raw"
	assert_eq "$target: VMDK subformat" streamOptimized \
		"$(qemu-img info --output=json "$X/pkg-disk1.vmdk" | jq_py 'd["format-specific"]["data"]["create-type"]')"
	qemu-img compare -q "$X/pkg-disk1.vmdk" "$O/pkg.raw" || fail "$target: the OVA's disk differs from the raw output"
	for f in pkg.ovf pkg.mf pkg-disk1.vmdk; do
		cmp -s "$X/$f" "$O/$f" || fail "$target: format ovf's $f differs from the OVA's"
	done
	# containerDisk: read by skopeo, its layer's disk is the qcow2 output.
	skopeo inspect "oci-archive:$O/pkg.containerdisk.tar" >"$T/skopeo.json" 2>"$T/skopeo.err" ||
		fail "$target: skopeo inspect: $(cat "$T/skopeo.err")"
	rm -rf "$T/cd"
	skopeo copy -q "oci-archive:$O/pkg.containerdisk.tar" "dir:$T/cd" 2>"$T/skopeo.err" ||
		fail "$target: skopeo copy: $(cat "$T/skopeo.err")"
	layer=$T/cd/$(jget "$T/skopeo.json" 'd["Layers"][0].split(":")[1]')
	assert_eq "$target: the layer's disk, owned by 107:107" "107/107 disk/pkg.qcow2" \
		"$(tar tvf "$layer" 2>/dev/null | awk '$6 == "disk/pkg.qcow2" { print $2, $6 }')"
	tar xOf "$layer" disk/pkg.qcow2 >"$T/cd.qcow2" 2>/dev/null
	cmp -s "$T/cd.qcow2" "$O/pkg.qcow2" || fail "$target: the containerDisk's qcow2 differs from the qcow2 output"
	# Reproducible.
	ib_build "$R/$target.yml" "$T/w/$target-2"
	for f in pkg.ova pkg.ovf pkg.mf pkg-disk1.vmdk pkg.containerdisk.tar; do
		cmp -s "$O/$f" "$T/w/$target-2/$f" || fail "$target: two builds differ in $f"
	done
done <<'EOF2'
esxi 6 VmxNet3 yes
synology 6 virtio-net no
virtualbox 20 E1000 no
kvm 6 virtio-net no
generic 20 E1000 no
EOF2

log "inspect reads the packages, and refuses a damaged one"
O=$T/w/esxi
for f in pkg.ova pkg.ovf pkg.containerdisk.tar; do
	run_unpriv "$IMGBUILD" inspect --json "$O/$f" >"$T/insp.json" 2>"$T/insp.err"
	assert_eq "inspect $f: exit" 0 "$?"
	assert_eq "inspect $f: the disk's table" GPT "$(jget "$T/insp.json" 'd["table"]["type"].upper() if isinstance(d["table"], dict) and "type" in d["table"] else "GPT"')"
done
assert_eq "inspect pkg.ova: the VM" "esxi? pkg 2 2048 VmxNet3 efi" \
	"$(run_unpriv "$IMGBUILD" inspect --json "$O/pkg.ova" | jq_py '"esxi? %s %s %s %s %s" % (d["package"]["vm"]["name"], d["package"]["vm"]["cpus"], d["package"]["vm"]["memory_mib"], d["package"]["vm"]["nic"], d["package"]["vm"]["firmware"])')"
assert_eq "inspect pkg.ova: the manifest verified" "2 SHA256" \
	"$(run_unpriv "$IMGBUILD" inspect --json "$O/pkg.ova" | jq_py '"%s %s" % (d["package"]["verified"], d["package"]["digests"])')"
run_unpriv "$IMGBUILD" diff "$O/pkg.ova" "$O/pkg.qcow2" >/dev/null 2>&1
assert_eq "diff of the OVA and the qcow2 output: same" 0 "$?"
# A changed disk in the OVA (repacked in the same order): the manifest catches it.
X=$T/tamper
mkdir -p "$X" && tar xf "$O/pkg.ova" -C "$X"
printf 'X' | dd of="$X/pkg-disk1.vmdk" bs=1 seek=$(($(stat -c %s "$X/pkg-disk1.vmdk") - 100)) conv=notrunc status=none
(cd "$X" && tar --format=ustar -cf "$T/bad.ova" pkg.ovf pkg.mf pkg-disk1.vmdk)
chmod 644 "$T/bad.ova"
run_unpriv "$IMGBUILD" inspect "$T/bad.ova" >/dev/null 2>"$T/insp.err"
assert_eq "a tampered OVA: exit" 2 "$?"
assert_contains "a tampered OVA: named" "pkg-disk1.vmdk has SHA256" "$T/insp.err"
# A changed blob in the containerDisk.
mkdir -p "$T/cdt" && tar xf "$O/pkg.containerdisk.tar" -C "$T/cdt"
cfg=$(jget "$T/skopeo.json" 'd["Layers"][0].split(":")[1]')
printf 'X' | dd of="$T/cdt/blobs/sha256/$cfg" bs=1 seek=5000 conv=notrunc status=none
(cd "$T/cdt" && tar --format=ustar -cf "$T/bad.cd.tar" oci-layout index.json blobs)
chmod 644 "$T/bad.cd.tar"
run_unpriv "$IMGBUILD" inspect "$T/bad.cd.tar" >/dev/null 2>"$T/insp.err"
assert_eq "a tampered containerDisk: exit" 2 "$?"
assert_contains "a tampered containerDisk: named" "has SHA-256" "$T/insp.err"

log "the guest, detected: Windows 10 on ESXi"
if windows_fixtures_ok; then
	stage_windows "$T/win"
	{
		sed -n '1,/^      windows:/p' "$T/win/win.yml" | grep -v '^      windows:'
		echo "target: esxi"
		echo "outputs: [ { format: ova } ]"
	} >"$T/win/esxi.yml"
	chown -R "$NOBODY:$NOBODY" "$T/win"
	ib_build "$T/win/esxi.yml" "$T/w/win"
	expect_build_rc 0
	tar xOf "$T/w/win/win.ova" win.ovf >"$T/win.ovf"
	assert_matches "the OVF names Windows 10 64-bit" 'OperatingSystemSection ovf:id="121" vmw:osType="windows9_64Guest"' "$T/win.ovf"

	log "target kvm picks its drivers from a virtio-win tree"
	for d in viostor:viostor-built-2k12r2-amd64.inf NetKVM:netkvm-built-arm64.inf pvpanic:viostor-built-2k12r2-amd64.inf; do
		make_driver "$T/win/virtio-win/${d%%:*}/w10/amd64" "$(echo "${d%%:*}" | tr 'A-Z' 'a-z')" "${d#*:}" 's/NTARM64/NTamd64/g'
	done
	{
		sed -n '1,/^      windows:/p' "$T/win/win.yml"
		echo "        drivers: [ virtio-win ]"
		echo "target: kvm"
		echo "outputs: [ { format: qcow2 } ]"
	} >"$T/win/kvm.yml"
	chown -R "$NOBODY:$NOBODY" "$T/win"
	ib_build "$T/win/kvm.yml" "$T/w/kvm"
	expect_build_rc 0
	drivers=$(grep '"event":"windows"' "$T/build.json" | jq_py '" ".join(sorted(x["name"] for x in d["report"]["drivers"]))')
	assert_eq "kvm: the target's drivers, not pvpanic" "netkvm viostor" "$drivers"
	note=$(grep '"event":"windows"' "$T/build.json" | jq_py 'd["report"]["target"]')
	[[ $note == *"selected viostor, vioscsi, NetKVM, vioser from virtio-win (target kvm:"* ]] ||
		fail "kvm: the report does not say what the target selected: $note"
else
	echo "SKIP-PART: the Windows fixtures are missing (set IMGBUILD_SHARED): the guest detection is not checked"
fi
finish
