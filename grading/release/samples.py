"""Generated submissions for the demo and the tests, with the points each must earn.

- ``complete``: every solution region of the package and of the notebooks filled in
  (the instructor's solution with the markers removed), written answers included;
- ``untouched``: the release as students receive it;
- ``half``: the kNN and SVM parts and the two-layer net's layers done (``HALF_DONE``),
  the rest untouched.

Which automatic points a submission must earn follows from the test cells' own
``cs231n.requires`` metadata: a test cell passes exactly when every part it requires
is done.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..coursedir import ASSIGNMENT, NOTEBOOKS, PACKAGE, REPO
from .leaks import notebook_cells
from .regions import cell_source, complete_text, find_regions, package_files

HALF_DONE = (
    "cs231n_lib/classifiers/k_nearest_neighbor.py",
    "cs231n_lib/cross_validation.py",
    "cs231n_lib/classifiers/linear_svm.py",
    "cs231n_lib/classifiers/regularization.py",
    "cs231n_lib/classifiers/layers.py",
    "knn.ipynb",
    "svm.ipynb",
)


def all_parts(repo=REPO):
    """Every part a student completes: package files with regions, and the notebooks."""
    files = [
        p.relative_to(repo).as_posix()
        for p in package_files(repo / PACKAGE)
        if find_regions(p.read_text().splitlines(), p.name)
    ]
    return (*files, *(f"{nb}.ipynb" for nb in NOTEBOOKS))


def graded_cells(repo=REPO):
    """[(notebook, grade_id, points, requires)] of every test cell of the sources."""
    cells = []
    for nb in NOTEBOOKS:
        for cell in notebook_cells(repo / "notebooks" / f"{nb}.ipynb"):
            meta = cell.get("metadata", {})
            grading = meta.get("nbgrader", {})
            if cell.get("cell_type") == "code" and grading.get("grade"):
                requires = tuple(meta.get("cs231n", {}).get("requires", ()))
                cells.append((nb, grading["grade_id"], grading["points"], requires))
    return cells


def expected_points(done, repo=REPO):
    """{notebook: automatic points} earned when exactly the parts in ``done`` are complete."""
    done = set(done)
    out = dict.fromkeys(NOTEBOOKS, 0)
    for nb, _, points, requires in graded_cells(repo):
        if set(requires) <= done:
            out[nb] += points
    return out


def complete_notebook(release_nb, source_nb):
    """The release notebook with every solution cell replaced by the source's, filled in."""
    with open(source_nb) as f:
        solutions = {
            c["metadata"]["nbgrader"]["grade_id"]: c
            for c in json.load(f)["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")
        }
    with open(release_nb) as f:
        nb = json.load(f)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            source = cell_source(solutions[meta["grade_id"]])
            cell["source"] = complete_text(source, meta["grade_id"])
    return nb


def _not_submitted(release):
    """copytree's ``ignore``: caches, and the data folder beside the notebooks."""

    def ignore(folder, names):
        data = {"datasets"} if Path(folder) == release else set()
        return {name for name in names if name == "__pycache__" or name in data}

    return ignore


def make_submission(dest, done, repo=REPO):
    """Write a copy of the release into ``dest`` with the parts in ``done`` completed."""
    dest = Path(dest)
    release = repo / ASSIGNMENT
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(release, dest, ignore=_not_submitted(release))
    for part in done:
        if part.endswith(".ipynb"):
            nb = complete_notebook(release / part, repo / "notebooks" / part)
            (dest / part).write_text(json.dumps(nb, indent=1) + "\n")
        else:
            (dest / part).write_text(complete_text((repo / part).read_text(), part))
    return dest


def make_samples(out, repo=REPO):
    """Write the three demo submissions into ``out``; return {name: expected points}."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plans = {"complete": all_parts(repo), "half": HALF_DONE, "untouched": ()}
    expected = {}
    for name, done in plans.items():
        make_submission(out / name, done, repo)
        expected[name] = expected_points(done, repo)
    return expected


def write_samples(out, repo=REPO):
    """The samples into ``out/submissions/``, their points into ``out/expected.json``.

    Returns {name: expected points}, as :func:`make_samples`.
    """
    expected = make_samples(Path(out) / "submissions", repo)
    (Path(out) / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    return expected


def score_differences(grades, expected):
    """One line per sample whose automatic points are not its expected points.

    ``grades``: the graded samples (:class:`grading.run.autograde.Grade`), ``expected``:
    what :func:`write_samples` wrote into ``expected.json``.
    """
    by_id = {g.submission: g for g in grades}
    wrong = []
    for name, points in expected.items():
        got = {nb: by_id[name].scores.get(nb, {}).get("score", 0.0) for nb in NOTEBOOKS}
        if any(abs(got[nb] - points[nb]) > 1e-9 for nb in NOTEBOOKS):
            wrong.append(f"{name}: expected {points}, got {got}")
    return wrong
