"""The similarity report's page: ranked pairs, then matching passages side by side.

Everything a student wrote, and every name, goes through ``html.escape``; the page
carries no script and a Content-Security-Policy that allows only its own stylesheet.
"""

from __future__ import annotations

import base64
import hashlib
import html

import numpy as np
from copydetect import compare_files

CONTEXT = 3  # lines shown around each matching passage

CSS = """\
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}
.side{display:grid;grid-template-columns:1fr 1fr;gap:1em}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
mark{background:#ffd36b}.gap{color:#888}
"""
CSP = (
    "default-src 'none'; style-src 'sha256-{}'; img-src 'none'; base-uri 'none'; form-action 'none'"
)


def _spans(slices, size):
    """copydetect's ``(2, M)`` slices as sorted, merged ``(start, end)`` within the text."""
    spans = []
    starts, ends = np.asarray(slices[0]).tolist(), np.asarray(slices[1]).tolist()
    for start, end in sorted(zip(starts, ends, strict=True)):
        start, end = max(0, int(start)), min(size, int(end))
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        elif start < end:
            spans.append((start, end))
    return spans


def _marked(text, spans, start, end):
    """``text[start:end]`` escaped, with the spans inside it in ``<mark>``."""
    out, pos = [], start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s < e:
            out += [html.escape(text[pos:s]), "<mark>", html.escape(text[s:e]), "</mark>"]
            pos = e
    out.append(html.escape(text[pos:end]))
    return "".join(out)


def _passage(text, slices):
    """The lines around the matches of ``text`` (``CONTEXT`` each side), as HTML."""
    spans = _spans(slices, len(text))
    starts = np.cumsum([0] + [len(line) for line in text.splitlines(keepends=True)])
    keep = np.zeros(len(starts) - 1, dtype=bool)
    for s, e in spans:
        first, last = np.searchsorted(starts, [s, e - 1], side="right") - 1
        keep[max(0, first - CONTEXT) : last + CONTEXT + 1] = True
    kept = np.flatnonzero(keep)
    parts, gap = [], '<span class="gap">⋯</span>\n'
    for run in np.split(kept, np.flatnonzero(np.diff(kept) > 1) + 1) if kept.size else []:
        chunk = _marked(text, spans, starts[run[0]], starts[run[-1] + 1])
        parts += [gap] * bool(run[0] > 0) + [chunk.rstrip("\n") + "\n"]
    if kept.size and kept[-1] < len(keep) - 1:
        parts.append(gap)
    return "".join(parts)


def _section(rank, pair, prints):
    e = html.escape
    out = [
        f'<section id="pair-{rank}"><h2>{rank}. {e(pair.a)} and {e(pair.b)}: '
        f"{pair.similarity:.1%}</h2>"
    ]
    for name, sim_a, sim_b in pair.files:
        fa, fb = prints[pair.a][name], prints[pair.b][name]
        _, _, (slices_a, slices_b) = compare_files(fa, fb)
        out.append(
            f"<h3>{e(name)}: {sim_a:.0%} of {e(pair.a)}'s, {sim_b:.0%} of {e(pair.b)}'s</h3>"
            f'<div class="side"><div><h4>{e(pair.a)}</h4><pre>'
            f"{_passage(fa.raw_code, slices_a)}</pre></div>"
            f"<div><h4>{e(pair.b)}</h4><pre>{_passage(fb.raw_code, slices_b)}</pre></div></div>"
        )
    return "".join(out) + "</section>\n"


def page(shown, prints, num_students, threshold):
    """The whole report as one HTML document."""
    e = html.escape
    rows = "".join(
        f'<tr><td><a href="#pair-{rank}">{rank}</a></td><td>{e(p.a)}</td><td>{e(p.b)}</td>'
        f"<td>{p.similarity:.1%}</td><td>"
        + "<br>".join(f"{e(f)} ({sa:.0%} / {sb:.0%})" for f, sa, sb in p.files)
        + "</td></tr>\n"
        for rank, p in enumerate(shown, 1)
    )
    table = (
        f"<table><tr><th>#</th><th>student A</th><th>student B</th><th>similarity</th>"
        f"<th>files (share of A's / of B's)</th></tr>\n{rows}</table>"
        if shown
        else f"<p>No pair of students reaches {threshold:.0%}.</p>"
    )
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP.format(digest)}">\n'
        f"<title>Similarity report</title><style>{CSS}</style></head><body>\n"
        f"<h1>Similarity report</h1><p>{num_students} students, "
        f"{num_students * (num_students - 1) // 2} pairs compared; the {len(shown)} most "
        f"similar at or above {threshold:.0%} are shown. Similarity is the share of both "
        "students' own text (release text excluded) that matches the other's.</p>\n"
        f"{table}\n"
        + "".join(_section(r, p, prints) for r, p in enumerate(shown, 1))
        + "</body></html>\n"
    )
