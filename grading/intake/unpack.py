"""Turn what students handed in into clean submission folders, noting every problem.

A class folder holds one folder or .zip per student: the student's copy of
``assignment1/``. Whatever shape it arrives in, :func:`prepare` produces a folder with
the notebooks at its top and ``cs231n_lib/`` beside them, holding only what grading
needs, and a list of problems in words an instructor can forward:

- the submission is read in place (:class:`~grading.intake._tree.Tree`), never
  unpacked whole, within one submission's limits (:mod:`~grading.intake._limits`:
  300 MB counted as written, 5,000 files, 12 folder levels, zip members compressed at
  most 200 times); symbolic links, hard links and special files are refused;
- an extra folder level (``alice.zip`` holding ``assignment1/knn.ipynb``) is removed;
- only the notebooks, the package's ``.py`` files and small files the release has are
  copied (:mod:`~grading.intake._select`); anything else is left out before a byte
  of it is written, and said (``left out: big.bin (1.0 GiB), not part of the
  assignment``); ``datasets/``, caches and checkpoints are dropped silently;
- a notebook is repaired where it can be (bytes that are not UTF-8, lone surrogates,
  nbformat 3, cell ids) or left out, graded as missing
  (:mod:`~grading.intake._notebook`);
- a missing package file is replaced by the release's unfinished copy, so that the
  rest of the package still imports and the rest is graded;
- a name that is not a valid student id is turned into one; an entry of the class
  folder that is a symbolic link (perhaps to another student's folder) or a hard link
  is refused, and said.

Nothing here raises for a bad submission: problems are data.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..coursedir import NOTEBOOKS, PACKAGE, REPO
from ._limits import (
    MAX_DEPTH,
    MAX_MEMBERS,
    MAX_NOTEBOOK,
    MAX_RATIO,
    MAX_SOURCE,
    MAX_UNPACKED,
    Budget,
    Limits,
    limit_text,
    link_problem,
    size_text,
)
from ._notebook import clean_notebook
from ._select import find_root, select
from ._tree import DROPPED, BadDownload, Tree
from .model import valid_text

__all__ = [
    "DROPPED",
    "MAX_DEPTH",
    "MAX_MEMBERS",
    "MAX_NOTEBOOK",
    "MAX_RATIO",
    "MAX_SOURCE",
    "MAX_UNPACKED",
    "VALID_ID",
    "Submission",
    "current_limits",
    "discover",
    "prepare",
    "refusal",
    "student_id_for",
]

# A student id becomes a folder name and a database key in nbgrader.
VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class Submission:
    """One student's hand-in: where it is, and under which name."""

    name: str  # the folder or zip name as handed in (without .zip)
    path: Path
    student_id: str = ""
    problems: list[str] = field(default_factory=list)
    refused: str = ""  # why it is not graded at all (said in problems), or ""


def discover(class_dir):
    """The submissions in ``class_dir``, sorted by name, each with a unique valid id.

    An entry that :func:`refusal` refuses (a link, or neither a folder nor a zip) is
    listed too, with ``refused`` set and said in its problems: :func:`prepare` grades
    nothing of it.
    """
    class_dir = Path(class_dir)
    if not class_dir.is_dir():
        raise FileNotFoundError(
            f"Expected a folder of submissions (one folder or .zip per student), got "
            f"{class_dir}, which is not a folder."
        )
    found = []
    for path in sorted(class_dir.iterdir()):
        if path.name.startswith(".") or path.name in DROPPED:
            continue
        name = path.stem if path.suffix.lower() == ".zip" else path.name
        sub = Submission(valid_text(name), path)
        sub.refused = refusal(path)
        if sub.refused:
            sub.problems.append(f"{valid_text(path.name)} is {sub.refused}: not graded")
        found.append(sub)
    # Valid names keep their id (the first of two alike: alice/ before alice.zip);
    # the others take what is left.
    taken, keep = set(), set()
    for sub in found:
        if student_id_for(sub.name) == sub.name and sub.name not in taken:
            taken.add(sub.name)
            keep.add(id(sub))
    for sub in found:
        if id(sub) in keep:
            sub.student_id = sub.name
            continue
        sub.student_id = _unique(student_id_for(sub.name), taken)
        taken.add(sub.student_id)
        if student_id_for(sub.name) == sub.name:
            sub.problems.append(
                f"another submission is also named {sub.name!r} ({sub.path.name} is a second "
                f"one): graded as {sub.student_id!r}"
            )
        else:
            sub.problems.append(
                f"{sub.name!r} is not a valid student id (letters, digits, '_', '-' and '.'"
                f", starting with a letter or digit): graded as {sub.student_id!r}"
            )
    return found


def student_id_for(name):
    """A valid student id made from ``name`` (accents dropped, other characters to '_')."""
    if VALID_ID.match(name) and ".." not in name:
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_name).replace("..", "_")
    cleaned = cleaned.strip("._-")
    return cleaned or "student"


def _unique(candidate, taken):
    if candidate not in taken:
        return candidate
    n = 2
    while f"{candidate}-{n}" in taken:
        n += 1
    return f"{candidate}-{n}"


def refusal(path):
    """Why the class folder's entry ``path`` is not graded at all, or ''.

    A symbolic link (named like a student, perhaps pointing at another student's
    folder) and a zip with other names (a hard link) are refused, as is anything
    neither a folder nor a .zip file.
    """
    path = Path(path)
    try:
        info = os.lstat(path)
    except OSError as error:
        return f"not readable ({error.strerror})"
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return f"a symbolic link (to {valid_text(target)}), never followed"
    if stat.S_ISDIR(info.st_mode):
        return ""
    if stat.S_ISREG(info.st_mode) and path.suffix.lower() == ".zip":
        return link_problem(info)
    return "neither a folder nor a .zip file"


def current_limits():
    """The limits in force, read from this module at call time (a course may lower them)."""
    return Limits(MAX_UNPACKED, MAX_MEMBERS, MAX_DEPTH, MAX_RATIO, MAX_NOTEBOOK, MAX_SOURCE)


def prepare(sub, dest, release=REPO / "assignment1", limits=None):
    """Copy what grading needs of ``sub`` into ``dest`` in the release's layout.

    Parameters
    ----------
    sub : Submission
        Its ``problems`` get one line per thing found (see the module's docstring).
    dest : str or Path
        Emptied first; nothing is written outside it.
    release : Path
        The release folder: its package files fill in missing ones.
    limits : Limits or None
        None: :func:`current_limits`.

    Returns
    -------
    list of str
        The notebook names (without .ipynb) that are present and valid.
    """
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    refused = _copy_wanted(sub, dest, Path(release), limits or current_limits())
    present = []
    if refused is not None:
        present = _check_notebooks(dest, sub.problems, refused, limits or current_limits())
        _fill_package(dest, Path(release), sub.problems)
    sub.problems[:] = [valid_text(p) for p in sub.problems]
    return present


def _copy_wanted(sub, dest, release, limits):
    """Copy the files :func:`select` keeps; None when nothing could be graded.

    Returns the notebooks refused for their size (said already).
    """
    problems = sub.problems
    why = sub.refused or refusal(sub.path)
    if why:
        if not sub.refused:
            problems.append(f"{valid_text(sub.path.name)} is {why}: nothing graded")
        return None
    try:
        tree = Tree(sub.path, limits, what="submission")
    except BadDownload as error:
        problems.append(str(error))
        return None
    with tree:
        problems.extend(tree.problems)
        total = sum(e.size for e in tree.entries)
        if total > limits.unpacked:
            kind = "zip unpacks to" if tree.is_zip else "folder holds"
            problems.append(
                f"the {kind} more than {limit_text(limits.unpacked)} "
                f"({size_text(total)} in {len(tree.entries)} files): only the "
                "assignment's files are copied"
            )
        root = find_root(tree.entries, problems)
        if root is None:
            problems.append("no notebook and no cs231n_lib/ found in the submission")
            return None
        keep, refused = select(tree.entries, root, release, limits, problems)
        budget = Budget(limits)
        for entry, parts in keep:
            if budget.stopped:
                break
            target = dest.joinpath(*parts)
            if target.exists():
                problems.append(
                    f"two files would both be {'/'.join(parts)} (the second is "
                    f"{entry.name}): kept the first"
                )
                continue
            problem = tree.copy(entry, target, budget)
            if problem:
                problems.append(problem)
    return refused


def _check_notebooks(dest, problems, refused, limits):
    present = []
    for name in NOTEBOOKS:
        path = dest / f"{name}.ipynb"
        if not path.is_file():
            if name not in refused:
                problems.append(f"{name}.ipynb is missing: its points are 0")
            continue
        if clean_notebook(path, problems, limits.notebook):
            present.append(name)
    return present


def _fill_package(dest, release, problems):
    """Put the release's copy of every package file the submission lacks in place."""
    reference = release / PACKAGE
    missing = []
    for path in sorted(reference.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(release)
        if not (dest / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)
            missing.append(rel.as_posix())
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        shown = ", ".join(missing[:5]) + more
        problems.append(
            f"missing {shown}: graded with the release's copy (unfinished where "
            "the file has work to do)"
        )
