"""Submissions that try to forge their grade, for tests/test_adversarial.py.

Every attack starts from the same honest submission (``HONEST``: the demo's half-done
one, the kNN and SVM-loss parts and the net's layers complete) and adds code that tries
to earn more, to crash or starve the grader, or to read or write what it must not. Each
must be graded exactly as the honest submission: the attack gains nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from grading.coursedir import NOTEBOOKS
from grading.samples import HALF_DONE, make_submission

HONEST = HALF_DONE


def _load(path):
    return json.loads(Path(path).read_text())


def _save(path, nb):
    Path(path).write_text(json.dumps(nb, indent=1))


def _cell(source):
    return {"cell_type": "code", "execution_count": None, "id": f"attack-{abs(hash(source))}"[:60],
            "metadata": {}, "outputs": [], "source": source}


def add_cell(sub, notebook, source, position=3):
    """Insert a student cell (after the setup and config cells by default; -1: at the end)."""
    path = Path(sub) / f"{notebook}.ipynb"
    nb = _load(path)
    if position == -1:
        nb["cells"].append(_cell(source))
    else:
        nb["cells"].insert(position, _cell(source))
    _save(path, nb)


def in_every_notebook(sub, source, position=3):
    for name in NOTEBOOKS:
        add_cell(sub, name, source, position)


def append_to_package(sub, source, module="cs231n_lib/__init__.py"):
    path = Path(sub) / module
    path.write_text(path.read_text() + "\n" + source + "\n")


def edit_test_cells(sub, edit):
    """Apply ``edit(cell)`` to every test cell; it returns the new cell or None to delete it."""
    for name in NOTEBOOKS:
        path = Path(sub) / f"{name}.ipynb"
        nb = _load(path)
        cells = []
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("grade"):
                cell = edit(cell)
            if cell is not None:
                cells.append(cell)
        nb["cells"] = cells
        _save(path, nb)


# ----------------------------------------------------------------------------- attacks

SILENCE_ERRORS = """\
# Hide every error: a custom exception handler and a silent traceback.
from IPython import get_ipython
from IPython.core.interactiveshell import InteractiveShell

get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
InteractiveShell.showtraceback = lambda *args, **kwargs: None
InteractiveShell.showsyntaxerror = lambda *args, **kwargs: None
"""

PATCH_NUMPY = """\
# Make every comparison succeed.
import numpy as np
import numpy.testing
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None
"""

SYS_MODULES = """\
# Replace modules in sys.modules: scipy's cdist and the package's softmax and training.
import sys
import types

import numpy as np

fake_distance = types.ModuleType("scipy.spatial.distance")
fake_distance.cdist = lambda a, b: np.zeros((len(a), len(b)))
sys.modules["scipy.spatial.distance"] = fake_distance
for name in list(sys.modules):
    if name.startswith("grading"):
        sys.modules[name] = types.ModuleType(name)
sys.modules["grading.checks"] = types.SimpleNamespace(CHECKS=[], FACTS={})
"""


def attack_sources():
    """{name: how to turn the honest submission into that attack}."""
    return {
        "infinite_loop": lambda sub, ctx: in_every_notebook(sub, "while True:\n    pass\n"),
        "exit_at_import": _exit_at_import,
        "allocate_20gb": lambda sub, ctx: (
            in_every_notebook(sub, "hog = bytearray(20 * 2**30)\n"),
            append_to_package(sub, "try:\n    _hog = bytearray(20 * 2**30)\nexcept MemoryError:"
                                   "\n    pass")),
        "print_1gb": lambda sub, ctx: add_cell(
            sub, "knn", "chunk = 'x' * 2**20\nfor _ in range(1024):\n    print(chunk)\n"),
        "patch_numpy": lambda sub, ctx: (in_every_notebook(sub, PATCH_NUMPY),
                                         append_to_package(sub, PATCH_NUMPY)),
        "silence_errors": lambda sub, ctx: in_every_notebook(sub, SILENCE_ERRORS),
        "sys_modules": lambda sub, ctx: (in_every_notebook(sub, SYS_MODULES),
                                         append_to_package(sub, SYS_MODULES)),
        "edited_tests": lambda sub, ctx: edit_test_cells(sub, _pass_cell),
        "deleted_tests": lambda sub, ctx: edit_test_cells(sub, lambda cell: None),
        "edited_points": lambda sub, ctx: edit_test_cells(sub, _more_points),
        "read_secrets": _read_secrets,
        "write_secrets": _write_secrets,
    }


def _exit_at_import(sub, ctx):
    (Path(sub) / "cs231n_lib" / "goodbye.py").write_text("import os\n\nos._exit(3)\n")
    add_cell(sub, "knn", "import cs231n_lib.goodbye\n", position=-1)  # after every test
    add_cell(sub, "softmax", "import cs231n_lib.goodbye\n")


def _pass_cell(cell):
    cell["source"] = "pass  # no test here\n"
    return cell


def _more_points(cell):
    meta = cell["metadata"]["nbgrader"]
    meta["points"] = 100 * meta["points"]
    meta["grade"] = True
    return cell


def _try_paths(paths, mode):
    verb = "READ" if mode == "rb" else "WROTE"
    return f"""\
_report = []
for _path in {[str(p) for p in paths]!r}:
    try:
        with open(_path, {mode!r}) as _f:
            _f.read(16) if {mode!r} == "rb" else _f.write(b"forged")
        _report.append("{verb} " + _path)
    except Exception as _error:
        _report.append("BLOCKED " + _path + " " + type(_error).__name__)
print("\\n".join(_report))
with open("attack-report.txt", "a") as _f:
    _f.write("\\n".join(_report) + "\\n")
"""


def _read_secrets(sub, ctx):
    code = _try_paths(ctx["secrets"], "rb")
    in_every_notebook(sub, code)
    append_to_package(sub, code)


def _write_secrets(sub, ctx):
    code = _try_paths(ctx["targets"], "ab")
    in_every_notebook(sub, code)
    append_to_package(sub, code)


def make_attacks(root, ctx):
    """Write the honest submission and every attack into ``root``; return their names."""
    make_submission(Path(root) / "honest", HONEST)
    names = ["honest"]
    for name, build in attack_sources().items():
        make_submission(Path(root) / name, HONEST)
        build(Path(root) / name, ctx)
        names.append(name)
    return names
