"""The class gradebook: nbgrader's own database, filled one submission at a time.

Each submission is graded in scratch space with a gradebook of its own (nbgrader's is
SQLite, one writer at a time; the graders run in parallel). :func:`commit_submission`
then copies its results into ``COURSE/gradebook.db`` as soon as it is graded, in the
coordinating process alone. What a person entered there is never overwritten:

- a test cell gets the grader's new ``auto_score``; a manual score or extra credit a
  TA gave it stays, and nbgrader lets it take precedence;
- a written answer gets nbgrader's new automatic state (0 when unchanged from the
  release, "needs manual grade" otherwise) unless a TA already graded it: then its
  manual score and the flag stay as the TA left them;
- comments get the new ``auto_comment``; ``manual_comment`` stays.
"""

from __future__ import annotations

import datetime
import warnings
from pathlib import Path

from ..coursedir import ASSIGNMENT
from ..run.sanitize import inert_name


def open_gradebook(course):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}")


def _utc_naive(when):
    """nbgrader stores naive UTC datetimes."""
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def ensure_student(gb, student_id, info=None):
    """Create or update the gradebook's student with the roster's names and email."""
    info = info or {}
    # formgrader writes the names into its page unescaped: no markup gets there.
    fields = {
        k: (inert_name(info[k]) if k.endswith("_name") else info[k])
        for k in ("first_name", "last_name", "email", "lms_user_id")
        if info.get(k)
    }
    return gb.update_or_create_student(student_id, **fields)


def commit_submission(
    course, scratch_db, student_id, cells, notebooks, timestamp=None, student=None
):
    """Copy one graded submission into the class gradebook; keep what people entered.

    Parameters
    ----------
    course : path
        The course folder (its ``gradebook.db``).
    scratch_db : path
        The gradebook the submission was graded with (may lack the submission when
        nbgrader could not record it).
    student_id : str
    cells : dict
        {notebook: {grade_id: score}}: the grader's verdicts on the test cells.
    notebooks : list of str
        The notebooks this grading covered; the others are left as they are.
    timestamp : datetime, optional
        When the graded attempt was handed in.
    student : dict, optional
        ``first_name``, ``last_name``, ``email``, ``lms_user_id`` for the gradebook.

    Returns
    -------
    list of str
        The notebooks in which a person had already entered a grade or comment (kept).
    """
    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SAWarning

    kept = []
    with open_gradebook(course) as dst:
        ensure_student(dst, student_id, student)
        try:
            submission = dst.find_submission(ASSIGNMENT, student_id)
        except MissingEntry:
            with warnings.catch_warnings():
                # add_submission builds its rows before adding them to the session, and
                # SQLAlchemy says so; the rows are added all the same.
                warnings.simplefilter("ignore", SAWarning)
                submission = dst.add_submission(ASSIGNMENT, student_id)
        submission.timestamp = _utc_naive(timestamp)
        source = _source_rows(scratch_db, student_id)
        for nb in submission.notebooks:
            if nb.name not in notebooks:
                continue
            touched = _commit_notebook(nb, cells.get(nb.name, {}), source.get(nb.name))
            if touched:
                kept.append(nb.name)
        dst.db.commit()
    return kept


def _source_rows(scratch_db, student_id):
    """{notebook: ({grade_id: (auto_score, needs_manual)}, {cell: auto_comment})} from scratch."""
    from nbgrader.api import Gradebook, MissingEntry

    if not Path(scratch_db).is_file():
        return {}
    out = {}
    with Gradebook(f"sqlite:///{scratch_db}") as src:
        try:
            submission = src.find_submission(ASSIGNMENT, student_id)
        except MissingEntry:
            return {}
        for nb in submission.notebooks:
            grades = {g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades}
            comments = {c.name: c.auto_comment for c in nb.comments}
            out[nb.name] = (grades, comments)
    return out


def _commit_notebook(nb, verdicts, source):
    """Update one submitted notebook's rows; True if a person had entered something."""
    grades, comments = source or ({}, {})
    touched = False
    for grade in nb.grades:
        entered = grade.manual_score is not None or grade.extra_credit is not None
        touched |= entered
        if grade.cell.cell_type == "code":
            grade.auto_score = float(verdicts.get(grade.name, 0.0))
            grade.needs_manual_grade = False
        elif not entered:
            if grade.name in grades:  # answered: waits for a person; unanswered: 0
                auto, needs = grades[grade.name]
            elif verdicts:  # handed in, but nbgrader has no record of it: a person looks
                auto, needs = None, True
            else:  # not handed in
                auto, needs = 0.0, False
            _set_unless_graded(grade, auto, bool(needs))
    for comment in nb.comments:
        touched |= bool(comment.manual_comment)
        comment.auto_comment = comments.get(comment.name)
    return touched


def _set_unless_graded(grade, auto, needs):
    """Set a written answer's automatic state, unless a person graded it meanwhile.

    One UPDATE whose WHERE re-checks the manual score in the database: a TA saving a
    grade in formgrader between our read and our write keeps it, flag included.
    """
    from nbgrader.api import Grade
    from sqlalchemy.orm import object_session

    object_session(grade).query(Grade).filter(
        Grade.id == grade.id,
        Grade.manual_score.is_(None),
        Grade.extra_credit.is_(None),
    ).update({"auto_score": auto, "needs_manual_grade": needs}, synchronize_session=False)


def class_scores(course):
    """{student_id: {notebook: score}} read back from the class gradebook."""
    out = {}
    with open_gradebook(course) as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            out[submission.student.id] = {nb.name: nb.score for nb in submission.notebooks}
    return out
