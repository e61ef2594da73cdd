#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input: exit status 2, every error as FILE:LINE:COL: error: on stderr,
# pointing at the right line, and nothing written. Usage errors: exit 2.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv
setup_tmp
mkdir -p "$T/r"
cp -a "$E2E/recipes/bad" "$T/r/"
chown -R "$NOBODY:$NOBODY" "$T/r"

for r in "$T"/r/bad/*.yml; do
	b=$(basename "$r")
	lines=$(sed -n '1s/^# expect-line: //p' "$r")
	re="^$(printf '%s' "$r" | sed 's/[.[\*^$]/\\&/g'):($(echo $lines | tr ' ' '|')):[0-9]+: error: "
	for cmd in build plan; do
		out=$T/w/out-$b-$cmd
		if [ $cmd = build ]; then
			(cd "$T/w" && run_unpriv "$IMGBUILD" build "$r" -o "$out") >"$T/out.txt" 2>"$T/err.txt"
		else
			(cd "$T/w" && run_unpriv "$IMGBUILD" plan "$r") >"$T/out.txt" 2>"$T/err.txt"
		fi
		rc=$?
		if [ $rc != 2 ]; then
			fail "$b ($cmd): exit $rc, expected 2"
			sed 's/^/  | /' "$T/err.txt" | head -n 20
			continue
		fi
		grep -qE "$re" "$T/err.txt" || {
			fail "$b ($cmd): no 'FILE:LINE:COL: error:' at line(s) $lines of $r on stderr:"
			sed 's/^/  | /' "$T/err.txt" | head -n 20
		}
		assert_dir_holds "$out"
		assert_no_leftovers "$out"
	done
done
assert_dir_holds "$T/w" tmp

# Every error at once, not just the first.
cat >"$T/r/two.yml" <<'YML'
imgbuild: 1
name: two-errors
disk:
  size: 64MiB
  table: gpt
  colour: blue
  partitions:
    - name: one
      type: basic-data
      size: 12 furlongs
outputs:
  - { format: raw }
YML
chown "$NOBODY" "$T/r/two.yml"
(cd "$T/w" && run_unpriv "$IMGBUILD" build "$T/r/two.yml" -o "$T/w/o2") >/dev/null 2>"$T/err.txt"
assert_eq "two errors: exit status" 2 "$?"
assert_matches "two errors: the unknown key (line 6)" "two\.yml:6:[0-9]+: error: " "$T/err.txt"
assert_matches "two errors: the bad size (line 10)" "two\.yml:10:[0-9]+: error: " "$T/err.txt"

# Usage errors.
usage() { # WHAT ARGS...
	local what=$1
	shift
	(cd "$T/w" && run_unpriv "$IMGBUILD" "$@") >"$T/out.txt" 2>"$T/err.txt"
	local rc=$?
	[ $rc = 2 ] || { fail "$what: exit $rc, expected 2"; sed 's/^/  | /' "$T/err.txt" | head -n 5; }
	[ -s "$T/err.txt" ] || fail "$what: nothing on stderr"
}
usage "no arguments"
usage "unknown command" frobnicate
usage "build without a recipe" build
usage "unknown option" build "$T/r/bad/too-big.yml" --no-such-option
usage "missing recipe file" build "$T/r/does-not-exist.yml" -o "$T/w/o3"
assert_contains "missing recipe file: names the file" "does-not-exist.yml" "$T/err.txt"
assert_dir_holds "$T/w" tmp
finish
