"""The source notebooks: structure, the Colab setup cell, and a run in grading mode."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import nbformat
import pytest

from grading.coursedir import NOTEBOOKS, REPO
from grading.release.leaks import notebook_cells
from grading.release.regions import cell_source
from grading.release.samples import all_parts, graded_cells
from grading.run.execute import run_notebook

SOURCES = REPO / "notebooks"
GRADE_ID = re.compile(
    r"^(knn|svm|softmax|two_layer_net|features)-(config|answer|test|written)"
    r"-[a-z0-9-]+$|^(knn|svm|softmax|two_layer_net|features)-config$"
)


def cells(name):
    return notebook_cells(SOURCES / f"{name}.ipynb")


source = cell_source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs(name):
    for cell in cells(name):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{name}.ipynb cell {cell['id']} has outputs"
            assert cell["execution_count"] is None


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_header_states_the_points_of_the_cells(name):
    auto = written = 0
    for cell in cells(name):
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            assert GRADE_ID.match(meta["grade_id"]), meta["grade_id"]
            if cell["cell_type"] == "code":
                auto += meta["points"]
            else:
                written += meta["points"]
    header = source(cells(name)[0])
    expected = f"**Points: {auto + written}** ({auto} autograded, {written} for written answers)"
    assert expected in header, f"{name}.ipynb header should say: {expected}"
    assert auto > 0
    assert written > 0


def test_every_test_cell_says_what_it_requires():
    parts = set(all_parts())
    for nb, grade_id, points, requires in graded_cells():
        assert requires, f"{nb} {grade_id}: no cs231n.requires metadata"
        assert set(requires) <= parts, f"{nb} {grade_id}: unknown parts {set(requires) - parts}"
        assert points > 0


def test_setup_cell_is_the_same_in_every_notebook():
    setups = {name: source(cells(name)[1]) for name in NOTEBOOKS}
    assert len(set(setups.values())) == 1, "the setup cells differ"
    assert "FOLDERNAME = None" in setups["knn"]


FAKE_DRIVE = """
import os
def mount(path):
    with open(os.environ["FAKE_MOUNT_LOG"], "a") as f:
        f.write(path + "\\n")
"""


@pytest.fixture
def colab(tmp_path):
    """A stand-in google.colab package and a Drive holding the assignment folder."""
    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "drive.py").write_text(FAKE_DRIVE)
    folder = tmp_path / "content" / "drive" / "MyDrive" / "cs231n" / "assignment1"
    folder.mkdir(parents=True)
    (folder / "get_datasets.sh").write_text("")  # marks the assignment folder
    # The folder's own cs231n_lib, with a stand-in colab_setup that logs each call.
    (folder / "cs231n_lib" / "datasets").mkdir(parents=True)
    (folder / "cs231n_lib" / "__init__.py").write_text("")
    (folder / "cs231n_lib" / "datasets" / "__init__.py").write_text(
        textwrap.dedent("""\
        def colab_setup():
            with open("setup.log", "a") as f:
                f.write("run\\n")
    """)
    )
    return tmp_path, fake, folder


def run_setup(tmp_path, fake, foldername):
    code = source(cells("knn")[1])
    code = code.replace('"/content/drive"', repr(str(tmp_path / "content" / "drive")))
    code = code.replace("FOLDERNAME = None", f"FOLDERNAME = {foldername!r}")
    code += "\nprint(os.getcwd()); print(sys.path[0])\n"
    env = {
        "PYTHONPATH": str(fake),
        "FAKE_MOUNT_LOG": str(tmp_path / "mounts.log"),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_colab_branch_mounts_changes_folder_and_calls_colab_setup(colab):
    tmp_path, fake, folder = colab
    for _ in range(2):
        result = run_setup(tmp_path, fake, "cs231n/assignment1")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [str(folder), str(folder)]
    assert (tmp_path / "mounts.log").read_text().splitlines() == [
        str(tmp_path / "content" / "drive")
    ] * 2
    # The folder's cs231n_lib, called in the folder on every run (it skips what is done).
    assert (folder / "setup.log").read_text() == "run\n" * 2


def test_colab_branch_without_foldername_says_what_to_do(colab):
    tmp_path, fake, _ = colab
    result = run_setup(tmp_path, fake, None)
    assert result.returncode != 0
    assert "ValueError: Set FOLDERNAME in this cell" in result.stderr


def test_colab_branch_with_a_wrong_folder_says_so(colab):
    tmp_path, fake, _ = colab
    result = run_setup(tmp_path, fake, "cs231n/assignment-one")
    assert result.returncode != 0
    assert "FileNotFoundError" in result.stderr
    assert "cs231n/assignment-one does not hold the assignment" in result.stderr


def test_setup_cell_does_nothing_locally(tmp_path):
    code = source(cells("knn")[1]) + "\nprint(os.getcwd())\n"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == str(tmp_path)


@pytest.mark.cifar
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_cleanly_in_grading_mode(name, cifar_root, tmp_path, monkeypatch):
    # The ungraded extension of features.ipynb is skipped in grading mode unless asked
    # for; ask, so that it is tested (at its small grading-mode sizes).
    monkeypatch.setenv("CS231N_RUN_EXTENSION", "1")
    _, problems = run_notebook(
        SOURCES / f"{name}.ipynb", tmp_path, grading=True, data_dir=cifar_root
    )
    assert problems == []
    if name == "features":
        text = (tmp_path / "features.ipynb").read_text()
        found = re.findall(r"bag of words \+ Softmax, (validation|test) accuracy: ([0-9.]+)", text)
        assert [split for split, _ in found] == ["validation", "test"], found
        # K=100 words learned from 5,000 images: far above HOG + hue's 0.35 bar.
        assert all(float(acc) > 0.4 for _, acc in found), found


# The cells that print WITHHELD_NOTE instead of a test accuracy, in grading mode.
WITHHELD_NOTES = {"knn": 3, "svm": 1, "softmax": 1, "features": 6, "two_layer_net": 1}


@pytest.fixture(scope="module")
def withheld_root(cifar_root, tmp_path_factory):
    """The autograder's copy of CIFAR-10: the test images without their labels."""
    from grading.run.grading_data import grading_dataset

    return grading_dataset(cifar_root, tmp_path_factory.mktemp("grading"))


@pytest.mark.cifar
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_cleanly_with_the_test_labels_withheld(
    name, withheld_root, tmp_path, monkeypatch
):
    from cs231n_lib.datasets import WITHHELD_NOTE

    monkeypatch.setenv("CS231N_RUN_EXTENSION", "1")
    _, problems = run_notebook(
        SOURCES / f"{name}.ipynb", tmp_path, grading=True, data_dir=withheld_root
    )
    assert problems == []
    lines = [
        line
        for cell in notebook_cells(tmp_path / f"{name}.ipynb")
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
        for line in "".join(out["text"]).splitlines()
    ]
    assert sum(WITHHELD_NOTE in line for line in lines) == WITHHELD_NOTES[name], lines
    accuracies = [line for line in lines if re.search(r"(?i)test.*accuracy.*\d", line)]
    assert accuracies == [], "a test accuracy computed on the withheld (-1) labels"


def test_the_runner_is_quiet_but_keeps_the_notebooks_warnings(tmp_path, capfd):
    from grading.run.execute import run_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import warnings\nwarnings.warn('kept for the reader')")]
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    _, problems = run_notebook(tmp_path / "tiny.ipynb", tmp_path / "out")
    assert problems == []
    assert "without encryption" not in capfd.readouterr().err  # ipykernel's start-up warning
    ran = nbformat.read(tmp_path / "out" / "tiny.ipynb", as_version=4)
    assert "kept for the reader" in ran.cells[0].outputs[0].text
