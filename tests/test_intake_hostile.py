"""Intake against hostile hand-ins: bombs, links, huge files, broken text and notebooks.

Every case ends in a clean submission (or a clean refusal) and a line saying what was
done; nothing crashes, nothing is written outside the destination. Big files are
sparse (a folder) or a stream of zeros deflated once and repeated (a zip): these tests
write kilobytes, not gigabytes.
"""

from __future__ import annotations

import copy
import json
import os
import struct
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest

from grading.coursedir import NOTEBOOKS, REPO
from grading.intake import Limits, Submission, _tree, discover, lms, prepare
from grading.intake._limits import Budget
from grading.run import integrity, judge
from tests import lms_fixtures as fx

RELEASE = REPO / "assignment1"
GIB = 2**30
MIB = 2**20


# ---------------------------------------------------------------- helpers


@lru_cache(maxsize=4)
def _deflated_zeros(size):
    """(raw deflate stream, crc) of ``size`` zero bytes (a multiple of 1 MiB), made fast.

    One MiB of zeros is compressed once, flushed so it stands alone, and repeated.
    """
    chunk = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = chunk.compress(bytes(MIB)) + chunk.flush(zlib.Z_FULL_FLUSH)
    crc, zeros = 0, bytes(MIB)
    for _ in range(size // MIB):
        crc = zlib.crc32(zeros, crc)
    return block * (size // MIB) + zlib.compressobj(9, zlib.DEFLATED, -15).flush(), crc


def write_zip(path, members):
    """A zip of ``members``: ``(name, bytes)``, ``(name, int)`` for that many zeros, or
    ``(name, bytes, mode)`` with unix mode bits (``0o120777``: a symbolic link)."""
    local, central, offset = [], [], 0
    for name, data, *mode in members:
        if isinstance(data, int):
            stream, crc, size = *_deflated_zeros(data), data
        else:
            squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
            stream = squeeze.compress(data) + squeeze.flush()
            crc, size = zlib.crc32(data), len(data)
        raw = name.encode()
        head = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0x21, crc, len(stream), size, len(raw), 0
        )
        attr = (mode[0] if mode else 0o100644) << 16
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                0x0314,
                20,
                0x800,
                8,
                0,
                0x21,
                crc,
                len(stream),
                size,
                len(raw),
                0,
                0,
                0,
                0,
                attr,
                offset,
            )
            + raw
        )
        local.append(head + raw + stream)
        offset += len(head) + len(raw) + len(stream)
    directory = b"".join(central)
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0
    )
    Path(path).write_bytes(b"".join(local) + directory + end)
    return Path(path)


def zip_members(archive):
    with zipfile.ZipFile(archive) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def all_files(root):
    return {p for p in Path(root).rglob("*") if p.is_file() or p.is_symlink()}


def files_below(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file())


def notebook_text(cells, minor=5, nbformat_=4):
    return json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": nbformat_, "nbformat_minor": minor}
    )


def code(source, cell_id=None, metadata=None):
    cell = {
        "cell_type": "code",
        "source": source,
        "outputs": [],
        "execution_count": None,
        "metadata": metadata or {},
    }
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def student(tmp_path, name="alice", marker="alice"):
    return fx.make_source(tmp_path / "class" / name, marker)


def run_prepare(tmp_path, path, name="alice"):
    sub = Submission(name, Path(path), name)
    dest = tmp_path / "out" / name
    before = all_files(tmp_path)
    present = prepare(sub, dest, RELEASE)
    outside = {p for p in all_files(tmp_path) - before if dest not in p.parents}
    assert outside == set(), f"written outside the destination: {outside}"
    for problem in sub.problems:
        problem.encode("utf-8")  # every line can be written to a report
    return sub, dest, present


# ---------------------------------------------------------------- LMS downloads


def test_lms_zip_bomb_is_refused_for_one_student_and_the_class_comes_in(tmp_path):
    klass = fx.awkward_class(tmp_path / "sources")
    ok = [k for k in klass if k.upload != "corrupt"][:3]
    members = zip_members(fx.canvas_download(tmp_path / "c.zip", ok))
    bomb = write_zip(
        tmp_path / "bomb.zip",
        [
            *members,
            ("obrienzo_31000_900001_big.bin", GIB),
            ("obrienzo_31000_900002_knn.ipynb", 64 * MIB),
        ],
    )
    assert bomb.stat().st_size < 2 * MIB
    download = lms.read_download(bomb, tmp_path / "staging")
    attempts = {a.lms_id: a for a in download.attempts}
    assert sorted(attempts) == ["31000", "31001", "31002"]
    zoe = attempts["31000"].problems
    assert any(
        p.startswith("left out: obrienzo_31000_900001_big.bin (1.0 GiB), compressed")
        and "zip bomb" in p
        for p in zoe
    ), zoe
    assert any("900002_knn.ipynb (64.0 MiB), compressed" in p for p in zoe), zoe
    written = sum(p.stat().st_size for p in (tmp_path / "staging").rglob("*") if p.is_file())
    assert written < MIB
    plain = lms.read_download(fx.canvas_download(tmp_path / "plain.zip", ok), tmp_path / "s0")
    for before in plain.attempts[1:]:
        after = attempts[before.lms_id]
        assert after.problems == before.problems
        assert files_below(after.files) == files_below(before.files)


def test_refusals_are_in_the_intake_report_per_student(tmp_path):
    from grading.course.intake import store_attempt
    from grading.course.report import intake_report

    notebook = notebook_text([code("x = 1", "a")]).encode()
    archive = write_zip(
        tmp_path / "c.zip",
        [
            ("leeann_31001_700001_knn.ipynb", notebook),
            ("leeann_31001_700002_big.bin", GIB),
            ("raybob_31002_700003_knn.ipynb", notebook),
        ],
    )
    download = lms.read_download(archive, tmp_path / "staging")
    course, records = tmp_path / "course", {"students": {}}
    added = [store_attempt(course, records, attempt) for attempt in download.attempts]
    for rec in records["students"].values():
        rec["selected"] = rec["attempts"][-1]["dir"]
    text = intake_report(course, records, download, added, None, [], None)
    assert "2 attempt(s) read, 2 new" in text
    assert (
        "  - 31001: left out: leeann_31001_700002_big.bin (1.0 GiB), compressed "
        "1011 times (a zip bomb?), more than 200"
    ) in text
    assert "31002:" not in text.split("Problems with the files handed in")[1]


def test_lms_attempt_budget_files_and_depth(tmp_path):
    folder = tmp_path / "class"
    for i in range(4):
        (folder / "Ann" / f"f{i}.bin").parent.mkdir(parents=True, exist_ok=True)
        (folder / "Ann" / f"f{i}.bin").write_bytes(os.urandom(MIB))
    fx.make_source(folder / "Bob", "bob")
    (folder / "Bob" / "notes.txt").write_text("the eighth file")
    deep = folder / "Bob" / Path(*["d"] * 20)
    deep.mkdir(parents=True)
    (deep / "x.py").write_text("x = 1\n")
    limits = Limits(unpacked=3 * MIB, members=7)
    download = lms.read_download(folder, tmp_path / "staging", limits=limits)
    ann, bob = download.attempts
    assert len(files_below(ann.files)) == 3
    assert any(
        "left out: Ann/f3.bin (1.0 MiB), the submission would unpack to more than 3 MB" in p
        for p in ann.problems
    ), ann.problems
    assert len(files_below(bob.files)) == 7
    assert any("more than the 7 files a submission may have" in p for p in bob.problems)
    assert any(
        p.startswith("skipped Bob/d/d/") and "more than 16 folders deep" in p
        for p in download.problems
    ), download.problems


def test_lms_download_with_too_many_members_is_a_problem(tmp_path, monkeypatch):
    monkeypatch.setattr(_tree, "MAX_DOWNLOAD_MEMBERS", 5)
    archive = write_zip(tmp_path / "d.zip", [(f"s{i}/knn.ipynb", b"{}") for i in range(6)])
    download = lms.read_download(archive, tmp_path / "staging")
    assert download.attempts == []
    assert download.problems == [
        "d.zip holds 6 files, more than the 5 files a download may have: nothing unpacked"
    ]


def test_gradescope_metadata_bomb_is_unreadable_not_fatal(tmp_path):
    source = fx.make_source(tmp_path / "src", "ann")
    members = [
        (f"assignment_1_export/submission_7/{p.relative_to(source).as_posix()}", p.read_bytes())
        for p in sorted(source.rglob("*"))
        if p.is_file()
    ]
    archive = write_zip(
        tmp_path / "g.zip", [*members, ("assignment_1_export/submission_metadata.yml", 256 * MIB)]
    )
    download = lms.read_download(archive, tmp_path / "staging", fmt="gradescope")
    assert any(
        "submission_metadata.yml is not readable" in p and "zip bomb" in p
        for p in download.problems
    ), download.problems
    assert len(download.attempts) == 1


def test_a_file_that_grows_after_the_listing_is_counted_as_written(tmp_path):
    folder = tmp_path / "class"
    (folder / "Ann").mkdir(parents=True)
    (folder / "Ann" / "knn.ipynb").write_bytes(b"x" * 10)
    tree = _tree.Tree(folder)
    with open(folder / "Ann" / "knn.ipynb", "ab") as f:
        f.write(bytes(3 * MIB))
    budget = Budget(Limits(unpacked=2 * MIB))
    target = tmp_path / "out" / "knn.ipynb"
    problem = tree.copy(tree.entries[0], target, budget)
    assert "unpacks to more than 2 MB: unpacking stopped at 'Ann/knn.ipynb'" in problem
    assert budget.stopped
    assert not target.exists()


# ---------------------------------------------------------------- one copy


def test_a_small_zip_with_a_huge_file_leaves_no_copy(tmp_path):
    source = student(tmp_path)
    members = [
        (p.relative_to(source).as_posix(), p.read_bytes())
        for p in sorted(source.rglob("*"))
        if p.is_file()
    ]
    archive = write_zip(tmp_path / "alice.zip", [*members, ("big.bin", GIB)])
    assert archive.stat().st_size < 2 * MIB
    sub, _, present = run_prepare(tmp_path, archive)
    assert present == list(NOTEBOOKS)
    assert any(p.startswith("left out: big.bin (1.0 GiB), compressed") for p in sub.problems)
    written = sum(p.stat().st_size for p in all_files(tmp_path / "out"))
    assert written < 2 * MIB


def test_only_what_grading_needs_is_copied(tmp_path):
    source = student(tmp_path)
    extra = {
        "big.bin": GIB,
        "notes.txt": 10,
        "plots/loss.png": 100,
        "knn_old.ipynb": 50,
        "cs231n_lib/weights.npy": 100,
        "cs231n_lib/classifiers/helpers.py": 20,
        "cs231n_lib/datasets/loader_notes.py": 20,  # the package's datasets/: kept
        "README.md": 30,
        "datasets/cifar-10-batches-py/data_batch_1": GIB,
        "cs231n_lib/huge.py": 2 * MIB,
    }
    for rel, size in extra.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        with open(source / rel, "wb") as f:
            f.truncate(size)  # sparse: nothing written
    sub, dest, present = run_prepare(tmp_path, source)
    assert present == list(NOTEBOOKS)
    kept = set(files_below(dest))
    assert {
        "README.md",
        "cs231n_lib/classifiers/helpers.py",
        "cs231n_lib/datasets/loader_notes.py",
        *fx.PACKAGE_FILES,
    } <= kept
    assert not any(rel.startswith("datasets/") for rel in kept)
    for rel in (
        "big.bin",
        "notes.txt",
        "plots/loss.png",
        "knn_old.ipynb",
        "cs231n_lib/weights.npy",
        "cs231n_lib/huge.py",
    ):
        assert rel not in kept
    text = "\n".join(sub.problems)
    assert "left out: big.bin (1.0 GiB), not part of the assignment" in text
    assert "left out: plots/loss.png (100 bytes), not part of the assignment" in text
    assert (
        "left out: cs231n_lib/huge.py (2.0 MiB), more than the 1 MB a file of the package may be"
    ) in text
    assert "datasets" not in text


@pytest.mark.parametrize(
    ("parts", "skipped"),
    [
        (("datasets", "cifar-10-batches-py", "data_batch_1"), True),
        (("alice", "datasets", "x.py"), True),
        (("cs231n_lib", "datasets", "cifar10.py"), False),
        (("alice", "cs231n_lib", "datasets", "colab.py"), False),
        (("cs231n_lib", "datasets", "__pycache__", "x.pyc"), True),
        (("cs231n_lib", "features", "datasets", "x.py"), True),
    ],
)
def test_only_the_data_folder_named_datasets_is_skipped(parts, skipped):
    assert _tree.is_skipped(parts) is skipped


def test_the_fingerprint_covers_the_package_datasets_folder(tmp_path):
    from grading.course.state import fingerprint

    (tmp_path / "cs231n_lib" / "datasets").mkdir(parents=True)
    (tmp_path / "datasets").mkdir()
    loader = tmp_path / "cs231n_lib" / "datasets" / "cifar10.py"
    loader.write_text("A = 1\n")
    before = fingerprint(tmp_path)
    (tmp_path / "datasets" / "data_batch_1").write_bytes(b"x")  # the data: not graded
    assert fingerprint(tmp_path) == before
    loader.write_text("A = 2\n")  # the student's code: graded
    assert fingerprint(tmp_path) != before


def test_store_attempt_moves_the_staging_copy(tmp_path):
    from grading.course.intake import store_attempt
    from grading.intake.model import Attempt

    staged = fx.make_source(tmp_path / "staging" / "1", "ann")
    records = {"students": {}}
    student_id, new = store_attempt(tmp_path / "course", records, Attempt("ann", "Ann", staged))
    assert (student_id, new) == ("ann", True)
    assert not staged.exists()  # moved: one copy of what the student sent
    stored = tmp_path / "course" / records["students"]["ann"]["attempts"][0]["dir"]
    assert (stored / "knn.ipynb").is_file()


# ---------------------------------------------------------------- links


def test_discover_refuses_links_in_the_class_folder(tmp_path):
    alice = student(tmp_path)
    klass = alice.parent
    (klass / "carol").symlink_to(alice)
    eve = write_zip(klass / "eve.zip", [("knn.ipynb", b"{}")])
    os.link(eve, klass / "dave.zip")
    subs = {s.name: s for s in discover(klass)}
    assert sorted(subs) == ["alice", "carol", "dave", "eve"]
    assert subs["alice"].refused == ""
    carol = subs["carol"]
    assert carol.refused.startswith(f"a symbolic link (to {alice})")
    assert carol.problems == [f"carol is {carol.refused}: not graded"]
    for name in ("dave", "eve"):
        assert "a hard link" in subs[name].refused
    dest = tmp_path / "out" / "carol"
    assert prepare(carol, dest, RELEASE) == []
    assert files_below(dest) == []
    assert carol.problems == [f"carol is {carol.refused}: not graded"]  # said once
    sub, dest, present = run_prepare(tmp_path, carol.path, "carol")  # made elsewhere
    assert present == []
    assert sub.problems == [f"carol is {carol.refused}: nothing graded"]


def test_links_inside_a_submission_folder_are_refused(tmp_path):
    alice, bob = student(tmp_path, "alice"), student(tmp_path, "bob", "bob")
    (alice / "svm.ipynb").unlink()
    (alice / "svm.ipynb").symlink_to(bob / "svm.ipynb")
    knn_py = alice / fx.PACKAGE_FILES[1]
    knn_py.unlink()
    os.link(bob / fx.PACKAGE_FILES[1], knn_py)
    (alice / "cs231n_lib" / "vis").symlink_to(bob / "cs231n_lib")
    sub, dest, present = run_prepare(tmp_path, alice)
    assert "svm" not in present
    text = "\n".join(sub.problems)
    assert "skipped svm.ipynb: a symbolic link, never followed" in text
    assert f"skipped {fx.PACKAGE_FILES[1]}: a hard link" in text
    assert "skipped cs231n_lib/vis: a symbolic link" in text
    assert "'bob" not in (dest / fx.PACKAGE_FILES[1]).read_text()  # the release's copy


def test_links_in_a_students_zip_are_refused(tmp_path):
    archive = write_zip(
        tmp_path / "alice.zip",
        [
            ("knn.ipynb", b"/etc/passwd", 0o120777),
            ("svm.ipynb", notebook_text([code("x = 1", "a")]).encode()),
        ],
    )
    sub, dest, present = run_prepare(tmp_path, archive)
    assert present == ["svm"]
    assert "skipped knn.ipynb: a symbolic link, never followed" in sub.problems
    assert not (dest / "knn.ipynb").exists()


def test_lms_folder_links_are_refused(tmp_path):
    klass = [
        fx.Student("Ann", "Lee", fx.make_source(tmp_path / "a", "ann"), 1, 1),
        fx.Student("Bob", "Ray", fx.make_source(tmp_path / "b", "bob"), 2, 2),
    ]
    folder = fx.folders_download(tmp_path / "class", klass)
    (folder / "Carol Day").symlink_to(folder / "Ann Lee")
    (folder / "Bob Ray" / "knn.ipynb").unlink()
    os.link(folder / "Ann Lee" / "knn.ipynb", folder / "Bob Ray" / "knn.ipynb")
    download = lms.read_download(folder, tmp_path / "staging")
    assert [a.lms_id for a in download.attempts] == ["Ann Lee", "Bob Ray"]
    text = "\n".join(download.problems)
    assert "skipped Carol Day: a symbolic link (to " in text
    assert "skipped Ann Lee/knn.ipynb: a hard link" in text
    assert "skipped Bob Ray/knn.ipynb: a hard link" in text
    for attempt in download.attempts:
        assert "knn.ipynb" not in files_below(attempt.files)


def test_a_file_swapped_for_a_link_after_the_listing_is_refused(tmp_path):
    folder = tmp_path / "class"
    (folder / "Ann").mkdir(parents=True)
    (folder / "Ann" / "knn.ipynb").write_text("{}")
    (tmp_path / "secret").write_text("not yours")
    tree = _tree.Tree(folder)
    (folder / "Ann" / "knn.ipynb").unlink()
    (folder / "Ann" / "knn.ipynb").symlink_to(tmp_path / "secret")
    problem = tree.copy(tree.entries[0], tmp_path / "out" / "knn.ipynb")
    assert problem == "left out: Ann/knn.ipynb (2 bytes), a symbolic link, never followed"
    assert not (tmp_path / "out" / "knn.ipynb").exists()


# ---------------------------------------------------------------- names and text


def test_a_folder_name_that_is_not_utf8_is_graded(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    bad = os.path.join(os.fsencode(klass), b"caf\xe9")
    os.mkdir(bad)
    with open(os.path.join(bad, b"knn.ipynb"), "w") as f:
        f.write(notebook_text([code("x = 1", "a")]))
    (sub,) = discover(klass)
    assert sub.name == "caf\ufffd"
    assert sub.student_id == "caf"
    sub, _, present = run_prepare(tmp_path, sub.path, sub.name)
    assert present == ["knn"]


def test_a_lone_surrogate_in_a_notebook_is_replaced_at_intake(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    text = notebook_text([code("print('caf\udcff')", "a")])
    assert "\\udcff" in text
    (folder / "knn.ipynb").write_text(text)
    sub, dest, present = run_prepare(tmp_path, folder)
    assert present == ["knn"]
    assert any("1 lone surrogate escape(s)" in p and "U+FFFD" in p for p in sub.problems)
    path = dest / "knn.ipynb"
    assert "print('caf\ufffd')" in path.read_text(encoding="utf-8")
    changes = integrity.restore_file(path, RELEASE / "knn.ipynb", path)  # writes it back
    assert changes
    judge.insert_fact_cells(path)


# ---------------------------------------------------------------- notebooks


def _one_notebook(tmp_path, content):
    folder = tmp_path / "alice"
    folder.mkdir(exist_ok=True)
    path = folder / "knn.ipynb"
    if isinstance(content, int):
        with open(path, "wb") as f:
            f.truncate(content)
    else:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return run_prepare(tmp_path, folder)


def test_a_500_mb_notebook_is_refused_before_it_is_copied(tmp_path):
    sub, dest, present = _one_notebook(tmp_path, 500 * MIB)
    assert present == []
    knn = [p for p in sub.problems if "knn.ipynb" in p]
    assert knn == [
        "left out: knn.ipynb (500.0 MiB), more than the 50 MB a notebook may be "
        "(clear its outputs, save it and hand it in again): graded as missing"
    ]
    assert not (dest / "knn.ipynb").exists()


def _nested(levels):
    inner = {}
    for _ in range(levels):
        inner = {"a": inner}
    return inner


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,
        notebook_text([code("x", "a", metadata={"deep": _nested(150)})]),
    ],
    ids=["past-the-parser", "past-the-limit"],
)
def test_deeply_nested_json_is_refused(tmp_path, content):
    sub, _, present = _one_notebook(tmp_path, content)
    assert present == []
    assert (
        "knn.ipynb is not a valid notebook (nested more than 100 levels deep): graded as "
        "missing" in sub.problems
    )


def test_a_notebook_that_is_not_utf8_is_graded(tmp_path):
    raw = notebook_text([code("print('cafX')", "a")]).replace("X", "\u00e9").encode("latin-1")
    sub, dest, present = _one_notebook(tmp_path, raw)
    assert present == ["knn"]
    assert any(
        p.startswith("knn.ipynb is not valid UTF-8 (byte 0xe9 at offset") for p in sub.problems
    ), sub.problems
    nb = nbformat.read(dest / "knn.ipynb", as_version=4)
    assert nb.cells[0].source == "print('caf\ufffd')"


def test_an_nbformat_3_notebook_is_converted(tmp_path):
    v3 = json.dumps(
        {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {"name": ""},
            "worksheets": [
                {
                    "metadata": {},
                    "cells": [
                        {
                            "cell_type": "code",
                            "input": "x = 1",
                            "language": "python",
                            "outputs": [],
                            "metadata": {},
                        }
                    ],
                }
            ],
        }
    )
    sub, dest, present = _one_notebook(tmp_path, v3)
    assert present == ["knn"]
    assert any(p.startswith("knn.ipynb was saved as nbformat 3") for p in sub.problems)
    assert json.loads((dest / "knn.ipynb").read_text())["nbformat"] == 4


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (notebook_text([], nbformat_=5), "Unsupported nbformat version 5"),
        ("[1, 2]", "JSON list, not a notebook"),
        ('{"cells": [', "not JSON"),
    ],
)
def test_other_json_is_refused_with_a_reason(tmp_path, content, why):
    sub, _, present = _one_notebook(tmp_path, content)
    assert present == []
    line = next(p for p in sub.problems if p.startswith("knn.ipynb is not a valid notebook"))
    assert why in line
    assert line.endswith("graded as missing")


def test_missing_repeated_and_invalid_cell_ids_get_new_ones(tmp_path):
    cells = [code("a = 1", "x"), code("b = 2", "x"), code("c = 3"), code("d = 4", "no good!")]
    sub, dest, present = _one_notebook(tmp_path, notebook_text(cells))
    assert present == ["knn"]
    assert (
        "knn.ipynb: 3 cell(s) had a missing, repeated or invalid id: given new ones" in sub.problems
    )
    nb = nbformat.read(dest / "knn.ipynb", as_version=4)
    ids = [c.id for c in nb.cells]
    assert ids[0] == "x"
    assert len(set(ids)) == 4
    nbformat.validate(nb)


def test_nbgrader_metadata_deleted_changed_or_copied(tmp_path):
    nb = nbformat.read(RELEASE / "knn.ipynb", as_version=4)
    by_gid = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    del by_gid["knn-test-two-loops"].metadata["nbgrader"]
    by_gid["knn-test-one-loop"].metadata["nbgrader"]["points"] = 300
    stolen = copy.deepcopy(by_gid["knn-test-no-loops"].metadata["nbgrader"])
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": stolen}))
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade_id": [1]}}))
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": "graded: yes"}))
    folder = tmp_path / "alice"
    folder.mkdir()
    nbformat.write(nb, folder / "knn.ipynb")
    _, dest, present = run_prepare(tmp_path, folder)
    assert present == ["knn"]
    path = dest / "knn.ipynb"
    changes = integrity.restore_file(path, RELEASE / "knn.ipynb", path)
    kinds = {(c.kind, c.grade_id) for c in changes}
    assert ("deleted", "knn-test-two-loops") in kinds
    assert ("metadata", "knn-test-one-loop") in kinds
    assert ("duplicated", "knn-test-no-loops") in kinds
    assert sum(kind == "unknown id" for kind, _ in kinds) == 2
    judge.insert_fact_cells(path)  # every grade_id left is a name
    nbformat.validate(nbformat.read(path, as_version=4))


def test_members_outside_the_zip_and_too_many_files(tmp_path, monkeypatch):
    from grading.intake import unpack

    archive = write_zip(
        tmp_path / "alice.zip",
        [
            ("../../escape.py", b"x"),
            ("/abs.py", b"x"),
            ("C:/win.py", b"x"),
            ("knn.ipynb", notebook_text([code("x", "a")]).encode()),
        ],
    )
    sub, dest, present = run_prepare(tmp_path, archive)
    assert present == ["knn"]
    assert [f for f in files_below(dest) if not f.startswith("cs231n_lib/")] == ["knn.ipynb"]
    assert sum("a path outside the submission" in p for p in sub.problems) == 3
    monkeypatch.setattr(unpack, "MAX_MEMBERS", 3)
    folder = tmp_path / "crowd"
    for i in range(5):
        (folder / f"f{i}.txt").parent.mkdir(exist_ok=True)
        (folder / f"f{i}.txt").write_text("x")
    sub, _, present = run_prepare(tmp_path, folder, "crowd")
    assert present == []
    assert sub.problems == [
        "crowd holds more than the 3 files a submission may have: nothing unpacked"
    ]
