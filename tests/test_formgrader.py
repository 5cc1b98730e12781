"""Formgrader, for real: manual grades through its HTTP API, and its autograde refused.

A small nbgrader course is built with nbgrader itself (one notebook: an autograded code
answer with its test cell, and a written answer graded by hand), one student's
submission is autograded, and then the course's configuration gets
:data:`grading.course.formgrader.DISABLED_AUTOGRADE_CONFIG`. A real Jupyter server with
formgrader then serves that folder (tests/formgrader_server.py).
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook

from grading.course.formgrader import (
    DISABLED_AUTOGRADE_CONFIG,
    MARKER,
    REASON,
    disable_autograde,
)
from grading.coursedir import run_nbgrader
from tests.formgrader_server import (
    FormgraderClient,
    FormgraderError,
    jupyter_env,
    running_formgrader,
)

ASSIGNMENT, NOTEBOOK, STUDENT = "ps1", "p1", "bitdiddle"
WRITTEN = "why"  # grade_id of the written answer
CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "formgrader-test"
c.Exchange.root = {exchange!r}
"""


def _cell(make, source, **nbgrader):
    meta = {
        "schema_version": 3,
        "solution": False,
        "grade": False,
        "locked": False,
        "task": False,
        **nbgrader,
    }
    return make(source, metadata={"nbgrader": meta})


def _source_notebook():
    return new_notebook(
        cells=[
            _cell(
                new_code_cell,
                "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
                solution=True,
                grade_id="square",
            ),
            _cell(
                new_code_cell,
                "assert square(3) == 9",
                grade=True,
                locked=True,
                points=1,
                grade_id="test_square",
            ),
            _cell(
                new_markdown_cell,
                "Why is a square never negative?",
                locked=True,
                grade_id="question",
            ),
            _cell(
                new_markdown_cell,
                "### BEGIN SOLUTION\nA product of equal signs.\n### END SOLUTION",
                solution=True,
                grade=True,
                points=2,
                grade_id=WRITTEN,
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def _answer(path):
    nb = nbformat.read(path, as_version=4)
    answers = {
        "square": "def square(x):\n    return x ** 2",
        WRITTEN: "Both factors have the same sign.",
    }
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.source = answers.get(grade_id, cell.source)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """nbgrader's and the server's environment: the venv first on PATH, grading importable."""
    return jupyter_env(tmp_path_factory.mktemp("jupyter-home"))


@pytest.fixture(scope="module")
def course(tmp_path_factory, env):
    """An autograded course folder whose configuration then disables autograde."""
    root = tmp_path_factory.mktemp("course")
    (root / "exchange").mkdir()
    (root / "nbgrader_config.py").write_text(CONFIG.format(exchange=str(root / "exchange")))
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(_source_notebook(), root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    run_nbgrader(root, "generate_assignment", ASSIGNMENT, env=env, timeout=120)
    submitted = root / "submitted" / STUDENT / ASSIGNMENT
    submitted.mkdir(parents=True)
    released = root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    (submitted / f"{NOTEBOOK}.ipynb").write_bytes(released.read_bytes())
    _answer(submitted / f"{NOTEBOOK}.ipynb")
    run_nbgrader(root, "autograde", ASSIGNMENT, env=env, timeout=120)
    disable_autograde(root)
    return root


@pytest.fixture(scope="module")
def formgrader(course, env):
    with running_formgrader(course, env=env, timeout=60) as client:
        yield client


def _gradebook_grade(course, grade_id):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_grade(grade_id, NOTEBOOK, ASSIGNMENT, STUDENT).to_dict()


def _gradebook_comment(course, grade_id):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_comment(grade_id, NOTEBOOK, ASSIGNMENT, STUDENT).to_dict()


def _ids(client):
    nb = client.submission_notebook(ASSIGNMENT, STUDENT, NOTEBOOK)
    grades = {g["name"]: g for g in nb["grades"]}
    comments = {c["name"]: c for c in nb["comments"]}
    return grades, comments


def test_course_config_ends_with_the_disabling_lines(course):
    text = (course / "nbgrader_config.py").read_text()
    assert text.endswith(DISABLED_AUTOGRADE_CONFIG)
    disable_autograde(course)  # a second call adds nothing
    assert (course / "nbgrader_config.py").read_text().count(MARKER) == 1


def test_disable_autograde_needs_a_course_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nbgrader_config\.py"):
        disable_autograde(tmp_path)


def test_formgrader_lists_the_autograded_submission(formgrader):
    (row,) = formgrader.submissions(ASSIGNMENT)
    assert (row["student"], row["autograded"], row["needs_manual_grade"]) == (STUDENT, True, True)
    assert (row["code_score"], row["max_written_score"]) == (1.0, 2.0)
    grades, comments = _ids(formgrader)
    assert grades["test_square"]["auto_score"] == 1.0
    assert grades[WRITTEN]["needs_manual_grade"] is True
    assert WRITTEN in comments


def test_manual_grade_and_comment_are_saved(formgrader, course):
    grades, comments = _ids(formgrader)
    grade_id, comment_id = grades[WRITTEN]["id"], comments[WRITTEN]["id"]
    saved = formgrader.set_manual_grade(grade_id, 1.5)
    assert (saved["manual_score"], saved["needs_manual_grade"]) == (1.5, False)
    formgrader.set_comment(comment_id, "Right idea; say why the product is positive.")
    assert formgrader.get_grade(grade_id)["manual_score"] == 1.5
    text = formgrader.get_comment(comment_id)["manual_comment"]
    assert text == "Right idea; say why the product is positive."
    grade, comment = _gradebook_grade(course, WRITTEN), _gradebook_comment(course, WRITTEN)
    assert (grade["manual_score"], grade["needs_manual_grade"]) == (1.5, False)
    assert comment["manual_comment"] == text


def test_autograde_button_refuses_with_the_reason(formgrader, course):
    grades, comments = _ids(formgrader)
    formgrader.set_manual_grade(grades[WRITTEN]["id"], 2.0)
    formgrader.set_comment(comments[WRITTEN]["id"], "Complete.")
    autograded = course / "autograded" / STUDENT / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    before = autograded.read_bytes()

    result = formgrader.autograde(ASSIGNMENT, STUDENT)

    assert result["success"] is False, result
    assert REASON in result["log"]  # formgrader's dialog: "Log Output"
    assert result["error"].rstrip().endswith(REASON)  # and the traceback's last line
    assert REASON in formgrader.server_log()
    grade, comment = _gradebook_grade(course, WRITTEN), _gradebook_comment(course, WRITTEN)
    assert (grade["manual_score"], comment["manual_comment"]) == (2.0, "Complete.")
    assert _gradebook_grade(course, "test_square")["auto_score"] == 1.0
    assert autograded.read_bytes() == before  # what formgrader shows for grading


def test_requests_without_the_token_are_refused(formgrader):
    grades, _ = _ids(formgrader)
    anonymous = FormgraderClient(formgrader.base_url, token=None)
    with pytest.raises(FormgraderError) as put:
        anonymous.set_manual_grade(grades[WRITTEN]["id"], 0.0)
    assert put.value.status == 403
    with pytest.raises(FormgraderError) as get:
        anonymous.submissions(ASSIGNMENT)
    assert get.value.status == 302  # to the login page
    with pytest.raises(FormgraderError) as post:
        anonymous.autograde(ASSIGNMENT, STUDENT)
    assert post.value.status == 403


@pytest.mark.parametrize("importable", [True, False])
def test_command_line_autograde_refuses(course, env, importable, tmp_path):
    # Where `grading` cannot be imported (a machine without the kit installed: here a
    # package of that name that fails to import shadows it), the configuration cannot
    # be honoured: still no run.
    run_env = dict(env)
    if not importable:
        (tmp_path / "grading").mkdir()
        (tmp_path / "grading" / "__init__.py").write_text("raise ImportError('no kit here')\n")
        run_env["PYTHONPATH"] = str(tmp_path)
    autograded = course / "autograded" / STUDENT / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    before = autograded.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"],
        cwd=course,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    expected = REASON if importable else "'exporter_class' trait"
    assert expected in output
    assert autograded.read_bytes() == before
