"""Readable names for notebook cells, and the cells still to do (for ``submit``, ``check``).

A student finds a cell by what is around it, never by its number: a written answer is
"Inline question 2" (from the markdown cell that asks it), a code cell is named by
its nbgrader ``grade_id`` made readable and the section heading above it, e.g.
``“best k” in section “Choosing k”`` for ``knn-answer-best-k``.

The cells are plain dicts (``json.load`` of the ``.ipynb``) or nbformat nodes.
"""

from __future__ import annotations

import ast
import re

from ._student_files import RAISE, Todo

ANSWER_STUB = "YOUR ANSWER HERE"
# "**Inline question 2** (2 points)" and the older "**Question 2.**" both match.
QUESTION = re.compile(r"(Inline )?[Qq]uestion (\d+)")
_ID_KINDS = frozenset({"answer", "config", "test", "written"})
_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*\s*$")


def cell_source(cell):
    """A cell's source as one string (the JSON may store a list of lines)."""
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        source = "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else ""


def parse_code(source):
    """The ``ast`` tree of a code cell's source, IPython magics and shell lines left out.

    Returns None when the rest is not valid Python.
    """
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def grading_meta(cell):
    """The cell's ``metadata.nbgrader`` dict (empty when absent or malformed)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def cell_points(cell):
    """The nbgrader points of ``cell`` as a float (0 when absent or not a number)."""
    points = grading_meta(cell).get("points")
    if isinstance(points, bool) or not isinstance(points, int | float | str):
        return 0.0
    try:
        return float(points)
    except ValueError:
        return 0.0


def is_test_cell(cell):
    """True for an autograded test cell: code, nbgrader ``grade=True``, ``solution=False``."""
    meta = grading_meta(cell)
    if not meta.get("grade") or meta.get("solution"):
        return False
    return cell.get("cell_type") == "code"  # a dict: it has nbgrader metadata


def readable_id(grade_id, notebook=""):
    """``"knn-test-two-loops"`` -> ``"two loops"``: without notebook prefix, kind or dashes."""
    parts = str(grade_id).split("-")
    if len(parts) > 1 and parts[0] == notebook.removesuffix(".ipynb"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in _ID_KINDS:
        parts = parts[1:]
    return " ".join(parts).replace("_", " ")


def heading_above(cells, index):
    """The text of the nearest markdown heading above cell ``index``, or None."""
    for cell in reversed(cells[:index]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        headings = [_HEADING.match(line) for line in cell_source(cell).splitlines()]
        headings = [m["text"] for m in headings if m]
        if headings:
            return headings[-1].strip("*_ ")
    return None


def question_above(cells, index):
    """The number of the question asked above answer cell ``index``, or None.

    The nearest markdown cell above matching :data:`QUESTION`; the search stops at the
    previous answer cell, so that an unnumbered question does not borrow its number.
    """
    for cell in reversed(cells[:index]):
        if grading_meta(cell).get("solution"):
            return None
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            match = QUESTION.search(cell_source(cell))
            if match:
                return int(match[2])
    return None


def cell_name(cells, index, notebook=""):
    """A code cell's readable name: ``“best k” in section “Choosing k”``."""
    grade_id = grading_meta(cells[index]).get("grade_id")
    heading = heading_above(cells, index)
    label = f"“{readable_id(grade_id, notebook)}”" if grade_id else ""
    where = f"in section “{heading}”" if heading else "above the first heading"
    return f"{label} {where}".strip()


def open_cell(cell):
    """``"code"`` or ``"written answer"`` if ``cell`` still holds a release stub, else None."""
    if not isinstance(cell, dict):
        return None
    source = cell_source(cell)
    if cell.get("cell_type") == "code":
        # A commented-out raise is done work: only look at the code before any "#".
        if any(RAISE in line.split("#", 1)[0] for line in source.splitlines()):
            return "code"
    elif cell.get("cell_type") == "markdown" and ANSWER_STUB in source:
        return "written answer"
    return None


def todo_for(cells, index, notebook):
    """The :class:`Todo` of cell ``index`` if it is still to do, else None."""
    kind = open_cell(cells[index])
    if kind == "written answer":
        number = question_above(cells, index)
        if number is not None:
            return Todo(notebook, f"Inline question {number}", kind)
        return Todo(notebook, f"written answer {cell_name(cells, index, notebook)}", kind)
    if kind == "code":
        return Todo(notebook, cell_name(cells, index, notebook), kind)
    return None


def notebook_todos(notebook, cells):
    """Every :class:`Todo` of a notebook's ``cells``, in order."""
    todos = (todo_for(cells, i, notebook) for i in range(len(cells)))
    return [todo for todo in todos if todo is not None]
