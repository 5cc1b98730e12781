"""Isolation of student code: the sandbox launcher and a grading worker's namespaces.

- :mod:`~grading.isolation.syscalls`: the Linux system calls, through ctypes;
- :mod:`~grading.isolation.policy`: what a sandbox shows (an allow-list), its limits
  and its environment;
- :mod:`~grading.isolation.launcher`: ``python -m grading.isolation OPTIONS -- CMD``
  runs CMD in the sandbox; :func:`sandbox_command` builds that argv;
- :mod:`~grading.isolation.worker_ns`: the namespaces of one submission's grading
  worker (its own processes, scratch tmpfs and memory budget);
- :mod:`~grading.isolation.wire`: the probe's wire format across the sandbox's wall
  (checked sizes, no pickle) and the server run inside it, standalone: the sandbox
  gets its source text. Not imported here (it needs numpy; the launcher runs
  without site-packages).

This package imports nothing else of ``grading``.
"""

from __future__ import annotations

from .launcher import SETUP_FAILED, main, sandbox_command
from .policy import DEFAULT_LIMITS, Limits
from .syscalls import SandboxUnavailable, die_with_parent

__all__ = [
    "DEFAULT_LIMITS",
    "SETUP_FAILED",
    "Limits",
    "SandboxUnavailable",
    "available",
    "die_with_parent",
    "isolate_network",
    "main",
    "sandbox_command",
]


def isolate_network() -> None:
    """Cut the calling process and the processes it starts off the network.

    Moves the process into a new user namespace (root inside is the caller's uid and
    gid) and a new network namespace whose only interface, loopback, is up: processes
    it starts (sandboxes with ``share_network=True`` included) reach each other on
    127.0.0.1, and nothing else; abstract unix sockets of the machine are not there
    either. Call it first thing in ``main``: the process must still be single-threaded.

    Raises
    ------
    SandboxUnavailable
        If the namespaces cannot be created, with the reason and how to fix it.
    """
    from . import syscalls as sc

    sc.enter_user_namespace(sc.CLONE_NEWNET)
    try:
        sc.bring_up_loopback()
    except OSError as exc:
        raise SandboxUnavailable(f"bringing up the loopback interface failed: {exc}") from exc


def available() -> str | None:
    """Whether the sandbox works here: None if it does, else the reason it does not.

    Runs the launcher once (in a child process) on an empty command; the answer is
    cached for the life of the process.
    """
    if "reason" not in _AVAILABILITY:
        _AVAILABILITY["reason"] = _try_sandbox()
    return _AVAILABILITY["reason"]


_AVAILABILITY = {}  # the cache of available(): the machine does not change under us


def _try_sandbox():
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        argv = sandbox_command([sys.executable, "-I", "-S", "-c", ""], scratch)
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"the sandbox launcher could not run: {exc}"
    if result.returncode == 0:
        return None
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else f"the sandbox launcher exited with {result.returncode}"
