"""Turn the images of a class-folder archive into CIFAR-10 batches.

The images are shuffled with a fixed seed, decoded and written like the official
batches. Decoding the 60,000 images of CIFAR-10 with Pillow takes about 20 s on one
core, so the work is cut into chunks that a pool of processes decodes in order.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
from contextlib import contextmanager

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm.auto import tqdm

from ._archive import SPLITS, DatasetError
from ._py2pickle import dump_py2
from .cifar10 import CIFAR10_CLASSES, META_FILE, TEST_BATCH, TRAIN_BATCHES

__all__ = ["SHUFFLE_SEED", "convert", "decode_images", "pool_size"]

#: Seed of the fixed shuffle of class-folder archives: same archive, same batches.
SHUFFLE_SEED = 20091231

_CHUNK = 250  # images per task of the process pool
_MIN_POOL_IMAGES = 2000  # below this, starting processes costs more than it saves


class _BadImage(Exception):
    """An image that cannot be used; the message names the file."""


def _decode_one(name, data):
    """Decode one 32x32 image to a channel-major row of 3072 uint8, or raise _BadImage."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            size = img.size
            if size == (32, 32):
                rgb = np.asarray(img.convert("RGB"))  # (32, 32, 3); grayscale and RGBA too
    except UnidentifiedImageError as exc:
        raise _BadImage(
            f"{name} could not be decoded: it is not an image file Pillow can read. "
            "Replace or remove it."
        ) from exc
    except Exception as exc:  # Pillow raises many kinds of errors for broken files
        raise _BadImage(
            f"{name} could not be decoded as an image ({exc}): replace or remove it."
        ) from exc
    if size != (32, 32):
        raise _BadImage(
            f"{name} is {size[0]}x{size[1]} pixels, but CIFAR-10 images are 32x32: "
            "resize it (e.g. with Pillow, img.resize((32, 32))) or remove it."
        )
    return rgb.transpose(2, 0, 1).reshape(3072)  # all R values, then G, then B


def _decode_chunk(chunk):
    """Decode ``[(name, data), ...]``; return ``(rows, None)`` or ``(None, message)``."""
    rows = np.empty((len(chunk), 3072), dtype=np.uint8)
    for i, (name, data) in enumerate(chunk):
        try:
            rows[i] = _decode_one(name, data)
        except _BadImage as exc:
            return None, str(exc)
    return rows, None


def _init_worker():
    """Workers leave Ctrl-C to the main process, and die quietly when it terminates them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def _chunk_results(chunks, jobs):
    """Yield an iterator over the ``_decode_chunk`` results, in order, from ``jobs`` processes."""
    if jobs <= 1:
        yield map(_decode_chunk, chunks)
        return
    # spawn, not fork: this process may have threads (tqdm's monitor, a notebook kernel's),
    # and fork copies them half-way. (forkserver passed results back 2x slower here.)
    pool = multiprocessing.get_context("spawn").Pool(jobs, initializer=_init_worker)
    try:
        yield pool.imap(_decode_chunk, chunks)
    finally:
        pool.terminate()  # also on Ctrl-C: stop the workers now, not after the last chunk
        pool.join()


def pool_size(num_images, jobs=None):
    """The number of processes that decode ``num_images``: ``jobs``, else all cores (or 1)."""
    if jobs is not None:
        return max(1, jobs)
    return 1 if num_images < _MIN_POOL_IMAGES else os.cpu_count() or 1


def decode_images(items, jobs=1, progress=True, where=""):
    """Decode images into rows of pixels.

    Parameters
    ----------
    items : list of (str, bytes)
        Member name (for error messages) and encoded PNG or JPEG data.
    jobs : int
        Number of processes; 1 decodes in this process.
    progress : bool
        Show a progress bar.
    where : str
        Put before the message of an error, e.g. the archive's name and ": ".

    Returns
    -------
    ndarray of shape (N, 3072), dtype uint8
        Channel-major rows: the 1024 red values, then green, then blue.
    """
    size = max(1, min(_CHUNK, -(-len(items) // (jobs * 4))))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    out = np.empty((len(items), 3072), dtype=np.uint8)  # (N, 3072)
    bar = tqdm(total=len(items), desc="decoding", unit="img", disable=not progress)
    with bar, _chunk_results(chunks, min(jobs, len(chunks))) as results:
        for start, (rows, error) in zip(range(0, len(items), size), results, strict=True):
            if error is not None:
                raise DatasetError(where + error)
            out[start : start + len(rows)] = rows
            bar.update(len(rows))
    return out


def convert(folder, splits, archive, progress=True, jobs=None):
    """Shuffle the images with the fixed seed, decode them and write the batches.

    Parameters
    ----------
    folder : pathlib.Path
        Where to write the seven files.
    splits : dict
        ``{"train": [...], "test": [...]}`` of ``(label, path, member, data)`` sorted
        by label and path, as returned by :func:`~cs231n_lib.datasets._archive.class_images`.
    archive : pathlib.Path
        Where the images come from, named in error messages.
    progress : bool
        Show a progress bar.
    jobs : int, optional
        Processes that decode; see :func:`pool_size`.

    Returns
    -------
    dict
        For each split, the number of images of each class (a list of 10 ints).
    """
    rng = np.random.default_rng(SHUFFLE_SEED)  # fixed: the first N images are a random mix
    shuffled = {s: [splits[s][i] for i in rng.permutation(len(splits[s]))] for s in SPLITS}
    items = [item for split in SPLITS for item in shuffled[split]]
    jobs = pool_size(len(items), jobs)
    print(f"Decoding {len(items)} images ({jobs} process{'es' * (jobs > 1)}) ...", flush=True)
    encoded = [(member, data) for _, _, member, data in items]
    rows = decode_images(encoded, jobs, progress, where=f"{archive}: ")
    parts, start = {}, 0
    for split in SPLITS:
        stop = start + len(shuffled[split])
        labels = np.array([label for label, *_ in shuffled[split]], dtype=np.int64)
        parts[split] = (rows[start:stop], labels, [path for _, path, *_ in shuffled[split]])
        start = stop
    print("Writing the batches ...", flush=True)
    _write_batches(folder, parts)
    return {
        split: np.bincount(parts[split][1], minlength=len(CIFAR10_CLASSES)).tolist()
        for split in SPLITS
    }


def _write_batches(folder, parts):
    """Write the five training batches, the test batch and the meta file."""
    data, labels, names = parts["train"]
    cuts = np.array_split(np.arange(len(labels)), len(TRAIN_BATCHES))  # nearly equal parts
    for i, (file_name, cut) in enumerate(zip(TRAIN_BATCHES, cuts, strict=True), 1):
        part = slice(cut[0], cut[-1] + 1)
        batch_label = f"training batch {i} of {len(TRAIN_BATCHES)}"
        _write_batch(folder / file_name, batch_label, data[part], labels[part], names[part])
    data, labels, names = parts["test"]
    _write_batch(folder / TEST_BATCH, "testing batch 1 of 1", data, labels, names)
    meta = {
        "num_cases_per_batch": len(cuts[0]),
        "label_names": list(CIFAR10_CLASSES),
        "num_vis": 3072,
    }
    _pickle(folder / META_FILE, meta)


def _write_batch(path, batch_label, data, labels, filenames):
    """One batch, keys in the order of the official files; ``data`` is (n, 3072) uint8."""
    batch = {
        "batch_label": batch_label,
        "labels": labels.tolist(),
        "data": data,
        "filenames": filenames,
    }
    _pickle(path, batch)


def _pickle(path, obj):
    try:
        with open(path, "wb") as f:
            dump_py2(obj, f)
    except OSError as exc:
        raise DatasetError(
            f"could not write {path} ({exc}). Free some disk space or choose another folder "
            "with --dest."
        ) from exc
