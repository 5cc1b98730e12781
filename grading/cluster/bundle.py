"""The class bundle: what every worker needs once, whatever it grades.

The coordinator packs (:func:`pack_class`):

- ``template/``: the generated assignment (its gradebook holds the test cells);
- ``references/``: the hidden checks' reference outputs;
- ``release/assignment1/``: the release, to restore test cells and fill in files;
- ``data/cifar-10-batches-py/``: the dataset, as the coordinator reads it;
- ``meta.json``: the files autograde must never overwrite.

A worker installs it once (:func:`install`) into its cache,
``$CS231N_WORKER_CACHE`` or ``~/.cache/cs231n-grading``, under the bundle's key (a
hash of its bytes), then derives from the dataset what the coordinator would (the
probe inputs, the judging context and the kernels' copy without test labels). Later
runs with the same notebooks, checks and data find it there and send nothing.
Workers on one machine share the cache; a lock file makes one of them install.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from ..coursedir import ASSIGNMENT, protected_files
from ..run import autograde as run
from ..run.grading_data import grading_dataset
from .transport import pack, unpack

READY = ".ready"
KEEP = 3  # bundles kept in a worker's cache (the newest); older ones are removed


@dataclass(frozen=True)
class ClassBundle:
    key: str
    data: bytes

    @property
    def megabytes(self):
        return len(self.data) / 2**20


def pack_class(setup):
    """The :class:`ClassBundle` of a class's :class:`~grading.run.autograde.Setup`."""
    meta = Path(setup.output) / "private" / "bundle-meta.json"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"protected": protected_files(setup.repo)}, indent=1))
    data = pack(
        {
            "template/source": setup.template / "source",
            "template/gradebook.db": setup.template / "gradebook.db",
            "references": setup.references,
            f"release/{ASSIGNMENT}": setup.repo / ASSIGNMENT,
            "data/cifar-10-batches-py": setup.source_data / "cifar-10-batches-py",
            "meta.json": meta,
        }
    )
    return ClassBundle(hashlib.sha256(data).hexdigest()[:32], data)


def cache_root():
    """Where a worker keeps bundles: ``$CS231N_WORKER_CACHE`` or ``~/.cache/cs231n-grading``."""
    configured = os.environ.get("CS231N_WORKER_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cs231n-grading"


@contextlib.contextmanager
def _cache_lock():
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield root
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def has(key):
    """Whether this machine's cache holds the bundle ``key``, installed and prepared."""
    return (cache_root() / key / READY).is_file()


def install(key, data):
    """Unpack the bundle and prepare the class data; nothing to do when already there.

    Returns the bundle's folder. A half-done install (a killed worker) is never taken
    for a finished one: the folder only gets its name when everything is in it.
    """
    with _cache_lock() as root:
        folder = root / key
        if (folder / READY).is_file():
            return folder
        if hashlib.sha256(data).hexdigest()[:32] != key:
            raise ValueError(f"the class bundle {key} arrived damaged (its hash differs)")
        staging = root / f".{key}.{uuid.uuid4().hex[:8]}"
        try:
            unpack(data, staging)
            data_dir = staging / "data"
            run.class_inputs(data_dir, staging / "class")
            grading_dataset(data_dir, staging / "class")
            (staging / READY).write_text(key)
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _prune(root, keep=key)
        return folder


def _prune(root, keep):
    """Remove all but the :data:`KEEP` newest bundles (and leftovers of killed installs)."""
    bundles = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in bundles[KEEP:]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in root.glob(".*.*"):
        if leftover.is_dir() and leftover.stat().st_mtime < time.time() - 3600:
            shutil.rmtree(leftover, ignore_errors=True)


class BundleMissing(RuntimeError):
    """The worker was asked to grade before it had the class bundle."""


def worker_cores():
    """The cores this worker may use: ``$CS231N_WORKER_CORES``, or all of the machine's.

    Set it when several workers share a machine (``CS231N_WORKER_CORES=4 dask worker
    ...`` for each of two workers on 8 cores).
    """
    configured = os.environ.get("CS231N_WORKER_CORES", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else os.cpu_count()


def local_setup(key, options, jobs=1):
    """The :class:`~grading.run.autograde.Setup` of bundle ``key`` on this machine.

    ``options``: the coordinator's :class:`Setup` fields that do not depend on where
    the files are (limits, time limits). ``jobs``: submissions graded at once here (it
    shares out :func:`worker_cores` among the kernels' BLAS threads).
    """
    folder = cache_root() / key
    if not (folder / READY).is_file():
        raise BundleMissing(
            f"this worker has no class bundle {key} in {cache_root()}: it was not sent "
            "here when the run started (a worker that joined later is not used)"
        )
    protected = tuple(json.loads((folder / "meta.json").read_text())["protected"])
    kernel_data = folder / "class" / "dataset"
    env = run.grading_env(kernel_data, jobs, worker_cores())
    setup = run.Setup(
        template=folder / "template",
        output=folder / "class",
        references=folder / "references",
        inputs=folder / "class" / "inputs",
        context=folder / "class" / "private" / "context.npz",
        data_dir=kernel_data,
        env=env,
        repo=folder / "release",
        protected=protected,
    )
    return replace(setup, **options)
