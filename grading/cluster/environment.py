"""What a grading machine runs: the kit, Python, the packages grades depend on.

Every Dask worker (and the scheduler) reports its :func:`environment_report` when a
run starts; :func:`mismatches` compares it with the coordinator's. A worker whose
environment differs would grade differently (another numpy rounds differently,
another version of the checks judges differently) or not at all (no sandbox), so it
gets no submission.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import sys
from importlib import metadata
from pathlib import Path

# The packages a grade depends on: the notebooks' numerics, nbgrader and its kernel
# machinery, and Dask's own pickling (a worker with another cloudpickle may not
# even read the task).
PACKAGES = (
    "numpy",
    "scipy",
    "matplotlib",
    "pillow",
    "threadpoolctl",
    "nbgrader",
    "nbconvert",
    "nbclient",
    "nbformat",
    "ipykernel",
    "jupyter_client",
    "distributed",
    "cloudpickle",
)
# Compared between machines; the rest of the report only helps say where it is.
COMPARED = ("python", "platform", "kit", "blas", *PACKAGES)


def kit_fingerprint():
    """SHA-256 of the grading tools and the instructor's package, as imported here.

    The same commit gives the same fingerprint whether it is installed editable or
    not: only the relative paths and contents of the ``.py`` files count.
    """
    import cs231n_lib
    import grading

    digest = hashlib.sha256()
    for package in (grading, cs231n_lib):
        root = Path(package.__file__).resolve().parent
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            digest.update(f"{package.__name__}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _blas():
    """The BLAS numpy was built with: another one may round the last bits differently."""
    try:
        import numpy as np

        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no mode="dicts"; not worth failing a run over
        return "unknown"


def environment_report(sandbox=True):
    """This machine's environment, as plain data (it crosses the network).

    ``sandbox=False`` skips trying the sandbox (a machine that grades nothing).

    Returns
    -------
    dict
        ``python`` (major.minor), ``platform``, ``kit`` (:func:`kit_fingerprint`),
        ``blas``, one entry per :data:`PACKAGES` (its version), ``sandbox`` (None if
        the sandbox works here, else why not), ``host`` and ``cores``.
    """
    from .. import isolation

    report = {
        "python": ".".join(map(str, sys.version_info[:2])),
        "platform": f"{platform.system()} {platform.machine()}",
        "kit": kit_fingerprint(),
        "blas": _blas(),
        **{name: _version(name) for name in PACKAGES},
    }
    report["sandbox"] = isolation.available() if sandbox else None
    report["host"] = socket.gethostname()
    report["cores"] = os.cpu_count() or 1
    return report


def mismatches(reference, report):
    """The differences of ``report`` from ``reference``, one line each (empty: none).

    Examples
    --------
    >>> mismatches({"python": "3.11", "numpy": "2.4.6"}, {"python": "3.11", "numpy": "2.3.0"})
    ['numpy 2.3.0 (here: 2.4.6)']
    """
    lines = []
    for key in COMPARED:
        if key not in reference:
            continue
        theirs, ours = report.get(key, "missing"), reference[key]
        if theirs == ours:
            continue
        if key == "kit":
            lines.append(
                "another version of the grading kit (its grading/ or cs231n_lib/ files "
                "differ from this machine's: install the same commit)"
            )
        else:
            lines.append(f"{key} {theirs} (here: {ours})")
    if report.get("sandbox"):
        lines.append(f"the sandbox does not work there: {report['sandbox']}")
    return lines
