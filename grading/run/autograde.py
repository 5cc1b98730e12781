"""Grade submissions, each in its own scratch course directory (the run stage).

1. A template course directory is generated from ``notebooks/``
   (``nbgrader generate_assignment``: it fills a gradebook with the test cells); it is
   kept while the notebooks are unchanged.
2. Each submission is cleaned up by :mod:`grading.intake`, then graded in its own copy
   of the template, ``OUTPUT/work/<id>/``, by a :mod:`grading.run.worker` subprocess:
   nbgrader's autograde runs every cell in grading mode (``CS231N_GRADING=1``: small
   subsets) with the student's own ``cs231n_lib``, in the sandbox, then the feedback
   is generated without hidden tests. :func:`map_local` runs N of them at once
   (each has its own gradebook: nbgrader's is SQLite, one writer); :mod:`grading.cluster`
   sends them to a Dask cluster's workers. Each yields a :class:`Grade` as soon as it
   is done.

The course folder (:mod:`grading.course`) decides what to grade and commits each
result. A submission that fails in any way gets its :class:`Grade`, with the problem
in words; nothing here raises for a bad submission.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
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

from .. import intake, isolation
from ..coursedir import (
    ASSIGNMENT,
    CELL_TIMEOUT,
    NOTEBOOKS,
    REPO,
    SUBMISSION_TIMEOUT,
    make_course,
    nbgrader_env,
    protected_files,
    run_nbgrader,
    write_config,
)
from . import integrity, judge
from .execute import QUIET_KERNEL
from .grading_data import grading_dataset
from .references import REFERENCES, ensure_references

# The folder holding the ``grading`` package this process imported: the repository,
# or site-packages for an installed kit. The worker subprocess imports it from there.
KIT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "_template"  # not a valid student id, so it never collides with one
# A graded course's configuration adds: the kernel starts through the sandbox launcher
# (the course's own kernelspec, see write_kernelspec), and the executor drops output
# past a cap while the notebook runs (grading.run.limits).
SANDBOX_CONFIG = """\
from grading.run.limits import autograde_preprocessors
c.Autograde.autograde_preprocessors = autograde_preprocessors()
c.Execute.kernel_name = {kernel!r}
c.LimitedExecute.max_output_bytes = {max_output}
"""
KERNEL_NAME = "cs231n-sandbox"
MAX_OUTPUT_BYTES = 10 * 2**20
MAX_BLAS_THREADS = 8  # well under the sandbox's process limit (Limits.processes)
# What the kernels and probes get of the grader's environment (nothing else).
KERNEL_ENV = (
    "CS231N_GRADING",
    "CS231N_DATA_DIR",
    "MPLBACKEND",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)


@dataclass
class Grade:
    student_id: str
    submission: str
    scores: dict = field(default_factory=dict)  # notebook -> {"score", "max", "pending"}
    problems: list = field(default_factory=list)
    restored: list = field(default_factory=list)  # test cells put back as released
    failed: dict = field(default_factory=dict)  # grade_id -> the checks that failed
    cells: dict = field(default_factory=dict)  # notebook -> {grade_id: points earned}
    notebooks: list = field(default_factory=list)  # the notebooks this grading covered
    workdir: str = ""  # the scratch course directory it was graded in
    seconds: float = 0.0


def blas_threads(jobs, cores=None):
    """Thread limits for numpy's BLAS: the cores shared out among the jobs.

    Without them each kernel's BLAS starts a thread per core, and N kernels on N cores
    fight over them: the training loops run 5-10x slower. ``cores``: default all of
    this machine's.
    """
    cores = cores or os.cpu_count() or 1
    threads = str(max(1, min(MAX_BLAS_THREADS, cores // jobs)))
    return dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), threads)


def grading_env(kernel_data, jobs, cores=None):
    """The grader's environment: grading mode, the kernels' dataset, BLAS threads shared out."""
    return nbgrader_env(
        {"CS231N_GRADING": "1", "CS231N_DATA_DIR": str(kernel_data), **blas_threads(jobs, cores)}
    )


def check_data_dir(data_dir):
    """The folder holding cifar-10-batches-py/, or raise with how to get it."""
    from cs231n_lib.datasets import find_batches_dir

    batches = find_batches_dir(data_dir)  # raises FileNotFoundError with the fix
    # Absolute: the kernels run in the submission's scratch folder, not in this one.
    return batches.parent.resolve()


def _stamp(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def build_template(work, repo=REPO):
    """Generate the assignment into ``work/_template`` (kept while the sources match)."""
    template = Path(work) / TEMPLATE
    sources = sorted((repo / "notebooks").glob("*.ipynb"))
    key = _stamp(*(p.read_bytes() for p in sources), *protected_files(repo))
    stamp = template / ".stamp"
    if stamp.is_file() and stamp.read_text() == key and (template / "gradebook.db").is_file():
        return template
    if template.exists():
        shutil.rmtree(template)
    make_course(template, repo / "notebooks")
    run_nbgrader(template, "generate_assignment", ASSIGNMENT, "--force")
    stamp.write_text(key)
    return template


def class_inputs(data_dir, output):
    """The probe inputs and judging context (:func:`judge.prepare_class`), made once per data."""
    batches = sorted((Path(data_dir) / "cifar-10-batches-py").glob("*"))
    key = _stamp(
        Path(data_dir).resolve(),
        *(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in batches),
    )
    stamp = Path(output) / "private" / ".stamp"
    context = Path(output) / "private" / "context.npz"
    if stamp.is_file() and stamp.read_text() == key and context.is_file():
        return Path(output) / "inputs", context
    inputs, context = judge.prepare_class(data_dir, output)
    stamp.write_text(key)
    return inputs, context


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


def _course_for(template, work, student_id, cell_timeout, protected=None):
    course = Path(work) / student_id
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    shutil.copytree(template / "source", course / "source")
    shutil.copyfile(template / "gradebook.db", course / "gradebook.db")
    sandbox = SANDBOX_CONFIG.format(kernel=KERNEL_NAME, max_output=MAX_OUTPUT_BYTES)
    write_config(course, timeout=cell_timeout, extra=sandbox, protected=protected)
    return course


# Process groups of the workers running in this process, so that an interrupted run
# (Ctrl-C) can stop them rather than leave them grading for nobody.
RUNNING = set()


def stop_workers():
    """Kill every worker this process started that is still running (kernels too)."""
    for pgid in list(RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def _run_worker(course, env, timeout, repo=REPO):
    """Run the worker in its own session; kill it on timeout (its pid namespace with it).

    Its output goes to ``worker.log``, not to a pipe: nothing the submission starts can
    hold this process waiting for the end of a pipe.
    """
    command = [sys.executable, "-m", "grading.run.worker", str(Path(course) / "job.json")]
    log_path = Path(course) / "worker.log"
    with (
        open(log_path, "wb") as log,
        subprocess.Popen(
            command,
            cwd=repo,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ) as proc,
    ):
        RUNNING.add(proc.pid)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker's pid 1 too: all of it ends
            proc.wait()
            return None, f"grading stopped after {timeout} s: the submission runs too long"
        finally:
            RUNNING.discard(proc.pid)
    result = Path(course) / "result.json"
    if proc.returncode != 0 or not result.is_file():
        text = log_path.read_bytes()[-4000:].decode("utf-8", "replace")
        last = text.strip().splitlines()[-1:] or ["no output"]
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
    data_dir: Path  # the kernels' copy of the dataset (grading_data: test labels withheld)
    env: dict
    limits: isolation.Limits = field(default_factory=isolation.Limits)
    timeout: int = SUBMISSION_TIMEOUT
    cell_timeout: int = CELL_TIMEOUT
    probe_timeout: int = judge.PROBE_TIMEOUT
    repo: Path = REPO  # holds the release, ``repo/assignment1``
    keep_work: bool = False  # keep what the submission left in its scratch folders
    # Files autograde never overwrites (default: the release's, coursedir.protected_files).
    protected: tuple = ()
    source_data: Path | None = None  # the real dataset's folder (the grader's side only)


def kernel_env(setup):
    """The variables kernels and probes get: :data:`KERNEL_ENV`, from the class's setup."""
    return {name: setup.env[name] for name in KERNEL_ENV if name in setup.env}


def write_kernelspec(course, run, setup):
    """The course's ``cs231n-sandbox`` kernel: ipykernel started by the sandbox launcher.

    Its only writable folder is ``run`` (the submission's scratch copy); it sees the
    Python environment and the dataset read-only, its connection file, and nothing
    else of the machine (no gradebook, other submission, reference or repository).
    """
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", *QUIET_KERNEL]
    argv = isolation.sandbox_command(
        kernel,
        run,
        limits=setup.limits,
        share_network=True,
        env=kernel_env(setup),
        # jupyter_client may write the connection file anywhere: that one file is shown.
        expose=[setup.data_dir, "{connection_file}"],
    )
    spec = course / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": argv,
                "display_name": "Python 3 (sandboxed for grading)",
                "language": "python",
            },
            indent=1,
        )
    )
    (course / "runtime").mkdir(exist_ok=True)


def _restore_notebooks(submitted, present, release, grade):
    """Put every test cell back as released, report changes, add the grader's fact cells."""
    for name in present:
        path = submitted / f"{name}.ipynb"
        changes = integrity.restore_file(path, release / f"{name}.ipynb", path)
        grade.restored += [f"{name}: {change}" for change in changes]
        judge.insert_fact_cells(path)


def grade_submission(sub, setup, only=None):
    """Grade one :class:`~grading.intake.Submission`; never raises for a bad submission.

    ``only``: the notebooks to grade (default all); the others are left out.
    """
    start = time.perf_counter()
    grade = Grade(
        sub.student_id, sub.name, problems=list(sub.problems), notebooks=list(only or NOTEBOOKS)
    )
    output = Path(setup.output)
    course = _course_for(
        setup.template, output / "work", sub.student_id, setup.cell_timeout, setup.protected
    )
    grade.workdir = str(course)
    submitted = course / "submitted" / sub.student_id / ASSIGNMENT
    present = intake.prepare(sub, submitted, setup.repo / ASSIGNMENT)
    if only:
        for name in set(present) - set(only):
            (submitted / f"{name}.ipynb").unlink()
        present = [name for name in present if name in only]
        others = [f"{nb}.ipynb" for nb in NOTEBOOKS if nb not in only]
        sub.problems[:] = [p for p in sub.problems if not any(nb in p for nb in others)]
    grade.problems = list(sub.problems)
    if present:
        _restore_notebooks(submitted, present, setup.repo / ASSIGNMENT, grade)
        run = course / "run"  # a tmpfs of the worker's, holding a copy of ``submitted``
        write_kernelspec(course, run, setup)
        job = {
            "course": str(course),
            "student_id": sub.student_id,
            "notebooks": present,
            "parent": os.getpid(),  # the worker ends with this process (a killed run)
            "run": str(run),
            "references": str(setup.references),
            "inputs": str(setup.inputs),
            "context": str(setup.context),
            "submitted": str(submitted),
            "env": kernel_env(setup),
            "keep_scratch": setup.keep_work,
            "limits": asdict(setup.limits),
            "probe_timeout": setup.probe_timeout,
        }
        (course / "job.json").write_text(json.dumps(job, indent=1))
        env = {
            **setup.env,
            "JUPYTER_PATH": str(course),
            "JUPYTER_RUNTIME_DIR": str(course / "runtime"),
            "PYTHONPATH": str(KIT_ROOT),  # the grading tools this process runs
        }
        outcome, error = _run_worker(course, env, setup.timeout, setup.repo)
        if error:
            grade.problems.append(error)
        else:
            grade.problems += outcome["problems"]
            grade.scores = {nb: s for nb, s in outcome["scores"].items() if nb in present}
            grade.failed = outcome["failed"]
            grade.cells = {nb: c for nb, c in outcome["cells"].items() if nb in present}
    grade.seconds = time.perf_counter() - start
    return grade


def prepare_setup(
    output,
    jobs=1,
    data_dir=None,
    references=None,
    repo=REPO,
    limits=None,
    timeout=SUBMISSION_TIMEOUT,
    cell_timeout=CELL_TIMEOUT,
    log=print,
    keep_work=False,
    here=True,
):
    """Everything shared by the class: template, references, probe inputs, environment.

    ``here=False``: the submissions are graded elsewhere (:mod:`grading.cluster`), which
    derives the probe inputs and the kernels' dataset from ``source_data`` itself; this
    machine needs no sandbox then.
    """
    if here:
        reason = isolation.available()
        if reason:
            raise isolation.SandboxUnavailable(reason)
    output = Path(output).resolve()
    data_dir = check_data_dir(data_dir)
    output.mkdir(parents=True, exist_ok=True)
    log(f"Generating the assignment into {output / 'work' / TEMPLATE}")
    template = build_template(output / "work", repo)
    references = ensure_references(Path(references or REFERENCES).resolve(), repo, log=log)
    inputs = context = kernel_data = None
    if here:
        inputs, context = class_inputs(data_dir, output)  # the real labels: trusted side only
        kernel_data = grading_dataset(data_dir, output)  # for student code: labels withheld
    env = grading_env(kernel_data, jobs)
    return Setup(
        template,
        output,
        references,
        inputs,
        context,
        kernel_data,
        env,
        limits or isolation.Limits(),
        timeout,
        cell_timeout,
        judge.PROBE_TIMEOUT,
        repo,
        keep_work,
        tuple(protected_files(repo)),
        data_dir,
    )


def map_local(jobs, work, setup):
    """Grade ``work`` (pairs of submission and notebooks to grade) ``jobs`` at a time.

    Yields each :class:`Grade` as soon as it is done.
    """
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(grade_submission, sub, setup, only) for sub, only in work]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:  # Ctrl-C, or the consumer stopped: stop the rest at once
            for future in futures:
                future.cancel()
            stop_workers()
            raise


COLUMNS = [
    "student_id",
    "submission",
    *NOTEBOOKS,
    "written_pending",
    "total",
    "max",
    "restored_cells",
    "problems",
]


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
