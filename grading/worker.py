"""Grade one submission in its own course directory: ``python -m grading.worker JOB``.

Run by :mod:`grading.autograde` as a subprocess, one per submission, so that a
submission that crashes or hangs costs only itself. ``JOB`` is a JSON file written by
:func:`grading.autograde.grade_submission` (paths, limits, the notebooks present).
The worker first leaves the network (:func:`grading.sandbox.isolate_network`: the
kernels it starts can reach nothing but it), then:

1. nbgrader's autograde executes the restored notebooks; the kernel starts through the
   sandbox launcher (the course's ``cs231n-sandbox`` kernelspec), in a copy of the
   submission, and the grader records the notebook facts there;
2. :mod:`grading.probe` runs the hidden checks on the student's package in the sandbox;
3. :mod:`grading.judge` decides every test cell; the verdicts replace nbgrader's own
   scores in the gradebook, which only knew whether the kernel reported an error;
4. the feedback is generated from a copy without the grader's cells, with each test
   cell's verdict below it; ``result.json`` gets the scores and the problems.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from . import sandbox
from .coursedir import ASSIGNMENT

PUBLIC = "autograded_public"


def _api(course, **overrides):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    extra = Config()
    for key, value in overrides.items():
        setattr(extra.CourseDirectory, key, value)
    config.merge(extra)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def _last_error(result):
    text = (result.get("error") or result.get("log") or "").strip().splitlines()
    return text[-1] if text else "unknown error"


def test_cells(course, notebooks):
    """{notebook: {grade_id: points}} of the autograded test cells, from the gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for nb in notebooks:
            cells = gb.find_notebook(nb, ASSIGNMENT).grade_cells
            out[nb] = {c.name: c.max_score for c in cells if c.cell_type == "code"}
    return out


def record_verdicts(course, student_id, verdicts_by_nb):
    """Write the verdicts into the gradebook as the test cells' automatic scores.

    Returns {notebook: {"score", "max", "pending"}}; a notebook that nbgrader could not
    record (its kernel died before the end) is scored from the verdicts alone.
    """
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for nb, verdicts in verdicts_by_nb.items():
            auto = sum(v.score for v in verdicts.values())
            auto_max = sum(v.points for v in verdicts.values())
            try:
                submitted = gb.find_submission_notebook(nb, ASSIGNMENT, student_id)
            except MissingEntry:
                written = sum(c.max_score for c in gb.find_notebook(nb, ASSIGNMENT).grade_cells
                              if c.cell_type == "markdown")
                scores[nb] = {"score": auto, "max": auto_max + written, "pending": written}
                continue
            for grade in submitted.grades:
                if grade.name in verdicts:
                    grade.auto_score = verdicts[grade.name].score
                    grade.needs_manual_grade = False
            gb.db.commit()
            pending = sum(g.max_score for g in submitted.grades if g.needs_manual_grade)
            scores[nb] = {"score": submitted.score, "max": submitted.max_score,
                          "pending": pending}
    return scores


RUNAWAY = {"DeadKernelError": "the kernel died (os._exit, a crash or the memory limit); "
                               "the cells after it did not run",
           "CellTimeoutError": "a cell ran past the time limit and was interrupted",
           "MemoryError": "a cell ran out of memory (the limit is per process)"}


def runaway_problems(autograded, notebooks):
    """One line per notebook and kind of runaway cell (see :data:`RUNAWAY`)."""
    import nbformat

    from .feedback import is_grader_cell

    problems = []
    for nb in notebooks:
        path = Path(autograded) / f"{nb}.ipynb"
        if not path.is_file():
            continue
        found = []
        cells = [c for c in nbformat.read(path, as_version=4).cells if not is_grader_cell(c)]
        for i, cell in enumerate(cells, start=1):
            for output in cell.get("outputs", []):
                name = output.get("ename")
                if name in RUNAWAY and name not in (kind for kind, _ in found):
                    found.append((name, i))
        problems += [f"{nb}.ipynb cell {i}: {RUNAWAY[name]}" for name, i in found]
    return problems


def grade(job):
    from . import feedback, judge

    course, student_id = Path(job["course"]), job["student_id"]
    problems = []
    result = _api(course).autograde(ASSIGNMENT, student_id)
    if not result.get("success"):
        problems.append(f"autograde failed: {_last_error(result)}")

    cells = test_cells(course, job["notebooks"])
    package = course / "submitted" / student_id / ASSIGNMENT / "cs231n_lib"
    limits = sandbox.Limits(**job["limits"])
    probe_results = judge.run_probes(
        package, course / "probe", Path(job["inputs"]),
        [g for nb_cells in cells.values() for g in nb_cells], env=None,
        hide=job["hide"], expose=job["probe_expose"], limits=limits,
        timeout=job["probe_timeout"])
    context = judge.load_context(job["context"])
    verdicts = {nb: judge.judge_cells(nb_cells, probe_results, job["references"], context,
                                      Path(job["run"]))
                for nb, nb_cells in cells.items()}
    scores = record_verdicts(course, student_id, verdicts)

    autograded = course / "autograded" / student_id / ASSIGNMENT
    problems += runaway_problems(autograded, job["notebooks"])
    public = course / PUBLIC / student_id / ASSIGNMENT
    if autograded.is_dir():
        shutil.copytree(autograded, public, dirs_exist_ok=True, symlinks=True)
        for nb in job["notebooks"]:
            path = public / f"{nb}.ipynb"
            if path.is_file() and not path.is_symlink():
                feedback.public_notebook(path, verdicts[nb])
        fb = _api(course, autograded_directory=PUBLIC).generate_feedback(ASSIGNMENT, student_id)
        if not fb.get("success"):
            problems.append(f"feedback failed: {_last_error(fb)}")
    failed = {g: v.problems for nb_v in verdicts.values() for g, v in nb_v.items()
              if not v.passed}
    cell_scores = {nb: {g: v.score for g, v in nb_v.items()} for nb, nb_v in verdicts.items()}
    return {"scores": scores, "problems": problems, "failed": failed, "cells": cell_scores}


def main(argv=None):
    job_path = Path((argv or sys.argv[1:])[0])
    sandbox.isolate_network()  # first, while the process has a single thread
    job = json.loads(job_path.read_text())
    if not sandbox.die_with_parent(job.get("parent")):  # the grading run was stopped
        return 1
    outcome = grade(job)
    (Path(job["course"]) / "result.json").write_text(json.dumps(outcome, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
