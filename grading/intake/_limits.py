"""How much a hand-in may unpack to, and the copying that keeps to it.

One set of limits for everything intake writes: a student's zip or folder unpacked by
:func:`~grading.intake.unpack.prepare`, and each attempt of an LMS download copied by
:class:`~grading.intake._tree.Tree`. A whole submission with plots in its notebooks is
a few MB; these stop a zip bomb (or a folder holding a disk image) long before it
fills a disk:

- sizes are counted as bytes are written, not as the zip declares them;
- a member is refused before a byte of it is written when its declared size does not
  fit, or when it is compressed more than :data:`MAX_RATIO` times;
- a file of a folder is opened without following links, and refused when it is not a
  regular file or has other names (a hard link: perhaps another student's file).

A refused file is a sentence for the report (:func:`left_out`), never an exception,
and never a partial file left behind.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

MAX_UNPACKED = 300 * 2**20  # bytes one submission (or one attempt) may unpack to
MAX_MEMBERS = 5000  # files in one submission's zip or folder
MAX_DEPTH = 12  # folder levels inside one submission
MAX_RATIO = 200  # uncompressed / compressed, for members over RATIO_FROM bytes
RATIO_FROM = 2**20
MAX_NOTEBOOK = 50 * 2**20  # one notebook (outputs with plots included)
MAX_SOURCE = 2**20  # one package .py file, or another small file of the release
MAX_JSON_DEPTH = 100  # nesting in a notebook's JSON (Jupyter writes fewer than 10)
# An LMS download holds a whole class: its listing may be longer, and its paths deeper
# by the wrapper folders and the student's folder.
MAX_DOWNLOAD_MEMBERS = 200_000
DOWNLOAD_EXTRA_DEPTH = 4
BLOCK = 2**20


@dataclass(frozen=True)
class Limits:
    """What one submission may unpack to.

    Parameters
    ----------
    unpacked : int
        Bytes, all files together, counted as written.
    members : int
        Files (zip members, or files of a folder).
    depth : int
        Folder levels below the submission's top.
    ratio : float
        Largest uncompressed / compressed size of a zip member over ``RATIO_FROM`` bytes.
    notebook, source : int
        Largest notebook; largest package ``.py`` file or other file of the release.
    """

    unpacked: int = MAX_UNPACKED
    members: int = MAX_MEMBERS
    depth: int = MAX_DEPTH
    ratio: float = MAX_RATIO
    notebook: int = MAX_NOTEBOOK
    source: int = MAX_SOURCE


def size_text(size):
    """``"1.0 GiB"``, ``"12.5 KiB"``, ``"80 bytes"``."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def limit_text(size):
    """A limit in whole MB (``"300 MB"``)."""
    return f"{size // 2**20} MB" if size >= 2**20 else size_text(size)


def left_out(name, size, reason):
    """The report's line for a file not copied: ``left out: big.bin (1.0 GiB), <reason>``."""
    return f"left out: {str(name)[:120]} ({size_text(size)}), {reason}"


def ratio_problem(size, compressed, limits):
    """Why a zip member compressed that much is refused, or ''."""
    ratio = size / max(compressed, 1)
    if size > RATIO_FROM and ratio > limits.ratio:
        return f"compressed {ratio:.0f} times (a zip bomb?), more than {limits.ratio:g}"
    return ""


class Budget:
    """What one submission may still unpack to; spent as files are written.

    ``stopped`` is set (to the problem said) once the bytes ran out while writing:
    nothing more is copied after that.
    """

    def __init__(self, limits, what="submission"):
        self.limits, self.what = limits, what
        self.bytes_left, self.files_left = limits.unpacked, limits.members
        self.stopped = ""

    def admit(self, size, compressed=None):
        """Why a file of declared ``size`` may not be copied now, or ''."""
        if self.stopped:
            return f"not copied: {self.stopped}"
        if self.files_left <= 0:
            return f"more than the {self.limits.members} files a {self.what} may have"
        if compressed is not None and (problem := ratio_problem(size, compressed, self.limits)):
            return problem
        if size > self.bytes_left:
            return f"the {self.what} would unpack to more than {limit_text(self.limits.unpacked)}"
        return ""

    def copy(self, src, target, name):
        """Copy the open file ``src`` to ``target``, counting; return a problem or ''."""
        self.files_left -= 1
        with open(target, "xb") as dst:  # never through a link, never over a file
            while block := src.read(BLOCK):  # declared sizes can lie: count what comes
                self.bytes_left -= len(block)
                if self.bytes_left < 0:
                    self.stopped = (
                        f"the {self.what} unpacks to more than "
                        f"{limit_text(self.limits.unpacked)}: unpacking "
                        f"stopped at {str(name)[:120]!r}"
                    )
                    break
                dst.write(block)
        if self.stopped:
            os.unlink(target)
            return self.stopped
        return ""


class LinkRefused(OSError):
    """A file that is a link (symbolic or hard) or not a regular file: never copied."""


def link_problem(info):
    """Why a file with ``os.lstat`` result ``info`` is not copied, or ''."""
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link, never followed"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_nlink > 1:
        return (
            f"a hard link (the same file as {info.st_nlink - 1} other name(s), "
            "perhaps another student's)"
        )
    return ""


def open_regular(path):
    """``path`` opened for reading, or :class:`LinkRefused` when it is a link or special.

    The checks are made on the file opened (``O_NOFOLLOW``, then ``fstat``), so a
    file swapped for a link after the listing is refused too.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if os.path.islink(path):
            raise LinkRefused("a symbolic link, never followed") from error
        raise
    problem = link_problem(os.fstat(fd))
    if problem:
        os.close(fd)
        raise LinkRefused(problem)
    return os.fdopen(fd, "rb")
