"""Read a Gradescope "Export Submissions" download.

Layout (``assignment_<id>_export/`` at the top of the zip, looked through)::

    submission_metadata.yml
    submission_123456789/knn.ipynb, cs231n_lib/..., ...   # one folder per submission
    submission_123456790/...

``submission_metadata.yml`` maps each folder name to a record written by Ruby, so
its keys are symbols (``:submitters:``, ``:created_at:``)::

    submission_123456789:
      :submitters:
      - :name: Zoë O'Brien
        :sid: '12345'
        :email: zoe@example.edu
      :created_at: 2026-10-14 21:58:05.746365000 Z
      :score: 17.5
      :history:              # earlier submissions: their :id:, :created_at:, ...
      - :id: 123456001
        :created_at: 2026-10-13 08:00:00.000000000 Z

A group submission lists several submitters. Ruby object tags (``!ruby/hash:...``)
are read as plain data. Sources: the sample exports and ``GradescopeParser`` in
ucbds-infra/otter-grader (``test/test-grade/gradescope-export/``,
``otter/grade/metadata.py`` before commit d9acdedb), and the Gradescope-Utils
``join.pl`` of hazelgrove/hazel (the ``assignment*export`` folder).
"""

from __future__ import annotations

import re

import yaml

from ._staging import natural, order_key
from ._times import parse_stamp

METADATA = "submission_metadata.yml"
SUBMISSION_DIR = re.compile(r"^submission_(\d+)$")


class _RubyLoader(yaml.SafeLoader):
    """SafeLoader that reads Ruby's object tags as the plain data under them."""


def _plain(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_RubyLoader.add_multi_constructor("!", _plain)


def load_metadata(tree):
    """``({folder: record}, problem)`` from the export's metadata file."""
    entry = next((e for e in tree.entries if e.parts == (METADATA,)), None)
    if entry is None:
        return {}, (
            f"the export has no {METADATA}: no submission can be tied to a student "
            "(download it again with Gradescope's 'Export Submissions')"
        )
    try:
        data = yaml.load(tree.read_bytes(entry), Loader=_RubyLoader)  # a SafeLoader
    except (yaml.YAMLError, ValueError, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return {}, f"{METADATA} is not readable ({first}): no submission can be tied to a student"
    if not isinstance(data, dict):
        return {}, (
            f"{METADATA} is not a mapping of submission folders to records: no "
            "submission can be tied to a student"
        )
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}, ""


def read_gradescope(r):
    """Fill ``r.download`` from a Gradescope export (``r``: a :class:`~._staging.Reader`)."""
    metadata, problem = load_metadata(r.tree)
    if problem:
        r.download.problems.append(problem)
    folders = {}
    for entry in r.tree.entries:
        if len(entry.parts) > 1:
            folders.setdefault(entry.parts[0], []).append(entry)
        elif entry.parts != (METADATA,):
            r.skip(
                entry,
                "a loose file at the top of a Gradescope export (expected "
                "submission_<id>/ folders)",
            )
    earlier = {}  # folder of an earlier submission present in the export -> its history item
    for key, record in metadata.items():
        if key not in folders:
            names = ", ".join(_names(record)) or "unknown submitters"
            r.download.problems.append(
                f"{key} is in {METADATA} but not in the export: nothing to grade for {names}"
            )
        for item in _history(record):
            folder = f"submission_{item.get(':id')}"
            if folder in folders and folder not in metadata:
                earlier[folder] = (record, item)
    for folder in sorted(folders, key=natural):
        if folder in earlier:
            continue
        record = metadata.get(folder)
        if record is None:
            _unknown(r, folder, folders[folder], bool(metadata))
            continue
        attempts = _attempts(r, folder, folders[folder], record, record.get(":created_at"))
        missing = 0
        for item in _history(record):
            hist = f"submission_{item.get(':id')}"
            if hist in earlier:
                _attempts(r, hist, folders[hist], record, item.get(":created_at"))
            else:
                missing += 1
        if missing:
            for attempt in attempts:
                attempt.problems.append(
                    f"{missing} earlier Gradescope submission(s) are in the history but not "
                    "in the export: only this one can be graded"
                )
    r.finish(lms_times=True)


def _history(record):
    items = record.get(":history") or []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _submitters(record):
    people = record.get(":submitters") or []
    return [p for p in people if isinstance(p, dict)] if isinstance(people, list) else []


def _names(record):
    return [str(p.get(":name") or "") for p in _submitters(record)]


def _text(value):
    return "" if value is None else str(value).strip()


def _attempts(r, folder, entries, record, created_at):
    """One attempt per submitter of the submission in ``folder``."""
    when = parse_stamp(created_at)
    submitters = _submitters(record)
    digits = SUBMISSION_DIR.match(folder)
    key = order_key(digits[1]) if digits else ""
    out = []
    for person in submitters or [{}]:
        name, sid, email = (_text(person.get(k)) for k in (":name", ":sid", ":email"))
        attempt = r.attempt(
            sid or email or name or folder,
            name,
            folder,
            email=email,
            submitted_at=when,
            time_source="lms" if when else "",
            key=key,
        )
        if not submitters:
            attempt.problems.append(
                f"{METADATA} names no submitter for {folder}: match it to a student by hand"
            )
        elif not (sid or email):
            attempt.problems.append(
                f"{name or 'a submitter'} has neither an SID nor an email "
                "in the metadata: matched by name only"
            )
        if when is None:
            attempt.problems.append(
                f"{folder} has no readable :created_at: ({created_at!r}): time unknown"
            )
        if len(submitters) > 1:
            others = ", ".join(_names(record))
            attempt.problems.append(
                f"a group submission of {others}: the same files are graded for each member"
            )
        for entry in entries:
            r.put_loose(attempt, entry, entry.parts[1:])
        out.append(attempt)
    return out


def _unknown(r, folder, entries, have_metadata):
    attempt = r.attempt(folder, "", folder)
    why = f"{folder} is not in {METADATA}" if have_metadata else f"{METADATA} is unreadable"
    attempt.problems.append(f"{why}: the student is unknown (match it by hand)")
    for entry in entries:
        r.put_loose(attempt, entry, entry.parts[1:])
