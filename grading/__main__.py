"""The grading tools' command line: ``python -m grading COMMAND``.

Commands
--------
release [--check]
    Build ``assignment1/`` from the sources (``--check``: rebuild in scratch space and
    fail if the committed folder differs), and the hidden checks' reference outputs
    (``build/private/references/``, never in the release).
autograde SUBMISSIONS OUTPUT [--jobs N | --dask-scheduler ADDRESS] [--data-dir DIR]
          [--expect FILE] [--cell-timeout S] [--timeout S] [--memory GB] [--references DIR]
    Grade a class; write OUTPUT/grades.csv and OUTPUT/feedback/<id>/<notebook>.html.
run-notebooks OUT [--grading] [--data-dir DIR]
    Execute the five source notebooks into OUT.
samples OUT
    Write the demo's three submissions (complete, half, untouched) into OUT/submissions/
    and the points each must earn into OUT/expected.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .coursedir import ASSIGNMENT, CELL_TIMEOUT, NOTEBOOKS, REPO, SUBMISSION_TIMEOUT


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
    a.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                   help="grade on this Dask cluster (e.g. tcp://10.0.0.5:8786) instead of "
                        "--jobs; its workers must see the same paths")
    a.add_argument("--cell-timeout", type=_positive_int, default=CELL_TIMEOUT,
                   help=f"seconds a notebook cell may run (default {CELL_TIMEOUT})")
    a.add_argument("--timeout", type=_positive_int, default=SUBMISSION_TIMEOUT,
                   help=f"seconds one submission may take (default {SUBMISSION_TIMEOUT})")
    a.add_argument("--memory", type=float, default=6.0, metavar="GB",
                   help="memory limit of each kernel and probe process (default 6)")
    a.add_argument("--references", type=Path, default=None,
                   help="reference outputs folder (default build/private/references; "
                        "built when missing or out of date)")
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
    from .references import build_references

    build_release(args.out)
    print(f"Release written to {args.out}")
    build_references()
    return 0


def cmd_autograde(args):
    from .autograde import autograde_class, format_table, maxima
    from .sandbox import Limits, SandboxUnavailable

    try:
        grades = autograde_class(
            args.submissions, args.output, jobs=args.jobs, data_dir=args.data_dir,
            progress=not args.no_progress, timeout=args.timeout,
            cell_timeout=args.cell_timeout, references=args.references,
            limits=Limits(memory_bytes=int(args.memory * 2**30)),
            dask_scheduler=args.dask_scheduler)
    except (FileNotFoundError, SandboxUnavailable) as error:
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
