#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# wimlib, rootless: mkntfs on a partition-sized sparse file, a pipable WIM
# captured to stdout and applied into that file through libntfs-3g
# (wimlib-imagex capture | apply), then the file spliced into the disk at the
# partition's offset (qemu-img copies only its data), then qemu-img convert.
# env: PAYLOAD (directory), OUT (empty directory), DISK_SIZE (e.g. 8G)
set -eu
raw="$OUT/disk.raw"
vol="$OUT/ntfs.img"
qemu-img create -q -f raw "$raw" "$DISK_SIZE"
sgdisk -n1:0:+260M -t1:ef00 -c1:esp -n2:0:+16M -t2:0c01 -c2:msr \
	-n3:0:0 -t3:0700 -c3:windows "$raw" >/dev/null
part() {
	sgdisk -i "$1" "$raw" | awk -v want="$2" '
		/^First sector:/ { first = $3 } /^Last sector:/ { last = $3 }
		END { print (want == "start" ? first : last - first + 1) }'
}
p1s=$(part 1 start); p1n=$(part 1 size); p3s=$(part 3 start); p3n=$(part 3 size)
mkfs.fat -F 32 -n SYSTEM -h "$p1s" --offset="$p1s" "$raw" $((p1n / 2)) >/dev/null
truncate -s $((p3n * 512)) "$vol"
mkntfs -Q -q -F -L Windows -c 4096 -s 512 -p "$p3s" -H 255 -S 63 "$vol"
# Stored, not compressed: the payload is incompressible.
wimlib-imagex capture "$PAYLOAD" - --compress=none |
	wimlib-imagex apply - 1 "$vol" >/dev/null
qemu-img convert -n -f raw "$vol" --target-image-opts \
	"driver=raw,offset=$((p3s * 512)),size=$((p3n * 512)),file.driver=file,file.filename=$raw"
rm -f "$vol"
qemu-img convert -f raw -O qcow2 "$raw" "$OUT/disk.qcow2"
rm -f "$raw"
