"""The assignment's graded cells, one Gradescope test each, and what a graded notebook shows.

:func:`graded_cells` lists every grade cell of nbgrader's gradebook (the points) in
the order of the released notebooks, with the section heading above it (a readable
name). :func:`notebook_view` reads one graded notebook, as the student gets it back,
for what results.json may repeat: the error a visible test raised, and whether a
written answer was given. Those notebooks hold what the student wrote and printed:
the text taken from them is cleaned and cut by :mod:`grading.gradescope.results`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..coursedir import ASSIGNMENT, NOTEBOOKS

__all__ = ["GradedCell", "NotebookView", "graded_cells", "notebook_view"]

MAX_NOTEBOOK_BYTES = 64 * 2**20  # a graded notebook keeps at most 10 MB of output


@dataclass(frozen=True)
class GradedCell:
    """One grade cell: a test cell (autograded) or a written answer (graded by hand)."""

    notebook: str
    grade_id: str
    points: float
    written: bool
    section: str = ""
    number: str = ""  # "2.3": notebook 2, its third graded cell

    @property
    def name(self):
        kind = "written answer" if self.written else "test"
        where = f" · {self.section}" if self.section else ""
        return f"{self.notebook}.ipynb{where} · {kind} {self.grade_id}"


def _maxima(template):
    """{(notebook, grade_id): (points, written)} from the template's gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{Path(template) / 'gradebook.db'}") as gb:
        for nb in gb.find_assignment(ASSIGNMENT).notebooks:
            for cell in nb.grade_cells:
                out[nb.name, cell.name] = (float(cell.max_score), cell.cell_type == "markdown")
    return out


def _cells(path):
    try:
        return json.loads(Path(path).read_text())["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _nbgrader(cell):
    """A cell's nbgrader metadata, or {} (a graded notebook's JSON is the student's)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def _sections(release, notebook):
    """[(grade_id, section heading)] of a released notebook, in order."""
    heading, out = "", []
    for cell in _cells(Path(release) / f"{notebook}.ipynb"):
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            titles = [line.lstrip("#").strip() for line in source.splitlines() if line[:1] == "#"]
            heading = titles[-1] if titles else heading
        if _nbgrader(cell).get("grade") and _nbgrader(cell).get("grade_id"):
            out.append((_nbgrader(cell)["grade_id"], heading))
    return out


def graded_cells(template, release):
    """Every grade cell of the assignment, in the notebooks' order.

    Parameters
    ----------
    template : path-like
        A grading template (``COURSE/work/_template``) holding nbgrader's gradebook
        of the assignment: the points of every cell.
    release : path-like
        The released ``assignment1/``: the cells' order and section headings.

    Returns
    -------
    list of GradedCell
        A cell of the gradebook that the release does not show comes last in its
        notebook, without a section.
    """
    maxima = _maxima(template)
    out = []
    for i, notebook in enumerate(NOTEBOOKS, start=1):
        order = _sections(release, notebook)
        ids = [g for g, _ in order if (notebook, g) in maxima]
        ids += sorted(g for nb, g in maxima if nb == notebook and g not in ids)
        heading = dict(order)
        for j, grade_id in enumerate(ids, start=1):
            points, written = maxima[notebook, grade_id]
            out.append(
                GradedCell(
                    notebook, grade_id, points, written, heading.get(grade_id, ""), f"{i}.{j}"
                )
            )
    return out


@dataclass
class NotebookView:
    """What one graded notebook shows: {grade_id: error text}, {grade_id: answered}."""

    errors: dict
    answered: dict


def _error_text(outputs):
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict) and output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    return ""


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def notebook_view(graded, release, notebook):
    """Read ``graded/<notebook>.ipynb`` (as the student gets it back) against the release.

    A test cell's error is its first error output (``AssertionError: ...``); a written
    answer counts as given when its text differs from the released cell's. A notebook
    that is missing, too large or unreadable shows nothing.
    """
    path = Path(graded) / f"{notebook}.ipynb"
    view = NotebookView({}, {})
    if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return view
    released = {
        _nbgrader(c).get("grade_id"): _source(c)
        for c in _cells(Path(release) / f"{notebook}.ipynb")
    }
    for cell in _cells(path):
        if not isinstance(cell, dict):
            continue
        grade_id = _nbgrader(cell).get("grade_id")
        if not isinstance(grade_id, str) or grade_id in view.errors or grade_id in view.answered:
            continue
        if cell.get("cell_type") == "code":
            view.errors[grade_id] = _error_text(cell.get("outputs"))
        elif cell.get("cell_type") == "markdown":
            text = _source(cell).strip()
            view.answered[grade_id] = bool(text) and text != released.get(grade_id, "").strip()
    return view
