"""Loading and splitting CIFAR-10, on small synthetic batches."""

from pathlib import Path

import numpy as np
import pytest

import cs231n_lib
import cs231n_lib.datasets
from cs231n_lib.datasets import (
    CIFAR10_CLASSES,
    WITHHELD_LABEL,
    WITHHELD_NOTE,
    are_test_labels_withheld,
    default_data_dir,
    find_batches_dir,
    get_cifar10_data,
    get_cifar10_images,
    load_cifar10,
    load_cifar10_subsample,
    read_batch,
)


def test_classes_in_official_order():
    assert CIFAR10_CLASSES == (
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
def test_load_round_trips_images_and_labels(synthetic_cifar, dtype):
    root, (X_train, y_train, X_test, y_test) = synthetic_cifar
    Xtr, ytr, Xte, yte = load_cifar10(root, dtype=dtype)
    assert Xtr.shape == (30, 32, 32, 3)
    assert Xte.shape == (8, 32, 32, 3)
    assert Xtr.dtype == dtype
    assert ytr.dtype == np.int64
    assert yte.dtype == np.int64
    np.testing.assert_array_equal(Xtr, X_train)  # channel-major rows -> (H, W, RGB)
    np.testing.assert_array_equal(ytr, y_train)
    np.testing.assert_array_equal(Xte, X_test)
    np.testing.assert_array_equal(yte, y_test)


def test_root_may_be_the_batches_folder_itself(synthetic_cifar):
    root, arrays = synthetic_cifar
    np.testing.assert_array_equal(load_cifar10(root / "cifar-10-batches-py")[0], arrays[0])


def test_environment_variable_sets_default_folder(synthetic_cifar, monkeypatch):
    root, arrays = synthetic_cifar
    monkeypatch.setenv("CS231N_DATA_DIR", str(root))
    assert default_data_dir() == root
    np.testing.assert_array_equal(load_cifar10()[1], arrays[1])


def test_default_folder_is_datasets_at_the_project_root_not_the_package(monkeypatch):
    monkeypatch.delenv("CS231N_DATA_DIR", raising=False)
    project_root = Path(cs231n_lib.__file__).resolve().parents[1]  # the folder of get_datasets.sh
    assert (project_root / "get_datasets.sh").is_file()
    assert default_data_dir() == project_root / "datasets"
    assert default_data_dir() != Path(cs231n_lib.datasets.__file__).resolve().parent


def test_missing_dataset_names_get_datasets_sh(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"get_datasets\.sh") as info:
        load_cifar10(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_incomplete_dataset_names_missing_batches(synthetic_cifar):
    root, _ = synthetic_cifar
    (root / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3 missing"):
        find_batches_dir(root)


def test_bad_batch_contents_are_reported(synthetic_cifar):
    import pickle

    root, _ = synthetic_cifar
    with open(root / "cifar-10-batches-py" / "data_batch_2", "wb") as f:
        pickle.dump({"data": np.zeros((3, 100)), "labels": [0, 1, 2]}, f)
    with pytest.raises(ValueError, match=r"data_batch_2.*\(N, 3072\)"):
        load_cifar10(root)


def test_splits_are_flattened_centred_and_biased(synthetic_cifar):
    root, (X_train, y_train, X_test, y_test) = synthetic_cifar
    data = get_cifar10_data(20, 6, 5, 4, root=root)
    shapes = {k: v.shape for k, v in data.items()}
    assert shapes == {
        "X_train": (20, 3073),
        "y_train": (20,),
        "X_val": (6, 3073),
        "y_val": (6,),
        "X_test": (5, 3073),
        "y_test": (5,),
        "X_dev": (4, 3073),
        "y_dev": (4,),
        "mean_image": (3072,),
    }
    flat = X_train.reshape(30, -1).astype(float)
    mean = flat[:20].mean(axis=0)
    np.testing.assert_allclose(data["mean_image"], mean)
    np.testing.assert_allclose(data["X_train"][:, :-1], flat[:20] - mean)
    np.testing.assert_allclose(data["X_val"][:, :-1], flat[20:26] - mean)  # images 20..25
    np.testing.assert_allclose(data["X_test"][:, :-1], X_test[:5].reshape(5, -1) - mean)
    assert np.all(data["X_train"][:, -1] == 1.0)
    np.testing.assert_array_equal(data["y_val"], y_train[20:26])
    np.testing.assert_array_equal(data["y_test"], y_test[:5])
    # dev rows are distinct training rows
    rows = [int(np.flatnonzero((data["X_train"] == r).all(axis=1))[0]) for r in data["X_dev"]]
    assert len(set(rows)) == 4
    np.testing.assert_array_equal(data["y_dev"], y_train[rows])


def test_splits_without_mean_or_bias_and_seeded_dev(synthetic_cifar):
    root, (X_train, *_) = synthetic_cifar
    a = get_cifar10_data(25, 5, 8, 10, subtract_mean=False, add_bias=False, rng=3, root=root)
    b = get_cifar10_data(25, 5, 8, 10, subtract_mean=False, add_bias=False, rng=3, root=root)
    assert a["X_train"].shape == (25, 3072)
    assert "mean_image" not in a
    np.testing.assert_array_equal(a["X_train"], X_train[:25].reshape(25, -1))
    np.testing.assert_array_equal(a["X_dev"], b["X_dev"])
    # The seed draws the dev split: 10 distinct training rows, others for another seed.
    rows = [int(np.flatnonzero((a["X_train"] == r).all(axis=1))[0]) for r in a["X_dev"]]
    assert len(set(rows)) == 10
    np.testing.assert_array_equal(a["y_dev"], a["y_train"][rows])
    other = get_cifar10_data(25, 5, 8, 10, subtract_mean=False, add_bias=False, rng=4, root=root)
    assert not np.array_equal(a["X_dev"], other["X_dev"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_training": 31}, r"1 <= num_training <= 30, got num_training=31"),
        ({"num_training": 25, "num_validation": 6}, r"0 <= num_validation <= 5"),
        ({"num_training": 10, "num_validation": 1, "num_test": 9}, r"num_test <= 8"),
        ({"num_training": 10, "num_validation": 1, "num_test": 1, "num_dev": 11}, r"num_dev <= 10"),
    ],
)
def test_split_sizes_are_checked_against_the_data(synthetic_cifar, kwargs, match):
    root, _ = synthetic_cifar
    with pytest.raises(ValueError, match=match):
        get_cifar10_data(root=root, **kwargs)


def test_splits_in_float32(synthetic_cifar):
    root, (X_train, *_) = synthetic_cifar
    data = get_cifar10_data(20, 5, 5, 3, root=root, dtype=np.float32)
    assert {v.dtype for k, v in data.items() if k.startswith("X_")} == {np.dtype(np.float32)}
    expected = X_train[:20].reshape(20, -1) - X_train[:20].reshape(20, -1).mean(axis=0)
    np.testing.assert_allclose(data["X_train"][:, :-1], expected, rtol=1e-5, atol=1e-4)


def test_subsample_keeps_the_first_images_flattened(synthetic_cifar):
    root, (X_train, y_train, X_test, y_test) = synthetic_cifar
    Xtr, ytr, Xte, yte = load_cifar10_subsample(12, 5, root=root)
    assert Xtr.shape == (12, 3072)
    assert Xtr.dtype == np.float64
    np.testing.assert_array_equal(Xtr, X_train[:12].reshape(12, -1))
    np.testing.assert_array_equal(ytr, y_train[:12])
    np.testing.assert_array_equal(Xte, X_test[:5].reshape(5, -1))
    np.testing.assert_array_equal(yte, y_test[:5])
    with pytest.raises(ValueError, match=r"1 <= num_test <= 8, got num_test=9"):
        load_cifar10_subsample(12, 9, root=root)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_image_splits_keep_the_images_and_match_the_flat_splits(synthetic_cifar, dtype):
    root, (X_train, y_train, X_test, y_test) = synthetic_cifar
    images = get_cifar10_images(20, 6, 5, root=root, dtype=dtype)
    np.testing.assert_array_equal(images["y_train"], y_train[:20])
    np.testing.assert_array_equal(images["y_test"], y_test[:5])
    assert sorted(images) == ["X_test", "X_train", "X_val", "y_test", "y_train", "y_val"]
    assert images["X_train"].shape == (20, 32, 32, 3)
    assert images["X_train"].dtype == dtype
    np.testing.assert_array_equal(images["X_train"], X_train[:20])
    np.testing.assert_array_equal(images["X_val"], X_train[20:26])
    np.testing.assert_array_equal(images["X_test"], X_test[:5])
    flat = get_cifar10_data(20, 6, 5, 0, subtract_mean=False, add_bias=False, root=root)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(images[f"X_{split}"].reshape(-1, 3072), flat[f"X_{split}"])
        np.testing.assert_array_equal(images[f"y_{split}"], flat[f"y_{split}"])
    with pytest.raises(ValueError, match=r"0 <= num_validation <= 10"):
        get_cifar10_images(20, 11, root=root)


def withhold_test_labels(root, key="labels_withheld"):
    """Rewrite the synthetic test_batch as the grader's copy does: labels -1 and the marker."""
    import pickle

    path = root / "cifar-10-batches-py" / "test_batch"
    with open(path, "rb") as f:
        batch = pickle.load(f)
    batch["labels"] = [-1] * len(batch["labels"])
    batch[key] = True
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)


def test_labels_are_there_outside_grading(synthetic_cifar):
    root, _ = synthetic_cifar
    assert are_test_labels_withheld(root) is False


@pytest.mark.parametrize("key", ["labels_withheld", b"labels_withheld"])
def test_withheld_test_labels_are_minus_one_in_every_loader(synthetic_cifar, key):
    root, (_, y_train, X_test, _) = synthetic_cifar
    withhold_test_labels(root, key)
    assert are_test_labels_withheld(root) is True
    _, ytr, Xte, yte = load_cifar10(root)
    np.testing.assert_array_equal(Xte, X_test)  # the images are kept
    np.testing.assert_array_equal(ytr, y_train)
    np.testing.assert_array_equal(yte, np.full(8, WITHHELD_LABEL, dtype=np.int64))
    assert yte.dtype == np.int64
    np.testing.assert_array_equal(load_cifar10_subsample(12, 5, root=root)[3], [-1] * 5)
    data = get_cifar10_data(20, 6, 5, 4, root=root)
    images = get_cifar10_images(20, 6, 5, root=root)
    for split in (data, images):
        np.testing.assert_array_equal(split["y_test"], [-1] * 5)
        np.testing.assert_array_equal(split["y_val"], y_train[20:26])  # tuning still works


def test_the_marker_decides_not_the_stored_labels(synthetic_cifar):
    import pickle

    root, (_, _, _, y_test) = synthetic_cifar
    path = root / "cifar-10-batches-py" / "test_batch"
    np.testing.assert_array_equal(read_batch(path)[1], y_test)
    with open(path, "rb") as f:
        batch = pickle.load(f)
    batch["labels_withheld"] = True  # the labels themselves left as they were
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)
    np.testing.assert_array_equal(read_batch(path)[1], [WITHHELD_LABEL] * 8)
    assert WITHHELD_NOTE.startswith("test labels are withheld while grading")
