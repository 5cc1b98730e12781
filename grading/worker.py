"""Grade one submission in its own course directory: ``python -m grading.worker COURSE ID``.

Run by :mod:`grading.autograde` as a subprocess, one per submission, so that a
submission that crashes or hangs costs only itself. Steps, all through nbgrader's API:
autograde (execute every cell, score the test cells into the gradebook); copy the
autograded notebooks and remove what students must not see (:mod:`grading.feedback`);
generate the feedback HTML from that copy; write ``result.json`` with the scores read
back from the gradebook.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from .course import ASSIGNMENT
from .feedback import hide_hidden_tests

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


def scores(course, student_id):
    """{notebook: {"score", "max", "pending"}} from the course's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        try:
            submission = gb.find_submission(ASSIGNMENT, student_id)
        except MissingEntry:
            return out
        for nb in submission.notebooks:
            pending = sum(g.max_score for g in nb.grades if g.needs_manual_grade)
            out[nb.name] = {"score": nb.score, "max": nb.max_score, "pending": pending}
    return out


def grade(course, student_id):
    course = Path(course).resolve()
    problems = []
    result = _api(course).autograde(ASSIGNMENT, student_id)
    if not result.get("success"):
        problems.append(f"autograde failed: {_last_error(result)}")
    autograded = course / "autograded" / student_id / ASSIGNMENT
    public = course / PUBLIC / student_id / ASSIGNMENT
    if autograded.is_dir():
        shutil.copytree(autograded, public, dirs_exist_ok=True)
        for path in sorted(public.glob("*.ipynb")):
            hide_hidden_tests(path)
        feedback = _api(course, autograded_directory=PUBLIC).generate_feedback(
            ASSIGNMENT, student_id
        )
        if not feedback.get("success"):
            problems.append(f"feedback failed: {_last_error(feedback)}")
    return {"scores": scores(course, student_id), "problems": problems}


def main(argv=None):
    course, student_id = (argv or sys.argv[1:])[:2]
    outcome = grade(course, student_id)
    (Path(course) / "result.json").write_text(json.dumps(outcome, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
