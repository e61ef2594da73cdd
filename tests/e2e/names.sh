#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Names a filesystem cannot store, or Windows cannot tell apart, are refused
# while planning: exit 2 at the files: item's FILE:LINE:COL, nothing written,
# an earlier output left byte-identical, the same on the lib and the mount
# backend. FAT short-name (8.3 alias) clashes never lose a file.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv
need mcopy
setup_tmp
R=$T/r
mkdir -p "$R/one"
echo one >"$R/one/f.txt"

# recipe FS DST [TREE]: a one-partition recipe whose files: item is on line 12.
recipe() {
	local fs=$1 dst=$2 src=${3:-one/f.txt}
	cat >"$R/n.yml" <<YML
imgbuild: 1
name: n
disk:
  size: 96MiB
  table: gpt
  partitions:
    - name: p
      type: basic-data
      size: rest
      fs: { type: $fs }
      files:
        - src: '$src'
          dst: '$dst'
outputs: [ { format: raw } ]
YML
	chown -R "$NOBODY:$NOBODY" "$R"
}

# A good build first: the later refusals must leave it byte-identical.
recipe ntfs /keep.txt
ib_build "$R/n.yml" "$T/w/out"
expect_build_rc 0
before=$(sha256sum "$T/w/out/n.raw")

# expect_refused WHAT LINE NEEDLE [BACKEND]: plan and build exit 2 at line LINE.
expect_refused() {
	local what=$1 line=$2 needle=$3 backend=${4:-lib} cmd
	for cmd in plan build; do
		local args=()
		[ $cmd = build ] && args=(-o "$T/w/out" --backend "$backend")
		(cd "$T/w" && run_unpriv "$IMGBUILD" $cmd "$R/n.yml" "${args[@]}") >/dev/null 2>"$T/err.txt"
		local rc=$?
		if [ $rc != 2 ]; then
			fail "$what ($cmd, $backend): exit $rc, expected 2"
			sed 's/^/  | /' "$T/err.txt" | head -n 8
			continue
		fi
		head -n 1 "$T/err.txt" | grep -qE "^$R/n\.yml:$line:[0-9]+: error: " ||
			{ fail "$what ($cmd): first error not at line $line:"; head -n 3 "$T/err.txt" | sed 's/^/  | /'; }
		grep -qF -- "$needle" "$T/err.txt" ||
			{ fail "$what ($cmd): no '$needle' in:"; head -n 3 "$T/err.txt" | sed 's/^/  | /'; }
	done
	assert_eq "$what: the earlier output" "$before" "$(sha256sum "$T/w/out/n.raw")"
	assert_dir_holds "$T/w/out" n.raw
	assert_no_leftovers "$T/w/out"
}

log "dst names (line 13)"
for fs in ntfs fat32; do
	for d in '/CON' '/sub/nul.txt' '/LPT1.log' '/COM¹' '/a:b' '/q?' '/star*' '/trail.' '/trail ' '/x/dir./f'; do
		recipe $fs "$d"
		expect_refused "$fs dst $d" 13 "cannot be stored on"
	done
done
# 256 UTF-16 units: only a dst can say it (a host name has at most 255 bytes).
for fs in ntfs fat32; do
	recipe $fs "/$(printf 'x%.0s' $(seq 256))"
	expect_refused "$fs 256 units" 13 "at most 255 UTF-16 units"
done
for d in '/$MFT' '/$mftmirr' '/$LogFile' '/$Volume' '/$AttrDef' '/$Bitmap' '/$Boot' '/$BadClus' \
	'/$Secure' '/$UPCASE' '/$Extend' '/$Extend/$Quota' '/$extend/anything'; do
	recipe ntfs "$d"
	expect_refused "ntfs metafile $d" 13 "NTFS metadata file"
done
recipe fat32 '/$Bitmap' # FAT has no such files
ib_build "$R/n.yml" "$T/w/out2"
expect_build_rc 0
rm -rf "$T/w/out2"

# Names inside a copied tree (line 12, the src:), made here: git cannot carry them.
bad_tree() { # NAME... : a tree with one bad entry
	rm -rf "$R/tree"
	mkdir -p "$R/tree/ok"
	echo ok >"$R/tree/ok/fine.txt"
	local n
	for n in "$@"; do
		case $n in */) mkdir -p "$R/tree/$n" ;; *) echo x >"$R/tree/$n" ;; esac
	done
}
log "names in trees (line 12)"
for fs in ntfs fat32; do
	for n in 'CON' 'aux.txt' 'a:b' 'trail.' 'dev|pipe' "$(printf 'bad\xff')" "$(printf 'ovl\xc0\xaf')" \
		"$(printf 'sur\xed\xa0\x80')"; do
		bad_tree "$n"
		recipe $fs /t tree
		expect_refused "$fs tree name $(printf %q "$n" | cut -c1-20)" 12 "from '"
	done
	# Names Windows cannot tell apart (NTFS's upcase table; FAT the same).
	for pair in 'É.txt é.txt' 'Σ σ' 'README readme' 'X x/' 'ok/FINE.TXT ok/fine.txt'; do
		read -r a b <<<"$pair"
		bad_tree "$a" "$b"
		recipe $fs /t tree
		expect_refused "$fs clash $pair" 12 "cannot both be on"
	done
done
bad_tree 'emoji-😀.txt'
recipe fat32 /t tree
expect_refused "fat emoji" 12 "cannot be stored in a FAT name"

log "the mount backend refuses the same names"
recipe ntfs '/$Bitmap'
expect_refused "mount backend metafile" 13 "NTFS metadata file" mount
bad_tree 'É.txt' 'é.txt'
recipe ntfs /t tree
expect_refused "mount backend clash" 12 "cannot both be on" mount

log "FAT short-name clashes keep every file"
rm -rf "$R/short"
mkdir -p "$R/short"
for n in longfilename.txt 'longfi~1.txt' 'longfi~2.txt' abcdefghij 'abcdef~1' 'LONGFI~3.TXT' 'long file name.txt'; do
	printf '%s\n' "$n" >"$R/short/$n"
done
recipe fat32 /s short
rm -rf "$T/w/out3"
ib_build "$R/n.yml" "$T/w/out3"
expect_build_rc 0
img=$T/w/out3/n.raw
off=$((1024 * 1024))
for n in longfilename.txt 'longfi~1.txt' 'longfi~2.txt' abcdefghij 'abcdef~1' 'LONGFI~3.TXT' 'long file name.txt'; do
	got=$(MTOOLSRC=/dev/null mtype -i "$img@@$off" "::/s/$n" 2>&1)
	assert_eq "FAT file $n" "$n" "$got"
done
count=$(MTOOLSRC=/dev/null mdir -b -i "$img@@$off" ::/s/ | wc -l)
assert_eq "FAT: files in /s" 7 "$count"
finish
