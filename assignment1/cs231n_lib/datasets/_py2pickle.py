"""Write pickles that look like the Python 2 pickles of the official CIFAR-10 release.

The official ``cifar-10-batches-py`` files were written by Python 2, where text is
``str`` (bytes). Their keys and strings are stored with the pickle opcodes
``SHORT_BINSTRING``/``BINSTRING``, so that Python 3 loads them as ``bytes`` with
``pickle.load(f, encoding="bytes")`` and as ``str`` with ``encoding="latin1"``.
Python 3 itself never writes these opcodes, so :class:`Py2Pickler` adds them for
one marker type, :class:`Py2Str`, and writes NumPy arrays the way NumPy did under
Python 2 (raw pixel data as a Python 2 string, ``numpy.core.multiarray._reconstruct``
as the constructor, which every NumPy version can load).
"""

from __future__ import annotations

import pickle
import struct

import numpy as np

__all__ = ["Py2Pickler", "Py2Str", "dump_py2", "to_py2"]

PROTOCOL = 2


class Py2Str(bytes):
    """Bytes to be written as a Python 2 ``str`` (opcode ``SHORT_BINSTRING``/``BINSTRING``)."""

    __slots__ = ()


class _Global:
    """A callable written as the reference ``module.name`` (opcode ``GLOBAL``).

    It stands for ``func`` in a reduce tuple, under the name old NumPy versions know.
    """

    def __init__(self, module, name, func):
        self.module = module
        self.name = name
        self.func = func

    def __call__(self, *args):
        return self.func(*args)


# NumPy 2 renamed numpy.core to numpy._core but keeps this name loadable for old pickles.
_RECONSTRUCT = _Global(
    "numpy.core.multiarray", "_reconstruct", np.ndarray.__reduce__(np.zeros(0))[0]
)


def to_py2(obj):
    """Return ``obj`` with every ``str`` (in dicts, lists and tuples) made a :class:`Py2Str`.

    Parameters
    ----------
    obj : object
        Nested dicts, lists and tuples of str, int, float, None and ndarrays.

    Returns
    -------
    object
        The same structure; text is UTF-8 encoded (ASCII for CIFAR-10's own names).
    """
    if isinstance(obj, str):
        return Py2Str(obj.encode("utf-8"))
    if isinstance(obj, dict):
        return {to_py2(key): to_py2(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(to_py2(item) for item in obj)
    return obj


class Py2Pickler(pickle._Pickler):
    """The pure-Python pickler (protocol 2) plus Python 2 strings and Python 2 style arrays."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file):
        super().__init__(file, protocol=PROTOCOL)

    def save_py2str(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + struct.pack("<B", n))
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n))
        self.write(obj)
        self.memoize(obj)

    dispatch[Py2Str] = save_py2str

    def save_py2global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[_Global] = save_py2global

    def reducer_override(self, obj):
        if isinstance(obj, np.ndarray):
            return _reduce_array(obj)
        if isinstance(obj, np.dtype):
            _, args, state = obj.__reduce__()
            return np.dtype, to_py2(args), to_py2(state)
        return NotImplemented


def _reduce_array(arr):
    """The reduce tuple NumPy wrote under Python 2: raw C-order data as a Python 2 str."""
    if arr.dtype.hasobject:
        raise TypeError(
            f"Py2Pickler cannot write arrays of dtype {arr.dtype}; use a numeric dtype."
        )
    arr = np.ascontiguousarray(arr)
    state = (1, arr.shape, arr.dtype, False, Py2Str(arr.tobytes()))
    return _RECONSTRUCT, (np.ndarray, (0,), Py2Str(b"b")), state


def dump_py2(obj, file):
    """Pickle ``obj`` to the open binary ``file`` like Python 2 would, with protocol 2.

    Parameters
    ----------
    obj : object
        Usually a dict with str keys; str becomes a Python 2 ``str`` (see :func:`to_py2`).
    file : binary file object
        Open for writing.
    """
    Py2Pickler(file).dump(to_py2(obj))
