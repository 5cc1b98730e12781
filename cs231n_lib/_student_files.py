"""The student's ``.py`` files, read without importing them (shared by ``submit`` and ``check``).

Nothing here imports the student's code: a file with a syntax error, or one that
still raises the release's stubs, must not stop the tools that report on it. The
files are compiled (``compile``, never executed) and scanned for the release's
stubs: a ``raise NotImplementedError(`` line followed by the message
``"KNearestNeighbor.predict_labels: write the code for the TODO above, in
cs231n_lib/classifiers/k_nearest_neighbor.py."`` (:data:`STUB_MESSAGE`). The same
message, read from the error a stub raised (:func:`stub_errors`), names the function
a failing notebook cell ran into.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "cs231n_lib"
NOTEBOOKS = (
    "knn.ipynb",
    "svm.ipynb",
    "softmax.ipynb",
    "two_layer_net.ipynb",
    "features.ipynb",
)
_SKIPPED_FOLDERS = frozenset({"__pycache__", ".ipynb_checkpoints"})

RAISE = "raise NotImplementedError("
# The release's stub message: "<qualified name or 'module level'>: write the code for the
# TODO above, in <file>." (grading/release/regions.py writes it; tests/test_submit_contract.py
# checks that every stub it writes is found here).
STUB_MESSAGE = re.compile(
    r"(?P<name>[\w.]+|module level): write the code for the TODO above, "
    r"in (?P<file>[\w./-]+?\.py)\."
)
_STUB_LOOKAHEAD = 3  # the message is on the line after the raise in the release
_DETECTED_AT = re.compile(r"\s*\(detected at line \d+\)$")  # we name the line anyway


@dataclass(frozen=True)
class Todo:
    """One piece of work still to do, named as a student finds it.

    Attributes
    ----------
    file : str
        Path relative to the assignment folder: ``"cs231n_lib/classifiers/softmax.py"``
        or ``"knn.ipynb"``.
    name : str
        A function's qualified name (``"KNearestNeighbor.predict_labels"``, or
        ``"module level"``), or a notebook cell's readable name (``"Inline question 2"``,
        ``"“best k” in section “Choosing k”"``).
    kind : {"function", "code", "written answer"}
        A stub in a ``.py`` file, a code cell or a written answer of a notebook.
    line : int or None
        For a function: the 1-based line of ``raise NotImplementedError(``.
    """

    file: str
    name: str
    kind: str = "function"
    line: int | None = None

    def __str__(self):
        if self.kind == "function":
            what = f"function `{self.name}`"
            if self.name == "module level":
                what = "code at module level"
            line = f" (line {self.line})" if self.line else ""
            return f"{what} in {self.file}{line}"
        if self.kind == "code":
            return f"{self.file}, code cell {self.name}"
        return f"{self.file}, {self.name}"


@dataclass(frozen=True)
class BrokenFile:
    """A ``.py`` file Python cannot compile, hence cannot import.

    Attributes
    ----------
    file : str
        Path relative to the assignment folder.
    line : int or None
        The 1-based line of the error, when Python gives one.
    message : str
        Python's message, e.g. ``"invalid syntax"`` or ``"expected ':'"``.
    """

    file: str
    line: int | None
    message: str

    def __str__(self):
        where = f", line {self.line}" if self.line else ""
        return f"{self.file}{where}: {self.message}"


def package_files(folder):
    """The ``.py`` files of ``folder/cs231n_lib``, sorted, without caches, data or checkpoints.

    Parameters
    ----------
    folder : pathlib.Path
        The assignment folder.

    Returns
    -------
    list of (str, pathlib.Path)
        Each file's path relative to ``folder`` (posix), and the path itself.
    """
    found = []
    for path in sorted((folder / PACKAGE).rglob("*.py")):
        relative = path.relative_to(folder)
        if _SKIPPED_FOLDERS.intersection(relative.parts[:-1]) or not path.is_file():
            continue
        found.append((relative.as_posix(), path))
    return found


def compile_error(name, data):
    """Compile the source ``data`` (bytes) of file ``name`` without running it.

    Returns
    -------
    BrokenFile or None
        What stops Python from importing the file, or None if it compiles.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning, e.g. an invalid escape sequence
        try:
            compile(data, name, "exec", dont_inherit=True)
        except SyntaxError as exc:  # IndentationError and TabError too
            message = _DETECTED_AT.sub("", exc.msg or "") or "invalid syntax"
            return BrokenFile(name, exc.lineno, message)
        except ValueError as exc:  # e.g. null bytes in the source
            return BrokenFile(name, None, str(exc))
    return None


def stubs(name, text):
    """The release's ``NotImplementedError`` stubs still in ``text``, as :class:`Todo` items.

    A commented-out ``raise`` is done work, and a ``NotImplementedError`` whose message
    is not the release's (an abstract method's, say) is not a stub.
    """
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith(RAISE):
            match = STUB_MESSAGE.search(" ".join(lines[i : i + 1 + _STUB_LOOKAHEAD]))
            if match:
                yield Todo(name, match["name"], "function", line=i + 1)


def stub_errors(text):
    """The ``(name, file)`` of every release stub message in ``text`` (an error's text)."""
    return [(m["name"], m["file"]) for m in STUB_MESSAGE.finditer(text)]


def scan_package(folder):
    """Read, compile and scan every ``.py`` file of the package in ``folder``.

    Returns
    -------
    contents : dict
        ``{relative path: (path, bytes)}`` of the files that could be read.
    unreadable : list of str
        A sentence per file that could not be read.
    broken : list of BrokenFile
        The files that do not compile.
    todos : list of Todo
        The stubs still in the files.
    """
    contents, unreadable, broken, todos = {}, [], [], []
    for name, path in package_files(Path(folder)):
        try:
            data = path.read_bytes()
        except OSError as exc:
            unreadable.append(f"{name} cannot be read ({exc}): check its permissions.")
            continue
        contents[name] = path, data
        error = compile_error(name, data)
        if error is not None:
            broken.append(error)
        todos.extend(stubs(name, data.decode("utf-8", errors="replace")))
    return contents, unreadable, broken, todos
