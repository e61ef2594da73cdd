#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Make the benchmark payload, deterministically.

At scale 1: 2000 driver files of 1 to 64 KiB in 100 folders (Drivers/pkgNNN)
plus 4 installers of 64 MiB (Installers/), about 330 MiB. Scale s multiplies
the driver files and folders, and the installers' size, so the bytes grow
linearly. The bytes come from a seeded Mersenne Twister: incompressible, and
the same on every run and machine. A sha256 manifest (sha256sum format, paths
relative to the payload root) is written beside the tree; an existing payload
whose stamp matches is kept.

usage: payload.py DIR SCALE
"""
import hashlib
import json
import os
import random
import shutil
import sys

VERSION = 1  # bump when the generator's output changes
EXTS = (".inf", ".sys", ".cat", ".dll")


def layout(scale):
    """Yield (relative path, size) for every file, in a fixed order."""
    rng = random.Random(f"imgbuild-bench-layout-{VERSION}")
    nfiles = max(1, round(2000 * scale))
    ndirs = max(1, round(100 * scale))
    for i in range(nfiles):
        size = rng.randint(1024, 64 * 1024)
        yield f"Drivers/pkg{i % ndirs:03d}/drv{i:05d}{EXTS[i % len(EXTS)]}", size
    inst = max(1, round(64 * 1024 * 1024 * scale))
    for i in range(4):
        yield f"Installers/setup{i}.exe", inst


def generate(root, scale):
    manifest = []
    total = 0
    for rel, size in layout(scale):
        rng = random.Random(f"imgbuild-bench-data-{VERSION}-{rel}")
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        h = hashlib.sha256()
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 4 << 20)
                chunk = rng.randbytes(n)
                h.update(chunk)
                f.write(chunk)
                left -= n
        manifest.append((rel, h.hexdigest(), size))
        total += size
    return manifest, total


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, scale = sys.argv[1], float(sys.argv[2])
    stamp_path = out + ".stamp"
    want = {"version": VERSION, "scale": scale}
    try:
        with open(stamp_path) as f:
            if json.load(f) == want and os.path.isdir(out):
                return
    except (OSError, ValueError):
        pass
    shutil.rmtree(out, ignore_errors=True)
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    manifest, total = generate(tmp, scale)
    # Fixed modes and times, so every peer copies the same metadata.
    for dirpath, dirs, files in os.walk(tmp):
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)
            os.utime(os.path.join(dirpath, name), (1700000000, 1700000000))
        os.chmod(dirpath, 0o755)
    with open(out + ".sha256", "w") as f:
        for rel, digest, _ in manifest:
            f.write(f"{digest}  {rel}\n")
    os.rename(tmp, out)
    with open(stamp_path, "w") as f:
        json.dump(want, f)
    print(f"payload: {out}: {len(manifest)} files, {total / 2**20:.1f} MiB (scale {scale})")


if __name__ == "__main__":
    main()
