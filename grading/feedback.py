"""Keep hidden tests out of the feedback students receive.

``nbgrader autograde`` puts the full test cells, hidden tests included, back into the
autograded notebooks, and ``generate_feedback`` renders them (jupyter/nbgrader#1363,
still open). Before feedback is generated from a copy of those notebooks, this module
removes each hidden-test region from the test cells and from the tracebacks that
quote the cell: a frame whose failing line is hidden becomes a short note, and
hidden context lines are dropped from the others. The exception's name and message
stay, so a student still learns which check failed.
"""

from __future__ import annotations

import json
import re

from .regions import HIDDEN_BEGIN, HIDDEN_END, RegionError, cell_source, find_regions

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HIDDEN_FRAME = "(this error comes from a hidden test: its code is not shown)"


def strip_hidden(source):
    """Return (source without hidden regions, the hidden lines that were removed)."""
    lines = source.splitlines()
    regions = find_regions(lines, "test cell", HIDDEN_BEGIN, HIDDEN_END)
    drop, hidden = set(), []
    for region in regions:
        drop.update(range(region.begin, region.end + 1))
        hidden += [line.strip() for line in region.body(lines) if line.strip()]
    kept = [line for i, line in enumerate(lines) if i not in drop]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept), hidden


# A source line quoted in a traceback frame: "----> 3 code" (the failing line) or "      4 code".
QUOTED = re.compile(r"^(-*>)?\s*\d+ ?(.*)$")


def _scrub_frame(frame, hidden):
    """The frame without the hidden lines it quotes; the note alone if one of them failed."""
    secret = set(hidden) | {HIDDEN_BEGIN, HIDDEN_END}
    kept = []
    for line in frame.split("\n"):
        plain = ANSI.sub("", line)
        match = QUOTED.match(plain)
        code = match.group(2).strip() if match else None
        if code in secret or (match is None and any(s in plain for s in hidden)):
            if match and match.group(1):  # the failing line itself is hidden
                return HIDDEN_FRAME
            continue
        kept.append(line)
    return "\n".join(kept)


def hide_hidden_tests(path):
    """Rewrite the notebook at ``path`` without hidden tests; return how many cells changed."""
    with open(path) as f:
        nb = json.load(f)
    changed = 0
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("grade"):
            continue
        try:
            source, hidden = strip_hidden(cell_source(cell))
        except RegionError:  # markers mangled: show nothing of the cell rather than too much
            source, hidden = "# (this test cell is not shown)", None
        if hidden == []:
            continue
        cell["source"] = source
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [
                    HIDDEN_FRAME if hidden is None else _scrub_frame(frame, hidden)
                    for frame in output.get("traceback", [])
                ]
        changed += 1
    with open(path, "w") as f:
        json.dump(nb, f, indent=1)
        f.write("\n")
    return changed
