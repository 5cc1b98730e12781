"""The official CIFAR-10 release: download it (checking its MD5 on the way), check a copy."""

from __future__ import annotations

import hashlib
import http.client
import os
import pickle
import tempfile
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ._archive import OFFICIAL_FILES, DatasetError
from .cifar10 import CIFAR10_CLASSES, META_FILE, TEST_BATCH, TRAIN_BATCHES, read_batch

__all__ = ["OFFICIAL_MD5", "OFFICIAL_URL", "check_official", "local_or_downloaded", "md5_of"]

OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
OFFICIAL_MD5 = "c58f30108f718f92721af3b95e74349a"

_TIMEOUT = 60  # seconds without data before a download gives up
_HOW_TO_RETRY = (
    "Check your internet connection, or download the file by hand (e.g. with a web "
    "browser) and run `bash get_datasets.sh --from FILE`."
)


@contextmanager
def local_or_downloaded(source, url, md5, dest, progress):
    """Yield the archive to read: ``source``, or a temporary download of ``url``.

    Parameters
    ----------
    source : pathlib.Path or None
        A local archive; None downloads ``url``.
    url : str
        What to download.
    md5 : str or None
        The expected MD5; a download is checked here.
    dest : pathlib.Path
        The folder of the temporary download (a hidden file, removed afterwards).
    progress : bool
        Show a progress bar.

    Yields
    ------
    path : pathlib.Path
        The archive.
    md5 : str or None
        The MD5 still to check (of an official-layout ``source``); None after a download.
    """
    if source is not None:
        yield source, md5
        return
    fd, name = tempfile.mkstemp(prefix=".cifar-10-python-", suffix=".tar.gz.part", dir=dest)
    path = Path(name)
    try:
        print(f"Downloading {url} ...", flush=True)
        with os.fdopen(fd, "wb") as out:
            digest = _download(url, out, progress)
        if md5 and digest != md5.lower():
            raise DatasetError(
                f"the file downloaded from {url} is corrupt or not the official release: its "
                f"MD5 is {digest}, expected {md5}. Run the command again; if this persists, "
                "download the file by hand and run `bash get_datasets.sh --from FILE`."
            )
        yield path, None
    finally:
        path.unlink(missing_ok=True)


def _download(url, out, progress):
    """Copy ``url`` into the open file ``out``; return the hex MD5 of what was received."""
    digest = hashlib.md5(usedforsecurity=False)
    received, total = 0, None
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
            total = getattr(response, "length", None)  # from Content-Length, if any
            with tqdm(
                total=total,
                desc="downloading",
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                disable=not progress,
            ) as bar:
                while chunk := response.read(1 << 20):
                    _write(out, chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        raise DatasetError(
            f"could not download {url} (HTTP {exc.code} {exc.reason}). " + _HOW_TO_RETRY
        ) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DatasetError(f"could not download {url} ({reason}). " + _HOW_TO_RETRY) from exc
    if total is not None and received != total:
        raise DatasetError(
            f"could not download {url} (the connection closed after {received} of {total} "
            "bytes). " + _HOW_TO_RETRY
        )
    return digest.hexdigest()


def _write(out, chunk):
    try:
        out.write(chunk)
    except OSError as exc:
        raise DatasetError(
            f"could not save the download in {out.name} ({exc}). Free some disk space or "
            "choose another folder with --dest."
        ) from exc


def md5_of(path):
    """The hex MD5 of a file."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_official(folder, scan, archive, md5):
    """Check the copied official files: complete, the expected MD5, readable batches."""
    missing = [name for name in OFFICIAL_FILES if name not in scan.official]
    if missing:
        raise DatasetError(
            f"{archive} looks like the official release but lacks {', '.join(missing)}. "
            f"Download it again from {OFFICIAL_URL}."
        )
    if md5 and (digest := md5_of(archive)) != md5.lower():
        raise DatasetError(
            f"{archive} is corrupt or not the official CIFAR-10 release: its MD5 is {digest}, "
            f"expected {md5}. Download it again from {OFFICIAL_URL} (or, if you repacked "
            "the official files yourself, pass --md5 '' to skip this check)."
        )
    _read_official_meta(folder / META_FILE, archive)
    counts = {}
    for split, names in (("train", TRAIN_BATCHES), ("test", (TEST_BATCH,))):
        labels = np.concatenate([_read_official(folder / name, archive) for name in names])
        counts[split] = np.bincount(labels, minlength=len(CIFAR10_CLASSES)).tolist()
    return counts


def _read_official(path, archive):
    """The labels of one official batch, checked by :func:`cs231n_lib.datasets.read_batch`."""
    try:
        _, labels = read_batch(path)
        if labels.size == 0 or labels.min() < 0 or labels.max() >= len(CIFAR10_CLASSES):
            raise ValueError("labels outside 0..9")
    except Exception as exc:
        raise _not_valid(path, archive, exc) from exc
    return labels


def _read_official_meta(path, archive):
    try:
        with open(path, "rb") as f:
            meta = pickle.load(f, encoding="latin1")
        if len(meta["label_names"]) != len(CIFAR10_CLASSES):
            raise ValueError(f"{len(meta['label_names'])} label names instead of 10")
    except Exception as exc:
        raise _not_valid(path, archive, exc) from exc


def _not_valid(path, archive, exc):
    return DatasetError(
        f"{path.name} in {archive} is not a valid CIFAR-10 file ({exc}). The archive is "
        f"corrupt: download it again from {OFFICIAL_URL}."
    )
