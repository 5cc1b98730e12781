"""Downloads and rosters laid out exactly as Canvas, Gradescope and Moodle write them.

Each writer takes :class:`Student` records whose ``source`` is the student's copy of
the assignment folder (notebooks at its top, ``cs231n_lib/`` beside them): tiny fake
ones from :func:`make_source`, or the generated samples of ``python -m grading samples``.
The layouts follow the LMSs' own code (see :mod:`grading.intake.lms`):

- Canvas: ``{lastfirst}_{LATE_}?{user id}_{attachment id}_{file name}``, all at the top;
- Gradescope: ``assignment_<id>_export/submission_metadata.yml`` + ``submission_<id>/``;
- Moodle: ``{Full name}_{participant}_assignsubmission_file/`` or flat file names.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat

NOTEBOOKS = ("knn", "svm", "softmax", "two_layer_net", "features")
SUBMIT_ZIP = "assignment1_submission.zip"
PACKAGE_FILES = ("cs231n_lib/__init__.py", "cs231n_lib/classifiers/k_nearest_neighbor.py")
DEFAULT_TIME = datetime(2026, 10, 1, tzinfo=timezone.utc)  # for students without a time
LONG_LAST = "Wolfeschlegelsteinhausenbergerdorff" * 5 + "-Featherstonehaugh-Cholmondeley"


@dataclass
class Student:
    """One student, with an id in every LMS, and how they hand in.

    ``upload`` is ``"zip"`` (the zip ``python -m cs231n_lib.submit`` writes),
    ``"files"`` (the notebooks and the package's .py files one by one) or
    ``"corrupt"`` (a zip that is not one).
    """

    first: str
    last: str
    source: Path
    canvas_id: int
    moodle_id: int
    sid: str = ""
    email: str = ""
    submitted_at: datetime | None = None
    late: bool = False
    upload: str = "zip"
    resubmitted: tuple = ()  # files uploaded twice (Canvas names the second "knn-1.ipynb")
    history: tuple = ()  # Gradescope: times of earlier submissions

    @property
    def full_name(self):
        return f"{self.first} {self.last}"

    @property
    def sortable_name(self):
        return f"{self.last}, {self.first}"


def make_notebook(path, marker):
    """A tiny valid nbformat v4 notebook whose one code cell prints ``marker``."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(f"print({marker!r})"))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def make_source(folder, marker, notebooks=NOTEBOOKS, package=PACKAGE_FILES):
    """A fake copy of the assignment folder; every file mentions ``marker``."""
    folder = Path(folder)
    for nb in notebooks:
        make_notebook(folder / f"{nb}.ipynb", f"{marker} {nb}")
    for rel in package:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(f"WHO = {marker!r}\n")
    return folder


def submit_zip(source):
    """The bytes of ``assignment1_submission.zip``: notebooks at the top, then cs231n_lib/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(Path(source).glob("*.ipynb")):
            zf.write(path, path.name)
        for path in sorted(Path(source).rglob("cs231n_lib/**/*.py")):
            if "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(source).as_posix())
    return buffer.getvalue()


def uploads(student, again="{stem}-1.{ext}"):
    """``[(file name, bytes)]`` the student uploads, in upload order.

    A file in ``student.resubmitted`` is uploaded a second time, changed, under the name
    ``again`` (Canvas: ``knn-1.ipynb``; Moodle's file picker: ``knn (1).ipynb``; None:
    not at all, as in Gradescope, where a new upload is a new submission).
    """
    if student.upload == "corrupt":
        return [(SUBMIT_ZIP, b"PK\x03\x04 this upload was cut short")]
    if student.upload == "zip":
        return [(SUBMIT_ZIP, submit_zip(student.source))]
    source = Path(student.source)
    files = [(p.name, p.read_bytes()) for p in sorted(source.glob("*.ipynb"))]
    files += [
        (p.name, p.read_bytes())
        for p in sorted(source.rglob("cs231n_lib/**/*.py"))
        if p.name != "__init__.py" and "__pycache__" not in p.parts
    ]
    for name in student.resubmitted if again else ():
        stem, _, ext = name.rpartition(".")
        data = dict(files)[name]
        files.append(
            (
                again.format(stem=stem, ext=ext),
                data.replace(b"WHO", b"WHO_AGAIN")
                if name.endswith(".py")
                else _resubmitted_notebook(data),
            )
        )
    return files


def _resubmitted_notebook(data):
    nb = nbformat.reads(data.decode(), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("resubmitted"))
    return nbformat.writes(nb).encode()


def _zip_write(zf, name, data, when=None):
    when = when or DEFAULT_TIME.replace(tzinfo=None)
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.flag_bits |= 0x800  # UTF-8 names
    zf.writestr(info, data)


def canvas_lastfirst(sortable_name):
    """Canvas's file-name form of a sortable name (``content_zipper.rb``)."""
    name = re.sub(r"_(\d+)_", r"\1", sortable_name).lower()
    return re.sub(r"[^\w]", "", name)


def canvas_download(dest, students, first_attachment=700001):
    """Write Canvas's "Download Submissions" zip of ``students`` to ``dest``."""
    attachment = first_attachment
    with zipfile.ZipFile(dest, "w") as zf:
        for s in students:
            prefix = "_".join(
                x
                for x in (
                    canvas_lastfirst(s.sortable_name),
                    "LATE" if s.late else "",
                    str(s.canvas_id),
                )
                if x
            )
            for name, data in uploads(s):
                _zip_write(zf, f"{prefix}_{attachment}_{name}", data, _local(s))
                attachment += 1
    return Path(dest)


def gradescope_download(
    dest,
    students,
    groups=(),
    assignment_id=5550001,
    first_submission=90000001,
    with_history_files=False,
):
    """Write Gradescope's "Export Submissions" zip to ``dest``.

    ``groups`` lists tuples of students who handed in together (one submission, the
    first one's files). Earlier submissions (``Student.history``) are listed under
    ``:history:``; their folders are in the export only with ``with_history_files``.
    """
    root = f"assignment_{assignment_id}_export"
    grouped = {id(s) for g in groups for s in g[1:]}
    submissions = [
        (s, *next((g for g in groups if g[0] is s), (s,))[1:])
        for s in students
        if id(s) not in grouped
    ]
    number, records = first_submission, []
    with zipfile.ZipFile(dest, "w") as zf:
        for members in submissions:
            lead = members[0]
            history = []
            for when in lead.history:
                history.append(
                    f"  - :id: {number}\n    :created_at: {_ruby_time(when)}\n    :score: 3.0\n"
                )
                if with_history_files:
                    _gradescope_files(zf, f"{root}/submission_{number}", lead)
                number += 1
            folder = f"submission_{number}"
            _gradescope_files(zf, f"{root}/{folder}", lead)
            people = "".join(
                f"  - :name: {_yaml(s.full_name)}\n    :sid: {_yaml(s.sid)}\n"
                f"    :email: {_yaml(s.email)}\n"
                for s in members
            )
            records.append(
                f"{folder}:\n  :submitters:\n{people}"
                f"  :created_at: {_ruby_time(lead.submitted_at)}\n  :score: 17.5\n"
                + (f"  :history:\n{''.join(history)}" if history else "")
            )
            number += 1
        _zip_write(zf, f"{root}/submission_metadata.yml", "---\n" + "".join(records))
    return Path(dest)


def _gradescope_files(zf, folder, student):
    for name, data in uploads(student, again=None):
        _zip_write(zf, f"{folder}/{name}", data)


def _ruby_time(when):
    utc = (when or DEFAULT_TIME).astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f") + "000 Z"


def _yaml(text):
    return "'" + str(text).replace("'", "''") + "'"


def moodle_prefix(student):
    """Moodle's ``{Full name}_{participant}`` (``_`` to spaces, then ``clean_filename``)."""
    name = re.sub(r"[\x00-\x1f&<>\"`|':\\/]", "", student.full_name.replace("_", " "))
    return f"{name}_{student.moodle_id}"


def moodle_download(dest, students, folders=True, old_folder_names=False):
    """Write Moodle's "Download all submissions" zip (``folders``: one folder each)."""
    with zipfile.ZipFile(dest, "w") as zf:
        for s in students:
            base = f"{moodle_prefix(s)}_assignsubmission_file"
            for name, data in uploads(s, again="{stem} (1).{ext}"):
                if folders:
                    path = f"{base}{'_' if old_folder_names else ''}/{name}"
                else:
                    path = f"{base}_{name}"
                _zip_write(zf, path, data, _local(s))
    return Path(dest)


def folders_download(dest, students, zipped=()):
    """A class folder: one folder per student named by them, or a zip for those in ``zipped``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for s in students:
        if s.full_name in zipped:
            (dest / f"{s.full_name}.zip").write_bytes(submit_zip(s.source))
        else:
            shutil.copytree(s.source, dest / s.full_name)
    return dest


def _local(student):
    """The naive local time zip entries store (the submission time, as UTC wall time)."""
    when = student.submitted_at or DEFAULT_TIME
    return when.astimezone(timezone.utc).replace(tzinfo=None)


def canvas_roster(path, students):
    """Canvas's gradebook export: BOM, header, "Points Possible" row, the test student."""
    rows = [
        '"Student","ID","SIS User ID","SIS Login ID","Section",'
        '"Assignment 1 (4321)","Current Score"',
        '"    Points Possible","","","","","100.00","(read only)"',
    ]
    for s in students:
        rows.append(
            f'"{s.sortable_name}","{s.canvas_id}","{s.sid}","{s.email}","CS231n 001","","0.00"'
        )
    rows.append('"Student, Test","99999","","","CS231n 001","","0.00"')
    Path(path).write_text("\ufeff" + "\r\n".join(rows) + "\r\n", encoding="utf-8")
    return Path(path)


def gradescope_roster(path, students):
    """Gradescope's roster download (``memberships.csv``), with an instructor row."""
    lines = [
        "First Name,Last Name,SID,Email,Role,Sections",
        "Ada,Teacher,,ada@example.edu,Instructor,",
    ]
    lines += [f'"{s.first}","{s.last}",{s.sid},{s.email},Student,CS231n 001' for s in students]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


def moodle_worksheet(path, students, tz):
    """Moodle's grading worksheet, times written in ``tz`` as Moodle shows them."""
    lines = [
        'Identifier,"Full name","Email address",Status,Grade,"Maximum Grade",'
        '"Grade can be changed","Last modified (submission)",'
        '"Last modified (grade)","Feedback comments"'
    ]
    for s in students:
        if s.submitted_at is None:
            status, when = "No submission", "-"
        else:
            status = "Submitted for grading" + (" - 1 day 2 hours late" if s.late else "")
            when = s.submitted_at.astimezone(tz).strftime("%A, %d %B %Y, %I:%M %p")
        name = s.full_name.replace('"', '""')
        lines.append(
            f'"Participant {s.moodle_id}","{name}",{s.email},"{status}",,100.00,Yes,"{when}",-,'
        )
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


def plain_roster(path, students):
    """A hand-made roster: ``id,name,email``."""
    lines = ["id,name,email"] + [f'{s.sid},"{s.full_name}",{s.email}' for s in students]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


def awkward_class(root):
    """Five students with awkward names and hand-ins, their sources under ``root``.

    Zoë O'Brien (zip, late), Ann Lee (loose files, knn.ipynb uploaded twice), a
    201-character name (zip), Jean-Luc D'Arcy (corrupt zip) and Mia Wong (zip).
    """
    root = Path(root)
    t = datetime(2026, 10, 14, 21, 0, tzinfo=timezone.utc)
    people = [
        ("Zoë", "O'Brien", "zip", True, ()),
        ("Ann", "Lee", "files", False, ("knn.ipynb", "k_nearest_neighbor.py")),
        ("Maximilian", LONG_LAST[: 201 - len("Maximilian ")], "zip", False, ()),
        ("Jean-Luc", "D'Arcy", "corrupt", False, ()),
        ("Mia", "Wong", "zip", False, ()),
    ]
    students = []
    for i, (first, last, upload, late, again) in enumerate(people):
        source = make_source(root / f"source{i}", f"student{i}")
        students.append(
            Student(
                first,
                last,
                source,
                canvas_id=31000 + i,
                moodle_id=7700100 + i,
                sid=f"S{100 + i}",
                email=f"student{i}@example.edu",
                submitted_at=t.replace(minute=7 * i),
                late=late,
                upload=upload,
                resubmitted=again,
            )
        )
    return students
