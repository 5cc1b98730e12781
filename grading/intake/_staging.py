"""Where a download's attempts are written: ``staging/1/``, ``staging/2/``, ...

:class:`Reader` is what every format's reader shares: it numbers attempt folders,
copies files into them under safe names only and within one submission's limits per
attempt (:class:`~grading.intake._limits.Budget`), places loose package files, and at
the end fills in times (file times when told to), roster checks and the notes
about missing times.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..coursedir import PACKAGE
from ._limits import Budget
from ._names import package_place, safe_parts
from .model import Attempt, Download

MAX_NOTES = 20  # problem lines about left-out files per attempt; the rest are counted
LABELS = {"canvas": "Canvas", "gradescope": "Gradescope", "moodle": "Moodle", "folders": "Folder"}


def natural(text):
    """Sort key: digit runs compare as numbers ("9" before "10")."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text)]


def order_key(number):
    """An :attr:`Attempt.key` from an LMS id: zero-padded, so string order is numeric order."""
    return f"{int(number):020d}"


class Reader:
    """The state of one :func:`~grading.intake.lms.read_download` call."""

    def __init__(self, tree, staging, fmt, roster, use_file_times, tz):
        self.tree, self.staging, self.roster = tree, Path(staging), roster
        self.use_file_times, self.tz = use_file_times, tz
        self.download = Download(fmt, problems=list(tree.problems))
        self._entries = {}  # attempt number -> entries copied, for file times
        self._budgets = {}  # attempt number -> what it may still unpack to
        self._left_out = {}  # attempt number -> files left out by the copy (MAX_NOTES said)

    def attempt(self, lms_id, name, label, **fields):
        """A new :class:`Attempt` with an empty folder ``staging/<n>/``."""
        number = len(self.download.attempts) + 1
        folder = self.staging / str(number)
        folder.mkdir()
        attempt = Attempt(lms_id=lms_id, name=name, files=folder, label=label, **fields)
        self.download.attempts.append(attempt)
        self._entries[number] = []
        self._budgets[number] = Budget(self.tree.limits)
        self._left_out[number] = 0
        return attempt

    def skip(self, entry, why):
        self.download.problems.append(f"skipped {entry.name}: {why}")

    def put(self, attempt, entry, parts):
        """Copy ``entry`` to ``parts`` inside the attempt's folder (made safe first)."""
        safe = safe_parts(parts)
        if safe is None:
            attempt.problems.append(f"left out {entry.name}: its name is not a usable path")
            return
        target = attempt.files.joinpath(*safe)
        root = attempt.files.resolve()
        if root not in target.resolve().parents:  # safe_parts makes this impossible
            raise AssertionError(f"{target} is outside {root}")
        rel = "/".join(safe)
        if target.exists():
            attempt.problems.append(
                f"two files would both be {rel} (the second is {entry.name}): kept the first"
            )
            return
        number = int(attempt.files.name)
        budget = self._budgets[number]
        if budget.stopped:  # said once, when it stopped
            return
        problem = self.tree.copy(entry, target, budget)
        if not problem:
            self._entries[number].append(entry)
            return
        self._left_out[number] += 1
        if self._left_out[number] <= MAX_NOTES:
            attempt.problems.append(problem)

    def put_loose(self, attempt, entry, parts):
        """Like :meth:`put`; a lone ``.py`` file at the top goes to its package place."""
        if len(parts) == 1 and parts[0].endswith(".py"):
            parts, problem = package_place(parts[0])
            if problem:
                attempt.problems.append(problem)
        self.put(attempt, entry, parts)

    def finish(self, lms_times):
        """File times, roster checks and the download's notes; ``lms_times``: the LMS gave times."""
        if self.use_file_times:
            self._file_times()
        if not lms_times:
            self.download.problems.append(self._no_times_note())
        if self.roster is not None:
            self._check_roster()
        for number, attempt in enumerate(self.download.attempts, start=1):
            if self._left_out[number] > MAX_NOTES:
                attempt.problems.append(
                    f"left out {self._left_out[number] - MAX_NOTES} more "
                    "file(s) for the same reasons"
                )
            names = {p.name for p in attempt.files.iterdir()}
            if not names:
                attempt.problems.append("nothing to grade in this attempt")
            elif self.download.format != "folders" and not any(
                n.endswith((".ipynb", ".zip")) or n == PACKAGE for n in names
            ):
                attempt.problems.append(
                    "no notebook, no cs231n_lib/ and no .zip in this "
                    f"attempt (it holds {', '.join(sorted(names)[:5])})"
                )

    def _file_times(self):
        stamped = []
        for number, attempt in enumerate(self.download.attempts, start=1):
            entries = self._entries[number]
            if attempt.submitted_at is None and entries:
                attempt.submitted_at = max(self.tree.file_time(e, self.tz) for e in entries)
                attempt.time_source = "file"
                stamped.append(attempt.submitted_at)
        if len(stamped) > 1 and len(set(stamped)) == 1:
            self.download.problems.append(
                f"every file carries the same time ({stamped[0].isoformat()}): these are "
                "the download's own times, not the students': do not compute late days "
                "from them"
            )

    def _no_times_note(self):
        fmt = self.download.format
        what = "the zip entries' times" if self.tree.is_zip else "the files' modification times"
        note = f"{LABELS[fmt]} downloads carry no submission times"
        if self.use_file_times:
            return (
                f"{note}: the times are {what} (--use-file-times); they come from the "
                "student's computer or the download, so check them before charging "
                "late days"
            )
        hint = (
            " pass Moodle's grading worksheet as the roster (its 'Last modified "
            "(submission)' column has the times), or"
            if fmt == "moodle"
            else ""
        )
        return f"{note}: late days cannot be computed;{hint} use --use-file-times to take {what}"

    def _check_roster(self):
        seen = set()
        for attempt in self.download.attempts:
            entry = self.roster.find(attempt.lms_id) or self.roster.find(attempt.email)
            if entry is None:
                attempt.problems.append(
                    f"{attempt.name or attempt.lms_id} (id {attempt.lms_id}) is not on the roster"
                )
                continue
            seen.add(id(entry))
            attempt.email = attempt.email or entry.email
        missing = [s for s in self.roster.students if id(s) not in seen]
        if missing:
            shown = ", ".join(f"{s.name or s.lms_id} ({s.lms_id})" for s in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            self.download.problems.append(
                f"no submission in the download from {len(missing)} student(s) on the "
                f"roster: {shown}{more}"
            )
