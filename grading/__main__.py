"""The grading tools' command line: ``python -m grading COMMAND``.

Commands
--------
release [--check]
    Build ``assignment1/`` from the sources (``--check``: rebuild in scratch space and
    fail if the committed folder differs).
autograde SUBMISSIONS OUTPUT [--jobs N] [--data-dir DIR] [--expect FILE]
    Grade a class; write OUTPUT/grades.csv and OUTPUT/feedback/<id>/<notebook>.html.
run-notebooks OUT [--grading] [--data-dir DIR]
    Execute the four source notebooks into OUT.
samples OUT
    Write the demo's three submissions (complete, half, untouched) into OUT/submissions/
    and the points each must earn into OUT/expected.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .course import ASSIGNMENT, NOTEBOOKS, REPO


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def parser():
    p = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="build assignment1/ from the sources")
    r.add_argument("--check", action="store_true",
                   help="fail if regenerating would change assignment1/")
    r.add_argument("--out", type=Path, default=REPO / ASSIGNMENT, help=argparse.SUPPRESS)

    a = sub.add_parser("autograde", help="grade a folder of submissions")
    a.add_argument("submissions", type=Path, help="one folder or .zip per student")
    a.add_argument("output", type=Path, help="receives grades.csv and feedback/")
    a.add_argument("--jobs", type=_positive_int, default=1,
                   help="submissions graded at once (default 1)")
    a.add_argument("--data-dir", type=Path, default=None,
                   help="folder holding cifar-10-batches-py/ (default: $CS231N_DATA_DIR "
                        "or datasets/)")
    a.add_argument("--expect", type=Path, default=None,
                   help="expected.json from `samples`: fail unless every score matches")
    a.add_argument("--no-progress", action="store_true")

    n = sub.add_parser("run-notebooks", help="execute the source notebooks")
    n.add_argument("out", type=Path)
    n.add_argument("--grading", action="store_true", help="small subsets, as the autograder")
    n.add_argument("--data-dir", type=Path, default=None)

    s = sub.add_parser("samples", help="write the demo's three generated submissions")
    s.add_argument("out", type=Path)
    return p


def cmd_release(args):
    from .release import build_release, check_release

    if args.check:
        problems = check_release()
        if problems:
            print(f"{ASSIGNMENT}/ is out of date with notebooks/ and cs231n_lib/:", file=sys.stderr)
            for line in problems:
                print(f"  {line}", file=sys.stderr)
            print("Run `make release` and commit the result.", file=sys.stderr)
            return 1
        print(f"{ASSIGNMENT}/ is what the sources generate.")
        return 0
    build_release(args.out)
    print(f"Release written to {args.out}")
    return 0


def cmd_autograde(args):
    from .autograde import autograde_class, format_table, maxima

    try:
        grades = autograde_class(args.submissions, args.output, jobs=args.jobs,
                                 data_dir=args.data_dir, progress=not args.no_progress)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    points = maxima(args.output.resolve() / "work" / "_template")
    print(format_table(grades, points))
    slowest = max(grades, key=lambda g: g.seconds)
    print(f"grades: {args.output / 'grades.csv'}; feedback: {args.output / 'feedback'}; "
          f"slowest submission {slowest.student_id}: {slowest.seconds:.1f} s")
    if args.expect:
        return _check_expected(grades, json.loads(args.expect.read_text()))
    return 0


def _check_expected(grades, expected):
    by_id = {g.submission: g for g in grades}
    wrong = []
    for name, points in expected.items():
        got = {nb: by_id[name].scores.get(nb, {}).get("score", 0.0) for nb in NOTEBOOKS}
        if any(abs(got[nb] - points[nb]) > 1e-9 for nb in NOTEBOOKS):
            wrong.append(f"{name}: expected {points}, got {got}")
    if wrong:
        print("Scores differ from what the test cells' requirements predict:", file=sys.stderr)
        print("\n".join(f"  {w}" for w in wrong), file=sys.stderr)
        return 1
    print(f"Every sample earned exactly its expected points ({', '.join(expected)}).")
    return 0


def cmd_run_notebooks(args):
    from .execute import NotebookFailed, run_notebooks

    try:
        run_notebooks(args.out, grading=args.grading, data_dir=args.data_dir)
    except NotebookFailed as error:
        print(f"error: the notebooks did not run cleanly:\n{error}", file=sys.stderr)
        return 1
    return 0


def cmd_samples(args):
    from .samples import make_samples

    expected = make_samples(args.out / "submissions")
    (args.out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    for name, points in expected.items():
        print(f"{name}: expected automatic points {points} (total {sum(points.values())})")
    return 0


def main(argv=None):
    args = parser().parse_args(argv)
    command = {"release": cmd_release, "autograde": cmd_autograde,
               "run-notebooks": cmd_run_notebooks, "samples": cmd_samples}[args.command]
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
