#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test: the unit test binaries in BUILD_DIR/tests/ (cmocka, built
# with ASan+UBSan) and the end-to-end scripts tests/e2e/*.sh against
# BUILD_DIR/imgbuild, one after another (the e2e tests use loop devices).
# Each test's output goes to build/test-logs/<name>.log; one line per test
# here, the tail of the log for a failure, and a summary line at the end.
#   usage: tests/run-all.sh BUILD_DIR [NAME_REGEX]
# A test exits 0 (pass), 77 (skip, after a "SKIP: reason" line) or else fails.
# Parts a passing test skipped are counted as skipped too: cmocka's skipped
# cases, and an e2e script's "SKIP-PART: reason" lines. With CI=true a skip
# whose reason names IMGBUILD_SHARED (the shared fixtures are missing) fails.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [NAME_REGEX]" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
FILTER=${2:-}
LOGS=$REPO/build/test-logs
TIMEOUT=${TEST_TIMEOUT:-300}

mkdir -p "$LOGS"
export IMGBUILD_SRCDIR=$REPO
export IMGBUILD=$BUILD/imgbuild
export ASAN_OPTIONS=detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}

pass=0 failed=0 skipped=0
failed_names=()

# The skipped cases in a passing test's log. Not anchored: cmocka's summary
# goes to stderr and may land after a partial line of buffered stdout.
skipped_cases() {
	local n
	n=$(sed -n 's/.*\[  SKIPPED \] \([0-9][0-9]*\) test(s), listed below:.*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }')
	echo $((n + $(grep -c '^SKIP-PART: ' "$1")))
}

run_test() { # NAME CMD...
	local name=$1 log=$LOGS/$1.log t0 t1 rc reason
	shift
	[ -z "$FILTER" ] || [[ $name =~ $FILTER ]] || return 0
	t0=$(date +%s)
	timeout -k 10 "$TIMEOUT" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	t1=$(date +%s)
	# Under CI, which has the shared fixtures, a skip for want of them is a
	# failure: the fixtures went missing.
	if [ "${CI:-}" = true ] && { [ $rc = 0 ] || [ $rc = 77 ]; } && grep -qE '^SKIP(-PART)?: .*IMGBUILD_SHARED' "$log"; then
		echo "FAIL $name: CI has the shared fixtures, but: $(grep -E '^SKIP(-PART)?: .*IMGBUILD_SHARED' "$log" | head -n 1)"
		failed=$((failed + 1))
		failed_names+=("$name")
		return 0
	fi
	case $rc in
	0)
		# A pass may still have skipped parts: cmocka's skip() exits 0, so
		# count its skipped cases (from its summary, "[  SKIPPED ] N
		# test(s), listed below:", one per group; each name is printed twice,
		# so names are not counted), and an e2e script's "SKIP-PART:" lines.
		local cases
		cases=$(skipped_cases "$log")
		if [ "$cases" -gt 0 ]; then
			reason=$(sed -n 's/^SKIP\(-PART\)\{0,1\}: //p' "$log" | head -n 1)
			echo "PASS $name ($((t1 - t0))s; $cases case(s) skipped: ${reason:-no reason given})"
			skipped=$((skipped + cases))
		else
			echo "PASS $name ($((t1 - t0))s)"
		fi
		pass=$((pass + 1))
		;;
	77)
		reason=$(sed -n 's/^SKIP: //p' "$log" | tail -n 1)
		echo "SKIP $name: ${reason:-no reason given}"
		skipped=$((skipped + 1))
		;;
	*)
		[ $rc = 124 ] && echo "(timed out after ${TIMEOUT}s)" >>"$log"
		echo "FAIL $name (exit $rc, $((t1 - t0))s; log: ${log#"$REPO"/})"
		tail -n 40 "$log" | sed 's/^/    /'
		failed=$((failed + 1))
		failed_names+=("$name")
		;;
	esac
}

for t in "$BUILD"/tests/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	run_test "$(basename "$t")" "$t"
done

if [ ! -x "$IMGBUILD" ]; then
	echo "FAIL e2e: $IMGBUILD was not built"
	failed=$((failed + 1))
	failed_names+=("e2e")
else
	for t in "$REPO"/tests/e2e/*.sh; do
		case $(basename "$t") in lib.sh | lib-media.sh) continue ;; esac # sourced helpers
		run_test "e2e-$(basename "$t" .sh)" bash "$t"
	done
fi

[ $failed -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$pass passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
