"""Run the hidden checks on a student's package, whose code runs only in the sandbox.

The checks (:mod:`grading.run.checks`) run here, in the grader: their inputs, their
code and the reference outputs never enter a process with student code. What crosses
is each call of the student's package: :class:`RemoteLib` stands for the package, and
every attribute read, assignment or call on it (or on an object it returned) is one
request to :func:`grading.isolation.wire.serve`, running in the sandbox with the
package, the class's probe inputs (read-only) and nothing else of the grader. Answers
are plain values (numbers, strings, numeric arrays, lists, tuples, dicts) or handles of
objects that stay in the sandbox (:class:`Remote`); they are read within size limits
(:mod:`grading.isolation.wire`), never unpickled.

:class:`Lib`, :func:`input_loader` and :func:`run_checks` run checks in this process,
on the instructor's own package: that is how the reference outputs are made.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import numpy as np

from .. import isolation
from ..isolation import wire

MAX_MESSAGE = 200  # characters of an exception's text that reach the feedback
PACKAGE = "cs231n_lib"
MODULES = {
    "classifiers": "cs231n_lib.classifiers",
    "cross_validation": "cs231n_lib.cross_validation",
    "features": "cs231n_lib.features",
}


def plain_message(text, limit=MAX_MESSAGE):
    """A short, plain line from an exception's text: control characters out, cut short."""
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    text = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------- in process


class Lib:
    """The package's modules in this process, imported on first use (the references)."""

    MODULES: ClassVar[dict] = MODULES

    def __getattr__(self, name):
        if name not in self.MODULES:
            raise AttributeError(name)
        return importlib.import_module(self.MODULES[name])


def input_loader(inputs_dir):
    """``inputs(name)``: the class's probe input ``name``.npy, read-only, no pickles."""
    inputs_dir = Path(inputs_dir) if inputs_dir else None

    def inputs(name):
        if inputs_dir is None:
            raise FileNotFoundError(f"this check needs the probe input {name!r}")
        return np.load(inputs_dir / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    return inputs


def run_checks(checks, out, lib, inputs):
    """Run ``checks`` in this process; save outputs and status in ``out``; never raises."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for check in checks:
        try:
            outputs = check.run(lib, inputs)
            for key, value in outputs.items():
                np.save(out / f"{check.key}.{key}.npy", np.asarray(value), allow_pickle=False)
            status = {"ok": True}
        except BaseException as error:
            status = {"error": plain_message(f"{type(error).__name__}: {error}", 500)}
        (out / f"{check.key}.json").write_text(json.dumps(status))


# ----------------------------------------------------------------------------- remote


class StudentError(Exception):
    """The student's code raised; the message is short and plain."""


class ProbeGone(Exception):
    """The sandboxed process ended, broke the wire format, or ran past its time."""


class Remote:
    """An object of the student's that stays in the sandbox: reads, sets and calls go there.

    Special names (``__array_interface__`` and the like) are refused: numpy, asking
    for them, must not get a student's answer.
    """

    __slots__ = ("_id", "_server")

    def __init__(self, server, ident):
        object.__setattr__(self, "_server", server)
        object.__setattr__(self, "_id", ident)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._server.request({"op": "getattr", "target": self, "name": name})

    def __setattr__(self, name, value):
        self._server.request({"op": "setattr", "target": self, "name": name, "value": value})

    def __call__(self, *args, **kwargs):
        return self._server.request(
            {"op": "call", "target": self, "args": list(args), "kwargs": kwargs}
        )

    def __instancecheck__(self, obj):
        """``isinstance(x, lib.classifiers.LinearSVM)``, answered by the sandbox."""
        return bool(self._server.request({"op": "isinstance", "target": obj, "cls": self}))

    def __repr__(self):
        return "<an object of the submission>"


class Inputs:
    """``inputs(name)`` for checks run through a server: the array, known by name.

    The array is loaded here too (a check may read its shape); passed as it is to the
    student's code, it crosses by name and the sandbox loads its own read-only copy.
    """

    def __init__(self, inputs_dir):
        self.dir = Path(inputs_dir) if inputs_dir else None
        self._load, self._names = input_loader(self.dir), {}

    def __call__(self, name):
        array = self._load(name)
        self._names[id(array)] = (name, array)  # kept alive: ids stay unique
        return array

    def name_of(self, value):
        found = self._names.get(id(value))
        return found[0] if found is not None and found[1] is value else None


class Server:
    """One sandboxed :func:`~grading.isolation.wire.serve` process; requests with a deadline."""

    def __init__(self, package, scratch, inputs, limits, env=None):
        self.inputs = inputs
        self.deadline = None
        scratch = Path(scratch)
        scratch.mkdir(parents=True, exist_ok=True)
        if package.is_dir():
            _copy_package(package, scratch / package.name)
        source = inspect.getsource(wire)
        command = [
            sys.executable,
            "-I",
            "-c",
            source + "\nserve(sys.argv[1])\n",
            str(inputs.dir or "-"),
        ]
        argv = isolation.sandbox_command(
            command, scratch, limits=limits, env=env, expose=[inputs.dir] if inputs.dir else []
        )
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.set_blocking(self.proc.stdin.fileno(), False)

    def close(self):
        """End the sandbox at once: SIGTERM makes its launcher kill the whole pid namespace."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        with contextlib.suppress(OSError):
            self.proc.stdout.close()

    def _handle(self, value):
        if isinstance(value, Remote) and object.__getattribute__(value, "_server") is self:
            return {"h": object.__getattribute__(value, "_id")}
        name = self.inputs.name_of(value)
        if name is not None:
            return {"i": name}
        raise TypeError(f"cannot send a {type(value).__name__} to the submission")

    def _resolve(self, form):
        if "h" in form and type(form["h"]) is int:
            return Remote(self, form["h"])
        raise wire.WireError("a malformed handle")

    def _left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ProbeGone("it ran out of time")
        return left

    def _write(self, data):
        fd, view = self.proc.stdin.fileno(), memoryview(data)
        while view:
            _, ready, _ = select.select([], [fd], [], self._left())
            if ready:
                try:
                    view = view[os.write(fd, view) :]
                except (BrokenPipeError, BlockingIOError) as error:
                    if isinstance(error, BrokenPipeError):
                        raise ProbeGone("it crashed the process") from None

    def _read(self, n):
        fd, chunks = self.proc.stdout.fileno(), []
        while n:
            ready, _, _ = select.select([fd], [], [], self._left())
            if not ready:
                continue
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise ProbeGone("it crashed the process")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def request(self, message):
        """Send one request; the decoded answer, or StudentError / ProbeGone."""
        self._write(wire.frame(message, self._handle))
        header_bytes, blob_bytes = wire.FRAME.unpack(self._read(wire.FRAME.size))
        try:
            wire.check_lengths(header_bytes, blob_bytes)
            body = self._read(header_bytes + blob_bytes)
            reply = wire.decode(body[:header_bytes], body[header_bytes:], self._resolve)
        except wire.WireError as error:
            raise ProbeGone(f"its answer broke the rules: {error}") from None
        if not isinstance(reply, dict) or len(reply) != 1 or not {"ok", "error"} & set(reply):
            raise ProbeGone("its answer broke the rules: a malformed answer")
        if "error" in reply:
            raise StudentError(plain_message(reply["error"]))
        return reply["ok"]


class RemoteLib:
    """The student's modules, in the sandbox (``lib.classifiers``, ...)."""

    def __init__(self, server):
        self._server, self._modules = server, {}

    def __getattr__(self, name):
        if name not in MODULES:
            raise AttributeError(name)
        if name not in self._modules:
            self._modules[name] = self._server.request({"op": "import", "module": MODULES[name]})
        return self._modules[name]


def _copy_package(package, dest):
    """Copy the package's regular files (no links) for the sandbox."""
    import shutil

    shutil.copytree(
        package,
        dest,
        symlinks=True,
        ignore=lambda folder, names: [n for n in names if os.path.islink(os.path.join(folder, n))],
    )
