"""Solution regions of the package's .py files: find them, stub them, complete them.

A region is a ``### BEGIN SOLUTION`` line and a later ``### END SOLUTION`` line at the
same indentation, with no nesting. nbgrader strips regions from notebooks only (it
copies .py files verbatim, jupyter/nbgrader#1237), so the release does it here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


class RegionError(ValueError):
    """A malformed region: unclosed, nested, misindented or a stray marker."""


@dataclass(frozen=True)
class Region:
    """Lines ``begin`` (the BEGIN marker) to ``end`` (the END marker), 0-based, inclusive."""

    begin: int
    end: int
    indent: str

    def body(self, lines):
        return lines[self.begin + 1 : self.end]


def find_regions(lines, name="<text>", begin_marker=BEGIN, end_marker=END):
    """Return the regions of ``lines`` (a list of str), or raise :class:`RegionError`."""
    regions, begin = [], None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped == begin_marker:
            if begin is not None:
                raise RegionError(f"{name}:{i + 1}: region opened inside another")
            begin = i
        elif stripped == end_marker:
            if begin is None:
                raise RegionError(f"{name}:{i + 1}: {end_marker} without {begin_marker}")
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            if line[: len(line) - len(line.lstrip())] != indent:
                raise RegionError(f"{name}:{i + 1}: {end_marker} not indented like its BEGIN")
            regions.append(Region(begin, i, indent))
            begin = None
        elif begin_marker.split()[-1] in line and line.lstrip().startswith("###"):
            raise RegionError(f"{name}:{i + 1}: malformed marker {stripped!r}")
    if begin is not None:
        raise RegionError(f"{name}:{begin + 1}: region never closed")
    return regions


def _enclosing_function(tree, lineno):
    """The qualified name of the innermost function around 1-based ``lineno``."""
    best, best_start = None, -1

    def visit(node, prefix):
        nonlocal best, best_start
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qualname = f"{prefix}{child.name}"
                if child.lineno <= lineno <= child.end_lineno and child.lineno > best_start:
                    best, best_start = qualname, child.lineno
                visit(child, f"{qualname}.")

    visit(tree, "")
    return best


def stub_text(text, relpath):
    """Return ``text`` with every region replaced by a ``NotImplementedError`` stub.

    The stub names the function and the file, and points at the TODO comment that
    precedes every region.
    """
    lines = text.splitlines()
    regions = find_regions(lines, relpath)
    if not regions:
        return text
    tree = ast.parse(text)
    out, last = [], 0
    for region in regions:
        where = _enclosing_function(tree, region.begin + 1) or "module level"
        out.extend(lines[last : region.begin])
        out.extend(
            [
                f"{region.indent}raise NotImplementedError(",
                f'{region.indent}    "{where}: write the code for the TODO above, in {relpath}."',
                f"{region.indent})",
            ]
        )
        last = region.end + 1
    out.extend(lines[last:])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def complete_text(text, relpath="<text>"):
    """Return ``text`` with the region markers removed and their code kept.

    This is what a student's finished file looks like; the demo's generated
    submissions use it.
    """
    lines = text.splitlines()
    regions = find_regions(lines, relpath)
    markers = {r.begin for r in regions} | {r.end for r in regions}
    kept = [line for i, line in enumerate(lines) if i not in markers]
    return "\n".join(kept) + ("\n" if text.endswith("\n") else "")


def region_lines(text, relpath="<text>", begin_marker=BEGIN, end_marker=END):
    """All lines inside the regions of ``text``, markers excluded."""
    lines = text.splitlines()
    found = []
    for region in find_regions(lines, relpath, begin_marker, end_marker):
        found.extend(region.body(lines))
    return found


def cell_source(cell):
    """A notebook cell's source as one string (the JSON may store a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def package_files(package):
    """The package's .py files, sorted, without caches."""
    package = Path(package)
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)
