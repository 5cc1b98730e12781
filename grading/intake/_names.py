"""File names in LMS downloads: what the LMS added, what the student chose, where it goes.

- Canvas names every file ``{lastfirst}_{LATE_}?{user id}_{attachment id}_{display name}``
  (``lib/content_zipper.rb``, ``get_filename`` and ``add_upload_submission``, in
  instructure/canvas-lms); ``lastfirst`` is the sortable name, lowercased, with every
  non-word character removed and ``_digits_`` runs squeezed out, so it never holds
  ``_1234_``. With anonymous grading the name is absent and the id is ``anon_{id}``.
  A student who uploads a file of the same name again gets ``knn-1.ipynb``
  (``Attachment.make_unique_filename``).
- Moodle prefixes ``{Full name}_{participant id}_assignsubmission_file`` (folders)
  or ``{...}_assignsubmission_file_{file name}`` (flat), with ``_`` in the full name
  replaced by spaces (``mod/assign/classes/downloader.php``, ``get_student_prefix``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ..coursedir import NOTEBOOKS, PACKAGE, REPO

SUBMIT_ZIP = "assignment1_submission.zip"

_CANVAS_ID = r"^(?:(?!LATE_)(?P<name>.*?)_)?(?P<late>LATE_)?(?P<uid>\d+|anon_[A-Za-z0-9]+)_"
# A file: "_{attachment id}_{display name}"; a text entry or URL: "_text.html", "_link.html".
_CANVAS_FILE = re.compile(_CANVAS_ID + r"(?P<aid>\d+)_(?P<original>.+)$")
_CANVAS_INLINE = re.compile(_CANVAS_ID + r"(?P<kind>text|link)\.html$")
_MOODLE = re.compile(
    r"^(?P<name>[^_]*)_(?P<pid>\d+)_(?P<plugin>assign(?:submission|feedback)_[a-z]+)"
    r"(?:_(?P<rest>.*))?$"
)
_SUFFIX = re.compile(
    r"^(?P<stem>.+?)(?:-(?P<dash>\d{1,3})| \((?P<paren>\d{1,3})\))"
    r"(?P<ext>(?:\.[A-Za-z][A-Za-z0-9]*)*\.[A-Za-z0-9]+)$"
)
_MAX_COMPONENT_BYTES = 200  # well under the 255 bytes most file systems allow


@dataclass(frozen=True)
class CanvasName:
    """The parts of one file name of a Canvas download."""

    name: str  # "obrienzoë" (empty with anonymous grading)
    late: bool
    user_id: str  # "12345" or "anon_x1y2z"
    attachment_id: int  # 0 for text entries and URLs
    original: str  # the student's file name, "knn-1.ipynb"; "" for text entries and URLs
    inline: str = ""  # "text" or "link" for text entries and URL submissions


def parse_canvas(filename):
    """The :class:`CanvasName` of ``filename``, or None when it does not follow the pattern.

    The name is the shortest prefix that fits: Canvas removes ``_digits_`` from names,
    while the student's own file name may well hold one (``hw_1_final.ipynb``).
    """
    m = _CANVAS_FILE.match(filename)
    if m:
        return CanvasName(m["name"] or "", bool(m["late"]), m["uid"], int(m["aid"]), m["original"])
    m = _CANVAS_INLINE.match(filename)
    if m:
        return CanvasName(m["name"] or "", bool(m["late"]), m["uid"], 0, "", m["kind"])
    return None


@dataclass(frozen=True)
class MoodleName:
    """The parts of the first path component of a Moodle download."""

    name: str  # "Zoë O'Brien" (or "Participant" with blind marking, or a group's name)
    participant_id: str
    plugin: str  # "assignsubmission_file", "assignsubmission_onlinetext", ...
    rest: str  # the file name (flat layout); "" for a folder


def parse_moodle(component):
    """The :class:`MoodleName` of ``component``, or None when it does not follow the pattern."""
    m = _MOODLE.match(component)
    if not m:
        return None
    return MoodleName(m["name"], m["pid"], m["plugin"], m["rest"] or "")


def resubmission_suffix(filename):
    """``("knn.ipynb", 1)`` for ``knn-1.ipynb`` or ``knn (1).ipynb``; ``(filename, 0)`` else."""
    m = _SUFFIX.match(filename)
    if not m:
        return filename, 0
    return m["stem"] + m["ext"], int(m["dash"] or m["paren"])


def latest_copies(files):
    """One file per name, the resubmission suffix removed: ``(kept, problems)``.

    Parameters
    ----------
    files : list of (str, int, object)
        ``(file name as handed in, order, payload)``; ``order`` breaks ties (larger is
        later: Canvas's attachment id, or the position in the download).

    Returns
    -------
    kept : list of (str, object)
        ``(file name to use, payload)``.
    problems : list of str
        One line per name handed in more than once.

    Notes
    -----
    ``knn-1.ipynb`` (Canvas) or ``knn (1).ipynb`` (Moodle's file picker) becomes
    ``knn.ipynb`` when that is an assignment file's name or another file has it; of
    the copies of one name the larger suffix wins, then the larger ``order``.
    """
    present, known = {f[0] for f in files}, known_names()
    by_name = {}
    for original, order, payload in files:
        name, n = resubmission_suffix(original)
        if n and name not in known and name not in present:
            name, n = original, 0
        by_name.setdefault(name, []).append((n, order, original, payload))
    kept, problems = [], []
    for name, copies in by_name.items():
        copies.sort(key=lambda c: c[:2])
        if len(copies) > 1:
            others = ", ".join(c[2] for c in copies[:-1])
            problems.append(
                f"{name} was handed in {len(copies)} times: kept {copies[-1][2]}, left out {others}"
            )
        kept.append((name, copies[-1][3]))
    return kept, problems


def known_names():
    """File names the assignment's hand-in is made of (notebooks, package files, the zip)."""
    return {f"{nb}.ipynb" for nb in NOTEBOOKS} | set(release_paths()) | {SUBMIT_ZIP}


@lru_cache(maxsize=1)
def release_paths():
    """``{file name: [paths relative to the assignment folder]}`` of the release's package."""
    out = {}
    root = REPO / "assignment1"
    for path in sorted((root / PACKAGE).rglob("*.py")):
        if "__pycache__" not in path.parts:
            out.setdefault(path.name, []).append(path.relative_to(root).as_posix())
    return out


def package_place(filename):
    """Where a loose ``.py`` file belongs: ``(parts, problem)``.

    A file whose name is one release file's name goes to that file's place in
    ``cs231n_lib/``; any other file stays at the top of the attempt.
    """
    places = release_paths().get(filename, [])
    if len(places) == 1:
        return tuple(places[0].split("/")), ""
    if len(places) > 1:
        return (filename,), (
            f"{filename} was handed in alone, and cs231n_lib/ has "
            f"{len(places)} files of that name: left at the top"
        )
    return (filename,), ""


def safe_component(name):
    """``name`` made safe as one path component, or '' when nothing usable is left.

    Control characters and separators become ``_``; ``.`` and ``..`` are refused;
    names longer than 200 bytes are cut, keeping the extension.
    """
    name = unicodedata.normalize("NFC", name)
    name = "".join("_" if (ord(c) < 32 or c in "/\\\x7f") else c for c in name).strip()
    if name in ("", ".", ".."):
        return ""
    if len(name.encode()) > _MAX_COMPONENT_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = f".{ext}" if dot and len(ext) <= 16 else ""
        stem = stem if ext else name
        budget = _MAX_COMPONENT_BYTES - len(ext.encode())
        stem = stem.encode()[:budget].decode(errors="ignore")
        name = stem + ext
    return name


def safe_parts(parts):
    """Every component of ``parts`` made safe, or None when one is unusable."""
    out = tuple(safe_component(p) for p in parts)
    return out if out and all(out) else None
