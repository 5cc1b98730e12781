"""Read a CIFAR-10 archive in one pass.

Two layouts are understood. The official release holds
``cifar-10-batches-py/data_batch_1`` ... ``batches.meta``: those members are copied
into a folder chosen by the caller. Any other archive must hold class folders
``train/<class>/*.png`` and ``test/<class>/*.png`` (JPEG too), possibly under one
common leading folder: the images are kept in memory, for ``_convert``.
Member names are never used as paths on disk, so an archive cannot write outside
the folder it is extracted into.
"""

from __future__ import annotations

import lzma
import tarfile
import zipfile
import zlib
from contextlib import closing
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from .cifar10 import BATCHES_FOLDER, CIFAR10_CLASSES, META_FILE, TEST_BATCH, TRAIN_BATCHES

__all__ = [
    "OFFICIAL_FILES",
    "SPLITS",
    "DatasetError",
    "class_images",
    "scan_archive",
]

OFFICIAL_FILES = (*TRAIN_BATCHES, TEST_BATCH, META_FILE)
SPLITS = ("train", "test")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
MAGIC = {
    b"PK\x03\x04": "zip",
    b"PK\x05\x06": "zip",
    b"\x1f\x8b": "gzip",
    b"\xfd7zXZ\x00": "xz",
    b"BZh": "bzip2",
}
_READ_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
)


class DatasetError(Exception):
    """The dataset cannot be built; the message says what is wrong and how to fix it."""


@dataclass
class Scan:
    """What one pass over an archive found."""

    official: list = field(default_factory=list)  # official file names copied out
    images: dict = field(default_factory=dict)  # path parts (tuple) -> encoded image bytes
    ignored: list = field(default_factory=list)  # member names that are not images


def archive_kind(path):
    """Return ``"zip"``, ``"gzip"``, ``"xz"``, ``"bzip2"`` or ``"tar"`` from the file's content."""
    with open(path, "rb") as f:
        head = f.read(8)
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            return kind
    if tarfile.is_tarfile(path):
        return "tar"
    raise DatasetError(
        f"{path} is not an archive: expected a .tar, .tar.gz, .tgz, .tar.xz or .zip file, "
        f"but it starts with the bytes {head!r}. Pass the official cifar-10-python.tar.gz "
        "or an archive of train/<class>/ and test/<class>/ image folders to --from."
    )


def _members(path, kind):
    """Yield ``(name, file object)`` for each regular file of the archive, in archive order."""
    with open(path, "rb") as raw:
        if kind == "zip":
            with zipfile.ZipFile(raw) as zf:
                for info in zf.infolist():
                    if not info.is_dir():
                        with zf.open(info) as member:
                            yield info.filename, member
            return
        with tarfile.open(fileobj=raw, mode="r:*") as tf:
            for info in tf:
                if info.isreg():
                    yield info.name, tf.extractfile(info)
            _check_tar_end(tf, raw, kind)


def _check_tar_end(tf, raw, kind):
    """Read to the end, so that checksums are verified and truncation is noticed."""
    if kind != "tar":
        while tf.fileobj.read(1 << 20):  # the decompressor checks CRCs and the end marker
            pass
        return
    raw.seek(tf.offset)
    if raw.read(tarfile.BLOCKSIZE) != tarfile.NUL * tarfile.BLOCKSIZE:
        raise EOFError("it ends without the end-of-archive marker")


def split_name(name):
    """Split a member name into its path parts, dropping ``.`` and empty parts."""
    return tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))


def _is_junk(parts):
    """Hidden files and macOS resource forks: ignored without a word."""
    hidden = any(p.startswith(".") and p != ".." for p in parts)
    return not parts or parts[0] == "__MACOSX" or hidden


def scan_archive(path, out_dir, progress=True):
    """Read every member of ``path`` once.

    Parameters
    ----------
    path : pathlib.Path
        The archive.
    out_dir : pathlib.Path
        Where members of the official layout are written (under their own base name).
    progress : bool
        Show a progress bar.

    Returns
    -------
    Scan
    """
    kind = archive_kind(path)
    scan = Scan()
    official = {(BATCHES_FOLDER, name): name for name in OFFICIAL_FILES}
    try:
        bar = tqdm(desc="reading archive", unit="file", disable=not progress)
        with bar, closing(_members(path, kind)) as members:
            for name, member in members:
                parts = split_name(name)
                if parts in official:
                    _copy(member, out_dir / official[parts])
                    scan.official.append(official[parts])
                elif _is_junk(parts):
                    pass
                elif parts[-1].lower().endswith(IMAGE_SUFFIXES):
                    scan.images[parts] = member.read()
                else:
                    scan.ignored.append(name)
                bar.update()
    except _READ_ERRORS as exc:
        raise DatasetError(
            f"{path} is corrupt or truncated ({kind} archive: {exc}). Copy or download it "
            "again; if you made it yourself, create it again (e.g. `tar -cJf cifar10.tar.xz "
            "train test`) and check that the command finished."
        ) from exc
    return scan


def _copy(member, target):
    data = member.read()  # a read error is a corrupt archive; a write error is not
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise DatasetError(
            f"could not write {target} ({exc}). Free some disk space or choose another "
            "folder with --dest."
        ) from exc


def _layout_root(paths, archive):
    """The leading folder of ``train/`` and ``test/`` (``()`` if none), or None."""
    if any(len(p) == 3 and p[0] in SPLITS for p in paths):
        return ()
    leads = sorted({p[0] for p in paths if len(p) == 4 and p[1] in SPLITS})
    if len(leads) > 1:
        raise DatasetError(
            f"{archive} holds train/ and test/ folders under several top-level folders "
            f"({', '.join(leads)}). Keep one of them in the archive."
        )
    return (leads[0],) if leads else None


def class_images(scan, archive):
    """Sort the images of a class-folder archive into splits.

    Parameters
    ----------
    scan : Scan
        The result of :func:`scan_archive`.
    archive : pathlib.Path
        The archive, named in error messages.

    Returns
    -------
    dict
        ``{"train": [...], "test": [...]}``, each a list of ``(label, path, member, data)``
        sorted by label then path; ``path`` is relative to the leading folder, such
        as ``"train/cat/0001.jpg"``; ``member`` is the full name in the archive.
    """
    root = _layout_root(list(scan.images), archive)
    if root is None:
        raise DatasetError(_neither_layout_message(scan, archive))
    splits = {split: [] for split in SPLITS}
    unknown = {}  # "train/kitten" -> number of images
    for parts, data in scan.images.items():
        rel = parts[len(root) :]  # ("train", "cat", "0001.jpg")
        if parts[: len(root)] != root or len(rel) != 3 or rel[0] not in SPLITS:
            scan.ignored.append("/".join(parts))
        elif rel[1] not in CIFAR10_CLASSES:
            unknown["/".join(rel[:2])] = unknown.get("/".join(rel[:2]), 0) + 1
        else:
            label = CIFAR10_CLASSES.index(rel[1])
            splits[rel[0]].append((label, "/".join(rel), "/".join(parts), data))
    _check_classes(splits, unknown, archive)
    for items in splits.values():
        items.sort(key=lambda item: item[:2])  # by label, then path
    return splits


def _check_classes(splits, unknown, archive):
    """Raise unless the class folders are CIFAR-10 classes, each with images in both splits."""
    if unknown:
        found = ", ".join(
            f"{name}/ ({n} image{'s' * (n > 1)})" for name, n in sorted(unknown.items())
        )
        raise DatasetError(
            f"{archive} has class folders that are not CIFAR-10 classes: {found}. The class "
            f"folders must be named {', '.join(CIFAR10_CLASSES)}: rename or remove the others."
        )
    for split, items in splits.items():
        present = {label for label, *_ in items}
        missing = [c for i, c in enumerate(CIFAR10_CLASSES) if i not in present]
        if missing:
            raise DatasetError(
                f"{archive} has no images in {split}/ for the classes {', '.join(missing)}. "
                f"Every class needs images in both train/<class>/ and test/<class>/: add "
                f"folders such as {split}/{missing[0]}/ with .png or .jpg images."
            )


def _neither_layout_message(scan, archive):
    seen = sorted(
        {"/".join(split_name(n)[:2]) for n in scan.ignored} | {"/".join(p[:2]) for p in scan.images}
    )
    found = ", ".join(seen[:8]) + (", ..." if len(seen) > 8 else "") if seen else "no files"
    return (
        f"{archive} is neither the official CIFAR-10 release (cifar-10-batches-py/"
        "data_batch_1 ... batches.meta) nor a folder of images train/<class>/*.png and "
        f"test/<class>/*.png (JPEG too); it holds {found}. Download the official "
        "release with `bash get_datasets.sh` (no --from), or rebuild the archive in one "
        "of these layouts."
    )
