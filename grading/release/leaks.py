"""The leak check: no line of a solution region or hidden test may reach the release.

Secret lines come from the package's solution regions, the notebooks' solution
regions (a solution cell without markers is secret as a whole) and the notebooks'
hidden-test regions. A secret line leaks when it appears, stripped, as a whole line
or inside a longer line of any text file of the release (notebook cells included).
Lines that carry no information (blank, only brackets or punctuation) are skipped,
and so are lines that the sources also hold outside every region (``else:``,
``for k in k_choices:``, an import a visible test shares with a hidden one): the
author made those public, and the release must keep them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..coursedir import NOTEBOOKS, PACKAGE, REPO
from .regions import (
    BEGIN,
    END,
    HIDDEN_BEGIN,
    HIDDEN_END,
    cell_source,
    find_regions,
    package_files,
    region_lines,
)

# A line with fewer word characters than this is only compared as a whole line.
SUBSTRING_MIN_CHARS = 16


class LeakError(RuntimeError):
    def __init__(self, leaks):
        self.leaks = leaks
        shown = "\n".join(
            f"  {where}: {line!r} (from {origin})" for where, line, origin in leaks[:20]
        )
        more = f"\n  ... and {len(leaks) - 20} more" if len(leaks) > 20 else ""
        super().__init__(
            f"{len(leaks)} line(s) of solution regions or hidden tests appear in the "
            f"release:\n{shown}{more}\nReword the line in the release, or move it out of "
            "the region in the source."
        )


def _informative(line):
    return len(re.findall(r"\w", line)) > 0


def notebook_cells(path):
    with open(path) as f:
        return json.load(f)["cells"]


def notebook_secrets(path):
    """(line, origin) pairs of a source notebook's solution regions and hidden tests."""
    secrets = []
    for cell in notebook_cells(path):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        text = cell_source(cell)
        origin = f"{Path(path).name} cell {meta.get('grade_id', cell.get('id'))}"
        if meta.get("solution"):
            lines = text.splitlines()
            if find_regions(lines, origin):
                secrets += [(line, origin) for line in region_lines(text, origin)]
            else:
                secrets += [(line, origin) for line in lines]
        if meta.get("grade") and cell.get("cell_type") == "code":
            hidden = region_lines(text, origin, HIDDEN_BEGIN, HIDDEN_END)
            secrets += [(line, origin) for line in hidden]
    return secrets


def secrets(repo=REPO):
    """Every secret (stripped line, origin) of the sources, informative lines only."""
    found = []
    for path in package_files(repo / PACKAGE):
        rel = path.relative_to(repo).as_posix()
        found += [(line, rel) for line in region_lines(path.read_text(), rel)]
    for name in NOTEBOOKS:
        found += notebook_secrets(repo / "notebooks" / f"{name}.ipynb")
    return [(line.strip(), origin) for line, origin in found if _informative(line)]


def _outside(lines, name, *marker_pairs):
    inside = set()
    for begin, end in marker_pairs:
        for region in find_regions(lines, name, begin, end):
            inside.update(range(region.begin, region.end + 1))
    return {line.strip() for i, line in enumerate(lines) if i not in inside}


def public_lines(repo=REPO):
    """Stripped lines of the sources outside every region: what the release may keep."""
    public = set()
    for path in package_files(repo / PACKAGE):
        public |= _outside(path.read_text().splitlines(), str(path), (BEGIN, END))
    for name in NOTEBOOKS:
        for cell in notebook_cells(repo / "notebooks" / f"{name}.ipynb"):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            lines = cell_source(cell).splitlines()
            if meta.get("solution") and not find_regions(lines, name):
                continue  # a solution cell without markers is secret as a whole
            public |= _outside(lines, name, (BEGIN, END), (HIDDEN_BEGIN, HIDDEN_END))
    return public


def release_lines(release):
    """(where, stripped line) of every text line of the release, notebook cells included."""
    out = []
    for path in sorted(Path(release).rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        rel = path.relative_to(release).as_posix()
        if path.suffix == ".ipynb":
            for cell in notebook_cells(path):
                name = cell.get("id", "?")
                out += [
                    (f"{rel} cell {name}", line.strip()) for line in cell_source(cell).splitlines()
                ]
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        out += [(f"{rel}:{i + 1}", line.strip()) for i, line in enumerate(text.splitlines())]
    return out


def find_leaks(release, repo=REPO):
    """Return [(where in the release, secret line, origin)] for every leak found."""
    public = public_lines(repo)
    candidates = {}
    for line, origin in secrets(repo):
        if line in public:
            continue  # e.g. "return loss, dW": also outside the regions, so not a secret
        short = len(re.findall(r"\w", line)) < SUBSTRING_MIN_CHARS
        candidates.setdefault(line, (origin, short))
    leaks = []
    for where, text in release_lines(release):
        if not text:
            continue
        for secret, (origin, short) in candidates.items():
            if text == secret or (not short and secret in text):
                leaks.append((where, secret, origin))
    return leaks
