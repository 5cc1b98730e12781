"""A file tree read in place: a folder, or a zip file never unpacked whole.

:class:`Tree` lists the regular files of an LMS download (or of one student's
submission) with their paths split into parts, and copies one file at a time to where
the reader puts it, within the limits of :mod:`~grading.intake._limits`. Whatever it
holds, nothing is ever written outside the reader's folder:

- a member whose path is absolute or holds ``..`` is skipped, with a problem;
- a symbolic link (in a folder, or a zip member with the link mode bits), a hard link
  (a file of a folder with more than one name: perhaps another student's file) and
  anything not a regular file are skipped, with a problem, and never followed;
- a path more than ``depth`` folders deep is skipped, with a problem; a tree of more
  files than a download (or a submission) may hold is refused whole;
- ``__MACOSX/`` resource forks, ``.DS_Store`` files and :data:`DROPPED` folders
  (datasets, caches, checkpoints, virtual environments) are skipped silently;
- names are read in Unicode's composed form (NFC), whatever the zip or disk stored.
  Zip files store no hard links.

In a download, folders that wrap the whole download (``submissions/``, Gradescope's
``assignment_123_export/``) are looked through: entry paths start below them.
"""

from __future__ import annotations

import os
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from ..coursedir import NOTEBOOKS, PACKAGE
from ._limits import (
    DOWNLOAD_EXTRA_DEPTH,
    MAX_DOWNLOAD_MEMBERS,
    MAX_NOTEBOOK,
    Budget,
    Limits,
    LinkRefused,
    left_out,
    limit_text,
    link_problem,
    open_regular,
    ratio_problem,
    size_text,
)

ASSIGNMENT_NAMES = {f"{nb}.ipynb" for nb in NOTEBOOKS} | {PACKAGE}
JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}
# Folders never graded nor kept: the dataset, caches, checkpoints, environments.
DROPPED = {
    "datasets",
    "__pycache__",
    ".ipynb_checkpoints",
    "__MACOSX",
    ".git",
    ".venv",
    ".cs231n_facts",
}
SKIPPED = JUNK | DROPPED  # silently


def is_skipped(parts):
    """Whether a path (its ``parts``) lies in a skipped folder or is junk.

    ``datasets`` is the data folder beside the notebooks, but also the package
    ``cs231n_lib/datasets/`` that students submit: a ``datasets`` folder right below
    ``cs231n_lib`` is kept.
    """
    return any(
        part in SKIPPED and not (part == "datasets" and i and parts[i - 1] == PACKAGE)
        for i, part in enumerate(parts)
    )


COPY_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)


class BadDownload(ValueError):
    """The tree cannot be read: a corrupt or truncated zip file, or far too many files."""


@dataclass(frozen=True)
class Entry:
    """One regular file of a download.

    ``parts`` is its path below the wrapper folders; ``stamp`` is the zip member's
    ``date_time`` (a naive local time, as zip files store it) or the file's mtime.
    """

    parts: tuple[str, ...]
    size: int
    stamp: tuple | float
    member: zipfile.ZipInfo | None = None  # set for zip members
    path: Path | None = None  # set for files of a folder

    @property
    def name(self):
        return "/".join(self.parts)


class Tree:
    """The files of ``path`` (a folder or a .zip file).

    Parameters
    ----------
    path : str or Path
        A download as the LMS delivered it (a .zip file) or as unzipped by hand; or,
        with ``what="submission"``, one student's folder or zip.
    limits : Limits or None
        The limits of one submission (one attempt of a download); None: the defaults.
    what : {"download", "submission"}
        A download holds a class: up to ``MAX_DOWNLOAD_MEMBERS`` files, paths
        ``DOWNLOAD_EXTRA_DEPTH`` levels deeper, wrapper folders looked through. A
        submission holds ``limits.members`` files, ``limits.depth`` levels deep.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    BadDownload
        When ``path`` is a file that is not a readable zip file, or holds more files
        than it may.
    """

    def __init__(self, path, limits=None, what="download"):
        self.path = Path(path)
        self.limits, self.what = limits or Limits(), what
        download = what == "download"
        self.max_members = MAX_DOWNLOAD_MEMBERS if download else self.limits.members
        self.max_depth = self.limits.depth + (DOWNLOAD_EXTRA_DEPTH if download else 0)
        self.problems: list[str] = []
        self._zip = None
        if self.path.is_dir():
            raw = list(self._walk_folder())
        elif self.path.is_file():
            raw = self._open_zip()
        else:
            raise FileNotFoundError(
                f"Expected an LMS download (a .zip file or the folder it was unzipped to), "
                f"got {self.path}, which does not exist."
            )
        self.prefix, self.entries = _strip_wrappers(raw) if download else ((), raw)

    def _open_zip(self):
        try:
            self._zip = zipfile.ZipFile(self.path)
            count = len(self._zip.infolist())
            if count <= self.max_members:
                return list(self._walk_zip())
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            self.close()
            hint = (
                ": download it again from the LMS, or pass the folder it was unzipped to"
                if self.what == "download"
                else ""
            )
            raise BadDownload(
                f"{self.path.name} is not a readable zip file ({error}){hint}"
            ) from error
        self.close()
        raise BadDownload(self._too_many(f"{count} files, more than the"))

    def _too_many(self, count):
        return (
            f"{self.path.name} holds {count} {self.max_members} files a {self.what} may "
            "have: nothing unpacked"
        )

    @property
    def is_zip(self):
        return self._zip is not None

    def close(self):
        if self._zip is not None:
            self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _open(self, entry):
        if entry.member is not None:
            return self._zip.open(entry.member)
        return open_regular(entry.path)

    def copy(self, entry, target, budget=None):
        """Copy ``entry`` to ``target`` (a path the caller made safe); return a problem or ''.

        ``budget`` is what the submission (or attempt) ``entry`` belongs to may still
        unpack to; None: the limits of one submission, for this file alone.
        """
        budget = budget or Budget(self.limits)
        compressed = entry.member.compress_size if entry.member is not None else None
        reason = budget.admit(entry.size, compressed)
        if reason:
            return left_out(entry.name, entry.size, reason)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with self._open(entry) as src:
                return budget.copy(src, target, entry.name)
        except FileExistsError:
            return f"left out {entry.name}: a file of that name is already there"
        except LinkRefused as error:
            return left_out(entry.name, entry.size, str(error))
        except COPY_ERRORS as error:
            target.unlink(missing_ok=True)
            return f"could not read {entry.name} from the {self.what} ({error}): left out"

    def read_bytes(self, entry, limit=MAX_NOTEBOOK):
        """The content of ``entry`` (for small metadata files).

        Raises
        ------
        ValueError
            When ``entry`` is larger than ``limit`` bytes, compressed like a zip bomb,
            or cannot be read.
        """
        compressed = entry.member.compress_size if entry.member is not None else None
        why = ratio_problem(entry.size, compressed, self.limits) if compressed else ""
        if entry.size > limit or why:
            why = why or f"more than the {limit_text(limit)} it may be"
            raise ValueError(f"{entry.name} is {size_text(entry.size)}, {why}")
        try:
            with self._open(entry) as src:
                data = src.read(limit + 1)
        except COPY_ERRORS as error:
            raise ValueError(f"could not read {entry.name} ({error})") from error
        if len(data) > limit:
            raise ValueError(f"{entry.name} is more than the {limit_text(limit)} it may be")
        return data

    def file_time(self, entry, tz):
        """When ``entry`` was last modified, as an aware datetime in ``tz``.

        Zip members store a naive local time: it is read as a time in ``tz``. A file's
        mtime is an instant, shown in ``tz``.
        """
        if isinstance(entry.stamp, tuple):
            return datetime(*entry.stamp, tzinfo=tz)
        return datetime.fromtimestamp(entry.stamp, tz=timezone.utc).astimezone(tz)

    def _skip(self, parts, why):
        self.problems.append(f"skipped {'/'.join(parts)}: {why}")

    def _walk_folder(self):
        count = 0
        errors = []
        for folder, dirs, files in os.walk(self.path, onerror=errors.append):
            here = Path(folder)
            rel = here.relative_to(self.path).parts
            for d in sorted(dirs):
                skipped = is_skipped((*rel, d))
                why = "" if skipped else _link_or_depth(here / d, rel, self.max_depth)
                if skipped or why:
                    dirs.remove(d)
                if why:
                    self._skip((*rel, d), why)
            dirs.sort()
            for name in sorted(files):
                if name in JUNK:
                    continue
                try:
                    info = os.lstat(here / name)
                except OSError as error:
                    self._skip((*rel, name), f"not readable ({error.strerror})")
                    continue
                why = link_problem(info)
                if why:
                    self._skip((*rel, name), why)
                    continue
                count += 1
                if count > self.max_members:
                    raise BadDownload(self._too_many("more than the"))
                yield Entry(_nfc((*rel, name)), info.st_size, info.st_mtime, path=here / name)
        for error in errors:
            self.problems.append(
                f"could not read {getattr(error, 'filename', '')}: "
                f"{error.strerror or error}: skipped"
            )

    def _walk_zip(self):
        for info in self._zip.infolist():
            name = _decode_name(info)
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if info.is_dir() or not parts:
                continue
            if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
                self.problems.append(f"skipped {name!r}: a path outside the {self.what}")
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                self._skip(parts, "a symbolic link, never followed")
                continue
            if is_skipped(parts):
                continue
            if len(parts) - 1 > self.max_depth:
                self.problems.append(
                    f"skipped {name[:120]!r}: more than {self.max_depth} folders deep"
                )
                continue
            yield Entry(_nfc(parts), info.file_size, info.date_time, member=info)


def _link_or_depth(path, rel, max_depth):
    """Why the folder ``path`` (below ``rel``) is not walked into, or ''."""
    if path.is_symlink():
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return f"a symbolic link (to {target}), never followed: not read"
    if len(rel) + 1 > max_depth:
        return f"more than {max_depth} folders deep: not read"
    return ""


def _nfc(parts):
    """Names in composed form: macOS writes "Zoë" decomposed, rosters do not."""
    return tuple(unicodedata.normalize("NFC", p) for p in parts)


def _decode_name(info):
    """The member's name; names stored without the UTF-8 flag are tried as UTF-8 first."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def looks_like_assignment(names):
    """Whether a folder holding ``names`` is one student's assignment folder."""
    return bool(set(names) & ASSIGNMENT_NAMES)


def _strip_wrappers(entries, max_depth=3):
    """Drop folders that wrap every entry (and hold no assignment files themselves)."""
    prefix = ()
    for _ in range(max_depth):
        tops = {e.parts[0] for e in entries}
        if len(tops) != 1 or any(len(e.parts) < 2 for e in entries):
            break
        below = {e.parts[1] for e in entries}
        if looks_like_assignment(below):
            break
        prefix += (tops.pop(),)
        entries = [Entry(e.parts[1:], e.size, e.stamp, e.member, e.path) for e in entries]
    return prefix, entries
