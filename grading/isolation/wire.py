"""The probe's wire format, and the server that runs in the sandbox with student code.

The hidden checks run in the grader (:mod:`grading.run.probe`); only their calls of the
student's package cross into the sandbox, one message each way. A message is a frame:
two 8-byte lengths (header, blob), a JSON header, then the raw bytes of the numeric
arrays it holds. Values are ``None``, bools, numbers, strings, lists, tuples, dicts,
numeric numpy arrays and scalars, and *handles*: objects that stay in the sandbox
(a model, a module), named by number. Nothing is pickled. :func:`decode` checks every
size, type, shape and depth before it builds anything: the sandbox's side of the
channel is student code's to forge.

This file is standalone (numpy and the standard library only): the sandbox gets its
source text, runs :func:`serve`, and sees no other file of the grader.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import sys

import numpy as np

MAX_HEADER = 1 << 20  # bytes of JSON in one frame
MAX_BLOB = 128 << 20  # bytes of arrays in one frame
MAX_DEPTH = 24
MAX_NODES = 200_000
MAX_TEXT = 10_000  # characters of one string
DTYPE = re.compile(r"^[<>|=]?(b1|[iu][1248]|f[248])$")
FRAME = struct.Struct(">QQ")


class WireError(ValueError):
    """A frame that breaks the format or its limits."""


# ----------------------------------------------------------------------------- encoding


def encode(value, blobs, handle, depth=0):
    """The JSON-able form of ``value``; arrays go to ``blobs`` (a list of bytes).

    ``handle(obj)`` gives the JSON form of anything else (or raises TypeError).
    """
    if depth > MAX_DEPTH:
        raise WireError(f"nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else {"f": repr(value)}
    if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in "biuf":
        array = np.asarray(value)  # tobytes() is in C order whatever the layout
        offset = sum(len(b) for b in blobs)
        blobs.append(array.tobytes())
        form = {"a": [offset, array.nbytes, array.dtype.str, list(array.shape)]}
        if isinstance(value, np.generic):
            form["s"] = 1
        return form
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        items = [encode(v, blobs, handle, depth + 1) for v in value]
        return {"l": items} if isinstance(value, list) else {"t": items}
    if type(value) is dict:
        return {
            "d": [
                [encode(k, blobs, handle, depth + 1), encode(v, blobs, handle, depth + 1)]
                for k, v in value.items()
            ]
        }
    return handle(value)


def frame(message, handle):
    """The bytes of one frame holding ``message``."""
    blobs = []
    header = json.dumps(encode(message, blobs, handle), allow_nan=False).encode()
    blob = b"".join(blobs)
    return FRAME.pack(len(header), len(blob)) + header + blob


# ----------------------------------------------------------------------------- decoding


def check_lengths(header_bytes, blob_bytes):
    if header_bytes > MAX_HEADER:
        raise WireError(f"a message of {header_bytes} bytes (the limit is {MAX_HEADER})")
    if blob_bytes > MAX_BLOB:
        raise WireError(
            f"arrays of {blob_bytes / 2**20:.0f} MB in one answer "
            f"(the limit is {MAX_BLOB >> 20} MB)"
        )


def decode(header, blob, resolve):
    """The value of a frame's ``header`` (bytes) and ``blob``.

    ``resolve(form)`` turns a ``{"h": ...}`` or ``{"i": ...}`` form into an object.
    Raises :class:`WireError` for anything out of the format or its limits.
    """
    try:
        tree = json.loads(header.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise WireError(f"an unreadable message ({type(error).__name__})") from None
    nodes = [0]
    return _decode(tree, blob, resolve, 0, nodes)


def _array(spec, blob, scalar):
    if not (isinstance(spec, list) and len(spec) == 4):
        raise WireError("a malformed array")
    offset, nbytes, dtype, shape = spec
    if not (isinstance(dtype, str) and DTYPE.match(dtype)):
        raise WireError(f"an array of type {str(dtype)[:20]!r} (numbers only)")
    if not (
        isinstance(shape, list)
        and len(shape) <= 32
        and all(type(n) is int and n >= 0 for n in shape)
    ):
        raise WireError("an array of malformed shape")
    dtype = np.dtype(dtype)
    count = math.prod(shape)
    if not (
        type(offset) is int
        and type(nbytes) is int
        and offset >= 0
        and nbytes == count * dtype.itemsize
        and offset + nbytes <= len(blob)
    ):
        raise WireError("an array whose size does not match its shape")
    array = np.frombuffer(blob, dtype=dtype, count=count, offset=offset).reshape(shape).copy()
    return array[()] if scalar else array


def _decode(tree, blob, resolve, depth, nodes):
    nodes[0] += 1
    if depth > MAX_DEPTH or nodes[0] > MAX_NODES:
        raise WireError("a value nested too deep or too large")
    if tree is None or isinstance(tree, (bool, int, float)):
        return tree
    if isinstance(tree, str):
        if len(tree) > MAX_TEXT:
            raise WireError(f"a string of {len(tree)} characters (the limit is {MAX_TEXT})")
        return tree.encode("utf-8", "replace").decode("utf-8")  # no lone surrogates
    if not (isinstance(tree, dict) and tree):
        raise WireError("a malformed value")
    if "a" in tree:
        return _array(tree["a"], blob, "s" in tree)
    if set(tree) == {"f"} and tree["f"] in ("nan", "inf", "-inf"):
        return float(tree["f"])
    if len(tree) != 1:
        raise WireError("a malformed value")
    ((tag, body),) = tree.items()
    if tag in ("l", "t") and isinstance(body, list):
        items = [_decode(v, blob, resolve, depth + 1, nodes) for v in body]
        return items if tag == "l" else tuple(items)
    if tag == "d" and isinstance(body, list):
        out = {}
        for pair in body:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise WireError("a malformed dict")
            key = _decode(pair[0], blob, resolve, depth + 1, nodes)
            try:
                out[key] = _decode(pair[1], blob, resolve, depth + 1, nodes)
            except TypeError:
                raise WireError("a dict key that is not hashable") from None
        return out
    if tag in ("h", "i"):
        return resolve(tree)
    raise WireError("a malformed value")


def read_exactly(read, n):
    """``n`` bytes from ``read(k)``; None at end of file."""
    chunks, left = [], n
    while left:
        chunk = read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ----------------------------------------------------------------------------- the server


def serve(inputs_dir, channel_in=0, channel_out=1):
    """Answer the grader's requests until it closes the channel (in the sandbox).

    Student prints go to stderr: stdout is the channel. Every request gets one answer,
    ``{"ok": value}`` or ``{"error": "Type: message"}``.
    """
    import importlib

    channel_in, channel_out = os.dup(channel_in), os.dup(channel_out)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    sys.path.insert(0, os.getcwd())  # the student's package, before anything else
    objects, inputs = {}, {}

    def handle(obj):
        objects[id(obj)] = obj
        return {"h": id(obj)}

    def resolve(form):
        if "h" in form:
            return objects[form["h"]]
        name = form["i"]
        if name not in inputs:
            if not re.match(r"^[A-Za-z0-9_]+$", name):
                raise WireError(f"no input named {name!r}")
            inputs[name] = np.load(
                os.path.join(inputs_dir, f"{name}.npy"), mmap_mode="r", allow_pickle=False
            )
        return inputs[name]

    def answer(request):
        op = request.get("op")
        if op == "import":
            return importlib.import_module(request["module"])
        target = request["target"]
        if op == "getattr":
            return getattr(target, request["name"])
        if op == "setattr":
            setattr(target, request["name"], request["value"])
            return None
        if op == "call":
            return target(*request["args"], **request["kwargs"])
        if op == "isinstance":
            return isinstance(target, request["cls"])
        raise WireError(f"unknown request {op!r}")

    reader = os.fdopen(channel_in, "rb", buffering=0)
    while True:
        head = read_exactly(reader.read, FRAME.size)
        if head is None:
            return
        sizes = FRAME.unpack(head)
        body = read_exactly(reader.read, sizes[0] + sizes[1])
        if body is None:
            return
        try:
            request = decode(body[: sizes[0]], body[sizes[0] :], resolve)
            reply = {"ok": answer(request)}
            out = frame(reply, handle)
        except BaseException as error:  # the student's exception, reported, not raised
            text = f"{type(error).__name__}: {error}"[:2000]
            out = frame({"error": text}, handle)
        view = memoryview(out)
        while view:
            view = view[os.write(channel_out, view) :]


if __name__ == "__main__":
    serve(sys.argv[1])
