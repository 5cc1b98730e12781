"""One submitted notebook made safe to grade, or refused, with what was done in words.

What Jupyter (or a student's editor) may leave in a notebook, and what becomes of it:

- more than :data:`~._limits.MAX_NOTEBOOK` bytes: refused (graded as missing);
- bytes that are not UTF-8: each becomes U+FFFD, and the notebook is graded;
- a lone surrogate escaped in the JSON (``"\\udcff"``), which is no character and
  cannot be written back as UTF-8: it becomes U+FFFD, so nothing after intake
  (restoring test cells, inserting the grader's cells) fails writing the notebook;
- JSON nested deeper than :data:`~._limits.MAX_JSON_DEPTH` levels, or not JSON at all,
  or not a notebook: refused;
- nbformat 3 (IPython 2 and older): converted to nbformat 4;
- missing, repeated or invalid cell ids: new ones (nbformat 4.5 requires them unique).

The notebook is written back (in the same folder, replaced atomically) only when
something was changed. nbgrader metadata is not judged here: the release's is put back
by :func:`grading.run.integrity.restore` before grading.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path

import nbformat

from ._limits import MAX_JSON_DEPTH, MAX_NOTEBOOK, limit_text, size_text

CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # nbformat 4.5's cell id schema
_LONE = re.compile("[\ud800-\udfff]")  # json.loads pairs valid escapes: these are alone
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def clean_notebook(path, problems, max_size=MAX_NOTEBOOK, max_depth=MAX_JSON_DEPTH):
    """Repair ``path`` in place, or delete it; return whether it can be graded.

    Parameters
    ----------
    path : Path
        A submitted notebook, ``<name>.ipynb``.
    problems : list of str
        One line is appended per thing found, in words an instructor can forward.

    Returns
    -------
    bool
        True when ``path`` now holds a valid nbformat 4 notebook; False when it was
        refused (and deleted: it is graded as missing).
    """
    path = Path(path)
    name = path.name
    size = path.stat().st_size
    if size > max_size:
        return _refuse(
            path,
            problems,
            f"{size_text(size)}, more than the {limit_text(max_size)} a notebook may be",
        )
    text, bad = _decode(path.read_bytes())
    if bad:
        problems.append(
            f"{name} is not valid UTF-8 ({bad}): each bad byte became U+FFFD "
            "(\ufffd), and the notebook is graded"
        )
    try:
        data = json.loads(text)
    except RecursionError:
        return _refuse(path, problems, f"nested more than {max_depth} levels deep")
    except ValueError as error:
        return _refuse(path, problems, f"not JSON: {error}")
    depth, lone = _scan(data, max_depth, _SURROGATE_ESCAPE.search(text) is not None)
    if depth > max_depth:
        return _refuse(path, problems, f"nested more than {max_depth} levels deep")
    if lone:
        problems.append(
            f'{name} holds {lone} lone surrogate escape(s) such as "\\udcff", '
            "which are not text: each became U+FFFD (\ufffd), and the notebook is "
            "graded"
        )
    if not isinstance(data, dict):
        return _refuse(path, problems, f"JSON {type(data).__name__}, not a notebook")
    renumbered = _fix_ids(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's own repairs only warn
            nb = nbformat.reads(json.dumps(data), as_version=4)
            nbformat.validate(nb)
    except Exception as error:  # version, schema and structure errors alike
        first = (str(error).strip() or type(error).__name__).splitlines()[0]
        return _refuse(path, problems, first[:200])
    if data.get("nbformat") != 4:
        problems.append(
            f"{name} was saved as nbformat {data.get('nbformat')} (IPython 2 or "
            "older): converted to nbformat 4, and graded"
        )
    if renumbered:
        problems.append(
            f"{name}: {renumbered} cell(s) had a missing, repeated or invalid id: given new ones"
        )
    if bad or lone or renumbered or data.get("nbformat") != 4:
        write_atomic(nb, path)
    return True


def _refuse(path, problems, why):
    problems.append(f"{path.name} is not a valid notebook ({why}): graded as missing")
    path.unlink()
    return False


def _decode(raw):
    """(text, '' or where the first byte that is not UTF-8 is); a BOM is dropped."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError as error:
        where = f"byte 0x{raw[error.start]:02x} at offset {error.start}"
        return raw.decode("utf-8", "replace"), where


def _scan(data, max_depth, repair):
    """(depth of ``data``, lone surrogates replaced), without recursion.

    The walk stops as soon as it is deeper than ``max_depth``. With ``repair``, lone
    surrogates in strings (keys too) become U+FFFD in place.
    """
    deepest, replaced = 0, 0
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > max_depth:
            break
        if isinstance(node, dict):
            if repair and any(_LONE.search(k) for k in node):
                items = [(_LONE.subn("\ufffd", k), v) for k, v in node.items()]
                replaced += sum(n for (_, n), _ in items)
                node.clear()
                node.update((k, v) for (k, _), v in items)
            children = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        for key, value in list(children):
            if isinstance(value, dict | list):
                stack.append((value, depth + 1))
            elif repair and isinstance(value, str) and _LONE.search(value):
                node[key], n = _LONE.subn("\ufffd", value)
                replaced += n
    return deepest, replaced


def _fix_ids(data):
    """Repair the cell ids of an nbformat 4.5+ notebook's JSON; return how many."""
    cells = data.get("cells")
    if (
        data.get("nbformat") != 4
        or not isinstance(data.get("nbformat_minor"), int)
        or data["nbformat_minor"] < 5
        or not isinstance(cells, list)
    ):
        return 0
    return unique_cell_ids([c for c in cells if isinstance(c, dict)])


def unique_cell_ids(cells, keep=()):
    """Give every cell a valid, unique id (nbformat 4.5's); return how many were changed.

    Cells in ``keep`` keep theirs. A missing, invalid or repeated id becomes
    ``<id>-<n>`` (or ``cell-<n>``). ``cells`` are dicts (NotebookNode or parsed JSON).
    """
    kept = {id(cell) for cell in keep}
    taken = {cell["id"] for cell in keep if "id" in cell}
    changed = 0
    for cell in cells:
        if id(cell) in kept and "id" in cell:
            continue
        cid = cell.get("id")
        if not isinstance(cid, str) or not CELL_ID.match(cid) or cid in taken:
            base = cid[:56] if isinstance(cid, str) and CELL_ID.match(cid) else "cell"
            n = 1
            while f"{base}-{n}" in taken:
                n += 1
            cell["id"] = f"{base}-{n}"
            changed += 1
        taken.add(cell["id"])
    return changed


def write_atomic(nb, path):
    """Write notebook ``nb`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        nbformat.write(nb, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
