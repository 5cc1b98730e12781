"""Tests of cs231n_lib.submit on a small fake assignment folder (no data needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cs231n_lib import submit
from cs231n_lib.submit import (
    DEFAULT_ZIP_NAME,
    NOTEBOOKS,
    SubmissionError,
    Todo,
    main,
    make_submission,
)

REPO = Path(__file__).resolve().parent.parent

# The release's stub message (long lines, as the release writes them) ends with TODO_TAIL.
TODO_TAIL = "write the code for the TODO above, in cs231n_lib/classifiers/k_nearest_neighbor.py."
KNN_PY = '''\
"""A fake student module."""


class KNearestNeighbor:
    def compute_distances_two_loops(self, X):
        # TODO: compute the distances.
        raise NotImplementedError(
            "KNearestNeighbor.compute_distances_two_loops: {todo}"
        )

    def compute_distances_no_loops(self, X):
        # raise NotImplementedError(
        #     "KNearestNeighbor.compute_distances_no_loops: {todo}"
        # )
        return X @ X.T

    def loss(self, X):
        raise NotImplementedError(
            "KNearestNeighbor is abstract: use a subclass that defines loss()."
        )


def predict_labels(dists, k=1):
    # TODO: vote.
    raise NotImplementedError(
        "predict_labels: {todo}"
    )
'''.replace("{todo}", TODO_TAIL)

EXPECTED_FILES = [
    "knn.ipynb",
    "svm.ipynb",
    "softmax.ipynb",
    "two_layer_net.ipynb",
    "features.ipynb",
    "cs231n_lib/__init__.py",
    "cs231n_lib/classifiers/__init__.py",
    "cs231n_lib/classifiers/k_nearest_neighbor.py",
]


def notebook(*cells):
    """A minimal nbformat-4 notebook holding ``cells``, each a (cell_type, source) pair."""
    return {
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": source}
            | ({"execution_count": None, "outputs": []} if kind == "code" else {})
            for kind, source in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_notebook(path, *cells):
    path.write_text(json.dumps(notebook(*cells), indent=1))


@pytest.fixture
def folder(tmp_path):
    """A finished assignment folder, except for two stubs in k_nearest_neighbor.py."""
    folder = tmp_path / "assignment1"
    folder.mkdir()
    for name in NOTEBOOKS:
        write_notebook(
            folder / name,
            ("markdown", ["# Title\n", "Answer: 42."]),
            ("code", "x = 1\n# raise NotImplementedError('done, left as a comment')\n"),
        )
    package = folder / "cs231n_lib"
    (package / "classifiers").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Fake package."""\n')
    (package / "classifiers" / "__init__.py").write_text("")
    (package / "classifiers" / "k_nearest_neighbor.py").write_text(KNN_PY)
    # Left out of the zip: caches, data, checkpoints, and files that are not .py.
    for junk in [
        "__pycache__/x.pyc",
        "cs231n_lib/__pycache__/x.cpython-311.pyc",
        "cs231n_lib/classifiers/__pycache__/stale.py",
        "cs231n_lib/datasets/loader.py",
        "cs231n_lib/.ipynb_checkpoints/notes-checkpoint.py",
        "cs231n_lib/notes.txt",
        "datasets/cifar-10-batches-py/data_batch_1",
        ".ipynb_checkpoints/knn-checkpoint.ipynb",
        "extra.py",
    ]:
        (folder / junk).parent.mkdir(parents=True, exist_ok=True)
        (folder / junk).write_bytes(b"junk")
    return folder


def zip_names(path):
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return zf.namelist()


def test_zip_holds_the_notebooks_and_the_package_only(folder):
    report = make_submission(folder)
    assert report.path == folder / DEFAULT_ZIP_NAME
    assert zip_names(report.path) == EXPECTED_FILES
    assert report.files == EXPECTED_FILES
    assert report.size == report.path.stat().st_size
    assert report.problems == []
    assert report.ok
    with zipfile.ZipFile(report.path) as zf:
        assert zf.read("cs231n_lib/classifiers/k_nearest_neighbor.py").decode() == KNN_PY
        assert zf.read("svm.ipynb") == (folder / "svm.ipynb").read_bytes()
    leftovers = [p.name for p in folder.iterdir() if ".partial-" in p.name]
    assert leftovers == []


def test_todos_name_the_function_file_and_line(folder):
    report = make_submission(folder, folder / "out.zip")
    path = "cs231n_lib/classifiers/k_nearest_neighbor.py"
    lines = KNN_PY.splitlines()
    stub_lines = [
        i + 1 for i, line in enumerate(lines) if line.strip() == "raise NotImplementedError("
    ]
    assert report.todos == [
        Todo(path, line=stub_lines[0], name="KNearestNeighbor.compute_distances_two_loops"),
        Todo(path, line=stub_lines[2], name="predict_labels"),
    ]  # not the commented-out stub, nor the error of the abstract method
    expected = f"{path}:{stub_lines[0]} KNearestNeighbor.compute_distances_two_loops"
    assert str(report.todos[0]) == expected


def test_notebook_cells_still_to_do_are_listed(folder):
    write_notebook(
        folder / "knn.ipynb",
        ("markdown", "# kNN\nThe stub raises `raise NotImplementedError(` until you are done."),
        ("code", ["# YOUR CODE HERE\n", "raise NotImplementedError('Write your code here.')"]),
        ("code", "y = 2  # raise NotImplementedError( in a comment is done work"),
    )
    write_notebook(
        folder / "svm.ipynb",
        ("code", "print('hi')"),
        ("markdown", "**Your answer:** YOUR ANSWER HERE"),
    )
    report = make_submission(folder)
    notebook_todos = [todo for todo in report.todos if todo.cell is not None]
    assert notebook_todos == [
        Todo("knn.ipynb", cell=2, name="code"),
        Todo("svm.ipynb", cell=2, name="written answer"),
    ]
    assert [str(todo) for todo in notebook_todos] == [
        "knn.ipynb: cell 2 (code)",
        "svm.ipynb: cell 2 (written answer)",
    ]
    assert report.problems == []  # work still to do is not a problem


def test_missing_notebook_is_a_problem_and_the_rest_is_zipped(folder, capsys):
    (folder / "svm.ipynb").unlink()
    out = folder / "sub.zip"
    assert main(["--folder", str(folder), "--out", str(out)]) == 1
    assert zip_names(out) == [name for name in EXPECTED_FILES if name != "svm.ipynb"]
    captured = capsys.readouterr()
    assert "svm.ipynb is missing" in captured.err
    assert "restore it from the release" in captured.err
    assert "holds only what is there" in captured.err
    assert f"Wrote {out}" in captured.out
    report = make_submission(folder, out)
    assert len(report.problems) == 1
    assert report.problems[0].startswith("svm.ipynb is missing")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"cells": [\n  {"cell_type": "code",\n', None),  # truncated: the JSON error
        ('{"cells": []}}', None),
        ("", "svm.ipynb is not valid JSON (the file is empty)"),
        ("[1, 2]", 'svm.ipynb is not a notebook: expected a JSON object with a "cells" list'),
        ('{"metadata": {}}', "got an object without one"),
        ('{"cells": "oops"}', "svm.ipynb is not a notebook"),
    ],
)
def test_unreadable_notebook_is_a_problem_naming_file_and_error(folder, capsys, text, expected):
    (folder / "svm.ipynb").write_text(text)
    if expected is None:
        with pytest.raises(json.JSONDecodeError) as info:
            json.loads(text)
        exc = info.value
        expected = f"svm.ipynb is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"
    report = make_submission(folder)
    assert len(report.problems) == 1, report.problems
    assert expected in report.problems[0]
    assert "restore it from the release" in report.problems[0]
    assert "svm.ipynb" in zip_names(report.path)  # what is there is kept
    assert main(["--folder", str(folder)]) == 1
    assert expected in capsys.readouterr().err


def test_invalid_notebook_points_to_its_checkpoint(folder):
    (folder / "knn.ipynb").write_text("{")
    (folder / ".ipynb_checkpoints" / "knn-checkpoint.ipynb").write_text("{}")
    (problem,) = make_submission(folder).problems
    assert ".ipynb_checkpoints/knn-checkpoint.ipynb" in problem


def test_non_utf8_notebook_is_a_problem(folder):
    (folder / "softmax.ipynb").write_bytes(b'{"cells": ["\xff"]}')
    (problem,) = make_submission(folder).problems
    assert problem.startswith("softmax.ipynb is not UTF-8 text")


def test_missing_package_is_a_problem(folder, capsys):
    shutil.rmtree(folder / "cs231n_lib")
    assert main(["--folder", str(folder)]) == 1
    assert zip_names(folder / DEFAULT_ZIP_NAME) == list(NOTEBOOKS)
    assert "cs231n_lib/ is missing" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["empty", "absent", "file"])
def test_folder_without_assignment_is_an_error_and_writes_nothing(tmp_path, capsys, kind):
    target = tmp_path / "somewhere"
    if kind == "empty":
        target.mkdir()
        (target / "notes.txt").write_text("not an assignment")
    elif kind == "file":
        target.write_text("")
    assert main(["--folder", str(target), "--out", str(tmp_path / "sub.zip")]) == 2
    err = capsys.readouterr().err
    assert str(target) in err
    assert "--folder" in err
    assert "assignment folder" in err
    assert not (tmp_path / "sub.zip").exists()
    if kind == "empty":
        assert [p.name for p in target.iterdir()] == ["notes.txt"]
        with pytest.raises(SubmissionError, match="found neither cs231n_lib/ nor any of"):
            make_submission(target)


def test_out_that_is_a_folder_or_unwritable_is_an_error(folder, tmp_path, capsys):
    assert main(["--folder", str(folder), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["--folder", str(folder), "--out", str(tmp_path / "no" / "such" / "x.zip")]) == 2
    assert "--out FILE" in capsys.readouterr().err
    assert not (folder / DEFAULT_ZIP_NAME).exists()


def test_failed_write_keeps_the_old_zip_and_leaves_no_partial_file(folder, monkeypatch):
    out = make_submission(folder).path
    before = out.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail)
    with pytest.raises(SubmissionError, match="No space left on device"):
        make_submission(folder)
    assert out.read_bytes() == before
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == [".ipynb_checkpoints"]


def test_existing_zip_is_replaced(folder):
    out = folder / DEFAULT_ZIP_NAME
    out.write_bytes(b"an old, broken zip")
    make_submission(folder)
    assert zip_names(out) == EXPECTED_FILES


def test_command_line_writes_the_zip_and_prints_its_path(folder, tmp_path):
    out = tmp_path / "handin.zip"
    result = subprocess.run(
        [sys.executable, "-m", "cs231n_lib.submit", "--folder", str(folder), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out} (" in result.stdout
    assert f"{len(EXPECTED_FILES)} files)" in result.stdout
    assert "KNearestNeighbor.compute_distances_two_loops" in result.stdout
    assert zip_names(out) == EXPECTED_FILES


def test_command_line_defaults_to_the_folder_of_the_package(folder):
    """Run from the assignment folder, the student's own cs231n_lib/submit.py is used."""
    shutil.copyfile(REPO / "cs231n_lib" / "submit.py", folder / "cs231n_lib" / "submit.py")
    result = subprocess.run(
        [sys.executable, "-m", "cs231n_lib.submit"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = folder / DEFAULT_ZIP_NAME
    assert f"Wrote {out} (" in result.stdout
    assert "cs231n_lib/submit.py" in zip_names(out)


def test_default_folder_without_notebooks_is_an_error(tmp_path, monkeypatch, capsys):
    """Installed in site-packages, the package's folder is not an assignment folder."""
    package = tmp_path / "site-packages" / "cs231n_lib"
    package.mkdir(parents=True)
    monkeypatch.setattr(submit, "__file__", str(package / "submit.py"))
    assert main([]) == 2
    err = capsys.readouterr().err
    assert str(package.parent) in err
    assert "--folder" in err
    assert list(package.parent.iterdir()) == [package]


def test_help_describes_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "nothing was written" in capsys.readouterr().out
