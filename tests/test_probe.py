"""Hidden checks on a package in the sandbox: a crash or a hang costs only its cells."""

import os
import shutil
import sys
import time

import pytest

from grading import judge, sandbox
from grading.coursedir import REPO

KNN_CELLS = {"knn-test-two-loops": 3, "knn-test-one-loop": 2, "knn-test-no-loops": 3,
             "knn-test-predict-labels": 3}
TIMEOUT = 8

pytestmark = pytest.mark.skipif(
    sandbox.available() is not None and not os.environ.get("CI"),
    reason=f"no sandbox here: {sandbox.available()}")


def _package(tmp_path, replace=None, append=""):
    """A copy of the instructor's package, with one text replacement in the kNN module."""
    package = tmp_path / "student" / "cs231n_lib"
    shutil.copytree(REPO / "cs231n_lib", package, ignore=shutil.ignore_patterns("__pycache__"))
    knn = package / "classifiers" / "k_nearest_neighbor.py"
    text = knn.read_text()
    if replace:
        old, new = replace
        assert old in text
        text = text.replace(old, new, 1)
    knn.write_text(text + append)
    return package


def _verdicts(tmp_path, package, refs):
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    results = judge.run_probes(package, tmp_path / "probe", tmp_path / "inputs", list(KNN_CELLS),
                               env, hide=[REPO, tmp_path], expose=[sys.prefix, REPO / "grading"],
                               timeout=TIMEOUT)
    verdicts = judge.judge_cells(KNN_CELLS, results, refs, {}, None)
    return verdicts, time.perf_counter() - start


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    from grading.references import build_references

    return build_references(tmp_path_factory.mktemp("refs") / "references", log=lambda *_: None)


def test_the_instructors_package_passes_in_the_sandbox(tmp_path, refs):
    verdicts, _ = _verdicts(tmp_path, _package(tmp_path), refs)
    assert {g: v.passed for g, v in verdicts.items()} == dict.fromkeys(KNN_CELLS, True)


def test_a_check_that_never_returns_costs_only_its_cell(tmp_path, refs):
    package = _package(tmp_path, replace=(
        "def compute_distances_one_loop(self, X):\n",
        "def compute_distances_one_loop(self, X):\n        while True:\n            pass\n"))
    verdicts, seconds = _verdicts(tmp_path, package, refs)
    assert not verdicts["knn-test-one-loop"].passed
    assert "did not finish" in verdicts["knn-test-one-loop"].problems[0]
    assert all(verdicts[g].passed for g in KNN_CELLS if g != "knn-test-one-loop")
    assert seconds < 4 * TIMEOUT + 20  # the watchdog, not the submission's time limit


def test_a_check_that_kills_the_process_costs_only_its_cell(tmp_path, refs):
    package = _package(tmp_path, replace=(
        "def compute_distances_two_loops(self, X):\n",
        "def compute_distances_two_loops(self, X):\n        import os\n        os._exit(3)\n"))
    verdicts, _ = _verdicts(tmp_path, package, refs)
    assert not verdicts["knn-test-two-loops"].passed
    assert all(verdicts[g].passed for g in KNN_CELLS if g != "knn-test-two-loops")


def test_an_import_that_hangs_fails_every_cell_once(tmp_path, refs):
    package = _package(tmp_path, append="\nwhile True:\n    pass\n")
    verdicts, seconds = _verdicts(tmp_path, package, refs)
    assert not any(v.passed for v in verdicts.values())
    assert seconds < 2 * TIMEOUT + 15  # no retry per cell


def test_a_probe_that_links_its_outputs_to_the_references_gets_nothing(tmp_path, refs):
    swap = (f"\nimport os as _os\nimport shutil as _shutil\n_shutil.rmtree('out', True)\n"
            f"_os.symlink({str(refs)!r}, 'out')\n")
    verdicts, _ = _verdicts(tmp_path, _package(tmp_path, append=swap), refs)
    assert not any(v.passed for v in verdicts.values())
