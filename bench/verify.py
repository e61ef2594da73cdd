# SPDX-License-Identifier: GPL-2.0-or-later
"""Check a benchmark output: the disk's table (sgdisk -v and the expected
layout), the ESP's and the NTFS partition's filesystem types, and every file's
sha256 against the payload manifest (read back through a read-only ntfs-3g
mount of an offset loop device: needs root). Each check returns None when all
is well, or a one-line reason."""
import hashlib
import os
import re
import subprocess
import tempfile

MIB = 1 << 20
# Partition: (start sector, size in sectors or None for "up to the end", type code)
LAYOUT = [(2048, 260 * MIB // 512, "EF00"), (534528, 16 * MIB // 512, "0C01"), (567296, None, "0700")]


def sh(*argv, check=True):
    p = subprocess.run(argv, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}: {(p.stderr or p.stdout).strip()[-300:]}")
    return p


def load_manifest(path):
    want = {}
    with open(path) as f:
        for line in f:
            digest, rel = line.rstrip("\n").split("  ", 1)
            want[rel] = digest
    return want


def hash_tree(root):
    got = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(4 * MIB):
                    h.update(chunk)
            got[os.path.relpath(path, root)] = h.hexdigest()
    return got


def compare_tree(root, want):
    got = hash_tree(root)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    bad = sorted(k for k in set(want) & set(got) if want[k] != got[k])
    if missing or extra or bad:
        parts = []
        for label, items in (("missing", missing), ("extra", extra), ("different", bad)):
            if items:
                parts.append(f"{len(items)} {label} (e.g. {items[0]})")
        return "files: " + ", ".join(parts)
    return None


def partitions(raw):
    """[(number, start, end, code)] from sgdisk -p."""
    out = sh("sgdisk", "-p", raw).stdout
    parts = []
    for line in out.splitlines():
        m = re.match(r"\s*(\d+)\s+(\d+)\s+(\d+)\s+\S+\s+\S+\s+([0-9A-F]{4})\b", line)
        if m:
            parts.append((int(m[1]), int(m[2]), int(m[3]), m[4]))
    return parts


def check_table(raw, disk_bytes):
    v = sh("sgdisk", "-v", raw, check=False)
    if v.returncode != 0 or "No problems found" not in v.stdout:
        return "sgdisk -v: " + " ".join(v.stdout.split())[-200:]
    parts = partitions(raw)
    if len(parts) != len(LAYOUT):
        return f"expected {len(LAYOUT)} partitions, found {len(parts)}"
    last_usable = disk_bytes // 512 - 34
    for (n, start, end, code), (wstart, wsize, wcode) in zip(parts, LAYOUT):
        size_ok = end - start + 1 == wsize if wsize else last_usable - 2048 < end <= last_usable
        if start != wstart or not size_ok or code != wcode:
            return f"partition {n}: {start}-{end} {code}, expected start {wstart} type {wcode}"
    return None


def fs_type(raw, offset):
    p = sh("blkid", "-p", "-O", str(offset), "-o", "export", raw, check=False)
    kv = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
    return kv.get("TYPE", "none"), kv.get("VERSION", "")


def check_ntfs_files(raw, start, end, want, scratch):
    mnt = tempfile.mkdtemp(dir=scratch, prefix="mnt.")
    loop = sh("losetup", "-r", "-f", "--show", "-o", str(start * 512), "--sizelimit",
              str((end - start + 1) * 512), raw).stdout.strip()
    try:
        sh("ntfs-3g", "-o", "ro", loop, mnt)
        try:
            return compare_tree(mnt, want)
        finally:
            sh("umount", mnt)
    finally:
        sh("losetup", "-d", loop, check=False)
        os.rmdir(mnt)


def check_disk(image, fmt, disk_bytes, want, scratch):
    """Full check of a disk image (qcow2 or raw)."""
    raw = image
    tmp = None
    try:
        if fmt != "raw":
            c = sh("qemu-img", "check", "-f", fmt, image, check=False)
            if c.returncode != 0:
                return f"qemu-img check: exit {c.returncode}: {c.stdout.strip()[-200:]}"
            tmp = os.path.join(scratch, "verify.raw")
            sh("qemu-img", "convert", "-f", fmt, "-O", "raw", image, tmp)
            raw = tmp
        if os.path.getsize(raw) != disk_bytes:
            return f"disk is {os.path.getsize(raw)} bytes, expected {disk_bytes}"
        why = check_table(raw, disk_bytes)
        if why:
            return why
        parts = partitions(raw)
        t, ver = fs_type(raw, parts[0][1] * 512)
        if t != "vfat" or ver != "FAT32":
            return f"partition 1 holds {t} {ver}, expected vfat FAT32"
        t, _ = fs_type(raw, parts[2][1] * 512)
        if t != "ntfs":
            return f"partition 3 holds {t}, expected ntfs"
        return check_ntfs_files(raw, parts[2][1], parts[2][2], want, scratch)
    except RuntimeError as e:
        return str(e)
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)


def check_same_image(raw, image, fmt):
    c = sh("qemu-img", "compare", "-q", "-f", "raw", "-F", fmt, raw, image, check=False)
    return None if c.returncode == 0 else f"qemu-img compare: exit {c.returncode} {c.stderr.strip()[-200:]}"
