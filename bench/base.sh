#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Customising a big base image (issue 15): one boot driver injected into an
# installed-Windows-like qcow2 base, against `qemu-img convert` of the same
# base to the same format, measured pair by pair (A B A B in one run; each
# pair's ratio; the median of the ratios).
#
#   bench/base.sh                 bases of 16 GiB holding 2 GiB and 64 GiB
#                                 holding 8 GiB, 3 pairs each
#   bench/base.sh --quick         one base of 4 GiB holding 512 MiB, 3 pairs
#   bench/base.sh -n 5 --sizes "16:2"      pairs, and VIRTUAL:USED in GiB
#   bench/base.sh --old PATH      also time another imgbuild binary (e.g. a
#                                 build of an older commit), paired likewise
#
# The cases, every one from a dropped page cache's point of view left alone
# (the base stays cached, as on a machine that builds from it repeatedly):
#   full     imgbuild build: base + windows: drivers, a full qcow2 output
#   overlay  imgbuild build: the same with { format: qcow2, backing: base }
#   convert  qemu-img convert -O qcow2 base out, then `sync out`
# What each side makes durable: imgbuild fsyncs every output before it
# renames it. qemu-img convert (7.2) fdatasyncs only while it creates the
# file, not after the data (seen with strace), so the convert side is
# followed by coreutils `sync FILE` (an fsync of the output): both sides end
# with the output on disk. `sync` runs before every timed command, so one
# command's writeback is not the next one's cost.
# Not part of make check. Needs the shared fixtures (hives, INFs) and root
# only for nothing: it runs as whoever calls it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
IMGBUILD=${IMGBUILD:-$repo/build/rel/imgbuild}
work=/var/tmp/imgbuild-bench-base
pairs=3
sizes="16:2 64:8"
old=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) sizes="4:0.5" ;;
	-n) pairs=$2; shift ;;
	--sizes) sizes=$2; shift ;;
	--work) work=$2; shift ;;
	--old) old=$2; shift ;;
	-h|--help) sed -n '3,25p' "$0"; exit 0 ;;
	*) echo "bench/base.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$IMGBUILD" ] || make -C "$repo" -j2 >/dev/null || exit 1

# The synthetic Windows and the driver come from the e2e helpers.
# shellcheck source=tests/e2e/lib.sh
. "$repo/tests/e2e/lib.sh"
need_windows_fixtures
mkdir -p "$work"

now() { date +%s.%N; }
# timed CMD...: the wall time in seconds on stdout, after a sync.
timed() {
	sync
	local t0 t1
	t0=$(now)
	"$@" >/dev/null 2>"$work/last.err" || { echo "bench/base.sh: failed: $*" >&2; cat "$work/last.err" >&2; exit 1; }
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}
convert_synced() { qemu-img convert -O qcow2 "$1" "$2" && sync "$2"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# stage VIRT USED: the base (qcow2, VIRT GiB, NTFS holding the Windows tree
# and USED GiB of incompressible files) and the customising recipes.
stage() {
	local virt=$1 used=$2 d=$work/base-$1-$2
	B=$d
	[ -f "$d/stamp" ] && return 0
	rm -rf "$d"
	mkdir -p "$d/src/payload" "$d/out"
	make_windows "$d/src/win"
	make_driver "$d/src/drivers/viostor" viostor viostor-built-2k12r2-amd64.inf
	local files
	files=$(echo "$used * 16" | bc | cut -d. -f1) # 64 MiB each
	for i in $(seq 1 "$files"); do
		head -c $((64 * 1024 * 1024)) /dev/urandom >"$d/src/payload/data$i.bin"
	done
	cat >"$d/src/base.yml" <<YML
imgbuild: 1
name: base
disk:
  size: ${virt}GiB
  partitions:
    - { name: esp, type: esp, size: 260MiB, fs: { type: fat32 } }
    - { name: msr, type: msr, size: 16MiB }
    - { name: windows, size: rest, fs: { type: ntfs, label: Windows }, files: [ { src: win, dst: / }, { src: payload, dst: /Data } ] }
outputs: [ { format: qcow2 } ]
YML
	"$IMGBUILD" build "$d/src/base.yml" -o "$d" >/dev/null || exit 1
	for kind in full overlay; do
		local backing=""
		[ $kind = overlay ] && backing=", backing: base"
		cat >"$d/$kind.yml" <<YML
imgbuild: 1
name: custom
base: base.qcow2
disk:
  partitions:
    - use: auto
      windows:
        drivers: [ src/drivers/viostor ]
outputs: [ { format: qcow2$backing } ]
reproducible: { epoch: 1700000000, seed: bench }
YML
	done
	touch "$d/stamp"
}

echo "| base (virtual / used) | case | pairs: case s / convert s (ratio) | median ratio |"
echo "|---|---|---|---|"
for sz in $sizes; do
	virt=${sz%%:*} used=${sz#*:}
	stage "$virt" "$used"
	cases="full"
	"$IMGBUILD" plan "$B/overlay.yml" >/dev/null 2>&1 && cases="$cases overlay"
	[ -n "$old" ] && cases="$cases old"
	# Warm-up: the base in the page cache, every program loaded.
	timed convert_synced "$B/base.qcow2" "$B/out/convert.qcow2" >/dev/null
	for c in $cases; do
		ratios=() cells=""
		for i in $(seq 1 "$pairs"); do
			rm -rf "$B/out/$c"
			case $c in
			full|overlay) a=$(timed "$IMGBUILD" build "$B/$c.yml" -o "$B/out/$c") ;;
			old) a=$(timed "$old" build "$B/full.yml" -o "$B/out/$c") ;;
			esac
			rm -f "$B/out/convert.qcow2"
			b=$(timed convert_synced "$B/base.qcow2" "$B/out/convert.qcow2")
			r=$(echo "$a / $b" | bc -l)
			ratios+=("$r")
			cells="$cells $(printf '%.2f/%.2f (%.2fx)' "$a" "$b" "$r")"
		done
		med=$(printf '%s\n' "${ratios[@]}" | median)
		printf '| %s GiB / %s GiB | %s |%s | %.2fx |\n' "$virt" "$used" "$c" "$cells" "$med"
	done
done
