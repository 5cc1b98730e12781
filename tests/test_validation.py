"""The shared argument checks of cs231n_lib._validation: check_choice and check_log_range."""

import re

import numpy as np
import pytest

from cs231n_lib._validation import check_choice, check_log_range


@pytest.mark.parametrize(
    ("value", "choices"),
    [
        ("l1", ("l2", "l1")),
        (np.str_("random"), ("k-means++", "random")),
        (2, {0: "a", 1: "b", 2: "c"}),  # a dict's keys
        (np.int64(1), (0, 1, 2)),
    ],
)
def test_check_choice_returns_a_valid_value(value, choices):
    assert check_choice("name", value, choices) is value


@pytest.mark.parametrize(
    ("value", "choices", "message"),
    [
        ("x", ("a", "b"), "Expected name to be one of 'a', 'b', got 'x'."),
        (3, (0, 1, 2), "Expected name to be one of 0, 1, 2, got 3."),
        (True, (0, 1, 2), "Expected name to be one of 0, 1, 2, got True."),  # True == 1
        (1, (True, False), "Expected name to be one of True, False, got 1."),
        ("L2", ("l2",), "Expected name to be one of 'l2', got 'L2'."),
        (["a"], ("a",), "Expected name to be one of 'a', got ['a']."),
        (np.array([0, 1]), (0, 1), "Expected name to be one of 0, 1, got array([0, 1])."),
    ],
)
def test_check_choice_lists_the_choices_and_what_it_got(value, choices, message):
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        check_choice("name", value, choices)
    assert str(info.value) == message


def test_check_choice_appends_the_hint():
    with pytest.raises(ValueError, match="Use init='k-means") as info:
        check_choice("init", "kmeans", ("k-means++", "random"), "Use init='k-means++'.")
    assert str(info.value) == (
        "Expected init to be one of 'k-means++', 'random', got 'kmeans'. Use init='k-means++'."
    )


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [((1e-3, 1e-1), (1e-3, 1e-1)), ([10, 0.5], (0.5, 10.0)), (np.array([2.0, 2.0]), (2.0, 2.0))],
)
def test_check_log_range_sorts_the_bounds(bounds, expected):
    low, high = check_log_range(bounds, "regs")
    assert (low, high) == expected
    assert type(low) is float
    assert type(high) is float


@pytest.mark.parametrize("bounds", [(1.0,), (1.0, 2.0, 3.0), (0.0, 1.0), (-1, 1), (1, np.inf), 5])
def test_check_log_range_rejects_what_is_not_a_positive_pair(bounds):
    with pytest.raises(ValueError, match="log-uniform") as info:
        check_log_range(bounds, "learning_rates", "Pass (low, high).")
    assert str(info.value) == (
        "Expected learning_rates to be a range (low, high) of numbers > 0 for a log-uniform "
        f"draw, got {bounds!r}. Pass (low, high)."
    )
