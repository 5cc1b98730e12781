"""Which files of a submission are graded: the assignment's, at a size it could have.

A submission is listed first (:class:`~grading.intake._tree.Tree`), never unpacked
whole. :func:`find_root` finds the student's copy of the assignment folder in it;
:func:`select` keeps what grading needs from there:

- the notebooks at its top, up to ``limits.notebook`` bytes each;
- the ``.py`` files of ``cs231n_lib/``, up to ``limits.source`` bytes each;
- any other file the release has at the same place (``README.md``, ...), up to
  ``limits.source`` bytes.

Everything else is left out, before a byte of it is written, with one line each
(``left out: big.bin (1.0 GiB), not part of the assignment``; past
:data:`MAX_LINES` files, one line for the rest).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..coursedir import NOTEBOOKS, PACKAGE
from ._limits import left_out, limit_text, ratio_problem, size_text
from ._names import safe_parts

MAX_LINES = 10
OUTSIDE = "not part of the assignment"


def _dirs(entries, max_depth):
    """``{depth: sorted folder prefixes}`` of the folders holding ``entries``."""
    found = {}
    for entry in entries:
        for k in range(min(len(entry.parts) - 1, max_depth) + 1):
            found.setdefault(k, set()).add(entry.parts[:k])
    return {k: sorted(v) for k, v in found.items()}


def find_root(entries, problems, max_depth=4):
    """The shallowest folder (a tuple of parts) holding a notebook or ``cs231n_lib/``.

    Returns None when there is none within ``max_depth`` levels.
    """
    notebooks = {f"{n}.ipynb" for n in NOTEBOOKS}
    files = {e.parts for e in entries}
    packages = {e.parts[:i] for e in entries for i, p in enumerate(e.parts[:-1]) if p == PACKAGE}
    for depth, folders in sorted(_dirs(entries, max_depth).items()):
        counts = {f: sum((*f, n) in files for n in notebooks) for f in folders}
        roots = [f for f in folders if counts[f] or f in packages]
        if not roots:
            continue
        root = max(roots, key=lambda f: counts[f])
        shown = "/".join(root)
        if depth:
            problems.append(
                f"the assignment was inside {shown}/, one folder level too deep: graded from there"
            )
        if len(roots) > 1:
            problems.append(
                f"{len(roots)} copies of the assignment found: graded {shown or 'the top one'}"
            )
        return root
    return None


@lru_cache(maxsize=4)
def release_files(release):
    """The release's files other than notebooks, as paths relative to it (``a/b.py``)."""
    release = Path(release)
    return frozenset(
        p.relative_to(release).as_posix()
        for p in release.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".ipynb"
    )


def _cap(rel, release, limits):
    """``(largest size, what it is)`` for a file of the assignment at ``rel``; None if not one."""
    if len(rel) == 1 and rel[0] in {f"{n}.ipynb" for n in NOTEBOOKS}:
        return limits.notebook, "a notebook"
    if (rel[0] == PACKAGE and rel[-1].endswith(".py")) or "/".join(rel) in release_files(release):
        return limits.source, "a file of the package" if rel[0] == PACKAGE else "this file"
    return None


def select(entries, root, release, limits, problems):
    """``[(entry, parts below the root, made safe)]`` to copy; what is left out is said.

    Also returns the set of notebook names refused for their size (already said:
    graded as missing).
    """
    keep, out, refused = [], [], set()
    for entry in entries:
        rel = entry.parts[len(root) :] if entry.parts[: len(root)] == root else None
        cap = _cap(rel, release, limits) if rel else None
        compressed = entry.member.compress_size if entry.member is not None else None
        bomb = ratio_problem(entry.size, compressed, limits) if compressed is not None else ""
        if cap is None or bomb:
            out.append((entry, bomb or OUTSIDE))
        elif entry.size > cap[0]:
            what = cap[1]
            hint = (
                " (clear its outputs, save it and hand it in again): graded as missing"
                if what == "a notebook"
                else ""
            )
            problems.append(
                left_out(
                    entry.name,
                    entry.size,
                    f"more than the {limit_text(cap[0])} {what} may be{hint}",
                )
            )
            refused.add(rel[0].removesuffix(".ipynb"))
        elif (safe := safe_parts(rel)) is None:
            out.append((entry, "its name is not a usable path"))
        else:
            keep.append((entry, safe))
    problems.extend(left_out(e.name, e.size, why) for e, why in out[:MAX_LINES])
    if len(out) > MAX_LINES:
        rest = out[MAX_LINES:]
        problems.append(
            f"left out: {len(rest)} more files "
            f"({size_text(sum(e.size for e, _ in rest))} in all), like those above"
        )
    return keep, refused
