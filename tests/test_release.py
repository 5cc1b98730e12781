"""The student release: fresh, free of solutions and hidden tests, and usable as shipped."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from grading import leaks
from grading.coursedir import ASSIGNMENT, NOTEBOOKS, REPO
from grading.regions import region_lines
from grading.release import check_release, requirements

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RELEASE = REPO / ASSIGNMENT


def test_release_is_what_the_sources_generate():
    assert check_release(log=lambda *_: None) == []


def test_leak_check_finds_nothing_in_the_release():
    assert leaks.find_leaks(RELEASE) == []


def test_leak_check_catches_a_package_and_a_notebook_solution_line(tmp_path):
    release = tmp_path / ASSIGNMENT
    shutil.copytree(RELEASE, release)
    solution = region_lines((REPO / "cs231n_lib/classifiers/linear_svm.py").read_text())
    secret = max(solution, key=len).strip()
    with open(release / "cs231n_lib" / "data.py", "a") as f:
        f.write(f"\n# {secret}\n")  # even inside a comment, a longer line
    public = leaks.public_lines()
    answers = [
        line
        for line, origin in leaks.secrets()
        if origin.startswith("knn.ipynb cell knn-answer-") and line not in public
    ]
    nb = json.loads((release / "knn.ipynb").read_text())
    nb["cells"][-1]["source"] = max(answers, key=len)
    (release / "knn.ipynb").write_text(json.dumps(nb))
    found = leaks.find_leaks(release)
    assert {where.split(":")[0].split(" ")[0] for where, _, _ in found} == {
        "cs231n_lib/data.py",
        "knn.ipynb",
    }
    assert any(
        line == secret and origin == "cs231n_lib/classifiers/linear_svm.py"
        for _, line, origin in found
    )


def test_release_has_no_markers_and_its_notebooks_no_outputs():
    for path in RELEASE.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            text = path.read_text()
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN", "END HIDDEN"):
                assert marker not in text, f"{path}: {marker}"
    for name in NOTEBOOKS:
        nb = json.loads((RELEASE / f"{name}.ipynb").read_text())
        for cell in nb["cells"]:
            assert not cell.get("outputs"), f"{name}.ipynb has outputs"


def test_release_package_imports_and_every_stub_names_its_function():
    code = (
        "import numpy as np\n"
        "import cs231n_lib, cs231n_lib.classifiers as c\n"
        f"assert cs231n_lib.__file__.startswith({str(RELEASE)!r}), cs231n_lib.__file__\n"
        "W = np.zeros((4, 3)); X = np.ones((2, 4)); y = np.array([0, 2])\n"
        "for f in (c.svm_loss_naive, c.svm_loss_vectorized, c.softmax_loss_naive,\n"
        "          c.softmax_loss_vectorized):\n"
        "    try:\n"
        "        f(W, X, y, 0.0)\n"
        "    except NotImplementedError as e:\n"
        "        print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=RELEASE, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == [
        f"{name}: write the code for the TODO above, in cs231n_lib/classifiers/{module}.py."
        for name, module in (
            ("svm_loss_naive", "linear_svm"),
            ("svm_loss_vectorized", "linear_svm"),
            ("softmax_loss_naive", "softmax"),
            ("softmax_loss_vectorized", "softmax"),
        )
    ]


def test_release_requirements_are_the_runtime_dependencies():
    with open(REPO / "pyproject.toml", "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    lines = [line for line in requirements().splitlines() if not line.startswith("#")]
    assert lines == deps
    assert (RELEASE / "requirements.txt").read_text() == requirements()


@pytest.mark.parametrize("name", ["get_datasets.sh", "README.md"])
def test_release_ships_the_student_files(name):
    assert (RELEASE / name).is_file()


def test_release_refuses_a_hidden_test_in_a_notebook(tmp_path):
    from grading.release import refuse_hidden_tests

    (tmp_path / "notebooks").mkdir()
    for name in NOTEBOOKS:
        shutil.copyfile(
            REPO / "notebooks" / f"{name}.ipynb", tmp_path / "notebooks" / f"{name}.ipynb"
        )
    refuse_hidden_tests(tmp_path)  # the sources have none
    knn = tmp_path / "notebooks" / "knn.ipynb"
    knn.write_text(
        knn.read_text().replace(
            '"print(\\"compute_distances_two_loops',
            '"### BEGIN HIDDEN TESTS\\n",\n    "assert True\\n",\n    "### END HIDDEN TESTS\\n",\n'
            '    "print(\\"compute_distances_two_loops',
            1,
        )
    )
    with pytest.raises(ValueError, match=r"notebooks/knn\.ipynb .*grading/checks\.py"):
        refuse_hidden_tests(tmp_path)
