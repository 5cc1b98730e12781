"""Turn what students handed in into clean submission folders, noting every problem.

A class folder holds one folder or .zip per student: the student's copy of
``assignment1/``. Whatever shape it arrives in, :func:`prepare` produces a folder with
the notebooks at its top and ``cs231n_lib/`` beside them, and a list of problems in
words an instructor can forward:

- an extra folder level (``alice.zip`` holding ``assignment1/knn.ipynb``) is removed;
- a notebook that is not valid JSON or not a notebook is left out (graded as missing);
- a missing package file is replaced by the release's unfinished copy, so that the
  rest of the package still imports and the rest is graded;
- a name that is not a valid student id is turned into one;
- ``datasets/``, caches and checkpoints are dropped.

Nothing here raises for a bad submission: problems are data.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from ..coursedir import NOTEBOOKS, PACKAGE, REPO

DROPPED = {"datasets", "__pycache__", ".ipynb_checkpoints", "__MACOSX", ".git", ".venv",
           ".cs231n_facts"}


def _ignored(folder, names):
    """copytree's ignore: dropped names and every symlink (never followed out of a submission)."""
    return {n for n in names if n in DROPPED or (Path(folder) / n).is_symlink()}
# A student id becomes a folder name and a database key in nbgrader.
VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class Submission:
    """One student's hand-in: where it is, and under which name."""

    name: str  # the folder or zip name as handed in (without .zip)
    path: Path
    student_id: str = ""
    problems: list[str] = field(default_factory=list)


def discover(class_dir):
    """The submissions in ``class_dir``, sorted by name, each with a unique valid id."""
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
        found.append(Submission(name, path))
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


def prepare(sub, dest, release=REPO / "assignment1"):
    """Copy or unpack ``sub`` into ``dest`` in the release's layout; append its problems.

    Returns the list of notebook names (without .ipynb) that are present and valid.
    """
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    unpacked = dest.parent / f".{dest.name}-unpacked"
    if unpacked.exists():
        shutil.rmtree(unpacked)
    try:
        if sub.path.is_dir():
            shutil.copytree(sub.path, unpacked, ignore=_ignored)
        elif sub.path.suffix.lower() == ".zip":
            _unzip(sub.path, unpacked, sub.problems)
        else:
            sub.problems.append(
                f"{sub.path.name} is neither a folder nor a .zip file: nothing graded"
            )
            return []
        root = _find_root(unpacked, sub.problems)
        if root is None:
            sub.problems.append("no notebook and no cs231n_lib/ found in the submission")
            return []
        _copy_clean(root, dest)
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
    present = _check_notebooks(dest, sub.problems)
    _fill_package(dest, Path(release), sub.problems)
    return present


# What one student's zip may unpack to. A whole submission with plots in its notebooks
# is a few MB; these stop a zip bomb long before it fills a disk.
MAX_UNPACKED = 300 * 2**20  # bytes, all members together
MAX_MEMBERS = 5000
MAX_DEPTH = 12  # folder levels inside the zip
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB


def _unzip(path, into, problems):
    """Unpack a student's zip into ``into``, within the limits above; note what is left out."""
    into.mkdir(parents=True)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                problems.append(f"{path.name} holds {len(members)} files, more than the "
                                f"{MAX_MEMBERS} a submission may have: nothing unpacked")
                return
            budget = MAX_UNPACKED
            for member in members:
                budget = _unzip_member(archive, member, into, budget, problems)
                if budget is None:
                    return
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
        problems.append(f"{path.name} is not a readable zip file ({error})")


def _unzip_member(archive, member, into, budget, problems):
    """Write one member; return the bytes left to unpack, or None to stop unpacking."""
    parts = PurePosixPath(member.filename.replace("\\", "/")).parts
    if member.filename.startswith("/") or ".." in parts:
        problems.append(f"skipped {member.filename!r}: a path outside the submission")
        return budget
    if member.is_dir() or any(p in DROPPED for p in parts):
        return budget
    if len(parts) > MAX_DEPTH:
        problems.append(f"skipped {member.filename[:120]!r}: more than {MAX_DEPTH} folders deep")
        return budget
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > 2**20 and ratio > MAX_RATIO:
        problems.append(f"skipped {member.filename[:120]!r}: compressed {ratio:.0f} times "
                        f"(a zip bomb?), more than {MAX_RATIO}")
        return budget
    target = into.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(member) as src, open(target, "wb") as dst:
        while block := src.read(1 << 20):  # the sizes a zip declares can lie: count
            budget -= len(block)
            if budget < 0:
                problems.append(f"the zip unpacks to more than {MAX_UNPACKED // 2**20} MB: "
                                f"unpacking stopped at {member.filename[:120]!r}")
                dst.close()
                target.unlink()
                return None
            dst.write(block)
    return budget


def _looks_like_root(folder):
    return (folder / PACKAGE).is_dir() or any((folder / f"{n}.ipynb").is_file() for n in NOTEBOOKS)


def _find_root(folder, problems, max_depth=4):
    """The shallowest folder holding a notebook or cs231n_lib/ (breadth first)."""
    level = [folder]
    for depth in range(max_depth + 1):
        roots = [f for f in level if _looks_like_root(f)]
        if roots:
            root = max(roots, key=lambda f: sum((f / f"{n}.ipynb").is_file() for n in NOTEBOOKS))
            if depth:
                rel = root.relative_to(folder).as_posix()
                problems.append(f"the assignment was inside {rel}/, one folder level too deep: "
                                "graded from there")
            if len(roots) > 1:
                problems.append(f"{len(roots)} copies of the assignment found: graded "
                                f"{root.relative_to(folder).as_posix() or 'the top one'}")
            return root
        level = sorted(d for f in level for d in f.iterdir() if d.is_dir())
    return None


def _copy_clean(root, dest):
    for item in root.iterdir():
        if item.name in DROPPED or item.is_symlink():
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name, ignore=_ignored, dirs_exist_ok=True)
        else:
            shutil.copy2(item, dest / item.name)


def _check_notebooks(dest, problems):
    present = []
    for name in NOTEBOOKS:
        path = dest / f"{name}.ipynb"
        if not path.is_file():
            problems.append(f"{name}.ipynb is missing: its points are 0")
            continue
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as error:  # JSON errors, schema errors, decoding errors alike
            text = str(error).strip()
            first = text.splitlines()[0] if text else type(error).__name__
            problems.append(f"{name}.ipynb is not a valid notebook ({first}): graded as missing")
            path.unlink()
            continue
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
        problems.append(f"missing {shown}: graded with the release's copy (unfinished where "
                        "the file has work to do)")
