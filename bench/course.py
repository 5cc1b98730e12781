"""Benchmark: one late resubmission in a course of 300 costs one submission, not the class.

1. A course folder grades one complete submission (``autograde SUBMISSIONS OUTPUT``):
   the time of one submission, setup included (``one``).
2. The course grows to ``--students`` (default 300) graded students by copying that
   student's committed results (attempt, graded notebooks, feedback, state and the
   gradebook's rows) under new ids: what 300 gradings would leave, without the hours.
3. ``autograde COURSE`` with nothing new (``idle``: the cost of checking 300 students),
   then one student's late resubmission is taken in and graded (``incremental``).

Prints the times, ``incremental / one`` (about 1 is the target: the other 299 are not
touched) and the disk per graded submission.

    python bench/course.py [--students 300] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grading.course.gradebook import open_gradebook  # noqa: E402
from grading.course.intake import load_records, save_records  # noqa: E402
from grading.course.state import read_state, write_state  # noqa: E402
from grading.coursedir import ASSIGNMENT  # noqa: E402
from grading.release.samples import all_parts, make_submission  # noqa: E402


def grade(*args):
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "grading", *map(str, args), "--no-progress"],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def du(path):
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def clone_students(course, source_id, count):
    """Copy ``source_id``'s committed results to ``count - 1`` new students."""
    warnings.simplefilter("ignore")  # nbgrader's add_submission and SQLAlchemy's notes
    records = load_records(course)
    rec = records["students"][source_id]
    state = read_state(course, source_id)
    with open_gradebook(course) as gb:
        original = gb.find_submission(ASSIGNMENT, source_id)
        rows = {
            (nb.name, g.name): (g.auto_score, g.needs_manual_grade)
            for nb in original.notebooks
            for g in nb.grades
        }
        for k in range(1, count):
            sid = f"s{k:04d}"
            for step in ("submitted", "autograded", "feedback"):
                shutil.copytree(course / step / source_id, course / step / sid)
            attempt = course / "intake" / "attempts" / sid / "1"
            shutil.copytree(course / rec["attempts"][0]["dir"], attempt)
            records["students"][sid] = json.loads(json.dumps(rec)) | {"lms_id": sid}
            records["students"][sid]["attempts"][0]["dir"] = attempt.relative_to(course).as_posix()
            records["students"][sid]["selected"] = attempt.relative_to(course).as_posix()
            write_state(course, sid, state | {"student_id": sid})
            gb.update_or_create_student(sid)
            copy = gb.add_submission(ASSIGNMENT, sid)
            for nb in copy.notebooks:
                for g in nb.grades:
                    g.auto_score, g.needs_manual_grade = rows[(nb.name, g.name)]
        gb.db.commit()
    save_records(course, records)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data = ["--data-dir", args.data_dir] if args.data_dir else []
    with tempfile.TemporaryDirectory(prefix="bench-course-") as tmp:
        tmp = Path(tmp)
        subs, course = tmp / "submissions", tmp / "course"
        make_submission(subs / "first", all_parts())
        one = grade("autograde", subs, course, *data)
        one_inside = read_state(course, "first")["seconds"]
        per_student = sum(
            du(course / step / "first")
            for step in ("submitted", "autograded", "feedback", "intake/attempts")
        )
        clone_students(course, "first", args.students)
        idle = grade("autograde", course, *data)
        late = tmp / "late"
        shutil.copytree(subs / "first", late / "first")
        nb = late / "first" / "knn.ipynb"
        nb.write_text(nb.read_text().replace("k_choices", "k_choices ", 1))
        subprocess.run(
            [sys.executable, "-m", "grading", "intake", course, late, "--format", "folders"],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        incremental = grade("autograde", course, *data)
        inc_inside = read_state(course, "first")["seconds"]
        graded = len(list((course / "state").glob("*.json")))
        total_disk = du(course)
    print(f"course of {graded} graded students")
    print(
        f"  one submission, fresh course (setup included): {one:6.1f} s "
        f"(its grading {one_inside:.1f} s)"
    )
    print(f"  autograde with nothing new ({graded} checked):   {idle:6.1f} s")
    print(
        f"  one late resubmission among {graded}:           {incremental:6.1f} s "
        f"(its grading {inc_inside:.1f} s; the rest {incremental - inc_inside:.1f} s)"
    )
    print(
        f"  incremental run / that submission's own grading = {incremental / inc_inside:.2f} "
        "(target: about 1)"
    )
    print(
        f"  incremental run / the fresh one-submission run = {incremental / one:.2f} "
        "(grading times vary by tens of seconds from run to run on a busy machine)"
    )
    print(
        f"  disk: {per_student / 2**20:.1f} MB per graded submission, "
        f"{total_disk / 2**30:.2f} GB for the course of {graded}"
    )


if __name__ == "__main__":
    main()
