"""Reference outputs of the hidden checks, from the instructor's package.

``python -m grading release`` runs every reference-compared :class:`~grading.run.checks.Check`
on the instructor's source package (with the solutions) and stores the outputs in
``build/private/references/`` (``REFERENCES``), outside the release and out of the
sandbox's sight. The folder records a hash of the package and of the checks; the
autograder rebuilds it when that hash no longer matches, so a stale reference can
never grade a class.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..coursedir import PACKAGE, REPO
from .checks import CHECKS
from .probe import Lib, input_loader, run_checks

REFERENCES = REPO / "build" / "private" / "references"
MANIFEST = "manifest.json"
# The modules that define the checks (grading.run.checks imports the others).
CHECK_MODULES = ("check_base.py", "checks.py", "net_checks.py")
CHECKS_DIR = Path("grading", "run")  # where they are, in the repository


def source_hash(repo=REPO):
    """SHA-256 over the instructor's package and the checks: what references depend on."""
    files = [
        *sorted((repo / PACKAGE).rglob("*.py")),
        *(repo / CHECKS_DIR / name for name in CHECK_MODULES),
    ]
    digest = hashlib.sha256()
    for path in files:
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(repo).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def reference_checks():
    return [c for c in CHECKS if c.judge is None]


def build_references(dest=REFERENCES, repo=REPO, log=print):
    """Run the reference checks on ``repo``'s package; write them to ``dest`` (replaced)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="references-", dir=dest.parent) as tmp:
        staging = Path(tmp) / "references"
        run_checks(reference_checks(), staging, Lib(), input_loader(None))
        failed = {
            c.key: json.loads((staging / f"{c.key}.json").read_text()) for c in reference_checks()
        }
        failed = {k: v["error"] for k, v in failed.items() if "error" in v}
        if failed:
            raise RuntimeError(
                "The instructor's package fails hidden checks, so it cannot give their "
                "reference outputs:\n"
                + "\n".join(f"  {k}: {e}" for k, e in failed.items())
                + "\nFix cs231n_lib/ (or grading/run/checks.py) and build again."
            )
        for status in staging.glob("*.json"):  # the references are the arrays alone
            status.unlink()
        (staging / MANIFEST).write_text(json.dumps({"source_hash": source_hash(repo)}))
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    log(f"reference outputs of {len(reference_checks())} hidden checks: {dest}")
    return dest


def ensure_references(dest=REFERENCES, repo=REPO, log=print):
    """The references folder, rebuilt first when missing or made from other sources."""
    dest = Path(dest)
    manifest = dest / MANIFEST
    current = manifest.is_file() and json.loads(manifest.read_text()).get(
        "source_hash"
    ) == source_hash(repo)
    if not current:
        log("reference outputs missing or out of date: building them")
        build_references(dest, repo, log)
    return dest


def load_reference(references, check):
    """{key: array} of one check's reference outputs."""
    prefix = f"{check.key}."
    return {
        p.name[len(prefix) : -len(".npy")]: np.load(p, allow_pickle=False)
        for p in Path(references).glob(f"{prefix}*.npy")
    }
