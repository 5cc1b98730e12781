"""Tests of get_datasets.sh and cs231n_lib.datasets.build on small synthetic archives.

Every image encodes where it comes from: red = 20 * label + 5 * index (+ 2 in the
test split), green = 8 * row, blue = 8 * column. So the pixels and the labels of
each row of a built batch can be checked against its file name, including the
channel-major, row-major order of the 3072 values.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import pickle
import pickletools
import re
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cs231n_lib.datasets import (
    BATCHES_FOLDER,
    CIFAR10_CLASSES,
    DatasetError,
    build_dataset,
    load_cifar10,
    read_batch,
)
from cs231n_lib.datasets import _official as official
from cs231n_lib.datasets import build as build_module
from cs231n_lib.datasets._py2pickle import dump_py2
from cs231n_lib.datasets.build import main
from cs231n_lib.datasets.cifar10 import META_FILE, TEST_BATCH, TRAIN_BATCHES

SCRIPT = Path(__file__).resolve().parents[1] / "get_datasets.sh"
ALL_FILES = (*TRAIN_BATCHES, TEST_BATCH, META_FILE)
NUM_TRAIN, NUM_TEST = 3, 2  # images per class


def image_array(label, index, split):
    """The (32, 32, 3) uint8 image number ``index`` of class ``label`` in ``split``."""
    rows, cols = np.mgrid[0:32, 0:32]
    red = np.full((32, 32), 20 * label + 5 * index + (2 if split == "test" else 0))
    return np.stack([red, 8 * rows, 8 * cols], axis=-1).astype(np.uint8)


def encode(array, fmt="PNG", mode=None):
    buffer = io.BytesIO()
    image = Image.fromarray(array)
    (image.convert(mode) if mode else image).save(buffer, format=fmt)
    return buffer.getvalue()


def class_files(lead="", num_train=NUM_TRAIN, num_test=NUM_TEST):
    """``{member name: PNG bytes}`` of a class-folder archive."""
    files = {}
    for split, n in (("train", num_train), ("test", num_test)):
        for label, name in enumerate(CIFAR10_CLASSES):
            for i in range(n):
                files[f"{lead}{split}/{name}/{i:04d}.png"] = encode(image_array(label, i, split))
    return files


def write_archive(path, files):
    """Write ``files`` (in their order) as a .zip or .tar[.gz|.xz] chosen by the suffix."""
    path = Path(path)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        return path
    mode = {".gz": "w:gz", ".tgz": "w:gz", ".xz": "w:xz", ".tar": "w"}[path.suffix]
    with tarfile.open(path, mode) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def official_files(rows=4, drop=(), corrupt=()):
    """``{member: bytes}`` of a small fake official release (``rows`` images a batch)."""
    rng = np.random.default_rng(0)
    files = {}
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        batch = {
            "batch_label": name,
            "labels": rng.integers(0, 10, rows).tolist(),
            "data": rng.integers(0, 256, (rows, 3072), dtype=np.uint8),
            "filenames": [f"{name}_{i}.png" for i in range(rows)],
        }
        files[name] = batch
    files[META_FILE] = {"label_names": list(CIFAR10_CLASSES), "num_vis": 3072}
    out = {"cifar-10-batches-py/readme.html": b"<html></html>"}
    for name, obj in files.items():
        buffer = io.BytesIO()
        dump_py2(obj, buffer)
        if name not in drop:
            data = b"garbage" if name in corrupt else buffer.getvalue()
            out[f"cifar-10-batches-py/{name}"] = data
    return out


def md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def batch_dicts(folder, encoding="latin1"):
    out = {}
    for name in ALL_FILES:
        with open(Path(folder) / name, "rb") as f:
            out[name] = pickle.load(f, encoding=encoding)
    return out


def folder_bytes(folder):
    return {name: (Path(folder) / name).read_bytes() for name in ALL_FILES}


def assert_nothing_left(dest, existed=False):
    """A failed run leaves no dataset, no partial folder, no download; a new dest is removed."""
    if not existed:
        assert not dest.exists(), f"{dest} should have been removed: {list(dest.iterdir())}"
    else:
        assert list(dest.iterdir()) == []


def build(tmp_path, files, name="cifar.tar.gz", **kwargs):
    source = write_archive(tmp_path / name, files)
    return build_dataset(tmp_path / "data", source=source, progress=False, **kwargs)


@pytest.fixture
def png_folder(tmp_path):
    """A dataset built from a .tar.gz of PNG class folders."""
    return build(tmp_path, class_files())


# --- building from class folders -------------------------------------------------------


@pytest.mark.parametrize("name", ["a.tar", "a.tar.gz", "a.tgz", "a.tar.xz", "a.zip"])
def test_labels_and_pixels_round_trip(tmp_path, name):
    folder = build(tmp_path, class_files(), name=name)
    assert folder == tmp_path / "data" / BATCHES_FOLDER
    assert sorted(p.name for p in folder.iterdir()) == sorted(ALL_FILES)
    X_train, y_train, X_test, y_test = load_cifar10(tmp_path / "data", dtype=np.uint8)
    assert X_train.shape == (10 * NUM_TRAIN, 32, 32, 3)
    assert X_test.shape == (10 * NUM_TEST, 32, 32, 3)
    batches = batch_dicts(folder)
    splits = {"train": (X_train, y_train, TRAIN_BATCHES), "test": (X_test, y_test, [TEST_BATCH])}
    for split, (X, y, names) in splits.items():
        filenames = [f for name in names for f in batches[name]["filenames"]]
        assert len(filenames) == len(y)
        for n, filename in enumerate(filenames):
            file_split, class_name, base = filename.split("/")
            label, index = CIFAR10_CLASSES.index(class_name), int(base[:4])
            assert (file_split, y[n]) == (split, label)
            np.testing.assert_array_equal(X[n], image_array(label, index, split), err_msg=filename)


def test_rows_are_channel_major(png_folder):
    data, labels = read_batch(png_folder / TEST_BATCH)
    filenames = batch_dicts(png_folder)[TEST_BATCH]["filenames"]
    row, name = data[0], filenames[0]
    expected = image_array(CIFAR10_CLASSES.index(name.split("/")[1]), int(name[-8:-4]), "test")
    np.testing.assert_array_equal(row[:1024], expected[..., 0].ravel())  # all red values
    np.testing.assert_array_equal(row[1024:2048], 8 * np.repeat(np.arange(32), 32))  # green: row
    np.testing.assert_array_equal(row[2048:], 8 * np.tile(np.arange(32), 32))  # blue: column
    assert labels.dtype == np.int64


def test_batches_and_meta_look_official(png_folder):
    batches = batch_dicts(png_folder)
    for i, name in enumerate(TRAIN_BATCHES, 1):
        assert list(batches[name]) == ["batch_label", "labels", "data", "filenames"]
        assert batches[name]["batch_label"] == f"training batch {i} of 5"
        assert batches[name]["data"].shape == (2 * NUM_TRAIN, 3072)
        assert batches[name]["data"].dtype == np.uint8
        assert all(type(label) is int for label in batches[name]["labels"])
    assert batches[TEST_BATCH]["batch_label"] == "testing batch 1 of 1"
    assert batches[META_FILE] == {
        "num_cases_per_batch": 2 * NUM_TRAIN,
        "label_names": list(CIFAR10_CLASSES),
        "num_vis": 3072,
    }


def test_pickles_load_like_python2_files(png_folder):
    raw = (png_folder / "data_batch_1").read_bytes()
    opcodes = {op.name for op, _, _ in pickletools.genops(raw)}
    assert "SHORT_BINSTRING" in opcodes
    assert not opcodes & {"BINUNICODE", "SHORT_BINUNICODE", "BINBYTES", "SHORT_BINBYTES"}
    as_bytes = batch_dicts(png_folder, encoding="bytes")
    as_str = batch_dicts(png_folder, encoding="latin1")
    for name in TRAIN_BATCHES:
        assert set(as_bytes[name]) == {b"batch_label", b"labels", b"data", b"filenames"}
        assert as_bytes[name][b"batch_label"] == as_str[name]["batch_label"].encode()
        assert as_bytes[name][b"filenames"][0] == as_str[name]["filenames"][0].encode()
        np.testing.assert_array_equal(as_bytes[name][b"data"], as_str[name]["data"])
    assert as_bytes[META_FILE][b"label_names"][0] == b"airplane"
    assert as_str[META_FILE]["label_names"][0] == "airplane"


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.int64])
def test_py2_pickler_round_trips_arrays(dtype):
    array = np.arange(24, dtype=dtype).reshape(2, 3, 4)[:, ::2]  # not contiguous
    buffer = io.BytesIO()
    dump_py2({"a": array}, buffer)
    for encoding, key in (("bytes", b"a"), ("latin1", "a")):
        loaded = pickle.loads(buffer.getvalue(), encoding=encoding)[key]
        np.testing.assert_array_equal(loaded, array)
        assert loaded.dtype == array.dtype


def test_training_images_are_shuffled_with_a_fixed_seed(png_folder):
    _, y_train, _, y_test = load_cifar10(png_folder)
    for y, n in ((y_train, NUM_TRAIN), (y_test, NUM_TEST)):
        assert np.bincount(y, minlength=10).tolist() == [n] * 10
        assert np.any(np.diff(y) < 0), "the labels are still sorted: nothing was shuffled"
    assert len(set(y_train[: 2 * NUM_TRAIN].tolist())) > 2  # the first batch mixes classes


def test_two_builds_give_identical_files(tmp_path, png_folder):
    again = build_dataset(tmp_path / "again", source=tmp_path / "cifar.tar.gz", progress=False)
    assert folder_bytes(again) == folder_bytes(png_folder)


def test_archive_order_and_format_do_not_matter(tmp_path, png_folder):
    files = class_files(lead="cifar10/")  # one leading folder, as zipping a folder gives
    names = list(files)
    order = np.random.default_rng(0).permutation(len(names))
    shuffled = {names[i]: files[names[i]] for i in order}
    source = write_archive(tmp_path / "shuffled.zip", shuffled)
    folder = build_dataset(tmp_path / "other", source=source, progress=False)
    assert folder_bytes(folder) == folder_bytes(png_folder)


def test_process_pool_gives_the_same_bytes(tmp_path, png_folder):
    pooled = build_dataset(
        tmp_path / "pooled", source=tmp_path / "cifar.tar.gz", progress=False, jobs=2
    )
    assert folder_bytes(pooled) == folder_bytes(png_folder)


def test_jpeg_grayscale_and_rgba_images_are_accepted(tmp_path):
    files = class_files()
    cat = image_array(CIFAR10_CLASSES.index("cat"), 0, "train")
    files["train/cat/0000.png"] = encode(cat, mode="RGBA")
    files["train/cat/0001.png"] = encode(cat, mode="L")
    files["train/dog/0009.JPEG"] = encode(cat, fmt="JPEG")
    folder = build(tmp_path, files)
    X_train, y_train, _, _ = load_cifar10(folder, dtype=np.uint8)
    filenames = [f for name in TRAIN_BATCHES for f in batch_dicts(folder)[name]["filenames"]]
    np.testing.assert_array_equal(X_train[filenames.index("train/cat/0000.png")], cat)
    gray = X_train[filenames.index("train/cat/0001.png")]
    assert np.all(gray[..., 0] == gray[..., 1])
    assert np.all(gray[..., 1] == gray[..., 2])
    assert y_train[filenames.index("train/dog/0009.JPEG")] == CIFAR10_CLASSES.index("dog")


def test_junk_is_ignored_and_other_files_counted_in_one_warning(tmp_path, capsys):
    files = class_files()
    files.update({"__MACOSX/train/cat/._0000.png": b"x", "train/cat/.DS_Store": b"x",
                  "README.txt": b"hi", "train/cat/notes.txt": b"x"})  # fmt: skip
    files["../../escape.png"] = files["train/cat/0000.png"]
    folder = build(tmp_path, files)
    err = capsys.readouterr().err
    assert err.count("warning:") == 1
    assert "ignored 3 files" in err
    assert ".DS_Store" not in err
    assert "__MACOSX" not in err
    assert not (tmp_path.parent / "escape.png").exists()
    assert len(load_cifar10(folder)[1]) == 10 * NUM_TRAIN


def test_step_lines_and_counts_are_printed(tmp_path, capsys):
    build(tmp_path, class_files())
    out = capsys.readouterr().out
    for line in ("Reading", f"Decoding {10 * (NUM_TRAIN + NUM_TEST)} images", "Writing", "Done:"):
        assert line in out
    assert "train: airplane 3, automobile 3" in out
    assert "test: airplane 2" in out


# --- the official release ---------------------------------------------------------------


def test_official_archive_is_copied_as_it_is(tmp_path):
    files = official_files()
    source = write_archive(tmp_path / "cifar-10-python.tar.gz", files)
    folder = build_dataset(tmp_path / "data", source=source, md5=md5(source), progress=False)
    for name in ALL_FILES:
        assert (folder / name).read_bytes() == files[f"cifar-10-batches-py/{name}"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(ALL_FILES)  # no readme.html
    assert load_cifar10(folder)[0].shape == (20, 32, 32, 3)


# --- idempotency ------------------------------------------------------------------------


def test_a_complete_dataset_is_left_alone(tmp_path, png_folder, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in png_folder.iterdir()}
    capsys.readouterr()
    again = build_dataset(tmp_path / "data", source=tmp_path / "missing.zip", progress=False)
    assert again == png_folder
    message = f"CIFAR-10 is already present in {png_folder}; nothing to do.\n"
    assert capsys.readouterr().out == message
    assert {p.name: p.stat().st_mtime_ns for p in png_folder.iterdir()} == before
    assert main(["--dest", str(tmp_path / "data"), "--quiet"]) == 0


def test_an_incomplete_dataset_is_an_error_and_kept(tmp_path, png_folder):
    (png_folder / "data_batch_3").unlink()
    (png_folder / TEST_BATCH).unlink()
    with pytest.raises(DatasetError, match="incomplete: data_batch_3, test_batch missing") as err:
        build_dataset(tmp_path / "data", source=tmp_path / "cifar.tar.gz", progress=False)
    assert "Delete the folder" in str(err.value)
    assert sorted(p.name for p in png_folder.iterdir()) == sorted(
        set(ALL_FILES) - {"data_batch_3", TEST_BATCH}
    )


# --- bad input --------------------------------------------------------------------------


def flip_middle(path):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    path.write_bytes(bytes(data))
    return path


def first_half(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def with_changes(changes=None, remove=()):
    files = class_files()
    files.update(changes or {})
    return {name: data for name, data in files.items() if not name.startswith(remove or "\0")}


def random_bytes(tmp_path):
    path = tmp_path / "noise.tar.gz"
    path.write_bytes(b"\x00not an archive" + np.random.default_rng(0).bytes(5000))
    return path


cat_64x48 = encode(np.zeros((48, 64, 3), np.uint8))
BAD_INPUTS = {
    "missing file": (lambda t: t / "nope.tar.xz", ["nope.tar.xz", "does not exist", "--from"]),
    "random bytes": (random_bytes, ["is not an archive", ".tar.xz or .zip"]),
    "corrupt xz": (lambda t: flip_middle(write_archive(t / "c.tar.xz", class_files())),
                   ["corrupt or truncated", "again"]),
    "corrupt gz": (lambda t: flip_middle(write_archive(t / "c.tar.gz", class_files())),
                   ["corrupt or truncated"]),
    "corrupt zip": (lambda t: flip_middle(write_archive(t / "c.zip", class_files())),
                    ["corrupt or truncated"]),
    "truncated xz": (lambda t: first_half(write_archive(t / "c.tar.xz", class_files())),
                     ["corrupt or truncated"]),
    "truncated zip": (lambda t: first_half(write_archive(t / "c.zip", class_files())),
                      ["corrupt or truncated"]),
    "truncated tar": (lambda t: first_half(write_archive(t / "c.tar", class_files())),
                      ["corrupt or truncated"]),
    "wrong checksum": (lambda t: write_archive(t / "o.tar.gz", official_files()),
                       ["not the official CIFAR-10 release", "MD5", "Download it again"]),
    "neither layout": (lambda t: write_archive(t / "n.tar", {"pics/cat/1.png": cat_64x48,
                                                             "README": b"x"}),
                       ["neither the official", "pics/cat", "README"]),
    "unknown class": (lambda t: write_archive(t / "k.zip", with_changes(
                          {"train/kitten/0.png": cat_64x48})),
                      ["train/kitten/ (1 image)", "airplane, automobile, bird"]),
    "wrong size": (lambda t: write_archive(t / "s.tar", with_changes(
                       {"train/cat/0001.png": cat_64x48})),
                   ["s.tar: train/cat/0001.png is 64x48 pixels", "32x32"]),
    "undecodable": (lambda t: write_archive(t / "u.tar", with_changes(
                        {"train/dog/0000.png": b"not a png"})),
                    ["u.tar: train/dog/0000.png could not be decoded", "Replace or remove"]),
    "empty class": (lambda t: write_archive(t / "e.tar", with_changes(remove="test/deer/")),
                    ["no images in test/ for the classes deer", "test/deer/"]),
    "two leading folders": (lambda t: write_archive(t / "l.tar", {**class_files("a/"),
                                                                  **class_files("b/")}),
                            ["several top-level folders (a, b)"]),
    "official incomplete": (lambda t: write_archive(t / "o.tar.gz", official_files(
                                drop=[TEST_BATCH])), ["lacks test_batch"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_says_what_and_how_and_leaves_nothing(tmp_path, case):
    make, fragments = BAD_INPUTS[case]
    source = make(tmp_path)
    dest = tmp_path / "data"
    with pytest.raises(DatasetError) as err:
        build_dataset(dest, source=source, progress=False)
    for fragment in fragments:
        assert fragment in str(err.value)
    assert_nothing_left(dest)


def test_new_parent_folders_are_removed_after_a_failure(tmp_path):
    source = write_archive(tmp_path / "e.tar", with_changes(remove="train/cat/"))
    with pytest.raises(DatasetError, match="no images in train/ for the classes cat"):
        build_dataset(tmp_path / "a" / "b" / "data", source=source, progress=False)
    assert not (tmp_path / "a").exists()


def test_a_leftover_partial_folder_is_reported_and_kept(tmp_path, capsys):
    stale = tmp_path / "data" / f".{BATCHES_FOLDER}.partial-old"
    stale.mkdir(parents=True)
    build(tmp_path, class_files())
    assert f"warning: {stale} was left by a run that was killed; delete it." in (
        capsys.readouterr().err
    )
    assert stale.is_dir()


def test_a_corrupt_official_batch_is_reported(tmp_path):
    source = write_archive(tmp_path / "o.tar.gz", official_files(corrupt=["data_batch_2"]))
    dest = tmp_path / "data"
    dest.mkdir()
    with pytest.raises(DatasetError, match=r"data_batch_2 in .* is not a valid CIFAR-10 file"):
        build_dataset(dest, source=source, md5=None, progress=False)
    assert_nothing_left(dest, existed=True)


def test_main_prints_the_error_and_returns_1(tmp_path, capsys):
    assert main(["--from", str(tmp_path / "nope.zip"), "--dest", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --from ")
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["--nope"], ["--jobs", "0"], ["--from"]])
def test_bad_options_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: get_datasets.sh" in capsys.readouterr().err


# --- interruption -----------------------------------------------------------------------


def test_ctrl_c_removes_the_partial_build(tmp_path, monkeypatch, capsys):
    def interrupted(folder, *args):
        (folder / "data_batch_1").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "convert", interrupted)
    source = write_archive(tmp_path / "a.tar", class_files())
    assert main(["--from", str(source), "--dest", str(tmp_path / "data"), "-q"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert_nothing_left(tmp_path / "data")


def test_sigterm_removes_the_partial_build(tmp_path, monkeypatch, capsys):
    def terminated(folder, *args):
        (folder / "data_batch_1").write_bytes(b"half")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the handler raises before this ends

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(build_module, "convert", terminated)
    source = write_archive(tmp_path / "a.tar", class_files())
    (tmp_path / "data").mkdir()
    assert main(["--from", str(source), "--dest", str(tmp_path / "data"), "-q"]) == 143
    assert "terminated" in capsys.readouterr().err
    assert_nothing_left(tmp_path / "data", existed=True)
    assert signal.getsignal(signal.SIGTERM) == before


def test_an_interrupted_download_is_removed(tmp_path, monkeypatch):
    def download(url, out, progress):
        out.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(official, "_download", download)
    with pytest.raises(KeyboardInterrupt):
        build_dataset(tmp_path / "data", url="http://127.0.0.1:9/x", progress=False)
    assert_nothing_left(tmp_path / "data")


# --- download from a local server -------------------------------------------------------


@pytest.fixture
def server():
    """``(routes, base_url)``: routes maps a path to ``(body, declared Content-Length)``."""
    routes = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path not in routes:
                self.send_error(404)
                return
            body, length = routes[self.path]
            self.send_response(200)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield routes, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def official_tarball(tmp_path):
    files = official_files()
    return write_archive(tmp_path / "served.tar.gz", files), files


def test_download_checks_md5_unpacks_and_removes_the_file(tmp_path, server, official_tarball):
    routes, base = server
    path, files = official_tarball
    routes["/cifar.tar.gz"] = (path.read_bytes(), path.stat().st_size)
    dest = tmp_path / "data"
    argv = ["--dest", str(dest), "--url", f"{base}/cifar.tar.gz", "--md5", md5(path), "-q"]
    assert main(argv) == 0
    assert sorted(p.name for p in dest.iterdir()) == [BATCHES_FOLDER]  # no download left
    for name in ALL_FILES:
        assert (dest / BATCHES_FOLDER / name).read_bytes() == files[f"{BATCHES_FOLDER}/{name}"]


def refused_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/cifar.tar.gz"  # nothing listens there any more


@pytest.mark.parametrize(
    ("case", "fragments"),  # regular expressions
    [
        ("wrong md5", ["is corrupt or not the official release", "MD5 is"]),
        ("404", ["could not download", "HTTP 404", "--from FILE"]),
        ("truncated", ["could not download", "closed after|IncompleteRead", "--from FILE"]),
        ("refused", ["could not download", "Check your internet connection"]),
    ],
)
def test_download_errors(tmp_path, server, official_tarball, case, fragments):
    routes, base = server
    body = official_tarball[0].read_bytes()
    routes["/ok"] = (body, len(body))
    routes["/truncated"] = (body[: len(body) // 2], len(body))
    url, md5_sum = {
        "wrong md5": (f"{base}/ok", "0" * 32),
        "404": (f"{base}/missing", None),
        "truncated": (f"{base}/truncated", None),
        "refused": (refused_url(), None),
    }[case]
    with pytest.raises(DatasetError) as err:
        build_dataset(tmp_path / "data", url=url, md5=md5_sum, progress=False)
    for pattern in fragments:
        assert re.search(pattern, str(err.value)), (pattern, str(err.value))
    assert_nothing_left(tmp_path / "data")


# --- the shell script -------------------------------------------------------------------


def run_script(*args, cwd, python=sys.executable, **env):
    environ = {k: v for k, v in os.environ.items() if k != "CS231N_DATA_DIR"}
    environ.update(PYTHON=python, **env)
    return subprocess.run(
        ["bash", str(SCRIPT), *map(str, args)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_script_keeps_the_working_directory_for_relative_paths(tmp_path):
    assert os.access(SCRIPT, os.X_OK)
    write_archive(tmp_path / "a.zip", class_files())
    result = run_script("--from", "a.zip", "--dest", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out" / BATCHES_FOLDER).iterdir()) == sorted(
        ALL_FILES
    )
    assert "Done:" in result.stdout
    assert "reading archive" in result.stderr
    assert "decoding" in result.stderr


def test_script_uses_cs231n_data_dir_and_is_idempotent(tmp_path):
    write_archive(tmp_path / "a.tar.xz", class_files())
    data_dir = tmp_path / "env data"
    first = run_script("--from", "a.tar.xz", "--quiet", cwd=tmp_path, CS231N_DATA_DIR=data_dir)
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""  # --quiet: no progress bars
    assert (data_dir / BATCHES_FOLDER / TEST_BATCH).is_file()
    second = run_script("-q", cwd=tmp_path, CS231N_DATA_DIR=data_dir)
    assert second.returncode == 0
    assert "already present" in second.stdout
    assert "nothing to do" in second.stdout


def test_script_errors_exit_1_with_a_message(tmp_path):
    result = run_script("--from", "missing.tar", "--dest", "d", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: --from missing.tar")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d").exists()


def test_script_help_and_bad_option(tmp_path):
    result = run_script("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "examples:" in result.stdout
    assert "--from ARCHIVE" in result.stdout
    assert run_script("--frm", "x", cwd=tmp_path).returncode == 2


def test_script_explains_missing_packages(tmp_path):
    bare = tmp_path / "bare-python"  # a Python without site-packages: no numpy, PIL, tqdm
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    bare.chmod(0o755)
    result = run_script("--dest", "d", cwd=tmp_path, python=str(bare))
    assert result.returncode == 1
    assert str(bare) in result.stderr
    assert "pip install numpy pillow tqdm" in result.stderr
    assert not (tmp_path / "d").exists()
