"""What ``setup.sh`` builds once, so that each submission only grades.

``python -m grading gradescope prepare`` (run by ``setup.sh`` when Gradescope builds
the image) writes ``ROOT/grader/``:

- the dataset: ``$CS231N_DATA_DIR`` when it names one, else built into ``data/`` from
  the archive shipped in the zip (``source/data/``), else from the official download;
- ``course/``: a course folder as ``autograde SUBMISSIONS OUTPUT`` makes one, with
  the nbgrader template (and its gradebook), the probe inputs and judging context,
  and the kernels' copy of the dataset (test labels withheld) already in it; the
  hidden checks' references are checked against the sources (they come prebuilt in
  the zip);
- ``setup.json``: the data folder chosen, and whether the sandbox works here.

Each submission is then graded in a copy of ``course/`` (:mod:`~grading.gradescope.runner`),
whose stamps all match: nothing is built again.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from .. import isolation
from ..course.config import render_template
from ..course.folder import init_course
from ..coursedir import REPO
from ..run.autograde import check_data_dir, class_inputs
from ..run.grading_data import grading_dataset
from ..run.references import REFERENCES, ensure_references
from .layout import Layout

__all__ = ["DATA_FOLDER", "course_config", "prepare"]

DATA_FOLDER = "data"  # in the zip (ROOT/source/data/): an optional CIFAR-10 archive


def course_config():
    """course.toml of the course folder: no late policy (Gradescope applies its own)."""
    return render_template(lms="folders").replace('policy = "per-day"', 'policy = "none"')


def _dataset(layout, log):
    """The folder holding cifar-10-batches-py/, found or built."""
    from cs231n_lib.datasets.build import build_dataset

    given = os.environ.get("CS231N_DATA_DIR")
    if given:
        log(f"Using the dataset in {given} ($CS231N_DATA_DIR)")
        return check_data_dir(given)
    archives = sorted(p for p in (layout.source / DATA_FOLDER).glob("*") if p.is_file())
    source = archives[0] if archives else None
    log(f"Building CIFAR-10 into {layout.data} from {source or 'the official download'}")
    build_dataset(layout.data, source, progress=False)
    return check_data_dir(layout.data)


def prepare(root=None, log=print):
    """Build ``ROOT/grader/`` (see the module docstring); return the path of setup.json.

    Raises
    ------
    RuntimeError
        If this grading package is not the zip's copy (``ROOT/source/repo``): the
        course would be made from other notebooks and checks than the ones graded.
    """
    layout = Layout.at(root)
    if REPO.resolve() != layout.repo:
        raise RuntimeError(
            f"Expected to run from the autograder's copy of the project, {layout.repo}, "
            f"but this grading package is in {REPO}. Run setup.sh (it runs "
            f"`python -m grading gradescope prepare` from there), or pass --root."
        )
    start = time.monotonic()
    layout.grader.mkdir(parents=True, exist_ok=True)
    data_dir = _dataset(layout, log)
    if layout.course.exists():
        shutil.rmtree(layout.course)
    log(f"Generating the assignment into {layout.course}")
    init_course(layout.course, course_config(), layout.repo)
    ensure_references(REFERENCES, layout.repo, log=log)
    class_inputs(data_dir, layout.course)  # the real labels: the grader's side only
    grading_dataset(data_dir, layout.course)  # student code's copy: test labels withheld
    reason = isolation.available()
    if reason:
        log(
            "WARNING: the sandbox does not work here: "
            f"{reason}. Submissions will be reported NOT graded unless it works when they run."
        )
    record = {
        "data_dir": str(data_dir),
        "prepared_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(time.monotonic() - start, 1),
        "sandbox": reason or "works",
    }
    layout.record.write_text(json.dumps(record, indent=1) + "\n")
    log(f"Ready to grade ({record['seconds']} s): {layout.record}")
    return Path(layout.record)
