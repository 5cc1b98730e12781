"""The grader's own judgement of each test cell (never in a process with student code).

- :func:`prepare_class` writes, once per class, the probe inputs (training images
  and labels, validation images: ``OUTPUT/inputs/``, which probes may read) and the
  judging context (validation and test labels, the reference cross-validation of the
  kNN notebook: ``OUTPUT/private/context.npz``, which they may not).
- :func:`run_probes` runs the hidden checks here, with the student's package in a
  sandboxed server (:mod:`grading.run.probe`); a check that crashes it or runs too long
  costs only itself.
- :func:`judge_cells` compares the checks' arrays with the reference outputs, applies
  the judges of :mod:`grading.run.checks` and of the recorded notebook facts, and returns a
  :class:`Verdict` per test cell.

Everything read from a folder that student code could write is opened only after
checking that it is a regular file inside that folder (no symlink out of it), with a
size cap and ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import isolation
from . import probe
from .checks import CHECKS, COURSE_KS, FACT_JUDGES, FACTS, checks_for
from .references import load_reference

PROBE_TIMEOUT = 120  # seconds a single check may run
PROBE_BUDGET = 600  # seconds all the checks of a submission may run
MAX_ARRAY_BYTES = 64 * 2**20
MAX_FACTS_BYTES = 2**20
FACTS_DIR = ".cs231n_facts"


@dataclass
class Verdict:
    grade_id: str
    points: float
    passed: bool = True
    problems: list = field(default_factory=list)

    @property
    def score(self):
        return self.points if self.passed else 0.0


# ----------------------------------------------------------------------------- class data


def knn_cv_means(X, y, ks=COURSE_KS, num_folds=5):
    """Mean validation accuracy of each k (exact distances, stable sort, ties to the smaller)."""
    X_parts, y_parts = np.array_split(X, num_folds), np.array_split(y, num_folds)
    accuracies = np.zeros((len(ks), num_folds))
    for i in range(num_folds):
        X_rest = np.concatenate(X_parts[:i] + X_parts[i + 1 :])
        y_rest = np.concatenate(y_parts[:i] + y_parts[i + 1 :])
        squared = (
            np.sum(X_parts[i] ** 2, axis=1)[:, None]
            - 2 * X_parts[i] @ X_rest.T
            + np.sum(X_rest**2, axis=1)[None, :]
        )
        order = np.argsort(squared, axis=1, kind="stable")
        for j, k in enumerate(ks):
            votes = y_rest[order[:, :k]]
            counts = (votes[:, :, None] == np.arange(10)).sum(axis=1)
            accuracies[j, i] = np.mean(counts.argmax(axis=1) == y_parts[i])
    return accuracies.mean(axis=1)


def prepare_class(data_dir, output):
    """Write the probe inputs and the judging context; return (inputs_dir, context_path).

    The sizes are those of the notebooks' grading mode (``CS231N_GRADING=1``).
    """
    from cs231n_lib.datasets import get_cifar10_data, get_cifar10_images, load_cifar10

    inputs, private = Path(output) / "inputs", Path(output) / "private"
    for folder in (inputs, private):
        folder.mkdir(parents=True, exist_ok=True)
    data = get_cifar10_data(num_training=5000, root=data_dir)
    images = get_cifar10_images(num_training=5000, root=data_dir)
    arrays = {
        "X_train": data["X_train"],
        "y_train": data["y_train"],
        "X_val": data["X_val"],
        "images_train": images["X_train"],
        "images_val": images["X_val"],
    }
    for name, array in arrays.items():
        np.save(inputs / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
    X_all, y_all, _, _ = load_cifar10(data_dir, dtype=np.uint8)
    X_knn = X_all[:1000].reshape(1000, -1).astype(np.float64)
    context = {
        "y_val": data["y_val"],
        "y_test": data["y_test"],
        "knn_cv_means": knn_cv_means(X_knn, y_all[:1000]),
    }
    np.savez(private / "context.npz", **context)
    return inputs, private / "context.npz"


def load_context(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


# ----------------------------------------------------------------------------- probes


def _arrays(outputs):
    """The numeric arrays among a check's outputs (each within MAX_ARRAY_BYTES)."""
    arrays = {}
    for name, value in (outputs or {}).items():
        try:
            array = np.asarray(value)
        except Exception:  # a value of the wrong kind: as if missing
            continue
        if array.dtype.kind in "biuf" and array.nbytes <= MAX_ARRAY_BYTES:
            arrays[str(name)] = array
    return arrays


def run_in_process(lib, grade_ids, inputs_dir=None):
    """The checks of ``grade_ids`` run on ``lib`` in this process (trusted code only).

    The same {check key: (arrays, status)} as :func:`run_probes`: for tests and for
    the instructor's own package.
    """
    results, inputs = {}, probe.input_loader(inputs_dir)
    for check in (c for c in CHECKS if c.grade_id in set(grade_ids)):
        try:
            results[check.key] = (_arrays(check.run(lib, inputs)), {"ok": True})
        except Exception as error:
            results[check.key] = (
                None,
                {"error": probe.plain_message(f"{type(error).__name__}: {error}")},
            )
    return results


def run_probes(
    package,
    work,
    inputs_dir,
    grade_ids,
    limits=None,
    timeout=PROBE_TIMEOUT,
    budget=PROBE_BUDGET,
    env=None,
):
    """Run the checks of ``grade_ids`` on ``package``; return {check key: (arrays, status)}.

    The checks run here; the student's code runs in a sandboxed server (see
    :mod:`grading.run.probe`), started again after a check that crashed it or ran past
    ``timeout`` seconds, so that such a check costs only itself. ``status`` is
    ``{"ok": True}``, ``{"error": text}`` (the code raised, or the check failed on what
    it returned), ``{"gone": reason}`` (crash, timeout, broken answer), or None when the
    check did not run. When importing the package fails or never ends, every check
    fails with that; after ``budget`` seconds in all, the rest do not run.
    """
    from . import check_base

    check_base._FEATURES.clear()  # computed from this student's code only
    limits = limits or isolation.Limits()
    checks = [c for c in CHECKS if c.grade_id in set(grade_ids)]
    results, server, broken, started = {}, None, None, 0
    inputs = probe.Inputs(inputs_dir)
    end = time.monotonic() + budget
    try:
        for check in checks:
            if broken is not None:
                results[check.key] = broken
                continue
            if time.monotonic() >= end:
                results[check.key] = (
                    None,
                    {"gone": f"not run: the hidden checks ran out of time ({budget} s in all)"},
                )
                continue
            if server is None:
                started += 1
                server = probe.Server(
                    Path(package), Path(work) / f"server{started}", inputs, limits, env
                )
                server.deadline = min(end, time.monotonic() + timeout)
                try:
                    # The package imports its modules on first use (a lazy __init__):
                    # import every module the checks call now, so an import that
                    # fails or hangs costs one timeout, not one per check.
                    for module in (probe.PACKAGE, *probe.MODULES.values()):
                        server.request({"op": "import", "module": module})
                except probe.StudentError as error:
                    broken = (None, {"error": f"importing the package: {error}"})
                except probe.ProbeGone as error:
                    broken = (None, {"gone": f"importing the package: {error}"})
                if broken is not None:
                    results[check.key] = broken
                    continue
            server.deadline = min(end, time.monotonic() + timeout)
            try:
                outputs = check.run(probe.RemoteLib(server), inputs)
                results[check.key] = (_arrays(outputs), {"ok": True})
            except probe.ProbeGone as error:
                results[check.key] = (None, {"gone": str(error)})
                server.close()
                server = None
            except probe.StudentError as error:
                results[check.key] = (None, {"error": str(error)})
            except Exception as error:  # the check, on values of the wrong kind
                results[check.key] = (
                    None,
                    {"error": probe.plain_message(f"{type(error).__name__}: {error}")},
                )
    finally:
        if server is not None:
            server.close()
    return results


def _inside(path, folder):
    """``path`` is a regular file whose real location is inside ``folder`` (no symlink out)."""
    try:
        real, root = Path(path).resolve(strict=True), Path(folder).resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return real.is_relative_to(root) and not Path(path).is_symlink() and real.is_file()


def _read_json(path, folder, max_bytes):
    """The JSON object in ``path`` (inside ``folder``, at most ``max_bytes``), else None."""
    if not _inside(path, folder) or Path(path).stat().st_size > max_bytes:
        return None
    try:
        value = json.loads(Path(path).read_text())
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _compare(outputs, reference, check):
    for name, want in reference.items():
        got = outputs.get(name)
        if got is None:
            return f"{name}: no value returned (or not a number array)"
        if got.shape != want.shape:
            return f"{name}: expected shape {want.shape}, got {got.shape}"
        got, want = got.astype(np.float64), want.astype(np.float64)
        if not np.array_equal(np.isfinite(got), np.isfinite(want)):
            return f"{name}: expected finite values, got NaN or inf"
        if not np.allclose(got, want, rtol=check.rtol, atol=check.atol):
            worst = float(np.max(np.abs(got - want)))
            return f"{name}: differs from the expected value by up to {worst:.3g}"
    return None


# ----------------------------------------------------------------------------- verdicts


def read_facts(folder, grade_id):
    """The facts recorded before ``grade_id``'s cell, or None when missing or malformed."""
    return _read_json(Path(folder) / FACTS_DIR / f"{grade_id}.json", folder, MAX_FACTS_BYTES)


def judge_cells(cells, probe_results, references, context, facts_folder):
    """{grade_id: Verdict} for ``cells`` = {grade_id: points}."""
    verdicts = {}
    for grade_id, points in cells.items():
        verdict = Verdict(grade_id, points)
        for check in checks_for(grade_id):
            outputs, status = probe_results.get(check.key, (None, None))
            problem = None
            if status is None:
                problem = "did not run"
            elif "gone" in status:
                problem = f"did not finish: {status['gone']}"
            elif "error" in status:
                problem = f"raised {str(status['error'])[:300]}"
            elif check.judge is None:
                problem = _compare(outputs, load_reference(references, check), check)
            else:
                problem = check.judge(outputs, context)
            if problem:
                verdict.passed = False
                verdict.problems.append(f"{check.name}: {problem}")
        if grade_id in FACTS:
            facts = read_facts(facts_folder, grade_id) if facts_folder else None
            if facts is None:
                problem = "the notebook did not get as far as this test cell"
            elif "__error__" in facts:
                problem = f"a value it checks could not be read: {str(facts['__error__'])[:200]}"
            else:
                try:
                    problem = FACT_JUDGES[grade_id](facts, context)
                except (TypeError, ValueError, KeyError, AttributeError) as error:
                    problem = f"a value it checks has the wrong form ({error})"
            if problem:
                verdict.passed = False
                verdict.problems.append(f"notebook: {problem}")
        verdicts[grade_id] = verdict
    return verdicts


def fact_cell_source(grade_id):
    """The grader's cell inserted before ``grade_id``: records the values it checks."""
    expressions = FACTS[grade_id]
    return (
        "# Inserted by the grader: records the values the next test cell checks.\n"
        "def _cs231n_record_facts():\n"
        "    import json\n"
        "    import os\n"
        "    import numpy\n"
        "    facts = {}\n"
        "    try:\n"
        + "".join(
            f"        facts[{name!r}] = numpy.asarray({expr}).tolist()\n"
            for name, expr in expressions.items()
        )
        + "    except Exception as error:\n"
        "        facts = {'__error__': f'{type(error).__name__}: {error}'}\n"
        f"    os.makedirs({FACTS_DIR!r}, exist_ok=True)\n"
        f"    with open(os.path.join({FACTS_DIR!r}, {grade_id + '.json'!r}), 'w') as f:\n"
        "        json.dump(facts, f)\n"
        "_cs231n_record_facts()\n"
        "del _cs231n_record_facts\n"
    )


def clear_facts(folder):
    path = Path(folder) / FACTS_DIR
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
    os.makedirs(path, exist_ok=True)


def insert_fact_cells(path):
    """Insert the grader's fact cell before each test cell of :data:`FACTS` in ``path``."""
    import nbformat

    from .feedback import GRADER_KEY

    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in FACTS:
            fact = nbformat.v4.new_code_cell(fact_cell_source(grade_id))
            fact.id = f"grader-facts-{grade_id}"[:64]
            fact.metadata["cs231n"] = {GRADER_KEY: "facts"}
            cells.append(fact)
        cells.append(cell)
    nb.cells = cells
    nbformat.write(nb, path)
