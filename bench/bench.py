#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The benchmark harness behind bench/run.sh (issue 7).

Builds the bench job (bench/recipes/bench.yml: 8 GiB GPT, FAT32 ESP, MSR, NTFS
with the payload, qcow2) with imgbuild and with each peer, N times each,
interleaved, after one warm-up round; measures every run (measure.py);
verifies every output (verify.py); writes results.json and summary.md under
bench/results/<time>/ and, for a full run, the table into bench/README.md.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

import measure
import verify

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MIB = 1 << 20
GIB = 1 << 30
SRC_KEY = "disk.partitions.2.files.0.src"


class Case:
    def __init__(self, name, label, argv, output, fmt="qcow2", scale=1.0, disk_gib=8, user=None,
                 timeout=600, check="disk", imgbuild=False):
        self.name, self.label, self.argv, self.output, self.fmt = name, label, argv, output, fmt
        self.scale, self.disk_gib, self.user, self.timeout = scale, disk_gib, user, timeout
        self.check, self.imgbuild = check, imgbuild
        self.unavailable = None  # reason, once known
        self.runs = []


class Bench:
    def __init__(self, a):
        self.a = a
        self.work = os.path.abspath(a.work)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.results = os.path.join(os.path.abspath(a.results), stamp)
        self.logs = os.path.join(self.results, "logs")
        os.makedirs(self.logs)
        os.makedirs(self.work, exist_ok=True)
        os.chmod(self.work, 0o755)
        self.scratch = os.path.join(self.work, "scratch")
        os.makedirs(self.scratch, exist_ok=True)
        # A private copy: a rebuild in the shared tree mid-run cannot change
        # the binary under test.
        self.imgbuild = os.path.join(self.work, "imgbuild")
        shutil.copy2(os.path.abspath(a.imgbuild), self.imgbuild)
        os.chmod(self.imgbuild, 0o755)
        self.recipe = os.path.join(HERE, "recipes", "bench.yml")
        self.env = dict(os.environ, LC_ALL="C",
                        PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        self.env.pop("SOURCE_DATE_EPOCH", None)
        self.manifests = {}
        self.notes = []
        self.user = self.unprivileged_user()

    def log(self, msg):
        print(f"bench: {msg}", flush=True)

    # ---- setup ------------------------------------------------------------

    def unprivileged_user(self):
        """(uid, gid, name) to run the rootless imgbuild case as."""
        if os.getuid() != 0:
            return None
        uid = int(os.environ.get("SUDO_UID") or 65534)
        gid = int(os.environ.get("SUDO_GID") or 65534)
        if uid == 0:
            uid = gid = 65534
        import pwd
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        return uid, gid, name

    def as_user(self, argv):
        if not self.user:
            return argv
        uid, gid, _ = self.user
        return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"] + argv

    def payload(self, scale):
        path = os.path.join(self.work, f"payload-x{scale:g}")
        subprocess.run([sys.executable, os.path.join(HERE, "payload.py"), path, str(scale)], check=True)
        if scale not in self.manifests:
            self.manifests[scale] = verify.load_manifest(path + ".sha256")
        return path

    def payload_bytes(self, scale):
        return sum(os.path.getsize(os.path.join(dp, f))
                   for dp, _, fs in os.walk(self.payload(scale)) for f in fs)

    def imgbuild_argv(self, scale, disk_gib, extra=(), outputs=None):
        argv = [self.imgbuild, "build", self.recipe, "--set", f"{SRC_KEY}={self.payload(scale)}",
                "-o", "{OUT}", "--json"]
        if disk_gib != 8:
            argv += ["--set", f"disk.size={disk_gib}GiB"]
        if outputs:
            argv += ["--set", f"outputs={outputs}"]
        return argv + list(extra)

    def finished_raw(self):
        """The finished raw disk the qemu-img convert floor starts from."""
        d = os.path.join(self.work, "finished")
        raw = os.path.join(d, "bench.raw")
        if not os.path.exists(raw):
            shutil.rmtree(d, ignore_errors=True)
            argv = [x.replace("{OUT}", d) for x in self.imgbuild_argv(1.0, 8, outputs="[{format: raw}]")]
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        return raw

    def probe_mount_backend(self):
        """Whether `imgbuild build --backend mount` works, on a tiny recipe."""
        d = os.path.join(self.work, "probe")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "payload"))
        with open(os.path.join(d, "payload", "hello.txt"), "w") as f:
            f.write("hello\n")
        with open(os.path.join(d, "tiny.yml"), "w") as f:
            f.write("imgbuild: 1\nname: tiny\ndisk:\n  size: 64MiB\n  table: gpt\n  partitions:\n"
                    "    - name: data\n      type: basic-data\n      size: rest\n"
                    "      fs: { type: ntfs, label: Data }\n"
                    "      files: [ { src: payload, dst: / } ]\noutputs: [ { format: raw } ]\n")
        p = subprocess.run([self.imgbuild, "build", os.path.join(d, "tiny.yml"), "--backend", "mount",
                            "-o", os.path.join(d, "out")], capture_output=True, text=True, timeout=300)
        shutil.rmtree(d, ignore_errors=True)
        if p.returncode == 0:
            return None
        lines = [l for l in (p.stderr + p.stdout).splitlines() if l.strip()]
        return f"exit {p.returncode}: " + (lines[-1].strip() if lines else "no message")

    # ---- cases ------------------------------------------------------------

    def main_cases(self):
        a = self.a
        pay = self.payload(1.0)
        user_name = self.user[2] if self.user else os.environ.get("USER", "this user")
        cases = [Case("imgbuild", f"imgbuild (lib backend, as {user_name})",
                      self.as_user(self.imgbuild_argv(1.0, 8)), "bench.qcow2", user=self.user, imgbuild=True)]
        mount = Case("imgbuild-mount", "imgbuild --backend mount (root)",
                     self.imgbuild_argv(1.0, 8, ["--backend", "mount"]), "bench.qcow2", imgbuild=True)
        mount.unavailable = self.probe_mount_backend()
        cases.append(mount)
        sh = lambda n: ["sh", os.path.join(HERE, "cases", n)]
        cases.append(Case("manual", "manual pipeline (root: losetup, mkntfs, ntfs-3g FUSE, cp -a)",
                          sh("manual.sh"), "disk.qcow2"))
        cases.append(Case("wimlib", "wimlib piped (capture | apply, splice, convert)",
                          sh("wimlib.sh"), "disk.qcow2"))
        g = Case("guestfs", "libguestfs (guestfish, TCG appliance)", sh("guestfs.sh"), "disk.qcow2",
                 timeout=a.guestfs_timeout)
        if a.quick or a.no_guestfs:
            g.unavailable = "skipped (--quick or --no-guestfs)"
        elif not shutil.which("guestfish"):
            g.unavailable = "guestfish is not installed"
        cases.append(g)
        cases.append(Case("floor-cp", "floor: cp -a of the payload to the same disk",
                          ["cp", "-a", pay, "{OUT}/copy"], "copy", check="tree"))
        raw = self.finished_raw()
        cases.append(Case("floor-convert", "floor: qemu-img convert of the finished raw to qcow2",
                          ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, "{OUT}/disk.qcow2"],
                          "disk.qcow2", check="same:" + raw))
        return cases

    def scaling_cases(self):
        cases = []
        for scale, disk in ((0.1, 8), (1.0, 8), (4.0, 8), (1.0, 64)):
            cases.append(Case(f"imgbuild-x{scale:g}-{disk}g", f"imgbuild, payload x{scale:g}, {disk} GiB disk",
                              self.as_user(self.imgbuild_argv(scale, disk)), "bench.qcow2", scale=scale,
                              disk_gib=disk, user=self.user, imgbuild=True))
        return cases

    # ---- running ----------------------------------------------------------

    def run_once(self, c, tag):
        out = os.path.join(self.work, "out")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        if c.user:
            os.chown(out, c.user[0], c.user[1])
        argv = [x.replace("{OUT}", out) for x in c.argv]
        env = dict(self.env, PAYLOAD=self.payload(c.scale), OUT=out, DISK_SIZE=f"{c.disk_gib}G")
        os.sync()  # earlier runs' dirty pages are not this run's cost
        log = os.path.join(self.logs, f"{c.name}-{tag}.log")
        stdout = log[:-4] + ".json" if c.imgbuild else None
        r = measure.run(argv, env, log, c.timeout, stdout)
        r["tag"] = tag
        path = os.path.join(out, c.output)
        if r["timed_out"]:
            r["error"] = f"timed out after {c.timeout} s"
        elif r["rc"] != 0:
            r["error"] = f"exit {r['rc']}: {tail(log)}"
        elif not os.path.exists(path):
            r["error"] = f"no output {c.output}"
        else:
            r["apparent"], r["allocated"] = sizes(path)
            if c.imgbuild:
                r["steps"] = step_times(stdout)
            r["error"] = self.check(c, path)
        shutil.rmtree(out, ignore_errors=True)
        return r

    def check(self, c, path):
        if c.check == "tree":
            return verify.compare_tree(path, self.manifests[c.scale])
        if c.check.startswith("same:"):
            return verify.check_same_image(c.check[5:], path, c.fmt)
        return verify.check_disk(path, c.fmt, c.disk_gib * GIB, self.manifests[c.scale], self.scratch)

    def run_rounds(self, cases, n, phase):
        live = [c for c in cases if not c.unavailable]
        self.log(f"{phase}: warm-up round ({', '.join(c.name for c in live)})")
        for c in live:
            r = self.run_once(c, "warmup")
            if r["error"]:
                if c.name.startswith("imgbuild") and c.name != "imgbuild-mount":
                    raise SystemExit(f"bench: {c.name} failed: {r['error']} (log: {self.logs})")
                c.unavailable = f"failed in the warm-up: {r['error']}"
                self.log(f"  {c.name}: unavailable: {c.unavailable}")
            else:
                self.log(f"  {c.name}: {r['wall']:.2f} s (warm-up)")
        live = [c for c in live if not c.unavailable]
        for i in range(1, n + 1):
            for c in live:
                r = self.run_once(c, f"{phase}{i}")
                c.runs.append(r)
                state = "ok" if not r["error"] else "FAILED: " + r["error"]
                self.log(f"  {phase} {i}/{n} {c.name}: {r['wall']:.2f} s, cpu {r['user'] + r['sys']:.2f} s, "
                         f"rss {r['maxrss_kib'] / 1024:.1f} MiB, {state}")

    # ---- reporting --------------------------------------------------------

    def stats(self, c):
        ok = [r for r in c.runs if not r["error"]]
        if not ok:
            return None
        wall = [r["wall"] for r in ok]
        cpu = [r["user"] + r["sys"] for r in ok]
        s = {"n": len(ok), "failed": len(c.runs) - len(ok), "median": statistics.median(wall),
             "min": min(wall), "max": max(wall), "cpu": statistics.median(cpu),
             "daemon_cpu": statistics.median(r.get("daemon_cpu", 0.0) for r in ok),
             "user": statistics.median(r["user"] for r in ok), "sys": statistics.median(r["sys"] for r in ok),
             "rss_mib": max(r["maxrss_kib"] for r in ok) / 1024,
             "apparent": ok[-1].get("apparent"), "allocated": ok[-1].get("allocated")}
        if c.imgbuild and all(r.get("steps") for r in ok):
            titles = list(ok[0]["steps"])
            s["steps"] = {t: statistics.median(r["steps"].get(t, 0.0) for r in ok) for t in titles}
        return s

    def report(self, main, scaling, started):
        by = {c.name: c for c in main + scaling}
        st = {c.name: self.stats(c) for c in main + scaling}
        med = lambda n: st[n]["median"] if st.get(n) else None
        lines = []
        w = lines.append
        w(f"Run of {started:%Y-%m-%d %H:%M} UTC, N = {self.a.runs} measured runs per case after one warm-up "
          f"round, interleaved; payload x1 = {self.payload_bytes(1.0) / MIB:.1f} MiB in "
          f"{len(self.manifests[1.0])} files. Ratios are medians of this run against medians of this run.")
        w("")
        w("| case | wall median (min-max) s | user+sys CPU s | peak RSS MiB | output MiB (allocated / apparent) "
          "| vs manual | vs wimlib | verified |")
        w("|---|---|---|---|---|---|---|---|")
        for c in main:
            s = st[c.name]
            if c.unavailable or not s:
                reason = c.unavailable or "every run failed: " + c.runs[0]["error"]
                w(f"| {c.label} | unavailable: {md(reason)} | | | | | | |")
                continue
            ratio = lambda ref: f"{s['median'] / med(ref):.3f}x" if med(ref) else "n/a"
            out = (f"{s['allocated'] / MIB:.1f} / {s['apparent'] / MIB:.1f}"
                   if s["apparent"] is not None else "")
            ver = f"{s['n']}/{len(c.runs)}" + (f" ({s['failed']} failed)" if s["failed"] else "")
            cpu = f"{s['cpu']:.2f}" + (f" ({s['daemon_cpu']:.2f} in daemons)" if s["daemon_cpu"] >= 0.01 else "")
            w(f"| {c.label} | {s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f}) | {cpu} "
              f"| {s['rss_mib']:.1f} | {out} | {ratio('manual')} | {ratio('wimlib')} | {ver} |")
        w("")
        targets = []
        ib = med("imgbuild")
        floor = (med("floor-cp") + med("floor-convert")) if med("floor-cp") and med("floor-convert") else None

        def target(what, value, limit, fmt="{:.3f}x"):
            if value is None:
                targets.append((what, "not measured", limit, "n/a"))
            else:
                targets.append((what, fmt.format(value), limit, "met" if eval_ok(value, limit) else "NOT MET"))

        target("wall time vs the manual pipeline", ib / med("manual") if ib and med("manual") else None, "<= 0.15x")
        target("wall time vs wimlib piped", ib / med("wimlib") if ib and med("wimlib") else None, "<= 0.7x")
        target("wall time vs the floor (cp -a + qemu-img convert)", ib / floor if ib and floor else None, "<= 1.6x")
        rss = [st[c.name]["rss_mib"] for c in main + scaling
               if c.name == "imgbuild" or c.name.startswith("imgbuild-x") if st.get(c.name)]
        target("peak RSS of imgbuild, every payload size", max(rss) if rss else None, "< 64 MiB", "{:.1f} MiB")
        d8, d64 = med("imgbuild-x1-8g"), med("imgbuild-x1-64g")
        target("64 GiB disk vs 8 GiB disk, same payload", d64 / d8 if d8 and d64 else None, "<= 1.10x")
        w("| target | measured | limit | |")
        w("|---|---|---|---|")
        for t in targets:
            w(f"| {t[0]} | {t[1]} | {t[2]} | {t[3]} |")
        w("")
        if scaling and any(st.get(c.name) for c in scaling):
            w("Scaling (imgbuild only, interleaved in their own rounds):")
            w("")
            w("| payload | disk | payload MiB | wall median (min-max) s | MiB/s | user+sys CPU s | peak RSS MiB "
              "| output MiB allocated |")
            w("|---|---|---|---|---|---|---|---|")
            for c in scaling:
                s = st[c.name]
                if not s:
                    w(f"| x{c.scale:g} | {c.disk_gib} GiB | | unavailable: {md(c.unavailable or 'failed')} | | | | |")
                    continue
                mib = self.payload_bytes(c.scale) / MIB
                w(f"| x{c.scale:g} | {c.disk_gib} GiB | {mib:.1f} | {s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f}) "
                  f"| {mib / s['median']:.0f} | {s['cpu']:.2f} | {s['rss_mib']:.1f} | {s['allocated'] / MIB:.1f} |")
            w("")
        if st.get("imgbuild") and st["imgbuild"].get("steps"):
            w("Where imgbuild's wall time goes (median seconds per step, from its --json events):")
            w("")
            w("| step | s |")
            w("|---|---|")
            for title, sec in st["imgbuild"]["steps"].items():
                w(f"| {md(title)} | {sec:.3f} |")
            w("")
        for n in self.notes:
            w(f"- {n}")
        summary = "\n".join(lines).rstrip() + "\n"
        env_md = self.environment_md()
        with open(os.path.join(self.results, "summary.md"), "w") as f:
            f.write(summary + "\n" + env_md)
        with open(os.path.join(self.results, "results.json"), "w") as f:
            json.dump({"args": vars(self.a), "started": started.isoformat(), "environment": self.environment,
                       "cases": {c.name: {"label": c.label, "argv": c.argv, "unavailable": c.unavailable,
                                          "runs": c.runs, "stats": st[c.name]} for c in main + scaling},
                       "targets": targets}, f, indent=1)
        latest = os.path.join(os.path.dirname(self.results), "latest")
        if os.path.islink(latest) or not os.path.exists(latest):
            if os.path.islink(latest):
                os.unlink(latest)
            os.symlink(os.path.basename(self.results), latest)
        print("\n" + summary + "\n" + env_md)
        if not self.a.quick and not self.a.no_readme:
            update_readme(os.path.join(HERE, "README.md"), summary + "\n" + env_md)
            self.log("table written to bench/README.md")
        self.log(f"results in {self.results}")
        return all(t[3] != "NOT MET" for t in targets)

    def environment_md(self):
        e = self.environment
        lines = ["Machine and tools:", ""]
        for k, v in e.items():
            lines.append(f"- {k}: {v}")
        return "\n".join(lines) + "\n"

    def collect_environment(self):
        def first(*argv, pat=None):
            try:
                p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                return "not installed"
            text = (p.stdout + p.stderr).strip()
            for line in text.splitlines():
                if not pat or re.search(pat, line):
                    return line.strip()
            return text.splitlines()[0].strip() if text else "?"
        cpu = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / (1 << 20)
        virt = first("systemd-detect-virt") if shutil.which("systemd-detect-virt") else "?"
        fs = first("df", "-T", self.work, pat=r"^/")
        kvm = "present" if os.path.exists("/dev/kvm") else "absent"
        self.environment = {
            "cpu": f"{cpu}, {os.cpu_count()} cores (virtualisation: {virt}), {mem:.0f} GiB memory",
            "kernel": platform.release(),
            "work directory filesystem": " ".join(fs.split()[:2]) if fs else "?",
            "/dev/kvm": kvm + " (libguestfs forced to TCG)",
            "imgbuild": first(self.imgbuild, "--version") + " (" + git_rev() + ")",
            "qemu-img": first("qemu-img", "--version"),
            "ntfs-3g / mkntfs": first("mkntfs", "--version", pat="mkntfs"),
            "dosfstools": first("mkfs.fat", "--help", pat="mkfs.fat"),
            "gdisk": first("sgdisk", "--version"),
            "wimlib": first("wimlib-imagex", "--version"),
            "libguestfs": first("guestfish", "--version"),
            "python": platform.python_version(),
            "reproduce": "make bench   (or bench/run.sh [--quick] [-n N]; as root)",
        }


def eval_ok(value, limit):
    op, num = limit.split()[0], float(re.sub(r"[^0-9.]", "", limit.split()[1]))
    return value <= num if op == "<=" else value < num


def md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def tail(path, n=300):
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    lines = [l for l in text.splitlines() if l.strip()]
    return " ".join(lines[-3:])[-n:]


def sizes(path):
    if os.path.isdir(path):
        ap = al = 0
        for dp, _, fs in os.walk(path):
            for f in fs:
                st = os.lstat(os.path.join(dp, f))
                ap += st.st_size
                al += st.st_blocks * 512
        return ap, al
    st = os.stat(path)
    return st.st_size, st.st_blocks * 512


def step_times(path):
    steps = {}
    try:
        with open(path) as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("event") == "step-done":
                    # Titles name output paths; keep them stable across runs.
                    title = re.sub(r"write \S+/", "write ", ev["title"])
                    steps[title] = ev["seconds"]
    except OSError:
        pass
    return steps


def git_rev():
    try:
        return subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True,
                              text=True).stdout.strip() or "?"
    except OSError:
        return "?"


BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


def update_readme(path, body):
    with open(path) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        text = text.rstrip() + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail_ = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(f"{head}{BEGIN}\n{body}{END}{tail_}")


def main():
    p = argparse.ArgumentParser(description="imgbuild benchmark (see bench/README.md)")
    p.add_argument("-n", "--runs", type=int, default=5, help="measured runs per case (default 5)")
    p.add_argument("--quick", action="store_true", help="N=3, no scaling runs, no libguestfs, README untouched")
    p.add_argument("--no-scaling", action="store_true")
    p.add_argument("--no-guestfs", action="store_true")
    p.add_argument("--no-readme", action="store_true", help="do not write the table into bench/README.md")
    p.add_argument("--guestfs-timeout", type=int, default=300, help="seconds per libguestfs run")
    p.add_argument("--work", default=os.environ.get("BENCH_WORK", "/var/tmp/imgbuild-bench"),
                   help="payloads and scratch space (default /var/tmp/imgbuild-bench)")
    p.add_argument("--results", default=os.path.join(HERE, "results"))
    p.add_argument("--imgbuild", default=os.path.join(REPO, "build", "rel", "imgbuild"))
    a = p.parse_args()
    if a.quick:
        a.runs = 3 if a.runs == 5 else a.runs
        a.no_scaling = True
    if os.getuid() != 0:
        sys.exit("bench: run as root (the manual pipeline and the verification use loop devices and mounts)")
    measure.become_subreaper()
    b = Bench(a)
    started = datetime.datetime.utcnow()
    t0 = time.monotonic()
    b.collect_environment()
    b.log(f"payloads in {b.work}; results in {b.results}")
    main_cases = b.main_cases()
    for c in main_cases:
        if c.unavailable:
            b.log(f"{c.name}: unavailable: {c.unavailable}")
    b.run_rounds(main_cases, a.runs, "main")
    scaling = []
    if not a.no_scaling:
        for s in (0.1, 4.0):
            b.payload(s)
        scaling = b.scaling_cases()
        b.run_rounds(scaling, a.runs, "scaling")
    b.notes.append(f"the whole benchmark took {time.monotonic() - t0:.0f} s")
    ok = b.report(main_cases, scaling, started)
    failed = [c.name for c in main_cases + scaling if any(r["error"] for r in c.runs)]
    if failed:
        sys.exit(f"bench: some runs failed verification: {', '.join(failed)}")
    if not ok:
        b.log("some targets are not met (see the table)")


if __name__ == "__main__":
    main()
