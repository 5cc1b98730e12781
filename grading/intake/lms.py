"""Read an LMS download (Canvas, Gradescope, Moodle, or plain folders) into attempts.

Each reader below states the layout it expects. All of them take the download as the
LMS delivers it (a .zip file, read in place) or as unzipped by hand (a folder); folders
wrapping the whole download are looked through. Every attempt's files are copied to
``staging/<n>/`` with the LMS's prefixes removed, within one submission's limits
(:mod:`~grading.intake._limits`: a zip bomb, a file too large or too many files are
refused, said in that attempt's problems, and never partly written); links are never
followed; nothing is written anywhere else, and nothing a student named becomes a path
without being made safe (see :mod:`~grading.intake._tree` and
:func:`~grading.intake._names.safe_component`). Unreadable things are problems in the
:class:`~.model.Download`, never exceptions.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ._gradescope import METADATA, SUBMISSION_DIR, read_gradescope
from ._names import latest_copies, parse_canvas, parse_moodle
from ._staging import Reader, natural, order_key
from ._times import parse_moodle_time, zone
from ._tree import DROPPED, BadDownload, Tree, looks_like_assignment
from .model import FORMATS, Download
from .roster import read_roster

__all__ = ["detect_format", "read_download"]

LAYOUTS = """\
- canvas: files at the top named lastfirst_[LATE_]userid_fileid_name (e.g. \
smithjohn_LATE_12345_67890_knn.ipynb), from Canvas's "Download Submissions";
- gradescope: submission_metadata.yml beside submission_<id>/ folders, from Gradescope's \
"Export Submissions";
- moodle: "Full Name_1234567_assignsubmission_file/" folders, or files named \
"Full Name_1234567_assignsubmission_file_knn.ipynb", from Moodle's "Download all submissions";
- folders: one folder or .zip per student, named by the student."""


def detect_format(path):
    """The format of the download at ``path``: one of ``model.FORMATS``.

    Parameters
    ----------
    path : str or Path
        A .zip file as downloaded from the LMS, or the folder it was unzipped to.

    Raises
    ------
    ValueError
        When ``path`` is not a readable zip file, or its layout fits no format.
    FileNotFoundError
        When ``path`` does not exist.
    """
    with Tree(path) as tree:
        return _detect(tree.entries, path)


def _detect(entries, path):
    fmt = _fitting(entries)
    if fmt is None:
        raise ValueError(
            f"Expected an LMS download, got {Path(path).name}, whose layout fits none of:\n"
            f"{LAYOUTS}\nIf it holds one student's assignment (knn.ipynb at its top), pass "
            "the folder holding every student's. Otherwise pass --format to say which it is."
        )
    return fmt


def _fitting(entries):
    files = [e.parts[0] for e in entries if len(e.parts) == 1]
    dirs = {e.parts[0] for e in entries if len(e.parts) > 1}
    tops = set(files) | dirs
    if METADATA in files or (dirs and all(SUBMISSION_DIR.match(d) for d in dirs)):
        return "gradescope"
    moodle = [n for n in tops if parse_moodle(n)]
    if moodle and 2 * len(moodle) >= len(tops):
        return "moodle"
    canvas = [n for n in files if parse_canvas(n)]
    if canvas and 2 * len(canvas) >= len(files) and len(dirs) <= len(canvas):
        return "canvas"
    if looks_like_assignment(tops):
        return None  # one student's assignment folder, not a class
    if dirs or any(n.lower().endswith(".zip") for n in files):
        return "folders"
    return None


def read_download(
    path, staging, fmt=None, roster=None, use_file_times=False, timezone="UTC", limits=None
):
    """Read the download at ``path`` into attempts whose files are in ``staging/<n>/``.

    Parameters
    ----------
    path : str or Path
        The download: a .zip file, or the folder it was unzipped to.
    staging : str or Path
        An empty (or not yet existing) folder; attempt ``n`` gets ``staging/<n>/``.
    fmt : str or None
        One of ``model.FORMATS``; None detects it (:func:`detect_format`).
    roster : Roster, str, Path or None
        The course roster (or its CSV). Moodle's grading worksheet gives Moodle's
        submission times and late status; with any roster, attempts of students not
        on it and students without an attempt are noted.
    use_file_times : bool
        Where the LMS gives no submission time, take the newest time of the attempt's
        files (a zip member's stored time read in ``timezone``, or a file's mtime).
    timezone : str
        IANA name of the zone the LMS's local times are written in.
    limits : grading.intake._limits.Limits or None
        What each attempt may unpack to (None: one submission's defaults, 300 MB and
        5,000 files; zip members compressed more than 200 times are refused). A file
        refused is a problem of its attempt; nothing of it is written.

    Returns
    -------
    Download
        The attempts, in the download's order of students, and the problems.

    Raises
    ------
    ValueError
        When ``fmt`` is not a format, the format cannot be detected, ``timezone`` is
        not a zone name, or ``staging`` is not empty.
    """
    tz = zone(timezone)
    staging = Path(staging)
    if staging.exists() and any(staging.iterdir()):
        raise ValueError(
            f"Expected an empty staging folder, got {staging}, which holds "
            "files: pass a new folder."
        )
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"Expected a format among {FORMATS}, got {fmt!r}.")
    if isinstance(roster, str | Path):
        roster = read_roster(roster, timezone=timezone)
    try:
        tree = Tree(path, limits)
    except BadDownload as error:
        return Download(fmt or "folders", problems=[str(error)])
    with tree:
        fmt = fmt or _detect(tree.entries, path)
        staging.mkdir(parents=True, exist_ok=True)
        reader = Reader(tree, staging, fmt, roster, use_file_times, tz)
        {
            "canvas": _read_canvas,
            "gradescope": read_gradescope,
            "moodle": _read_moodle,
            "folders": _read_folders,
        }[fmt](reader)
    return reader.download


def _read_canvas(r):
    """Canvas "Download Submissions": every file at the top of one zip, named
    ``{lastfirst}_{LATE_}?{user id}_{attachment id}_{display name}``.

    One attempt per user id (Canvas ships only each student's latest submission).
    ``lms_late`` is the ``LATE`` mark, ``key`` the largest attachment id. No times.
    Sources: instructure/canvas-lms ``lib/content_zipper.rb`` (``get_filename``,
    ``add_upload_submission``) and ``app/models/attachment.rb``
    (``make_unique_filename``: the ``-N`` before the extension); the sample
    ``johndoe_LATE_5362839_74575800_markdown-intro (1).ipynb`` of ucbds-infra/otter-grader.
    """
    students = {}
    for entry in r.tree.entries:
        parsed = parse_canvas(entry.parts[0]) if len(entry.parts) == 1 else None
        if parsed is None:
            r.skip(
                entry,
                "not a Canvas submission file (Canvas names them "
                "lastfirst_[LATE_]userid_fileid_name, all at the top)",
            )
            continue
        students.setdefault(parsed.user_id, []).append((parsed, entry))
    for uid in sorted(students, key=natural):
        files = students[uid]
        first = files[0][0]
        late = any(p.late for p, _ in files)
        label = "_".join(x for x in (first.name, "LATE" if late else "", uid) if x)
        attempt = r.attempt(
            uid,
            first.name,
            label,
            lms_late=late,
            key=order_key(max(p.attachment_id for p, _ in files)),
        )
        for parsed, entry in files:
            if parsed.inline:
                kind = "a text entry" if parsed.inline == "text" else "a website URL"
                attempt.problems.append(f"{entry.name} is {kind}, not files: left out")
        uploads = [(p.original, p.attachment_id, e) for p, e in files if not p.inline]
        kept, problems = latest_copies(uploads)
        attempt.problems.extend(problems)
        for name, entry in kept:
            r.put_loose(attempt, entry, (name,))
    r.finish(lms_times=False)


def _read_moodle(r):
    """Moodle "Download all submissions", either layout:

    - "Download submissions in folders" (the default since Moodle 3.1):
      ``{Full name}_{participant id}_assignsubmission_file/`` (``..._file_/`` before
      Moodle 4.1) holding the student's files, sub-folders kept;
    - flat: ``{Full name}_{participant id}_assignsubmission_file_{file name}``.

    ``_`` in names are spaces in Moodle's prefix; other plugins' parts
    (``assignsubmission_onlinetext``) are noted and left out. Moodle ships only each
    participant's latest submission, without times: those come from the grading
    worksheet given as ``roster`` (``Last modified (submission)``, read in the
    reader's time zone, and ``late`` in ``Status``). Sources: moodle/moodle
    ``mod/assign/classes/downloader.php`` (``get_student_prefix``,
    ``load_submissionplugin_filelist``) and ``mod/assign/locallib.php`` (Moodle 3.x).
    """
    students = {}
    for entry in r.tree.entries:
        parsed = parse_moodle(entry.parts[0])
        if parsed is None or (len(entry.parts) == 1 and not parsed.rest):
            r.skip(
                entry,
                "not a Moodle submission (Moodle names them 'Full Name_1234567_"
                "assignsubmission_file/...' or '..._assignsubmission_file_name')",
            )
            continue
        student = students.setdefault(parsed.participant_id, (parsed, [], set()))
        if parsed.plugin != "assignsubmission_file":
            student[2].add(parsed.plugin)
        elif len(entry.parts) == 1:
            student[1].append(((parsed.rest,), entry))
        else:
            student[1].append((entry.parts[1:], entry))
    worksheet = r.roster is not None and r.roster.format == "moodle"
    for pid in sorted(students, key=natural):
        parsed, files, others = students[pid]
        attempt = r.attempt(pid, parsed.name, f"{parsed.name}_{pid}")
        for plugin in sorted(others):
            attempt.problems.append(f"Moodle's {plugin} part is not graded: left out")
        loose = [(parts[0], i, e) for i, (parts, e) in enumerate(files) if len(parts) == 1]
        kept, problems = latest_copies(loose)
        attempt.problems.extend(problems)
        for name, entry in kept:
            r.put_loose(attempt, entry, (name,))
        for parts, entry in files:
            if len(parts) > 1:
                r.put(attempt, entry, parts)
        if worksheet:
            _moodle_times(r, attempt)
    r.finish(lms_times=worksheet)


def _moodle_times(r, attempt):
    entry = r.roster.find(attempt.lms_id)
    if entry is None:
        attempt.problems.append("not in the grading worksheet: time unknown")
        return
    extra = {re.sub(r"\s+", " ", k.strip().lower()): v for k, v in entry.extra.items()}
    raw = extra.get("last modified (submission)")
    when, problem = parse_moodle_time(raw, r.tz) if raw is not None else (entry.submitted_at, "")
    if problem:
        attempt.problems.append(problem)
    elif when is None:
        attempt.problems.append(
            "the grading worksheet has no 'Last modified (submission)' "
            "time for this participant: time unknown"
        )
    attempt.submitted_at, attempt.time_source = when, "lms" if when else ""
    status = extra.get("status", "")
    attempt.lms_late = bool(re.search(r"\blate\b", status, re.IGNORECASE)) if status else None


def _read_folders(r):
    """A plain class folder: one folder or .zip per student, named by the student.

    ``lms_id`` and ``name`` are the folder's name (the zip's without ``.zip``); a
    folder is copied as is, a zip is copied unopened (unpacked later). No times.
    """
    students = {}
    for entry in r.tree.entries:
        top = entry.parts[0]
        if top.startswith(".") or top in DROPPED:
            continue
        if len(entry.parts) > 1:
            students.setdefault((top, "/"), []).append(entry)
        elif top.lower().endswith(".zip"):
            students[(top[:-4], ".zip")] = [entry]
        else:
            r.skip(entry, "a loose file (expected one folder or .zip per student)")
    names = Counter(name for name, _ in students)
    for name, kind in sorted(students, key=lambda k: (natural(k[0]), k[1] != "/")):
        attempt = r.attempt(name, name, name + kind)
        for entry in students[(name, kind)]:
            r.put(attempt, entry, entry.parts[1:] if kind == "/" else entry.parts)
        if names[name] > 1:
            attempt.problems.append(
                f"both {name}/ and {name}.zip are in the download: two attempts of one student"
            )
    r.finish(lms_times=False)
