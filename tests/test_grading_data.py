"""The grading copy of CIFAR-10 (grading.run.grading_data): test images kept, test labels not."""

from __future__ import annotations

import os
import pickle

import nbformat
import numpy as np
import pytest
from conftest import write_batches

from cs231n_lib.datasets import (
    WITHHELD_LABEL,
    WITHHELD_NOTE,
    are_test_labels_withheld,
    load_cifar10,
    read_batch,
)
from grading.coursedir import REPO
from grading.release.leaks import notebook_cells
from grading.release.regions import cell_source
from grading.run.check_base import judge_test_predictions
from grading.run.execute import run_notebook
from grading.run.grading_data import grading_dataset

BATCHES = "cifar-10-batches-py"


def label_needles(labels, n=200):
    """Byte strings that would betray the first ``n`` labels, in the encodings a file may use."""
    head = [int(y) for y in labels[:n]]
    needles = {
        f"{dtype} array": np.asarray(head, dtype=dtype).tobytes()
        for dtype in ("<i8", "<i4", "<i2", "u1", ">i8", ">i4")
    }
    # A pickled list of small ints: opcode BININT1 ("K") and the value, label after label.
    needles["pickled list"] = b"".join(b"K" + bytes([y]) for y in head)
    needles["text, comma"] = ", ".join(map(str, head)).encode()
    needles["text, space"] = " ".join(map(str, head)).encode()
    needles["digits"] = "".join(map(str, head)).encode()
    return needles


def leaks_in(folder, labels):
    """["file: encoding"] for every file under ``folder`` whose bytes hold the labels."""
    needles = label_needles(labels)
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        content = path.read_bytes()
        found += [f"{path.name}: {name}" for name, needle in needles.items() if needle in content]
    return found


@pytest.fixture
def source(tmp_path):
    """Synthetic batches big enough for the notebooks' default split sizes (1,000 val/test)."""
    arrays = write_batches(tmp_path / "data" / BATCHES, num_train_per_batch=210, num_test=1000)
    return tmp_path / "data", arrays


def test_copy_keeps_images_and_training_labels_and_withholds_test_labels(source, tmp_path):
    data_dir, (X_train, y_train, X_test, _) = source
    root = grading_dataset(data_dir, tmp_path / "out")
    assert root == (tmp_path / "out" / "dataset").resolve()
    assert sorted(p.name for p in (root / BATCHES).iterdir()) == [
        "batches.meta",
        *(f"data_batch_{i}" for i in range(1, 6)),
        "test_batch",
    ]
    Xtr, ytr, Xte, yte = load_cifar10(root, dtype=np.uint8)
    np.testing.assert_array_equal(Xtr, X_train)
    np.testing.assert_array_equal(ytr, y_train)
    np.testing.assert_array_equal(Xte, X_test)
    assert yte.dtype == np.int64
    np.testing.assert_array_equal(yte, np.full(1000, WITHHELD_LABEL))
    assert are_test_labels_withheld(root)
    assert not are_test_labels_withheld(data_dir)
    for name in ("batches.meta", "data_batch_3"):
        assert (root / BATCHES / name).read_bytes() == (data_dir / BATCHES / name).read_bytes()


@pytest.mark.parametrize("encoding", ["latin1", "bytes"])
def test_a_loader_unaware_of_the_marker_reads_minus_one(source, tmp_path, encoding):
    # What an older cs231n_lib loader (or any plain unpickler) sees: the official layout.
    data_dir, (_, _, X_test, _) = source
    root = grading_dataset(data_dir, tmp_path / "out")
    with open(root / BATCHES / "test_batch", "rb") as f:
        batch = pickle.load(f, encoding=encoding)
    key = str if encoding == "latin1" else lambda s: s.encode()
    assert set(batch) == {key(k) for k in ("batch_label", "labels", "data", "labels_withheld")}
    assert batch[key("labels")] == [WITHHELD_LABEL] * 1000
    assert batch[key("labels_withheld")] is True
    np.testing.assert_array_equal(
        batch[key("data")], X_test.transpose(0, 3, 1, 2).reshape(1000, -1)
    )


def test_no_file_of_the_copy_holds_the_test_labels(source, tmp_path):
    data_dir, (_, y_train, _, y_test) = source
    root = grading_dataset(data_dir, tmp_path / "out")
    assert leaks_in(root, y_test) == []
    # The search finds what it looks for: the labels in the source, the training labels.
    assert "test_batch: pickled list" in leaks_in(data_dir, y_test)
    assert "data_batch_1: pickled list" in leaks_in(root, y_train)


def test_a_classifier_that_reads_the_test_labels_scores_nothing(source, tmp_path, monkeypatch):
    data_dir, (_, _, _, y_test) = source
    root = grading_dataset(data_dir, tmp_path / "out")
    context = {"y_test": y_test}
    monkeypatch.setenv("CS231N_DATA_DIR", str(data_dir))
    assert judge_test_predictions({"test_pred": load_cifar10()[3].tolist()}, context, 0.35) is None
    monkeypatch.setenv("CS231N_DATA_DIR", str(root))  # what the kernels get
    cheat = load_cifar10()[3]
    problem = judge_test_predictions({"test_pred": cheat.tolist()}, context, 0.35)
    assert problem == "test accuracy 0.000, expected at least 0.35"


def test_the_copy_is_made_once_and_remade_when_the_data_changes(source, tmp_path):
    data_dir, _ = source
    out = tmp_path / "out"
    test_batch = grading_dataset(data_dir, out) / BATCHES / "test_batch"
    first = test_batch.stat()
    assert grading_dataset(data_dir, out) / BATCHES / "test_batch" == test_batch
    assert test_batch.stat().st_ino == first.st_ino  # kept, not rewritten
    assert test_batch.stat().st_mtime_ns == first.st_mtime_ns
    changed = data_dir / BATCHES / "data_batch_2"
    os.utime(changed, ns=(first.st_mtime_ns + 10**9, first.st_mtime_ns + 10**9))
    grading_dataset(data_dir, out)
    assert test_batch.stat().st_ino != first.st_ino  # remade
    test_batch.unlink()  # a damaged copy is remade too, and a stopped build cleared
    (out / "dataset" / ".building-stopped").mkdir()
    grading_dataset(data_dir, out)
    assert are_test_labels_withheld(out / "dataset")
    assert sorted(p.name for p in (out / "dataset").iterdir()) == [".stamp", BATCHES]


def test_everyone_may_read_the_copy_whatever_the_umask(source, tmp_path):
    # The sandbox may run student code as another user (nobody, when grading as root).
    data_dir, _ = source
    private = data_dir / BATCHES / "data_batch_1"
    private.chmod(0o600)  # a source others may not read is copied, not linked
    umask = os.umask(0o077)
    try:
        root = grading_dataset(data_dir, tmp_path / "out")
    finally:
        os.umask(umask)
    for path in [root, root / BATCHES]:
        assert path.stat().st_mode & 0o777 == 0o755, path
    for path in (root / BATCHES).iterdir():
        assert path.stat().st_mode & 0o444 == 0o444, path
    assert (root / BATCHES / "data_batch_1").stat().st_nlink == 1
    assert (root / BATCHES / "data_batch_2").stat().st_nlink == 2  # a hard link
    assert private.stat().st_mode & 0o777 == 0o600  # the source is left as it was


def test_a_missing_dataset_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"get_datasets\.sh"):
        grading_dataset(tmp_path / "nothing", tmp_path / "out")
    assert not (tmp_path / "out" / "dataset").exists()


def _cell(notebook, grade_id):
    for cell in notebook_cells(REPO / "notebooks" / f"{notebook}.ipynb"):
        if cell.get("id") == grade_id:
            return cell_source(cell)
    raise AssertionError(f"{notebook}.ipynb has no cell {grade_id}")


# Stands in for the search: a model whose test predictions are all class 0.
STUB = """\
import numpy as np
GRADING = True
NUM_TRAINING = 20
F_test = np.zeros((1000, 5))
class Constant:
    def predict(self, F):
        return np.zeros(len(F), dtype=np.int64)
best_svm = Constant()
"""


def run_cells(tmp_path, data_dir):
    """Run features.ipynb's data cell and its test-accuracy cells; return {cell id: (out, err)}."""
    ids = ["features-04", "features-15", "features-test-test-accuracy"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(STUB)] + [
        nbformat.v4.new_code_cell(_cell("features", i), id=i) for i in ids
    ]
    path = tmp_path / "cells" / "cells.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    run_notebook(path, tmp_path / "ran", grading=True, data_dir=data_dir, timeout=120)
    ran = nbformat.read(tmp_path / "ran" / "cells.ipynb", as_version=4)
    return {
        cell.id: (
            "".join(o.get("text", "") for o in cell.outputs),
            [o.evalue for o in cell.outputs if o.output_type == "error"],
        )
        for cell in ran.cells
        if cell.id in ids
    }


def test_the_notebook_prints_the_withheld_line_instead_of_an_accuracy(source, tmp_path):
    data_dir, _ = source
    outputs = run_cells(tmp_path, grading_dataset(data_dir, tmp_path / "out"))
    assert outputs["features-15"] == (f"linear SVM on HOG and hue features: {WITHHELD_NOTE}\n", [])
    # The graded cell's visible check stands aside; the grader judges test_pred itself.
    assert outputs["features-test-test-accuracy"] == (f"test accuracy: {WITHHELD_NOTE}\n", [])


def test_with_the_labels_the_notebook_checks_the_test_accuracy_as_before(source, tmp_path):
    data_dir, _ = source
    outputs = run_cells(tmp_path, data_dir)
    text, errors = outputs["features-15"]
    assert text.startswith("linear SVM on HOG and hue features, final test set accuracy: 0.")
    assert errors == []
    text, errors = outputs["features-test-test-accuracy"]
    assert len(errors) == 1
    assert errors[0].startswith("Expected a test accuracy of at least 0.35, got 0.")


@pytest.mark.cifar
def test_the_real_copy_holds_every_image_and_no_test_label(cifar_root, tmp_path):
    root = grading_dataset(cifar_root, tmp_path / "out")
    X_train, y_train, X_test, y_test = load_cifar10(cifar_root, dtype=np.uint8)
    Xtr, ytr, Xte, yte = load_cifar10(root, dtype=np.uint8)
    np.testing.assert_array_equal(Xtr, X_train)
    np.testing.assert_array_equal(ytr, y_train)
    np.testing.assert_array_equal(Xte, X_test)
    assert set(np.unique(yte)) == {WITHHELD_LABEL}
    assert leaks_in(root, y_test) == []
    assert "test_batch: pickled list" in leaks_in(cifar_root / BATCHES, y_test)
    copy = (root / BATCHES / "test_batch").read_bytes()
    assert b"filenames" not in copy  # class-folder names (test/dog/0265.jpg) give labels away
    assert b".jpg" not in copy
    assert b".png" not in copy
    data, labels = read_batch(root / BATCHES / "test_batch")
    assert data.shape == (10000, 3072)
    np.testing.assert_array_equal(labels, np.full(10000, WITHHELD_LABEL))


@pytest.mark.cifar
def test_the_judge_keeps_judging_with_the_real_test_labels(cifar_root, tmp_path):
    # As the autograder is wired: the copy for the kernels, the real folder for the judge.
    from grading.run.judge import load_context, prepare_class

    out = tmp_path / "out"
    copy = grading_dataset(cifar_root, out)
    inputs, context_path = prepare_class(cifar_root, out)
    y_test = load_cifar10(cifar_root, dtype=np.uint8)[3][:1000]
    context = load_context(context_path)
    np.testing.assert_array_equal(context["y_test"], y_test)
    assert not context_path.resolve().is_relative_to(copy)
    assert not inputs.resolve().is_relative_to(copy)
    assert leaks_in(copy, y_test) == []
    perfect = judge_test_predictions({"test_pred": y_test.tolist()}, context, 0.35)
    assert perfect is None
