"""What ``python -m cs231n_lib.check`` says about one executed notebook (no kernel needed here).

A test cell passes as nbgrader scores it: no error output and nothing written to
stderr. For a failing test, "what to look at" is found from what actually ran: the
release stubs (``NotImplementedError("<function>: write the code for the TODO above,
in <file>.")``) that the test cell or the cells of its section raised, the notebook's
own answer cells still raising ``NotImplementedError``, the files that do not
compile, and, for a ``NameError``, the same for the earlier cell that should have
defined the name.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ._notebook_cells import (
    cell_name,
    cell_points,
    cell_source,
    is_test_cell,
    open_cell,
    parse_code,
)
from ._notebook_cells import todo_for as notebook_todo
from ._student_files import Todo, stub_errors

ERROR_WIDTH = 200
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NAME_ERROR = re.compile(r"name '(\w+)' is not defined")


@dataclass(frozen=True)
class _Context:
    """What the causes of a failure are looked up in."""

    notebook: str
    todos: dict  # {(file, function name): Todo} of the package's stubs
    broken: list  # BrokenFile


@dataclass(frozen=True)
class CheckResult:
    """One autograded test cell, as the check saw it run.

    Attributes
    ----------
    name : str
        Its readable name, e.g. ``“two loops” in section “Distances with two loops”``.
    points : float
        The points the grader gives for it (if its hidden tests pass too).
    passed : bool
        True when it ran without error and wrote nothing to stderr.
    error : str
        For a failure: the error's last line, cut to ``ERROR_WIDTH`` characters.
    look_at : tuple of str
        For a failure: the functions, cells and files to look at first.
    """

    name: str
    points: float
    passed: bool
    error: str = ""
    look_at: tuple = ()


@dataclass
class NotebookReport:
    """The check of one notebook: its tests, its unanswered written questions, any problem.

    Attributes
    ----------
    notebook : str
        E.g. ``"knn.ipynb"``.
    tests : list of CheckResult
        Its autograded test cells, in order.
    unanswered : list of Todo
        Its written answers still reading ``YOUR ANSWER HERE``.
    problem : str
        Why it could not run, or stopped early; ``""`` when it ran to the end.
    """

    notebook: str
    tests: list = field(default_factory=list)
    unanswered: list = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self):
        """True when the notebook ran and every test passed."""
        return not self.problem and all(test.passed for test in self.tests)

    def summary(self):
        """E.g. ``"knn.ipynb: 5 of 6 checks pass, 14/16 autograded points if the hidden
        tests pass too"``."""
        passed = [test for test in self.tests if test.passed]
        earned = sum(test.points for test in passed)
        total = sum(test.points for test in self.tests)
        return (
            f"{self.notebook}: {len(passed)} of {len(self.tests)} checks pass, "
            f"{earned:g}/{total:g} autograded points if the hidden tests pass too"
        )


def one_line(text, width=ERROR_WIDTH):
    """``text`` without colours, on one line, cut to ``width`` characters."""
    text = " ".join(_ANSI.sub("", text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cell_errors(cell):
    """The texts of a code cell's failures: its errors, and stderr (nbgrader gives 0 for it)."""
    found = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            found.append(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip())
        elif output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = "".join(output.get("text", ""))
            found.append(f"wrote to stderr, which the grader scores 0: {text.strip()}")
    return found


def _traceback(cell):
    """Everything a cell's error outputs say, tracebacks included, without colours."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            parts += [output.get("evalue", ""), *output.get("traceback", [])]
    return _ANSI.sub("", "\n".join(parts))


def _bound_names(source):
    """The names a cell's code assigns, defines or imports."""
    tree = parse_code(source)
    names = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _causes(cells, index, context, follow=True, depth=0):
    """What made code cell ``index`` fail: stubs it hit, its own stub, broken files.

    With ``follow``, a ``NameError`` leads to the earlier cell that defines the name, if
    that one failed too, and to its causes.
    """
    cell, found = cells[index], []
    text = _traceback(cell)
    for name, file in stub_errors(text):
        found.append(str(context.todos.get((file, name), Todo(file, name))))
    found += [f"{b} (the file does not compile)" for b in context.broken if b.file in text]
    if open_cell(cell) == "code":
        found.append(str(notebook_todo(cells, index, context.notebook)))
    for missing in _NAME_ERROR.findall(text) if follow and depth < 5 else ():
        source = _defining_cell(cells, index, missing)
        if source is not None and cell_errors(cells[source]):
            found += _causes(cells, source, context, follow, depth + 1)
    return found


def _defining_cell(cells, index, name):
    """The last cell before ``index`` that defines ``name``; if none does, the last answer
    cell before it still raising ``NotImplementedError`` (where the student defines it)."""
    earlier = range(index - 1, -1, -1)
    found = next((i for i in earlier if name in _bound_names(_code(cells[i]))), None)
    if found is None:
        found = next((i for i in earlier if open_cell(cells[i]) == "code"), None)
    return found


def _code(cell):
    return cell_source(cell) if cell.get("cell_type") == "code" else ""


def look_at(cells, index, start, context):
    """What to look at for failing test ``index``: the causes in its section ``start..index``.

    The names the test cell misses are followed to the cells that should define them;
    the other cells of the section give only the stubs they ran into themselves.
    """
    failed = [i for i in range(start, index + 1) if _code(cells[i]) and cell_errors(cells[i])]
    found = [item for i in failed for item in _causes(cells, i, context, follow=i == index)]
    if not found:  # then follow the names the other cells of the section missed too
        found = [item for i in failed for item in _causes(cells, i, context)]
    if not found:  # no stub behind it: point at the first cell of the section that failed
        first = next((i for i in failed if i != index), None)
        if first is not None:
            name = cell_name(cells, first, context.notebook)
            error = one_line(cell_errors(cells[first])[0], 120)
            found.append(f"the code cell {name}, which failed first: {error}")
    return tuple(dict.fromkeys(found))


def evaluate(notebook, cells, todos=(), broken=(), ran=None):
    """Build the :class:`NotebookReport` of an executed notebook.

    Parameters
    ----------
    notebook : str
        Its file name, e.g. ``"knn.ipynb"``.
    cells : list of dict
        Its cells, with the outputs of the run.
    todos : iterable of Todo
        The stubs still in the package (to give their lines).
    broken : iterable of BrokenFile
        The package's files that do not compile.
    ran : set of int, optional
        The indices of the cells that ran; a test cell not among them failed with
        "did not run". Default: every cell ran.
    """
    context = _Context(notebook, {(t.file, t.name): t for t in todos}, list(broken))
    report, start = NotebookReport(notebook), 0
    for index, cell in enumerate(cells):
        if not is_test_cell(cell):
            continue
        name = cell_name(cells, index, notebook)
        points = cell_points(cell)
        errors = cell_errors(cell)
        if ran is not None and index not in ran:
            errors = ["did not run: the notebook stopped before this cell"]
        if errors:
            result = CheckResult(
                name, points, False, one_line(errors[-1]), look_at(cells, index, start, context)
            )
        else:
            result = CheckResult(name, points, True)
        report.tests.append(result)
        start = index + 1
    report.unanswered = [
        todo
        for todo in (notebook_todo(cells, i, notebook) for i in range(len(cells)))
        if todo is not None and todo.kind == "written answer"
    ]
    return report


def format_report(report):
    """The lines printed for one notebook, ending with its summary line."""
    lines = [report.notebook]
    if report.problem:
        lines.append(f"  problem: {report.problem}")
    for test in report.tests:
        lines.append(f"  {'PASS' if test.passed else 'FAIL'}  {test.name} ({test.points:g} points)")
        if not test.passed:
            lines.append(f"        {test.error}")
            lines += [f"        look at: {item}" for item in test.look_at]
    if report.unanswered:
        questions = ", ".join(todo.name for todo in report.unanswered)
        lines.append(
            f"  Written answers still to write (graded by hand, not checked here): {questions}"
        )
    lines.append(f"  {report.summary()}.")
    return lines
