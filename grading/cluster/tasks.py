"""What runs on a Dask worker: plain data in, plain data out.

Nothing here reads a path of the coordinator's: a submission arrives as bytes, is
graded in this machine's cache (:mod:`grading.cluster.bundle`) by the same
:func:`~grading.run.autograde.grade_submission` as ``--jobs`` uses (the sandbox and
its limits included), and goes back as bytes: the scratch gradebook, the submitted,
autograded and feedback notebooks, and the worker's log.
"""

from __future__ import annotations

import shutil
import socket
import threading
import uuid
from dataclasses import asdict
from pathlib import Path

from ..intake import Submission
from ..run import autograde as run
from ..run.worker import PUBLIC
from . import bundle
from .environment import environment_report
from .transport import pack, unpack

# What goes back of a graded scratch course directory (see grading.course.autograde.commit).
RESULT_MEMBERS = ("gradebook.db", "submitted", PUBLIC, "feedback", "worker.log")

_SETUPS = {}
_LOCK = threading.Lock()


def report(sandbox=True):
    """This machine's :func:`~grading.cluster.environment.environment_report`."""
    return environment_report(sandbox)


def has_bundle(key):
    return bundle.has(key)


def install_bundle(key, data):
    """Install the class bundle (a task: the worker's thread pool, not its event loop)."""
    bundle.install(key, data)
    return socket.gethostname()


def _nthreads():
    try:
        from distributed import get_worker

        return get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        return 1


def _setup(key, options):
    index = (key, repr(sorted(options.items())))
    with _LOCK:
        if index not in _SETUPS:
            _SETUPS[index] = bundle.local_setup(key, options, jobs=_nthreads())
        return _SETUPS[index]


def grade(key, payload, options):
    """Grade one submission; returns ``{"grade": dict, "files": bytes, "host": str}``.

    ``payload``: ``name``, ``student_id``, ``problems``, ``only`` (notebooks, or None),
    ``filename`` (the submission's folder or zip name) and ``files`` (its tar bytes).
    ``options``: :class:`~grading.run.autograde.Setup` fields set by the coordinator.
    """
    setup = _setup(key, options)
    incoming = Path(setup.output) / "incoming" / f"{payload['student_id']}-{uuid.uuid4().hex[:8]}"
    try:
        unpack(payload["files"], incoming)
        sub = Submission(
            payload["name"],
            incoming / payload["filename"],
            payload["student_id"],
            list(payload["problems"]),
        )
        result = run.grade_submission(sub, setup, payload["only"])
        scratch = Path(result.workdir)
        files = pack(scratch, RESULT_MEMBERS)
        shutil.rmtree(scratch, ignore_errors=True)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    return {"grade": asdict(result), "files": files, "host": socket.gethostname()}
