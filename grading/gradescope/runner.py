"""Grade ``/autograder/submission`` and write ``results/results.json``, whatever happens.

``python -m grading gradescope run`` (what ``run_autograder`` calls) grades the one
submission exactly as ``python -m grading autograde SUBMISSIONS OUTPUT`` grades a
student of a class (:func:`grading.course.autograde.autograde_class`: intake with its
limits, nbgrader's autograde in the sandbox, the hidden checks judged here), in a
scratch copy of the course folder ``setup.sh`` prepared, so its points are the
nbgrader path's, exactly. Then :mod:`~grading.gradescope.results` turns the
:class:`~grading.run.autograde.Grade` into Gradescope's results.

Whatever goes wrong, a results.json is written:

- a bad submission (missing, broken or empty notebooks, nothing handed in) is graded
  for what is there, with the problem said: a real score, as on the nbgrader path;
- when the grader cannot grade (the sandbox cannot start in Gradescope's container,
  setup did not finish, the grader crashed, the time ran out) the results say the
  submission was NOT graded, not through the student's fault, with the reason for the
  instructor (:func:`~grading.gradescope.results.not_graded`). Grading unsandboxed is
  never an option: student code would reach the references and this process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

from .. import isolation
from ..course.autograde import autograde_class
from ..coursedir import ASSIGNMENT, NOTEBOOKS
from ..run.autograde import TEMPLATE, Grade, stop_workers
from .cells import graded_cells, notebook_view
from .layout import Layout, Settings
from .results import check_results, not_graded, results_for, write_results
from .submission import STUDENT, describe_metadata, stage

__all__ = ["NotGraded", "copy_course", "run"]

# Folders of the prepared course that grading only reads: hard-linked into each copy.
SHARED = ("dataset", "inputs", "private")
KEEP_ENV = "CS231N_KEEP_WORK"  # set to 1: keep each run's scratch course folder


class NotGraded(Exception):
    """The grader could not grade: ``(for the student, for the instructor)``."""


class Terminated(BaseException):
    """SIGTERM: run_autograder's time guard (or Gradescope) is stopping this process."""


@contextmanager
def _sigterm_raises():
    def handler(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def copy_course(prepared, dest):
    """Copy the prepared course folder to ``dest``; what grading only reads is hard-linked."""
    prepared = Path(prepared)

    def copy(src, dst):
        if Path(src).relative_to(prepared).parts[0] in SHARED:
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass
        return shutil.copy2(src, dst)

    shutil.copytree(prepared, dest, symlinks=True, copy_function=copy)
    return Path(dest)


def _jobs():
    """``jobs`` for autograde_class: with one submission it only sets the kernels' BLAS
    threads (:func:`grading.run.autograde.blas_threads`: the cores over jobs), here to
    one. Grading mode's products are small, so a second thread costs more than it saves,
    and in a container whose CPU quota is below its host's core count the threads fight
    over it: a complete sample took 47-66 s with one thread, 55-99 s with two (2 cores).
    """
    return os.cpu_count() or 1


def _nothing_handed_in(class_dir):
    return not any(p.is_file() or p.is_symlink() for p in Path(class_dir).rglob("*"))


def _setup_record(layout):
    try:
        record = json.loads(layout.record.read_text())
        return record["data_dir"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise NotGraded(
            "The grader was not set up completely on Gradescope.",
            f"{layout.record} is missing or unreadable ({error}): setup.sh did not finish. "
            "Rebuild the autograder (Configure Autograder > Update Autograder) and read "
            "the build's output.",
        ) from None


def _grade(layout, settings, start, log):
    log(describe_metadata(layout.metadata) or "No readable submission_metadata.json.")
    data_dir = _setup_record(layout)
    reason = isolation.available()
    if reason:
        raise NotGraded(
            "The sandbox that runs student code safely could not start in Gradescope's container.",
            f"The sandbox is unavailable: {reason}. It needs unprivileged user namespaces "
            "(see docs/instructors.md, section Gradescope).",
        )
    layout.runs.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=layout.runs))
    try:
        course = copy_course(layout.course, work / "course")
        notes = stage(layout.submission, work / "class")
        if _nothing_handed_in(work / "class"):
            grade = Grade(STUDENT, STUDENT, problems=["nothing was handed in: no file at all"])
        else:
            left = settings.grading_timeout - (time.monotonic() - start)
            log(f"One submission, one BLAS thread per kernel (jobs={_jobs()} sets only that).")
            grades = autograde_class(
                work / "class",
                course,
                jobs=_jobs(),
                data_dir=data_dir,
                progress=False,
                timeout=max(60, int(left)),
                cell_timeout=settings.cell_timeout,
                log=log,
            )
            if len(grades) != 1:
                raise NotGraded(
                    "The grader could not take in this submission.",
                    f"autograde_class returned {len(grades)} grades for one submission.",
                )
            grade = grades[0]
            grade.problems[:0] = notes
        cells = graded_cells(course / "work" / TEMPLATE, layout.repo / ASSIGNMENT)
        graded = course / "autograded" / STUDENT / ASSIGNMENT
        views = {nb: notebook_view(graded, layout.repo / ASSIGNMENT, nb) for nb in NOTEBOOKS}
        log(
            f"Graded in {grade.seconds:.1f} s ({time.monotonic() - start:.1f} s in all): "
            f"{grade.scores}; problems: {grade.problems}"
        )
        return results_for(grade, cells, views, settings, time.monotonic() - start)
    finally:
        if os.environ.get(KEEP_ENV) != "1":
            shutil.rmtree(work, ignore_errors=True)


def run(root=None, log=print):
    """Grade ``ROOT/submission`` into ``ROOT/results/results.json``; return the results.

    Never raises: a failure of the grader becomes a NOT GRADED result (see the module
    docstring), with its traceback in the log (run_autograder's standard output,
    which only instructors see).
    """
    start = time.monotonic()
    layout = Layout.at(root)
    try:
        with _sigterm_raises():
            settings = Settings.load(layout.settings)
            data = _grade(layout, settings, start, log)
    except NotGraded as error:
        for_student, for_instructor = error.args
        log(f"NOT GRADED: {for_instructor}")
        data = not_graded(for_student, for_instructor, time.monotonic() - start)
    except (Exception, Terminated, KeyboardInterrupt) as error:
        stop_workers()
        log(traceback.format_exc())
        stopped = isinstance(error, (Terminated, KeyboardInterrupt))
        data = not_graded(
            "Grading ran out of time." if stopped else "The grader failed while grading it.",
            f"{type(error).__name__}: {error}\n{traceback.format_exc()[-3000:]}",
            time.monotonic() - start,
        )
    wrong = check_results(data)
    if wrong:
        log(f"results.json came out malformed: {wrong}")
        data = not_graded(
            "The grader's results came out malformed.", "; ".join(wrong), time.monotonic() - start
        )
    write_results(layout.results, data)
    log(f"Score {data['score']}; results: {layout.results}")
    return data
