"""Benchmark: the time to autograde one submission (target: at most 60 s on 2 cores).

Generates the demo's submissions (complete, half-completed, untouched) and grades
them one at a time (``--jobs 1``), as ``python -m grading autograde`` does: intake,
nbgrader autograde of the four notebooks in grading mode with the student's package,
feedback without hidden tests. Prints the time of the one-off template generation
and of each submission, and the ratio of the slowest complete submission to the
target. Run from the project root: ``python bench/grading.py`` (needs datasets/).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the grading package

from grading.autograde import autograde_class
from grading.samples import make_samples

TARGET_SECONDS = 60.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding cifar-10-batches-py/ (default: datasets/)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        make_samples(tmp / "submissions")
        start = time.perf_counter()
        try:
            grades = autograde_class(tmp / "submissions", tmp / "out", jobs=1,
                                     data_dir=args.data_dir, progress=False,
                                     log=lambda *_: None)
        except FileNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        total = time.perf_counter() - start
    per_submission = sum(g.seconds for g in grades)
    print(f"template (nbgrader generate_assignment, once per class): "
          f"{total - per_submission:.1f} s")
    for g in grades:
        print(f"{g.submission:>10}: {g.seconds:5.1f} s per submission")
    complete = next(g for g in grades if g.submission == "complete")
    print(f"complete submission: {complete.seconds:.1f} s of the {TARGET_SECONDS:.0f} s "
          f"target (ratio {complete.seconds / TARGET_SECONDS:.2f}, target <= 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
