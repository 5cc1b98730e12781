"""grading.run.limits: outputs capped while a notebook runs, in a real python3 kernel."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading.run.limits import (
    NOTE,
    LimitedExecute,
    autograde_preprocessors,
    format_bytes,
    output_size,
    text_size,
)

MB = 2**20
NOTE_START = NOTE.split(":")[0]  # "Output truncated"


def notebook(*sources, graded=()):
    """A python3 notebook of code cells; the indices in ``graded`` are test cells."""
    cells = [new_code_cell(src) for src in sources]
    for i in graded:
        cells[i].metadata["nbgrader"] = {
            "grade": True,
            "grade_id": f"test-{i}",
            "locked": True,
            "points": 1,
            "solution": False,
            "schema_version": 3,
        }
    return new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def run(nb, tmp_path, cap=MB):
    executor = LimitedExecute(timeout=120, max_output_bytes=cap)
    executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    return nb, executor


def kept_bytes(nb):
    return sum(output_size(o.output_type, o) for c in nb.cells for o in c.outputs)


def notes(nb):
    return [
        (i, o)
        for i, c in enumerate(nb.cells)
        for o in c.outputs
        if o.output_type == "stream" and NOTE_START in o.text
    ]


def stdout(cell):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


@pytest.mark.parametrize(("text", "size"), [("abc", 3), ("é", 2), ("€x", 4), ("", 0)])
def test_text_size_is_utf8_bytes(text, size):
    assert text_size(text) == size


def test_output_size_counts_each_kind_of_payload():
    assert output_size("stream", {"name": "stdout", "text": "hello"}) == 5
    data = {"data": {"text/plain": "ab"}, "metadata": {}}
    assert output_size("display_data", data) == len("text/plain") + 2
    error = {"ename": "E", "evalue": "v", "traceback": ["t1", "t2"]}
    assert output_size("error", error) == 6
    assert output_size("status", {"execution_state": "idle"}) == 0


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (10 * MB, "10 MB"),
        (MB, "1 MB"),
        (2048, "2 kB"),
        (1000, "1000 bytes"),
        (MB + 1, f"{MB + 1} bytes"),
    ],
)
def test_format_bytes(n, text):
    assert format_bytes(n) == text


def test_autograde_uses_the_limited_execute_and_keeps_the_rest():
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    ours = autograde_preprocessors()
    assert ours[0] is LimitedExecute
    assert ours[1:] == default[1:]
    assert Execute not in ours


def test_a_small_notebook_runs_as_usual(tmp_path):
    nb, executor = run(
        notebook(
            "print('hello')",
            "1 + 2",
            "from IPython.display import display, clear_output\ndisplay('shown')",
            "print('gone')\nclear_output()\nprint('kept')",
            "print('gone too')\nclear_output(wait=True)\nprint('kept too')",
            "h = display('old', display_id=True)\nh.update('new')",
            "import sys\nprint('to stderr', file=sys.stderr)",
            "1 / 0",
        ),
        tmp_path,
    )
    cells = nb.cells
    assert stdout(cells[0]) == "hello\n"
    assert cells[1].outputs[0].data["text/plain"] == "3"
    assert cells[2].outputs[0].data["text/plain"] == "'shown'"
    assert stdout(cells[3]) == "kept\n"
    assert stdout(cells[4]) == "kept too\n"
    assert cells[5].outputs[0].data["text/plain"] == "'new'"
    assert cells[6].outputs[0].name == "stderr"
    assert cells[7].outputs[0].ename == "ZeroDivisionError"
    assert [c.execution_count for c in cells] == list(range(1, 9))
    assert not executor.output_truncated
    assert notes(nb) == []
    # A display update is counted as new output (the replaced one is not given back).
    assert executor.kept_output_bytes == kept_bytes(nb) + output_size(
        "display_data", {"data": {"text/plain": "'new'"}}
    )


def test_a_flood_of_prints_keeps_the_cap_and_one_note(tmp_path):
    nb, executor = run(
        notebook(
            "print('before')",
            "for _ in range(50):\n    print('x' * (2**20 - 1))",
            "print('after')",
            "y = 1\ny",
            "print('more ' * 100_000)",
        ),
        tmp_path,
    )
    assert kept_bytes(nb) < 2 * MB
    assert kept_bytes(nb) > MB - 2**16  # the budget is used, not thrown away
    found = notes(nb)
    assert len(found) == 1
    assert found[0][0] == 1  # in the cell that printed too much
    assert found[0][1].name == "stdout"
    assert found[0][1].text.strip() == NOTE.format(cap="1 MB").strip()
    assert nb.cells[1].outputs[-1] is found[0][1]
    assert stdout(nb.cells[0]) == "before\n"
    assert stdout(nb.cells[2]) == stdout(nb.cells[4]) == ""
    assert [c.execution_count for c in nb.cells] == [1, 2, 3, 4, 5]
    assert executor.output_truncated


def test_a_big_display_is_capped_too(tmp_path):
    nb, executor = run(
        notebook(
            "from IPython.display import display\ndisplay('y' * 3_000_000)",
            "display({'text/html': '<p>' * 1_000_000}, raw=True)",
            "print('after')",
        ),
        tmp_path,
    )
    assert kept_bytes(nb) < 2 * MB
    assert [i for i, _ in notes(nb)] == [0]
    assert [o.output_type for o in nb.cells[0].outputs] == ["stream"]  # the note only
    assert nb.cells[1].outputs == nb.cells[2].outputs == []
    assert executor.output_truncated


def test_updates_of_a_display_count_against_the_cap(tmp_path):
    nb, _ = run(
        notebook(
            "h = display('small', display_id=True)",
            "for i in range(10):\n    h.update('z' * 300_000 + str(i))",
        ),
        tmp_path,
    )
    assert kept_bytes(nb) < 2 * MB
    assert len(notes(nb)) == 1


def test_cleared_output_gives_its_bytes_back(tmp_path):
    nb, executor = run(
        notebook(
            "from IPython.display import clear_output\n"
            "for i in range(20):\n"
            "    clear_output(wait=True)\n"
            "    print(str(i) * 200_000)",
            "for i in range(20):\n    clear_output()\n    print(str(i % 10) * 200_000)",
        ),
        tmp_path,
    )
    assert notes(nb) == []
    assert not executor.output_truncated
    assert stdout(nb.cells[0]) == "19" * 200_000 + "\n"
    assert stdout(nb.cells[1]) == "9" * 200_000 + "\n"
    assert executor.kept_output_bytes == kept_bytes(nb)


def test_failures_still_show_past_the_cap_so_grades_do_not_change(tmp_path):
    nb, _ = run(
        notebook(
            "print('x' * 3_000_000)",
            "import sys\nprint('to stderr ' * 100_000, file=sys.stderr)",
            "raise AssertionError('wrong answer ' * 100_000)",
            "0.5",
            "print('not graded', file=sys.stderr)",
            graded=(1, 2, 3),
        ),
        tmp_path,
    )
    stderr = [o for o in nb.cells[1].outputs if o.output_type == "stream"]
    assert [o.name for o in stderr] == ["stderr"]
    assert len(stderr[0].text) <= 2000
    errors = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["AssertionError"]
    assert len(errors[0].evalue) <= 2000
    assert nb.cells[3].outputs[0].data == {"text/plain": "0.5"}
    assert nb.cells[4].outputs == []  # not a test cell: dropped
    assert kept_bytes(nb) < MB + 2**14


def test_a_dead_kernel_finishes_the_notebook_instead_of_dropping_it(tmp_path):
    nb, _ = run(notebook("print('before')", "import os\nos._exit(3)", "print('after')"), tmp_path)
    assert stdout(nb.cells[0]) == "before\n"
    (error,) = nb.cells[1].outputs
    assert error.ename == "DeadKernelError"
    assert "cells after it were not run" in error.evalue
    assert nb.cells[2].outputs == []


def test_output_still_arriving_after_the_reply_does_not_stop_the_notebook(tmp_path):
    executor = LimitedExecute(timeout=120, max_output_bytes=MB, iopub_timeout=1)
    assert executor.raise_on_iopub_timeout is False
    nb = notebook("chunk = 'x' * 2**20\nfor _ in range(300):\n    print(chunk)", "print('next')")
    executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})  # nothing raised
    assert nb.cells[1].execution_count == 2  # it ran; its output is past the cap
    assert len(notes(nb)) == 1
