"""grading.release.samples: the demo's expected points, held against what was graded."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from grading.coursedir import NOTEBOOKS
from grading.release.samples import score_differences


def _grade(name, points):
    return SimpleNamespace(submission=name, scores={nb: {"score": p} for nb, p in points.items()})


@pytest.mark.parametrize("offset", [0.0, 1e-12, -1e-12])
def test_scores_equal_to_the_expected_points_differ_in_nothing(offset):
    expected = {
        "complete": dict.fromkeys(NOTEBOOKS, 10.0),
        "untouched": dict.fromkeys(NOTEBOOKS, 0.0),
    }
    grades = [
        _grade(name, {nb: p + offset for nb, p in pts.items()}) for name, pts in expected.items()
    ]
    assert score_differences(grades, expected) == []


def test_each_sample_off_its_points_is_one_line_naming_it():
    expected = {"complete": dict.fromkeys(NOTEBOOKS, 10.0), "half": dict.fromkeys(NOTEBOOKS, 5.0)}
    got = {**expected["half"], NOTEBOOKS[0]: 4.0}
    # A notebook the grader has no score for counts as 0 points.
    missing = dict.fromkeys(NOTEBOOKS[1:], 10.0)
    wrong = score_differences([_grade("complete", missing), _grade("half", got)], expected)
    assert len(wrong) == 2
    assert wrong[0].startswith("complete: expected ")
    assert f"'{NOTEBOOKS[0]}': 0.0" in wrong[0]
    assert wrong[1].startswith("half: expected ")
    assert f"'{NOTEBOOKS[0]}': 4.0" in wrong[1]
