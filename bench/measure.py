# SPDX-License-Identifier: GPL-2.0-or-later
"""Run one command and measure it: wall time, user+sys CPU and peak RSS of the
whole process tree, daemons included.

The harness makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so a
process that forks into the background (the ntfs-3g FUSE daemon, a QEMU
appliance) is re-parented to the harness instead of init when its parent
exits. The run ends when every descendant has exited and been reaped; the
rusage of each reaped process counts (wait4 returns a process's own usage plus
that of the children it waited for, so nothing is counted twice).

Peak RSS needs one more step: a child created by fork or vfork starts with
its parent's RSS high-water mark, and exec keeps it, so every direct child of
this (large) Python process would report at least the harness's own RSS.
Commands are therefore started through GNU time, a small C program: its child
starts from time's small footprint, and time reports that child's (and its
waited-for descendants') peak RSS. Orphans reaped here descend from small
processes and report theirs directly."""
import ctypes
import os
import shutil
import signal
import time

PR_SET_CHILD_SUBREAPER = 36


class Timeout(Exception):
    pass


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _on_alarm(signum, frame):
    raise Timeout()


def _children():
    """Pids whose parent is this process (live or zombie)."""
    me = os.getpid()
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The comm field may hold spaces: the ppid is the second field after ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == me:
            pids.append(int(name))
    return pids


def _kill_all(pgid=None):
    if pgid is not None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    for pid in _children():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def drain(timeout=60):
    """Reap every leftover child (a daemon still exiting after an unmount done
    outside a measured run), so it cannot count towards the next run."""
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(timeout)
    try:
        while True:
            try:
                os.wait4(-1, 0)
            except ChildProcessError:
                break
    except Timeout:
        _kill_all()
        while True:
            try:
                os.wait4(-1, 0)
            except ChildProcessError:
                break
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run(argv, env, log_path, timeout, stdout_path=None):
    """Run argv to completion (every descendant gone). Returns a dict with
    rc, wall, user, sys (all processes), daemon_cpu (the orphans' part of
    user+sys), maxrss_kib and timed_out."""
    drain()
    rss_path = log_path + ".rss"
    argv = ["/usr/bin/time", "-o", rss_path, "-f", "%M"] + list(argv)
    exe = shutil.which(argv[0], path=env.get("PATH")) or argv[0]
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    out = os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if stdout_path else log
    devnull = os.open("/dev/null", os.O_RDONLY)
    actions = [
        (os.POSIX_SPAWN_DUP2, devnull, 0),
        (os.POSIX_SPAWN_DUP2, out, 1),
        (os.POSIX_SPAWN_DUP2, log, 2),
    ]
    res = {"rc": None, "user": 0.0, "sys": 0.0, "maxrss_kib": 0, "daemon_cpu": 0.0,
           "timed_out": False}
    old = signal.signal(signal.SIGALRM, _on_alarm)
    t0 = time.monotonic()
    pid = os.posix_spawn(exe, argv, env, file_actions=actions, setsid=True)
    signal.alarm(int(timeout))
    try:
        while True:
            try:
                wpid, status, ru = os.wait4(-1, 0)
            except ChildProcessError:
                break
            res["user"] += ru.ru_utime
            res["sys"] += ru.ru_stime
            if wpid == pid:
                res["rc"] = os.waitstatus_to_exitcode(status)
            else:  # an orphan (a daemon): not inflated by our RSS
                res["maxrss_kib"] = max(res["maxrss_kib"], ru.ru_maxrss)
                res["daemon_cpu"] += ru.ru_utime + ru.ru_stime
    except Timeout:
        res["timed_out"] = True
        _kill_all(pid)
        drain(30)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    res["wall"] = time.monotonic() - t0
    try:
        with open(rss_path) as f:
            lines = f.read().split()
        res["maxrss_kib"] = max(res["maxrss_kib"], int(lines[-1]))
        os.unlink(rss_path)
    except (OSError, ValueError, IndexError):
        pass
    for fd in {log, out, devnull}:
        os.close(fd)
    return res
