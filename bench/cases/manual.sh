#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The seed's manual pipeline, as root: a raw file, sgdisk, one offset loop
# device per partition (partition scanning is unreliable in containers),
# mkfs.fat, mkntfs -Q, an ntfs-3g FUSE mount, cp -a, umount, qemu-img convert.
# env: PAYLOAD (directory), OUT (empty directory), DISK_SIZE (e.g. 8G)
set -eu
raw="$OUT/disk.raw"
mnt="$OUT/mnt"
mkdir "$mnt"
qemu-img create -q -f raw "$raw" "$DISK_SIZE"
sgdisk -n1:0:+260M -t1:ef00 -c1:esp -n2:0:+16M -t2:0c01 -c2:msr \
	-n3:0:0 -t3:0700 -c3:windows "$raw" >/dev/null
# Start and size (sectors) of partition N, from sgdisk -i.
part() {
	sgdisk -i "$1" "$raw" | awk -v want="$2" '
		/^First sector:/ { first = $3 } /^Last sector:/ { last = $3 }
		END { print (want == "start" ? first : last - first + 1) }'
}
p1s=$(part 1 start); p1n=$(part 1 size); p3s=$(part 3 start); p3n=$(part 3 size)
l1=$(losetup -f --show -o $((p1s * 512)) --sizelimit $((p1n * 512)) "$raw")
l3=$(losetup -f --show -o $((p3s * 512)) --sizelimit $((p3n * 512)) "$raw")
cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	losetup -d "$l1" "$l3" 2>/dev/null || true
}
trap cleanup EXIT
mkfs.fat -F 32 -n SYSTEM -h "$p1s" "$l1" >/dev/null
mkntfs -Q -q -F -L Windows -c 4096 -s 512 -p "$p3s" -H 255 -S 63 "$l3"
ntfs-3g "$l3" "$mnt"
cp -a "$PAYLOAD"/. "$mnt"/
umount "$mnt"
losetup -d "$l1" "$l3"
trap - EXIT
qemu-img convert -f raw -O qcow2 "$raw" "$OUT/disk.qcow2"
rm -f "$raw"
