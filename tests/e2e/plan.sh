#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `imgbuild plan` writes nothing (not in the cwd, the default ./out, TMPDIR or
# the recipe's folder), prints the layout and every step, and gives the same
# layout each time; --json is one document with the contract's fields.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv "$PY"
setup_tmp
stage_recipe gpt512
cp "$E2E"/recipes/{gpt4k,mbr,small}.yml "$T/r/"
cp "$REPO/recipes/example.yml" "$T/r/"
cp -a "$REPO/recipes/payload/efi" "$REPO/recipes/payload/setup" "$T/r/payload/"
chown -R "$NOBODY:$NOBODY" "$T/r"
snapshot() { (cd "$T" && find r w -printf '%p %s %T@ %m\n' | LC_ALL=C sort); }

for name in gpt512 gpt4k mbr small example; do
	r=$T/r/$name.yml
	before=$(snapshot)
	(cd "$T/w" && run_unpriv "$IMGBUILD" plan "$r") >"$T/$name.txt" 2>"$T/$name.err"
	rc=$?
	assert_eq "$name: plan exit status" 0 "$rc"
	[ $rc = 0 ] || sed 's/^/  | /' "$T/$name.err"
	(cd "$T/w" && run_unpriv "$IMGBUILD" plan "$r" --json) >"$T/$name.json" 2>"$T/$name.jerr"
	rc=$?
	assert_eq "$name: plan --json exit status" 0 "$rc"
	[ $rc = 0 ] || { sed 's/^/  | /' "$T/$name.jerr"; continue; }
	(cd "$T/w" && run_unpriv "$IMGBUILD" plan "$r" --json) >"$T/$name.2.json" 2>/dev/null
	after=$(snapshot)
	if [ "$before" != "$after" ]; then
		fail "$name: plan changed files:"
		diff <(echo "$before") <(echo "$after") | sed 's/^/  /' | head -n 20
	fi
	"$PY" - "$T/$name.json" "$T/$name.2.json" "$T/$name.txt" "$name" <<'PYEOF' || fail "$name: plan output"
import json, re, sys
try:
    d = json.load(open(sys.argv[1]))
    d2 = json.load(open(sys.argv[2]))
except ValueError as e:
    print(f"  not one JSON document: {e}"); sys.exit(1)
human = open(sys.argv[3], encoding="utf-8", errors="replace").read()
name = sys.argv[4]
bad = []
for k in ("name", "table", "sector_size", "disk_size", "partitions", "steps", "outputs"):
    if k not in d: bad.append(f"no key {k!r}")
if bad:
    print("  " + "; ".join(bad)); sys.exit(1)
if d["name"] != name: bad.append(f"name {d['name']!r}")
idk = "disk_guid" if d["table"] == "gpt" else "mbr_signature"
if idk not in d: bad.append(f"no {idk}")
if d["table"] == "gpt" and not re.fullmatch(r"[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}", d.get("disk_guid", "")):
    bad.append(f"disk_guid {d.get('disk_guid')!r} is not a GUID")
ss = d["sector_size"]
prev_end = -1
for q in d["partitions"]:
    keys = ["number", "name", "type", "start_lba", "end_lba", "offset", "size", "fs", "files", "dirs", "bytes"]
    if q.get("fs") is not None: keys += ["label", "cluster_size"]
    for k in keys:
        if k not in q: bad.append(f"p{q.get('number')}: no key {k!r}")
    if d["table"] == "gpt" and ("type_guid" not in q or "guid" not in q): bad.append(f"p{q.get('number')}: no type_guid/guid")
    if d["table"] == "mbr" and "mbr_type" not in q: bad.append(f"p{q.get('number')}: no mbr_type")
    if q["offset"] != q["start_lba"] * ss: bad.append(f"p{q['number']}: offset {q['offset']} != start_lba * {ss}")
    if q["size"] != (q["end_lba"] - q["start_lba"] + 1) * ss: bad.append(f"p{q['number']}: size disagrees with LBAs")
    if q["offset"] % (1024 * 1024): bad.append(f"p{q['number']}: not 1 MiB aligned")
    if q["start_lba"] <= prev_end: bad.append(f"p{q['number']}: overlaps")
    prev_end = q["end_lba"]
    if q["end_lba"] * ss >= d["disk_size"]: bad.append(f"p{q['number']}: beyond the disk")
    if q.get("name") and q["name"] not in human: bad.append(f"human plan does not mention partition {q['name']!r}")
if d["partitions"] and d["partitions"][0]["offset"] != 1024 * 1024: bad.append("first partition not at 1 MiB")
if not d["steps"]: bad.append("no steps")
for s in d["steps"]:
    if "title" not in s or "argv" not in s: bad.append(f"step without title/argv: {s}"); continue
    if s["argv"] is not None and not (isinstance(s["argv"], list) and s["argv"] and all(isinstance(a, str) for a in s["argv"])):
        bad.append(f"step {s['title']!r}: argv is not a list of strings")
    if s["title"] not in human: bad.append(f"human plan does not show step {s['title']!r}")
for o in d["outputs"]:
    ext = {"vpc": "vhd"}.get(o.get("format"), o.get("format"))
    if not str(o.get("path", "")).endswith(f"out/{name}.{ext}"): bad.append(f"output path {o.get('path')!r}, expected .../out/{name}.{ext}")
def layout(x): return [(q["number"], q["start_lba"], q["end_lba"], q.get("type_guid") or q.get("mbr_type"), q["fs"]) for q in x["partitions"]]
if layout(d) != layout(d2): bad.append("two plans of the same recipe differ in layout")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PYEOF
done
assert_dir_holds "$T/w" tmp
[ -e "$T/w/out" ] && fail "plan created $T/w/out"
finish
