"""The namespaces of one submission's grading worker, its scratch folders and budget.

:func:`isolate_worker` puts the worker (trusted code: nbgrader, the judge) in a pid
namespace of its own, as its pid 1, with its own mount and IPC namespaces and a network
namespace where only loopback is up. Every process the submission starts (kernels,
probes, whatever they fork, daemons that call ``setsid`` and clear their parent-death
signal) lives in that pid namespace: when the worker ends, or is killed on a timeout,
the kernel kills them all.

:func:`mount_scratch` gives the submission a scratch folder on a tmpfs of bounded size
and file count, seen by nothing outside the worker. :class:`Budget` watches the
submission's processes together: too much memory held between them, or a process
count at the sandbox's limit (a fork bomb), and it stops them all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from . import syscalls as sc
from .policy import Limits

POLL_SECONDS = 0.25


def isolate_worker(parent=None):
    """Enter the worker's namespaces; returns in a child that is their pid 1.

    The calling process stays outside, waits for that child and exits with its code;
    it never returns. Call it first thing, while the process has a single thread.

    Parameters
    ----------
    parent : int, optional
        The grader's pid: when it dies, the worker and all its processes die.

    Returns
    -------
    bool
        True in the worker (pid 1 of its namespace); False when the grader had already
        ended before the worker started (nothing should be done).

    Raises
    ------
    SandboxUnavailable
        If the namespaces cannot be created, with the reason and how to fix it.
    """
    flags = sc.CLONE_NEWNS | sc.CLONE_NEWPID | sc.CLONE_NEWIPC | sc.CLONE_NEWNET
    if os.getuid() == 0:
        sc.unshare(flags)  # root needs no user namespace, and keeps its own files
    else:
        sc.enter_user_namespace(flags)
    try:
        sc.mount(None, "/", None, sc.MS_REC | sc.MS_PRIVATE)
        sc.bring_up_loopback()
    except OSError as exc:
        raise sc.SandboxUnavailable(f"setting up the worker's namespaces failed: {exc}") from exc
    if not sc.die_with_parent(parent):
        return False
    alive_read, alive_write = os.pipe()  # end of file: the outside process has ended
    child = os.fork()
    if child:
        os.close(alive_read)
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(128 - code if code < 0 else code)
    os.close(alive_write)
    sc.die_with_parent()  # its parent is outside the namespace: getppid() says 0
    os.set_blocking(alive_read, False)
    try:
        os.read(alive_read, 1)
        os._exit(1)  # it died before the request took effect
    except BlockingIOError:
        os.close(alive_read)
    try:
        sc.mount("proc", "/proc", "proc", sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC)
    except OSError as exc:
        raise sc.SandboxUnavailable(f"mounting the worker's /proc failed: {exc}") from exc
    return True


def mount_scratch(path, limits: Limits):
    """Make ``path`` an empty tmpfs of ``limits.scratch_bytes`` and ``scratch_files``."""
    os.makedirs(path, exist_ok=True)
    sc.mount(
        "tmpfs",
        os.fspath(path),
        "tmpfs",
        sc.MS_NOSUID | sc.MS_NODEV,
        f"size={limits.scratch_bytes},nr_inodes={limits.scratch_files},mode=0755",
    )


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _usage(pid):
    """(resident bytes, threads) of ``pid``: proportional set size where readable."""
    status = _read(f"/proc/{pid}/status")
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    threads = int(fields.get("Threads", "1").strip() or 1)
    rollup = _read(f"/proc/{pid}/smaps_rollup")
    for line in rollup.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024, threads
    rss = fields.get("VmRSS", "0 kB").split()
    return (int(rss[0]) * 1024 if rss else 0), threads


class Budget:
    """Stops a submission's processes when, together, they go over the limits.

    Runs in the worker (pid 1 of its namespace, with its own /proc): every process
    listed there but the worker is the submission's.

    Attributes
    ----------
    events : list of str
        What was stopped and why, in words, for the grade's problems.
    peak_bytes : int
        The most memory the submission's processes held together.
    """

    def __init__(self, limits: Limits, interval=POLL_SECONDS):
        self.limits, self.interval = limits, interval
        self.events, self.peak_bytes = [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="budget", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()

    def _others(self):
        me = os.getpid()
        return [int(name) for name in os.listdir("/proc") if name.isdigit() and int(name) != me]

    def check(self):
        """Measure once; stop everything when over a limit. Returns the event or None."""
        pids = self._others()
        used = threads = 0
        for pid in pids:
            size, count = _usage(pid)
            used, threads = used + size, threads + count
        self.peak_bytes = max(self.peak_bytes, used)
        event = None
        if used > self.limits.memory_bytes:
            event = (
                f"its processes held {used / 2**30:.1f} GiB of memory together "
                f"(the limit for a submission is {self.limits.memory_bytes / 2**30:.1f} "
                "GiB); they were stopped"
            )
        elif threads >= self.limits.processes:
            event = (
                f"it ran {threads} processes and threads at once (the limit is "
                f"{self.limits.processes}); they were stopped"
            )
        if event:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.events.append(event)
        return event

    def _watch(self):
        while not self._stop.wait(self.interval):
            with contextlib.suppress(OSError, ValueError):
                self.check()
