"""What the course folder knows it has graded: one small JSON file per student.

``state/<student_id>.json`` is written after a submission's results are in the
gradebook, atomically (a temporary file renamed over it). It records the
fingerprint of the files graded and of the grader, so ``autograde`` can tell what
changed since: a new or resubmitted attempt, or a changed grader.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..coursedir import REPO
from ..intake import is_skipped
from ..run.references import source_hash

STATE = "state"


def fingerprint(folder):
    """SHA-256 over a folder's (or a file's) relative paths and contents; symlinks skipped."""
    folder = Path(folder)
    digest = hashlib.sha256()
    files = (
        [folder]
        if folder.is_file()
        else sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink() and not is_skipped(p.relative_to(folder).parts)
        )
    )
    for path in files:
        digest.update(
            path.relative_to(folder.parent if folder.is_file() else folder).as_posix().encode()
            + b"\0"
        )
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def grader_fingerprint(repo=REPO):
    """What the grades depend on besides the submission: the notebooks, package and checks."""
    digest = hashlib.sha256(source_hash(repo).encode())
    for path in sorted((Path(repo) / "notebooks").glob("*.ipynb")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def state_path(course, student_id):
    return Path(course) / STATE / f"{student_id}.json"


def read_state(course, student_id):
    """The recorded state of one student, or None when never graded (or unreadable)."""
    path = state_path(course, student_id)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_state(course, student_id, state):
    path = state_path(course, student_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def all_states(course):
    """{student_id: state} for every student graded in the course."""
    out = {}
    for path in sorted((Path(course) / STATE).glob("*.json")):
        state = read_state(course, path.stem)
        if state is not None:
            out[path.stem] = state
    return out
