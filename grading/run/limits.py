"""Cap a notebook's output while it runs, not after.

nbgrader's ``LimitOutput`` trims outputs once the notebook has run, so a submission
that prints a gigabyte first fills the grader's memory. :class:`LimitedExecute` counts
the bytes of every output as the kernel sends it (stream text; the data and metadata
of ``execute_result`` and ``display_data``; an error's name, value and traceback) and,
once a notebook's kept outputs reach ``max_output_bytes``, keeps the part of the stream
that fits, adds one note to that cell and drops every later output. The cells still
run. Cleared outputs (``clear_output``) give their bytes back.

Dropping outputs must not change a grade: nbgrader scores a test cell 0 when it shows
an error or writes to stderr, and partially from its ``execute_result``. Past the cap
those outputs are still kept, cut short, once per cell.

One message still arrives whole: a single ``print`` of a gigabyte is in memory for a
moment. Bound the worker process's memory for that.
"""

from __future__ import annotations

import json

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

NOTE = (
    "Output truncated: this notebook printed more than {cap}; the rest was dropped by the grader.\n"
)
KERNEL_DIED = (
    "The kernel died while running this cell (os._exit, a crash, or the memory "
    "limit); the cells after it were not run."
)
SHORT = 2000  # characters kept of each text in an output kept past the cap
DISPLAY_TYPES = ("execute_result", "display_data", "update_display_data")


def text_size(text):
    """The UTF-8 size of ``text`` in bytes (no copy for ASCII text)."""
    if not isinstance(text, str):
        return len(json.dumps(text))
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _mapping_size(mapping):
    return sum(text_size(key) + text_size(value) for key, value in (mapping or {}).items())


def output_size(output_type, content):
    """Bytes of an output's payload; ``content`` is a message's content or an output.

    Parameters
    ----------
    output_type : str
        ``"stream"``, ``"error"`` or one of :data:`DISPLAY_TYPES`; other types count 0.
    content : dict
        Holds ``text`` (stream), ``data`` and ``metadata`` (display) or ``ename``,
        ``evalue`` and ``traceback`` (error), as both messages and outputs do.
    """
    if output_type == "stream":
        return text_size(content.get("text", ""))
    if output_type in DISPLAY_TYPES:
        return _mapping_size(content.get("data")) + _mapping_size(content.get("metadata"))
    if output_type == "error":
        parts = [content.get("ename", ""), content.get("evalue", ""), *content.get("traceback", [])]
        return sum(text_size(part) for part in parts)
    return 0


def format_bytes(n):
    """``10485760`` -> ``"10 MB"``; ``2048`` -> ``"2 kB"`` (binary units)."""
    for unit, size in (("MB", 2**20), ("kB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def _cut(text, limit):
    """At most ``limit`` UTF-8 bytes of the start of ``text``."""
    head = text[:limit]
    if head.isascii():
        return head
    return head.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def _short(msg):
    """``msg`` with an output short enough to keep past the cap."""
    kind, content = msg["msg_type"], dict(msg["content"])
    if kind == "stream":
        content["text"] = _cut(content.get("text", ""), SHORT)
    elif kind == "error":
        content["ename"] = _cut(content.get("ename", ""), SHORT)
        content["evalue"] = _cut(content.get("evalue", ""), SHORT)
        content["traceback"] = [_cut(line, SHORT) for line in content.get("traceback", [])[-3:]]
    else:  # execute_result: text/plain is what nbgrader reads partial credit from
        text = (content.get("data") or {}).get("text/plain", "")
        content["data"] = {"text/plain": _cut(text if isinstance(text, str) else "", SHORT)}
        content["metadata"] = {}
    return {**msg, "content": content}


class LimitedExecute(Execute):
    """nbgrader's :class:`~nbgrader.preprocessors.Execute`, with outputs capped as they come.

    To autograde with it, put it first in nbgrader's list in ``nbgrader_config.py``
    (``c.Execute.timeout`` still applies: it is a subclass)::

        from grading.run.limits import autograde_preprocessors
        c.Autograde.autograde_preprocessors = autograde_preprocessors()
        c.LimitedExecute.max_output_bytes = 10 * 2**20

    or run it directly:
    ``LimitedExecute(timeout=60).preprocess(nb, {"metadata": {"path": folder}})``.

    Attributes
    ----------
    kept_output_bytes : int
        Bytes of output kept so far in the notebook being run: an upper bound, since a
        display update counts as new output without giving back what it replaced.
    output_truncated : bool
        Whether outputs have been dropped in the notebook being run.
    """

    max_output_bytes = Integer(
        10 * 2**20,
        help="The most output bytes one notebook keeps; later outputs are dropped.",
    ).tag(config=True)

    # A cell that floods the output is still sending when its reply arrives: nbclient
    # then stops waiting for that output after iopub_timeout. Raising there (nbgrader's
    # default) would make nbgrader drop the whole submission.
    raise_on_iopub_timeout = Bool(False).tag(config=True)

    def reset_execution_trackers(self):
        super().reset_execution_trackers()
        self.kernel_died = False
        self.kept_output_bytes = 0
        self.output_truncated = False
        self._note = None
        self._cell = None  # the cell being run
        self._display_copies = {}  # display_id -> outputs showing it (an upper bound)

    def preprocess_cell(self, cell, resources, index):
        """Run one cell; once the kernel has died, mark the cell and skip the rest.

        nbgrader drops a whole submission when its kernel dies (``os._exit``, a crash);
        here the notebook is finished instead, so what ran before still counts.
        """
        if self.kernel_died:
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.kernel_died = True
            cell.outputs.append(
                new_output(
                    "error", ename="DeadKernelError", evalue=KERNEL_DIED, traceback=[KERNEL_DIED]
                )
            )
            return cell, resources
        except CellTimeoutError as error:  # the kernel is alive: go on with the next cell
            message = str(error).splitlines()[0]
            cell.outputs.append(
                new_output("error", ename="CellTimeoutError", evalue=message, traceback=[message])
            )
            return cell, resources

    def _hooked(self, msg):
        """Whether an Output widget takes this message instead of the cell."""
        return bool(self.output_hook_stack[msg["parent_header"].get("msg_id")])

    def _fits(self, size):
        return not self.output_truncated and self.kept_output_bytes + size <= self.max_output_bytes

    def _kept_size(self, outs):
        return sum(output_size(o.get("output_type"), o) for o in outs if o is not self._note)

    def _clear(self, outs, cell_index):
        """Empty ``outs``, give their bytes back, keep the note."""
        had_note = any(o is self._note for o in outs)
        self.kept_output_bytes = max(0, self.kept_output_bytes - self._kept_size(outs))
        outs[:] = []
        self.clear_display_id_mapping(cell_index)
        if had_note:
            outs.append(self._note)

    def clear_output(self, outs, msg, cell_index):
        if self._hooked(msg) or msg["content"].get("wait"):
            return super().clear_output(outs, msg, cell_index)
        self._clear(outs, cell_index)
        return None

    def process_message(self, msg, cell, cell_index):
        self._cell = cell
        transient = msg["content"].get("transient")
        display_id = transient.get("display_id") if transient else None
        if display_id and msg["msg_type"] in DISPLAY_TYPES:
            # nbclient rewrites every earlier output showing this display_id.
            cost = self._display_copies.get(display_id, 0) * output_size(
                "display_data", msg["content"]
            )
            if self._fits(cost):
                self.kept_output_bytes += cost
            else:
                self._truncate(cell.outputs)
                if msg["msg_type"] == "update_display_data":
                    return None
                msg = {**msg, "content": {**msg["content"], "transient": {}}}
        return super().process_message(msg, cell, cell_index)

    def output(self, outs, msg, display_id, cell_index):
        if self.clear_before_next_output and not self._hooked(msg):
            self._clear(outs, cell_index)  # a clear_output(wait=True) waiting for this
            self.clear_before_next_output = False
        crossing = not self._fits(output_size(msg["msg_type"], msg["content"]))
        if crossing:
            msg = self._part_to_keep(outs, msg)
        out = None
        if msg is not None:
            self.kept_output_bytes += output_size(msg["msg_type"], msg["content"])
            out = super().output(outs, msg, display_id, cell_index)
            if display_id and out is not None:
                self._display_copies[display_id] = self._display_copies.get(display_id, 0) + 1
        if crossing:
            self._truncate(outs)  # after the part kept
        return out

    def _part_to_keep(self, outs, msg):
        """What to keep of an output that does not fit: the start of a stream that
        fills the cap, or a short form of an output the grade depends on, or None."""
        kind, content = msg["msg_type"], msg["content"]
        room = self.max_output_bytes - self.kept_output_bytes
        if kind == "stream" and not self.output_truncated and room > 0:
            text = _cut(content.get("text", ""), room)
            if text:
                return {**msg, "content": {**content, "text": text}}
        if self._decides_grade(outs, kind, content):
            return _short(msg)
        return None

    def _decides_grade(self, outs, kind, content):
        """Whether nbgrader's score for the current cell could depend on this output."""
        meta = self._cell.get("metadata", {}) if self._cell is not None else {}
        graded = bool(meta.get("nbgrader", {}).get("grade"))
        if kind == "error":
            return not any(o.get("output_type") == "error" for o in outs)
        if kind == "execute_result":
            return not any(o.get("output_type") == "execute_result" for o in outs)
        if kind == "stream" and content.get("name") == "stderr" and graded:
            return not any(
                o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outs
            )
        return False

    def _truncate(self, outs):
        """Mark the notebook truncated; add the note to ``outs`` the first time."""
        if self.output_truncated:
            return
        self.output_truncated = True
        text = NOTE.format(cap=format_bytes(self.max_output_bytes))
        last = outs[-1] if outs else None
        if (
            last is not None
            and last.get("output_type") == "stream"
            and not str(last.get("text", "")).endswith("\n")
        ):
            text = "\n" + text
        self._note = new_output("stream", name="stdout", text=text)
        outs.append(self._note)


def autograde_preprocessors():
    """nbgrader's autograde preprocessors, with :class:`LimitedExecute` for ``Execute``."""
    from nbgrader.converters import Autograde

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [LimitedExecute if pp is Execute else pp for pp in default]
