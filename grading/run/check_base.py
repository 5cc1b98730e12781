"""What every module of hidden checks shares: the registry, and helpers for judges and inputs.

A check module (:mod:`grading.run.checks`, :mod:`grading.run.net_checks`) registers its checks
with :func:`check` and its notebook facts in :data:`FACTS` and :data:`FACT_JUDGES`;
:mod:`grading.run.checks` imports every check module, so importing it gives the whole
registry. Like the check modules, this one runs in the grader only: the checks reach
the student's package through the probe's sandboxed server, never by importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Tolerances of the checks on :func:`hostile_scores`: every correct formulation (a shift
# by each row's largest score, log-sum-exp, np.logaddexp...) agrees within about 1e-12
# relative; a global shift, or none, gives inf or NaN.
HOSTILE_RTOL, HOSTILE_ATOL = 1e-8, 1e-10


@dataclass(frozen=True)
class Check:
    """One call of the student's package on fixed inputs.

    Attributes
    ----------
    grade_id : str
        The test cell whose points depend on it.
    name : str
        What it checks, in words, for the feedback.
    run : callable
        ``run(lib, inputs) -> {key: array}``, run in the probe. ``lib`` gives the
        student's modules, ``inputs`` loads the class's probe inputs by name.
    judge : callable or None
        ``judge(outputs, context) -> problem or None``, run by the grader. None means
        "compare every output with the reference output" within ``rtol``/``atol``.
    """

    grade_id: str
    name: str
    run: Callable
    judge: Callable | None = None
    rtol: float = 1e-7
    atol: float = 1e-9

    @property
    def key(self):
        return self.run.__name__


CHECKS: list[Check] = []


def check(grade_id, name, *, judge=None, rtol=1e-7, atol=1e-9):
    """Register the decorated function as a :class:`Check` of ``grade_id``."""

    def register(run):
        CHECKS.append(Check(grade_id, name, run, judge, rtol, atol))
        return run

    return register


def checks_for(grade_id):
    return [c for c in CHECKS if c.grade_id == grade_id]


# grade_id -> {name: expression evaluated in the notebook just before that test cell}
FACTS: dict[str, dict[str, str]] = {}
# grade_id -> judge(facts, context) -> problem or None
FACT_JUDGES: dict[str, Callable] = {}


# ----------------------------------------------------------------------------- judges


def accuracy_at_least(bar, labels):
    """A judge: the ``pred`` output scores at least ``bar`` against ``context[labels]``."""

    def judge(outputs, context):
        truth = context[labels]
        pred = outputs.get("pred")
        if pred is None or pred.shape != truth.shape:
            shape = None if pred is None else pred.shape
            return f"expected {truth.shape[0]} predicted labels, got shape {shape}"
        accuracy = float(np.mean(pred == truth))
        if not accuracy >= bar:
            return f"validation accuracy {accuracy:.3f}, expected at least {bar:.2f}"
        return None

    return judge


def number(value):
    """A finite float from a recorded value, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def results_table(facts, columns):
    """The recorded search ``results`` as a float table with ``columns`` columns, or None."""
    try:
        table = np.array(facts.get("results"), dtype=float)
    except (TypeError, ValueError):
        return None
    return table if table.ndim == 2 and table.shape[1] == columns and len(table) else None


def judge_test_predictions(facts, context, bar):
    """The recorded ``test_pred`` scores at least ``bar`` on the grader's test labels."""
    pred, truth = np.asarray(facts.get("test_pred")), context["y_test"]
    if pred.shape != truth.shape:
        return f"expected {truth.shape[0]} predicted test labels, got shape {pred.shape}"
    accuracy = float(np.mean(pred == truth))
    if not accuracy >= bar:
        return f"test accuracy {accuracy:.3f}, expected at least {bar:.2f}"
    return None


# ----------------------------------------------------------------------------- inputs


def hostile_scores():
    """Scores that tell a loss computed row by row from one computed globally.

    Rows of very different magnitude: scores in the thousands (up to 5000), near 0,
    near -1e4, all equal (at 2000, at 0 and at -1e4), and rows that mix them.
    Subtracting each row's largest score keeps every softmax finite. Subtracting one
    largest score of the whole matrix (5000) leaves the rows near 0 or -1e4 without
    an exponential above underflow (their sums are 0: log 0, 0 / 0), and subtracting
    nothing overflows exp(5000). Fair to every correct formulation: each correct score
    is within 15 of its row's largest, so no correct class's probability underflows
    (``-log(probs[y])`` stays exact), and no SVM margin is near 0, where conventions
    differ. New arrays at every call: student code may change them in place.

    Returns
    -------
    scores : ndarray of shape (8, 5)
    y : ndarray of shape (8,)
        The correct classes.
    magnitudes : ndarray of shape (8,)
        A power of two per row, of the order of its scores: ``X = np.diag(magnitudes)``
        and ``W = scores / magnitudes[:, None]`` give ``X @ W == scores`` exactly.
    """
    scores = np.array(
        [
            [1000.0, 2500.0, 5000.0, 3000.0, 4990.0],  # thousands
            [1e-3, -2e-3, 5e-4, 0.0, 3e-3],  # near 0
            [-1e4, -9990.3, -9995.7, -1e4, -9989.1],  # negative extremes
            [2000.0] * 5,  # all equal, in the thousands
            [4000.0, -1e4, 0.0, 1e-3, 3985.0],  # mixed
            [-1e4, 3.0, -5e3, 1e-3, 2.0],  # mixed, largest near 0
            [0.0] * 5,  # all equal, at 0
            [-1e4] * 5,  # all equal, at -1e4
        ]
    )
    y = np.array([4, 1, 1, 3, 4, 4, 0, 2])
    magnitudes = 2.0 ** np.array([12, -10, 13, 11, 12, 13, 0, 13])
    return scores, y, magnitudes


_FEATURES = {}


def standardized_features(lib, inputs):
    """HOG + hue of the grading images, standardized: computed once per probe process.

    Each caller gets its own copies, so a check whose code changes them in place
    cannot change what the next check sees.
    """
    if "train" not in _FEATURES:
        features = lib.features
        fns = [features.hog_feature, features.color_histogram_hsv]
        _FEATURES["train"], _FEATURES["val"] = features.standardize_features(
            features.extract_features(inputs("images_train"), fns),
            features.extract_features(inputs("images_val"), fns),
        )
    return _FEATURES["train"].copy(), _FEATURES["val"].copy()
