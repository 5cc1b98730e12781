"""Intake from LMS downloads and rosters: every format, awkward names, hostile archives."""

from __future__ import annotations

import os
import unicodedata
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat
import pytest

from grading.intake import lms
from grading.intake._names import parse_canvas, parse_moodle, resubmission_suffix
from grading.intake.roster import read_roster
from tests import lms_fixtures as fx

NOTEBOOK_FILES = sorted(f"{nb}.ipynb" for nb in fx.NOTEBOOKS)
ZURICH = ZoneInfo("Europe/Zurich")


@pytest.fixture
def klass(tmp_path):
    return fx.awkward_class(tmp_path / "sources")


def files_of(attempt):
    return sorted(
        p.relative_to(attempt.files).as_posix() for p in attempt.files.rglob("*") if p.is_file()
    )


def by_id(download):
    return {a.lms_id: a for a in download.attempts}


def read(tmp_path, download, **kwargs):
    return lms.read_download(download, tmp_path / "staging", **kwargs)


def unzip(archive, dest):
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(dest)
    return dest


def add_members(archive, members):
    """Append ``{name: bytes}`` to a zip; a name ending in '@' becomes a symbolic link."""
    with zipfile.ZipFile(archive, "a") as zf:
        for name, data in members.items():
            if name.endswith("@"):
                info = zipfile.ZipInfo(name[:-1])
                info.external_attr = 0o120777 << 16
                zf.writestr(info, data)
            else:
                zf.writestr(name, data)


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize("unzipped", [False, True])
@pytest.mark.parametrize("fmt", ["canvas", "gradescope", "moodle", "moodle-flat", "folders"])
def test_detect_format_zip_and_unzipped(tmp_path, klass, fmt, unzipped):
    if unzipped:  # Moodle's flat name for the 201-character student exceeds 255 bytes:
        klass = [s for s in klass if len(s.full_name) < 100]  # only a zip can hold it
    archive = tmp_path / "download.zip"
    if fmt == "canvas":
        fx.canvas_download(archive, klass)
    elif fmt == "gradescope":
        fx.gradescope_download(archive, klass)
    elif fmt.startswith("moodle"):
        fx.moodle_download(archive, klass, folders=fmt == "moodle")
    else:
        folder = fx.folders_download(tmp_path / "class", klass, zipped={"Mia Wong"})
        with zipfile.ZipFile(archive, "w") as zf:
            for path in sorted(folder.rglob("*")):
                zf.write(path, Path("class") / path.relative_to(folder))
    path = unzip(archive, tmp_path / "unzipped") if unzipped else archive
    assert lms.detect_format(path) == fmt.split("-")[0]


def test_detect_looks_through_a_wrapper_folder(tmp_path, klass):
    fx.canvas_download(tmp_path / "c.zip", klass)
    unzip(tmp_path / "c.zip", tmp_path / "outer" / "submissions")
    assert lms.detect_format(tmp_path / "outer") == "canvas"
    download = read(tmp_path, tmp_path / "outer")
    assert len(download.attempts) == 5


def test_one_students_folder_is_not_a_download(tmp_path, klass):
    with pytest.raises(ValueError, match=r"(?s)canvas: files at the top.*--format"):
        lms.detect_format(klass[0].source)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hi")
    with pytest.raises(ValueError, match="fits none of"):
        lms.detect_format(tmp_path / "notes")


def test_corrupt_download_is_a_problem_not_an_exception(tmp_path):
    bad = tmp_path / "submissions.zip"
    bad.write_bytes(b"PK\x03\x04 truncated by the browser")
    with pytest.raises(ValueError, match="not a readable zip file"):
        lms.detect_format(bad)
    download = read(tmp_path, bad)
    assert download.attempts == []
    assert len(download.problems) == 1
    assert "submissions.zip is not a readable zip file" in download.problems[0]


def test_missing_download_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        lms.detect_format(tmp_path / "nowhere.zip")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "blackboard"}, "Expected a format among"),
        ({"timezone": "Mars/Olympus"}, "IANA time zone"),
    ],
)
def test_bad_arguments_raise_with_a_fix(tmp_path, klass, kwargs, message):
    fx.canvas_download(tmp_path / "c.zip", klass)
    with pytest.raises(ValueError, match=message):
        read(tmp_path, tmp_path / "c.zip", **kwargs)


def test_staging_must_be_empty(tmp_path, klass):
    fx.canvas_download(tmp_path / "c.zip", klass)
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "old.txt").write_text("x")
    with pytest.raises(ValueError, match="empty staging folder"):
        read(tmp_path, tmp_path / "c.zip")


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("smithjohn_12345_67890_knn.ipynb", ("smithjohn", False, "12345", 67890, "knn.ipynb")),
        (
            "smithjohn_LATE_12345_67890_knn-1.ipynb",
            ("smithjohn", True, "12345", 67890, "knn-1.ipynb"),
        ),
        ("obrienzoë_7_8_hw_1_2_final.ipynb", ("obrienzoë", False, "7", 8, "hw_1_2_final.ipynb")),
        ("de_la_cruzana_3_4_x.py", ("de_la_cruzana", False, "3", 4, "x.py")),
        ("LATE_anon_x1Y2z_99_svm.ipynb", ("", True, "anon_x1Y2z", 99, "svm.ipynb")),
        ("_12_34_a.py", ("", False, "12", 34, "a.py")),
    ],
)
def test_parse_canvas(filename, expected):
    p = parse_canvas(filename)
    assert (p.name, p.late, p.user_id, p.attachment_id, p.original) == expected


@pytest.mark.parametrize("filename", ["knn.ipynb", "smithjohn_knn.ipynb", "a_b_c_d.ipynb"])
def test_parse_canvas_rejects_other_names(filename):
    assert parse_canvas(filename) is None


def test_parse_moodle_both_layouts():
    folder = parse_moodle("Zoë OBrien_7700100_assignsubmission_file")
    flat = parse_moodle("Zoë OBrien_7700100_assignsubmission_file_knn (1).ipynb")
    assert (folder.name, folder.participant_id, folder.rest) == ("Zoë OBrien", "7700100", "")
    assert (flat.plugin, flat.rest) == ("assignsubmission_file", "knn (1).ipynb")
    assert parse_moodle("alice") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("knn-1.ipynb", ("knn.ipynb", 1)),
        ("knn (2).ipynb", ("knn.ipynb", 2)),
        ("two_layer_net-12.ipynb", ("two_layer_net.ipynb", 12)),
        ("data-1.tar.gz", ("data.tar.gz", 1)),
        ("knn.ipynb", ("knn.ipynb", 0)),
        ("cifar-10", ("cifar-10", 0)),
    ],
)
def test_resubmission_suffix(name, expected):
    assert resubmission_suffix(name) == expected


# ---------------------------------------------------------------- Canvas


def test_canvas_ids_names_late_and_keys(tmp_path, klass):
    archive = fx.canvas_download(tmp_path / "c.zip", klass)
    download = read(tmp_path, archive)
    assert download.format == "canvas"
    assert [a.lms_id for a in download.attempts] == [str(31000 + i) for i in range(5)]
    names = [a.name for a in download.attempts]
    assert names[:2] == ["obrienzoë", "leeann"]
    assert names[2] == fx.canvas_lastfirst(klass[2].sortable_name)
    assert len(names[2]) > 190
    assert [a.lms_late for a in download.attempts] == [True, False, False, False, False]
    with zipfile.ZipFile(archive) as zf:
        last_ids = {}
        for name in zf.namelist():
            p = parse_canvas(name)
            last_ids[p.user_id] = max(last_ids.get(p.user_id, 0), p.attachment_id)
    assert {a.lms_id: int(a.key) for a in download.attempts} == last_ids
    assert [a.files for a in download.attempts] == [
        tmp_path / "staging" / str(n) for n in range(1, 6)
    ]
    assert download.attempts[0].label == f"obrienzoë_LATE_{klass[0].canvas_id}"


def test_canvas_files_land_without_lms_names(tmp_path, klass):
    download = read(tmp_path, fx.canvas_download(tmp_path / "c.zip", klass))
    zoe, ann, _, jean, _ = download.attempts
    assert files_of(zoe) == [fx.SUBMIT_ZIP]
    assert (zoe.files / fx.SUBMIT_ZIP).read_bytes() == fx.submit_zip(klass[0].source)
    assert files_of(ann) == sorted(
        [*NOTEBOOK_FILES, "cs231n_lib/classifiers/k_nearest_neighbor.py"]
    )
    # the later upload (knn-1.ipynb) won, under the release's name
    nb = nbformat.read(ann.files / "knn.ipynb", as_version=4)
    assert nb.cells[-1].source == "resubmitted"
    package = (ann.files / "cs231n_lib/classifiers/k_nearest_neighbor.py").read_text()
    assert package == "WHO_AGAIN = 'student1'\n"
    assert sorted(ann.problems) == [
        "k_nearest_neighbor.py was handed in 2 times: kept k_nearest_neighbor-1.py, "
        "left out k_nearest_neighbor.py",
        "knn.ipynb was handed in 2 times: kept knn-1.ipynb, left out knn.ipynb",
    ]
    # a corrupt zip the student uploaded is copied as is, for unpack to report
    assert (jean.files / fx.SUBMIT_ZIP).read_bytes() == fx.uploads(klass[3])[0][1]
    assert zoe.problems == jean.problems == []


def test_canvas_has_no_times_unless_asked(tmp_path, klass):
    download = read(tmp_path, fx.canvas_download(tmp_path / "c.zip", klass))
    assert all(a.submitted_at is None and a.time_source == "" for a in download.attempts)
    notes = [p for p in download.problems if "carry no submission times" in p]
    assert notes == [
        "Canvas downloads carry no submission times: late days cannot be "
        "computed; use --use-file-times to take the zip entries' times"
    ]


@pytest.mark.parametrize("zone_name", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def test_canvas_file_times_are_read_in_the_time_zone(tmp_path, klass, zone_name):
    archive = fx.canvas_download(tmp_path / "c.zip", klass)
    download = read(tmp_path, archive, use_file_times=True, timezone=zone_name)
    for attempt, student in zip(download.attempts, klass, strict=True):
        wall = student.submitted_at.replace(tzinfo=None)  # what the zip stored
        expected = wall.replace(tzinfo=ZoneInfo(zone_name))
        assert attempt.submitted_at == expected
        assert attempt.submitted_at.utcoffset() is not None
        assert attempt.time_source == "file"
    assert any("(--use-file-times)" in p for p in download.problems)


def test_canvas_same_time_everywhere_is_flagged(tmp_path, klass):
    for s in klass:
        s.submitted_at = klass[0].submitted_at
    download = read(tmp_path, fx.canvas_download(tmp_path / "c.zip", klass), use_file_times=True)
    assert any("every file carries the same time" in p for p in download.problems)


def test_canvas_odd_files(tmp_path, klass):
    archive = fx.canvas_download(tmp_path / "c.zip", klass[:1])
    add_members(
        archive,
        {
            "README.txt": b"not a submission",
            "folder/inside.ipynb": b"{}",
            "smithjohn_31009_text.html": b"<p>my answers</p>",
            "LATE_anon_q1w2e_800001_svm.ipynb": b"{}",
            "lonelee_31010_800002___init__.py": b"",
            "lonelee_31010_800003_notes-2.txt": b"keep my name",
        },
    )
    download = read(tmp_path, archive)
    attempts = by_id(download)
    assert set(attempts) == {"31000", "31009", "anon_q1w2e", "31010"}
    assert "skipped README.txt: not a Canvas submission file" in " ".join(download.problems)
    assert any(p.startswith("skipped folder/inside.ipynb") for p in download.problems)
    text = attempts["31009"]
    assert files_of(text) == []
    assert text.problems[0] == "smithjohn_31009_text.html is a text entry, not files: left out"
    anon = attempts["anon_q1w2e"]
    assert (anon.name, anon.lms_late, files_of(anon)) == ("", True, ["svm.ipynb"])
    lonely = attempts["31010"]
    assert files_of(lonely) == ["__init__.py", "notes-2.txt"]  # not an assignment name
    assert any("cs231n_lib/ has" in p and "__init__.py" in p for p in lonely.problems)


def test_hostile_members_never_leave_staging(tmp_path, klass):
    archive = fx.canvas_download(tmp_path / "c.zip", klass[:1])
    add_members(
        archive,
        {
            "../escaped_1_2_evil.py": b"import os",
            "/abs_1_3_evil.py": b"import os",
            "linkme_31000_900001_knn.ipynb@": b"/etc/passwd",
        },
    )
    download = read(tmp_path, archive)
    joined = " ".join(download.problems)
    assert "'../escaped_1_2_evil.py': a path outside the download" in joined
    assert "'/abs_1_3_evil.py': a path outside the download" in joined
    assert "skipped linkme_31000_900001_knn.ipynb: a symbolic link" in joined
    written = {p.name for p in tmp_path.rglob("*")}
    assert "escaped_1_2_evil.py" not in written
    assert "evil.py" not in written
    assert files_of(download.attempts[0]) == [fx.SUBMIT_ZIP]


def test_canvas_with_roster_notes_strangers_and_absentees(tmp_path, klass):
    extra = fx.Student("Rosa", "Absent", klass[0].source, canvas_id=31099, moodle_id=1)
    roster = fx.canvas_roster(tmp_path / "grades.csv", [*klass[:4], extra])  # no Mia
    download = read(tmp_path, fx.canvas_download(tmp_path / "c.zip", klass), roster=str(roster))
    mia = by_id(download)["31004"]
    assert mia.problems == ["wongmia (id 31004) is not on the roster"]
    assert by_id(download)["31000"].problems == []
    assert any(
        "from 1 student(s) on the roster: Rosa Absent (31099)" in p for p in download.problems
    )


# ---------------------------------------------------------------- Gradescope


def test_gradescope_submitters_times_and_groups(tmp_path, klass):
    archive = fx.gradescope_download(tmp_path / "g.zip", klass[:4], groups=[(klass[0], klass[4])])
    download = read(tmp_path, archive)
    assert download.format == "gradescope"
    assert download.problems == []
    assert [a.lms_id for a in download.attempts] == ["S100", "S104", "S101", "S102", "S103"]
    zoe, mia, ann = download.attempts[:3]
    assert (zoe.name, zoe.email) == ("Zoë O'Brien", "student0@example.edu")
    assert zoe.submitted_at == klass[0].submitted_at == mia.submitted_at
    assert zoe.submitted_at.tzinfo is not None
    assert zoe.time_source == "lms"
    assert zoe.key == mia.key < ann.key
    assert zoe.files != mia.files
    assert files_of(zoe) == files_of(mia) == [fx.SUBMIT_ZIP]
    group = "a group submission of Zoë O'Brien, Mia Wong: the same files are graded for each member"
    assert zoe.problems == mia.problems == [group]
    assert files_of(ann) == sorted(
        [*NOTEBOOK_FILES, "cs231n_lib/classifiers/k_nearest_neighbor.py"]
    )
    assert zoe.label == "submission_90000001"
    assert all(a.lms_late is None for a in download.attempts)


@pytest.mark.parametrize("with_files", [False, True])
def test_gradescope_history(tmp_path, klass, with_files):
    ann = klass[1]
    ann.history = (ann.submitted_at - timedelta(days=2), ann.submitted_at - timedelta(hours=5))
    archive = fx.gradescope_download(tmp_path / "g.zip", [ann], with_history_files=with_files)
    download = read(tmp_path, archive)
    if not with_files:
        (attempt,) = download.attempts
        assert attempt.submitted_at == ann.submitted_at
        assert attempt.problems == [
            "2 earlier Gradescope submission(s) are in the history "
            "but not in the export: only this one can be graded"
        ]
        return
    attempts = download.attempts
    assert [a.lms_id for a in attempts] == ["S101"] * 3
    assert [a.submitted_at for a in attempts] == [ann.submitted_at, *ann.history]
    assert sorted(attempts, key=lambda a: a.key) == sorted(attempts, key=lambda a: a.submitted_at)
    assert all(files_of(a) for a in attempts)
    assert all(a.problems == [] for a in attempts)


def _rewrite_metadata(archive, text):
    """A copy of the export with ``submission_metadata.yml`` replaced (None: removed)."""
    out = archive.with_name("edited.zip")
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename.endswith("submission_metadata.yml"):
                if text is not None:
                    dst.writestr(info.filename, text)
            else:
                dst.writestr(info, src.read(info))
    return out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "the export has no submission_metadata.yml"),
        ("submission_90000001: [unclosed\n  :x: {", "submission_metadata.yml is not readable"),
        ("- just\n- a list\n", "is not a mapping of submission folders"),
    ],
)
def test_gradescope_without_usable_metadata(tmp_path, klass, text, message):
    archive = fx.gradescope_download(tmp_path / "g.zip", klass[:2])
    download = read(tmp_path, _rewrite_metadata(archive, text), fmt="gradescope")
    assert any(message in p for p in download.problems)
    assert [a.lms_id for a in download.attempts] == ["submission_90000001", "submission_90000002"]
    assert all("the student is unknown" in a.problems[0] for a in download.attempts)
    assert files_of(download.attempts[0]) == [fx.SUBMIT_ZIP]


def test_gradescope_ruby_tags_offsets_and_strays(tmp_path, klass):
    archive = fx.gradescope_download(tmp_path / "g.zip", klass[:2])
    text = """\
submission_90000001:
  :submitters:
  - !ruby/hash:ActiveSupport::HashWithIndifferentAccess
    :name: Zoë O'Brien
    :sid: 4242
    :email: zoe@example.edu
  :created_at: 2026-10-14 14:00:05.123456789 -07:00
  :results: !ruby/object:BigDecimal 18:0.175e2
submission_77:
  :submitters:
  - :name: Ghost
    :sid: '9'
  :created_at: 2026-10-14 14:00:05 Z
"""
    download = read(tmp_path, _rewrite_metadata(archive, text))
    zoe, unknown = download.attempts
    assert (zoe.lms_id, zoe.email) == ("4242", "zoe@example.edu")
    assert zoe.submitted_at == datetime(2026, 10, 14, 21, 0, 5, 123456, tzinfo=timezone.utc)
    assert unknown.lms_id == "submission_90000002"
    assert unknown.problems[0].startswith("submission_90000002 is not in submission_metadata")
    assert any(
        "submission_77 is in submission_metadata.yml but not in the export: nothing "
        "to grade for Ghost" in p
        for p in download.problems
    )


def test_gradescope_from_the_unzipped_folder(tmp_path, klass):
    archive = fx.gradescope_download(tmp_path / "g.zip", klass)
    download = read(tmp_path, unzip(archive, tmp_path / "export"))
    assert [a.lms_id for a in download.attempts] == [s.sid for s in klass]
    assert [a.submitted_at for a in download.attempts] == [s.submitted_at for s in klass]


# ---------------------------------------------------------------- Moodle


@pytest.mark.parametrize(("folders", "old"), [(True, False), (True, True), (False, False)])
def test_moodle_layouts(tmp_path, klass, folders, old):
    archive = fx.moodle_download(tmp_path / "m.zip", klass, folders=folders, old_folder_names=old)
    download = read(tmp_path, archive)
    assert download.format == "moodle"
    assert [a.lms_id for a in download.attempts] == [str(s.moodle_id) for s in klass]
    # Moodle's clean_filename drops the apostrophes from the names it writes
    assert [a.name for a in download.attempts][:2] == ["Zoë OBrien", "Ann Lee"]
    assert len(download.attempts[2].name) == 201
    ann = download.attempts[1]
    assert files_of(ann) == sorted(
        [*NOTEBOOK_FILES, "cs231n_lib/classifiers/k_nearest_neighbor.py"]
    )
    assert nbformat.read(ann.files / "knn.ipynb", as_version=4).cells[-1].source == "resubmitted"
    assert "knn.ipynb was handed in 2 times: kept knn (1).ipynb, left out knn.ipynb" in ann.problems
    assert files_of(download.attempts[0]) == [fx.SUBMIT_ZIP]
    assert all(a.submitted_at is None for a in download.attempts)
    assert any("pass Moodle's grading worksheet as the roster" in p for p in download.problems)


def test_moodle_times_and_late_from_the_worksheet(tmp_path, klass):
    absent = fx.Student(
        "Rosa", "Absent", klass[0].source, canvas_id=1, moodle_id=7700999, email="rosa@example.edu"
    )
    worksheet = fx.moodle_worksheet(tmp_path / "worksheet.csv", [*klass[:4], absent], ZURICH)
    roster = read_roster(worksheet, timezone="Europe/Zurich")
    download = read(
        tmp_path,
        fx.moodle_download(tmp_path / "m.zip", klass),
        roster=roster,
        timezone="Europe/Zurich",
    )
    attempts = download.attempts
    for attempt, student in zip(attempts[:4], klass[:4], strict=True):
        assert attempt.submitted_at == student.submitted_at  # the same instant
        assert attempt.submitted_at.utcoffset() == timedelta(hours=2)  # CEST in October
        assert attempt.time_source == "lms"
        assert attempt.email == student.email
    assert [a.lms_late for a in attempts] == [True, False, False, False, None]
    mia = attempts[4]
    assert mia.submitted_at is None
    assert mia.problems == [
        "not in the grading worksheet: time unknown",
        "Mia Wong (id 7700104) is not on the roster",
    ]
    assert any("Rosa Absent (7700999)" in p for p in download.problems)
    assert not any("carry no submission times" in p for p in download.problems)


def test_moodle_worksheet_read_in_the_wrong_zone_is_reread(tmp_path, klass):
    worksheet = fx.moodle_worksheet(tmp_path / "worksheet.csv", klass, ZURICH)
    download = read(
        tmp_path,
        fx.moodle_download(tmp_path / "m.zip", klass),
        roster=worksheet,
        timezone="Europe/Zurich",
    )
    assert [a.submitted_at for a in download.attempts] == [s.submitted_at for s in klass]


def test_moodle_other_plugins_and_strays(tmp_path, klass):
    archive = fx.moodle_download(tmp_path / "m.zip", klass[:1])
    add_members(
        archive,
        {
            "Zoë OBrien_7700100_assignsubmission_onlinetext/onlinetext.html": b"<p>hi</p>",
            "grades.csv": b"x",
        },
    )
    download = read(tmp_path, archive)
    (zoe,) = download.attempts
    assert zoe.problems == ["Moodle's assignsubmission_onlinetext part is not graded: left out"]
    assert files_of(zoe) == [fx.SUBMIT_ZIP]
    assert any(
        p.startswith("skipped grades.csv: not a Moodle submission") for p in download.problems
    )


# ---------------------------------------------------------------- folders


def test_folders_named_by_students(tmp_path, klass):
    folder = fx.folders_download(tmp_path / "class", klass, zipped={"Mia Wong"})
    (folder / "notes.txt").write_text("loose")
    download = read(tmp_path, folder)
    assert download.format == "folders"
    names = sorted(s.full_name for s in klass)
    assert [a.lms_id for a in download.attempts] == names
    assert [a.name for a in download.attempts] == names
    mia = by_id(download)["Mia Wong"]
    assert files_of(mia) == ["Mia Wong.zip"]
    assert (mia.files / "Mia Wong.zip").read_bytes() == fx.submit_zip(klass[4].source)
    zoe = by_id(download)["Zoë O'Brien"]
    assert files_of(zoe) == sorted([*NOTEBOOK_FILES, *fx.PACKAGE_FILES])
    assert zoe.label == "Zoë O'Brien/"
    assert mia.label == "Mia Wong.zip"
    assert "skipped notes.txt: a loose file" in " ".join(download.problems)
    assert any(
        p.startswith("Folder downloads carry no submission times") for p in download.problems
    )


def test_folders_file_times_and_twins(tmp_path, klass):
    folder = fx.folders_download(tmp_path / "class", klass[:2], zipped=())
    (folder / "Ann Lee.zip").write_bytes(fx.submit_zip(klass[1].source))
    stamp = datetime(2026, 10, 14, 23, 59, tzinfo=timezone.utc).timestamp()
    for path in (folder / "Zoë O'Brien").rglob("*"):
        os.utime(path, (stamp - 60, stamp - 60))
    os.utime(folder / "Zoë O'Brien" / "knn.ipynb", (stamp, stamp))
    download = read(tmp_path, folder, use_file_times=True, timezone="Asia/Tokyo")
    zoe = by_id(download)["Zoë O'Brien"]
    assert zoe.submitted_at == datetime(2026, 10, 15, 8, 59, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert zoe.time_source == "file"
    twins = [a for a in download.attempts if a.lms_id == "Ann Lee"]
    assert [a.label for a in twins] == ["Ann Lee/", "Ann Lee.zip"]
    assert all("both Ann Lee/ and Ann Lee.zip" in a.problems[0] for a in twins)


def test_decomposed_names_are_composed(tmp_path, klass):
    decomposed = unicodedata.normalize("NFD", "Zoë O'Brien")
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{decomposed}/knn.ipynb", "{}")
    download = read(tmp_path, archive)
    assert decomposed != "Zoë O'Brien"
    assert [a.lms_id for a in download.attempts] == ["Zoë O'Brien"]


def test_folder_symlinks_are_skipped(tmp_path, klass):
    folder = fx.folders_download(tmp_path / "class", klass[:1])
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy")
    (folder / "Zoë O'Brien" / "stolen.txt").symlink_to(secret)
    (folder / "linked").symlink_to(tmp_path / "sources")
    download = read(tmp_path, folder)
    assert [a.lms_id for a in download.attempts] == ["Zoë O'Brien"]
    assert "stolen.txt" not in files_of(download.attempts[0])
    joined = " ".join(download.problems)
    assert "skipped Zoë O'Brien/stolen.txt: a symbolic link" in joined
    assert "skipped linked: a symbolic link" in joined


# ---------------------------------------------------------------- rosters


def test_canvas_roster(tmp_path, klass):
    path = fx.canvas_roster(tmp_path / "grades.csv", klass)
    with open(path, "a", encoding="utf-8") as f:
        f.write(
            '\r\n"Nobody, Noid","","","","CS231n 001","",""\r\n'
            f'"O\'Brien, Zoë","{klass[0].canvas_id}","","","CS231n 002","",""\r\n'
        )
    roster = read_roster(path)
    assert roster.format == "canvas"
    assert roster.columns[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert [s.lms_id for s in roster.students] == [str(s.canvas_id) for s in klass]
    zoe = roster.students[0]
    assert (zoe.name, zoe.first_name, zoe.last_name) == ("Zoë O'Brien", "Zoë", "O'Brien")
    assert (zoe.sis_id, zoe.login_id, zoe.section) == ("S100", "student0@example.edu", "CS231n 001")
    assert zoe.extra == {"Assignment 1 (4321)": "", "Current Score": "0.00"}
    assert roster.problems == [
        "line 10: Nobody, Noid has no ID: left out",
        "line 11: the id 31000 was already on line 3: this row is left out",
    ]
    assert roster.find("S100") is zoe
    assert roster.find("99999") is None


def test_gradescope_roster(tmp_path, klass):
    klass[2].sid = ""
    path = fx.gradescope_roster(tmp_path / "memberships.csv", klass)
    with open(path, "a", encoding="utf-8") as f:
        f.write("No,Contact,,,Student,\n")
    roster = read_roster(path)
    assert roster.format == "gradescope"
    ids = [s.lms_id for s in roster.students]
    assert ids == ["S100", "S101", "student2@example.edu", "S103", "S104"]
    assert roster.students[0].name == "Zoë O'Brien"
    assert roster.students[0].section == "CS231n 001"
    assert roster.problems == ["line 8: No Contact has neither an SID nor an email: left out"]


def test_moodle_worksheet_roster(tmp_path, klass):
    klass[4].submitted_at = None
    path = fx.moodle_worksheet(tmp_path / "ws.csv", klass, ZURICH)
    text = path.read_text().replace("Participant 7700103", "Participant")
    text = text.replace(
        klass[1].submitted_at.astimezone(ZURICH).strftime("%A, %d %B %Y, %I:%M %p"),
        "sometime, 11:07 PM",
    )
    path.write_text(text)
    roster = read_roster(path, timezone="Europe/Zurich")
    assert roster.format == "moodle"
    assert [s.lms_id for s in roster.students] == ["7700100", "7700101", "7700102", "7700104"]
    zoe, ann, _, mia = roster.students
    assert (zoe.name, zoe.email) == ("Zoë O'Brien", "student0@example.edu")
    assert zoe.submitted_at == klass[0].submitted_at
    assert zoe.extra["Identifier"] == "Participant 7700100"
    assert zoe.extra["Status"] == "Submitted for grading - 1 day 2 hours late"
    assert ann.submitted_at is None
    assert mia.submitted_at is None
    assert len(roster.problems) == 2
    assert roster.problems[0].startswith("line 3: Ann Lee: the time 'sometime, 11:07 PM'")
    assert roster.problems[1].startswith("line 5: Jean-Luc D'Arcy has no participant number")


@pytest.mark.parametrize(
    ("text", "encoding", "ann"),
    [
        (
            'id,name,email\n\n12,"Lee, Ann",ann@x.edu\n\n13,"Zoë ""Zo"" O\'Brien",z@x.edu\n',
            "utf-8-sig",
            "Lee, Ann",
        ),
        (
            'Student ID;Full Name;E-Mail\n12;Lee, Ann;ann@x.edu\n13;Zoë "Zo" O\'Brien;z@x.edu\n',
            "cp1252",
            "Lee, Ann",
        ),
        (
            "USERNAME\tFirst Name\tLast Name\tEmail\n12\tAnn\tLee\tann@x.edu\n"
            '13\tZoë "Zo"\tO\'Brien\tz@x.edu\n',
            "utf-16",
            "Ann Lee",
        ),
    ],
)
def test_plain_roster_is_liberal(tmp_path, text, encoding, ann):
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    roster = read_roster(path)
    assert roster.format == "plain"
    assert [s.lms_id for s in roster.students] == ["12", "13"]
    assert [s.email for s in roster.students] == ["ann@x.edu", "z@x.edu"]
    assert [s.name for s in roster.students] == [ann, 'Zoë "Zo" O\'Brien']
    expected = (
        [
            "roster.csv is not UTF-8: read as Windows-1252 (save it as 'CSV UTF-8' to "
            "keep accented names right)"
        ]
        if encoding == "cp1252"
        else []
    )
    assert roster.problems == expected


def test_plain_roster_problems_and_email_ids(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Email,Name\nann@x.edu,Ann\n,Nobody\nANN@x.edu,Ann again\n")
    roster = read_roster(path)
    assert [s.lms_id for s in roster.students] == ["ann@x.edu"]
    assert roster.problems == [
        "line 3: Nobody has no id: left out",
        "line 4: the id ANN@x.edu was already on line 2: this row is left out",
    ]


def test_roster_that_fits_nothing_raises(tmp_path, klass):
    path = tmp_path / "r.csv"
    path.write_text("colour,size\nred,3\n")
    with pytest.raises(ValueError, match=r"has the columns \['colour', 'size'\]"):
        read_roster(path)
    canvas = fx.canvas_roster(tmp_path / "grades.csv", klass)
    with pytest.raises(ValueError, match="not a moodle roster"):
        read_roster(canvas, fmt="moodle")
    assert read_roster(canvas, fmt="plain").format == "plain"
