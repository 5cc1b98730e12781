"""A downloaded file tree, read in place: a folder, or a zip file never unpacked whole.

:class:`Tree` lists the regular files of a download with their paths split into parts,
and copies one file at a time to where the reader puts it. Whatever a download holds,
nothing is ever written outside the reader's staging folder:

- a member whose path is absolute or holds ``..`` is skipped, with a problem;
- a symbolic link (in a folder, or a zip member with the link mode bits) is skipped,
  with a problem, and never followed;
- ``__MACOSX/`` resource forks and ``.DS_Store`` files are skipped silently;
- names are read in Unicode's composed form (NFC), whatever the zip or disk stored.

Folders that wrap the whole download (``submissions/``, Gradescope's
``assignment_123_export/``) are looked through: entry paths start below them.
"""

from __future__ import annotations

import os
import shutil
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from ..coursedir import NOTEBOOKS, PACKAGE

ASSIGNMENT_NAMES = {f"{nb}.ipynb" for nb in NOTEBOOKS} | {PACKAGE}
JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}
COPY_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)


class BadDownload(ValueError):
    """The download itself cannot be read (a corrupt or truncated zip file)."""


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
        A download as the LMS delivered it (a .zip file) or as unzipped by hand.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    BadDownload
        When ``path`` is a file that is not a readable zip file.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.problems: list[str] = []
        self._zip = None
        if self.path.is_dir():
            raw = list(self._walk_folder())
        elif self.path.is_file():
            try:
                self._zip = zipfile.ZipFile(self.path)
                raw = list(self._walk_zip())
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                raise BadDownload(
                    f"{self.path.name} is not a readable zip file ({error}): download it "
                    "again from the LMS, or pass the folder it was unzipped to"
                ) from error
        else:
            raise FileNotFoundError(
                f"Expected an LMS download (a .zip file or the folder it was unzipped to), "
                f"got {self.path}, which does not exist."
            )
        self.prefix, self.entries = _strip_wrappers(raw)

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

    def copy(self, entry, target):
        """Copy ``entry`` to ``target`` (a path the caller made safe); return a problem or ''."""
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if entry.member is not None:
                with self._zip.open(entry.member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            else:
                shutil.copyfile(entry.path, target, follow_symlinks=False)
        except COPY_ERRORS as error:
            target.unlink(missing_ok=True)
            return f"could not read {entry.name} from the download ({error}): left out"
        return ""

    def read_bytes(self, entry):
        """The content of ``entry`` (for small metadata files)."""
        if entry.member is not None:
            return self._zip.read(entry.member)
        return entry.path.read_bytes()

    def file_time(self, entry, tz):
        """When ``entry`` was last modified, as an aware datetime in ``tz``.

        Zip members store a naive local time: it is read as a time in ``tz``. A file's
        mtime is an instant, shown in ``tz``.
        """
        if isinstance(entry.stamp, tuple):
            return datetime(*entry.stamp, tzinfo=tz)
        return datetime.fromtimestamp(entry.stamp, tz=timezone.utc).astimezone(tz)

    def _walk_folder(self):
        for folder, dirs, files in os.walk(self.path):
            here = Path(folder)
            rel = here.relative_to(self.path).parts
            for d in list(dirs):
                if (here / d).is_symlink():
                    self.problems.append(f"skipped {'/'.join((*rel, d))}: a symbolic link")
                    dirs.remove(d)
                elif d in JUNK:
                    dirs.remove(d)
            dirs.sort()
            for name in sorted(files):
                path = here / name
                if name in JUNK:
                    continue
                if path.is_symlink() or not path.is_file():
                    self.problems.append(f"skipped {'/'.join((*rel, name))}: a symbolic link "
                                         "or not a regular file")
                    continue
                info = path.stat()
                yield Entry(_nfc((*rel, name)), info.st_size, info.st_mtime, path=path)

    def _walk_zip(self):
        for info in self._zip.infolist():
            name = _decode_name(info)
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if info.is_dir() or not parts:
                continue
            if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or \
                    ".." in parts:
                self.problems.append(f"skipped {name!r}: a path outside the download")
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                self.problems.append(f"skipped {name}: a symbolic link")
                continue
            if any(p in JUNK for p in parts):
                continue
            yield Entry(_nfc(parts), info.file_size, info.date_time, member=info)


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
