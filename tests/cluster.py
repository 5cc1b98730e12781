"""A real Dask cluster for the tests: ``dask scheduler`` and ``dask worker`` processes.

Started with the README's commands (on 127.0.0.1, free ports). Each worker runs in a
mount namespace of its own (``unshare``) where the test's folders and the
repository's data, build, notebooks and release are empty tmpfs: it cannot read the
submissions, the course folder, the dataset or the references, so everything it
grades with must come over the network. Its working directory and its cache are
folders of its own, elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# What a worker must not see of the coordinator's machine (besides the test's folders).
HIDDEN_IN_REPO = ("build", "assignment1", "notebooks", "datasets")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def can_hide_folders():
    """Whether ``unshare`` can give a process a mount namespace here (None) or why not."""
    if not shutil.which("unshare"):
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(
        ["unshare", "--map-current-user", "--mount", "--propagation", "private", "true"],
        capture_output=True,
        text=True,
    )
    return None if probe.returncode == 0 else f"unshare failed: {probe.stderr.strip()}"


class Cluster:
    """``dask scheduler`` plus ``workers`` workers, each with ``--nthreads 1``."""

    def __init__(self, hidden, workers=2, caches=None):
        self.hidden = [Path(p) for p in hidden] + [
            REPO / name for name in HIDDEN_IN_REPO if (REPO / name).is_dir()
        ]
        self.home = Path(tempfile.mkdtemp(prefix="cs231n-cluster-"))  # not under any hidden
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler = None
        self.workers = []
        self.count = workers
        # Each worker's cache of class bundles: a fresh one per cluster (a new machine),
        # or ``caches/worker-N`` kept between clusters (a machine that graded before).
        self.caches = Path(caches) if caches else self.home

    def _env(self, **extra):
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env.update(extra)
        return env

    def start_scheduler(self):
        log = open(self.home / f"scheduler-{self.port}.log", "ab")  # noqa: SIM115
        self.scheduler = subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dashboard-address",
                ":0",
            ],
            cwd=self.home,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def start_worker(self, env=None, bindir=BIN, hide=()):
        """One more worker: its own folder (working directory and cache), hidden mounts.

        ``env``: more environment variables (e.g. a PYTHONPATH with another kit);
        ``bindir``: the environment whose ``dask`` runs it (default this one's);
        ``hide``: more folders it must not see.
        """
        index = len(self.workers)
        folder = self.home / f"worker-{index}"
        folder.mkdir(exist_ok=True)
        mounts = " && ".join(
            f"mount -t tmpfs -o size=1m cs231n-hidden {shlex.quote(str(p))}"
            for p in [*self.hidden, *hide]
        )
        worker = shlex.join(
            [
                str(Path(bindir) / "dask"),
                "worker",
                self.address,
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--local-directory",
                str(folder / "dask"),
            ]
        )
        log = open(folder / "worker.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(
            [
                "unshare",
                "--map-current-user",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                f"{mounts} && exec {worker}",
            ],
            cwd=folder,
            env=self._env(
                CS231N_WORKER_CACHE=str(self.caches / f"worker-{index}" / "cache"), **(env or {})
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(process)
        return process

    def __enter__(self):
        try:
            self.start_scheduler()
            for _ in range(self.count):
                self.start_worker()
            if self.count:
                self.wait_for_workers(self.count)
        except BaseException:
            self.__exit__(None, None, None)  # no process left behind
            raise
        return self

    def wait_for_workers(self, n, timeout=120):
        from distributed import Client

        deadline = time.monotonic() + timeout
        while True:
            try:
                with Client(self.address, timeout="10s", set_as_default=False) as client:
                    client.wait_for_workers(n, timeout=max(1, deadline - time.monotonic()))
                    return
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise

    def kill(self, process):
        """SIGKILL the process group: the nanny, the worker and what it started."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def kill_scheduler(self):
        self.kill(self.scheduler)

    def worker_log(self, index):
        return (self.home / f"worker-{index}" / "worker.log").read_text(errors="replace")

    def __exit__(self, *exc):
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                self.kill(process)
        shutil.rmtree(self.home, ignore_errors=True)
