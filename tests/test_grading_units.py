"""The grading tools' parts on small inputs: regions, feedback, intake, the grade table."""

from __future__ import annotations

import json
import zipfile

import pytest

from grading import intake
from grading.coursedir import NOTEBOOKS, REPO
from grading.release.regions import (
    RegionError,
    complete_text,
    find_regions,
    region_lines,
    stub_text,
)
from grading.run import autograde, feedback

MODULE = """\
import numpy as np


class Model:
    def fit(self, X):
        # TODO: store the mean of X.
        ### BEGIN SOLUTION
        self.mean = X.mean(axis=0)
        ### END SOLUTION
        return self


def loss(x):
    total = 0.0
    for v in x:
        # TODO: add v squared.
        ### BEGIN SOLUTION
        total += v * v
        ### END SOLUTION
    return total
"""


def test_stub_names_the_function_and_file_and_compiles():
    stubbed = stub_text(MODULE, "pkg/model.py")
    assert "### BEGIN SOLUTION" not in stubbed
    assert "self.mean = X.mean(axis=0)" not in stubbed
    assert "total += v * v" not in stubbed
    assert '"Model.fit: write the code for the TODO above, in pkg/model.py."' in stubbed
    assert '"loss: write the code for the TODO above, in pkg/model.py."' in stubbed
    namespace = {}
    exec(compile(stubbed, "model.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r"Model\.fit: write the code"):
        namespace["Model"]().fit(None)
    with pytest.raises(NotImplementedError, match=r"^loss: write the code"):
        namespace["loss"]([1.0])


def test_complete_keeps_the_code_and_drops_the_markers():
    completed = complete_text(MODULE)
    assert "SOLUTION" not in completed
    namespace = {}
    exec(compile(completed, "model.py", "exec"), namespace)
    assert namespace["loss"]([1.0, 2.0]) == 5.0
    assert region_lines(MODULE) == ["        self.mean = X.mean(axis=0)", "        total += v * v"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
        ("    ### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "indented"),
        ("### BEGIN SOLUTIONS\nx = 1\n", "malformed marker"),
    ],
)
def test_malformed_regions_are_errors(text, message):
    with pytest.raises(RegionError, match=message):
        find_regions(text.splitlines())


def _notebook(path, cells):
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def _test_cell(source, outputs=()):
    return {
        "cell_type": "code",
        "id": "t",
        "source": source,
        "outputs": list(outputs),
        "execution_count": 1,
        "metadata": {
            "nbgrader": {
                "grade": True,
                "solution": False,
                "locked": True,
                "grade_id": "t",
                "points": 2,
                "schema_version": 3,
            }
        },
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alice", "alice"),
        ("bob-smith_2", "bob-smith_2"),
        ("Zoë Ångström", "Zoe_Angstrom"),
        ("../etc", "etc"),
        ("a b (late)", "a_b_late"),
        ("...", "student"),
    ],
)
def test_student_ids_are_made_valid(name, expected):
    assert intake.student_id_for(name) == expected
    assert intake.VALID_ID.match(expected)


def test_discover_gives_unique_ids_and_says_why_it_renamed(tmp_path):
    for name in ("a b", "a_b", ".hidden"):
        (tmp_path / name).mkdir()
    with zipfile.ZipFile(tmp_path / "carol.zip", "w"):
        pass
    subs = intake.discover(tmp_path)
    # The valid name keeps its id; the invalid one is renamed around it.
    assert [(s.name, s.student_id) for s in subs] == [
        ("a b", "a_b-2"),
        ("a_b", "a_b"),
        ("carol", "carol"),
    ]
    renamed = next(s for s in subs if s.name == "a b")
    assert "not a valid student id" in renamed.problems[0]


def test_discover_keeps_two_submissions_with_the_same_name_apart(tmp_path):
    (tmp_path / "alice").mkdir()
    with zipfile.ZipFile(tmp_path / "alice.zip", "w"):
        pass
    subs = intake.discover(tmp_path)
    assert [(s.path.name, s.student_id) for s in subs] == [
        ("alice", "alice"),
        ("alice.zip", "alice-2"),
    ]
    assert subs[0].problems == []
    assert subs[1].problems == [
        "another submission is also named 'alice' (alice.zip is a second one): graded as 'alice-2'"
    ]


def _fake_release(root):
    pkg = root / "cs231n_lib"
    (pkg / "classifiers").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "classifiers" / "softmax.py").write_text("def f():\n    raise NotImplementedError\n")
    for nb in NOTEBOOKS:
        _notebook(root / f"{nb}.ipynb", [])
    return root


def test_prepare_unwraps_a_zip_with_an_extra_folder_level(tmp_path):
    release = _fake_release(tmp_path / "release")
    archive = tmp_path / "dave.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in release.rglob("*"):
            if path.is_file():
                z.write(path, "assignment1/" + path.relative_to(release).as_posix())
        z.writestr("assignment1/datasets/cifar-10-batches-py/data_batch_1", b"x" * 10)
        z.writestr("../escape.txt", b"no")
    sub = intake.Submission("dave", archive, "dave")
    present = intake.prepare(sub, tmp_path / "out" / "assignment1", release)
    assert present == list(NOTEBOOKS)
    out = tmp_path / "out" / "assignment1"
    assert (out / "cs231n_lib" / "classifiers" / "softmax.py").is_file()
    assert not (out / "datasets").exists()
    assert not (tmp_path / "escape.txt").exists()
    assert any("one folder level too deep" in p for p in sub.problems)
    assert any("outside the submission" in p for p in sub.problems)


def test_prepare_reports_invalid_and_missing_notebooks_and_fills_missing_files(tmp_path):
    release = _fake_release(tmp_path / "release")
    folder = tmp_path / "erin"
    folder.mkdir()
    _notebook(folder / "knn.ipynb", [])
    (folder / "svm.ipynb").write_text('{"cells": [')
    (folder / "cs231n_lib").mkdir()
    (folder / "cs231n_lib" / "__init__.py").write_text("# mine\n")
    sub = intake.Submission("erin", folder, "erin")
    dest = tmp_path / "out"
    assert intake.prepare(sub, dest, release) == ["knn"]
    text = "\n".join(sub.problems)
    assert "svm.ipynb is not a valid notebook" in text
    assert "softmax.ipynb is missing" in text
    assert "two_layer_net.ipynb is missing" in text
    assert "features.ipynb is missing" in text
    assert "missing cs231n_lib/classifiers/softmax.py: graded with the release's" in text
    assert (dest / "cs231n_lib" / "__init__.py").read_text() == "# mine\n"
    assert (dest / "cs231n_lib" / "classifiers" / "softmax.py").is_file()
    assert not (dest / "svm.ipynb").exists()


def test_prepare_survives_a_broken_zip_and_a_stray_file(tmp_path):
    release = _fake_release(tmp_path / "release")
    (tmp_path / "frank.zip").write_bytes(b"PK\x03\x04 not really")
    (tmp_path / "notes.txt").write_text("hello")
    says = {
        "frank": "frank.zip is not a readable zip file",
        "notes": "notes.txt is neither a folder nor a .zip file: nothing graded",
    }
    for path, name in ((tmp_path / "frank.zip", "frank"), (tmp_path / "notes.txt", "notes")):
        sub = intake.Submission(name, path, name)
        assert intake.prepare(sub, tmp_path / "out" / name, release) == []
        assert sub.problems
        assert len(sub.problems) == 1, sub.problems
        assert sub.problems[0].startswith(says[name]), sub.problems


def test_grade_rows_total_pending_and_problems():
    points = {
        "knn": (16, 6),
        "svm": (15, 6),
        "softmax": (12, 4),
        "two_layer_net": (20, 4),
        "features": (4, 2),
    }
    grade = autograde.Grade(
        "alice",
        "alice",
        scores={
            "knn": {"score": 16.0, "max": 22.0, "pending": 6.0},
            "svm": {"score": 7.5, "max": 21.0, "pending": 0.0},
        },
        problems=["softmax.ipynb is missing: its points are 0"],
    )
    row = autograde.grade_row(grade, points)
    assert row == {
        "student_id": "alice",
        "submission": "alice",
        "knn": 16,
        "svm": 7.5,
        "softmax": 0,
        "two_layer_net": 0,
        "features": 0,
        "written_pending": 6,
        "total": 23.5,
        "max": 89,
        "restored_cells": "",
        "problems": "softmax.ipynb is missing: its points are 0",
    }
    table = autograde.format_table([grade], points)
    assert "alice" in table
    assert "23.5" in table


def test_public_notebook_drops_grader_cells_and_adds_each_verdict(tmp_path):
    from grading.run.judge import Verdict

    fact_cell = {
        "cell_type": "code",
        "id": "f",
        "source": "record()",
        "outputs": [],
        "execution_count": 1,
        "metadata": {"cs231n": {"grader": "facts"}},
    }
    path = _notebook(tmp_path / "n.ipynb", [fact_cell, _test_cell("assert True")])
    failed = Verdict("t", 2, passed=False, problems=["predict on images: differs by 3 <b>"])
    assert feedback.public_notebook(path, {"t": failed}) == 1
    cells = json.loads(path.read_text())["cells"]
    assert [c["id"] for c in cells] == ["t", "verdict-t"]
    note = "".join(cells[1]["source"])
    assert note.startswith("**Grader: 0 / 2 points.** What failed:")
    assert "differs by 3 &lt;b&gt;" in note
    passed = Verdict("t", 2)
    feedback.public_notebook(path, {"t": passed})
    cells = json.loads(path.read_text())["cells"]
    assert [c["id"] for c in cells] == ["t", "verdict-t"]  # the old verdict is not kept twice


def _zip_with(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return path


def test_a_zip_bomb_is_stopped_and_said(tmp_path, monkeypatch):
    from grading.intake import unpack

    # 40 MB of zeros compress about 1000 times: skipped before a byte is written.
    bomb = _zip_with(tmp_path / "bomb.zip", [("knn.ipynb", b"{}"), ("big.bin", bytes(40 << 20))])
    sub = intake.Submission("bomb", bomb, "bomb")
    intake.prepare(sub, tmp_path / "out" / "bomb", REPO / "assignment1")
    assert any("compressed" in p and "zip bomb" in p for p in sub.problems), sub.problems
    assert not (tmp_path / "out" / "bomb" / "big.bin").exists()
    # Stored (uncompressed) files count against the total as they are written.
    monkeypatch.setattr(unpack, "MAX_UNPACKED", 3 << 20)
    many = _zip_with(
        tmp_path / "many.zip", [(f"f{i}.bin", bytes(1 << 20)) for i in range(5)], zipfile.ZIP_STORED
    )
    sub = intake.Submission("many", many, "many")
    intake.prepare(sub, tmp_path / "out" / "many", REPO / "assignment1")
    assert any("unpacks to more than 3 MB" in p for p in sub.problems), sub.problems


def test_too_many_files_or_folders_are_refused(tmp_path, monkeypatch):
    from grading.intake import unpack

    monkeypatch.setattr(unpack, "MAX_MEMBERS", 10)
    crowd = _zip_with(tmp_path / "crowd.zip", [(f"f{i}.txt", b"x") for i in range(11)])
    sub = intake.Submission("crowd", crowd, "crowd")
    assert intake.prepare(sub, tmp_path / "out" / "crowd", REPO / "assignment1") == []
    assert any("holds 11 files, more than the 10" in p for p in sub.problems), sub.problems
    deep = _zip_with(tmp_path / "deep.zip", [("/".join(["d"] * 20) + "/knn.ipynb", b"{}")])
    sub = intake.Submission("deep", deep, "deep")
    intake.prepare(sub, tmp_path / "out" / "deep", REPO / "assignment1")
    assert any("more than 12 folders deep" in p for p in sub.problems), sub.problems
