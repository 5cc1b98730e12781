"""Where things are in Gradescope's ``/autograder`` tree, and the zip's settings.

Gradescope unpacks the autograder zip into ``ROOT/source`` when it builds the image,
runs ``setup.sh`` there once, then for each submission puts the student's files in
``ROOT/submission`` and ``submission_metadata.json`` in ``ROOT``, runs
``ROOT/run_autograder`` and reads ``ROOT/results/results.json``. ``ROOT`` is
``/autograder``; ``$AUTOGRADER_ROOT`` (or ``--root``) moves it, for tests::

    ROOT/
      source/                 the zip: setup.sh, run_autograder, gradescope.json,
        repo/                 the project (grading/, cs231n_lib/, notebooks/, ...)
      grader/                 what setup.sh builds: the Python, the dataset, the course
        python                the interpreter run_autograder uses (one line)
        data/                 cifar-10-batches-py/, unless $CS231N_DATA_DIR names one
        course/               a course folder with everything the submissions share
        setup.json            what setup.sh chose (data folder, when)
        runs/                 one scratch course folder per graded submission
      submission/             the student's files (an uploaded zip arrives unpacked)
      submission_metadata.json
      results/results.json    what run_autograder writes, always
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

__all__ = ["DEFAULT_ROOT", "ROOT_ENV", "Layout", "Settings"]

ROOT_ENV = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
REPO_FOLDER = "repo"
SETTINGS_FILE = "gradescope.json"
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


@dataclass(frozen=True)
class Layout:
    """The paths of one ``/autograder`` tree, from its root."""

    root: Path

    @classmethod
    def at(cls, root=None):
        """The tree at ``root``, else ``$AUTOGRADER_ROOT``, else ``/autograder``."""
        return cls(Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT).resolve())

    @property
    def source(self):
        return self.root / "source"

    @property
    def repo(self):
        return self.source / REPO_FOLDER

    @property
    def settings(self):
        return self.source / SETTINGS_FILE

    @property
    def submission(self):
        return self.root / "submission"

    @property
    def metadata(self):
        return self.root / "submission_metadata.json"

    @property
    def results(self):
        return self.root / "results" / "results.json"

    @property
    def grader(self):
        return self.root / "grader"

    @property
    def course(self):
        return self.grader / "course"

    @property
    def data(self):
        return self.grader / "data"

    @property
    def record(self):
        return self.grader / "setup.json"

    @property
    def runs(self):
        return self.grader / "runs"


@dataclass(frozen=True)
class Settings:
    """What ``gradescope build`` writes into the zip's ``gradescope.json``.

    Parameters
    ----------
    time_limit : int
        Seconds Gradescope lets a submission run (its "Autograder timeout"; 600 by
        default, at most 2400). The grading itself gets :attr:`grading_timeout`, so
        results.json is written before Gradescope stops the container.
    cell_timeout : int
        Seconds one notebook cell may run.
    details : str
        Visibility of what the grader's checks found in failed test cells (one of
        ``hidden``, ``after_due_date``, ``after_published``, ``visible``). Scores and
        the visible tests' errors are always visible.
    """

    time_limit: int = 600
    cell_timeout: int = 120
    details: str = "after_due_date"

    # Seconds kept back from the time limit: starting Python and the grader before the
    # grading, writing results.json after it, and the shell's own guard.
    MARGIN = 90
    SHELL_MARGIN = 20

    def __post_init__(self):
        if self.details not in VISIBILITIES:
            raise ValueError(
                f"Expected details to be one of {', '.join(VISIBILITIES)}, got {self.details!r}."
            )
        if not 240 <= self.time_limit <= 2400:
            raise ValueError(
                "Expected a time limit between 4 and 40 minutes (Gradescope allows at most "
                f"40), got {self.time_limit} s ({self.time_limit / 60:g} minutes)."
            )

    @property
    def grading_timeout(self):
        """Seconds the grading of one submission may take (the rest is margin)."""
        return self.time_limit - self.MARGIN

    @property
    def shell_timeout(self):
        """Seconds after which run_autograder stops Python and writes results itself."""
        return self.time_limit - self.SHELL_MARGIN

    def text(self):
        """The settings as the zip's ``gradescope.json`` holds them."""
        return json.dumps(asdict(self), indent=1) + "\n"

    @classmethod
    def load(cls, path):
        """The settings in ``path``; the defaults for what it does not say (or without it)."""
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError:
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
