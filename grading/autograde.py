"""Autograde a class: ``python -m grading autograde SUBMISSIONS OUTPUT [--jobs N]``.

1. A template course directory is generated once from ``notebooks/``
   (``nbgrader generate_assignment``: it fills the gradebook with the test cells).
2. Each submission is cleaned up by :mod:`grading.intake`, then graded in its own copy
   of the template by a :mod:`grading.worker` subprocess: nbgrader's autograde runs
   every cell in grading mode (``CS231N_GRADING=1``: small subsets) with the
   student's own ``cs231n_lib``, then the feedback is generated without hidden tests.
   ``--jobs N`` runs N of them at once; each has its own gradebook (nbgrader's is
   SQLite, one writer), so they never contend.
3. ``OUTPUT/grades.csv`` gets one row per submission; ``OUTPUT/feedback/<id>/`` the
   HTML feedback; ``OUTPUT/course/`` one nbgrader course directory for the class
   (:mod:`grading.gradebook`), where the written answers are graded by hand;
   ``OUTPUT/work/<id>/`` keeps each submission's own course directory.

A submission that fails in any way gets its row, with the problem in words.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import intake, integrity, judge, sandbox
from .coursedir import (
    ASSIGNMENT,
    CELL_TIMEOUT,
    KERNEL_NAME,
    NOTEBOOKS,
    REPO,
    SUBMISSION_TIMEOUT,
    make_course,
    nbgrader_env,
    run_nbgrader,
    write_config,
)
from .gradebook import merge_class
from .references import REFERENCES, ensure_references

TEMPLATE = "_template"  # not a valid student id, so it never collides with one


@dataclass
class Grade:
    student_id: str
    submission: str
    scores: dict = field(default_factory=dict)  # notebook -> {"score", "max", "pending"}
    problems: list = field(default_factory=list)
    restored: list = field(default_factory=list)  # test cells put back as released
    failed: dict = field(default_factory=dict)  # grade_id -> the checks that failed
    seconds: float = 0.0


def blas_threads(jobs):
    """Thread limits for numpy's BLAS: the cores shared out among the jobs.

    Without them each kernel's BLAS starts a thread per core, and N kernels on N cores
    fight over them: the training loops run 5-10x slower.
    """
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    return dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), threads)


def check_data_dir(data_dir):
    """The folder holding cifar-10-batches-py/, or raise with how to get it."""
    from cs231n_lib.data import find_batches_dir

    batches = find_batches_dir(data_dir)  # raises FileNotFoundError with the fix
    return batches.parent


def build_template(work, repo=REPO):
    """Generate the assignment once into ``work/_template``; return its path."""
    template = Path(work) / TEMPLATE
    if template.exists():
        shutil.rmtree(template)
    make_course(template, repo / "notebooks")
    run_nbgrader(template, "generate_assignment", ASSIGNMENT, "--force")
    return template


def maxima(template):
    """{notebook: (automatic points, written points)} from the template's gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{template / 'gradebook.db'}") as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        for nb in assignment.notebooks:
            auto = sum(c.max_score for c in nb.grade_cells if c.cell_type == "code")
            written = sum(c.max_score for c in nb.grade_cells if c.cell_type == "markdown")
            out[nb.name] = (auto, written)
    return out


def _course_for(template, work, student_id, cell_timeout):
    course = Path(work) / student_id
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    shutil.copytree(template / "source", course / "source")
    shutil.copyfile(template / "gradebook.db", course / "gradebook.db")
    write_config(course, sandboxed=True, timeout=cell_timeout)
    return course


def _run_worker(course, env, timeout, repo=REPO):
    """Run the worker in its own session; kill the whole group (kernels too) on timeout."""
    command = [sys.executable, "-m", "grading.worker", str(Path(course) / "job.json")]
    with subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace",
                          start_new_session=True) as proc:
        try:
            log, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None, f"grading stopped after {timeout} s: the submission runs too long"
    result = Path(course) / "result.json"
    if proc.returncode != 0 or not result.is_file():
        last = (log or "").strip().splitlines()[-1:] or ["no output"]
        return None, f"the grader crashed (exit {proc.returncode}): {last[0][:300]}"
    return json.loads(result.read_text()), None


@dataclass(frozen=True)
class Setup:
    """What grading one submission needs; the same for the whole class (and picklable)."""

    template: Path
    output: Path
    references: Path
    inputs: Path
    context: Path
    data_dir: Path
    hide: tuple
    env: dict
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    timeout: int = SUBMISSION_TIMEOUT
    cell_timeout: int = CELL_TIMEOUT
    probe_timeout: int = judge.PROBE_TIMEOUT
    repo: Path = REPO


def write_kernelspec(course, run, setup):
    """The course's ``cs231n-sandbox`` kernel: ipykernel started by the sandbox launcher.

    Its only writable folder is ``run`` (a copy of the submission); the gradebook, the
    other submissions, the references and the repository are hidden; the environment,
    the dataset and the kernel's connection file are read-only.
    """
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    argv = sandbox.sandbox_command(
        kernel, run, hide=setup.hide, limits=setup.limits, share_network=True,
        expose=[sys.prefix, setup.data_dir, course / "runtime"])
    # jupyter_client may write the connection file anywhere (often /tmp, which the
    # sandbox replaces): expose that one file, read-only, wherever it is.
    argv[argv.index("--"):argv.index("--")] = ["--expose", "{connection_file}"]
    spec = course / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Python 3 (sandboxed for grading)",
        "language": "python", "env": {"PYTHONPATH": str(setup.repo)},
    }, indent=1))
    (course / "runtime").mkdir(exist_ok=True)


def _restore_notebooks(submitted, present, release, grade):
    """Put every test cell back as released, report changes, add the grader's fact cells."""
    for name in present:
        path = submitted / f"{name}.ipynb"
        changes = integrity.restore_file(path, release / f"{name}.ipynb", path)
        grade.restored += [f"{name}: {change}" for change in changes]
        judge.insert_fact_cells(path)


def grade_submission(sub, setup):
    """Grade one :class:`~grading.intake.Submission`; never raises for a bad submission."""
    start = time.perf_counter()
    grade = Grade(sub.student_id, sub.name, problems=list(sub.problems))
    output = Path(setup.output)
    course = _course_for(setup.template, output / "work", sub.student_id, setup.cell_timeout)
    submitted = course / "submitted" / sub.student_id / ASSIGNMENT
    present = intake.prepare(sub, submitted, setup.repo / ASSIGNMENT)
    grade.problems = list(sub.problems)
    if present:
        _restore_notebooks(submitted, present, setup.repo / ASSIGNMENT, grade)
        run = course / "run"
        shutil.copytree(submitted, run, symlinks=True)
        judge.clear_facts(run)
        write_kernelspec(course, run, setup)
        job = {"course": str(course), "student_id": sub.student_id, "notebooks": present,
               "run": str(run), "references": str(setup.references),
               "inputs": str(setup.inputs), "context": str(setup.context),
               "hide": [str(p) for p in setup.hide],
               "probe_expose": [sys.prefix, str(setup.repo / "grading")],
               "limits": asdict(setup.limits), "probe_timeout": setup.probe_timeout}
        (course / "job.json").write_text(json.dumps(job, indent=1))
        env = {**setup.env, "JUPYTER_PATH": str(course),
               "JUPYTER_RUNTIME_DIR": str(course / "runtime"), "PYTHONPATH": str(setup.repo)}
        outcome, error = _run_worker(course, env, setup.timeout, setup.repo)
        if error:
            grade.problems.append(error)
        else:
            grade.problems += outcome["problems"]
            grade.scores = {nb: s for nb, s in outcome["scores"].items() if nb in present}
            grade.failed = outcome["failed"]
        _collect_feedback(course, sub.student_id, output / "feedback", present)
    grade.seconds = time.perf_counter() - start
    return grade


def _collect_feedback(course, student_id, feedback_root, present):
    source = course / "feedback" / student_id / ASSIGNMENT
    dest = feedback_root / student_id
    if dest.exists():
        shutil.rmtree(dest)
    for name in present:
        html = source / f"{name}.html"
        if html.is_file():
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(html, dest / f"{name}.html")


def prepare_setup(submissions, output, jobs=1, data_dir=None, references=None,
                  repo=REPO, limits=None, timeout=SUBMISSION_TIMEOUT,
                  cell_timeout=CELL_TIMEOUT, log=print):
    """Everything shared by the class: template, references, probe inputs, sandbox paths."""
    reason = sandbox.available()
    if reason:
        raise sandbox.SandboxUnavailable(reason)
    output = Path(output).resolve()
    data_dir = check_data_dir(data_dir)
    output.mkdir(parents=True, exist_ok=True)
    log(f"Generating the assignment into {output / 'work' / TEMPLATE}")
    template = build_template(output / "work", repo)
    references = ensure_references(Path(references or REFERENCES).resolve(), repo, log=log)
    inputs, context = judge.prepare_class(data_dir, output)
    # Student code never sees these (the sandbox hides them): the repository with the
    # solutions, every grading output, the other submissions, the reference outputs,
    # and /run, whose sockets (a Docker daemon's, say) would answer a root process.
    hide = tuple(dict.fromkeys(Path(p).resolve() for p in
                               (repo, output, Path(submissions), references, "/run")))
    env = nbgrader_env({"CS231N_GRADING": "1", "CS231N_DATA_DIR": str(data_dir),
                        **blas_threads(jobs)})
    return Setup(template, output, references, inputs, context, data_dir, hide, env,
                 limits or sandbox.Limits(),
                 timeout, cell_timeout, judge.PROBE_TIMEOUT, repo)


def autograde_class(submissions, output, jobs=1, data_dir=None, repo=REPO, progress=True,
                    timeout=SUBMISSION_TIMEOUT, cell_timeout=CELL_TIMEOUT,
                    limits=None, references=None, dask_scheduler=None, log=print):
    """Grade every submission in ``submissions``; write OUTPUT/grades.csv and feedback.

    ``jobs`` submissions are graded at once on this machine, or, with
    ``dask_scheduler`` (an address such as ``tcp://10.0.0.5:8786``), by the workers of
    that Dask cluster. Returns the list of :class:`Grade`, sorted by student id.
    """
    subs = intake.discover(submissions)
    if not subs:
        raise FileNotFoundError(f"No submission (folder or .zip) in {submissions}.")
    setup = prepare_setup(submissions, output, jobs, data_dir, references, repo, limits,
                          timeout, cell_timeout, log)
    points = maxima(setup.template)
    where = f"on the Dask cluster at {dask_scheduler}" if dask_scheduler else f"{jobs} at a time"
    log(f"Grading {len(subs)} submission(s), {where}")
    grades = []
    results = (_dask_map(dask_scheduler, subs, setup) if dask_scheduler
               else _local_map(jobs, subs, setup))
    for grade in tqdm(results, total=len(subs), desc="submissions", disable=not progress):
        grades.append(grade)
    grades.sort(key=lambda g: g.student_id)
    write_grades(setup.output / "grades.csv", grades, points)
    merge_class(setup.template, setup.output / "work", setup.output / "course",
                [g.student_id for g in grades])
    log(f"Class gradebook for manual grading: {setup.output / 'course'}")
    return grades


def _local_map(jobs, subs, setup):
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(grade_submission, s, setup) for s in subs]
        for future in as_completed(futures):
            yield future.result()


def _dask_map(address, subs, setup):
    """Grade on an existing Dask distributed cluster (workers must see the same paths)."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as error:
        raise RuntimeError("--dask-scheduler needs the distributed package: "
                           "pip install 'dask[distributed]'") from error
    with Client(address, timeout="30s") as client:
        futures = client.map(grade_submission, subs, setup=setup, pure=False,
                             key=[f"grade-{s.student_id}" for s in subs])
        for future in dask_completed(futures):
            yield future.result()


COLUMNS = ["student_id", "submission", *NOTEBOOKS, "written_pending", "total", "max",
           "restored_cells", "problems"]


def grade_row(grade, points):
    """The grades.csv row of one submission, as a dict keyed by :data:`COLUMNS`."""
    row = {"student_id": grade.student_id, "submission": grade.submission}
    total = pending = 0.0
    for nb in NOTEBOOKS:
        score = grade.scores.get(nb, {})
        row[nb] = _num(score.get("score", 0.0))
        total += score.get("score", 0.0)
        pending += score.get("pending", 0.0)
    row["written_pending"] = _num(pending)
    row["total"] = _num(total)
    row["max"] = _num(sum(a + w for a, w in points.values()))
    row["restored_cells"] = "; ".join(grade.restored)
    row["problems"] = "; ".join(grade.problems)
    return row


def _num(x):
    return int(x) if float(x).is_integer() else round(float(x), 2)


def write_grades(path, grades, points):
    tmp = Path(path).with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for grade in grades:
            writer.writerow(grade_row(grade, points))
    tmp.replace(path)


def format_table(grades, points):
    """The grade table as aligned text, for the terminal."""
    rows = [grade_row(g, points) for g in grades]
    cols = [c for c in COLUMNS if c not in ("restored_cells", "problems")]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols) + "  problems"]
    for r in rows:
        problems = "; ".join(x for x in (r["restored_cells"], r["problems"]) if x) or "-"
        lines.append("  ".join(str(r[c]).ljust(widths[c]) for c in cols) + f"  {problems}")
    return "\n".join(lines)
