"""The contract between the release's stubs and the tools that look for them.

``grading`` turns every solution region of the instructor's ``cs231n_lib`` into a
``raise NotImplementedError("<function>: write the code for the TODO above, in <file>.")``
stub; ``python -m cs231n_lib.submit`` and ``python -m cs231n_lib.check`` find those
stubs in the files (``stubs``) and in the errors they raise (``stub_errors``). If
either side changes its format, a student's to-do list silently loses entries: these
tests fail instead.
"""

from __future__ import annotations

import ast
import json

import pytest

from cs231n_lib._notebook_cells import grading_meta, notebook_todos, open_cell
from cs231n_lib._student_files import stub_errors, stubs
from grading.coursedir import ASSIGNMENT, NOTEBOOKS, REPO
from grading.release import regions


def enclosing_function(source, lineno):
    """The qualified name of the innermost function around 1-based ``lineno``, or None."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                if child.lineno <= lineno <= child.end_lineno:
                    found.append((child.lineno, name))
                visit(child, f"{name}.")

    visit(ast.parse(source), "")
    return max(found)[1] if found else None


def expected_stubs(source, relpath):
    """[(line of the raise in the stubbed file, function name)] for each region of ``source``."""
    expected, shift = [], 0
    for region in regions.find_regions(source.splitlines(), relpath):
        name = enclosing_function(source, region.begin + 1) or "module level"
        expected.append((region.begin + 1 + shift, name))
        shift += 3 - (region.end - region.begin + 1)  # a stub is three lines
    return expected


def raised_messages(stubbed):
    """{line: message} of every ``raise NotImplementedError("...")`` of ``stubbed``."""
    messages = {}
    for node in ast.walk(ast.parse(stubbed)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            args = node.exc.args
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                messages[node.lineno] = args[0].value
    return messages


def contract_violations(stubbed, relpath, expected):
    """What the tools get wrong about the ``expected`` stubs of the stubbed file ``relpath``."""
    problems = []
    found = [(todo.line, todo.name, todo.file) for todo in stubs(relpath, stubbed)]
    wanted = [(line, name, relpath) for line, name in expected]
    if found != wanted:
        problems.append(f"stubs() found {found}, expected {wanted}")
    messages = raised_messages(stubbed)
    for line, name in expected:
        got = stub_errors(messages.get(line, ""))
        if got != [(name, relpath)]:
            problems.append(f"line {line}: stub_errors({messages.get(line)!r}) gave {got}")
    return problems


SOURCES = {
    path.relative_to(REPO).as_posix(): path.read_text()
    for path in regions.package_files(REPO / "cs231n_lib")
}
WITH_REGIONS = sorted(
    name for name, text in SOURCES.items() if regions.find_regions(text.splitlines(), name)
)


def test_the_package_has_regions_in_the_files_students_complete():
    assert "cs231n_lib/classifiers/k_nearest_neighbor.py" in WITH_REGIONS
    assert "cs231n_lib/cross_validation.py" in WITH_REGIONS
    total = sum(len(expected_stubs(SOURCES[name], name)) for name in WITH_REGIONS)
    assert total >= 30, total


@pytest.mark.parametrize("relpath", WITH_REGIONS)
def test_every_stub_the_release_writes_is_found_with_its_function_and_file(relpath):
    source = SOURCES[relpath]
    expected = expected_stubs(source, relpath)
    stubbed = regions.stub_text(source, relpath)
    assert contract_violations(stubbed, relpath, expected) == []
    # What the student sees when the stub runs names the same function and file.
    for line, name in expected:
        message = raised_messages(stubbed)[line]
        assert message.startswith(f"{name}: ")
        assert message.endswith(f"in {relpath}.")


def test_the_release_holds_the_stubs_the_sources_generate():
    """The files of assignment1/ are what the contract is about: the same stubs, found."""
    for relpath in WITH_REGIONS:
        release = (REPO / ASSIGNMENT / relpath).read_text()
        expected = [name for _, name in expected_stubs(SOURCES[relpath], relpath)]
        # Names only: lines move while the sources are edited (test_release checks freshness).
        assert [t.name for t in stubs(relpath, release)] == expected, relpath


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("write the code for the TODO above", "complete the TODO above"),  # other words
        (", in cs231n_lib/", " (cs231n_lib/"),  # the file no longer after ", in "
        (": write", " - write"),  # the name no longer before a colon
    ],
)
def test_a_changed_stub_message_breaks_the_contract(old, new):
    relpath = "cs231n_lib/classifiers/k_nearest_neighbor.py"
    source = SOURCES[relpath]
    stubbed = regions.stub_text(source, relpath)
    changed = stubbed.replace(old, new)
    assert changed != stubbed
    violations = contract_violations(changed, relpath, expected_stubs(source, relpath))
    assert len(violations) == 1 + len(expected_stubs(source, relpath)), violations


def test_a_stub_named_for_the_wrong_function_breaks_the_contract():
    relpath = "cs231n_lib/classifiers/k_nearest_neighbor.py"
    source = SOURCES[relpath]
    expected = expected_stubs(source, relpath)
    stubbed = regions.stub_text(source, relpath).replace(
        f'"{expected[0][1]}: ', '"KNearestNeighbor.other: ', 1
    )
    violations = contract_violations(stubbed, relpath, expected)
    assert len(violations) == 2, violations  # the file scan and the error message


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_solution_cell_of_the_release_notebooks_is_a_todo(name):
    """nbgrader's stubs of the notebooks' answer cells are found, each with a readable name."""
    source = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    release = json.loads((REPO / ASSIGNMENT / f"{name}.ipynb").read_text())["cells"]
    solutions = [grading_meta(c)["grade_id"] for c in source if grading_meta(c).get("solution")]
    assert solutions
    by_id = {grading_meta(c).get("grade_id"): c for c in release}
    for grade_id in solutions:
        cell = by_id[grade_id]
        kind = "code" if cell["cell_type"] == "code" else "written answer"
        assert open_cell(cell) == kind, grade_id
    todos = notebook_todos(f"{name}.ipynb", release)
    assert len(todos) == len(solutions)
    assert all("cell" not in todo.name for todo in todos if todo.kind != "code"), todos
