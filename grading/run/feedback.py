"""The notebooks students get back: the grader's own cells out, its verdicts in.

Feedback is rendered (``nbgrader generate_feedback``) from a copy of the autograded
notebooks. In that copy the cells the grader inserted to record notebook facts
(metadata ``cs231n.grader``) are removed, and below every test cell goes a short
markdown cell with the grader's verdict: the points, and for a failed cell each check
that failed and why. A visible test can pass in the notebook while a hidden check
fails; the verdict says which one cost the points.

The copy is also what formgrader shows the TAs (it becomes the course's ``autograded/``),
so everything the student wrote or printed in it is made safe to render first
(:func:`grading.run.sanitize.sanitize_notebook`): these pages open with the TA's Jupyter
session. The pages nbgrader renders from it get a Content-Security-Policy that runs no
script (:func:`protect_pages`, from :mod:`grading.run.sanitize`).
"""

from __future__ import annotations

import html

import nbformat

from .sanitize import protect_pages, sanitize_notebook

__all__ = ["GRADER_KEY", "is_grader_cell", "protect_pages", "public_notebook", "verdict_markdown"]

GRADER_KEY = "grader"  # metadata.cs231n.grader on the cells the grader inserts


def is_grader_cell(cell):
    return bool(cell.get("metadata", {}).get("cs231n", {}).get(GRADER_KEY))


def verdict_markdown(verdict):
    """The markdown shown below a test cell for a :class:`~grading.run.judge.Verdict`."""
    points = f"{verdict.score:g} / {verdict.points:g} points"
    if verdict.passed:
        return f"**Grader: {points}.** Every check of this cell passed."
    lines = [f"**Grader: {points}.** What failed:", ""]
    lines += [f"- {html.escape(problem)}" for problem in verdict.problems]
    return "\n".join(lines)


def public_notebook(path, verdicts):
    """Rewrite the notebook at ``path`` for students and TAs; return how many verdicts were added.

    The grader's cells go, each verdict goes below its test cell, and the whole notebook,
    verdicts included, is sanitized (:func:`~grading.run.sanitize.sanitize_notebook`).
    """
    nb = nbformat.read(path, as_version=4)
    cells, added = [], 0
    for cell in nb.cells:
        if is_grader_cell(cell):
            continue
        cells.append(cell)
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in verdicts:
            note = nbformat.v4.new_markdown_cell(verdict_markdown(verdicts[grade_id]))
            note.id = f"verdict-{grade_id}"[:64]
            note.metadata["cs231n"] = {GRADER_KEY: "verdict"}
            cells.append(note)
            added += 1
    nb.cells = cells
    sanitize_notebook(nb)
    nbformat.write(nb, path)
    return added
