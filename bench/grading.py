"""Benchmark: grading throughput with --jobs 1 and --jobs 2, and the time per submission.

Generates a class of ``--class-size`` submissions (default 50), the demo's three kinds
in turn (complete, half-completed, untouched), and grades the whole class twice, as
``python -m grading autograde`` does (intake, restored test cells, the five notebooks
in grading mode in the sandbox, the hidden checks, verdicts, feedback): once with
``--jobs 1`` and once with ``--jobs 2``. Prints the time per submission of each kind
(``--jobs 1``; target: at most 45 s for a complete one on 2 cores) and the throughput
of both runs, with their ratio (target: at least 1.7 on 2 cores).

Run from the project root: ``python bench/grading.py`` (needs datasets/; about 40
minutes for 50 submissions on 2 cores), or ``--class-size 10`` for a quick look.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the grading package

from _class import KINDS, class_arguments, make_class  # bench/_class.py

from grading.course.autograde import autograde_class

TARGET_SECONDS = 45.0
TARGET_RATIO = 1.7


def grade(subs, out, jobs, data_dir):
    start = time.perf_counter()
    grades = autograde_class(
        subs, out, jobs=jobs, data_dir=data_dir, progress=True, log=lambda *_: None
    )
    return grades, time.perf_counter() - start


def main(argv=None):
    args = class_arguments(argv, __doc__.splitlines()[0], size=50)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        subs, expected = make_class(tmp, args.class_size)
        runs = {}
        for jobs in (1, 2):
            grades, seconds = grade(subs, tmp / f"out-jobs{jobs}", jobs, args.data_dir)
            wrong = [
                g.submission
                for g in grades
                if {nb: s["score"] for nb, s in g.scores.items()}
                != expected[g.submission.split("-", 1)[1]]
            ]
            if wrong:
                print(f"error: --jobs {jobs} graded {wrong[:3]} wrongly", file=sys.stderr)
                return 1
            runs[jobs] = (grades, seconds)
    grades, _ = runs[1]
    for kind in KINDS:
        times = [g.seconds for g in grades if g.submission.endswith(kind)]
        print(
            f"{kind:>10}: {statistics.median(times):5.1f} s per submission "
            f"(median of {len(times)}, --jobs 1)"
        )
    complete = statistics.median(g.seconds for g in grades if g.submission.endswith("complete"))
    print(
        f"complete submission: {complete:.1f} s of the {TARGET_SECONDS:.0f} s target "
        f"(ratio {complete / TARGET_SECONDS:.2f}, target <= 1)"
    )
    rate = {jobs: args.class_size / seconds * 60 for jobs, (_, seconds) in runs.items()}
    for jobs, (_, seconds) in runs.items():
        print(
            f"--jobs {jobs}: {args.class_size} submissions in {seconds / 60:.1f} min "
            f"({rate[jobs]:.2f} submissions per minute), every grade correct"
        )
    print(f"throughput --jobs 2 / --jobs 1: {rate[2] / rate[1]:.2f}x (target >= {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
