"""Tests of cs231n_lib.submit on a small fake assignment folder (no data needed)."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import cs231n_lib
from cs231n_lib import submit
from cs231n_lib.submit import (
    DEFAULT_ZIP_NAME,
    NOTEBOOKS,
    SubmissionError,
    Todo,
    main,
    make_submission,
)
from grading.release import regions, samples

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "assignment1"
PACKAGE = "cs231n_lib"
# What `python -m cs231n_lib.submit` runs of the package (test_submit_imports_only_its_own_files
# checks the list): a syntax error in these stops it, as in any program.
SUBMIT_FILES = (
    "__init__.py",
    "submit.py",
    "_student_files.py",
    "_notebook_cells.py",
    "_imports.py",
)

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
    "cs231n_lib/datasets/__init__.py",
]


def make_cell(kind, source, **nbgrader):
    """A notebook cell; with keyword arguments, they are its nbgrader metadata."""
    cell = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell |= {"execution_count": None, "outputs": []}
    if nbgrader:
        cell["metadata"]["nbgrader"] = nbgrader
    return cell


def notebook(*cells):
    """A minimal nbformat-4 notebook: each cell a dict, or a (cell_type, source) pair."""
    return {
        "cells": [cell if isinstance(cell, dict) else make_cell(*cell) for cell in cells],
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
    (package / "datasets").mkdir()
    (package / "datasets" / "__init__.py").write_text('"""The loaders: code, zipped."""\n')
    # Left out of the zip: caches, data, checkpoints, and files that are not .py.
    for junk in [
        "__pycache__/x.pyc",
        "cs231n_lib/__pycache__/x.cpython-311.pyc",
        "cs231n_lib/classifiers/__pycache__/stale.py",
        "cs231n_lib/datasets/cifar-10-batches-py/data_batch_1",
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
        Todo(path, "KNearestNeighbor.compute_distances_two_loops", "function", stub_lines[0]),
        Todo(path, "predict_labels", "function", stub_lines[2]),
    ]  # not the commented-out stub, nor the error of the abstract method
    assert [str(todo) for todo in report.todos] == [
        f"function `KNearestNeighbor.compute_distances_two_loops` in {path} (line {stub_lines[0]})",
        f"function `predict_labels` in {path} (line {stub_lines[2]})",
    ]


def test_notebook_cells_still_to_do_are_named_not_numbered(folder):
    answer = "**Your answer:**\n\nYOUR ANSWER HERE"
    stub = "# YOUR CODE HERE\nraise NotImplementedError('Write your code here.')"
    cells = [
        ("markdown", "# kNN\nThe stub raises `raise NotImplementedError(` until you are done."),
        ("markdown", "## Distances\nSome text."),
        ("markdown", "**Inline question 1** (2 points)\n\nWhat makes a row bright?"),
        make_cell("markdown", answer, grade_id="knn-written-bright", solution=True, grade=True),
        ("markdown", "**Question 2.** The older heading, with more text after it."),
        ("code", "x = 1  # a cell between the question and its answer"),
        make_cell("markdown", answer, grade_id="knn-written-l1", solution=True, grade=True),
        ("markdown", "## Choosing k\n\n### Setting `best_k`"),
        make_cell("code", stub, grade_id="knn-answer-best-k", solution=True, grade=False),
        ("code", "y = 2  # raise NotImplementedError( in a comment is done work"),
        make_cell("markdown", answer, grade_id="knn-written-no-number", solution=True, grade=True),
        ("markdown", "**Inline question 3** (2 points)"),
        make_cell(
            "markdown",
            "**Your answer:** 42",
            grade_id="knn-written-done",
            solution=True,
            grade=True,
        ),
    ]
    write_notebook(folder / "knn.ipynb", *cells)
    write_notebook(folder / "svm.ipynb", ("code", stub), ("markdown", "YOUR ANSWER HERE"))
    report = make_submission(folder)
    notebook_todos = [str(todo) for todo in report.todos if todo.kind != "function"]
    assert notebook_todos == [
        "knn.ipynb, Inline question 1",
        "knn.ipynb, Inline question 2",  # found across the code cell above the answer
        "knn.ipynb, code cell “best k” in section “Setting `best_k`”",
        # No question above it before the previous answer: named by its grade_id.
        "knn.ipynb, written answer “no number” in section “Setting `best_k`”",
        "svm.ipynb, code cell above the first heading",
        "svm.ipynb, written answer above the first heading",
    ]
    assert [todo.kind for todo in report.todos if todo.file == "knn.ipynb"] == [
        "written answer",
        "written answer",
        "code",
        "written answer",
    ]
    assert report.problems == []  # work still to do is not a problem
    assert report.ok


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
    for name in SUBMIT_FILES:
        shutil.copyfile(REPO / "cs231n_lib" / name, folder / "cs231n_lib" / name)
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


# kind: (code appended to a file, the line of the error within it, Python's message)
BREAKAGES = {
    "syntax": ("    def f(self:\n", 1, "'(' was never closed"),
    "indentation": (
        "def g():\nreturn 1\n",
        2,
        "expected an indented block after function definition on line",
    ),
    "string": ('x = "not closed\n', 1, "unterminated string literal"),
    "tabs": ("def h():\n\tif 1:\n        return 1\n", 3, "inconsistent use of tabs and spaces"),
    "return": ("return 1\n", 1, "'return' outside function"),  # from compile, not from parse
}


@pytest.mark.parametrize("kind", sorted(BREAKAGES))
def test_file_that_does_not_compile_is_named_with_its_line_and_zipped(folder, capsys, kind):
    code, offset, message = BREAKAGES[kind]
    path = folder / "cs231n_lib" / "classifiers" / "k_nearest_neighbor.py"
    path.write_text(KNN_PY + code)
    line = len(KNN_PY.splitlines()) + offset
    write_notebook(
        folder / "knn.ipynb",
        ("code", "%matplotlib inline\nfrom cs231n_lib.classifiers.k_nearest_neighbor import X"),
        make_cell("code", "assert X", grade_id="knn-test-a", grade=True, solution=False, points=3),
        make_cell("code", "assert X", grade_id="knn-test-b", grade=True, solution=False, points=2),
    )
    assert main(["--folder", str(folder)]) == 1
    out, err = capsys.readouterr()
    name = "cs231n_lib/classifiers/k_nearest_neighbor.py"
    cannot = (
        "— fix this before submitting: Python cannot import the file, so every test that uses "
        "it gets 0."
    )
    assert f"error: {name}, line {line}: {message}" in err, err
    assert cannot in err
    lost = (
        "knn.ipynb imports cs231n_lib.classifiers.k_nearest_neighbor: its tests from there on "
        "get 0 (up to 5 autograded points)."
    )
    assert lost in err
    assert "svm.ipynb" not in err  # it imports nothing of the package
    assert "Traceback" not in out + err
    assert f"Wrote {folder / DEFAULT_ZIP_NAME}" in out
    assert "function `predict_labels`" in out  # the list of work to do is still there
    with zipfile.ZipFile(folder / DEFAULT_ZIP_NAME) as zf:
        assert zf.read(name) == path.read_bytes()  # zipped as it is
    report = make_submission(folder)
    assert [(b.file, b.line) for b in report.broken] == [(name, line)]
    assert not report.ok
    assert report.problems == []


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"x = 1\n\x00\n", "null bytes"), (b"x = '\xff\xfe'\n", "can't decode byte 0xff")],
)
def test_file_with_bytes_python_refuses_is_named(folder, capsys, data, message):
    (folder / "cs231n_lib" / "bad.py").write_bytes(data)
    assert main(["--folder", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "error: cs231n_lib/bad.py" in err
    assert message in err
    assert "Traceback" not in err


def test_release_notebooks_name_every_written_answer_by_its_question():
    for name in NOTEBOOKS:
        cells = json.loads((RELEASE / name).read_text())["cells"]
        answers = [
            cell
            for cell in cells
            if cell["cell_type"] == "markdown"
            and cell["metadata"].get("nbgrader", {}).get("solution")
        ]
        todos = [str(t) for t in submit.notebook_todos(name, cells) if t.kind == "written answer"]
        assert len(todos) == len(answers) > 0, name
        numbers = sorted(int(t.rsplit(" ", 1)[1]) for t in todos)
        assert numbers == list(range(1, len(answers) + 1)), todos
        assert all(t.startswith(f"{name}, Inline question ") for t in todos), todos


def release_copy(dest, complete=()):
    """Write the student release into ``dest``, with the parts in ``complete`` completed.

    The notebooks and other files are assignment1/'s; the package is built from
    cs231n_lib/ as the release command builds it (every solution region stubbed), so
    that it holds this source's files even before the release is generated again.
    ``complete``: package files and notebooks (relative paths) to complete instead, or
    ``"all"``.
    """
    ignore = shutil.ignore_patterns("__pycache__", "datasets", "*.zip", PACKAGE)
    shutil.copytree(RELEASE, dest, ignore=ignore)
    for path in regions.package_files(REPO / PACKAGE):
        name = path.relative_to(REPO).as_posix()
        text = path.read_text()
        done = complete == "all" or name in complete
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        make = regions.complete_text if done else regions.stub_text
        (dest / name).write_text(make(text, name))
    for name in NOTEBOOKS:
        if complete == "all" or name in complete:
            nb = samples.complete_notebook(RELEASE / name, REPO / "notebooks" / name)
            (dest / name).write_text(json.dumps(nb, indent=1) + "\n")
    return dest


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A copy of the student release (see :func:`release_copy`)."""
    return release_copy(tmp_path_factory.mktemp("release") / "assignment1")


def run_submit(folder):
    result = subprocess.run(
        [sys.executable, "-m", "cs231n_lib.submit"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_submit_imports_only_its_own_files(release):
    code = (
        "import json, sys\n"
        "import cs231n_lib.submit\n"
        "assert cs231n_lib.submit.main(['--out', sys.argv[1]]) == 0\n"
        "names = [n for n in sys.modules if n.startswith('cs231n')]\n"
        "print(json.dumps([sys.modules[n].__file__ for n in names]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(release.parent / "x.zip")],
        cwd=release,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout.splitlines()[-1])
    assert sorted(files) == sorted(str(release / "cs231n_lib" / name) for name in SUBMIT_FILES)


# Every .py file of the release's package (the release copies all of cs231n_lib/).
RELEASE_FILES = sorted(
    path.relative_to(REPO).as_posix()
    for path in (REPO / PACKAGE).rglob("*.py")
    if "__pycache__" not in path.parts
    and path.relative_to(REPO / PACKAGE).as_posix() not in SUBMIT_FILES
)


@pytest.mark.parametrize("name", RELEASE_FILES)
def test_a_syntax_error_in_any_release_file_is_reported_and_the_zip_written(release, name):
    path = release / name
    original = path.read_bytes()
    broken = original.rstrip(b"\n") + b"\n\n\ndef broken_by_the_test(:\n    pass\n"
    line = broken.splitlines().index(b"def broken_by_the_test(:") + 1
    path.write_bytes(broken)
    zip_path = release / DEFAULT_ZIP_NAME
    try:
        result = run_submit(release)
        with zipfile.ZipFile(zip_path) as zf:
            assert zf.read(name) == broken
            assert set(NOTEBOOKS) <= set(zf.namelist())
    finally:
        path.write_bytes(original)
        zip_path.unlink(missing_ok=True)
    assert result.returncode == 1
    assert (
        f"error: {name}, line {line}: invalid syntax — fix this before submitting: Python "
        "cannot import the file, so every test that uses it gets 0." in result.stderr
    ), result.stderr
    assert f"Python cannot import {name}." in result.stderr
    assert f"Wrote {zip_path} (" in result.stdout
    assert "Still to do (" in result.stdout


def test_a_broken_module_names_the_notebooks_that_import_it(release):
    path = release / "cs231n_lib" / "cross_validation.py"
    original = path.read_text()
    path.write_text(original.replace("def ", "def :", 1))
    try:
        result = run_submit(release)
    finally:
        path.write_text(original)
        (release / DEFAULT_ZIP_NAME).unlink(missing_ok=True)
    assert result.returncode == 1
    lost = [line.strip() for line in result.stderr.splitlines() if "its tests from there" in line]
    assert [line.split(" ", 1)[0] for line in lost] == list(NOTEBOOKS), result.stderr
    assert "knn.ipynb imports cs231n_lib.cross_validation: its tests" in lost[0]
    # The two-layer net reaches it through the plots: vis.curves imports best_k.
    assert "which imports cs231n_lib.cross_validation" in lost[3], lost[3]


def test_untouched_release_lists_its_stubs_and_exits_0(release):
    result = run_submit(release)
    (release / DEFAULT_ZIP_NAME).unlink()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    todos = result.stdout.splitlines()[1:-1]
    expected = (
        "  function `KNearestNeighbor.compute_distances_two_loops` in "
        "cs231n_lib/classifiers/k_nearest_neighbor.py (line "
    )
    assert any(line.startswith(expected) for line in todos), todos
    assert "  knn.ipynb, Inline question 1" in todos
    assert "  knn.ipynb, code cell “best k” in section “Choosing k”" in todos
    assert not any(re.search(r"\bcell \d", line) for line in todos), todos


def test_importing_the_package_imports_none_of_its_modules():
    code = (
        "import sys, cs231n_lib\n"
        "print(sorted(m for m in sys.modules if m.startswith('cs231n_lib')))\n"
        "print(len(cs231n_lib.__all__), set(cs231n_lib.__all__) <= set(dir(cs231n_lib)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.splitlines() == ["['cs231n_lib']", "28 True"], result.stderr


DATASET_NAMES = (
    "CIFAR10_CLASSES",
    "get_cifar10_data",
    "get_cifar10_images",
    "load_cifar10",
    "load_cifar10_subsample",
)


@pytest.mark.parametrize(
    "name",
    # The dataset names last: their module, cs231n_lib.datasets, is the newest.
    sorted(set(cs231n_lib.__all__) - set(DATASET_NAMES)) + list(DATASET_NAMES),
)
def test_every_public_name_resolves_to_its_module(name):
    value = getattr(cs231n_lib, name)
    assert getattr(value, "__module__", "cs231n_lib.datasets").startswith("cs231n_lib.")
    module = importlib.import_module(cs231n_lib._LAZY[name], "cs231n_lib")
    assert getattr(module, name) is value
    if name in DATASET_NAMES:
        assert module.__name__ == "cs231n_lib.datasets"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'cs231n_lib' has no attribute 'nope'"):
        cs231n_lib.nope  # noqa: B018


def test_a_broken_module_breaks_only_what_uses_it(release):
    path = release / "cs231n_lib" / "cross_validation.py"
    original = path.read_text()
    path.write_text(original + "\ndef broken(:\n")
    code = (
        "import cs231n_lib\n"
        "from cs231n_lib import KNearestNeighbor, rel_error\n"
        "try:\n"
        "    from cs231n_lib import best_k\n"
        "except SyntaxError as exc:\n"
        "    print('SyntaxError', exc.filename.endswith('cross_validation.py'))\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=release, capture_output=True, text=True
        )
    finally:
        path.write_text(original)
    assert result.stdout == "SyntaxError True\n", result.stderr
