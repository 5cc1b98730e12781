"""The grading tools' parts on small inputs: regions, feedback, intake, the grade table."""

from __future__ import annotations

import json
import zipfile

import pytest

from grading import autograde, feedback, intake
from grading.course import NOTEBOOKS
from grading.regions import RegionError, complete_text, find_regions, region_lines, stub_text

MODULE = '''\
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
'''


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


@pytest.mark.parametrize(("text", "message"), [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
    ("    ### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "indented"),
    ("### BEGIN SOLUTIONS\nx = 1\n", "malformed marker"),
])
def test_malformed_regions_are_errors(text, message):
    with pytest.raises(RegionError, match=message):
        find_regions(text.splitlines())


def _notebook(path, cells):
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def _test_cell(source, outputs=()):
    return {"cell_type": "code", "id": "t", "source": source, "outputs": list(outputs),
            "execution_count": 1, "metadata": {"nbgrader": {
                "grade": True, "solution": False, "locked": True, "grade_id": "t",
                "points": 2, "schema_version": 3}}}


def test_feedback_hides_hidden_tests_and_the_frames_that_quote_them(tmp_path):
    source = ("assert f(1) == 2, 'f(1) should be 2'\n### BEGIN HIDDEN TESTS\n"
              "assert f(41) == 42, 'hidden test: f is wrong'\n### END HIDDEN TESTS")
    frames = [
        "\x1b[0;31mAssertionError\x1b[0m  Traceback (most recent call last)",
        "Cell \x1b[0;32mIn[3], line 3\x1b[0m\n\x1b[0;32m----> 3\x1b[0m "
        "\x1b[38;5;28;01massert\x1b[39;00m f(\x1b[38;5;241m41\x1b[39m) "
        "\x1b[38;5;241m==\x1b[39m 42, 'hidden test: f is wrong'",
        "\x1b[0;31mAssertionError\x1b[0m: hidden test: f is wrong",
    ]
    error = {"output_type": "error", "ename": "AssertionError",
             "evalue": "hidden test: f is wrong", "traceback": frames}
    path = _notebook(tmp_path / "n.ipynb", [_test_cell(source, [error])])
    assert feedback.hide_hidden_tests(path) == 1
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["source"] == "assert f(1) == 2, 'f(1) should be 2'"
    tb = cell["outputs"][0]["traceback"]
    assert tb[0] == frames[0]
    assert tb[2] == frames[2]
    assert tb[1] == feedback.HIDDEN_FRAME
    assert "41" not in json.dumps(cell)


def test_feedback_hides_a_test_cell_whose_markers_are_mangled(tmp_path):
    path = _notebook(tmp_path / "n.ipynb", [_test_cell("### BEGIN HIDDEN TESTS\nassert secret()")])
    feedback.hide_hidden_tests(path)
    assert "secret" not in path.read_text()


@pytest.mark.parametrize(("name", "expected"), [
    ("alice", "alice"),
    ("bob-smith_2", "bob-smith_2"),
    ("Zoë Ångström", "Zoe_Angstrom"),
    ("../etc", "etc"),
    ("a b (late)", "a_b_late"),
    ("...", "student"),
])
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
        ("a b", "a_b-2"), ("a_b", "a_b"), ("carol", "carol")
    ]
    renamed = next(s for s in subs if s.name == "a b")
    assert "not a valid student id" in renamed.problems[0]


def test_discover_keeps_two_submissions_with_the_same_name_apart(tmp_path):
    (tmp_path / "alice").mkdir()
    with zipfile.ZipFile(tmp_path / "alice.zip", "w"):
        pass
    subs = intake.discover(tmp_path)
    assert [(s.path.name, s.student_id) for s in subs] == [
        ("alice", "alice"), ("alice.zip", "alice-2")]
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
    assert "features.ipynb is missing" in text
    assert "missing cs231n_lib/classifiers/softmax.py: graded with the release's" in text
    assert (dest / "cs231n_lib" / "__init__.py").read_text() == "# mine\n"
    assert (dest / "cs231n_lib" / "classifiers" / "softmax.py").is_file()
    assert not (dest / "svm.ipynb").exists()


def test_prepare_survives_a_broken_zip_and_a_stray_file(tmp_path):
    release = _fake_release(tmp_path / "release")
    (tmp_path / "frank.zip").write_bytes(b"PK\x03\x04 not really")
    (tmp_path / "notes.txt").write_text("hello")
    for path, name in ((tmp_path / "frank.zip", "frank"), (tmp_path / "notes.txt", "notes")):
        sub = intake.Submission(name, path, name)
        assert intake.prepare(sub, tmp_path / "out" / name, release) == []
        assert sub.problems


def test_grade_rows_total_pending_and_problems():
    points = {"knn": (16, 6), "svm": (15, 6), "softmax": (12, 4), "features": (4, 2)}
    grade = autograde.Grade("alice", "alice", scores={
        "knn": {"score": 16.0, "max": 22.0, "pending": 6.0},
        "svm": {"score": 7.5, "max": 21.0, "pending": 0.0},
    }, problems=["softmax.ipynb is missing: its points are 0"])
    row = autograde.grade_row(grade, points)
    assert row == {"student_id": "alice", "submission": "alice", "knn": 16, "svm": 7.5,
                   "softmax": 0, "features": 0, "written_pending": 6, "total": 23.5,
                   "max": 65, "problems": "softmax.ipynb is missing: its points are 0"}
    table = autograde.format_table([grade], points)
    assert "alice" in table
    assert "23.5" in table


def test_feedback_keeps_a_visible_failing_line_and_drops_hidden_context(tmp_path):
    source = ("d = f(1)\nassert d == 2, 'f(1) should be 2'\n### BEGIN HIDDEN TESTS\n"
              "assert f(41) == 42, 'hidden test: f is wrong'\n### END HIDDEN TESTS")
    frame = (
        "\x1b[36mCell\x1b[39m\x1b[32mIn[4]\x1b[39m, line 1\n"
        "\x1b[32m----> \x1b[39m\x1b[32m1\x1b[39m d = f(\x1b[32m1\x1b[39m)\n"
        "\x1b[32m      2\x1b[39m \x1b[38;5;28;01massert\x1b[39;00m d == 2, 'f(1) should be 2'\n"
        "\x1b[32m      3\x1b[39m \x1b[38;5;66;03m### BEGIN HIDDEN TESTS\x1b[39;00m\n"
        "\x1b[32m      4\x1b[39m \x1b[38;5;28;01massert\x1b[39;00m f(\x1b[32m41\x1b[39m) == 42, "
        "'hidden test: f is wrong'\n"
    )
    error = {"output_type": "error", "ename": "ValueError", "evalue": "bad input",
             "traceback": [frame]}
    path = _notebook(tmp_path / "n.ipynb", [_test_cell(source, [error])])
    feedback.hide_hidden_tests(path)
    (kept,) = json.loads(path.read_text())["cells"][0]["outputs"][0]["traceback"]
    plain = feedback.ANSI.sub("", kept)
    assert "----> 1 d = f(1)" in plain
    assert "2 assert d == 2" in plain
    assert "HIDDEN" not in plain
    assert "41" not in plain
