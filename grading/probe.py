"""Run the hidden checks on a student's package: ``python -m grading.probe OUT INPUTS ID...``.

This is the only grading code that shares a process with student code, and it decides
nothing: it imports the package found in its working folder (a fresh process, no
notebook state), runs the :mod:`grading.checks` of the given test cells, and saves
what each returned as plain ``.npy`` arrays in ``OUT`` (``<check>.<key>.npy``), with
``<check>.json`` saying whether it finished. The grader (:mod:`grading.judge`) runs it
in the sandbox and judges those arrays itself, with ``allow_pickle=False``.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np

from .checks import CHECKS

MAX_MESSAGE = 500
IMPORTED = "_import"  # status of importing the package, written before any check


class Lib:
    """The student's modules, imported on first use (an import error fails one check)."""

    MODULES: ClassVar[dict] = {"classifiers": "cs231n_lib.classifiers",
                               "cross_validation": "cs231n_lib.cross_validation",
                               "features": "cs231n_lib.features"}

    def __getattr__(self, name):
        if name not in self.MODULES:
            raise AttributeError(name)
        return importlib.import_module(self.MODULES[name])


def input_loader(inputs_dir):
    """``inputs(name)``: the class's probe input ``name``.npy, read-only, no pickles."""
    inputs_dir = Path(inputs_dir) if inputs_dir else None

    def inputs(name):
        if inputs_dir is None:
            raise FileNotFoundError(f"this check needs the probe input {name!r}")
        return np.load(inputs_dir / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    return inputs


def run_checks(checks, out, lib, inputs):
    """Run ``checks`` and save their outputs and status in ``out``; never raises."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for check in checks:
        try:
            outputs = check.run(lib, inputs)
            for key, value in outputs.items():
                np.save(out / f"{check.key}.{key}.npy", np.asarray(value), allow_pickle=False)
            status = {"ok": True}
        except BaseException as error:
            status = {"error": f"{type(error).__name__}: {error}"[:MAX_MESSAGE]}
        (out / f"{check.key}.json").write_text(json.dumps(status))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3:
        print("usage: python -m grading.probe OUT INPUTS GRADE_ID...", file=sys.stderr)
        return 2
    out, inputs_dir, grade_ids = argv[0], argv[1], set(argv[2:])
    sys.path.insert(0, str(Path.cwd()))  # the student's package, before anything else
    Path(out).mkdir(parents=True, exist_ok=True)
    try:  # first the import, so the grader can tell an import that hangs or crashes
        importlib.import_module("cs231n_lib")
        status = {"ok": True}
    except BaseException as error:
        status = {"error": f"{type(error).__name__}: {error}"[:MAX_MESSAGE]}
    (Path(out) / f"{IMPORTED}.json").write_text(json.dumps(status))
    run_checks([c for c in CHECKS if c.grade_id in grade_ids], out, Lib(),
               input_loader(inputs_dir if inputs_dir != "-" else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
