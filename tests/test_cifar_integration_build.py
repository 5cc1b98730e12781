"""Integration tests: build the real CIFAR-10 from the shared archive with get_datasets.sh.

The archive (../shared/data/cifar10-jpeg.tar.xz next to the project) holds the 60,000
images as JPEGs in train/<class>/ and test/<class>/. Without it these tests are
skipped, except on CI (the environment variable CI is set), where they fail.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cs231n_lib.datasets import BATCHES_FOLDER, CIFAR10_CLASSES, load_cifar10, read_batch
from cs231n_lib.datasets.cifar10 import META_FILE, TEST_BATCH, TRAIN_BATCHES

pytestmark = pytest.mark.cifar

SCRIPT = Path(__file__).resolve().parents[1] / "get_datasets.sh"


def script(*args, **kwargs):
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.Popen(["bash", str(SCRIPT), *map(str, args)], env=env, **kwargs)


@pytest.fixture(scope="module")
def batches(cifar_root):
    """The cifar-10-batches-py folder built once from the shared archive (conftest.py)."""
    return cifar_root / BATCHES_FOLDER


def load(folder, name):
    with open(folder / name, "rb") as f:
        return pickle.load(f, encoding="latin1")


def test_layout_and_counts_per_class(batches):
    assert sorted(p.name for p in batches.iterdir()) == sorted(
        [*TRAIN_BATCHES, TEST_BATCH, META_FILE]
    )
    counts = {}
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        batch = load(batches, name)
        assert batch["data"].shape == (10000, 3072), name
        assert len(batch["labels"]) == len(batch["filenames"]) == 10000
        for label, filename in zip(batch["labels"], batch["filenames"], strict=True):
            split, class_name, _ = filename.split("/")
            assert (split == "test") == (name == TEST_BATCH)
            assert CIFAR10_CLASSES[label] == class_name, filename
        split = "test" if name == TEST_BATCH else "train"
        counts[split] = counts.get(split, 0) + np.bincount(batch["labels"], minlength=10)
    assert counts["train"].tolist() == [5000] * 10
    assert counts["test"].tolist() == [1000] * 10
    assert load(batches, META_FILE)["num_cases_per_batch"] == 10000


def test_first_training_images_are_a_balanced_mix(batches):
    _, labels = read_batch(batches / "data_batch_1")
    counts = np.bincount(labels[:5000], minlength=10)
    assert np.all(np.abs(counts - 500) <= 0.15 * 500), counts
    _, test_labels = read_batch(batches / TEST_BATCH)
    assert np.all(np.abs(np.bincount(test_labels[:1000], minlength=10) - 100) <= 30)


def test_load_cifar10_round_trips(batches):
    X_train, y_train, X_test, y_test = load_cifar10(batches.parent, dtype=np.uint8)
    assert X_train.shape == (50000, 32, 32, 3)
    assert X_test.shape == (10000, 32, 32, 3)
    assert X_train.dtype == X_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    assert y_train.shape == (50000,)
    assert y_test.shape == (10000,)
    assert X_train.min() == 0
    assert X_train.max() == 255
    X_float = load_cifar10(batches.parent, dtype=np.float32)[2]  # the default is float64
    assert X_float.dtype == np.float32
    np.testing.assert_array_equal(X_float, X_test.astype(np.float32))


def test_pixels_agree_with_pillow(batches, shared_archive):
    wanted = {"test/airplane/0000.jpg", "test/cat/0007.jpg", "train/airplane/0000.jpg"}
    images = {}
    with tarfile.open(shared_archive) as tf:  # the archive is sorted: these come early
        for member in tf:
            if member.name in wanted:
                with Image.open(io.BytesIO(tf.extractfile(member).read())) as img:
                    images[member.name] = np.asarray(img.convert("RGB"))  # (32, 32, 3)
            if len(images) == len(wanted):
                break
    rows = {}
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        batch = load(batches, name)
        for i, filename in enumerate(batch["filenames"]):
            if filename in wanted:
                rows[filename] = batch["data"][i]
    assert set(rows) == wanted
    assert set(images) == wanted  # else the loop below compares fewer images, or none
    for filename, image in images.items():
        expected = image.transpose(2, 0, 1).reshape(3072)  # channel-major, as in the batches
        np.testing.assert_array_equal(rows[filename], expected, err_msg=filename)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_an_interrupted_build_leaves_nothing(tmp_path, signum, code, shared_archive):
    archive = shared_archive
    dest = tmp_path / "data"
    stderr = open(tmp_path / "stderr.txt", "w")  # noqa: SIM115 (closed below)
    process = script("--from", archive, "--dest", dest, stdout=subprocess.PIPE,
                     stderr=stderr, text=True)  # fmt: skip
    started = threading.Event()

    def watch():
        for line in process.stdout:
            if line.startswith("Decoding"):
                started.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert started.wait(timeout=120), "the conversion never started"
        process.send_signal(signum)  # bash exec'd Python, so this is the Python process
        assert process.wait(timeout=60) == code
    finally:
        if process.poll() is None:
            process.kill()
        stderr.close()
    message = (tmp_path / "stderr.txt").read_text()
    assert "the partial download and build were removed" in message
    assert "Traceback" not in message
    assert not dest.exists(), list(dest.iterdir())  # dest was new, so it is gone too
