"""Similarity report for a class: what each student wrote, compared with copydetect.

Every submission becomes a few comparable text files (:func:`extract_student_work`):
per package ``.py`` file the lines the student changed, and per notebook the code answer
cells (``<nb>_code.py``) and the written answers (``<nb>_written.txt``). The release's
versions of the same files, and the rest of its notebooks, are boilerplate: copydetect
drops their fingerprints before matching, so nothing every student was given makes two
students similar. :func:`similarity_report` compares each pair of students file by file and writes
one self-contained HTML page: the most similar pairs, then their matching passages side
by side. Student text is escaped everywhere and the page allows no script.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from copydetect import CodeFingerprint, compare_files

from ..coursedir import NOTEBOOKS, PACKAGE, REPO
from ._similarity_html import page

CODE_K = 25  # copydetect's default noise threshold, in filtered characters ("V=F(V,V)")
TEXT_K = 50  # written answers are compared unfiltered: about eight words of prose
# Filtered Python keeps about one character in five of its source (measured on the
# instructor's solution regions), so a character of prose weighs a fifth of a code token:
# a page of written answers counts about as much as a page of code.
TEXT_WEIGHT = 0.2
MAX_CHARS = 200_000  # read of any one file: a huge file is cut, not compared whole
WORK, BOILERPLATE = "work", "boilerplate"


@dataclass(frozen=True)
class Pair:
    """Two students and how much of their work matches.

    Attributes
    ----------
    a, b : str
        Student ids, ``a < b``.
    similarity : float
        In ``[0, 1]``: the pair's share of matching work (see :func:`similarity_report`).
    files : list of (str, float, float)
        ``(file, sim_a, sim_b)`` for every file with a match, most similar first:
        the share of A's (B's) own text in that file that matches the other's.
    """

    a: str
    b: str
    similarity: float
    files: list[tuple[str, float, float]]


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read(MAX_CHARS)


def _one_line(text):
    return " ".join(text.split())


def _source(cell):
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _cells(path):
    """``[(cell_type, solution, grade_id, source)]`` of a notebook; [] if it is not one."""
    if not path.is_file() or path.is_symlink():
        return []
    try:
        cells = json.loads(path.read_text(encoding="utf-8", errors="replace"))["cells"]
    except (ValueError, KeyError, TypeError):
        return []
    out = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata")
        grading = meta.get("nbgrader") if isinstance(meta, dict) else None
        grading = grading if isinstance(grading, dict) else {}
        grade_id = _one_line(str(grading.get("grade_id", "")))[:80] or "cell"
        out.append(
            (cell.get("cell_type"), grading.get("solution") is True, grade_id, _source(cell))
        )
    return out


def _notebook_texts(path, nb, starters=None):
    """``{file: text}`` of one notebook's answers (and, for the release, of the rest).

    ``starters`` maps ``(nb, grade_id)`` to the release's cell: a student's answer left
    as released is skipped, and a written answer loses the starter's text (``**Your
    answer:**``) so that no fingerprint straddles it. ``None`` means this is the release.
    """
    code, written, given, prose = [], [], [], []
    for cell_type, solution, grade_id, source in _cells(path):
        starter = (starters or {}).get((nb, grade_id))
        if starters is not None and (not solution or source.strip() == (starter or "").strip()):
            continue
        if cell_type == "code":
            (code if solution else given).append(f"# {grade_id}\n{source}\n")
        elif cell_type == "markdown" and not solution:
            prose.append(_one_line(source) + "\n")
        elif cell_type == "markdown":
            for line in sorted({ln.strip() for ln in (starter or "").splitlines()} - {""}):
                source = source.replace(line, " ")
            answer = _one_line(source)
            if answer:
                written.append(f"## {grade_id}\n{answer}\n\n")
    texts = {
        f"{nb}_code.py": code,
        f"{nb}_written.txt": written,
        f"{nb}_given.py": given,
        f"{nb}_text.txt": prose,
    }
    return {name: "".join(parts) for name, parts in texts.items() if parts}


def _changes(text, release_text):
    """The lines of ``text`` that are not the release's, each run under a ``# line N``."""
    if text == release_text:
        return ""
    ours, theirs = text.splitlines(), release_text.splitlines()
    hunks = SequenceMatcher(None, theirs, ours, autojunk=False).get_opcodes()
    return "".join(
        f"# line {j1 + 1}\n" + "\n".join(ours[j1:j2]) + "\n"
        for tag, _, _, j1, j2 in hunks
        if tag in ("replace", "insert")
    )


def _package_texts(root, release=None):
    """``{path: text}`` of the package's ``.py`` files; with ``release``, only the changes.

    A student's file becomes the lines that differ from the release's same file (all of
    it for a file the release lacks), so only what the student wrote is fingerprinted.
    """
    package = (root / PACKAGE).resolve()
    out = {}
    for path in sorted(package.rglob("*.py")):
        if (
            "__pycache__" in path.parts
            or path.is_symlink()
            or not path.is_file()
            or not path.resolve().is_relative_to(package)
        ):
            continue
        name, text = path.relative_to(package.parent).as_posix(), _read(path)
        if release is not None:
            text = _changes(text, release.get(name, ""))
        if text:
            out[name] = text
    return out


def _check_folder(folder, what):
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Expected {what}: a folder holding the notebooks and {PACKAGE}/, got {folder}, "
            "which is not a folder. Pass the folder itself (unpack zips with the intake first)."
        )
    return folder


def _release(release_dir):
    """The release's boilerplate ``{file: text}`` and its answer cells ``{(nb, id): text}``."""
    release_dir = _check_folder(release_dir, "the release (assignment1/)")
    if not (release_dir / PACKAGE).is_dir():
        raise FileNotFoundError(
            f"Expected the release folder to hold {PACKAGE}/, got {release_dir} without it. "
            "Pass the released starter copy, assignment1/."
        )
    files, starters = _package_texts(release_dir), {}
    for nb in NOTEBOOKS:
        path = release_dir / f"{nb}.ipynb"
        files.update(_notebook_texts(path, nb))
        starters.update({(nb, gid): src for _, sol, gid, src in _cells(path) if sol})
    return files, starters


def _student_texts(submission_dir, release):
    files, starters = release
    folder = _check_folder(submission_dir, "a student's submission")
    texts = _package_texts(folder, files)
    for nb in NOTEBOOKS:
        texts.update(_notebook_texts(folder / f"{nb}.ipynb", nb, starters))
    return texts


def _write(texts, folder):
    paths = []
    for name, text in texts.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def extract_student_work(submission_dir, release_dir, out_dir):
    """Write a student's comparable files, and the release's starter text beside them.

    Parameters
    ----------
    submission_dir : path-like
        One student's submission after intake: the five notebooks and ``cs231n_lib/``.
    release_dir : path-like
        The released starter copy (``assignment1/``), same layout.
    out_dir : path-like
        Receives ``work/`` (the student's files) and ``boilerplate/`` (the release's).

    Returns
    -------
    list of Path
        The files written into ``out_dir/work``, only where the student wrote something:
        each package ``.py`` file that differs from the release's, cut to the lines that
        differ (each run under a ``# line N`` comment giving its place in the student's
        file), and per notebook ``<nb>_code.py`` (code answer cells, each under a
        ``# grade_id`` line) and ``<nb>_written.txt`` (written answers, one per line
        under ``## grade_id``). ``out_dir/boilerplate`` gets the release's package files
        whole, its answer cells as released in the same two forms, and the rest of its
        notebooks (``<nb>_given.py``, ``<nb>_text.txt``).
    """
    release = _release(release_dir)
    out_dir = Path(out_dir)
    _write(release[0], out_dir / BOILERPLATE)
    return _write(_student_texts(submission_dir, release), out_dir / WORK)


def _is_text(name):
    return name.endswith(".txt")


def _weight(name):
    return TEXT_WEIGHT if _is_text(name) else 1.0


def _fingerprint(path, boilerplate):
    """copydetect's fingerprint of one file, without the ``boilerplate[is_text]`` hashes.

    The winnowing window is 1 (every k-gram is kept, copydetect's guarantee threshold
    equal to its noise threshold): a wider window picks k-grams by Python's ``hash``,
    which changes from one process to the next, and so would the scores.
    """
    text = _is_text(path.name)
    return CodeFingerprint(
        str(path),
        TEXT_K if text else CODE_K,
        1,
        boilerplate[text],
        filter=not text,
        language=None if text else "python",
    )


def _boilerplate(folder):
    """``{is_text: hashes}`` of every file under ``folder``, as copydetect builds them."""
    hashes = {False: [], True: []}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hashes[_is_text(path.name)].extend(_fingerprint(path, {False: [], True: []}).hashes)
    return {kind: np.unique(np.array(h, dtype=np.int64)) for kind, h in hashes.items()}


def _fingerprints(submissions, release_dir, scratch):
    """``{student: {file: CodeFingerprint}}`` of what each student wrote."""
    release = _release(release_dir)
    _write(release[0], scratch / BOILERPLATE)
    boilerplate = _boilerplate(scratch / BOILERPLATE)
    prints = {}
    for i, student in enumerate(sorted(submissions)):
        texts = _student_texts(submissions[student], release)
        paths = _write(texts, scratch / WORK / str(i))
        found = {n: _fingerprint(p, boilerplate) for n, p in zip(texts, paths, strict=True)}
        prints[student] = {name: fp for name, fp in found.items() if fp.hashes}
    return prints


def _score(prints):
    """Every pair of students, most similar first."""
    students = sorted(prints)
    total = {
        s: sum(_weight(name) * fp.token_coverage for name, fp in prints[s].items())
        for s in students
    }
    pairs = []
    for a, b in combinations(students, 2):
        shared, files = 0.0, []
        for name in sorted(prints[a].keys() & prints[b].keys()):
            fa, fb = prints[a][name], prints[b][name]
            _, (sim_a, sim_b), _ = compare_files(fa, fb)
            if sim_a or sim_b:
                shared += _weight(name) * (sim_a * fa.token_coverage + sim_b * fb.token_coverage)
                files.append((name, float(sim_a), float(sim_b)))
        files.sort(key=lambda f: (-max(f[1], f[2]), f[0]))
        whole = total[a] + total[b]
        pairs.append(Pair(a, b, float(shared / whole) if whole else 0.0, files))
    pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
    return pairs


def similarity_report(submissions, release_dir, out_html, top=50, threshold=0.2):
    """Compare every pair of students and write the most similar pairs as one HTML page.

    Parameters
    ----------
    submissions : dict of str to path-like
        Student id -> submission folder (after intake).
    release_dir : path-like
        The released starter copy, ``assignment1/``: its text is boilerplate.
    out_html : path-like
        The report, self-contained: a ranked table, then each pair's matching passages
        side by side with the matches highlighted.
    top : int, default=50
        At most this many pairs are shown.
    threshold : float, default=0.2
        Pairs below this similarity are not shown.

    Returns
    -------
    list of Pair
        Every pair of students, most similar first (ties by id).

    Notes
    -----
    copydetect fingerprints each file of :func:`extract_student_work` (k-grams of its
    tokens with names replaced by ``V``/``F``, so renaming variables hides nothing;
    written answers as raw text), less the release's fingerprints, and matches it
    against the other student's file of the same name (code moved to another file is
    not matched). Per file it gives the share of each student's own text that matches.
    A pair's score weighs files by their size:

        similarity = (matched_A + matched_B) / (written_A + written_B)

    where ``written_X`` is the size of all X's own text (fingerprinted tokens, in every
    file, prose counting ``TEXT_WEIGHT`` per character) and ``matched_X`` the part of it
    that matches the other student (JPlag's "average similarity"). Unlike the highest
    file score, one short answer that many students write alike (a one-line ``argmax``)
    cannot put a pair on top; a student who copied a whole file still stands out, and
    each file's two shares are listed to show who holds the larger part.

    The same inputs give the same pairs and the same page, byte for byte, in any
    process (see :func:`_fingerprint`).
    """
    if not isinstance(top, int) or top < 1:
        raise ValueError(f"Expected top to be a whole number >= 1, got {top!r}.")
    if not 0 <= threshold <= 1:
        raise ValueError(
            f"Expected threshold in [0, 1] (a share of the work), got "
            f"{threshold!r}; for 30% pass 0.3."
        )
    if not isinstance(submissions, Mapping):
        raise TypeError(
            f"Expected submissions as a dict {{student id: submission folder}}, "
            f"got {type(submissions).__name__}. Build one from the intake's output."
        )
    with TemporaryDirectory(prefix="similarity-") as scratch:
        named = {str(student): folder for student, folder in submissions.items()}
        prints = _fingerprints(named, release_dir, Path(scratch))
        pairs = _score(prints)
        shown = [p for p in pairs if p.similarity >= threshold and p.similarity > 0][:top]
        text = page(shown, prints, len(prints), threshold)
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(text, encoding="utf-8")
    return pairs


def course_similarity(course, top=50, threshold=0.2):
    """Compare the graded attempts of a course folder; write ``exports/similarity.html``.

    Each student's chosen attempt is unpacked as the grader does (the same clean-up,
    ``grading.intake.prepare``) into scratch space first. Returns the report's path.
    """
    from ..intake import prepare
    from .folder import locked, require_course
    from .intake import selected

    course = require_course(Path(course).resolve())
    out = course / "exports" / "similarity.html"
    with (
        locked(course, "similarity"),
        TemporaryDirectory(prefix="similarity-", dir=course / "work") as tmp,
    ):
        folders = {}
        for student_id, entry in sorted(selected(course).items()):
            dest = Path(tmp) / student_id
            if prepare(entry.submission(), dest, REPO / "assignment1"):
                folders[student_id] = dest
        similarity_report(folders, REPO / "assignment1", out, top=top, threshold=threshold)
    return out
