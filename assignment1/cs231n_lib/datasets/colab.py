"""One call for the notebooks' setup cell on Colab: install what is missing, get the data.

Output of a plain ``subprocess.run`` does not show in a notebook cell, so every
command runs with its output piped back and printed line by line as it arrives
(carriage returns kept, so that progress bars redraw in place).
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import re
import shlex
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from ._official import OFFICIAL_URL
from .cifar10 import BATCHES_FOLDER, default_data_dir, find_batches_dir

__all__ = ["SetupError", "colab_setup", "missing_requirements"]

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds cs231n_lib/
# "name", "name>=1.2" or "name[extra]>=1.2"; anything else is left to pip to check.
_SIMPLE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?(?:>=([0-9][0-9.]*))?$")
_RESTART = "choose Runtime > Restart session and run this cell again"


class SetupError(RuntimeError):
    """A step of :func:`colab_setup` failed; the message says which and what to do."""


def colab_setup(
    folder=".",
    data_dir=None,
    *,
    install_command=(sys.executable, "-m", "pip", "install"),
    build_command=(sys.executable, "-m", "cs231n_lib.datasets"),
):
    """Install the missing requirements, then build CIFAR-10 if it is not there yet.

    Parameters
    ----------
    folder : str or path-like, default="."
        The assignment folder, which holds ``requirements.txt`` next to the notebooks.
    data_dir : str or path-like, optional
        Where ``cifar-10-batches-py/`` belongs; defaults to
        :func:`~cs231n_lib.datasets.default_data_dir`.
    install_command : sequence of str
        Run with the missing requirements appended (default: ``python -m pip install``).
    build_command : sequence of str
        Run with ``--dest data_dir`` appended when the data is missing (default:
        ``python -m cs231n_lib.datasets``, the official download).

    Returns
    -------
    pathlib.Path
        The ``cifar-10-batches-py`` folder.

    Raises
    ------
    SetupError
        If ``requirements.txt`` is missing or a step fails; the message names the
        step, shows the last lines of its output and says what to do.
    """
    folder = Path(folder).expanduser().resolve()
    data_dir = default_data_dir() if data_dir is None else Path(data_dir).expanduser().absolute()
    missing = missing_requirements(folder / "requirements.txt")
    if missing:
        print(f"Installing {', '.join(missing)} ...", flush=True)
        _run("install the requirements", [*install_command, *missing], folder, _install_fix())
    else:
        print("All requirements are installed.", flush=True)
    try:
        return find_batches_dir(data_dir)
    except FileNotFoundError:
        pass
    print(
        f"Downloading CIFAR-10 ({OFFICIAL_URL}, about 170 MB) and unpacking it into "
        f"{data_dir / BATCHES_FOLDER}: this usually takes about 1-3 minutes on Colab.",
        flush=True,
    )
    start = time.monotonic()
    command = [*build_command, "--dest", str(data_dir)]
    _run("download and build CIFAR-10", command, folder, _build_fix(folder, data_dir))
    print(f"CIFAR-10 is ready, in {time.monotonic() - start:.0f} s.", flush=True)
    return find_batches_dir(data_dir)


def missing_requirements(path):
    """The lines of the requirements file ``path`` that the installed packages do not meet.

    A line ``name`` or ``name>=version`` is compared with the installed version
    (:func:`importlib.metadata.version`); any other form is returned as it is, for
    pip to check.
    """
    path = Path(path)
    if not path.is_file():
        raise SetupError(
            f"Expected requirements.txt in {path.parent}, the assignment folder, but it is "
            "not there. Change into the folder that holds the notebooks first (e.g. "
            "%cd /content/drive/MyDrive/assignment1), then run this cell again."
        )
    missing = []
    for line in path.read_text().splitlines():
        spec = line.split("#", 1)[0].replace(" ", "")
        match = _SIMPLE.match(spec)
        if spec and not (match and _satisfied(match.group(1), match.group(2))):
            missing.append(spec)
    return missing


def _satisfied(name, minimum):
    try:
        have = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return minimum is None or _release(have) >= _release(minimum)


def _release(version):
    """``"2.1.3rc1"`` -> ``(2, 1, 3)``: the numbers of a version, before any suffix."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(n) for n in match.group().split(".")) if match else ()


def _run(step, command, cwd, fix, keep=15):
    """Run ``command``, printing its output as it comes; raise :class:`SetupError` if it fails."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
    last = deque(maxlen=keep)  # the last lines, for the error message
    try:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
    except OSError as exc:
        raise SetupError(f"Could not {step}: cannot run {command[0]} ({exc}). {fix}") from exc
    with proc:
        try:
            # newline="": lines end at "\n" or "\r" and keep it, so progress bars redraw.
            for line in io.TextIOWrapper(proc.stdout, "utf-8", errors="replace", newline=""):
                print(line, end="", flush=True)
                if line.strip():
                    last.append(line.strip())
        except BaseException:  # e.g. the cell was interrupted: stop the command too
            proc.terminate()  # SIGTERM: the build removes its partial files
            raise
    if proc.returncode != 0:
        output = "\n".join(f"    {line}" for line in last) or "    (no output)"
        raise SetupError(
            f"Could not {step}: `{shlex.join(map(str, command))}` failed with exit code "
            f"{proc.returncode}. Its last lines:\n{output}\n{fix}"
        )


def _install_fix():
    return (
        "Check that the runtime is connected to the internet (the connection status at the "
        f"top right of the page), then {_RESTART}."
    )


def _build_fix(folder, data_dir):
    dest = "" if data_dir == default_data_dir() else f" --dest {shlex.quote(str(data_dir))}"
    return (
        f"Check that the runtime is connected to the internet, then {_RESTART}. If the "
        f"download keeps failing, download {OFFICIAL_URL} by hand, upload "
        f"cifar-10-python.tar.gz into {folder} (the assignment folder on Drive) and build "
        f"from it in a cell: !python -m cs231n_lib.datasets --from cifar-10-python.tar.gz{dest}"
    )
