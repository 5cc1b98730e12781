"""The solution regions of the package are well formed, for the release to strip them.

Each region is a ``### BEGIN SOLUTION`` line and a later ``### END SOLUTION`` line at
the same indentation, with no nesting, right after a comment block that holds the
student's ``TODO``; a region holds code, and every module that needs students has one.
"""

import ast
from pathlib import Path

import pytest

from grading.release.regions import find_regions

PACKAGE = Path(__file__).resolve().parent.parent / "cs231n_lib"
STUDENT_MODULES = [
    "classifiers/k_nearest_neighbor.py",
    "classifiers/linear_classifier.py",
    "classifiers/linear_svm.py",
    "classifiers/regularization.py",
    "classifiers/softmax.py",
    "cross_validation.py",
]


def regions(path):
    """Yield (begin line index, end line index, lines) for each region of the file."""
    lines = path.read_text().splitlines()
    for region in find_regions(lines, path.name):
        yield region.begin, region.end, lines


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_regions_are_well_formed_and_follow_a_todo(path):
    for begin, end, lines in regions(path):
        body = [line for line in lines[begin + 1 : end] if line.strip()]
        assert body, f"{path.name}:{begin + 1}: empty region"
        comments = []
        j = begin - 1
        while j >= 0 and lines[j].strip().startswith("#"):
            comments.append(lines[j])
            j -= 1
        assert any("TODO:" in c for c in comments), (
            f"{path.name}:{begin + 1}: the region needs the student's TODO comment just before it"
        )


@pytest.mark.parametrize("name", STUDENT_MODULES)
def test_student_modules_have_regions(name):
    path = PACKAGE / name
    assert list(regions(path)), f"{name} has no solution region"
    ast.parse(path.read_text())
