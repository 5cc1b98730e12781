"""The copy of CIFAR-10 that student code reads while grading: no test labels in it.

A classifier could read the public test labels from ``test_batch`` and report a
perfect test accuracy. :func:`grading_dataset` therefore writes, once per dataset,
``OUTPUT/dataset/cifar-10-batches-py/`` for the kernels:

- the training batches and ``batches.meta`` as they are (hard links when possible);
- ``test_batch`` with the test images but every label :data:`~cs231n_lib.datasets.WITHHELD_LABEL`
  (-1), the key ``labels_withheld`` set, and no ``filenames`` (the official names and
  those of class-folder archives, ``test/dog/0265.jpg``, give the class away).

It is written like the official batches (a Python 2 pickle), so an unchanged
student-facing loader reads it; ``cs231n_lib.datasets`` returns the -1 labels and says
that they are withheld (``are_test_labels_withheld``). The validation split comes from the
training batches, whose labels the notebooks need for tuning.

The kernels get this folder as ``CS231N_DATA_DIR`` and as their only exposed data: the
real data folder must not be visible to student code. The grader itself keeps reading
the real one (:func:`grading.run.judge.prepare_class` writes the test labels into the private
judging context), and computes the test accuracy from the recorded predictions.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from cs231n_lib.datasets import (
    BATCHES_FOLDER,
    WITHHELD_KEY,
    WITHHELD_LABEL,
    find_batches_dir,
    read_batch,
)
from cs231n_lib.datasets._py2pickle import dump_py2
from cs231n_lib.datasets.cifar10 import META_FILE, TEST_BATCH, TRAIN_BATCHES

__all__ = ["DATASET_FOLDER", "grading_dataset"]

#: The folder of ``output`` that holds the copy (``DATASET_FOLDER/cifar-10-batches-py``).
DATASET_FOLDER = "dataset"
STAMP = ".stamp"
# Bump when what is written changes, so that older copies are rebuilt.
FORMAT = 1
READABLE, SEARCHABLE = 0o644, 0o755  # whatever the umask: student code may be another uid


def _stamp(source):
    """Identify the source batches (path, sizes, times) and the format of the copy."""
    digest = hashlib.sha256(f"format {FORMAT}\0{source.resolve()}\0".encode())
    for name in (*TRAIN_BATCHES, TEST_BATCH, META_FILE):
        info = (source / name).stat()
        digest.update(f"{name}:{info.st_size}:{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _link_or_copy(src, dst):
    """Hard-link ``src`` to ``dst`` (no extra disk), else copy it; readable by all either way.

    A source that others may not read is copied (a link shares its permissions, and
    the sandbox may run student code as another user).
    """
    if src.stat().st_mode & stat.S_IROTH:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # another file system, or links not allowed here
    shutil.copyfile(src, dst)
    dst.chmod(READABLE)


def _write_withheld_test_batch(src, dst):
    """Write the test batch ``src`` to ``dst`` with its images and without its labels."""
    data, _ = read_batch(src)  # (N, 3072) uint8; the true labels go no further
    batch = {
        "batch_label": "testing batch 1 of 1 (labels withheld)",
        "labels": [WITHHELD_LABEL] * len(data),
        "data": data,
        WITHHELD_KEY: True,
    }
    with open(dst, "wb") as f:
        dump_py2(batch, f)
    dst.chmod(READABLE)


def grading_dataset(data_dir, output):
    """Write (once) the data folder for student code; return it, to use as CS231N_DATA_DIR.

    Parameters
    ----------
    data_dir : str or path-like
        The real data: the ``cifar-10-batches-py`` folder or the folder holding it.
    output : str or path-like
        The grading output folder; the copy goes to ``output/dataset/``.

    Returns
    -------
    pathlib.Path
        ``output/dataset`` (absolute), which holds ``cifar-10-batches-py/``. It is kept
        while the source batches are unchanged (same path, sizes and times).

    Raises
    ------
    FileNotFoundError
        If ``data_dir`` holds no complete dataset; the message says how to get one.
    """
    source = find_batches_dir(data_dir)
    root = (Path(output) / DATASET_FOLDER).resolve()
    final = root / BATCHES_FOLDER
    key = _stamp(source)
    stamp = root / STAMP
    names = (*TRAIN_BATCHES, TEST_BATCH, META_FILE)
    if (
        stamp.is_file()
        and stamp.read_text() == key
        and all((final / name).is_file() for name in names)
    ):
        return root
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(SEARCHABLE)
    stamp.unlink(missing_ok=True)
    for stale in root.glob(".building-*"):  # left by a build that was stopped
        shutil.rmtree(stale, ignore_errors=True)
    # Built beside its final place, then renamed: a copy is never seen half-written.
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        for name in (*TRAIN_BATCHES, META_FILE):
            _link_or_copy(source / name, building / name)
        _write_withheld_test_batch(source / TEST_BATCH, building / TEST_BATCH)
        building.chmod(SEARCHABLE)  # not mkdtemp's 0o700
        if final.exists():
            shutil.rmtree(final)
        building.rename(final)
    finally:
        shutil.rmtree(building, ignore_errors=True)  # gone already unless the build failed
    stamp.write_text(key)
    return root
