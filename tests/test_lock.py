"""The lock files requirements/grading.txt and requirements/dev.txt (requirements/lock.py):
consistent with pyproject.toml, hash-checked, the same versions in both; and the check
catches a lock that is not."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LOCK_PY = REPO / "requirements" / "lock.py"
LOCKS = {name: REPO / "requirements" / f"{name}.txt" for name in ("grading", "dev")}

spec = importlib.util.spec_from_file_location("lock", LOCK_PY)
lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock)


def run_check(*args):
    return subprocess.run(
        [sys.executable, str(LOCK_PY), "check", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )


def entries(text, name):
    """Every entry of a package in a lock file: its pin line, hash lines and comments."""
    return re.findall(rf"(?m)^{re.escape(name)}==.*\n(?:[ \t]+.*\n)*", text)


def test_the_locks_are_consistent_with_pyproject():
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert "consistent" in result.stdout


@pytest.mark.parametrize("name", ["grading", "dev"])
def test_each_lock_says_what_it_is_and_how_to_regenerate_it(name):
    head = LOCKS[name].read_text().split("\n\n")[0].splitlines()[:12]
    text = "\n".join(head)
    assert all(line.startswith("#") for line in head[:3])
    assert f"requirements/{name}.txt" in head[0]
    assert "GENERATED" in text
    assert "make lock" in text
    assert f"uv pip compile pyproject.toml build-system.in --extra {name} --universal" in text
    assert f"pip install --require-hashes -r requirements/{name}.txt" in text


def test_the_locks_pin_the_build_tools_and_every_pin_is_hashed():
    for path in LOCKS.values():
        pins, problems = lock.read_lock(path)
        assert not problems
        names = {name for name, _ in pins}
        assert {"pip", "setuptools", "numpy", "nbgrader", "distributed"} <= names
        assert all(hashes for _, hashes in pins.values())
    dev = {name for name, _ in lock.read_lock(LOCKS["dev"])[0]}
    grading = {name for name, _ in lock.read_lock(LOCKS["grading"])[0]}
    assert {"pytest", "ruff", "scikit-image"} <= dev - grading
    assert "tomli" in grading  # pyproject.toml: only for Python < 3.11, pinned all the same


def remove(text, name):
    found = entries(text, name)
    assert found, f"no {name} in the lock"
    for entry in found:
        text = text.replace(entry, "")
    return text


def repin(text, name, version):
    assert entries(text, name), f"no {name} in the lock"
    return re.sub(rf"(?m)^{re.escape(name)}==[^\s;]+", f"{name}=={version}", text)


def unhash(text, name):
    for entry in entries(text, name):
        pin = entry.splitlines()[0].rstrip(" \\")
        text = text.replace(entry, pin + "\n")
    return text


def bump_first(text, name):
    """The first pin of a package, a post-release later: inside its range, but a mismatch."""
    first = entries(text, name)[0]
    pin = re.match(r"\S+==[^\s;]+", first).group(0)
    return text.replace(first, first.replace(pin, pin + ".post99", 1), 1)


def as_range(text, name):
    assert entries(text, name), f"no {name} in the lock"
    return re.sub(rf"(?m)^{re.escape(name)}==[^\s;]+", f"{name}>=1.0", text)


def case(what, where, edit, package, words):
    """A bad lock: `edit` applied to grading.txt, dev.txt or both ('where'); the check must
    fail with an error line that has `words` and names `package`."""
    return pytest.param(where, edit, package, words, id=what)


BAD_LOCKS = [
    case("pin-removed", "grading", lambda t: remove(t, "nh3"), "nh3", "not pinned in grading"),
    case("runtime-pin-removed", "dev", lambda t: remove(t, "tqdm"), "tqdm", "not pinned in dev"),
    # dev = cs231n_lib[grading] + tools: dev.txt must pin the grading extra too.
    case("grading-pin-not-in-dev", "dev", lambda t: remove(t, "copydetect"), "copydetect", "dev"),
    case("setuptools-removed", "grading", lambda t: remove(t, "setuptools"), "setuptools", "build"),
    case("outside-range", "both", lambda t: repin(t, "pyyaml", "5.4.1"), "pyyaml", "outside >=6.0"),
    case("missing-hash", "dev", lambda t: unhash(t, "ruff"), "ruff", "has no --hash"),
    case("mismatch", "grading", lambda t: bump_first(t, "nbgrader"), "nbgrader", "dev.txt pins"),
    case("not-a-pin", "grading", lambda t: as_range(t, "tqdm"), "tqdm", "not an exact pin"),
]


@pytest.mark.parametrize(("where", "edit", "package", "words"), BAD_LOCKS)
def test_the_check_catches_a_bad_lock(tmp_path, where, edit, package, words):
    copies = {}
    for name, path in LOCKS.items():
        text = path.read_text()
        if where in (name, "both"):
            changed = edit(text)
            assert changed != text
            text = changed
        copies[name] = tmp_path / f"{name}.txt"
        copies[name].write_text(text)
    result = run_check("--grading", str(copies["grading"]), "--dev", str(copies["dev"]))
    assert result.returncode == 1, result.stdout
    lines = [line for line in result.stderr.splitlines() if words in line]
    assert lines, result.stderr
    assert all(package in line for line in lines), result.stderr


def test_dev_reads_the_self_reference_as_the_grading_extra():
    """cs231n_lib[grading] in dev stands for the grading extra; the project is never pinned."""
    pyproject = lock.read_pyproject(REPO / "pyproject.toml")
    required = {name for name, _, _ in lock.expand(pyproject, ["dependencies", "dev"])}
    assert {"nbgrader", "distributed", "pytest", "numpy", "setuptools", "pip"} <= required
    assert "cs231n-lib" not in required


@pytest.mark.parametrize(
    ("version", "specifier", "inside"),
    [
        ("2.2.6", ">=1.24", True),
        ("1.23.5", ">=1.24", False),
        ("2024.12.1", ">=2024.1", True),
        ("0.9.5", ">=0.9.5", True),
        ("10.0", ">=9.0", True),
        ("2.0rc1", "<2.0", False),
        ("2.0.post1", ">2.0", False),
        ("1.4.5", "!=1.4.*", False),
        ("2.2.3", "~=2.2.1", True),
        ("2.3", "~=2.2.1", False),
    ],
)
def test_versions_against_specifiers(version, specifier, inside):
    assert lock.satisfies(version, specifier) is inside


def test_make_lock_prints_one_line_per_change():
    old = {("numpy", ""): "2.2.5", ("tqdm", ""): "4.70.0", ("gone", ""): "1.0"}
    new = {("numpy", ""): "2.2.6", ("tqdm", ""): "4.70.0", ("ruff", ""): "0.17.6"}
    assert lock.changes(old, new, {("numpy", ""), ("tqdm", "")}) == [
        "gone 1.0 -> (removed)  [dev.txt only]",
        "numpy 2.2.5 -> 2.2.6",
        "ruff (new) -> 0.17.6  [dev.txt only]",
    ]


def test_make_installs_from_the_lock():
    makefile = (REPO / "Makefile").read_text()
    assert "$(STAMP): pyproject.toml requirements/dev.txt requirements/grading.txt" in makefile
    assert "pip install --quiet --require-hashes -r requirements/dev.txt" in makefile
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in makefile
    assert "'.[dev]'" not in makefile
