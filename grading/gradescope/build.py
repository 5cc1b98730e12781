"""The autograder zip Gradescope expects: ``python -m grading gradescope build OUT.zip``.

Layout (Gradescope unpacks it into ``/autograder/source``)::

    setup.sh             run once when Gradescope builds the image   (0755, LF)
    run_autograder       run for each submission                     (0755, LF)
    gradescope.json      the settings (time limit, who sees what the checks found)
    repo/                the project, as the grader needs it:
      pyproject.toml  requirements/grading.txt (the lock: exact versions, hashes)
      cs231n_lib/  grading/  notebooks/  assignment1/  get_datasets.sh
      build/private/references/   the hidden checks' reference outputs, prebuilt
    data/ARCHIVE         optional (--data-archive): CIFAR-10 to build from, instead
                         of the official download at image build time

Everything comes from this repository's sources (``notebooks/``, ``cs231n_lib/``, the
release ``assignment1/`` and the references built from them), so the zip grades what
``autograde`` grades. It holds the instructor's solutions and the hidden checks:
share it with Gradescope only.
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from pathlib import Path

from ..coursedir import ASSIGNMENT, PACKAGE, REPO
from ..run.references import ensure_references
from .image import DATA_FOLDER
from .layout import REPO_FOLDER, SETTINGS_FILE, Settings
from .scripts import run_autograder, setup_sh

__all__ = ["LOCK", "build_zip", "repo_files"]

LOCK = Path("requirements", "grading.txt")
REFERENCES = Path("build", "private", "references")
# The project's files the grader needs (folders are taken whole, caches left out).
PARTS = ("pyproject.toml", "get_datasets.sh", PACKAGE, "grading", "notebooks", ASSIGNMENT)
SKIPPED = ("__pycache__", ".ipynb_checkpoints", ".pytest_cache")
STAMP = (2020, 1, 1, 0, 0, 0)  # one date for every entry: the same sources, the same zip


def repo_files(repo=REPO):
    """[(path in repo/, file)] of what the zip's ``repo/`` holds, references included."""
    repo = Path(repo)
    out = []
    for part in (*PARTS, str(LOCK), str(REFERENCES)):
        path = repo / part
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            rel = file.relative_to(repo)
            if any(s in rel.parts for s in SKIPPED) or file.suffix == ".pyc" or file.is_symlink():
                continue
            out.append((rel.as_posix(), file))
    return out


def lock_python(lock):
    """The Python version the lock file was resolved for (``3.10``), else this one's."""
    text = Path(lock).read_text() if Path(lock).is_file() else ""
    found = re.search(r"--python-version[ =](3\.\d+)", text)
    return found[1] if found else f"{sys.version_info.major}.{sys.version_info.minor}"


def _add(zf, name, data, mode=0o644, compress=True):
    info = zipfile.ZipInfo(name, date_time=STAMP)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with this mode
    info.create_system = 3  # Unix: unzip and Gradescope honour the mode
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    zf.writestr(info, data)


def _add_file(zf, name, path):
    """A large file, streamed and stored as it is (an archive is compressed already)."""
    info = zipfile.ZipInfo(name, date_time=STAMP)
    info.external_attr = (0o100000 | 0o644) << 16
    info.create_system = 3
    with open(path, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def build_zip(out, data_archive=None, settings=None, repo=REPO, require_lock=True, log=print):
    """Write the autograder zip to ``out``; return its path.

    Parameters
    ----------
    out : path-like
        The zip to write (replaced).
    data_archive : path-like, optional
        A CIFAR-10 archive (the official ``cifar-10-python.tar.gz``, or class folders of
        images) shipped in the zip; without it setup.sh downloads the official release.
    settings : Settings, optional
        The time limit and visibility written into ``gradescope.json``.
    require_lock : bool, default=True
        Refuse to build without ``requirements/grading.txt`` (setup.sh installs from it);
        False only for a zip whose setup.sh gets ``CS231N_PYTHON`` (tests).

    Raises
    ------
    FileNotFoundError
        If the lock file or the data archive is missing.
    """
    repo, out = Path(repo), Path(out)
    settings = settings or Settings()
    if require_lock and not (repo / LOCK).is_file():
        raise FileNotFoundError(
            f"Expected the lock file {repo / LOCK}, which setup.sh installs the grading "
            "environment from; it is missing. Generate it with `make lock`."
        )
    if data_archive is not None and not Path(data_archive).is_file():
        raise FileNotFoundError(f"Expected a CIFAR-10 archive, got {data_archive}: no such file.")
    ensure_references(repo / REFERENCES, repo, log=log)  # rebuilt if the sources changed
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        _add(zf, "setup.sh", setup_sh(lock_python(repo / LOCK)), 0o755)
        _add(zf, "run_autograder", run_autograder(settings.shell_timeout), 0o755)
        _add(zf, SETTINGS_FILE, settings.text())
        for rel, file in repo_files(repo):
            mode = 0o755 if file.suffix == ".sh" else 0o644
            _add(zf, f"{REPO_FOLDER}/{rel}", file.read_bytes(), mode)
        if data_archive is not None:
            _add_file(zf, f"{DATA_FOLDER}/{Path(data_archive).name}", data_archive)
    tmp.replace(out)
    log(f"Gradescope autograder: {out} ({out.stat().st_size / 2**20:.1f} MB)")
    return out
