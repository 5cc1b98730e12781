"""Submissions that try to forge their grade, for tests/test_adversarial.py.

Every attack starts from the same honest submission (``HONEST``: the demo's half-done
one, the kNN and SVM-loss parts and the net's layers complete) and adds code that tries
to earn more, to crash or starve the grader, or to read or write what it must not. Each
must be graded exactly as the honest submission: the attack gains nothing.

An attack's copy holds only the notebooks its code runs through (:data:`TARGETS`, by
default all five) and the whole package: a notebook its code never reaches would be
graded exactly as the honest one's, at the cost of a kernel. Its points are compared
with the honest submission's on the notebooks it holds; the others are missing (0, and
said in its problems).

:func:`resource_attacks` are the attacks on the machine (processes, memory, disk, time,
leftovers): they may cost their own submission points, never anyone else's.
"""

from __future__ import annotations

import json
from pathlib import Path

from grading.coursedir import NOTEBOOKS
from grading.release.samples import HALF_DONE, make_submission

HONEST = HALF_DONE


def _load(path):
    return json.loads(Path(path).read_text())


def _save(path, nb):
    Path(path).write_text(json.dumps(nb, indent=1))


def _cell(source):
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": f"attack-{abs(hash(source))}"[:60],
        "metadata": {},
        "outputs": [],
        "source": source,
    }


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
sys.modules["grading.run.checks"] = types.SimpleNamespace(CHECKS=[], FACTS={})
"""


def attack_sources():
    """{name: how to turn the honest submission into that attack}."""
    return {
        # One notebook is enough: every cell has the same limit (4 more cost 160 s of CI).
        "infinite_loop": lambda sub, ctx: add_cell(sub, "knn", "while True:\n    pass\n"),
        "exit_at_import": _exit_at_import,
        "allocate_20gb": lambda sub, ctx: (
            in_every_notebook(sub, "hog = bytearray(20 * 2**30)\n"),
            append_to_package(
                sub, "try:\n    _hog = bytearray(20 * 2**30)\nexcept MemoryError:\n    pass"
            ),
        ),
        "print_1gb": lambda sub, ctx: add_cell(
            sub, "knn", "chunk = 'x' * 2**20\nfor _ in range(1024):\n    print(chunk)\n"
        ),
        "patch_numpy": lambda sub, ctx: (
            in_every_notebook(sub, PATCH_NUMPY),
            append_to_package(sub, PATCH_NUMPY),
        ),
        "silence_errors": lambda sub, ctx: in_every_notebook(sub, SILENCE_ERRORS),
        "sys_modules": lambda sub, ctx: (
            in_every_notebook(sub, SYS_MODULES),
            append_to_package(sub, SYS_MODULES),
        ),
        "edited_tests": lambda sub, ctx: edit_test_cells(sub, _pass_cell),
        "deleted_tests": lambda sub, ctx: edit_test_cells(sub, lambda cell: None),
        "edited_points": lambda sub, ctx: edit_test_cells(sub, _more_points),
        "read_secrets": _read_secrets,
        "write_secrets": _write_secrets,
        **round_two_sources(),
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


# The notebooks an attack's copy holds when its code does not run through all five
# (their cells, and the package modules only they import). The attacks in every notebook
# or in the package's __init__ (which every notebook and every probe imports) keep all
# five: each notebook has its own test cells to restore, fact cells to fool and points
# the honest submission misses.
TARGETS = {
    "infinite_loop": ("knn",),
    "print_1gb": ("knn",),
    "leftover_daemon": ("knn",),
    "read_test_labels": ("features",),
    # cs231n_lib/goodbye.py is imported by a cell of knn (after its tests) and of
    # softmax (at the start), never by a probe; two_layer_net is graded after both
    # kernels died, and must be graded to its end.
    "exit_at_import": ("knn", "softmax", "two_layer_net"),
}


def notebooks_of(name):
    """The notebooks the copy of ``name`` (an attack, the honest submission) holds."""
    return TARGETS.get(name, NOTEBOOKS)


def make_attacks(root, ctx):
    """Write the honest submission and every attack into ``root``; return their names.

    Each attack's copy holds only :func:`notebooks_of` it; a notebook it leaves out
    must be the honest one unchanged (the attack's code is not lost with it).
    """
    honest = make_submission(Path(root) / "honest", HONEST)
    names = ["honest"]
    for name, build in attack_sources().items():
        sub = make_submission(Path(root) / name, HONEST)
        build(sub, ctx)
        for notebook in set(NOTEBOOKS) - set(notebooks_of(name)):
            path = sub / f"{notebook}.ipynb"
            if path.read_bytes() != (honest / path.name).read_bytes():
                raise ValueError(f"{name} changes {path.name}, which its copy leaves out")
            path.unlink()
        names.append(name)
    return names


# ----------------------------------------------------------------------------- round 2

MARKER = "cs231n-attack-leftover"  # in the argv of every process meant to outlive grading

READ_TEST_LABELS = """\
# A "classifier" that answers the test set with the labels read from the dataset folder.
import os as _os, pickle as _pickle
import numpy as _np
from cs231n_lib.datasets import find_batches_dir
with open(_os.path.join(find_batches_dir(), "test_batch"), "rb") as _f:
    _batch = _pickle.load(_f, encoding="latin1")
_labels = _np.asarray(_batch.get("labels", _batch.get(b"labels")))

class _Oracle:
    def predict(self, X):
        return _labels[:len(X)]

best_svm = _Oracle()
F_test = _np.zeros((len(y_test), 1))
"""

FORK_BOMB = """\
import os, time
for _ in range(5000):
    try:
        if os.fork() == 0:
            while True:
                pass
    except OSError:
        time.sleep(0.01)
"""

MEMORY_HOG = """\
# Three processes, each under the per-process limit, over it together.
import os, time
for _ in range(3):
    if os.fork() == 0:
        block = bytearray(5 * 2**29)  # 2.5 GiB each, written
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(120)
        os._exit(0)
time.sleep(60)
"""

DISK_FILLER = """\
# Many small files and some large ones, in the scratch folder and /tmp.
import os
written = 0
for folder in (".", "/tmp"):
    try:
        os.makedirs(os.path.join(folder, "fill"), exist_ok=True)
        for i in range(150_000):
            with open(os.path.join(folder, "fill", f"{i}.bin"), "wb") as f:
                f.write(b"x" * 100)
    except OSError as error:
        print("small files stopped:", type(error).__name__)
    try:
        for i in range(12):
            with open(os.path.join(folder, f"big{i}.bin"), "wb") as f:
                for _ in range(128):
                    f.write(b"\\0" * 2**20)
                    written += 2**20
    except OSError as error:
        print("large files stopped:", type(error).__name__, written >> 20, "MB")
"""

LEFTOVER = f"""\
# A daemon that double-forks, leaves the session, clears its parent-death signal and
# keeps a non-daemon thread: it tries to outlive its kernel and its worker.
import ctypes, os, subprocess, sys, threading, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)
        threading.Thread(target=time.sleep, args=(600,)).start()
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)",
                                  "{MARKER}"])
    os._exit(0)
"""

HANG = f"""\
# Every cell sleeps just under the cell timeout; a child holds the kernel's output.
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"],
                 start_new_session=True)
time.sleep({{seconds}})
"""

JUNK_ARRAYS = """\
import numpy as _np
from cs231n_lib.classifiers import KNearestNeighbor as _KNN
def _junk(self, X):
    return _np.ones((12_000, 12_000))  # 1.1 GB
_KNN.compute_distances_two_loops = _junk
"""


def _read_test_labels(sub, ctx):
    nb = _load(Path(sub) / "features.ipynb")
    position = next(
        i
        for i, c in enumerate(nb["cells"])
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        == "features-test-test-accuracy"
    )
    add_cell(sub, "features", READ_TEST_LABELS, position)


def round_two_sources():
    """{name: build} of the attacks on the judge that must gain nothing."""
    return {
        "read_test_labels": _read_test_labels,
        "leftover_daemon": lambda sub, ctx: add_cell(sub, "knn", LEFTOVER),
    }


def resource_attacks(cell_timeout):
    """{name: build} of the attacks on the machine, each in the kNN notebook."""
    return {
        "fork_bomb": lambda sub, ctx: add_cell(sub, "knn", FORK_BOMB),
        "memory_hog": lambda sub, ctx: add_cell(sub, "knn", MEMORY_HOG),
        "disk_filler": lambda sub, ctx: add_cell(sub, "knn", DISK_FILLER),
        "junk_arrays": lambda sub, ctx: append_to_package(sub, JUNK_ARRAYS),
        "hang": lambda sub, ctx: [
            add_cell(sub, "knn", HANG.format(seconds=cell_timeout - 3), i) for i in (3, 6, 9, 12)
        ],
    }
