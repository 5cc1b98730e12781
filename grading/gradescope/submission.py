"""The student's files in ``/autograder/submission``, made a class folder of one.

Gradescope puts what the student uploaded in ``submission/``: loose files as they
were dragged in, an uploaded zip unpacked (possibly with the zip itself beside it, and
with its own folder level). :func:`stage` copies it, links and all, into
``CLASS/<STUDENT>/`` so that :mod:`grading.intake` reads it exactly as it reads a
student's folder in ``autograde SUBMISSIONS OUTPUT``: within the same limits, links
refused, an extra folder level removed, problems in words. Three things are Gradescope's
own and are done here first: a lone ``.py`` file at the top (dragged in alone) goes to
its place in ``cs231n_lib/`` (as intake does for an LMS download); a submission that
is nothing but one zip is handed to intake as that zip; a zip at the top beside other
files is the upload Gradescope unpacked there, and is left out.

``submission_metadata.json`` is read defensively (its fields "may be subject to
change", Gradescope's docs say); only the submission id and the submitters' names are
used, and only in the instructor's log.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..intake import package_place
from .results import clean_text

__all__ = ["STUDENT", "describe_metadata", "stage"]

STUDENT = "submission"  # the student id inside the scratch course folder
MAX_METADATA = 2**20


def _entries(folder):
    """Every path below ``folder`` (links not followed), relative, sorted."""
    out = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            out.append(Path(root, name).relative_to(folder))
    return sorted(out)


def stage(submission, class_dir):
    """Copy ``submission`` into ``class_dir`` as one student's hand-in.

    Parameters
    ----------
    submission : path-like
        Gradescope's ``/autograder/submission``.
    class_dir : path-like
        A new, empty folder: it receives ``STUDENT/`` (or ``STUDENT.zip``).

    Returns
    -------
    list of str
        What was moved or could not be read, in words (for the submission's problems).
        An empty or missing submission gives an empty ``STUDENT/``, which intake then
        reports as holding nothing to grade.
    """
    submission, class_dir = Path(submission), Path(class_dir)
    target = class_dir / STUDENT
    class_dir.mkdir(parents=True, exist_ok=True)
    notes = []
    entries = _entries(submission) if submission.is_dir() else []
    files = [e for e in entries if not (submission / e).is_dir() or (submission / e).is_symlink()]
    zips = [e for e in files if e.suffix.lower() == ".zip" and not (submission / e).is_symlink()]
    if len(files) == 1 and len(zips) == 1:  # the zip alone, not unpacked: intake opens it
        shutil.copyfile(submission / zips[0], class_dir / f"{STUDENT}.zip")
        return notes
    if submission.is_dir():
        shutil.copytree(submission, target, symlinks=True)  # links stay links: intake refuses
    else:
        target.mkdir()
    for name in zips:  # an uploaded zip beside what Gradescope unpacked from it
        if len(name.parts) == 1:
            (target / name).unlink()
    for path in sorted(target.glob("*.py")):
        if path.is_symlink() or not path.is_file():
            continue
        parts, problem = package_place(path.name)
        if problem:
            notes.append(problem)
        place = target.joinpath(*parts)
        if len(parts) > 1 and not place.exists():
            place.parent.mkdir(parents=True, exist_ok=True)
            path.rename(place)
        elif len(parts) > 1:
            notes.append(
                f"{path.name} was handed in both alone and inside {parts[0]}/: graded the one "
                "inside"
            )
    return notes


def describe_metadata(path):
    """One line for the instructor's log: the submission id and who submitted, or ''."""
    try:
        if Path(path).stat().st_size > MAX_METADATA:
            return ""
        data = json.loads(Path(path).read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return ""
    if not isinstance(data, dict):
        return ""
    users = data.get("users") if isinstance(data.get("users"), list) else []
    names = [str(u.get("name") or u.get("email") or "?") for u in users[:10] if isinstance(u, dict)]
    return clean_text(
        f"Gradescope submission {data.get('id', '?')} of {', '.join(names) or 'unknown'}, "
        f"created at {data.get('created_at', '?')}"
    )
