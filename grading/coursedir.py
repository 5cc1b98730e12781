"""An nbgrader course directory: its layout, its configuration, running nbgrader in it.

nbgrader works on ``{root}/{step}/{student_id}/{assignment}/``. The grading tools make
course directories in scratch space (never in the repository): one to generate the
release, a template for grading (generated once, holding the gradebook), and one per
graded submission, copied from the template.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "assignment1"
NOTEBOOKS = ("knn", "svm", "softmax", "two_layer_net", "features")
PACKAGE = "cs231n_lib"

# Cell execution limit. Grading mode keeps every cell to a few seconds; 120 s leaves
# room for slow (but working) student code without letting an infinite loop stall
# the class for long.
CELL_TIMEOUT = 120
# One submission, all five notebooks and the hidden checks, in grading mode: about a
# minute on 2 cores. The limit only stops a runaway submission.
SUBMISSION_TIMEOUT = 900

CONFIG = """\
# Written by grading/coursedir.py for one nbgrader course directory.
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "cs231n-assignment1"
# The student's own package is what gets graded: autograde would otherwise overwrite
# the submission's files with the instructor's copies (jupyter/nbgrader#940). The
# grading course's source folder holds only notebooks, and this list guards the rest.
c.Autograde.exclude_overwriting = {{{assignment!r}: {protected!r}}}
c.Execute.timeout = {timeout}
{extra}c.ClearSolutions.code_stub = {{
    "python": "# YOUR CODE HERE\\n"
              "raise NotImplementedError('Write your code here, then remove this line.')"
}}
"""


def protected_files(repo=REPO):
    """Relative paths of the release's non-notebook files (never overwritten)."""
    package = repo / PACKAGE
    files = [
        p.relative_to(repo).as_posix()
        for p in sorted(package.rglob("*.py"))
        if "__pycache__" not in p.parts
    ]
    return [*files, "get_datasets.sh", "README.md", "requirements.txt"]


def make_course(root, notebooks_dir=REPO / "notebooks", assignment=ASSIGNMENT):
    """Create a course directory at ``root`` whose source holds the five notebooks."""
    root = Path(root).resolve()
    source = root / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    for name in NOTEBOOKS:
        shutil.copyfile(Path(notebooks_dir) / f"{name}.ipynb", source / f"{name}.ipynb")
    write_config(root, assignment)
    return root


def write_config(root, assignment=ASSIGNMENT, timeout=CELL_TIMEOUT, extra="", protected=None):
    """Write ``root/nbgrader_config.py``; ``extra``: more lines of configuration.

    A course that grades students adds the sandboxed kernel and the output cap there
    (:data:`grading.run.autograde.SANDBOX_CONFIG`). ``protected``: the files autograde
    never overwrites (default :func:`protected_files` of this repository).
    """
    root = Path(root).resolve()
    (root / "nbgrader_config.py").write_text(
        CONFIG.format(
            root=str(root),
            assignment=assignment,
            protected=list(protected) if protected else protected_files(),
            timeout=timeout,
            extra=extra,
        )
    )


def nbgrader_env(extra=None):
    """The environment for nbgrader: this interpreter's scripts first on PATH.

    nbgrader runs ``alembic`` as a command when it creates a gradebook, so the
    virtual environment's bin folder must be on PATH even when it is not activated.
    """
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env.update(extra or {})
    return env


def run_nbgrader(root, *args, env=None, timeout=None):
    """Run ``nbgrader ARGS`` in the course directory; raise with its log on failure."""
    command = [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"]
    result = subprocess.run(
        command,
        cwd=root,
        env=env or nbgrader_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"`nbgrader {' '.join(args)}` failed in {root} (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result
