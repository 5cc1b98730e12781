"""``results.json`` as Gradescope reads it, from a :class:`~grading.run.autograde.Grade`.

One scored test per autograded test cell (``score``, ``max_score``, a readable
``name``, ``output``, ``visibility``), one unscored entry per written answer (graded
by hand: it counts for nothing here), a first entry saying what was found in the
submission, and the top-level ``score`` (the nbgrader path's total, exactly),
``output`` and ``execution_time``. Gradescope's schema: "Autograder Specifications"
(gradescope-autograders.readthedocs.io/en/latest/specs/).

What a test's output may say is what the student's feedback page says (the points,
the error the visible test raised, what the grader's checks found); the checks' code,
inputs and reference values are never in it. What the grader's checks found can be
held back until the due date (``Settings.details``): it then goes into one entry of
its own with that visibility, and the scored tests stay visible, so the student sees
every score at once. Everything the student controls (file names in problems, error
text from their notebook) is cleaned of control characters and cut to a few lines;
every output is plain text (``output_format: text``), shown as is.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from ..coursedir import NOTEBOOKS
from .layout import VISIBILITIES

__all__ = ["check_results", "clean_text", "not_graded", "results_for", "write_results"]

TEST_OUTPUT = 1500  # characters of one test's output
SUMMARY_OUTPUT = 8000  # of the top-level output and of the first entry
DETAILS_OUTPUT = 30000  # of what the checks found, every failed cell's
LINE = 200  # of one line of problems
MAX_LINES = 15  # problem lines listed (and as many restored cells); the rest are counted
DETAILS_NAME = "What the grader's checks found in failed test cells"
FORMATS = ("text", "html", "simple_format", "md", "ansi")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean_text(text, limit=LINE):
    """``text`` made plain and short: valid UTF-8, no terminal escapes or control
    characters (newlines and tabs kept), at most ``limit`` characters."""
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    text = _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: max(0, limit - 12)].rstrip() + " ... (cut)"
    return text


def _points(x):
    x = float(x)
    return int(x) if x.is_integer() else round(x, 2)


def _lines(items, limit=MAX_LINES):
    items = [clean_text(item) for item in items]
    more = len(items) - limit
    return [f"- {item}" for item in items[:limit]] + (
        [f"- ... and {more} more"] if more > 0 else []
    )


def _scored(cell, grade, view_errors, settings):
    earned = grade.cells.get(cell.notebook, {}).get(cell.grade_id)
    score = float(earned or 0.0)
    head = f"{_points(score)} / {_points(cell.points)} points."
    if earned is None:
        lines = [head, f"{cell.notebook}.ipynb was not graded: see the first entry."]
    elif score >= cell.points:
        lines = [f"{head} Every check of this cell passed."]
    else:
        lines = [head]
        error = view_errors.get(cell.grade_id)
        if error:
            lines.append(f"The test cell failed: {clean_text(error)}")
        found = grade.failed.get(cell.grade_id, [])
        if settings.details == "visible":
            lines += ["What failed:", *_lines(found)] if found else []
        elif found:
            lines.append(
                f"The grader's own checks found a problem; what they found is listed in "
                f'"{DETAILS_NAME}" ({settings.details.replace("_", " ")}).'
            )
    return {
        "name": cell.name,
        "number": cell.number,
        "score": _points(score),
        "max_score": _points(cell.points),
        "output": clean_text("\n".join(lines), TEST_OUTPUT),
        "visibility": "visible",
    }


def _written(cell, answered):
    given = answered.get(cell.grade_id)
    state = (
        "An answer was found."
        if given
        else "No answer was found (the cell is as released)."
        if given is False
        else f"{cell.notebook}.ipynb was not graded."
    )
    return {
        "name": f"{cell.name} ({_points(cell.points)} points, graded by hand)",
        "number": cell.number,
        "status": "passed" if given else "failed",
        "output": (
            f"{state} Written answers are graded by hand by the course staff, after the "
            "deadline; their points are not part of the autograder's score."
        ),
        "visibility": "visible",
    }


def _details(cells, grade, visibility):
    lines = []
    for cell in cells:
        found = grade.failed.get(cell.grade_id)
        if found and not cell.written:
            lines += [f"{cell.name}:", *_lines(found, 10)]
    return {
        "name": DETAILS_NAME,
        "status": "failed" if lines else "passed",
        "output": clean_text("\n".join(lines) or "Every check passed.", DETAILS_OUTPUT),
        "visibility": visibility,
    }


def _found(grade, cells):
    graded = [nb for nb in NOTEBOOKS if nb in grade.cells]
    missing = [f"{nb}.ipynb" for nb in NOTEBOOKS if nb not in grade.cells]
    lines = [
        f"Graded: {', '.join(f'{nb}.ipynb' for nb in graded) or 'no notebook'}."
        + (f" Not graded (0 points): {', '.join(missing)}." if missing else "")
    ]
    if grade.problems:
        lines += ["What the grader noticed in the submission:", *_lines(grade.problems)]
    if grade.restored:
        lines += [
            "Test or read-only cells you changed were put back as released before grading:",
            *_lines(grade.restored),
        ]
    return {
        "name": "Submission: the notebooks found and graded",
        "status": "passed" if not missing and not grade.problems else "failed",
        "output": clean_text("\n".join(lines), SUMMARY_OUTPUT),
        "visibility": "visible",
    }


def results_for(grade, cells, views, settings, seconds):
    """The results.json of one graded submission.

    Parameters
    ----------
    grade : grading.run.autograde.Grade
        The submission's grade, as the nbgrader path computed it.
    cells : list of grading.gradescope.cells.GradedCell
        Every grade cell of the assignment (:func:`~grading.gradescope.cells.graded_cells`).
    views : dict
        {notebook: :class:`~grading.gradescope.cells.NotebookView`} of the graded notebooks.
    settings : grading.gradescope.layout.Settings
        The zip's settings (who sees what the checks found, and when).
    seconds : float
        The time grading took, for ``execution_time``.

    Returns
    -------
    dict
        Gradescope's results: ``score`` is the sum of the notebooks' automatic points.
    """
    errors = {k: v for view in views.values() for k, v in view.errors.items()}
    answered = {k: v for view in views.values() for k, v in view.answered.items()}
    tests = [_found(grade, cells)]
    for cell in cells:
        tests.append(
            _written(cell, answered) if cell.written else _scored(cell, grade, errors, settings)
        )
    if settings.details != "visible":
        tests.append(_details(cells, grade, settings.details))
    score = sum(float(s.get("score", 0.0)) for s in grade.scores.values())
    auto = sum(c.points for c in cells if not c.written)
    written = sum(c.points for c in cells if c.written)
    summary = [
        f"Autograded: {_points(score)} / {_points(auto)} points.",
        f"Written answers ({_points(written)} points) are graded by hand after the deadline "
        "and are not part of this score.",
    ]
    missing = [f"{nb}.ipynb" for nb in NOTEBOOKS if nb not in grade.cells]
    if missing:
        summary.append(f"Not graded (0 points): {', '.join(missing)}.")
    if grade.problems:
        summary += ["Problems with the submission:", *_lines(grade.problems, 5)]
    if grade.restored:
        summary.append(
            f"{len(grade.restored)} change(s) to test or read-only cells were undone before "
            "grading."
        )
    if len(summary) > 2:
        summary.append('Details: the entry "Submission: the notebooks found and graded".')
    return {
        "score": _points(score),
        "execution_time": round(seconds),
        "output": clean_text("\n".join(summary), SUMMARY_OUTPUT),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def not_graded(for_student, for_instructor, seconds):
    """The results.json of a submission the grader could not grade (not the student's doing).

    Its score is 0 and says so: a first, visible entry tells the student the submission
    was NOT graded and why in plain words; a hidden entry gives the instructor the
    technical reason (a hidden entry also keeps Gradescope from showing a total).
    """
    text = (
        "NOT GRADED. " + clean_text(for_student, SUMMARY_OUTPUT) + " This is a problem of the "
        "grader's environment, not of your submission: the 0 is a placeholder, not a grade. "
        "Your instructor can see the reason and will grade it again."
    )
    return {
        "score": 0,
        "execution_time": round(seconds),
        "output": text,
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "stdout_visibility": "hidden",
        "tests": [
            {"name": "NOT GRADED", "status": "failed", "output": text, "visibility": "visible"},
            {
                "name": "For the instructor: why the submission was not graded",
                "status": "failed",
                "output": clean_text(for_instructor, SUMMARY_OUTPUT),
                "visibility": "hidden",
            },
        ],
        "extra_data": {"not_graded": True},
    }


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_test(i, test):
    if not isinstance(test, dict):
        return [f"tests[{i}] is not an object"]
    out = []
    if not isinstance(test.get("name"), str) or not test["name"]:
        out.append(f"tests[{i}] has no name")
    scored = [k for k in ("score", "max_score") if k in test]
    if any(not _number(test[k]) for k in scored):
        out.append(f"tests[{i}]: score and max_score must be finite numbers")
    if "score" in test and "max_score" not in test:
        out.append(f"tests[{i}] has a score without a max_score")
    if not scored and test.get("status") not in ("passed", "failed"):
        out.append(f"tests[{i}] has neither a score nor a status")
    if "status" in test and test["status"] not in ("passed", "failed"):
        out.append(f"tests[{i}]: status {test['status']!r} is not passed or failed")
    if test.get("visibility", "visible") not in VISIBILITIES:
        out.append(
            f"tests[{i}]: visibility {test.get('visibility')!r} is not one of {VISIBILITIES}"
        )
    if not isinstance(test.get("output", ""), str):
        out.append(f"tests[{i}]: output is not text")
    return out


def check_results(data):
    """What is wrong with ``data`` as Gradescope's results.json: [] when nothing is."""
    if not isinstance(data, dict):
        return ["results.json must hold a JSON object"]
    out = []
    if not _number(data.get("score")):
        out.append("the top-level score is missing or not a finite number")
    if not _number(data.get("execution_time", 0)):
        out.append("execution_time is not a number")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if data.get(key, "text") not in FORMATS:
            out.append(f"{key} {data.get(key)!r} is not one of {FORMATS}")
    for key in ("visibility", "stdout_visibility"):
        if data.get(key, "visible") not in VISIBILITIES:
            out.append(f"{key} {data.get(key)!r} is not one of {VISIBILITIES}")
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        return [*out, "tests is not a list"]
    for i, test in enumerate(tests):
        out += _check_test(i, test)
    return out


def write_results(path, data):
    """Write ``data`` to ``path`` at once (a temporary file renamed over it), ASCII JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=True, allow_nan=False) + "\n")
    os.replace(tmp, path)
    return path
