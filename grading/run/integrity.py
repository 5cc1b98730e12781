"""Put a submission's locked cells back as released, and say what the student changed.

nbgrader's read-only cells are only a flag the notebook interface honours: a student
can still edit or delete a test cell, raise its points, rename its ``grade_id`` or turn
it into markdown (jupyter/nbgrader#1682, #1083, #1941). :func:`restore` undoes all of
that before grading, cell by cell, matched by ``grade_id``:

- a *protected* cell (``locked: true`` in the release: test cells and read-only setup
  cells) is replaced by its released copy, without outputs, where the student left it;
  deleted, it is put back after the nearest earlier released cell still present;
- an answer cell (``solution: true``) keeps the student's source, and gets its released
  cell type and nbgrader metadata back; a deleted one is reported, not put back (the
  student's own cells may do its work);
- a ``grade_id`` the release does not have, and later copies of a ``grade_id``, lose
  their nbgrader metadata (copies of a protected cell are removed: a test must not run
  twice); the notebook's ``kernelspec`` is the release's;
- cells without nbgrader metadata are the student's own and are left alone.

Every difference is returned as a :class:`Change`, in words an instructor can forward.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from ..intake import unique_cell_ids, write_atomic
from ..release.regions import cell_source

# nbgrader flags that make a cell count for nbgrader; a cell with any of them but no
# grade_id makes nbgrader fail.
FLAGS = ("grade", "solution", "locked", "task")
_MISSING = object()


@dataclass(frozen=True)
class Change:
    """One thing a student changed in a cell that belongs to the grader.

    Parameters
    ----------
    notebook : str
        The notebook's name without ``.ipynb``, e.g. ``"knn"``.
    grade_id : str
        The cell's ``grade_id``; for nbgrader metadata without one, the cell's id;
        ``""`` for the notebook's own metadata.
    kind : str
        ``"deleted"``, ``"edited"``, ``"metadata"``, ``"cell type"``, ``"unknown id"``
        or ``"duplicated"``.
    detail : str
        What changed, e.g. ``"points 3 -> 300"`` (released value, then submitted value).
    restored : bool, default=True
        Whether the release's version was put back; when False, ``detail`` says what
        was done instead.
    """

    notebook: str
    grade_id: str
    kind: str
    detail: str
    restored: bool = True

    def __str__(self):
        where = self.grade_id or "notebook metadata"
        return f"{where}: {self.detail}" + (" (restored)" if self.restored else "")


def _nbgrader(cell):
    """The cell's nbgrader metadata (a dict), or None."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else None


def _grade_id(cell):
    gid = (_nbgrader(cell) or {}).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _is_protected(released_cell):
    return bool((_nbgrader(released_cell) or {}).get("locked"))


def _show(value):
    if value is _MISSING:
        return "(none)"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _metadata_diffs(released_meta, submitted_meta):
    """``["points 3 -> 300", ...]``: each nbgrader field whose value the student changed."""
    keys = list(released_meta) + [k for k in submitted_meta if k not in released_meta]
    diffs = []
    for key in keys:
        old, new = released_meta.get(key, _MISSING), submitted_meta.get(key, _MISSING)
        if old != new:
            diffs.append(f"{key} {_show(old)} -> {_show(new)}")
    return diffs


def _released_copy(released_cell):
    """A fresh copy of a released cell, as never run."""
    cell = copy.deepcopy(released_cell)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def _retyped(cell, cell_type):
    """``cell`` as a ``cell_type`` cell, with the same source, metadata and id."""
    if cell.cell_type == cell_type:
        return cell
    make = {"code": new_code_cell, "markdown": new_markdown_cell, "raw": new_raw_cell}
    new = make[cell_type](source=cell_source(cell), metadata=cell.get("metadata", {}))
    new.pop("id", None)  # an id is given below, or by _fix_cell_ids
    if "id" in cell:
        new["id"] = cell["id"]
    if cell_type != "code" and "attachments" in cell:
        new["attachments"] = cell["attachments"]
    return new


def _restore_cell(cell, released_cell, notebook, changes):
    """The cell to keep for a submitted cell matched to ``released_cell``."""
    gid = _grade_id(released_cell)
    if cell.cell_type != released_cell.cell_type:
        detail = f"cell type {released_cell.cell_type} -> {cell.cell_type}"
        changes.append(Change(notebook, gid, "cell type", detail))
    diffs = _metadata_diffs(_nbgrader(released_cell), _nbgrader(cell))
    if diffs:
        changes.append(Change(notebook, gid, "metadata", ", ".join(diffs)))
    if _is_protected(released_cell):
        if cell_source(cell) != cell_source(released_cell):
            changes.append(Change(notebook, gid, "edited", "source edited"))
        return _released_copy(released_cell)
    cell = _retyped(cell, released_cell.cell_type)
    cell.metadata["nbgrader"] = copy.deepcopy(released_cell.metadata["nbgrader"])
    return cell


def _strip(cell):
    del cell.metadata["nbgrader"]
    return cell


def _without_grade_id(cell, notebook, changes):
    """A cell with no grade_id: unchanged, unless its nbgrader metadata would trip nbgrader
    or the grader (any flag, a ``grade_id`` that is not a name, metadata not a mapping)."""
    raw = cell.get("metadata", {}).get("nbgrader", _MISSING)
    if raw is _MISSING or (
        isinstance(raw, dict) and "grade_id" not in raw and not any(raw.get(f) for f in FLAGS)
    ):
        return cell
    detail = "nbgrader metadata without a grade_id: removed, kept as an ordinary cell"
    changes.append(Change(notebook, cell.get("id", "?"), "unknown id", detail, restored=False))
    return _strip(cell)


def _submitted_cells(submitted_cells, released, notebook, changes):
    """The submitted cells restored one by one, and the ``{grade_id}`` matched."""
    by_id = {gid: cell for cell in released.cells if (gid := _grade_id(cell))}
    cells, seen = [], set()
    for cell in submitted_cells:
        gid = _grade_id(cell)
        if gid is None:
            cells.append(_without_grade_id(cell, notebook, changes))
        elif gid not in by_id:
            detail = f"grade_id {gid!r} is not in the release: kept as an ordinary cell"
            changes.append(Change(notebook, gid, "unknown id", detail, restored=False))
            cells.append(_strip(cell))
        elif gid in seen and _is_protected(by_id[gid]):
            detail = "a second copy of this locked cell: removed"
            changes.append(Change(notebook, gid, "duplicated", detail, restored=False))
        elif gid in seen:
            detail = "a second copy of this answer cell: kept as an ordinary cell"
            changes.append(Change(notebook, gid, "duplicated", detail, restored=False))
            cells.append(_strip(cell))
        else:
            seen.add(gid)
            cells.append(_restore_cell(cell, by_id[gid], notebook, changes))
    return cells, seen


def _insert_position(cells, released_before):
    """Just after the nearest of ``released_before`` (from the end) present in ``cells``.

    A released cell with a grade_id is found by its grade_id, any other by its cell id
    (Jupyter keeps cell ids when cells are edited or moved).
    """
    for released_cell in reversed(released_before):
        gid, cid = _grade_id(released_cell), released_cell.get("id")
        for i, cell in enumerate(cells):
            if (gid and _grade_id(cell) == gid) or (not gid and cid and cell.get("id") == cid):
                return i + 1
    return 0


def _reinsert(cells, released, present, notebook, changes):
    """Put back the protected cells missing from ``cells``; report lost answer cells."""
    restored = []
    for index, released_cell in enumerate(released.cells):
        gid = _grade_id(released_cell)
        if gid is None or gid in present:
            continue
        if not _is_protected(released_cell):
            detail = "answer cell deleted: not restored, the student's answer is lost"
            changes.append(Change(notebook, gid, "deleted", detail, restored=False))
            continue
        cell = _released_copy(released_cell)
        cells.insert(_insert_position(cells, released.cells[:index]), cell)
        restored.append(cell)
        changes.append(Change(notebook, gid, "deleted", "cell deleted"))
    return restored


def _fix_cell_ids(nb, winners):
    """Give every cell a valid, unique id; cells in ``winners`` keep theirs."""
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        for cell in nb.cells:
            cell.pop("id", None)
        return
    unique_cell_ids(nb.cells, winners)


def _restore_kernelspec(nb, released, notebook, changes):
    spec = released.metadata.get("kernelspec")
    if spec is None or nb.metadata.get("kernelspec") == spec:
        return
    theirs = nb.metadata.get("kernelspec")
    name = theirs.get("name", "(none)") if isinstance(theirs, dict) else "(none)"
    detail = (
        f"kernelspec {spec.get('name')} -> {name}"
        if name != spec.get("name")
        else "kernelspec edited"
    )
    changes.append(Change(notebook, "", "metadata", detail))
    nb.metadata["kernelspec"] = copy.deepcopy(spec)


def restore(submitted, released, notebook):
    """Restore the grader's cells of ``submitted`` from ``released``.

    Parameters
    ----------
    submitted : nbformat.NotebookNode
        The student's notebook (nbformat 4). Not modified.
    released : nbformat.NotebookNode
        The same notebook as released to students (``assignment1/<notebook>.ipynb``).
        Not modified.
    notebook : str
        The notebook's name, e.g. ``"knn"``, used in the changes reported.

    Returns
    -------
    restored : nbformat.NotebookNode
        A new notebook, valid for ``nbformat.validate``.
    changes : list of Change
        What the student changed, in the order of the submitted cells, then the
        deleted cells in release order.
    """
    changes = []
    out = copy.deepcopy(submitted)
    cells, present = _submitted_cells(out.cells, released, notebook, changes)
    reinserted = _reinsert(cells, released, present, notebook, changes)
    out.cells = cells
    out.nbformat = 4
    out.nbformat_minor = max(submitted.get("nbformat_minor", 0), released.nbformat_minor)
    protected = {gid for cell in released.cells if _is_protected(cell) and (gid := _grade_id(cell))}
    winners = [c for c in cells if _grade_id(c) in protected] + reinserted
    _fix_cell_ids(out, winners)
    _restore_kernelspec(out, released, notebook, changes)
    return out, changes


def read_submitted(path):
    """Read and validate a submitted notebook, or raise a ValueError saying how to fix it."""
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except OSError:
        raise
    except Exception as error:  # JSON, schema and decoding errors alike
        text = str(error).strip()
        found = text.splitlines()[0][:200] if text else type(error).__name__
        raise ValueError(
            f"{path.name} is not a valid notebook: expected the nbformat 4 JSON that "
            f"Jupyter saves, found {found}. Re-download the notebook from the release or "
            f"submit the last version that opens in Jupyter."
        ) from error
    return nb


def restore_file(submitted_path, released_path, out_path):
    """Restore ``submitted_path`` from ``released_path`` into ``out_path``; return the changes.

    ``out_path`` may be ``submitted_path``: it is replaced atomically (a temporary
    file in the same folder, then ``os.replace``), so it is never half written.

    Raises
    ------
    ValueError
        If the submitted file is not a valid notebook.
    """
    submitted = read_submitted(submitted_path)
    released = nbformat.read(released_path, as_version=4)
    restored, changes = restore(submitted, released, Path(submitted_path).stem)
    nbformat.validate(restored)
    write_atomic(restored, out_path)
    return changes
