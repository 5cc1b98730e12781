"""grading.run.integrity on the real release notebooks, submissions edited as students might."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from grading.coursedir import NOTEBOOKS
from grading.release.regions import cell_source
from grading.run.integrity import Change, restore, restore_file

RELEASE = Path(__file__).resolve().parent.parent / "assignment1"


def read_release(name):
    return nbformat.read(RELEASE / f"{name}.ipynb", as_version=4)


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def find(nb, gid):
    """The index of the cell with ``grade_id`` ``gid``."""
    return next(i for i, cell in enumerate(nb.cells) if grade_id(cell) == gid)


def protected_ids(name):
    return [
        grade_id(c)
        for c in read_release(name).cells
        if c.metadata.get("nbgrader", {}).get("locked")
    ]


PROTECTED = [(name, gid) for name in NOTEBOOKS for gid in protected_ids(name)]


def assert_valid(nb):
    """Valid without nbformat having to repair anything (its repairs only warn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nbformat.validate(copy.deepcopy(nb))


@pytest.fixture
def knn():
    return read_release("knn")


def restored(submitted, released, name="knn"):
    out, changes = restore(submitted, released, name)
    assert_valid(out)
    return out, changes


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_untouched_submission_has_no_changes_and_the_same_cells(name):
    released = read_release(name)
    out, changes = restored(copy.deepcopy(released), released, name)
    assert changes == []
    assert out == released


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_has_a_locked_config_cell_and_locked_tests(name):
    ids = protected_ids(name)
    kinds = {gid.removeprefix(f"{name}-").split("-")[0] for gid in ids}
    assert kinds == {"config", "test", "check"}
    # The last cell runs python -m cs231n_lib.check's report: locked, like the config.
    assert f"{name}-check" in ids


def test_answers_are_kept_and_not_reported(knn):
    sub = copy.deepcopy(knn)
    code, written = find(sub, "knn-answer-best-k"), find(sub, "knn-written-knn-properties")
    sub.cells[code].source = "best_k = 5\n"
    sub.cells[code].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    sub.cells[written].source = "**Your answer:** k = 1 overfits."
    out, changes = restored(sub, knn)
    assert changes == []
    assert out.cells[code].source == "best_k = 5\n"
    assert out.cells[code].outputs == sub.cells[code].outputs
    assert out.cells[written].source == "**Your answer:** k = 1 overfits."


@pytest.mark.parametrize(("name", "gid"), PROTECTED)
def test_an_edited_protected_cell_is_restored(name, gid):
    released = read_release(name)
    sub = copy.deepcopy(released)
    i = find(sub, gid)
    sub.cells[i].source = "pass  # the test is gone\n"
    out, changes = restored(sub, released, name)
    assert changes == [Change(name, gid, "edited", "source edited")]
    assert out == released


@pytest.mark.parametrize(("name", "gid"), PROTECTED)
def test_a_deleted_protected_cell_returns_between_the_same_neighbours(name, gid):
    released = read_release(name)
    sub = copy.deepcopy(released)
    del sub.cells[find(sub, gid)]
    out, changes = restored(sub, released, name)
    assert changes == [Change(name, gid, "deleted", "cell deleted")]
    assert str(changes[0]) == f"{gid}: cell deleted (restored)"
    assert out == released


def test_a_deleted_test_cell_and_its_neighbour_go_after_the_nearest_cell_left(knn):
    sub = copy.deepcopy(knn)
    i = find(sub, "knn-test-two-loops")
    del sub.cells[i - 1 : i + 1]  # the test and the cell before it
    out, _ = restored(sub, knn)
    assert grade_id(out.cells[i - 1]) == "knn-test-two-loops"
    assert out.cells[i - 2].id == knn.cells[i - 2].id
    assert out.cells[i].id == knn.cells[i + 1].id


def test_deleting_every_cell_puts_the_protected_cells_back_in_order(knn):
    sub = copy.deepcopy(knn)
    sub.cells = []
    out, changes = restored(sub, knn)
    locked = [grade_id(c) for c in knn.cells if c.metadata.get("nbgrader", {}).get("locked")]
    assert [grade_id(c) for c in out.cells] == locked
    lost = [c.grade_id for c in changes if not c.restored]
    assert "knn-answer-best-k" in lost
    assert all(c.kind == "deleted" for c in changes)


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("points", 300, "points 3 -> 300"),
        ("grade", False, "grade true -> false"),
        ("locked", False, "locked true -> false"),
        ("solution", True, "solution false -> true"),
    ],
)
def test_changed_metadata_is_restored_and_reported(knn, field, value, detail):
    sub = copy.deepcopy(knn)
    i = find(sub, "knn-test-two-loops")
    sub.cells[i].metadata.nbgrader[field] = value
    out, changes = restored(sub, knn)
    assert changes == [Change("knn", "knn-test-two-loops", "metadata", detail)]
    assert str(changes[0]) == f"knn-test-two-loops: {detail} (restored)"
    assert out == knn


def test_several_fields_are_reported_in_one_change(knn):
    sub = copy.deepcopy(knn)
    meta = sub.cells[find(sub, "knn-test-one-loop")].metadata.nbgrader
    meta["points"] = 20
    del meta["locked"]
    _, changes = restored(sub, knn)
    assert [c.detail for c in changes] == ["locked true -> (none), points 2 -> 20"]


def test_a_renamed_test_cell_is_stripped_and_the_original_put_back(knn):
    sub = copy.deepcopy(knn)
    i = find(sub, "knn-test-two-loops")
    sub.cells[i].metadata.nbgrader["grade_id"] = "my-test"
    out, changes = restored(sub, knn)
    assert [(c.grade_id, c.kind, c.restored) for c in changes] == [
        ("my-test", "unknown id", False),
        ("knn-test-two-loops", "deleted", True),
    ]
    assert grade_id(out.cells[i]) == "knn-test-two-loops"
    assert out.cells[i] == knn.cells[i]
    renamed = out.cells[i + 1]
    assert "nbgrader" not in renamed.metadata
    assert renamed.source == knn.cells[i].source
    assert renamed.id != out.cells[i].id


def test_a_test_cell_turned_into_markdown_is_code_again(knn):
    sub = copy.deepcopy(knn)
    i = find(sub, "knn-test-no-loops")
    cell = sub.cells[i]
    sub.cells[i] = new_markdown_cell(cell.source, metadata=cell.metadata, id=cell.id)
    out, changes = restored(sub, knn)
    assert changes == [
        Change("knn", "knn-test-no-loops", "cell type", "cell type code -> markdown")
    ]
    assert out.cells[i].cell_type == "code"
    assert out == knn


def test_an_answer_cell_gets_its_type_and_metadata_back_but_keeps_its_source(knn):
    sub = copy.deepcopy(knn)
    i = find(sub, "knn-written-bright-rows")
    meta = copy.deepcopy(sub.cells[i].metadata)
    meta.nbgrader.update(points=50, locked=True)
    sub.cells[i] = new_code_cell("# my answer, as code", metadata=meta, id=sub.cells[i].id)
    out, changes = restored(sub, knn)
    assert [c.kind for c in changes] == ["cell type", "metadata"]
    assert changes[1].detail == "locked false -> true, points 2 -> 50"
    assert out.cells[i].cell_type == "markdown"
    assert out.cells[i].source == "# my answer, as code"
    assert out.cells[i].metadata == knn.cells[i].metadata


def test_a_copied_test_cell_is_removed(knn):
    sub = copy.deepcopy(knn)
    test = copy.deepcopy(sub.cells[find(sub, "knn-test-two-loops")])
    test.id = "a-copy"
    sub.cells.append(test)
    out, changes = restored(sub, knn)
    assert changes == [
        Change(
            "knn",
            "knn-test-two-loops",
            "duplicated",
            "a second copy of this locked cell: removed",
            restored=False,
        )
    ]
    assert out == knn


def test_a_copied_answer_cell_is_kept_as_an_ordinary_cell(knn):
    sub = copy.deepcopy(knn)
    answer = copy.deepcopy(sub.cells[find(sub, "knn-answer-best-k")])
    answer.source = "best_k = 3\n"
    sub.cells.append(answer)  # same cell id too: it must be renamed
    out, changes = restored(sub, knn)
    assert [(c.kind, c.restored) for c in changes] == [("duplicated", False)]
    assert out.cells[-1].source == "best_k = 3\n"
    assert "nbgrader" not in out.cells[-1].metadata
    assert out.cells[-1].id != answer.id


def test_extra_student_cells_are_kept_and_not_reported(knn):
    sub = copy.deepcopy(knn)
    sub.cells.insert(0, new_markdown_cell("# my notes"))
    sub.cells.insert(find(sub, "knn-test-one-loop"), new_code_cell("print(dists.shape)"))
    sub.cells.append(new_code_cell("import this"))
    out, changes = restored(sub, knn)
    assert changes == []
    assert [cell_source(c) for c in out.cells] == [cell_source(c) for c in sub.cells]


def test_nbgrader_flags_without_a_grade_id_are_removed(knn):
    sub = copy.deepcopy(knn)
    sub.cells.append(new_code_cell("x = 1", metadata={"nbgrader": {"grade": True}}))
    sub.cells.append(new_code_cell("y = 2", metadata={"nbgrader": {"grade": False}}))
    out, changes = restored(sub, knn)
    assert [(c.kind, c.grade_id) for c in changes] == [("unknown id", sub.cells[-2].id)]
    assert "nbgrader" not in out.cells[-2].metadata
    assert out.cells[-1].metadata == {"nbgrader": {"grade": False}}


def test_an_edited_config_cell_is_restored(knn):
    sub = copy.deepcopy(knn)
    i = find(sub, "knn-config")
    sub.cells[i].source = "GRADING = False\nNUM_TRAIN = 50000\n"
    out, changes = restored(sub, knn)
    assert changes == [Change("knn", "knn-config", "edited", "source edited")]
    assert out.cells[i].source == knn.cells[i].source


def test_outputs_of_protected_cells_are_dropped_silently(knn):
    sub = copy.deepcopy(knn)
    i = find(sub, "knn-test-best-k")
    sub.cells[i].outputs = [nbformat.v4.new_output("stream", name="stderr", text="boom\n")]
    sub.cells[i].execution_count = 7
    out, changes = restored(sub, knn)
    assert changes == []
    assert out.cells[i].outputs == []
    assert out.cells[i].execution_count is None


def test_kernelspec_is_restored(knn):
    sub = copy.deepcopy(knn)
    sub.metadata.kernelspec = {"name": "cs231n", "display_name": "cs231n", "language": "python"}
    out, changes = restored(sub, knn)
    assert changes == [Change("knn", "", "metadata", "kernelspec python3 -> cs231n")]
    assert str(changes[0]) == "notebook metadata: kernelspec python3 -> cs231n (restored)"
    assert out.metadata.kernelspec == knn.metadata.kernelspec


def test_list_sources_count_as_unchanged(knn):
    sub = copy.deepcopy(knn)
    i = find(sub, "knn-test-two-loops")
    sub.cells[i].source = sub.cells[i].source.splitlines(keepends=True)
    _, changes = restored(sub, knn)
    assert changes == []


def test_a_notebook_without_cell_ids_comes_back_valid(knn):
    sub = copy.deepcopy(knn)
    sub.nbformat_minor = 4
    for cell in sub.cells:
        del cell["id"]
    del sub.cells[find(sub, "knn-test-two-loops")]
    out, changes = restored(sub, knn)
    assert [c.kind for c in changes] == ["deleted"]
    assert out.nbformat_minor == knn.nbformat_minor
    assert len({c.id for c in out.cells}) == len(out.cells)


def test_many_changes_at_once_leave_the_inputs_alone(knn):
    sub = copy.deepcopy(knn)
    sub.cells[find(sub, "knn-test-two-loops")].metadata.nbgrader["points"] = 300
    sub.cells[find(sub, "knn-test-one-loop")].source = "pass"
    del sub.cells[find(sub, "knn-test-no-loops")]
    sub.cells[find(sub, "knn-config")].metadata.nbgrader["grade_id"] = "cfg"
    sub.cells.append(copy.deepcopy(sub.cells[find(sub, "knn-test-best-k")]))
    sub.metadata.kernelspec["name"] = "other"
    before_sub, before_rel = json.dumps(sub, sort_keys=True), json.dumps(knn, sort_keys=True)
    out, changes = restored(sub, knn)
    assert json.dumps(sub, sort_keys=True) == before_sub
    assert json.dumps(knn, sort_keys=True) == before_rel
    assert len(changes) == 7
    ids = [grade_id(c) for c in out.cells if grade_id(c)]
    assert ids == [grade_id(c) for c in knn.cells if grade_id(c)]


def test_restore_file_writes_the_restored_notebook(tmp_path, knn):
    sub = copy.deepcopy(knn)
    sub.cells[find(sub, "knn-test-two-loops")].source = "pass"
    path = tmp_path / "knn.ipynb"
    nbformat.write(sub, path)
    changes = restore_file(path, RELEASE / "knn.ipynb", path)  # in place
    assert [str(c) for c in changes] == ["knn-test-two-loops: source edited (restored)"]
    assert nbformat.read(path, as_version=4) == knn
    assert [p.name for p in tmp_path.iterdir()] == ["knn.ipynb"]


@pytest.mark.parametrize(
    "content",
    [
        '{"cells": [',  # cut short
        '{"cells": 3, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        "",
        "\xff\xfe not text",
    ],
)
def test_restore_file_rejects_a_broken_notebook_and_says_how_to_fix_it(tmp_path, content):
    path = tmp_path / "knn.ipynb"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(ValueError, match=r"knn\.ipynb is not a valid notebook") as info:
        restore_file(path, RELEASE / "knn.ipynb", tmp_path / "out.ipynb")
    assert "Re-download the notebook from the release" in str(info.value)
    assert "opens in Jupyter" in str(info.value)
    assert not (tmp_path / "out.ipynb").exists()
