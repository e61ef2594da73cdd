#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every fuzz target in BUILD_DIR for SECONDS each, from seed corpora made
# of the test data (recipes, INFs, hives, CTF containers, small images made
# here with the real mkfs tools) and the regression inputs in
# tests/fuzz/regressions/<target>/. A crash, leak or timeout fails the run;
# its input is kept in BUILD_DIR/crashes/. usage: run.sh BUILD_DIR SECONDS
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$1" && pwd) || exit 2
SECS=$2
SHARED=${IMGBUILD_SHARED:-$REPO/../shared}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgbuild-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BUILD/crashes"
export PATH=$PATH:/usr/sbin:/sbin
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

seed() { # TARGET FILE...
	local d=$WORK/corpus/$1
	mkdir -p "$d"
	shift
	local f
	for f in "$@"; do [ -f "$f" ] && cp "$f" "$d/$(basename "$f").$RANDOM"; done
	return 0
}

# Seeds.
seed fuzz_recipe "$REPO"/tests/recipes/*.yml "$REPO"/tests/e2e/recipes/*.yml "$REPO"/tests/e2e/recipes/bad/*.yml \
	"$REPO"/recipes/*.yml
printf 'disk.size=1GiB\noutputs.0.format=vmdk\n' >"$WORK/s1"
printf 'disk.partitions.1.fs.type=fat16\nreproducible.seed=x\n' >"$WORK/s2"
seed fuzz_set "$WORK/s1" "$WORK/s2"
seed fuzz_inf "$REPO"/tests/inf/*.inf "$SHARED"/fixtures/windows/inf/*.inf
seed fuzz_hive "$SHARED"/fixtures/hives/*
img() { truncate -s "$2" "$WORK/$1" && shift 2 && "$@"; }
img gpt.img 2M sgdisk -n 1:2048:+512K -t 1:ef00 -n 2:0:0 "$WORK/gpt.img" >/dev/null 2>&1
img mbr.img 2M sh -c "echo 'label: dos
start=2048, size=1024, type=c
type=7' | sfdisk -q '$WORK/mbr.img'" >/dev/null 2>&1
seed fuzz_ptable "$WORK/gpt.img" "$WORK/mbr.img"
img fat.img 2M mkfs.fat -F 12 "$WORK/fat.img" >/dev/null 2>&1 &&
	echo hello >"$WORK/hello.txt" && MTOOLSRC=/dev/null mmd -i "$WORK/fat.img" ::/DIR 2>/dev/null &&
	MTOOLSRC=/dev/null mcopy -i "$WORK/fat.img" "$WORK/hello.txt" "::/DIR/A long name.txt" 2>/dev/null
seed fuzz_fat "$WORK/fat.img"
img ntfs.img 2M mkntfs -Q -F -q "$WORK/ntfs.img" >/dev/null 2>&1
seed fuzz_ntfs "$WORK/ntfs.img"
if [ -f "$SHARED/fixtures/illumos/vnode.h.struct-illumos-gate" ]; then
	cc -std=c11 -D_GNU_SOURCE -I"$REPO/lib" -DMKCTF_MAIN "$REPO/tests/ctf/mkctf.c" "$REPO/lib/core/util.c" -lz \
		-o "$WORK/mkctf" 2>/dev/null &&
		for k in genunix fuse-gate fuse-joyent; do
			"$WORK/mkctf" $k "$SHARED/fixtures/illumos" "$WORK/$k.ctf" 2>/dev/null
			"$WORK/mkctf" $k "$SHARED/fixtures/illumos" "$WORK/$k-z.ctf" -z 2>/dev/null
		done
	seed fuzz_ctf "$WORK"/*.ctf
fi

failed=0 ran=0
for t in "$BUILD"/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	corpus=$WORK/corpus/$name
	mkdir -p "$corpus"
	[ -d "$REPO/tests/fuzz/regressions/$name" ] && cp "$REPO/tests/fuzz/regressions/$name"/* "$corpus/" 2>/dev/null
	[ -n "$(ls -A "$corpus")" ] || printf 'x' >"$corpus/empty"
	log=$WORK/$name.log
	"$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$BUILD/crashes/$name-" "$corpus" >"$log" 2>&1
	rc=$?
	ran=$((ran + 1))
	runs=$(grep -oE '#[0-9]+' "$log" | tail -n 1)
	if [ $rc -ne 0 ]; then
		echo "FAIL $name (exit $rc, ${runs:-?} runs): see $BUILD/crashes/"
		grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 5 | sed 's/^/    /'
		cp "$log" "$BUILD/crashes/$name.log"
		failed=$((failed + 1))
	else
		echo "PASS $name (${SECS}s, ${runs:-?} runs)"
	fi
done
echo "$((ran - failed)) passed, $failed failed"
[ $failed -eq 0 ] && [ $ran -gt 0 ]
