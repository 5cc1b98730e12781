"""Autograde a class: ``python -m grading autograde SUBMISSIONS OUTPUT [--jobs N]``.

1. A template course directory is generated once from ``notebooks/``
   (``nbgrader generate_assignment``: it fills the gradebook with the test cells).
2. Each submission is cleaned up by :mod:`grading.intake`, then graded in its own copy
   of the template by a :mod:`grading.worker` subprocess: nbgrader's autograde runs
   every cell in grading mode (``CS231N_GRADING=1``: small subsets) with the
   student's own ``cs231n_lib``, then the feedback is generated without hidden tests.
   ``--jobs N`` runs N of them at once; each has its own gradebook (nbgrader's is
   SQLite, one writer), so they never contend.
3. ``OUTPUT/grades.csv`` gets one row per submission; ``OUTPUT/feedback/<id>/`` the
   HTML feedback; ``OUTPUT/course/`` one nbgrader course directory for the class
   (:mod:`grading.gradebook`), where the written answers are graded by hand;
   ``OUTPUT/work/<id>/`` keeps each submission's own course directory.

A submission that fails in any way gets its row, with the problem in words.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import intake
from .course import (
    ASSIGNMENT,
    NOTEBOOKS,
    REPO,
    make_course,
    nbgrader_env,
    run_nbgrader,
    write_config,
)
from .gradebook import merge_class

# One submission, all four notebooks, in grading mode: about 30 s on 2 cores. The
# limit only stops a runaway submission.
SUBMISSION_TIMEOUT = 900
TEMPLATE = "_template"  # not a valid student id, so it never collides with one


@dataclass
class Grade:
    student_id: str
    submission: str
    scores: dict = field(default_factory=dict)  # notebook -> {"score", "max", "pending"}
    problems: list = field(default_factory=list)
    seconds: float = 0.0


def blas_threads(jobs):
    """Thread limits for numpy's BLAS: the cores shared out among the jobs.

    Without them each kernel's BLAS starts a thread per core, and N kernels on N cores
    fight over them: the training loops run 5-10x slower.
    """
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    return dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), threads)


def check_data_dir(data_dir):
    """The folder holding cifar-10-batches-py/, or raise with how to get it."""
    from cs231n_lib.data import find_batches_dir

    batches = find_batches_dir(data_dir)  # raises FileNotFoundError with the fix
    return batches.parent


def build_template(work, repo=REPO):
    """Generate the assignment once into ``work/_template``; return its path."""
    template = Path(work) / TEMPLATE
    if template.exists():
        shutil.rmtree(template)
    make_course(template, repo / "notebooks")
    run_nbgrader(template, "generate_assignment", ASSIGNMENT, "--force")
    return template


def maxima(template):
    """{notebook: (automatic points, written points)} from the template's gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{template / 'gradebook.db'}") as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        for nb in assignment.notebooks:
            auto = sum(c.max_score for c in nb.grade_cells if c.cell_type == "code")
            written = sum(c.max_score for c in nb.grade_cells if c.cell_type == "markdown")
            out[nb.name] = (auto, written)
    return out


def _course_for(template, work, student_id):
    course = Path(work) / student_id
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    shutil.copytree(template / "source", course / "source")
    shutil.copyfile(template / "gradebook.db", course / "gradebook.db")
    write_config(course)
    return course


def _run_worker(course, student_id, env, timeout):
    """Run the worker in its own session; kill the whole group (kernels too) on timeout."""
    command = [sys.executable, "-m", "grading.worker", str(course), student_id]
    with subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True) as proc:
        try:
            log, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None, f"grading stopped after {timeout} s: a cell runs too long"
    result = Path(course) / "result.json"
    if proc.returncode != 0 or not result.is_file():
        last = (log or "").strip().splitlines()[-1:] or ["no output"]
        return None, f"the grader crashed (exit {proc.returncode}): {last[0]}"
    return json.loads(result.read_text()), None


def grade_submission(sub, template, output, env, timeout=SUBMISSION_TIMEOUT, repo=REPO):
    """Grade one :class:`~grading.intake.Submission`; never raises for a bad submission."""
    start = time.perf_counter()
    grade = Grade(sub.student_id, sub.name, problems=list(sub.problems))
    course = _course_for(template, Path(output) / "work", sub.student_id)
    submitted = course / "submitted" / sub.student_id / ASSIGNMENT
    present = intake.prepare(sub, submitted, repo / ASSIGNMENT)
    grade.problems = list(sub.problems)
    if present:
        outcome, error = _run_worker(course, sub.student_id, env, timeout)
        if error:
            grade.problems.append(error)
        else:
            grade.problems += outcome["problems"]
            grade.scores = {nb: s for nb, s in outcome["scores"].items() if nb in present}
        _collect_feedback(course, sub.student_id, Path(output) / "feedback", present)
    grade.seconds = time.perf_counter() - start
    return grade


def _collect_feedback(course, student_id, feedback_root, present):
    source = course / "feedback" / student_id / ASSIGNMENT
    dest = feedback_root / student_id
    if dest.exists():
        shutil.rmtree(dest)
    for name in present:
        html = source / f"{name}.html"
        if html.is_file():
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(html, dest / f"{name}.html")


def autograde_class(submissions, output, jobs=1, data_dir=None, repo=REPO, progress=True,
                    timeout=SUBMISSION_TIMEOUT, log=print):
    """Grade every submission in ``submissions``; write OUTPUT/grades.csv and feedback.

    Returns the list of :class:`Grade`, sorted by student id.
    """
    output = Path(output).resolve()
    data_dir = check_data_dir(data_dir)
    subs = intake.discover(submissions)
    if not subs:
        raise FileNotFoundError(f"No submission (folder or .zip) in {submissions}.")
    output.mkdir(parents=True, exist_ok=True)
    log(f"Generating the assignment into {output / 'work' / TEMPLATE}")
    template = build_template(output / "work", repo)
    points = maxima(template)
    env = nbgrader_env({"CS231N_GRADING": "1", "CS231N_DATA_DIR": str(data_dir),
                        **blas_threads(jobs)})
    log(f"Grading {len(subs)} submission(s), {jobs} at a time")
    grades = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(grade_submission, s, template, output, env, timeout, repo)
                   for s in subs]
        for future in tqdm(as_completed(futures), total=len(futures), desc="submissions",
                           disable=not progress):
            grades.append(future.result())
    grades.sort(key=lambda g: g.student_id)
    write_grades(output / "grades.csv", grades, points)
    merge_class(template, output / "work", output / "course", [g.student_id for g in grades])
    log(f"Class gradebook for manual grading: {output / 'course'}")
    return grades


COLUMNS = ["student_id", "submission", *NOTEBOOKS, "written_pending", "total", "max", "problems"]


def grade_row(grade, points):
    """The grades.csv row of one submission, as a dict keyed by :data:`COLUMNS`."""
    row = {"student_id": grade.student_id, "submission": grade.submission}
    total = pending = 0.0
    for nb in NOTEBOOKS:
        score = grade.scores.get(nb, {})
        row[nb] = _num(score.get("score", 0.0))
        total += score.get("score", 0.0)
        pending += score.get("pending", 0.0)
    row["written_pending"] = _num(pending)
    row["total"] = _num(total)
    row["max"] = _num(sum(a + w for a, w in points.values()))
    row["problems"] = "; ".join(grade.problems)
    return row


def _num(x):
    return int(x) if float(x).is_integer() else round(float(x), 2)


def write_grades(path, grades, points):
    tmp = Path(path).with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for grade in grades:
            writer.writerow(grade_row(grade, points))
    tmp.replace(path)


def format_table(grades, points):
    """The grade table as aligned text, for the terminal."""
    rows = [grade_row(g, points) for g in grades]
    cols = [c for c in COLUMNS if c != "problems"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols) + "  problems"]
    for r in rows:
        problems = r["problems"] or "-"
        lines.append("  ".join(str(r[c]).ljust(widths[c]) for c in cols) + f"  {problems}")
    return "\n".join(lines)
