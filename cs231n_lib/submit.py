"""Check the assignment folder and pack it into the zip to hand in.

Run from the assignment folder (the one holding ``knn.ipynb``, ``svm.ipynb``,
``softmax.ipynb``, ``two_layer_net.ipynb``, ``features.ipynb`` and ``cs231n_lib/``)::

    python -m cs231n_lib.submit [--folder DIR] [--out FILE]

It checks that the five notebooks are there and readable, compiles every ``.py``
file of ``cs231n_lib/`` (without importing or running any of them), lists what is
still to do (the release's ``raise NotImplementedError(`` stubs in ``cs231n_lib/``,
notebook code cells that still raise ``NotImplementedError`` and written answers
still reading ``YOUR ANSWER HERE``, each named as you find it: "function
`predict_labels` in cs231n_lib/classifiers/k_nearest_neighbor.py (line 120)",
"knn.ipynb, Inline question 2"), and writes ``assignment1_submission.zip`` with the
notebooks and every ``.py`` file of ``cs231n_lib/``. The zip appears all at once: it
is written to a hidden temporary file next to it, then renamed.

A file Python cannot compile (a syntax error, say) does not stop the command: it
names the file and the line, writes the zip anyway, says which notebooks' tests
will get 0 because they import that file, and exits with status 1 so that scripts
notice. Fix the file and run the command again before you submit.

Exit status: 0 when the notebooks are all there and readable and every file
compiles (work still to do is listed but is not an error); 1 when the zip was
written but something is missing, unreadable or does not compile; 2 when nothing
was written.

Examples
--------
>>> from cs231n_lib.submit import make_submission
>>> report = make_submission(".")  # doctest: +SKIP
>>> report.problems, [str(todo) for todo in report.todos]  # doctest: +SKIP
([], ['function `softmax_loss_naive` in cs231n_lib/classifiers/softmax.py (line 40)'])
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ._imports import failing_modules, notebook_losses
from ._notebook_cells import notebook_todos
from ._student_files import NOTEBOOKS, PACKAGE, Todo, scan_package

__all__ = [
    "DEFAULT_ZIP_NAME",
    "NOTEBOOKS",
    "SubmissionError",
    "SubmissionReport",
    "Todo",
    "main",
    "make_submission",
]

DEFAULT_ZIP_NAME = "assignment1_submission.zip"
CANNOT_IMPORT = (
    "fix this before submitting: Python cannot import the file, so every test that uses it gets 0"
)


class SubmissionError(Exception):
    """Raised when there is nothing to submit; the message says which folder and what to do."""


@dataclass(frozen=True)
class SubmissionReport:
    """What :func:`make_submission` checked and wrote.

    Attributes
    ----------
    path : pathlib.Path
        The zip written.
    files : list of str
        The paths stored in the zip, relative to the assignment folder.
    size : int
        The size of the zip in bytes.
    problems : list of str
        Missing or unreadable files, each with how to fix it; empty when all is well.
    todos : list of Todo
        Stubs and unanswered cells still in the files.
    broken : list of BrokenFile
        The ``.py`` files of ``cs231n_lib/`` that Python cannot compile, with the line.
    losses : list of Loss
        The notebooks whose tests get 0 because they import a broken file.
    """

    path: Path
    files: list[str]
    size: int
    problems: list[str]
    todos: list[Todo]
    broken: list = field(default_factory=list)
    losses: list = field(default_factory=list)

    @property
    def ok(self):
        """True when every notebook is present and readable and every ``.py`` file compiles."""
        return not self.problems and not self.broken


def make_submission(folder, out=None):
    """Check the assignment ``folder`` and write the submission zip.

    Parameters
    ----------
    folder : str or path-like
        The assignment folder, holding the five notebooks and ``cs231n_lib/``.
    out : str or path-like, optional
        The zip to write; defaults to ``folder / "assignment1_submission.zip"``.
        An existing file is replaced.

    Returns
    -------
    SubmissionReport
        The zip's path, the files in it, and the problems and work still to do.
        The zip is written even when there are problems, with the files that are there.

    Raises
    ------
    SubmissionError
        If ``folder`` holds neither ``cs231n_lib/`` nor any of the notebooks, or the
        zip cannot be written. Nothing is written then.
    """
    folder = Path(folder).expanduser()
    out = folder / DEFAULT_ZIP_NAME if out is None else Path(out).expanduser()
    _check_folder(folder)
    if out.is_dir():
        raise SubmissionError(
            f"--out {out} is a folder; expected the path of the zip to write, such as "
            f"{out / DEFAULT_ZIP_NAME}."
        )
    contents, problems, todos, notebooks = {}, [], [], {}
    for name in NOTEBOOKS:
        cells = _add_notebook(folder, name, contents, problems, todos)
        if cells is not None:
            notebooks[name] = cells
    broken = _add_package(folder, contents, problems, todos)
    losses = _losses(contents, broken, notebooks)
    size = _write_zip(out, contents)
    return SubmissionReport(out, list(contents), size, problems, todos, broken, losses)


def _check_folder(folder):
    hint = (
        "Run the command from your assignment folder (the one holding knn.ipynb and "
        "cs231n_lib/), or pass it with --folder DIR."
    )
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise SubmissionError(f"the folder {folder} {what}. {hint}")
    if not (folder / PACKAGE).is_dir() and not any((folder / n).exists() for n in NOTEBOOKS):
        raise SubmissionError(
            f"found neither {PACKAGE}/ nor any of {', '.join(NOTEBOOKS)} in {folder.resolve()}, "
            f"so there is nothing to submit. {hint}"
        )


def _add_notebook(folder, name, contents, problems, todos):
    """Read notebook ``name``: store its bytes, record its problem or its open cells.

    Returns its list of cells, or None if it is missing or not a notebook.
    """
    path = folder / name
    restore = f"restore it from the release{_checkpoint_hint(folder, name)}"
    if not path.is_file():
        what = "is a folder, not a notebook" if path.exists() else f"is missing from {folder}"
        problems.append(f"{name} {what}: put your notebook back there, or {restore}.")
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(f"{name} cannot be read ({exc}): check its permissions, or {restore}.")
        return None
    contents[name] = path, data
    try:
        notebook = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        problems.append(f"{name} is not UTF-8 text ({exc}): {restore}.")
        return
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
        if not data.strip():
            where = "the file is empty"
        problems.append(
            f"{name} is not valid JSON ({where}): reopen it in Jupyter and save it again, "
            f"or {restore}."
        )
        return None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        got = "an object without one" if isinstance(notebook, dict) else type(notebook).__name__
        problems.append(
            f'{name} is not a notebook: expected a JSON object with a "cells" list, got '
            f"{got}. Save it again from Jupyter, or {restore}."
        )
        return None
    todos.extend(notebook_todos(name, cells))
    return cells


def _checkpoint_hint(folder, name):
    checkpoint = Path(".ipynb_checkpoints") / name.replace(".ipynb", "-checkpoint.ipynb")
    if (folder / checkpoint).is_file():
        return f", or copy Jupyter's last checkpoint {checkpoint.as_posix()} over it"
    return ""


def _add_package(folder, contents, problems, todos):
    """Store every .py file of ``cs231n_lib/``, record its stubs; return the broken files."""
    if not (folder / PACKAGE).is_dir():
        problems.append(
            f"{PACKAGE}/ is missing from {folder}, so your code is not in the zip: submit "
            f"from the folder that holds {PACKAGE}/, or pass it with --folder DIR."
        )
        return []
    files, unreadable, broken, stubs = scan_package(folder)
    contents.update(files)
    problems.extend(unreadable)
    todos.extend(stubs)
    return broken


def _losses(contents, broken, notebooks):
    """The notebooks whose tests import one of the ``broken`` files, with the points at risk."""
    if not broken:
        return []
    sources = {name: data for name, (_, data) in contents.items() if name.endswith(".py")}
    failing = failing_modules(sources, [b.file for b in broken])
    losses = (notebook_losses(name, cells, failing) for name, cells in notebooks.items())
    return [loss for loss in losses if loss is not None]


def _write_zip(out, contents):
    """Write ``contents`` (name -> (path, bytes)) to the zip ``out`` atomically; return its size.

    Each entry keeps the modification time and permissions of its file.
    """
    tmp = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # mode follows umask
    except OSError as exc:
        raise SubmissionError(
            f"cannot create a file in {out.parent} ({exc}). Choose a folder you can write "
            "to with --out FILE."
        ) from exc
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, (path, data) in contents.items():
                info = zipfile.ZipInfo.from_file(path, name, strict_timestamps=False)
                zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        os.replace(tmp, out)
    except OSError as exc:
        raise SubmissionError(
            f"could not write {out} ({exc}). Free some space, or choose another place "
            "with --out FILE; no zip was written."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)  # gone already after a successful rename
    return out.stat().st_size


def _size_text(size):
    if size < 1000:
        return f"{size} bytes"
    if size < 1000**2:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1000**2:.1f} MB"


def _print_report(report):
    for broken in report.broken:
        print(f"error: {broken} — {CANNOT_IMPORT}.", file=sys.stderr)
    if report.todos:
        print(f"Still to do ({len(report.todos)}):")
        for todo in report.todos:
            print(f"  {todo}")
    else:
        print("Nothing left to do: no stubs in the code and no unanswered cells.")
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    print(f"Wrote {report.path} ({_size_text(report.size)}, {len(report.files)} files).")
    if report.broken:
        _print_losses(report)
    if report.problems:
        print(
            f"The zip holds only what is there ({len(report.problems)} problem(s) above): "
            "fix them and run this command again before you submit.",
            file=sys.stderr,
        )


def _print_losses(report):
    """Say which parts lose points because of the files that do not compile."""
    files = ", ".join(b.file for b in report.broken)
    print(
        f"The zip is written, but it will lose points as it is: Python cannot import {files}.",
        file=sys.stderr,
    )
    for loss in report.losses:
        print(f"  {loss}.", file=sys.stderr)
    print(
        "  The grader's hidden tests that use it get 0 too. Fix the file(s) above and run "
        "this command again before you submit.",
        file=sys.stderr,
    )


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m cs231n_lib.submit",
        description="Check your assignment folder and write the zip to submit: the five "
        "notebooks and every .py file of cs231n_lib/. Lists the functions and notebook "
        "cells still to do. Exit code 0: all notebooks present and readable, and every .py "
        "file compiles; 1: the zip was written but something is missing, unreadable or does "
        "not compile (a syntax error: the tests that use the file get 0); 2: nothing was "
        "written.",
    )
    parser.add_argument(
        "--folder",
        metavar="DIR",
        help="the assignment folder (default: the folder holding the cs231n_lib package "
        "in use, which is the current folder when you run it from your assignment folder)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help=f"the zip to write (default: DIR/{DEFAULT_ZIP_NAME})",
    )
    return parser


def main(argv=None):
    """Run ``python -m cs231n_lib.submit``: check, write the zip, report; return the exit code."""
    args = _parser().parse_args(argv)
    folder = args.folder
    if folder is None:
        folder = Path(__file__).resolve().parent.parent
        if not any((folder / name).is_file() for name in NOTEBOOKS):  # e.g. site-packages
            print(
                f"error: found no notebook in {folder}, the folder of the cs231n_lib package "
                "in use. Run the command from your assignment folder (cd to the folder "
                "holding knn.ipynb), or pass it with --folder DIR.",
                file=sys.stderr,
            )
            return 2
    try:
        report = make_submission(folder, args.out)
    except SubmissionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; no zip was written.", file=sys.stderr)
        return 130
    _print_report(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
