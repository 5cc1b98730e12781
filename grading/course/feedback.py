"""Feedback after manual grading: rendered again with every grade, exported for the LMS.

:func:`regenerate_feedback` runs nbgrader's ``generate_feedback`` again once the TAs
have graded, so each page shows every cell's points (the manual grades too), the TAs'
comments and the grader's verdicts. It renders from a scratch copy of the autograded
notebooks (``COURSE/work/``) with a summary cell added at the top: the automatic and
manual points, the late penalty and what is not graded yet. ``autograded/`` itself,
which formgrader shows, is never changed. Only the verdict cells of the grader are
rendered; any other cell it inserted is dropped from the copy. The copy is sanitized
(:func:`grading.run.sanitize.sanitize_notebook`: what the student wrote or printed renders as
inert HTML) and each page written gets the Content-Security-Policy
:data:`~grading.run.sanitize.CSP`, which runs no script.

:func:`export_feedback` writes one self-contained page per student for the LMS. The
notebooks' pages hold the students' own markdown, so each one is cleaned again
(:func:`grading.run.sanitize.frame_document`) and shown in an ``<iframe sandbox srcdoc=...>``:
no ``allow-scripts``, so nothing in it runs, and no ``allow-same-origin``, so it cannot
reach the outer page. The outer page's Content-Security-Policy (the srcdoc frames
inherit it) runs no script and loads nothing from anywhere.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from types import SimpleNamespace

from ..coursedir import ASSIGNMENT, NOTEBOOKS
from ..run.feedback import GRADER_KEY
from ..run.sanitize import CSP, frame_document, protect_pages, sanitize_notebook
from .folder import CourseError, locked, require_course
from .gradebook import open_gradebook
from .intake import course_deadlines, course_roster, load_records, selected
from .lms_export import feedback_upload_name

PAGE_STYLE = (
    "body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #bbb;padding:.25em .6em}td.n{text-align:right}"
    "iframe{width:100%;height:85vh;border:1px solid #888}"
)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def submission_points(gb, student_id):
    """One submission's points, by notebook, from nbgrader's gradebook.

    ``{notebook: {"auto", "manual", "max", "pending", "waiting"}}`` (``gb`` a
    ``nbgrader.api.Gradebook``), in :data:`~grading.coursedir.NOTEBOOKS` order: ``auto``
    the automatic points of the cells no person graded, ``manual`` what people gave
    (manual scores, extra credit), so ``auto + manual`` is nbgrader's notebook score;
    ``pending`` the points of the answers still waiting for a manual grade, ``waiting``
    how many they are. Raises ``nbgrader.api.MissingEntry`` without a submission.
    """
    submission = gb.find_submission(ASSIGNMENT, student_id)
    out = {}
    for nb in sorted(submission.notebooks, key=lambda n: _order(n.name)):
        auto = manual = pending = 0.0
        waiting = 0
        for grade in nb.grades:
            extra = grade.extra_credit or 0.0
            if grade.manual_score is not None:
                manual += grade.manual_score + extra
            elif grade.auto_score is not None:
                auto += grade.auto_score
                manual += extra
            if grade.needs_manual_grade and grade.manual_score is None:
                pending += grade.max_score
                waiting += 1
        out[nb.name] = {
            "auto": auto,
            "manual": manual,
            "max": float(nb.max_score),
            "pending": pending,
            "waiting": waiting,
        }
    return out


def _order(name):
    return NOTEBOOKS.index(name) if name in NOTEBOOKS else len(NOTEBOOKS)


def late_penalties(course, students=()):
    """{student_id: Penalty} of each selected attempt (and of ``students``, time unknown).

    From course.toml, the extensions file and the attempt's time, as intake computes it.
    """
    from .config import load_config

    config = load_config(course)
    deadlines, _ = course_deadlines(config, load_records(course), course_roster(course, config))
    times = {sid: entry.submitted_at for sid, entry in selected(course).items()}
    return {sid: deadlines.penalty(sid, times.get(sid)) for sid in {*times, *students}}


def _who(entry):
    """(name, label) of a selected attempt, or blanks."""
    return (entry.name, entry.label) if entry else ("", "")


def md_text(text):
    """Text a student or an LMS wrote, as markdown that shows it and nothing else."""
    text = _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))
    return html.escape(text, quote=True).replace("$", "&#36;")


def _n(value):
    return f"{round(value, 2):g}"


def _percent(penalty):
    return f"\u2212{_n(100 * penalty.fraction)}%" if penalty.fraction else "none"


def totals(points, penalty):
    """(earned, max, kept after the late penalty) of the whole submission."""
    earned = sum(p["auto"] + p["manual"] for p in points.values())
    return earned, sum(p["max"] for p in points.values()), penalty.apply(earned)


def summary_markdown(notebook, points, penalty, name, student_id, label):
    """The summary cell at the top of one notebook's feedback."""
    mine = points[notebook]
    earned, most, kept = totals(points, penalty)
    lines = [
        f"## Feedback summary: {md_text(notebook)}.ipynb",
        "",
        f"Student: {md_text(name or student_id)} ({md_text(student_id)}). "
        f"Graded attempt: {md_text(label or 'unnamed')}.",
        "",
        "| | Points |",
        "|:--|--:|",
        f"| Automatic points (test cells) | {_n(mine['auto'])} |",
        f"| Manual points (graded by the TAs) | {_n(mine['manual'])} |",
        f"| This notebook | {_n(mine['auto'] + mine['manual'])} / {_n(mine['max'])} |",
        f"| Whole submission, before the late penalty | {_n(earned)} / {_n(most)} |",
        f"| Late penalty | {_percent(penalty)} |",
        f"| Whole submission, after the late penalty | {_n(kept)} / {_n(most)} |",
        "",
        f"Late penalty: {md_text(penalty.reason)}. The late penalty applies to the total "
        "of the whole submission (all five notebooks), not to this notebook: the points "
        "below are before it.",
        "",
    ]
    if mine["waiting"]:
        lines.append(
            f"**Not graded yet:** {mine['waiting']} written answer(s) of this "
            f"notebook, worth {_n(mine['pending'])} points, wait for a TA; they "
            "show 0 points below until they are graded."
        )
    else:
        lines.append("Every written answer of this notebook has been graded.")
    return "\n".join(lines)


def _shown(cell):
    """Whether a cell may be rendered: not one the grader inserted, except its verdicts."""
    return cell.get("metadata", {}).get("cs231n", {}).get(GRADER_KEY) in (None, "verdict")


def _scratch_notebooks(source, dest, points, penalty, entry, student_id):
    import nbformat

    dest.mkdir(parents=True)
    name, label = _who(entry)
    for nb_name in NOTEBOOKS:
        path = source / f"{nb_name}.ipynb"
        if nb_name not in points or not path.is_file() or path.is_symlink():
            continue
        nb = nbformat.read(path, as_version=4)
        cell = nbformat.v4.new_markdown_cell(
            summary_markdown(nb_name, points, penalty, name, student_id, label)
        )
        cell.id = "cs231n-feedback-summary"
        cell.metadata["cs231n"] = {"feedback": "summary"}
        nb.cells = [cell, *(c for c in nb.cells if _shown(c))]
        sanitize_notebook(nb)
        nbformat.write(nb, dest / path.name)


def _graded(course):
    with open_gradebook(course) as gb:
        return sorted(s.student.id for s in gb.assignment_submissions(ASSIGNMENT))


def regenerate_feedback(course, students=None, log=print):
    """Render ``COURSE/feedback/<id>/`` again with the gradebook's current grades.

    ``students``: ids, by default every student with a submission in the gradebook.
    Returns the ids whose feedback was rendered.
    """
    from ..run.worker import _api

    course = require_course(Path(course).resolve())
    graded = _graded(course)
    unknown = sorted(set(students or ()) - set(graded))
    if unknown:
        raise CourseError(
            f"No graded submission for student id(s) {', '.join(unknown)}; "
            f"grade them first with `python -m grading autograde {course}`."
        )
    done = []
    with locked(course, "feedback"):
        entries, penalties = selected(course), late_penalties(course, graded)
        (course / "work").mkdir(exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="feedback_", dir=course / "work"))
        try:
            api = _api(course, autograded_directory=scratch.relative_to(course).as_posix())
            for sid in students or graded:
                source = course / "autograded" / sid / ASSIGNMENT
                if not source.is_dir():
                    log(f"{sid}: no autograded notebooks, so no feedback")
                    continue
                with open_gradebook(course) as gb:
                    points = submission_points(gb, sid)
                _scratch_notebooks(
                    source,
                    scratch / sid / ASSIGNMENT,
                    points,
                    penalties[sid],
                    entries.get(sid),
                    sid,
                )
                result = api.generate_feedback(ASSIGNMENT, sid)
                if result.get("success"):
                    protect_pages(course / "feedback" / sid / ASSIGNMENT)
                    done.append(sid)
                else:
                    log(
                        f"{sid}: nbgrader could not render the feedback: "
                        f"{(result.get('error') or result.get('log') or '').strip()[-500:]}"
                    )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    log(f"Feedback rendered for {len(done)} student(s).")
    return done


def _upload_info(lms, record):
    """What :func:`feedback_upload_name` needs of one student (see its docstring)."""
    chosen = next((a for a in record.get("attempts", []) if a["dir"] == record.get("selected")), {})
    label = chosen.get("label", "")
    if lms == "canvas":
        # Intake keeps Canvas's "lastfirst_[LATE_]userid"; the file id is the attempt's key.
        who = (label.split("_")[0] if label else "") or "student"
        key = str(chosen.get("key", ""))
        label = f"{who}_{record['lms_id']}_{int(key)}" if key.isdigit() else label
    return SimpleNamespace(
        label=label, lms_id=record.get("lms_id", ""), name=record.get("name", "")
    )


def student_page(student_id, name, label, points, penalty, pages):
    """One student's feedback page: the summary table, then each notebook's page framed.

    ``pages`` maps a notebook to its feedback page (nbgrader's HTML); each is cleaned
    (:func:`~grading.run.sanitize.frame_document`) and shown in a sandboxed frame.
    """
    esc = html.escape
    earned, most, kept = totals(points, penalty)
    rows = "".join(
        f"<tr><td><a href='#nb-{esc(nb)}'>{esc(nb)}.ipynb</a></td><td class=n>{_n(p['auto'])}"
        f"</td><td class=n>{_n(p['manual'])}</td><td class=n>{_n(p['max'])}</td>"
        f"<td class=n>{_n(p['pending'])}</td></tr>"
        for nb, p in points.items()
    )
    frames = "".join(
        f"<h2 id='nb-{esc(nb)}'>{esc(nb)}.ipynb</h2>"
        + (
            f'<iframe sandbox title="{esc(nb)}.ipynb" '
            f'srcdoc="{esc(frame_document(pages[nb]), quote=True)}">'
            "</iframe>"
            if nb in pages
            else "<p>No feedback page for this notebook.</p>"
        )
        for nb in points
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>Feedback: {esc(ASSIGNMENT)}</title><style>{PAGE_STYLE}</style></head><body>"
        f"<h1>Feedback on {esc(ASSIGNMENT)}</h1><p>Student: {esc(name or student_id)} "
        f"({esc(student_id)}). Graded attempt: {esc(label or 'unnamed')}.</p>"
        "<table><tr><th>Notebook</th><th>Automatic</th><th>Manual</th><th>Max</th>"
        f"<th>Not graded yet (points)</th></tr>{rows}"
        f"<tr><th>Before the late penalty</th><td class=n colspan=3>{_n(earned)} / "
        f"{_n(most)}</td><td></td></tr><tr><th>Late penalty</th><td class=n colspan=3>"
        f"{_percent(penalty)}</td><td>{esc(penalty.reason)}</td></tr>"
        f"<tr><th>Total</th><td class=n colspan=3><b>{_n(kept)} / {_n(most)}</b></td>"
        "<td></td></tr></table><p>The late penalty applies to the total of the whole "
        "submission. Written answers not graded yet count 0 until a TA grades them. Each "
        "notebook's page below shows the points of every cell and the TAs' comments.</p>"
        f"{frames}</body></html>\n"
    )


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def export_feedback(course, lms, out_dir, regenerate=True, log=print):
    """Write each graded student's page into ``out_dir``, named for the LMS's upload.

    ``lms`` is one of :data:`~grading.course.lms_export.LMS_CHOICES`. For Canvas and
    Moodle the zip their bulk upload reads is written beside ``out_dir`` and returned
    (``<out_dir>.zip``); otherwise ``out_dir``. ``regenerate`` renders the feedback
    again first, so the pages show the current grades. Students without a graded
    submission (or an upload name) are skipped and listed through ``log``.
    """
    from nbgrader.api import MissingEntry

    course = require_course(Path(course).resolve())
    if regenerate:
        regenerate_feedback(course, log=log)
    out_dir = Path(out_dir)
    records, entries = load_records(course)["students"], selected(course)
    penalties = late_penalties(course, records)
    written, skipped = [], []
    with open_gradebook(course) as gb:
        for sid in sorted(records):
            folder = course / "feedback" / sid / ASSIGNMENT
            pages = {
                nb: (folder / f"{nb}.html").read_text(encoding="utf-8")
                for nb in NOTEBOOKS
                if (folder / f"{nb}.html").is_file()
            }
            try:
                points = submission_points(gb, sid)
                name = feedback_upload_name(lms, _upload_info(lms, records[sid]), sid)
            except MissingEntry:
                skipped.append(f"{sid} (not graded)")
                continue
            except ValueError as err:
                skipped.append(f"{sid} ({err})")
                continue
            if not pages:
                skipped.append(f"{sid} (no feedback pages)")
                continue
            _write(
                out_dir / name,
                student_page(sid, *_who(entries.get(sid)), points, penalties[sid], pages),
            )
            written.append(name)
    if skipped:
        log(f"Skipped {len(skipped)} student(s): {'; '.join(skipped)}")
    log(f"Feedback for {len(written)} student(s) in {out_dir}")
    if lms not in ("canvas", "moodle"):
        return out_dir
    target = out_dir.with_name(f"{out_dir.name}.zip")
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in written:
            zf.write(out_dir / name, name)
    os.replace(tmp, target)
    return target
