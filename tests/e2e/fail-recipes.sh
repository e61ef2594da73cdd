#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every bad recipe of the unit suite (tests/recipes/fail-*.yml), through the
# real binary: exit 2, and the first line on stderr is FILE:LINE:COL: error:
# at the line and column its "# expect: LINE:COL message" header names, with
# the message. Nothing is written.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_imgbuild
setup_tmp
n=0
for r in "$REPO"/tests/recipes/fail-*.yml; do
	hdr=$(sed -n '1s/^# expect: //p' "$r")
	[ -n "$hdr" ] || { fail "$r: no '# expect:' header"; continue; }
	pos=${hdr%% *}
	msg=${hdr#* }
	(cd "$T" && "$IMGBUILD" build "$r" -o "$T/out") >"$T/out.txt" 2>"$T/err.txt"
	rc=$?
	n=$((n + 1))
	if [ $rc != 2 ]; then
		fail "$(basename "$r"): exit $rc, expected 2"
		sed 's/^/  | /' "$T/err.txt" | head -n 10
		continue
	fi
	first=$(head -n 1 "$T/err.txt")
	case "$first" in
	"$r:$pos: error: "*) ;;
	*) fail "$(basename "$r"): first error is not at $pos: $first" ;;
	esac
	grep -qF -- "$msg" "$T/err.txt" || fail "$(basename "$r"): '$msg' not on stderr"
	[ -e "$T/out" ] && { fail "$(basename "$r"): build wrote $T/out"; rm -rf "$T/out"; }
done
[ $n -ge 25 ] || fail "only $n bad recipes"
echo "checked $n bad recipes"
finish
