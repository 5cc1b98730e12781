"""Execute the source notebooks end to end: ``python -m grading run-notebooks OUT``.

The executed copies go to ``OUT`` (never into ``notebooks/``, which stays without
outputs). ``--grading`` runs them as the autograder does (``CS231N_GRADING=1``:
small subsets). Any cell error, and any stderr in a test cell (which would score 0
under nbgrader), is reported by cell.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat

from ..coursedir import NOTEBOOKS, REPO


class NotebookFailed(RuntimeError):
    pass


def problems_in(nb):
    """Error outputs anywhere, and stderr output in test cells, as readable strings."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        name = cell.metadata.get("nbgrader", {}).get("grade_id", cell.get("id", "?"))
        is_test = cell.metadata.get("nbgrader", {}).get("grade", False)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"cell {name}: {output.ename}: {output.evalue}")
            elif is_test and output.output_type == "stream" and output.name == "stderr":
                found.append(f"test cell {name} wrote to stderr: {output.text.strip()[:200]}")
    return found


# Kernels log only errors: ipykernel otherwise warns on every start that it runs "over
# TCP without encryption" (jupyter_client's default transport, on this machine's
# loopback only), which buried the messages that matter. Warnings raised by the
# notebook's own code are cell outputs, and stay.
QUIET_KERNEL = ("--IPKernelApp.log_level=ERROR",)


def run_notebook(path, out_dir, grading=False, data_dir=None, timeout=1800):
    """Execute one notebook from its own folder; write the result; return (seconds, problems)."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    env = {"CS231N_GRADING": "1" if grading else "0", "MPLBACKEND": "Agg"}
    if data_dir is not None:
        env["CS231N_DATA_DIR"] = str(data_dir)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    start = time.perf_counter()
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            extra_arguments=list(QUIET_KERNEL),
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    seconds = time.perf_counter() - start
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return seconds, problems_in(nb)


def run_notebooks(
    out_dir,
    grading=False,
    data_dir=None,
    names=NOTEBOOKS,
    notebooks_dir=REPO / "notebooks",
    log=print,
):
    """Execute the notebooks in order; raise :class:`NotebookFailed` listing every problem."""
    failures = []
    for name in names:
        seconds, problems = run_notebook(
            Path(notebooks_dir) / f"{name}.ipynb", out_dir, grading, data_dir
        )
        status = "ok" if not problems else f"{len(problems)} problem(s)"
        log(f"{name}.ipynb: {seconds:.1f} s, {status} -> {Path(out_dir) / (name + '.ipynb')}")
        failures += [f"{name}.ipynb {p}" for p in problems]
    if failures:
        raise NotebookFailed("\n".join(failures))
