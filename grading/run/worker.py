"""Grade one submission in its own course directory: ``python -m grading.run.worker JOB``.

Run by :mod:`grading.run.autograde` as a subprocess, one per submission, so that a
submission that crashes or hangs costs only itself. ``JOB`` is a JSON file written by
:func:`grading.run.autograde.grade_submission` (paths, limits, the notebooks present).
The worker first enters namespaces of its own
(:func:`grading.isolation.worker_ns.isolate_worker`): it is pid 1 of a pid namespace
that holds every process the submission starts (all end when it ends), on a network
where only loopback is up; a :class:`~grading.isolation.worker_ns.Budget` stops the
submission's processes if together they hold too much memory or too many processes.
Then:

1. nbgrader's autograde executes the restored notebooks; the kernel starts through the
   sandbox launcher (the course's ``cs231n-sandbox`` kernelspec), in a copy of the
   submission on a tmpfs of bounded size, and the grader records the notebook facts;
2. the hidden checks run here (:func:`grading.run.judge.run_probes`), calling the student's
   package in a sandboxed server;
3. :mod:`grading.run.judge` decides every test cell; the verdicts replace nbgrader's own
   scores in the gradebook, which only knew whether the kernel reported an error;
4. the feedback is generated from a copy without the grader's cells, with each test
   cell's verdict below it; ``result.json`` gets the scores and the problems.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from .. import isolation
from ..coursedir import ASSIGNMENT
from ..isolation import worker_ns

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
                written = sum(
                    c.max_score
                    for c in gb.find_notebook(nb, ASSIGNMENT).grade_cells
                    if c.cell_type == "markdown"
                )
                scores[nb] = {"score": auto, "max": auto_max + written, "pending": written}
                continue
            for grade in submitted.grades:
                if grade.name in verdicts:
                    grade.auto_score = verdicts[grade.name].score
                    grade.needs_manual_grade = False
            gb.db.commit()
            pending = sum(g.max_score for g in submitted.grades if g.needs_manual_grade)
            scores[nb] = {"score": submitted.score, "max": submitted.max_score, "pending": pending}
    return scores


RUNAWAY = {
    "DeadKernelError": "the kernel died (os._exit, a crash or the memory limit); "
    "the cells after it did not run",
    "CellTimeoutError": "a cell ran past the time limit and was interrupted",
    "MemoryError": "a cell ran out of memory (the limit is per process)",
}


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


def _scratch(course, submitted, limits):
    """The kernel's scratch folder ``course/run``: a tmpfs holding a copy of ``submitted``."""
    from . import judge

    run = Path(course) / "run"
    worker_ns.mount_scratch(run, limits)
    shutil.copytree(submitted, run, symlinks=True, dirs_exist_ok=True)
    judge.clear_facts(run)
    return run


KEPT = "scratch-kept"  # with --keep-work: what the submission left in its scratch folders
MAX_KEPT = 50 * 2**20


def keep_scratch(course, folders):
    """Copy the scratch tmpfs (gone when the worker ends) to ``course/scratch-kept``.

    Regular files only, links not followed, at most :data:`MAX_KEPT` bytes in all.
    """
    budget = MAX_KEPT
    for folder in folders:
        for root, _dirs, names in os.walk(folder):
            target = Path(course) / KEPT / Path(root).relative_to(course)
            for name in names:
                path = Path(root) / name
                if path.is_symlink() or not path.is_file():
                    continue
                size = path.stat().st_size
                if size > budget:
                    continue
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target / name)
                budget -= size


def grade(job, budget=None):
    from . import feedback, judge

    course, student_id = Path(job["course"]), job["student_id"]
    limits = isolation.Limits(**job["limits"])
    problems = []
    run = _scratch(course, job["submitted"], limits)
    result = _api(course).autograde(ASSIGNMENT, student_id)
    if not result.get("success"):
        problems.append(f"autograde failed: {_last_error(result)}")

    cells = test_cells(course, job["notebooks"])
    package = course / "submitted" / student_id / ASSIGNMENT / "cs231n_lib"
    probes = course / "probe"
    worker_ns.mount_scratch(probes, limits)
    probe_results = judge.run_probes(
        package,
        probes,
        Path(job["inputs"]),
        [g for nb_cells in cells.values() for g in nb_cells],
        limits=limits,
        timeout=job["probe_timeout"],
        env=job.get("env"),
    )
    context = judge.load_context(job["context"])
    verdicts = {
        nb: judge.judge_cells(nb_cells, probe_results, job["references"], context, run)
        for nb, nb_cells in cells.items()
    }
    scores = record_verdicts(course, student_id, verdicts)
    if job.get("keep_scratch"):
        keep_scratch(course, [run, probes])

    autograded = course / "autograded" / student_id / ASSIGNMENT
    problems += runaway_problems(autograded, job["notebooks"])
    problems += budget.events if budget is not None else []
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
        feedback.protect_pages(course / "feedback" / student_id / ASSIGNMENT)
    failed = {g: v.problems for nb_v in verdicts.values() for g, v in nb_v.items() if not v.passed}
    cell_scores = {nb: {g: v.score for g, v in nb_v.items()} for nb, nb_v in verdicts.items()}
    return {"scores": scores, "problems": problems, "failed": failed, "cells": cell_scores}


def main(argv=None):
    job_path = Path((argv or sys.argv[1:])[0])
    job = json.loads(job_path.read_text())
    # First, while the process has a single thread; returns in pid 1 of the namespace.
    if not worker_ns.isolate_worker(job.get("parent")):  # the grading run was stopped
        return 1
    budget = worker_ns.Budget(isolation.Limits(**job["limits"])).start()
    outcome = grade(job, budget)
    budget.stop()
    (Path(job["course"]) / "result.json").write_text(json.dumps(outcome, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
