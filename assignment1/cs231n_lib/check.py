"""Run the public checks of the notebooks, as the grader runs them, in seconds.

From the assignment folder (the one holding ``knn.ipynb`` and ``cs231n_lib/``)::

    python -m cs231n_lib.check                # every notebook
    python -m cs231n_lib.check knn.ipynb      # one or more notebooks

or, in the last cell of a notebook, ``check_notebook("knn.ipynb")`` (save the
notebook first: the check runs the file on disk).

What it does:

1. compiles every ``.py`` file of ``cs231n_lib/`` (nothing is imported) and names
   each file Python cannot compile, with the line;
2. runs a temporary copy of each notebook as the grader does: a fresh ``python3``
   Jupyter kernel in the assignment folder, in grading mode (``CS231N_GRADING=1``:
   small sizes) with ``CS231N_CHECKING=1``, every cell in order even after one fails,
   at most 120 s per cell; the Colab setup cell (tag ``setup``) and the check cell
   (tag ``check``) are skipped. Your notebook file is not changed;
3. prints, per notebook, each autograded test as PASS or FAIL with its points; for a
   failure, the error's last line and what to look at (the functions still raising
   the release's ``NotImplementedError`` that the test ran into, unfinished answer
   cells, files that do not compile); the written questions still unanswered; and a
   summary line.

The grader runs the same tests and hidden ones besides: passing here does not
guarantee the points. Exit status: 0 when every check of every notebook passes and
every file compiles, 1 otherwise, 2 when there is nothing to check.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from ._check_report import NotebookReport, evaluate, format_report
from ._student_files import NOTEBOOKS, PACKAGE, scan_package

__all__ = ["CELL_TIMEOUT", "check_notebook", "main", "notebook_report", "run_checks"]

CELL_TIMEOUT = 120  # seconds per cell, as the grader allows
SKIPPED_TAGS = frozenset({"setup", "check"})
HIDDEN_TESTS = (
    "The grader runs these checks and hidden tests besides: passing here does not "
    "guarantee the points."
)
_QUIET = logging.getLogger("cs231n_lib.check.nbclient")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def assignment_folder():
    """The folder holding the ``cs231n_lib`` package in use (the assignment folder)."""
    return Path(__file__).resolve().parent.parent


def report_broken(folder, out=print):
    """Compile the package's files and print each one that does not; return them."""
    _, _, broken, todos = scan_package(folder)
    for error in broken:
        out(
            f"error: {error} — fix this first: Python cannot import the file, so every check "
            "that uses it fails."
        )
    return broken, todos


def _kernel_notebook(path):
    """The notebook at ``path``, read into memory, with the skipped cells emptied."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags")
        if cell.cell_type == "code" and isinstance(tags, list) and SKIPPED_TAGS.intersection(tags):
            cell.source = ""  # nbclient does not run empty cells
    return nb


def _record_error(cell, execute_reply):
    """Give ``cell`` an error output when the kernel replied with an error but sent none."""
    import nbformat

    content = execute_reply.get("content", {}) if execute_reply else {}
    if content.get("status") == "error" and not any(
        o.get("output_type") == "error" for o in cell.outputs
    ):
        cell.outputs.append(
            nbformat.v4.new_output(
                "error", ename=content.get("ename", "Error"), evalue=content.get("evalue", "")
            )
        )


def _client(nb, name, folder, bar, ran):
    """An nbclient NotebookClient set up as nbgrader's autograde, reporting to ``bar``."""
    from nbclient import NotebookClient

    from ._notebook_cells import cell_name

    def started(cell, cell_index, **_):
        bar.set_postfix_str(cell_name(nb.cells, cell_index, name), refresh=True)

    def executed(cell, cell_index, execute_reply=None, **_):
        _record_error(cell, execute_reply)
        ran.add(cell_index)
        bar.update(1)

    return NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "CellTimeoutError", "evalue": f"over {CELL_TIMEOUT} s"},
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
        resources={"metadata": {"path": str(folder)}},
        on_cell_start=started,
        on_cell_executed=executed,
        log=_QUIET,
    )


def _kernel_env():
    """The kernel's environment: this one, in grading mode, plotting to no window."""
    return dict(os.environ, CS231N_GRADING="1", CS231N_CHECKING="1", MPLBACKEND="Agg")


def run_notebook(folder, name, progress=True):
    """Execute a copy of notebook ``name`` of ``folder`` in grading mode.

    Parameters
    ----------
    folder : pathlib.Path
        The assignment folder: the kernel runs there.
    name : str
        The notebook's file name, e.g. ``"knn.ipynb"``.
    progress : bool
        Show a progress bar, one step per cell.

    Returns
    -------
    cells : list
        The cells with their outputs (all of them; the copy is not saved).
    ran : set of int
        The indices of the cells that ran.
    problem : str
        Why the run stopped early (the kernel died, could not start), or ``""``.
    """
    from tqdm.auto import tqdm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. nbformat's about cells without an id
        nb = _kernel_notebook(Path(folder) / name)
    todo = sum(1 for cell in nb.cells if cell.cell_type == "code" and cell.source.strip())
    ran, problem = set(), ""
    with (
        tempfile.TemporaryFile("w+") as kernel_log,
        tqdm(total=todo, desc=name, unit="cell", leave=False, disable=not progress) as bar,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        client = _client(nb, name, folder, bar, ran)
        try:
            client.execute(env=_kernel_env(), stderr=kernel_log, stdout=subprocess.DEVNULL)
        except Exception as exc:  # a dead or missing kernel: report, never a traceback
            kernel_log.seek(0)
            last = [line for line in kernel_log.read().splitlines() if line.strip()][-1:]
            problem = f"{type(exc).__name__}: {exc}".strip() + "".join(f" ({x})" for x in last)
    return nb.cells, ran, problem


def notebook_report(folder, name, todos=(), broken=(), progress=True):
    """Run and judge notebook ``name`` of ``folder``; return its :class:`NotebookReport`.

    Parameters
    ----------
    folder : pathlib.Path
        The assignment folder.
    name : str
        The notebook's file name.
    todos : iterable of Todo
        The stubs still in the package, from :func:`report_broken`.
    broken : iterable of BrokenFile
        The package's files that do not compile, from :func:`report_broken`.
    progress : bool
        Show a progress bar while it runs.
    """
    path = Path(folder) / name
    if not path.is_file():
        return NotebookReport(name, problem=f"{path} does not exist")
    try:
        cells, ran, problem = run_notebook(folder, name, progress)
    except Exception as exc:  # unreadable notebook: nbformat's error says where
        return NotebookReport(name, problem=f"cannot read it: {type(exc).__name__}: {exc}")
    report = evaluate(name, cells, todos, broken, ran)
    report.problem = problem
    return report


def run_checks(folder=None, names=None, progress=True, out=print):
    """Compile the package, check the notebooks ``names`` of ``folder``, print the reports.

    Parameters
    ----------
    folder : str or path-like, optional
        The assignment folder; default: the folder of the ``cs231n_lib`` in use.
    names : list of str, optional
        Notebook file names; default: every notebook of the assignment in ``folder``.
    progress : bool
        Show a progress bar while each notebook runs.
    out : callable
        Prints one line of the report.

    Returns
    -------
    bool
        True when every file compiles and every check of every notebook passes.
    """
    folder = Path(folder) if folder is not None else assignment_folder()
    names = list(names or [n for n in NOTEBOOKS if (folder / n).is_file()])
    broken, todos = report_broken(folder, out)
    ok = not broken
    for name in names:
        report = notebook_report(folder, name, todos, broken, progress)
        for line in format_report(report):
            out(line)
        ok = ok and report.ok
    out(HIDDEN_TESTS)
    return ok


def check_notebook(name, folder=None):
    """Check notebook ``name`` from its last cell; it runs the file on disk, so save first.

    Prints the same report as ``python -m cs231n_lib.check NAME``. It does nothing
    (but say so) while the grader or the check itself runs the notebook
    (``CS231N_GRADING=1`` or ``CS231N_CHECKING=1``), so that neither recurses.

    Parameters
    ----------
    name : str
        The notebook's file name, e.g. ``"knn.ipynb"``.
    folder : str or path-like, optional
        The assignment folder; default: the folder of the ``cs231n_lib`` in use.

    Examples
    --------
    >>> from cs231n_lib.check import check_notebook
    >>> check_notebook("knn.ipynb")  # doctest: +SKIP
    """
    if "1" in (os.environ.get("CS231N_GRADING"), os.environ.get("CS231N_CHECKING")):
        print(f"check_notebook({name!r}): skipped while grading or checking.")
        return
    print(
        f"Checking {name} as saved on disk: save the notebook first (Ctrl+S, or File > Save) "
        "so that the check sees your latest changes."
    )
    run_checks(folder, [name], progress=True)


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m cs231n_lib.check",
        description="Run the public checks of the notebooks in grading mode, as the grader "
        "does, and say what passes, what fails and what to look at. Exit code 0: every check "
        "passes; 1: some check fails or a file does not compile; 2: nothing to check.",
    )
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="default: all five")
    parser.add_argument("--folder", metavar="DIR", help="the assignment folder")
    return parser


def main(argv=None):
    """Run ``python -m cs231n_lib.check``; return the exit code."""
    args = _parser().parse_args(argv)
    folder = Path(args.folder) if args.folder else assignment_folder()
    names = [Path(n).name if n.endswith(".ipynb") else f"{n}.ipynb" for n in args.notebooks]
    if not (folder / PACKAGE).is_dir() or not any((folder / n).is_file() for n in NOTEBOOKS):
        print(
            f"error: {folder} is not an assignment folder (no {PACKAGE}/ or no notebook). "
            "Run the command from your assignment folder, or pass it with --folder DIR.",
            file=sys.stderr,
        )
        return 2
    try:
        return 0 if run_checks(folder, names, progress=sys.stderr.isatty()) else 1
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # piped into `head`, say: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
