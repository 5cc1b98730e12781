"""Tests of ``python -m cs231n_lib.check``: the report on small in-memory notebooks, a real
kernel on a tiny notebook (no data), and knn.ipynb of the release end to end (CIFAR-10)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cs231n_lib import check
from cs231n_lib._check_report import ERROR_WIDTH, evaluate, format_report, one_line
from cs231n_lib._student_files import BrokenFile, Todo
from tests.test_submit import REPO, SUBMIT_FILES, release_copy

KNN = "cs231n_lib/classifiers/k_nearest_neighbor.py"
STUB = "KNearestNeighbor.{}: write the code for the TODO above, in " + KNN + "."
TOOL_FILES = (*SUBMIT_FILES, "check.py", "_check_report.py")
NOISE = ("Traceback", "Kernel is running over TCP", "[IPKernelApp]", "Warning:")


def graded_cell(grade_id, source="pass", points=2, outputs=()):
    return new_code_cell(
        source,
        outputs=list(outputs),
        metadata={
            "nbgrader": {"grade": True, "solution": False, "grade_id": grade_id, "points": points}
        },
    )


def error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"\x1b[0;31m{ename}\x1b[0m"])


def answer_cell(kind, source, grade_id):
    meta = {"nbgrader": {"solution": True, "grade": kind == "markdown", "grade_id": grade_id}}
    make = new_markdown_cell if kind == "markdown" else new_code_cell
    return make(source, metadata=meta)


TODOS = [
    Todo(KNN, f"KNearestNeighbor.{name}", "function", line)
    for name, line in [("compute_distances_two_loops", 120), ("predict_labels", 206)]
]


def small_notebook():
    """Two sections: one whose test passes, one whose test misses what a stub did not make."""
    return new_notebook(
        cells=[
            new_markdown_cell("# kNN"),
            new_markdown_cell("## Distances with two loops"),
            new_code_cell(
                "dists = classifier.compute_distances_two_loops(X)",
                outputs=[error("NotImplementedError", STUB.format("compute_distances_two_loops"))],
            ),
            new_code_cell(
                "print(dists.shape)", outputs=[error("NameError", "name 'dists' is not defined")]
            ),
            graded_cell(
                "knn-test-two-loops",
                "assert dists.shape",
                3,
                [error("NameError", "name 'dists' is not defined")],
            ),
            new_markdown_cell("**Inline question 1** (2 points)"),
            answer_cell("markdown", "YOUR ANSWER HERE", "knn-written-rows"),
            new_markdown_cell("## Predicting labels"),
            graded_cell(
                "knn-test-predict-labels",
                "print('ok')",
                3,
                [new_output("stream", name="stdout", text="ok\n")],
            ),
            new_markdown_cell("## Choosing k"),
            answer_cell(
                "code", "raise NotImplementedError('Write your code here.')", "knn-answer-best-k"
            ),
            new_code_cell(
                "print(best_k)", outputs=[error("NameError", "name 'best_k' is not defined")]
            ),
            graded_cell(
                "knn-test-best-k",
                "assert best_k",
                2,
                [error("NameError", "name 'best_k' is not defined")],
            ),
            new_markdown_cell("**Question 2.** The older heading."),
            answer_cell("markdown", "**Your answer:** YOUR ANSWER HERE", "knn-written-k"),
        ]
    ).cells


def test_report_names_tests_points_errors_and_what_to_look_at():
    cells = small_notebook()
    cells[10].outputs = [error("NotImplementedError", "Write your code here.")]
    report = evaluate("knn.ipynb", cells, TODOS)
    assert [(t.name, t.points, t.passed) for t in report.tests] == [
        ("“two loops” in section “Distances with two loops”", 3, False),
        ("“predict labels” in section “Predicting labels”", 3, True),
        ("“best k” in section “Choosing k”", 2, False),
    ]
    two_loops, _, best_k = report.tests
    assert two_loops.error == "NameError: name 'dists' is not defined"
    assert two_loops.look_at == (
        f"function `KNearestNeighbor.compute_distances_two_loops` in {KNN} (line 120)",
    )
    assert best_k.look_at == ("knn.ipynb, code cell “best k” in section “Choosing k”",)
    assert [str(todo) for todo in report.unanswered] == [
        "knn.ipynb, Inline question 1",
        "knn.ipynb, Inline question 2",
    ]
    assert not report.ok
    assert report.summary() == (
        "knn.ipynb: 1 of 3 checks pass, 3/8 autograded points if the hidden tests pass too"
    )


def test_report_lines():
    report = evaluate("knn.ipynb", small_notebook(), TODOS)
    assert format_report(report) == [
        "knn.ipynb",
        "  FAIL  “two loops” in section “Distances with two loops” (3 points)",
        "        NameError: name 'dists' is not defined",
        f"        look at: function `KNearestNeighbor.compute_distances_two_loops` in {KNN} "
        "(line 120)",
        "  PASS  “predict labels” in section “Predicting labels” (3 points)",
        "  FAIL  “best k” in section “Choosing k” (2 points)",
        "        NameError: name 'best_k' is not defined",
        # The answer cell has no error output here: the first failing cell is named instead.
        "        look at: the code cell in section “Choosing k”, which failed first: "
        "NameError: name 'best_k' is not defined",
        "  Written answers still to write (graded by hand, not checked here): "
        "Inline question 1, Inline question 2",
        "  knn.ipynb: 1 of 3 checks pass, 3/8 autograded points if the hidden tests pass too.",
    ]


def test_a_name_error_is_followed_to_the_cell_that_should_define_it():
    where = 'File "/home/me/assignment1/cs231n_lib/cross_validation.py", line 9'
    failed_import = new_output(
        "error", ename="SyntaxError", evalue="invalid syntax", traceback=[where, "SyntaxError"]
    )
    cells = [
        new_markdown_cell("## Load"),
        new_code_cell("from cs231n_lib import tune\nclassifier = make()", outputs=[failed_import]),
        graded_cell("knn-test-load", "pass", 1),
        new_markdown_cell("## Test"),
        new_code_cell(
            "y = 1", outputs=[error("NotImplementedError", STUB.format("predict_labels"))]
        ),
        graded_cell(
            "knn-test-a",
            "assert classifier",
            1,
            [error("NameError", "name 'classifier' is not defined")],
        ),
    ]
    broken = [BrokenFile("cs231n_lib/cross_validation.py", 9, "invalid syntax")]
    load, test = evaluate("knn.ipynb", cells, TODOS, broken).tests
    assert load.passed
    assert test.look_at == (
        f"function `KNearestNeighbor.predict_labels` in {KNN} (line 206)",
        "cs231n_lib/cross_validation.py, line 9: invalid syntax (the file does not compile)",
    )


def test_a_name_nothing_defines_leads_to_the_answer_cell_above():
    missing = "Expected best, made by the search cell above: run that cell first."
    cells = [
        new_markdown_cell("## Tuning"),
        answer_cell("code", "# YOUR CODE HERE\nraise NotImplementedError()", "knn-answer-tuning"),
        new_code_cell("best = search(rates)"),
        graded_cell("knn-test-tuning", "assert 'best' in globals()", 2),
        new_markdown_cell("## Evaluate"),
        new_code_cell("pred = best.predict()"),
        graded_cell("knn-test-eval", "assert 'best' in globals()", 1),
    ]
    cells[1].outputs = [error("NotImplementedError", "")]
    cells[2].outputs = [error("NameError", "name 'rates' is not defined")]
    cells[3].outputs = cells[6].outputs = [error("AssertionError", missing)]
    cells[5].outputs = [error("NameError", "name 'best' is not defined")]
    answer = "knn.ipynb, code cell “tuning” in section “Tuning”"
    tuning, evaluate_test = evaluate("knn.ipynb", cells).tests
    assert tuning.look_at == (answer,)
    # best: made by the search cell, which missed rates, which no cell defines.
    assert evaluate_test.look_at == (answer,)
    assert evaluate_test.error == f"AssertionError: {missing}"


def test_stderr_fails_a_test_as_nbgrader_scores_it_and_long_errors_are_cut():
    long = "x" * 500
    cells = [
        graded_cell(
            "knn-test-a",
            outputs=[
                new_output("stream", name="stdout", text="fine\n"),
                new_output("stream", name="stderr", text="Warn: a\n"),
            ],
        ),
        graded_cell("knn-test-b", outputs=[error("AssertionError", f"Expected\n  {long}")]),
        graded_cell("knn-test-c", outputs=[]),
    ]
    a, b, c = evaluate("knn.ipynb", cells).tests
    assert (a.passed, a.error) == (False, "wrote to stderr, which the grader scores 0: Warn: a")
    assert len(b.error) == ERROR_WIDTH
    assert b.error.startswith("AssertionError: Expected xxx")
    assert b.error.endswith("…")
    assert c.passed
    assert a.name == "“a” above the first heading"


def test_a_test_that_did_not_run_fails():
    cells = [graded_cell("knn-test-a"), graded_cell("knn-test-b")]
    report = evaluate("knn.ipynb", cells, ran={0})
    assert [(t.passed, t.error) for t in report.tests] == [
        (True, ""),
        (False, "did not run: the notebook stopped before this cell"),
    ]


def test_one_line_removes_colours_and_newlines():
    assert one_line("\x1b[0;31mValueError\x1b[0m: a\n  b") == "ValueError: a b"
    assert one_line("abcdef", width=4) == "abc…"


@pytest.mark.parametrize("variable", ["CS231N_GRADING", "CS231N_CHECKING"])
def test_check_notebook_does_nothing_while_grading_or_checking(monkeypatch, capsys, variable):
    monkeypatch.setenv(variable, "1")
    monkeypatch.setattr(check, "run_checks", lambda *a, **k: pytest.fail("must not run"))
    assert check.check_notebook("knn.ipynb") is None
    assert capsys.readouterr().out == (
        "check_notebook('knn.ipynb'): skipped while grading or checking.\n"
    )


def test_check_notebook_reminds_to_save_first(monkeypatch, capsys):
    monkeypatch.delenv("CS231N_GRADING", raising=False)
    monkeypatch.delenv("CS231N_CHECKING", raising=False)
    calls = []
    monkeypatch.setattr(check, "run_checks", lambda *a, **k: calls.append((a, k)))
    check.check_notebook("knn.ipynb")
    assert "save the notebook first" in capsys.readouterr().out
    assert calls == [((None, ["knn.ipynb"]), {"progress": True})]


def test_setup_and_check_cells_are_emptied_in_the_copy_only(tmp_path):
    nb = new_notebook(
        cells=[
            new_code_cell("mount()", metadata={"tags": ["setup"]}),
            new_code_cell("x = 1"),
            new_code_cell("check_notebook('a.ipynb')", metadata={"tags": ["check", "other"]}),
        ]
    )
    nbformat.write(nb, tmp_path / "a.ipynb")
    copy = check._kernel_notebook(tmp_path / "a.ipynb")
    assert [cell.source for cell in copy.cells] == ["", "x = 1", ""]
    assert nbformat.read(tmp_path / "a.ipynb", as_version=4).cells[0].source == "mount()"


def test_folder_without_assignment_is_an_error(tmp_path, capsys):
    assert check.main(["--folder", str(tmp_path)]) == 2
    assert "is not an assignment folder" in capsys.readouterr().err


# A tiny assignment folder run by a real kernel: no data needed.
TINY_PACKAGE = """\
def double(x):
    raise NotImplementedError(
        "double: write the code for the TODO above, in cs231n_lib/tiny.py."
    )


def triple(x):
    return 3 * x
"""


def tiny_notebook():
    setup = new_code_cell(
        "raise RuntimeError('the setup cell must not run')", metadata={"tags": ["setup"]}
    )
    check_cell = new_code_cell(
        "raise RuntimeError('the check cell must not run')", metadata={"tags": ["check"]}
    )
    return new_notebook(
        cells=[
            new_markdown_cell("# Tiny"),
            setup,
            new_code_cell(
                "import os, sys\nfrom cs231n_lib.tiny import double, triple\n"
                "GRADING = os.environ['CS231N_GRADING'] == '1' == os.environ['CS231N_CHECKING']\n"
                "HERE = os.getcwd()"
            ),
            new_markdown_cell("## Triple"),
            graded_cell("knn-test-triple", "assert triple(2) == 6 and GRADING\nprint(HERE)", 2),
            new_markdown_cell("## Double"),
            new_code_cell("y = double(2)"),
            graded_cell("knn-test-double", "assert y == 4", 3),
            new_markdown_cell("## Warnings"),
            graded_cell("knn-test-stderr", "import sys\nprint('careful', file=sys.stderr)", 1),
            check_cell,
        ]
    )


@pytest.fixture
def tiny(tmp_path):
    folder = tmp_path / "assignment1"
    (folder / "cs231n_lib").mkdir(parents=True)
    for name in TOOL_FILES:
        shutil.copyfile(REPO / "cs231n_lib" / name, folder / "cs231n_lib" / name)
    (folder / "cs231n_lib" / "tiny.py").write_text(TINY_PACKAGE)
    nbformat.write(tiny_notebook(), folder / "knn.ipynb")
    return folder


def run_check(folder, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "cs231n_lib.check", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def test_a_real_kernel_runs_the_notebook_as_the_grader_and_reports_quietly(tiny):
    before = (tiny / "knn.ipynb").read_bytes()
    result = run_check(tiny, "knn")
    assert result.returncode == 1
    assert result.stderr == ""
    assert not any(noise in result.stdout for noise in NOISE), result.stdout
    assert result.stdout.splitlines() == [
        "knn.ipynb",
        "  PASS  “triple” in section “Triple” (2 points)",
        "  FAIL  “double” in section “Double” (3 points)",
        "        NameError: name 'y' is not defined",
        "        look at: function `double` in cs231n_lib/tiny.py (line 2)",
        "  FAIL  “stderr” in section “Warnings” (1 points)",
        "        wrote to stderr, which the grader scores 0: careful",
        "  knn.ipynb: 1 of 3 checks pass, 2/6 autograded points if the hidden tests pass too.",
        check.HIDDEN_TESTS,
    ]
    assert (tiny / "knn.ipynb").read_bytes() == before  # the student's file is untouched
    (tiny / "cs231n_lib" / "tiny.py").write_text(
        TINY_PACKAGE.replace("raise Not", "return 2 * x\n    raise Not")
    )
    nb = nbformat.read(tiny / "knn.ipynb", as_version=4)
    del nb.cells[-3:-1]  # no stderr test
    nbformat.write(nb, tiny / "knn.ipynb")
    result = run_check(tiny)
    assert result.returncode == 0, result.stdout
    assert "knn.ipynb: 2 of 2 checks pass, 5/5 autograded points" in result.stdout


def test_a_broken_file_is_named_and_the_notebook_still_runs(tiny):
    (tiny / "cs231n_lib" / "tiny.py").write_text(TINY_PACKAGE + "def oops(:\n")
    result = run_check(tiny, "knn.ipynb")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "error: cs231n_lib/tiny.py, line 9: invalid syntax — fix this first: Python "
        "cannot import the file, so every check that uses it fails."
    )
    look = "look at: cs231n_lib/tiny.py, line 9: invalid syntax (the file does not compile)"
    assert f"        {look}" in lines
    assert "Traceback" not in result.stdout + result.stderr


# knn.ipynb of the release, end to end (the fastest notebook: seconds in grading mode).
CIFAR_FILES = ("batches.meta", "test_batch", *(f"data_batch_{i}" for i in range(1, 6)))


@pytest.fixture(scope="module")
def cifar_dir(request):
    """The project's datasets/ when it holds CIFAR-10 (not on CI), else the one built once."""
    local = REPO / "datasets"
    if not os.environ.get("CI") and all(
        (local / "cifar-10-batches-py" / name).is_file() for name in CIFAR_FILES
    ):
        return local
    return request.getfixturevalue("cifar_root")


@pytest.mark.cifar
def test_complete_release_passes_every_check_of_knn(tmp_path, cifar_dir):
    folder = release_copy(tmp_path / "complete", "all")
    result = run_check(folder, "knn.ipynb", env={"CS231N_DATA_DIR": str(cifar_dir)})
    assert result.returncode == 0, result.stdout
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "knn.ipynb"
    assert [line.split()[0] for line in lines[1:7]] == ["PASS"] * 6, lines
    assert "  PASS  “two loops” in section “Distances with two loops” (3 points)" in lines
    assert lines[7:] == [
        "  knn.ipynb: 6 of 6 checks pass, 16/16 autograded points if the hidden tests pass too.",
        check.HIDDEN_TESTS,
    ]


@pytest.mark.cifar
def test_untouched_release_names_the_stubs_behind_each_failure(tmp_path, cifar_dir):
    folder = release_copy(tmp_path / "untouched")
    result = run_check(folder, "knn", env={"CS231N_DATA_DIR": str(cifar_dir)})
    assert result.returncode == 1
    assert result.stderr == ""
    assert not any(noise in result.stdout for noise in NOISE), result.stdout
    lines = result.stdout.splitlines()
    assert sum(line.startswith("  FAIL  ") for line in lines) == 6, lines
    for function in ("two_loops", "one_loop", "no_loops"):
        stub = f"function `KNearestNeighbor.compute_distances_{function}` in {KNN} (line "
        assert any(line.startswith(f"        look at: {stub}") for line in lines), function
    assert "        look at: function `cross_validate_knn` in cs231n_lib/cross_validation.py" in (
        line.split(" (line")[0] for line in lines
    )
    assert "        look at: knn.ipynb, code cell “best k” in section “Choosing k”" in lines
    assert lines[-3] == (
        "  Written answers still to write (graded by hand, not checked here): "
        "Inline question 1, Inline question 2, Inline question 3"
    )
    assert lines[-2] == (
        "  knn.ipynb: 0 of 6 checks pass, 0/16 autograded points if the hidden tests pass too."
    )


@pytest.mark.cifar
def test_a_syntax_error_in_the_release_is_reported_without_traceback(tmp_path, cifar_dir):
    folder = release_copy(tmp_path / "broken", [KNN])
    path = folder / "cs231n_lib" / "cross_validation.py"
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if text.startswith("def ")) + 1
    lines[line - 1] = lines[line - 1].replace("def ", "def :", 1)
    path.write_text("\n".join(lines) + "\n")
    result = run_check(folder, "knn.ipynb", env={"CS231N_DATA_DIR": str(cifar_dir)})
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout.splitlines()
    assert out[0] == (
        f"error: cs231n_lib/cross_validation.py, line {line}: invalid syntax — fix this first: "
        "Python cannot import the file, so every check that uses it fails."
    )
    look = f"        look at: cs231n_lib/cross_validation.py, line {line}: invalid syntax"
    assert any(text.startswith(look) for text in out), out
    # The configuration cell imports it: the tests that need its names point at the file.
    first = out.index("  FAIL  “two loops” in section “Distances with two loops” (3 points)")
    assert out[first + 2].startswith(look), out[first : first + 3]
    assert out[-2].startswith("  knn.ipynb: 0 of 6 checks pass, 0/16 autograded points"), out
