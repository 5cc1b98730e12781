"""Shared fixtures: small synthetic CIFAR-10 batches, and the real data built once."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# Plots render to files in the tests, never to a window.
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parent.parent
SHARED_ARCHIVE = REPO.parent / "shared" / "data" / "cifar10-jpeg.tar.xz"


@pytest.fixture(scope="session")
def shared_archive():
    """The shared archive's path; skip without it, but fail on CI."""
    if SHARED_ARCHIVE.is_file():
        return SHARED_ARCHIVE
    message = f"the shared CIFAR-10 archive is not at {SHARED_ARCHIVE}"
    if os.environ.get("CI"):
        pytest.fail(message + " (it is required on CI)")
    pytest.skip(message)


def write_batches(folder, num_train_per_batch=6, num_test=8, seed=0):
    """Write a small dataset in the cifar-10-batches-py layout with str keys.

    Returns the images and labels written, as (X_train, y_train, X_test, y_test)
    with images of shape (N, 32, 32, 3), uint8.
    """
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def dump(name, images, labels):
        data = images.transpose(0, 3, 1, 2).reshape(len(images), -1)  # channel-major rows
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": list(map(int, labels))}, f, protocol=2)

    train_x, train_y = [], []
    for i in range(1, 6):
        x = rng.integers(0, 256, size=(num_train_per_batch, 32, 32, 3), dtype=np.uint8)
        y = rng.integers(0, 10, size=num_train_per_batch)
        dump(f"data_batch_{i}", x, y)
        train_x.append(x)
        train_y.append(y)
    x_test = rng.integers(0, 256, size=(num_test, 32, 32, 3), dtype=np.uint8)
    y_test = rng.integers(0, 10, size=num_test)
    dump("test_batch", x_test, y_test)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": ["airplane"] * 10}, f, protocol=2)
    return np.concatenate(train_x), np.concatenate(train_y), x_test, y_test


@pytest.fixture
def synthetic_cifar(tmp_path):
    """A folder holding a small cifar-10-batches-py, and the arrays written into it."""
    arrays = write_batches(tmp_path / "cifar-10-batches-py")
    return tmp_path, arrays


@pytest.fixture(scope="session")
def cifar_root(tmp_path_factory, shared_archive):
    """The data folder of the real CIFAR-10, built once by get_datasets.sh from the archive."""
    dest = tmp_path_factory.mktemp("cifar")
    result = subprocess.run(
        [
            "bash",
            str(REPO / "get_datasets.sh"),
            "--from",
            str(shared_archive),
            "--dest",
            str(dest),
            "--quiet",
        ],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Done:" in result.stdout
    return dest


@pytest.fixture(scope="session")
def hide_from_workers(tmp_path_factory):
    """The folders a cluster worker must not see: every test's (and the repo's data)."""
    from cluster import can_hide_folders

    reason = can_hide_folders()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the cluster tests need a mount namespace: {reason}")
        pytest.skip(f"the cluster tests need a mount namespace: {reason}")
    return [tmp_path_factory.getbasetemp()]


@pytest.fixture(scope="session")
def graded_samples(tmp_path_factory, cifar_root, hide_from_workers):
    """The demo's three submissions graded once into a course folder.

    Graded on a real Dask cluster (``dask scheduler`` and two ``dask worker``
    processes, see tests/cluster.py) whose workers see none of this machine's files:
    the submissions, the dataset and the class's files reach them over the network,
    as ``--dask-scheduler`` sends them. Returns ``({submission: Grade}, expected
    points, course folder)``. Tests that change the course folder work on a copy
    (``shutil.copytree``: a course folder is movable).
    """
    from cluster import Cluster

    from grading.course.autograde import autograde_class
    from grading.release.samples import make_samples

    root = tmp_path_factory.mktemp("samples")
    expected = make_samples(root / "submissions")
    out = root / "out"
    lines = []
    with Cluster(hide_from_workers, workers=2) as cluster:
        grades = autograde_class(
            root / "submissions",
            out,
            data_dir=cifar_root,
            progress=False,
            dask_scheduler=cluster.address,
            log=lines.append,
        )
    (root / "run.log").write_text("\n".join(map(str, lines)))
    return {g.submission: g for g in grades}, expected, out
