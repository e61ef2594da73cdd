#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# libguestfs, rootless: the table and the ESP are made on the host as in the
# wimlib case (sgdisk, mkfs.fat --offset); the appliance makes the NTFS and
# copies the payload in (guestfish copy-in, a tar stream into the appliance),
# then qemu-img convert. virt-make-fs would be the one-liner, but it makes a
# single partition, not this layout. Without usable KVM the appliance runs
# under TCG: LIBGUESTFS_BACKEND_SETTINGS=force_tcg (QEMU aborts on this host's
# /dev/kvm otherwise); the harness bounds the run with a timeout.
# env: PAYLOAD (directory), OUT (empty directory), DISK_SIZE (e.g. 8G)
set -eu
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
raw="$OUT/disk.raw"
qemu-img create -q -f raw "$raw" "$DISK_SIZE"
sgdisk -n1:0:+260M -t1:ef00 -c1:esp -n2:0:+16M -t2:0c01 -c2:msr \
	-n3:0:0 -t3:0700 -c3:windows "$raw" >/dev/null
part() {
	sgdisk -i "$1" "$raw" | awk -v want="$2" '
		/^First sector:/ { first = $3 } /^Last sector:/ { last = $3 }
		END { print (want == "start" ? first : last - first + 1) }'
}
p1s=$(part 1 start); p1n=$(part 1 size)
mkfs.fat -F 32 -n SYSTEM -h "$p1s" --offset="$p1s" "$raw" $((p1n / 2)) >/dev/null 2>&1
guestfish --rw --format=raw -a "$raw" <<GF
run
mkfs ntfs /dev/sda3 label:Windows blocksize:4096
mount /dev/sda3 /
copy-in "$PAYLOAD/Drivers" "$PAYLOAD/Installers" /
umount-all
shutdown
GF
qemu-img convert -f raw -O qcow2 "$raw" "$OUT/disk.qcow2"
rm -f "$raw"
