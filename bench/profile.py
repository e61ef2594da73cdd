#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where imgbuild's time goes on the bench job, and what the candidate
optimisations would save: each variant is a command measured like the bench
cases (measure.py), N times, interleaved, after a warm-up; sync before each.

usage: bench/profile.py [-n N] [--work DIR]   (root; after one bench run, or
it builds the finished raw disk itself)

Variants:
  the output step: qemu-img convert of the finished raw with the options
  imgbuild uses now, and with -W, -m 16, -t none (O_DIRECT writes), a 2 MiB
  qcow2 cluster; each with and without the fsync imgbuild does afterwards;
  the mkntfs step: mkntfs alone on the partition-sized sparse file, and the
  copy of its extents (the allocated bytes, read and rewritten);
  the file copy: the payload copied by read/write in 1 MiB and 4 MiB chunks
  and by copy_file_range, into one preallocated file (the data-moving part of
  the libntfs-3g step, without NTFS).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys

import measure

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MIB = 1 << 20

COPY = r'''
import os, sys
mode, chunk, src_root, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(src_root) for f in fs)
out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
pos = 0
buf = bytearray(chunk)
for path in files:
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    if mode == "cfr":
        off = 0
        while off < size:
            off += os.copy_file_range(fd, out, size - off, None, pos + off)
    else:
        off = 0
        while True:
            n = os.readv(fd, [buf])
            if not n:
                break
            os.pwrite(out, memoryview(buf)[:n], pos + off)
            off += n
    pos += (size + 4095) & ~4095
    os.close(fd)
os.close(out)
'''


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-n", "--runs", type=int, default=5)
    p.add_argument("--work", default=os.environ.get("BENCH_WORK", "/var/tmp/imgbuild-bench"))
    p.add_argument("--imgbuild", default=os.path.join(REPO, "build", "rel", "imgbuild"))
    a = p.parse_args()
    measure.become_subreaper()
    work = a.work
    pay = os.path.join(work, "payload-x1")
    subprocess.run([sys.executable, os.path.join(HERE, "payload.py"), pay, "1"], check=True)
    raw = os.path.join(work, "finished", "bench.raw")
    if not os.path.exists(raw):
        subprocess.run([a.imgbuild, "build", os.path.join(HERE, "recipes", "bench.yml"), "--set",
                        f"disk.partitions.2.files.0.src={pay}", "--set", "outputs=[{format: raw}]",
                        "-o", os.path.dirname(raw)], check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(work, "prof")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    q = os.path.join(out, "o.qcow2")
    conv = ["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2"]
    fsync = ["&&", "sync", q]  # coreutils sync FILE: fsync(2) of that file

    def shell(*parts):
        return ["sh", "-c", " ".join(parts)]

    # mkntfs as imgbuild runs it, on a partition-sized sparse file.
    ntfs_tmp = os.path.join(out, "ntfs.tmp")
    part_bytes = (16777182 - 567296 + 1 - 2047) * 512  # approximately the bench's p3
    mkntfs = shell("rm -f", ntfs_tmp, "&& truncate -s", str(part_bytes), ntfs_tmp,
                   "&& mkntfs -Q -F -q -s 512 -c 4096 -p 567296 -H 255 -S 63 -L Windows", ntfs_tmp)
    ext_copy = shell("cp --sparse=always", ntfs_tmp, ntfs_tmp + ".copy")  # reads+writes the data extents
    variants = {
        "convert (as imgbuild: -f raw -O qcow2), no fsync": conv + [raw, q],
        "convert, then fsync (what imgbuild does)": shell(*conv, raw, q, *fsync),
        "convert -W, then fsync": shell(*conv, "-W", raw, q, *fsync),
        "convert -m 16 -W, then fsync": shell(*conv, "-m 16 -W", raw, q, *fsync),
        "convert -t none (O_DIRECT), then fsync": shell(*conv, "-t none", raw, q, *fsync),
        "convert -t none -W, then fsync": shell(*conv, "-t none -W", raw, q, *fsync),
        "convert -o cluster_size=2M, then fsync": shell(*conv, "-o cluster_size=2M", raw, q, *fsync),
        "convert -t none -o cluster_size=2M, no fsync": shell(*conv, "-t none -o cluster_size=2M", raw, q),
        "mkntfs -Q on the 7.7 GiB sparse file": mkntfs,
        "copy mkntfs's data extents (cp --sparse=always)": ext_copy,
        "payload copy, read+pwrite 1 MiB chunks": [sys.executable, "-c", COPY, "rw", str(1 << 20), pay,
                                                   os.path.join(out, "flat")],
        "payload copy, read+pwrite 4 MiB chunks": [sys.executable, "-c", COPY, "rw", str(4 << 20), pay,
                                                   os.path.join(out, "flat")],
        "payload copy, copy_file_range": [sys.executable, "-c", COPY, "cfr", "0", pay,
                                          os.path.join(out, "flat")],
    }
    env = dict(os.environ, LC_ALL="C")
    results = {k: [] for k in variants}
    for rnd in range(a.runs + 1):
        for name, argv in variants.items():
            if name.startswith("copy mkntfs"):
                if os.path.exists(ntfs_tmp + ".copy"):
                    os.unlink(ntfs_tmp + ".copy")
            os.sync()
            r = measure.run(argv, env, os.path.join(out, "log"), 300)
            if r["rc"] != 0:
                with open(os.path.join(out, "log")) as f:
                    sys.exit(f"{name}: exit {r['rc']}: {f.read()[-500:]}")
            if rnd:
                results[name].append(r)
            for f in (q,):
                if os.path.exists(f):
                    os.unlink(f)
    print(f"| variant (N={a.runs}, interleaved) | wall median (min-max) s | user+sys s |")
    print("|---|---|---|")
    for name, rs in results.items():
        w = [r["wall"] for r in rs]
        c = [r["user"] + r["sys"] for r in rs]
        print(f"| {name} | {statistics.median(w):.3f} ({min(w):.3f}-{max(w):.3f}) | {statistics.median(c):.3f} |")
    st = os.stat(ntfs_tmp)
    print(f"\nmkntfs leaves {st.st_blocks * 512 / MIB:.1f} MiB allocated in the {st.st_size / MIB:.0f} MiB file")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
