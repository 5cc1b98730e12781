"""Build CIFAR-10 in the official ``cifar-10-batches-py`` layout (used by ``get_datasets.sh``).

Without an archive, the official release is downloaded and checked against its
MD5. With ``--from ARCHIVE``, the archive is either that release or class folders
of 32x32 images (``train/<class>/*.png``, ``test/<class>/*.jpg``), which are
converted into batches that :func:`cs231n_lib.datasets.load_cifar10` reads like the
official ones. The result appears all at once: it is built in a hidden temporary
folder next to it, and a failed or interrupted run leaves nothing behind.

Examples
--------
>>> from cs231n_lib.datasets import build_dataset
>>> folder = build_dataset("datasets", source="cifar10-jpeg.tar.xz")  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading
from contextlib import contextmanager, suppress
from pathlib import Path

from ._archive import OFFICIAL_FILES, DatasetError, class_images, scan_archive
from ._convert import SHUFFLE_SEED, convert
from ._official import OFFICIAL_MD5, OFFICIAL_URL, check_official, local_or_downloaded
from .cifar10 import BATCHES_FOLDER, CIFAR10_CLASSES, default_data_dir

__all__ = [
    "OFFICIAL_MD5",
    "OFFICIAL_URL",
    "SHUFFLE_SEED",
    "DatasetError",
    "Terminated",
    "build_dataset",
    "main",
]

_PARTIAL_PREFIX = f".{BATCHES_FOLDER}.partial-"


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so that clean-up code runs as for Ctrl-C."""


def _log(message):
    print(message, flush=True)  # flushed: step lines and progress bars interleave in order


def build_dataset(
    dest=None, source=None, url=OFFICIAL_URL, md5=OFFICIAL_MD5, progress=True, *, jobs=None
):
    """Build ``cifar-10-batches-py/`` in ``dest``, from ``source`` or by downloading.

    Parameters
    ----------
    dest : str or path-like, optional
        The data directory; defaults to :func:`cs231n_lib.datasets.default_data_dir`
        (``$CS231N_DATA_DIR``, else ``datasets/`` in the project).
    source : str or path-like, optional
        A local archive: the official ``cifar-10-python.tar.gz``, or an archive
        (.tar, .tar.gz, .tgz, .tar.xz, .zip) of ``train/<class>/`` and
        ``test/<class>/`` folders of 32x32 PNG or JPEG images. Without it,
        ``url`` is downloaded.
    url : str
        Where to download the official release from.
    md5 : str or None
        The expected MD5 of the download or of an official-layout ``source``;
        None or ``""`` skips the check.
    progress : bool, default=True
        Show progress bars (on stderr).
    jobs : int, optional
        Processes that decode images; default all cores (one for small archives).

    Returns
    -------
    pathlib.Path
        ``dest / "cifar-10-batches-py"``.

    Raises
    ------
    DatasetError
        If the dataset cannot be built; the message says why and how to fix it.
    """
    dest = default_data_dir() if dest is None else Path(dest).expanduser()
    final = dest / BATCHES_FOLDER
    if _already_built(final):
        _log(f"CIFAR-10 is already present in {final}; nothing to do.")
        return final
    source = None if source is None else _check_source(Path(source).expanduser())
    with _sigterm_raises(), _staging(dest) as tmp:
        with local_or_downloaded(source, url, md5, dest, progress) as (archive, expected_md5):
            counts = _fill(tmp, archive, expected_md5, progress, jobs)
        _move_into_place(tmp, final)
    _log(f"Done: {final}")
    for split, per_class in counts.items():
        pairs = zip(CIFAR10_CLASSES, per_class, strict=True)
        _log(f"  {split}: " + ", ".join(f"{name} {n}" for name, n in pairs))
    return final


def _already_built(final):
    """True if all seven files are in ``final``; raise if only some are."""
    if not final.exists():
        return False
    missing = [name for name in OFFICIAL_FILES if not (final / name).is_file()]
    if missing:
        raise DatasetError(
            f"{final} exists but is incomplete: {', '.join(missing)} missing. Delete the "
            f"folder (rm -r {shlex.quote(str(final))}) and run `bash get_datasets.sh` again."
        )
    return True


def _check_source(source):
    if not source.is_file():
        what = "is a folder" if source.is_dir() else "does not exist"
        raise DatasetError(
            f"--from {source}: the file {what}. Pass the path of an archive (such as "
            "cifar-10-python.tar.gz or cifar10-jpeg.tar.xz), or leave out --from to download "
            "the official release."
        )
    return source


def _move_into_place(tmp, final):
    """Rename the finished ``tmp`` folder to ``final`` in one step."""
    tmp.chmod(_folder_mode())  # mkdtemp made it private (0o700)
    try:
        os.replace(tmp, final)
    except OSError as exc:  # e.g. another run finished first
        raise DatasetError(
            f"could not rename {tmp} to {final} ({exc}). If another run of get_datasets.sh "
            "built it meanwhile, there is nothing to do; otherwise delete it and run again."
        ) from exc


def _folder_mode():
    """The permissions of a new folder under the current umask, e.g. 0o755."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


@contextmanager
def _sigterm_raises():
    """Turn SIGTERM into :class:`Terminated` while building (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated("terminated by SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@contextmanager
def _staging(dest):
    """Yield a hidden temporary folder in ``dest``; remove it (and new empty folders) after."""
    created = [p for p in (dest, *dest.parents) if not p.exists()]  # deepest first
    try:
        dest.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_PARTIAL_PREFIX, dir=dest))
    except OSError as exc:
        raise DatasetError(
            f"cannot create a folder in {dest} ({exc}). Choose a folder you can write to "
            "with --dest DIR (or the environment variable CS231N_DATA_DIR)."
        ) from exc
    for stale in sorted(dest.glob(_PARTIAL_PREFIX + "*")):
        if stale != tmp:
            print(
                f"warning: {stale} was left by a run that was killed; delete it.", file=sys.stderr
            )
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already after a successful rename
        for folder in created:
            with suppress(OSError):
                folder.rmdir()  # only succeeds if the failed run left it empty


def _fill(folder, archive, md5, progress, jobs):
    """Put the seven files into ``folder``; return the image counts per split and class."""
    _log(f"Reading {archive} ...")
    scan = scan_archive(archive, folder, progress)
    if scan.official:
        return check_official(folder, scan, archive, md5)
    splits = class_images(scan, archive)
    if scan.ignored:
        print(
            f"warning: ignored {len(scan.ignored)} files of {archive} that are not images "
            f"in train/<class>/ or test/<class>/, such as {scan.ignored[0]}",
            file=sys.stderr,
        )
    return convert(folder, splits, archive, progress, jobs)


_EPILOG = """\
examples:
  bash get_datasets.sh
      download the official release into datasets/ (or $CS231N_DATA_DIR)
  bash get_datasets.sh --from ~/Downloads/cifar-10-python.tar.gz
      use a copy of the official release you downloaded by hand
  bash get_datasets.sh --from cifar10-jpeg.tar.xz --dest /tmp/data
      convert an archive of train/<class>/*.jpg and test/<class>/*.jpg images

The result is DIR/cifar-10-batches-py/ (data_batch_1 .. data_batch_5, test_batch,
batches.meta), read by cs231n_lib.datasets.load_cifar10. If it is already complete,
nothing is done. A failed or interrupted run leaves nothing behind.

Class-folder archives (.tar, .tar.gz, .tgz, .tar.xz or .zip, possibly inside one
leading folder) hold 32x32 PNG or JPEG images in train/<class>/ and test/<class>/,
with <class> one of:
  {classes}
Hidden files and __MACOSX/ are ignored. The images are shuffled with a fixed seed,
so the same archive always gives the same batches.
"""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog="get_datasets.sh",
        description="Get CIFAR-10 in the official cifar-10-batches-py/ layout: download the\n"
        "official release (checked against its MD5), or build it from a local archive.",
        epilog=_EPILOG.format(classes=", ".join(CIFAR10_CLASSES)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--from",
        dest="source",
        metavar="ARCHIVE",
        help="build from this archive instead of downloading: the official "
        "cifar-10-python.tar.gz, or class folders of images (see below)",
    )
    parser.add_argument(
        "--dest",
        metavar="DIR",
        help="where to put cifar-10-batches-py/ (default: $CS231N_DATA_DIR if "
        f"set, else the project's datasets/; now {default_data_dir()})",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bars (the short step lines and errors remain)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="processes that decode images (default: all cores)",
    )
    advanced = parser.add_argument_group("advanced options (mirrors and tests)")
    advanced.add_argument(
        "--url", default=OFFICIAL_URL, help="download from this URL (default: %(default)s)"
    )
    advanced.add_argument(
        "--md5",
        default=OFFICIAL_MD5,
        help="expected MD5 of the download or of an official-layout "
        "--from archive; '' skips the check (default: %(default)s)",
    )
    return parser


def main(argv=None):
    """Run ``get_datasets.sh``: parse ``argv``, build, report errors; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        build_dataset(args.dest, args.source, args.url, args.md5, not args.quiet, jobs=args.jobs)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        how = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(
            f"error: {how}; the partial download and build were removed. Run the command "
            "again to start over.",
            file=sys.stderr,
        )
        return 143 if isinstance(exc, Terminated) else 130
    return 0
