"""Autograde a course folder, incrementally: ``python -m grading autograde COURSE``.

What is graded: every student whose selected attempt (see :mod:`grading.course.intake`)
was never graded or changed since, or what is asked for explicitly (``students``,
``notebooks``, ``force``). Each result is committed as soon as it is graded: the
gradebook (:func:`grading.course.gradebook.commit_submission`), the student's graded
notebooks and feedback, then ``state/<id>.json``. A run that is killed loses only the
submissions in flight; the next run grades those and skips the rest.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..cluster import map_cluster
from ..coursedir import ASSIGNMENT, CELL_TIMEOUT, NOTEBOOKS, REPO, SUBMISSION_TIMEOUT
from ..run import autograde as run
from ..run.worker import PUBLIC
from . import intake as course_intake
from .folder import CourseError, locked, require_course
from .gradebook import commit_submission
from .state import all_states, grader_fingerprint, read_state, write_state


@dataclass
class Plan:
    """What one run grades, and what it leaves as it is."""

    work: list = field(default_factory=list)  # (Submission, notebooks or None, entry)
    up_to_date: int = 0
    stale: list = field(default_factory=list)  # graded with another grader version


def plan_run(course, entries, students=None, notebooks=None, force=False, grader=None):
    """Decide what to grade; see the module docstring."""
    unknown = sorted(set(students or ()) - set(entries))
    if unknown:
        raise CourseError(
            f"No submission in the course for student id(s) {', '.join(unknown)}"
            f"; the ids are listed in {Path(course) / 'intake' / 'report.txt'}."
        )
    bad = sorted(set(notebooks or ()) - set(NOTEBOOKS))
    if bad:
        raise CourseError(
            f"Unknown notebook(s) {', '.join(bad)}: expected some of "
            f"{', '.join(NOTEBOOKS)} (without .ipynb)."
        )
    plan = Plan()
    explicit = bool(students or notebooks or force)
    for student_id, entry in sorted(entries.items()):
        state = read_state(course, student_id)
        if students and student_id not in students:
            continue
        changed = state is None or state.get("fingerprint") != entry.fingerprint
        if changed:  # a new or resubmitted attempt: all of it, whatever else was asked
            plan.work.append((entry.submission(), None, entry))
        elif explicit:
            plan.work.append((entry.submission(), list(notebooks) if notebooks else None, entry))
        else:
            plan.up_to_date += 1
            if grader and state.get("grader") != grader:
                plan.stale.append(student_id)
    return plan


def autograde_course(
    course,
    jobs=1,
    students=None,
    notebooks=None,
    force=False,
    data_dir=None,
    references=None,
    limits=None,
    timeout=SUBMISSION_TIMEOUT,
    cell_timeout=CELL_TIMEOUT,
    dask_scheduler=None,
    progress=True,
    keep_work=False,
    repo=REPO,
    log=print,
):
    """Grade what changed in the course folder ``course``; return the new :class:`Grade` list."""
    course = require_course(Path(course).resolve())
    with locked(course, "autograde"):
        entries = course_intake.selected(course)
        if not entries:
            raise CourseError(
                f"The course folder {course} has no submissions yet: add them "
                f"with `python -m grading intake {course} DOWNLOAD`."
            )
        grader = grader_fingerprint(repo)
        plan = plan_run(course, entries, students, notebooks, force, grader)
        if plan.stale:
            log(
                f"{len(plan.stale)} submission(s) were graded by an earlier version of the "
                "notebooks or checks; regrade them with --force (or --notebook NAME)."
            )
        if not plan.work:
            log(f"Nothing to grade: all {plan.up_to_date} submission(s) are up to date.")
            return []
        setup = run.prepare_setup(
            course,
            jobs,
            data_dir,
            references,
            repo,
            limits,
            timeout,
            cell_timeout,
            log,
            keep_work,
            here=not dask_scheduler,
        )
        where = (
            f"on the Dask cluster at {dask_scheduler}" if dask_scheduler else f"{jobs} at a time"
        )
        log(
            f"Grading {len(plan.work)} submission(s), {where}; "
            f"{plan.up_to_date} already graded are kept."
        )
        pairs = [(sub, only) for sub, only, _ in plan.work]
        by_id = {sub.student_id: entry for sub, _, entry in plan.work}
        results = (
            map_cluster(dask_scheduler, pairs, setup, log)
            if dask_scheduler
            else run.map_local(jobs, pairs, setup)
        )
        grades = []
        points = run.maxima(setup.template)
        for grade in tqdm(results, total=len(pairs), desc="submissions", disable=not progress):
            commit(course, grade, by_id[grade.student_id], grader, keep_work)
            grades.append(grade)
            write_summary(course, points)
        grades.sort(key=lambda g: g.student_id)
        return grades


def commit(course, grade, entry, grader, keep_work=False):
    """Put one graded submission into the course folder (gradebook, files, state)."""
    scratch = Path(grade.workdir)
    kept = commit_submission(
        course,
        scratch / "gradebook.db",
        grade.student_id,
        grade.cells,
        grade.notebooks,
        entry.submitted_at,
        entry.student_info(),
    )
    previous = read_state(course, grade.student_id) or {}
    resubmitted = previous.get("fingerprint") not in (None, entry.fingerprint)
    if kept and resubmitted:
        grade.problems.append(
            f"resubmitted after manual grading of {', '.join(kept)}: the grades and comments "
            "entered are kept; review them against the new answers"
        )
    for step, source in (
        ("submitted", "submitted"),
        ("autograded", PUBLIC),
        ("feedback", "feedback"),
    ):
        _replace_notebooks(
            scratch / source / grade.student_id / ASSIGNMENT,
            course / step / grade.student_id / ASSIGNMENT,
            grade.notebooks,
            whole=(step == "submitted" and grade.notebooks == list(NOTEBOOKS)),
        )
    state = _merged_state(previous, grade, entry, grader)
    write_state(course, grade.student_id, state)
    _log(course, grade)
    if not keep_work:
        shutil.rmtree(scratch, ignore_errors=True)


def _replace_notebooks(source, dest, notebooks, whole=False):
    """Copy the graded notebooks (and their .html) from scratch; replace, never mix."""
    if whole:
        tmp = dest.with_name(f".{dest.name}.new")
        shutil.rmtree(tmp, ignore_errors=True)
        if source.is_dir():
            shutil.copytree(source, tmp, symlinks=True)
        else:
            tmp.mkdir(parents=True)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        return
    dest.mkdir(parents=True, exist_ok=True)
    for nb in notebooks:
        for suffix in (".ipynb", ".html"):
            target = dest / f"{nb}{suffix}"
            target.unlink(missing_ok=True)
            if (source / target.name).is_file() and not (source / target.name).is_symlink():
                shutil.copyfile(source / target.name, target)


def _merged_state(previous, grade, entry, grader):
    """The new state: this run's notebooks replace theirs, the others stay."""
    partial = grade.notebooks != list(NOTEBOOKS)
    scores = dict(previous.get("scores", {})) if partial else {}
    cells = dict(previous.get("cells", {})) if partial else {}
    scores.update({nb: s for nb, s in grade.scores.items() if nb in grade.notebooks})
    cells.update({nb: c for nb, c in grade.cells.items() if nb in grade.notebooks})
    problems = list(grade.problems)
    if partial:
        problems = [p for p in previous.get("problems", []) if p not in problems] + problems
    failed = {g: v for g, v in previous.get("failed", {}).items() if partial} | grade.failed
    return {
        "student_id": grade.student_id,
        "submission": grade.submission,
        "fingerprint": entry.fingerprint,
        "grader": grader,
        "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": grade.seconds,
        "scores": scores,
        "cells": cells,
        "problems": problems,
        "failed": failed,
        "restored": grade.restored,
    }


def _log(course, grade):
    total = sum(s.get("score", 0.0) for s in grade.scores.values())
    line = (
        f"{time.strftime('%Y-%m-%d %H:%M:%S')} graded {grade.student_id} "
        f"({','.join(grade.notebooks)}): {total:g} automatic points, "
        f"{len(grade.problems)} problem(s), {grade.seconds:.1f} s\n"
    )
    with open(Path(course) / "log" / "autograde.log", "a") as f:
        f.write(line)


def state_grades(course):
    """Every graded student's latest result, as :class:`~grading.run.autograde.Grade` objects."""
    grades = []
    for student_id, state in all_states(course).items():
        grades.append(
            run.Grade(
                student_id,
                state.get("submission", student_id),
                scores=state.get("scores", {}),
                problems=state.get("problems", []),
                restored=state.get("restored", []),
                failed=state.get("failed", {}),
                cells=state.get("cells", {}),
                seconds=state.get("seconds", 0.0),
            )
        )
    return grades


def grade_table(course):
    """(grades, table): every graded student's latest result, and its table as text."""
    grades = state_grades(course)
    points = run.maxima(Path(course).resolve() / "work" / run.TEMPLATE)
    return grades, run.format_table(grades, points)


def write_summary(course, points):
    """``COURSE/grades.csv``: the automatic grading of every student graded so far."""
    run.write_grades(Path(course) / "grades.csv", state_grades(course), points)


def autograde_class(
    submissions,
    output,
    jobs=1,
    data_dir=None,
    repo=REPO,
    progress=True,
    timeout=SUBMISSION_TIMEOUT,
    cell_timeout=CELL_TIMEOUT,
    limits=None,
    references=None,
    dask_scheduler=None,
    keep_work=False,
    log=print,
):
    """One step from a folder of submissions to grades: ``autograde SUBMISSIONS OUTPUT``.

    ``OUTPUT`` becomes a course folder (made when missing, with no late policy: a
    folder carries no submission times), ``SUBMISSIONS`` is taken in as plain
    folders, and what changed is graded. Returns this run's :class:`Grade` list.
    """
    from .config import render_template
    from .folder import init_course, is_course
    from .intake import intake_download

    output = Path(output)
    if not is_course(output):
        text = render_template(lms="folders").replace('policy = "per-day"', 'policy = "none"')
        init_course(output, text, repo)
    intake_download(output, submissions, fmt="folders", log=lambda *_: None)
    return autograde_course(
        output,
        jobs=jobs,
        data_dir=data_dir,
        references=references,
        limits=limits,
        timeout=timeout,
        cell_timeout=cell_timeout,
        dask_scheduler=dask_scheduler,
        progress=progress,
        keep_work=keep_work,
        repo=repo,
        log=log,
    )
