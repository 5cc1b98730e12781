"""Folders as bytes: what crosses the network between the coordinator and the workers.

A folder is packed into an uncompressed tar (the dataset and the notebooks' images
do not compress much; the network is faster than gzip) holding regular files and
folders only. Unpacking refuses anything else: an absolute path, ``..``, a link, a
device. The workers are the instructor's machines, but what they send back holds
files a student's code wrote.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path, PurePosixPath


class TransportError(ValueError):
    """A packed folder holds something that is not a plain file or folder."""


def _normalized(info):
    """The same bytes for the same files: no times, owners or permissions of this machine."""
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() or info.mode & 0o100 else 0o644
    return info


def _walk(top):
    """``top`` and, for a folder, everything under it, sorted; links are not followed."""
    yield top
    if not top.is_dir():
        return
    for folder, dirs, files in os.walk(top):  # followlinks=False
        dirs.sort()
        for name in sorted(files) + dirs:
            yield Path(folder) / name


def pack(root, members=None):
    """The folder ``root`` (or only ``members``, paths relative to it) as tar bytes.

    ``root`` may also be a dict ``{name in the tar: folder or file}``, to pack several
    places at once. Links are skipped, not followed: nothing outside is read. The
    bytes depend only on the paths and contents, so equal folders pack equally.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
    ...     _ = (Path(a) / "x").mkdir()
    ...     _ = (Path(a) / "x" / "y.txt").write_text("hi")
    ...     unpack(pack({"copy": a}), b)
    ...     (Path(b) / "copy" / "x" / "y.txt").read_text()
    'hi'
    """
    if isinstance(root, dict):
        places = {name: Path(path) for name, path in root.items()}
    else:
        root = Path(root)
        names = [""] if members is None else members
        places = {name: root / name if name else root for name in names}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, top in places.items():
            if not top.exists() or top.is_symlink():
                continue
            for path in _walk(top):
                if path.is_symlink() or not (path.is_file() or path.is_dir()):
                    continue
                relative = path.relative_to(top).as_posix()
                arcname = "/".join(p for p in (name, relative) if p and p != ".")
                if not arcname:
                    continue
                tar.add(path, arcname=arcname, recursive=False, filter=_normalized)
    return buffer.getvalue()


def _checked(member, dest):
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise TransportError(f"refused a path outside the folder: {member.name!r}")
    if not (member.isfile() or member.isdir()):
        raise TransportError(f"refused {member.name!r}: only plain files and folders are sent")
    return dest.joinpath(*name.parts)


def unpack(data, dest):
    """Write the tar bytes ``data`` into the folder ``dest`` (made if missing).

    Raises
    ------
    TransportError
        For a member that is not a plain file or folder, or whose path leaves ``dest``.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for member in tar:
            target = _checked(member, dest)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            with open(target, "wb") as out:
                while chunk := source.read(2**20):
                    out.write(chunk)
            target.chmod(0o644 | (member.mode & 0o111))
