#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Applying a Windows install image (issue 13): the INSTALL step of
# `imgbuild build` (wimlib's NTFS-3G mode through imgbuild's offset device)
# against `wimlib-imagex apply WIM 1 NTFS-FILE` onto a fresh mkntfs volume of
# the same size, measured pair by pair (A B A B in one run; each pair's
# ratio; the median of the ratios). Target: within 10%, since both are the
# same library doing the same work.
#
#   bench/install.sh                  2 GiB expanded image, 3 pairs
#   bench/install.sh --quick          256 MiB, 3 pairs
#   bench/install.sh -n 5 --mib 4096  pairs, expanded size in MiB
#
# The image: the synthetic Windows of the tests (tests/e2e/lib-media.sh)
# plus a payload of files (half random, half text; sizes from 1 KiB to
# 8 MiB, log-uniform, fixed seed) captured with LZX compression.
# The imgbuild side: the seconds of the apply call alone, as the build
# reports them ("applied image N in X s"); the whole build's wall time is
# shown too (it adds mkntfs, the read-back verification of every byte, the
# ESP and the output). The wimlib-imagex side: its wall time.
# What each side makes durable: nothing. Both targets live in /dev/shm
# (tmpfs, where fsync is a no-op): wimlib-imagex's unmount fsyncs its
# volume file and imgbuild's offset device does not (the work image is a
# temporary), so on a disk the two would pay different writeback. `sync`
# runs before every timed command.
# Not part of make check. Needs the shared fixtures (hives).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
IMGBUILD=${IMGBUILD:-$repo/build/rel/imgbuild}
pairs=3
mib=2048
while [ $# -gt 0 ]; do
	case $1 in
	--quick) mib=256 ;;
	-n) pairs=$2; shift ;;
	--mib) mib=$2; shift ;;
	-h|--help) sed -n '3,27p' "$0"; exit 0 ;;
	*) echo "bench/install.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$IMGBUILD" ] || make -C "$repo" -j2 >/dev/null || exit 1
command -v wimlib-imagex >/dev/null || { echo "bench/install.sh: needs wimlib-imagex (wimtools)" >&2; exit 3; }

# shellcheck source=tests/e2e/lib.sh
. "$repo/tests/e2e/lib.sh"
# shellcheck source=tests/e2e/lib-media.sh
. "$repo/tests/e2e/lib-media.sh"
need_windows_fixtures
TMPDIR=/dev/shm setup_tmp # lib.sh: $T, removed on exit
work=$T

echo "making a ${mib} MiB image ..." >&2
make_install_media "$work/m" >/dev/null
"$PY" - "$work/m/tree/Payload" "$mib" <<'PY' || exit 1
import math, os, random, sys
root, total = sys.argv[1], int(sys.argv[2]) << 20
r = random.Random(13)
words = [b"driver", b"service", b"registry", b"system32", b"windows", b"kernel", b"update", b"config"]
done = n = 0
while done < total:
    size = min(int(math.exp(r.uniform(math.log(1024), math.log(8 << 20)))), total - done)
    d = os.path.join(root, "d%03d" % (n % 97))
    os.makedirs(d, exist_ok=True)
    if n % 2:
        data = r.randbytes(size)
    else:
        data = b" ".join(r.choice(words) for _ in range(size // 6 + 1))[:size]
    with open(os.path.join(d, "f%06d.bin" % n), "wb") as f:
        f.write(data)
    done += size
    n += 1
print(n, "files", file=sys.stderr)
PY
wim=$work/install.wim
wimlib-imagex capture "$work/m/tree" "$wim" "Windows 10 Pro" --compress=LZX >/dev/null 2>&1 || exit 1
bytes=$(wimlib-imagex info "$wim" 1 | awk '/^Total Bytes:/ {print $3}')
part_mib=$(( (bytes >> 20) * 13 / 10 + 512 ))

cat >"$work/r.yml" <<YML
imgbuild: 1
name: bench
disk:
  size: $((part_mib + 300))MiB
  table: gpt
  partitions:
    - { name: esp, type: esp, size: 100MiB, fs: { type: fat32 } }
    - name: windows
      size: rest
      fs: { type: ntfs, label: Windows }
      windows:
        install: { image: install.wim }
outputs:
  - { format: raw }
YML

now() { date +%s.%N; }
run_imgbuild() {
	rm -rf "$work/out"
	sync
	local t0 t1
	t0=$(now)
	"$IMGBUILD" build --json "$work/r.yml" -o "$work/out" >"$work/ev.json" 2>"$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
	t1=$(now)
	apply=$("$PY" -c '
import json, re, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    m = re.search(r"applied image \d+ in ([0-9.]+) s", e.get("title") or e.get("message") or "")
    if m: print(m.group(1)); break' "$work/ev.json")
	[ -n "$apply" ] || { echo "no apply time in the build's events" >&2; exit 1; }
	whole=$(echo "$t1 - $t0" | bc -l)
	rm -rf "$work/out"
}
run_wimlib() {
	local vol=$work/vol.ntfs
	rm -f "$vol"
	truncate -s "${part_mib}M" "$vol"
	mkntfs -Q -F -q "$vol" >/dev/null 2>&1 || exit 1
	sync
	local t0 t1
	t0=$(now)
	wimlib-imagex apply "$wim" 1 "$vol" >/dev/null 2>&1 || { echo "wimlib-imagex apply failed" >&2; exit 1; }
	t1=$(now)
	wl=$(echo "$t1 - $t0" | bc -l)
	rm -f "$vol"
}

printf 'image: %s MiB expanded (%s bytes), LZX; partition %s MiB; %s pairs\n' "$((bytes >> 20))" "$bytes" "$part_mib" "$pairs"
printf '%-5s %12s %12s %14s %8s\n' pair imgbuild_s wimlib_s imgbuild_build_s ratio
ratios=()
for i in $(seq 1 "$pairs"); do
	run_imgbuild
	run_wimlib
	ratio=$(echo "$apply / $wl" | bc -l)
	ratios+=("$ratio")
	printf '%-5s %12.2f %12.2f %14.2f %8.3f\n' "$i" "$apply" "$wl" "$whole" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
printf 'median ratio imgbuild/wimlib-imagex: %.3f (%.0f MB/s vs %.0f MB/s in the last pair)\n' "$median" \
	"$(echo "$bytes / 1000000 / $apply" | bc -l)" "$(echo "$bytes / 1000000 / $wl" | bc -l)"
