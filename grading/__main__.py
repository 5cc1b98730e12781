"""The grading tools' command line: ``python -m grading COMMAND``.

The instructor's round trip, on one course folder COURSE:

init COURSE --due WHEN [--timezone TZ] [--lms canvas|gradescope|moodle|folders]
    Create the course folder: course.toml (due date, late policy, LMS), nbgrader's
    gradebook and configuration.
intake COURSE DOWNLOAD [--format F] [--roster CSV] [--use-file-times]
    Take in an LMS download (zip or folder): every attempt kept, one chosen to grade
    per student; writes COURSE/intake/report.txt.
autograde COURSE [--student ID ...] [--notebook NAME ...] [--force] [--jobs N | --dask-scheduler A]
    Grade what is new or changed (or what is named); each result is committed at once.
autograde SUBMISSIONS OUTPUT [...]
    The same in one step for a folder of submissions: OUTPUT becomes the course folder.
feedback COURSE [--export LMS]
    Regenerate the feedback after manual grading; --export writes one file per student.
grades COURSE [--lms canvas|gradescope|moodle|plain]
    The final grades (late penalties applied) and the file the LMS imports.
similarity COURSE [--top N]
    Rank the most similar pairs of students' own code and written answers.

Building the assignment:

release [--check]
    Build ``assignment1/`` from the sources (``--check``: fail if it is out of date),
    and the hidden checks' reference outputs (``build/private/references/``).
run-notebooks OUT [--grading] [--data-dir DIR]
    Execute the five source notebooks into OUT.
gradescope build OUT.zip [--data-archive PATH] [--time-limit MINUTES]
    Gradescope's autograder zip (setup.sh, run_autograder, the references); setup.sh
    runs `gradescope prepare`, run_autograder `gradescope run [--root /autograder]`.
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
from .intake.model import FORMATS


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def parser():
    p = argparse.ArgumentParser(
        prog="python -m grading",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="build assignment1/ from the sources")
    r.add_argument(
        "--check", action="store_true", help="fail if regenerating would change assignment1/"
    )
    r.add_argument("--out", type=Path, default=REPO / ASSIGNMENT, help=argparse.SUPPRESS)

    c = sub.add_parser("init", help="create a course folder")
    c.add_argument("course", type=Path)
    c.add_argument(
        "--due",
        required=True,
        metavar="WHEN",
        help="due date, e.g. 2026-10-15T23:59 (read in --timezone) or 2026-10-15T23:59:00-07:00",
    )
    c.add_argument("--timezone", default=None, help="IANA name (default America/Los_Angeles)")
    c.add_argument(
        "--lms",
        default="canvas",
        choices=FORMATS,
        help="where submissions come from and grades go (default canvas)",
    )

    i = sub.add_parser("intake", help="take in an LMS download")
    i.add_argument("course", type=Path)
    i.add_argument("download", type=Path, help="the LMS's zip, or the folder it unzips to")
    i.add_argument("--format", choices=FORMATS, default=None, help="default: detected")
    i.add_argument(
        "--roster",
        type=Path,
        default=None,
        help="the LMS's roster CSV (kept in the course folder for later runs)",
    )
    i.add_argument(
        "--use-file-times",
        action="store_true",
        default=None,
        help="take submission times from the files when the LMS gives none",
    )

    a = sub.add_parser("autograde", help="grade what changed in a course folder")
    a.add_argument("paths", type=Path, nargs="+", metavar="COURSE | SUBMISSIONS OUTPUT")
    a.add_argument(
        "--student",
        action="append",
        default=None,
        metavar="ID",
        help="grade this student again (repeatable)",
    )
    a.add_argument(
        "--notebook",
        action="append",
        default=None,
        metavar="NAME",
        choices=NOTEBOOKS,
        help="grade this notebook again (repeatable)",
    )
    a.add_argument("--force", action="store_true", help="grade every submission again")
    a.add_argument(
        "--jobs", type=_positive_int, default=1, help="submissions graded at once (default 1)"
    )
    a.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder holding cifar-10-batches-py/ (default: $CS231N_DATA_DIR or datasets/)",
    )
    a.add_argument(
        "--expect",
        type=Path,
        default=None,
        help="expected.json from `samples`: fail unless every score matches",
    )
    a.add_argument(
        "--dask-scheduler",
        default=None,
        metavar="ADDRESS",
        help="grade on this Dask cluster (e.g. tcp://10.0.0.5:8786) instead of "
        "--jobs; its workers need the kit installed, not this machine's files",
    )
    a.add_argument(
        "--cell-timeout",
        type=_positive_int,
        default=CELL_TIMEOUT,
        help=f"seconds a notebook cell may run (default {CELL_TIMEOUT})",
    )
    a.add_argument(
        "--timeout",
        type=_positive_int,
        default=SUBMISSION_TIMEOUT,
        help=f"seconds one submission may take (default {SUBMISSION_TIMEOUT})",
    )
    a.add_argument(
        "--memory",
        type=float,
        default=6.0,
        metavar="GB",
        help="memory limit of each kernel and probe process (default 6)",
    )
    a.add_argument(
        "--references",
        type=Path,
        default=None,
        help="reference outputs folder (default build/private/references; "
        "built when missing or out of date)",
    )
    a.add_argument(
        "--keep-work",
        action="store_true",
        help="keep each submission's scratch folder in COURSE/work/",
    )
    a.add_argument("--no-progress", action="store_true")

    f = sub.add_parser("feedback", help="regenerate feedback after manual grading")
    f.add_argument("course", type=Path)
    f.add_argument("--student", action="append", default=None, metavar="ID")
    f.add_argument(
        "--export",
        default=None,
        choices=(*FORMATS, "plain"),
        metavar="LMS",
        help="also write one file per student for upload to this LMS",
    )

    g = sub.add_parser("grades", help="final grades and the LMS import file")
    g.add_argument("course", type=Path)
    g.add_argument(
        "--lms",
        default=None,
        choices=(*FORMATS, "plain"),
        help="default: course.toml's [lms] format",
    )

    m = sub.add_parser("similarity", help="report the most similar pairs of students")
    m.add_argument("course", type=Path)
    m.add_argument("--top", type=_positive_int, default=50)

    n = sub.add_parser("run-notebooks", help="execute the source notebooks")
    n.add_argument("out", type=Path)
    n.add_argument("--grading", action="store_true", help="small subsets, as the autograder")
    n.add_argument("--data-dir", type=Path, default=None)

    s = sub.add_parser("samples", help="write the demo's three generated submissions")
    s.add_argument("out", type=Path)
    gradescope_parser(sub)
    return p


def cmd_release(args):
    from .release.release import build_release, check_release

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
    from .run.references import build_references

    build_release(args.out)
    print(f"Release written to {args.out}")
    build_references()
    return 0


def cmd_init(args):
    from .course.config import render_template
    from .course.folder import init_course

    init_course(args.course, render_template(args.due, args.timezone, args.lms))
    print(
        f"Course folder {args.course} created. Check {args.course / 'course.toml'} "
        f"(due date, late policy, LMS), then: python -m grading intake {args.course} DOWNLOAD"
    )
    return 0


def cmd_intake(args):
    from .course.intake import intake_download

    intake_download(args.course, args.download, args.format, args.roster, args.use_file_times)
    return 0


def cmd_autograde(args):
    from .course.autograde import autograde_class, autograde_course, grade_table
    from .isolation import Limits

    if len(args.paths) > 2:
        raise UsageError(
            f"autograde takes COURSE, or SUBMISSIONS OUTPUT; got {len(args.paths)} paths"
        )
    options = {
        "jobs": args.jobs,
        "data_dir": args.data_dir,
        "progress": not args.no_progress,
        "timeout": args.timeout,
        "cell_timeout": args.cell_timeout,
        "references": args.references,
        "keep_work": args.keep_work,
        "limits": Limits(memory_bytes=int(args.memory * 2**30)),
        "dask_scheduler": args.dask_scheduler,
    }
    if len(args.paths) == 2:
        submissions, course = args.paths
        autograde_class(submissions, course, **options)
    else:
        course = args.paths[0]
        autograde_course(
            course, students=args.student, notebooks=args.notebook, force=args.force, **options
        )
    grades, table = grade_table(course)
    print(table)
    print(
        f"grades: {course / 'grades.csv'}; feedback: {course / 'feedback'}; "
        f"gradebook for manual grading: {course / 'gradebook.db'}"
    )
    if args.expect:
        return _check_expected(grades, json.loads(args.expect.read_text()))
    return 0


def cmd_feedback(args):
    from .course.feedback import export_feedback, regenerate_feedback

    regenerate_feedback(args.course, students=args.student)
    if args.export:
        where = export_feedback(
            args.course, args.export, args.course / "exports" / "feedback", regenerate=False
        )
        print(f"Feedback for upload: {where}")
    return 0


def cmd_grades(args):
    from .course.grades import export_grades

    export_grades(args.course, args.lms)
    return 0


def cmd_similarity(args):
    from .course.similarity import course_similarity

    out = course_similarity(args.course, top=args.top)
    print(f"Similarity report: {out}")
    return 0


def _check_expected(grades, expected):
    from .release.samples import score_differences

    wrong = score_differences(grades, expected)
    if wrong:
        print("Scores differ from what the test cells' requirements predict:", file=sys.stderr)
        print("\n".join(f"  {w}" for w in wrong), file=sys.stderr)
        return 1
    print(f"Every sample earned exactly its expected points ({', '.join(expected)}).")
    return 0


def cmd_run_notebooks(args):
    from .run.execute import NotebookFailed, run_notebooks

    try:
        run_notebooks(args.out, grading=args.grading, data_dir=args.data_dir)
    except NotebookFailed as error:
        print(f"error: the notebooks did not run cleanly:\n{error}", file=sys.stderr)
        return 1
    return 0


def cmd_samples(args):
    from .release.samples import write_samples

    expected = write_samples(args.out)
    for name, points in expected.items():
        print(f"{name}: expected automatic points {points} (total {sum(points.values())})")
    return 0


def gradescope_parser(sub):
    """``gradescope build | prepare | run``: Gradescope's autograder (grading.gradescope)."""
    from .gradescope.layout import ROOT_ENV, VISIBILITIES, Settings

    g = sub.add_parser("gradescope", help="Gradescope's autograder zip, and what it runs")
    gsub = g.add_subparsers(dest="action", required=True)
    b = gsub.add_parser("build", help="write the autograder zip to upload")
    b.add_argument("out", type=Path, metavar="OUT.zip")
    b.add_argument(
        "--data-archive",
        type=Path,
        default=None,
        metavar="PATH",
        help="ship this CIFAR-10 archive in the zip (default: setup.sh downloads it)",
    )
    b.add_argument(
        "--time-limit",
        type=_positive_int,
        default=Settings.time_limit // 60,
        metavar="MINUTES",
        help="the autograder timeout set on Gradescope (default %(default)s, at most 40)",
    )
    b.add_argument(
        "--details",
        choices=VISIBILITIES,
        default=Settings.details,
        help="when students see what the hidden checks found (default %(default)s)",
    )
    b.add_argument(
        "--without-lock",
        action="store_true",
        help="build without requirements/grading.txt (setup.sh then needs CS231N_PYTHON)",
    )
    for name, text in (("prepare", "run by setup.sh"), ("run", "run by run_autograder")):
        r = gsub.add_parser(name, help=text)
        r.add_argument(
            "--root", type=Path, default=None, help=f"default: ${ROOT_ENV} or /autograder"
        )


def cmd_gradescope(args):
    from .gradescope.build import build_zip
    from .gradescope.image import prepare
    from .gradescope.layout import Settings
    from .gradescope.runner import run

    if args.action == "build":
        try:
            settings = Settings(time_limit=args.time_limit * 60, details=args.details)
        except ValueError as error:
            raise UsageError(str(error)) from None
        build_zip(args.out, args.data_archive, settings, require_lock=not args.without_lock)
        return 0
    if args.action == "prepare":
        prepare(args.root)
        return 0
    run(args.root)
    return 0  # results.json says what happened, NOT GRADED included


class UsageError(ValueError):
    pass


def main(argv=None):
    from .cluster import ClusterError
    from .course.config import ConfigError
    from .course.folder import CourseError
    from .isolation import SandboxUnavailable

    args = parser().parse_args(argv)
    command = {
        "release": cmd_release,
        "autograde": cmd_autograde,
        "init": cmd_init,
        "intake": cmd_intake,
        "feedback": cmd_feedback,
        "grades": cmd_grades,
        "similarity": cmd_similarity,
        "run-notebooks": cmd_run_notebooks,
        "samples": cmd_samples,
        "gradescope": cmd_gradescope,
    }[args.command]
    try:
        return command(args)
    except (
        ClusterError,
        CourseError,
        ConfigError,
        UsageError,
        SandboxUnavailable,
        FileNotFoundError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\nStopped. Every submission graded so far is committed; run the same "
            "command again to go on from there.",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
