"""One nbgrader course directory for the whole class, merged from the per-submission ones.

Submissions are autograded each in its own course directory (nbgrader's gradebook is
SQLite, one writer at a time). Afterwards :func:`merge_class` copies every result into
``OUTPUT/course/``: one gradebook holding every student's automatic scores, comments
and "needs manual grade" flags, with the submitted and autograded notebooks beside
it. Instructors grade the written answers there with nbgrader's formgrader and
export the final grades with ``nbgrader export``.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from .coursedir import ASSIGNMENT, write_config

GRADE_FIELDS = ("auto_score", "manual_score", "extra_credit", "needs_manual_grade")
COMMENT_FIELDS = ("auto_comment", "manual_comment")


def merge_class(template, work, course, student_ids):
    """Build the class course directory ``course`` from ``work/<id>/`` for each id.

    Returns the ids whose results were merged (a submission that was never
    autograded has nothing to merge).
    """
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    course = Path(course)
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    shutil.copytree(Path(template) / "source", course / "source")
    shutil.copyfile(Path(template) / "gradebook.db", course / "gradebook.db")
    write_config(course)
    merged = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as dst:
        for student_id in student_ids:
            own = Path(work) / student_id
            if not (own / "gradebook.db").is_file():
                continue
            with Gradebook(f"sqlite:///{own / 'gradebook.db'}") as src:
                try:
                    submission = src.find_submission(ASSIGNMENT, student_id)
                except MissingEntry:
                    continue
                dst.update_or_create_student(student_id)
                with warnings.catch_warnings():
                    # nbgrader's add_submission builds its rows before adding them to
                    # the session, and SQLAlchemy says so; the rows are added all the same.
                    warnings.simplefilter("ignore", SAWarning)
                    dst.add_submission(ASSIGNMENT, student_id, timestamp=submission.timestamp)
                _copy_scores(src, dst, submission, student_id)
            for step in ("submitted", "autograded"):
                if (own / step / student_id).is_dir():
                    shutil.copytree(own / step / student_id, course / step / student_id)
            merged.append(student_id)
    return merged


def _copy_scores(src, dst, submission, student_id):
    for nb in submission.notebooks:
        for grade in nb.grades:
            target = dst.find_grade(grade.name, nb.name, ASSIGNMENT, student_id)
            for name in GRADE_FIELDS:
                setattr(target, name, getattr(grade, name))
        for comment in nb.comments:
            target = dst.find_comment(comment.name, nb.name, ASSIGNMENT, student_id)
            for name in COMMENT_FIELDS:
                setattr(target, name, getattr(comment, name))
    dst.db.commit()


def class_scores(course):
    """{student_id: {notebook: score}} read back from the class gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            out[submission.student.id] = {nb.name: nb.score for nb in submission.notebooks}
    return out
