"""Gradescope's autograder: the zip, its scripts, results.json, and the same scores.

The end-to-end tests lay out an ``/autograder`` tree in a temporary folder, as
Gradescope does (the zip unpacked into ``source/``, ``run_autograder`` copied beside
it, ``submission/``, ``submission_metadata.json``), run the real ``setup.sh`` once
(with ``CS231N_PYTHON``: this interpreter, and the session's CIFAR-10) and the real
``run_autograder`` on each of the demo's samples: the scores must be the nbgrader
path's (``graded_samples``) and the samples' expected points, exactly. The results
writer's own tests use made-up grades.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grading import isolation
from grading.coursedir import NOTEBOOKS, REPO
from grading.gradescope import Layout, Settings, build_zip, check_results, not_graded
from grading.gradescope.cells import GradedCell, NotebookView
from grading.gradescope.results import clean_text, results_for
from grading.gradescope.submission import STUDENT, stage
from grading.release.samples import make_samples
from grading.run.autograde import Grade

SETUP_TIMEOUT = 600
RUN_TIMEOUT = 900
METADATA = {
    "id": 123456789,
    "created_at": "2026-10-14T21:58:05.746365-07:00",
    "assignment": {
        "due_date": "2026-10-15T23:59:00.000000-07:00",
        "group_size": None,
        "group_submission": False,
        "id": 25828,
        "course_id": 1,
        "late_due_date": None,
        "release_date": "2026-10-01T00:00:00.000000-07:00",
        "title": "Assignment 1",
        "total_points": "100.0",
    },
    "submission_method": "upload",
    "users": [{"email": "zoe@example.edu", "id": 1, "name": "Zoë O'Brien"}],
    "previous_submissions": [],
}


# ----------------------------------------------------------------------------- results.json


def _cells():
    return [
        GradedCell("knn", "knn-test-a", 3.0, False, "Distances", "1.1"),
        GradedCell("knn", "knn-written-a", 2.0, True, "Distances", "1.2"),
        GradedCell("knn", "knn-test-b", 2.0, False, "Choosing k", "1.3"),
        GradedCell("svm", "svm-test-a", 4.0, False, "The loss", "2.1"),
    ]


def _grade():
    return Grade(
        "submission",
        "submission",
        scores={"knn": {"score": 3.0, "max": 7.0, "pending": 2.0}},
        cells={"knn": {"knn-test-a": 3.0, "knn-test-b": 0.0}},
        failed={"knn-test-b": ["best_k: differs from the expected value by up to 2"]},
        problems=["svm.ipynb is missing: \x1b[31mgraded as 0\x1b[0m"],
        restored=["knn: knn-test-a: source edited (restored)"],
    )


def _views():
    view = NotebookView({"knn-test-a": "", "knn-test-b": "AssertionError: best_k"}, {})
    view.answered["knn-written-a"] = True
    return {"knn": view}


@pytest.mark.parametrize("details", ["after_due_date", "after_published", "visible"])
def test_results_from_a_grade(details):
    data = results_for(_grade(), _cells(), _views(), Settings(details=details), 12.3)
    assert check_results(data) == []
    assert data["score"] == 3
    assert data["execution_time"] == 12
    scored = [t for t in data["tests"] if "score" in t]
    assert [t["score"] for t in scored] == [3, 0, 0]
    assert [t["max_score"] for t in scored] == [3, 2, 4]
    assert all(t["visibility"] == "visible" for t in scored)
    failed = scored[1]["output"]
    assert "AssertionError: best_k" in failed  # the visible test's error, at once
    found = "differs from the expected value"
    assert (found in failed) == (details == "visible")
    held = [t for t in data["tests"] if t["name"].startswith("What the grader")]
    if details == "visible":
        assert held == []
    else:  # one entry, held back, with every failed cell's findings
        assert [t["visibility"] for t in held] == [details]
        assert found in held[0]["output"]
    assert "svm.ipynb was not graded" in scored[2]["output"]
    written = [t for t in data["tests"] if "written answer" in t["name"]]
    assert len(written) == 1
    assert "score" not in written[0]
    assert "max_score" not in written[0]
    assert written[0]["status"] == "passed"
    assert "graded by hand" in written[0]["output"]
    first = data["tests"][0]
    assert first["status"] == "failed"
    assert "\x1b" not in json.dumps(data)  # the student's escapes are gone
    assert "svm.ipynb is missing" in first["output"]
    assert "knn-test-a: source edited (restored)" in first["output"]
    summary = data["output"]  # the top level sums the problems up
    assert summary.startswith("Autograded: 3 / 9 points.")
    assert "Not graded (0 points): svm.ipynb" in summary
    assert "svm.ipynb is missing" in summary
    assert "1 change(s) to test or read-only cells were undone" in summary


def test_student_text_is_cleaned_and_cut():
    text = "a\x1b[2Jb\x00c\u202ed" + "x" * 10_000
    cleaned = clean_text(text, 100)
    assert cleaned.startswith("ab c d")
    assert len(cleaned) <= 100
    assert cleaned.endswith("(cut)")
    grade = _grade()
    grade.problems = [f"left out: {'y' * 5000}.bin"] * 200
    data = results_for(grade, _cells(), _views(), Settings(), 1)
    assert len(data["tests"][0]["output"]) <= 8000
    assert "- ... and 185 more" in data["tests"][0]["output"]  # the first 15, and a count
    assert "source edited (restored)" in data["tests"][0]["output"]


def test_not_graded_says_so():
    data = not_graded("The sandbox could not start.", "user namespaces are disabled", 3.4)
    assert check_results(data) == []
    assert data["score"] == 0
    assert data["output"].startswith("NOT GRADED")
    assert "not of your submission" in data["output"]
    visibility = {t["name"]: t["visibility"] for t in data["tests"]}
    assert visibility["NOT GRADED"] == "visible"
    # the instructor's reason: hidden (which also hides the placeholder total)
    assert "hidden" in visibility.values()
    assert data["extra_data"]["not_graded"] is True


@pytest.mark.parametrize(
    ("data", "wrong"),
    [
        ([], "JSON object"),
        ({"tests": []}, "top-level score"),
        ({"score": float("nan")}, "top-level score"),
        ({"score": 1, "tests": [{"name": "a", "score": 1}]}, "without a max_score"),
        ({"score": 1, "tests": [{"name": "a"}]}, "neither a score nor a status"),
        ({"score": 1, "tests": [{"name": "a", "status": "ok"}]}, "is not passed or failed"),
        ({"score": 1, "tests": [{"name": "a", "status": "passed", "visibility": "no"}]}, "vis"),
        ({"score": 1, "tests": [{"score": 1, "max_score": 1}]}, "has no name"),
        ({"score": 1, "output_format": "pdf"}, "output_format"),
    ],
)
def test_check_results_finds_what_gradescope_refuses(data, wrong):
    assert any(wrong in problem for problem in check_results(data))


def test_settings_bounds_and_defaults(tmp_path):
    assert Settings.load(tmp_path / "missing.json") == Settings()
    (tmp_path / "s.json").write_text(Settings(time_limit=600, details="visible").text())
    settings = Settings.load(tmp_path / "s.json")
    assert (settings.time_limit, settings.details) == (600, "visible")
    assert settings.grading_timeout < settings.shell_timeout < settings.time_limit
    with pytest.raises(ValueError, match="at most 40"):
        Settings(time_limit=3600)
    with pytest.raises(ValueError, match="after_due_date"):
        Settings(details="later")


# ----------------------------------------------------------------------------- the submission


def test_stage_places_loose_files_and_zips(tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "knn.ipynb").write_text("{}")
    (sub / "k_nearest_neighbor.py").write_text("# mine\n")
    (sub / "upload.zip").write_bytes(b"PK")  # the upload beside what Gradescope unpacked
    notes = stage(sub, tmp_path / "class")
    folder = tmp_path / "class" / STUDENT
    assert notes == []
    assert (folder / "knn.ipynb").is_file()
    assert (folder / "cs231n_lib" / "classifiers" / "k_nearest_neighbor.py").is_file()
    assert not (folder / "upload.zip").exists()

    lone = tmp_path / "lone"
    lone.mkdir()
    with zipfile.ZipFile(lone / "mine.zip", "w") as zf:
        zf.writestr("assignment1/knn.ipynb", "{}")
    stage(lone, tmp_path / "class2")
    assert (tmp_path / "class2" / f"{STUDENT}.zip").is_file()

    stage(tmp_path / "nothing", tmp_path / "class3")  # no submission folder at all
    assert list((tmp_path / "class3" / STUDENT).iterdir()) == []


# ----------------------------------------------------------------------------- the zip


def _mode(info):
    return (info.external_attr >> 16) & 0o777


def test_zip_layout(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(b"not really an archive")
    out = build_zip(
        tmp_path / "autograder.zip",
        data_archive=archive,
        settings=Settings(time_limit=900),
        require_lock=False,
        log=lambda *_: None,
    )
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        infos = {i.filename: i for i in zf.infolist()}
        for script in ("setup.sh", "run_autograder"):
            text = zf.read(script)
            assert _mode(infos[script]) == 0o755
            assert text.startswith(b"#!/usr/bin/env bash\n")
            assert b"\r" not in text
        assert b"LIMIT=880" in zf.read("run_autograder")  # 900 s less the shell's margin
        assert json.loads(zf.read("gradescope.json"))["time_limit"] == 900
        assert zf.read("data/cifar-10-python.tar.gz") == archive.read_bytes()
    for part in (
        "repo/pyproject.toml",
        "repo/cs231n_lib/__init__.py",
        "repo/grading/__main__.py",
        "repo/grading/gradescope/runner.py",
        "repo/build/private/references/manifest.json",
        *(f"repo/notebooks/{nb}.ipynb" for nb in NOTEBOOKS),
        *(f"repo/assignment1/{nb}.ipynb" for nb in NOTEBOOKS),
    ):
        assert part in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(n.startswith(("repo/datasets", "repo/.venv")) for n in names)


def test_zip_needs_the_lock(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    with pytest.raises(FileNotFoundError, match="make lock"):
        build_zip(tmp_path / "a.zip", repo=repo, log=lambda *_: None)


# ----------------------------------------------------------------------------- the scripts


def _unpack(out, root):
    """The zip into ROOT/source and run_autograder into ROOT, as Gradescope does."""
    root = Path(root)
    for name in ("source", "submission", "results"):
        (root / name).mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, root / "source"))
            path.chmod(_mode(info))
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def _run_autograder(root, files=None, timeout=RUN_TIMEOUT):
    """Put ``files`` (a folder) in ROOT/submission, run ROOT/run_autograder; its results."""
    root = Path(root)
    shutil.rmtree(root / "submission", ignore_errors=True)
    if files is not None:
        shutil.copytree(files, root / "submission")
    else:
        (root / "submission").mkdir()
    (root / "submission_metadata.json").write_text(json.dumps(METADATA))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
    run = subprocess.run(
        [str(root / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    data = json.loads((root / "results" / "results.json").read_text())
    assert check_results(data) == [], data
    return data, run.stdout


def test_run_autograder_without_python_still_writes_results(tmp_path):
    out = build_zip(tmp_path / "a.zip", require_lock=False, log=lambda *_: None)
    root = _unpack(out, tmp_path / "autograder")  # setup.sh never ran
    data, _ = _run_autograder(root, timeout=60)
    assert data["score"] == 0
    assert data["output"].startswith("NOT GRADED")
    assert "setup.sh did not finish" in data["output"]


def test_unavailable_sandbox_is_not_a_grade(tmp_path, monkeypatch):
    from grading.gradescope import runner

    layout = Layout.at(tmp_path)
    layout.grader.mkdir(parents=True)
    layout.record.write_text(json.dumps({"data_dir": str(tmp_path)}))
    monkeypatch.setattr(isolation, "available", lambda: "unshare: Operation not permitted")
    data = runner.run(tmp_path, log=lambda *_: None)
    assert json.loads(layout.results.read_text()) == data
    assert data["output"].startswith("NOT GRADED")
    hidden = [t for t in data["tests"] if t["visibility"] == "hidden"]
    assert "Operation not permitted" in hidden[0]["output"]


# ----------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def autograder(tmp_path_factory, cifar_root):
    """An /autograder tree with setup.sh run (this Python, the session's CIFAR-10).

    Returns ``(root, samples folder, their expected points)``.
    """
    reason = isolation.available()
    if reason:
        pytest.skip(f"the sandbox does not work here: {reason}")
    tmp = tmp_path_factory.mktemp("gradescope")
    out = build_zip(tmp / "autograder.zip", require_lock=False, log=lambda *_: None)
    root = _unpack(out, tmp / "autograder")
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "CS231N_PYTHON": sys.executable,
        "CS231N_DATA_DIR": str(cifar_root),
    }
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        cwd=root / "source",
        env=env,
        capture_output=True,
        text=True,
        timeout=SETUP_TIMEOUT,
    )
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-3000:]
    assert stat.S_IMODE((root / "run_autograder").stat().st_mode) == 0o755
    expected = make_samples(tmp / "samples")
    return root, tmp / "samples", expected


def _by_notebook(data):
    """{notebook: points} summed from the scored tests' names (``knn.ipynb · ...``)."""
    out = dict.fromkeys(NOTEBOOKS, 0.0)
    for test in data["tests"]:
        if "score" in test:
            out[test["name"].split(".ipynb")[0]] += test["score"]
    return out


def _reference_values():
    """Text forms of the hidden checks' reference values that could not appear by chance."""
    found = set()
    for path in (REPO / "build" / "private" / "references").glob("*.npy"):
        values = np.load(path, allow_pickle=False).ravel()
        for x in values[:50].astype(np.float64):
            if np.isfinite(x) and abs(x) > 1e-3 and not float(x).is_integer():
                found |= {repr(float(x)), f"{x:.6g}"}
    return {v for v in found if len(v) >= 6}


@pytest.mark.cifar
@pytest.mark.parametrize("name", ["complete", "half", "untouched"])
def test_scores_equal_the_nbgrader_path(autograder, graded_samples, name):
    root, samples, expected = autograder
    grades, from_fixture, _ = graded_samples
    assert from_fixture == expected
    data, stdout = _run_autograder(root, samples / name)
    automatic = {nb: grades[name].scores.get(nb, {}).get("score", 0.0) for nb in NOTEBOOKS}
    assert _by_notebook(data) == automatic == expected[name]
    assert data["score"] == sum(expected[name].values())
    assert "Gradescope submission 123456789" in stdout  # the metadata, read
    for test in data["tests"]:
        assert test["visibility"] in ("visible", "after_due_date")
        assert isinstance(test["name"], str)
        assert isinstance(test["output"], str)
        if "score" in test:
            assert 0 <= test["score"] <= test["max_score"]
    written = [t for t in data["tests"] if "written answer" in t["name"]]
    assert len(written) == 12
    assert not any("score" in t or "max_score" in t for t in written)
    scored = sum(t["max_score"] for t in data["tests"] if "max_score" in t)
    assert scored + sum(int(t["name"].split("(")[1].split()[0]) for t in written) == 100
    text = json.dumps(data, ensure_ascii=False)
    leaked = [v for v in _reference_values() if v in text]
    assert leaked == [], f"reference values in results.json: {leaked[:5]}"
    assert "def " not in text
    assert "/private/" not in text
    assert "Traceback" not in text
    if name == "untouched":
        held = [t for t in data["tests"] if t["visibility"] == "after_due_date"]
        assert len(held) == 1
        assert held[0]["status"] == "failed"
        assert "NotImplementedError" in held[0]["output"]


@pytest.mark.cifar
def test_missing_and_broken_notebooks(autograder):
    root, samples, expected = autograder
    files = root.parent / "broken"
    shutil.copytree(samples / "complete", files)
    for nb in ("knn", "two_layer_net", "features"):  # missing; svm alone is graded (quick)
        (files / f"{nb}.ipynb").unlink()
    (files / "softmax.ipynb").write_text("{ this is not JSON")
    data, _ = _run_autograder(root, files)
    points = {**dict.fromkeys(NOTEBOOKS, 0), "svm": expected["complete"]["svm"]}
    assert _by_notebook(data) == points
    assert data["score"] == sum(points.values())
    first = data["tests"][0]
    assert first["status"] == "failed"
    said = "Not graded (0 points): knn.ipynb, softmax.ipynb, two_layer_net.ipynb, features.ipynb"
    assert said in first["output"]
    assert said in data["output"]
    assert "knn.ipynb is missing" in first["output"]
    assert "not JSON" in first["output"]  # intake's reason for refusing softmax.ipynb


@pytest.mark.cifar
def test_empty_submission(autograder):
    root, _, _ = autograder
    data, _ = _run_autograder(root, None, timeout=120)
    assert data["score"] == 0
    assert "nothing was handed in" in data["tests"][0]["output"]
    assert all(t.get("score", 0) == 0 for t in data["tests"])
    assert len([t for t in data["tests"] if "score" in t]) == 24
