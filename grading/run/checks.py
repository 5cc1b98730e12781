"""The hidden checks: what each test cell's points depend on, judged outside the notebook.

Student code shares its kernel with the notebook's test cells, so anything the kernel
reports can be forged (jupyter/nbgrader#1324, #1941). The points of a test cell are
therefore decided here, by two kinds of evidence that the grader judges itself:

- **Checks** (:class:`Check`) call the student's package on fixed inputs. They run in
  the grader; each call of the package goes to :mod:`grading.run.probe`'s sandboxed
  server, a fresh process that imports only the package (no notebook state), and
  returns plain arrays. The grader compares those arrays with the
  *reference outputs* of the instructor's package (:mod:`grading.run.references`, built
  with the release and kept outside it), or judges them with its own data: the
  validation labels never enter the probe.
- **Facts** (:data:`FACTS`) are the few values a test cell reads from the notebook
  itself (the chosen k, the search results, a model's predictions). The grader
  records them from the executed notebook and judges them with :data:`FACT_JUDGES`.
  A submission can write any value there, exactly as an honest notebook could.

A test cell earns its points when every check and fact judge of its ``grade_id``
passes. This module runs in the grader only (student code sees none of it): it holds
the inputs and the rules; the reference outputs stay in ``build/private/``.
"""

from __future__ import annotations

import numpy as np

# The lecture's three images (cat, car, frog): with X the identity, X @ W are the scores.
# The grader imports them from the instructor's package, never the student's.
from cs231n_lib.toy_data import LECTURE_SCORES

from . import net_checks  # noqa: F401  (registers the two-layer net's checks and facts)
from .check_base import (
    CHECKS,
    FACT_JUDGES,
    FACTS,
    HOSTILE_ATOL,
    HOSTILE_RTOL,
    Check,
    accuracy_at_least,
    check,
    checks_for,
    hostile_scores,
    judge_test_predictions,
    number,
    results_table,
    standardized_features,
)

__all__ = ["CHECKS", "COURSE_KS", "FACTS", "FACT_JUDGES", "Check", "check", "checks_for"]

# The course's k values, tried by the kNN notebook's cross-validation.
COURSE_KS = (1, 3, 5, 8, 10, 12, 15, 20, 50, 100)

# Accuracy bars of the retraining checks, in grading mode (5,000 training images).
SVM_BAR = 0.30
SOFTMAX_BAR = 0.30
FEATURES_BAR = 0.40
# The notebooks' own bars in grading mode (their visible tests use the same).
TUNED_BAR = {"softmax-test-tuning": 0.25, "features-test-tuning": 0.35}
FEATURES_TEST_BAR = 0.35


# ----------------------------------------------------------------------------- judges


def _separates_blobs(outputs, context):
    history, accuracy = outputs.get("history"), outputs.get("accuracy")
    if history is None or history.shape != (200,):
        return "train() must return one loss per iteration (200)"
    if accuracy is None or not float(accuracy) >= 0.9:
        return "training on a small separable problem does not separate it"
    return None


def _consistent_search(outputs, context):
    """The search's results, best accuracy and best model agree with each other."""
    table, best = outputs.get("results"), outputs.get("best")
    model_train, model_val = outputs.get("model_train"), outputs.get("model_val")
    if table is None or table.shape != (6, 4):
        return "expected one result for each of the 6 settings"
    settings = {(float(a), float(b)) for a, b in table[:, :2]}
    if settings != {(a, b) for a in (1e-3, 1e-2) for b in (1e-3, 1e-1, 1.0)}:
        return "the results do not cover every pair of settings"
    if best is None or not np.isclose(float(best), np.nanmax(table[:, 3])):
        return "the best accuracy returned is not the best of the results"
    if model_val is None or not np.isclose(float(model_val), float(best)):
        return "the best model's validation accuracy is not the best accuracy returned"
    if not any(
        np.isclose(tr, float(model_train)) and np.isclose(va, float(model_val))
        for tr, va in table[:, 2:]
    ):
        return "the accuracies of the results are not those of the models trained"
    return None


# ----------------------------------------------------------------------------- kNN


def _knn(lib, X, y):
    return lib.classifiers.KNearestNeighbor().train(X, y)


def _distance_checks(method, seed, sizes, pixels):
    """Register the checks of one distance method: a small problem, and images."""
    grade_id = {
        "compute_distances_two_loops": "knn-test-two-loops",
        "compute_distances_one_loop": "knn-test-one-loop",
        "compute_distances_no_loops": "knn-test-no-loops",
    }[method]
    num_train, num_test, dim = sizes

    def small(lib, inputs):
        gen = np.random.default_rng(seed)
        X_train, X_test = gen.normal(size=(num_train, dim)), gen.normal(size=(num_test, dim))
        model = _knn(lib, X_train, np.arange(num_train) % 3)
        return {"dists": getattr(model, method)(X_test)}

    small.__name__ = f"{method}_small"
    check(grade_id, f"{method} on a small random problem", rtol=1e-8, atol=1e-8)(small)
    if not pixels:
        return

    def images(lib, inputs):
        gen = np.random.default_rng(seed + 100)
        images = gen.integers(0, 256, size=(40, 3072)).astype(np.float64)
        model = _knn(lib, images, np.arange(40) % 10)
        # Copies of training images: distance 0, where rounding can go negative.
        return {"dists": getattr(model, method)(images[[3, 3, 17, 39, 0]])}

    images.__name__ = f"{method}_images"
    check(grade_id, f"{method} between images, copies included", rtol=1e-8, atol=1e-3)(images)


_distance_checks("compute_distances_two_loops", 20, (11, 6, 7), pixels=True)
_distance_checks("compute_distances_one_loop", 22, (13, 4, 5), pixels=False)
_distance_checks("compute_distances_no_loops", 23, (17, 5, 6), pixels=True)


@check(
    "knn-test-predict-labels", "predict_labels on a hand-made case, ties included", rtol=0, atol=0
)
def predict_labels_hand_made(lib, inputs):
    model = _knn(lib, np.zeros((4, 1)), np.array([2, 1, 1, 2]))
    dists = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]])
    return {f"k{k}": model.predict_labels(dists, k=k) for k in (1, 2, 3)}


@check("knn-test-predict-labels", "predict_labels on random distances", rtol=0, atol=0)
def predict_labels_random(lib, inputs):
    gen = np.random.default_rng(21)
    model = _knn(lib, np.zeros((30, 1)), gen.integers(0, 4, size=30))
    dists = gen.random((12, 30))
    return {f"k{k}": model.predict_labels(dists, k=k) for k in (1, 2, 3, 4, 7, 30)}


@check(
    "knn-test-cross-validation", "cross_validate_knn on a small random problem", rtol=0, atol=1e-12
)
def cross_validation_small(lib, inputs):
    gen = np.random.default_rng(24)
    X, y = gen.normal(size=(53, 6)), gen.integers(0, 3, size=53)
    ks = [1, 2, 3, 5, 8]
    out = {}
    for folds in (5, 4):
        found = lib.cross_validation.cross_validate_knn(X, y, ks, num_folds=folds, progress=False)
        out[f"folds{folds}"] = np.array([np.asarray(found[k], dtype=float) for k in ks])
    return out


# ----------------------------------------------------------------------------- losses


def _hostile_problem():
    """(W, X, y) whose scores ``X @ W`` are exactly those of :func:`hostile_scores`."""
    scores, y, magnitudes = hostile_scores()
    return scores / magnitudes[:, None], np.diag(magnitudes), y  # (N, C), (N, N), (N,)


def _hostile_rows_check(grade_id, module, function, **options):
    """Register ``function`` on hostile rows (no regularization: other checks have it)."""

    def hostile(lib, inputs):
        loss_fn = getattr(getattr(lib.classifiers, module), function)
        W, X, y = _hostile_problem()
        with np.errstate(all="ignore"):
            loss, grad = loss_fn(W, X, y, 0.0, **options)
        return {"loss": loss, "grad": grad}

    squared = "_squared" if options.get("squared_hinge") else ""
    hostile.__name__ = f"{function}{squared}_hostile_rows"
    call = f"{function}(squared_hinge=True)" if squared else function
    stability = "; numerical stability row by row" if module == "softmax" else ""
    check(
        grade_id,
        f"{call} on rows of very different magnitude (scores in the thousands, "
        f"near 0, near -1e4, all equal{stability})",
        rtol=HOSTILE_RTOL,
        atol=HOSTILE_ATOL,
    )(hostile)


def _loss_checks(module, function, grade_id):
    """The lecture's example, a random problem with and without regularization, hostile rows."""

    def lecture(lib, inputs):
        loss_fn = getattr(getattr(lib.classifiers, module), function)
        loss, grad = loss_fn(LECTURE_SCORES, np.eye(3), np.arange(3), 0.0)
        first, _ = loss_fn(LECTURE_SCORES, np.eye(3)[:1], np.arange(1), 0.0)
        return {"loss": loss, "grad": grad, "first_loss": first}

    def random(lib, inputs):
        loss_fn = getattr(getattr(lib.classifiers, module), function)
        gen = np.random.default_rng(32)
        W, X, y = gen.normal(size=(7, 5)), gen.normal(size=(12, 7)), gen.integers(0, 5, 12)
        out = {}
        for i, reg in enumerate((0.0, 0.25, 0.7)):
            out[f"loss{i}"], out[f"grad{i}"] = loss_fn(W, X, y, reg)
        return out

    lecture.__name__ = f"{function}_lecture"
    random.__name__ = f"{function}_random"
    check(grade_id, f"{function} on the lecture's three examples")(lecture)
    check(grade_id, f"{function} on a random problem, with regularization", rtol=1e-6, atol=1e-9)(
        random
    )

    if module == "softmax":

        def stable(lib, inputs):
            loss_fn = getattr(lib.classifiers.softmax, function)
            with np.errstate(all="ignore"):
                loss, grad = loss_fn(LECTURE_SCORES + 1000.0, np.eye(3), np.arange(3), 0.0)
            return {"loss": loss, "grad": grad}

        stable.__name__ = f"{function}_large_scores"
        check(
            grade_id,
            f"{function} with scores near 1000 (numerical stability)",
            rtol=1e-8,
            atol=1e-10,
        )(stable)

    _hostile_rows_check(grade_id, module, function)


_loss_checks("linear_svm", "svm_loss_naive", "svm-test-naive-loss")
_loss_checks("linear_svm", "svm_loss_vectorized", "svm-test-vectorized-loss")
_loss_checks("softmax", "softmax_loss_naive", "softmax-test-naive-loss")
_loss_checks("softmax", "softmax_loss_vectorized", "softmax-test-vectorized-loss")


def _squared_hinge_checks(function):
    """The squared hinge of one SVM loss: the lecture's example, a random problem, hostile rows."""

    def lecture(lib, inputs):
        loss_fn = getattr(lib.classifiers.linear_svm, function)
        loss, grad = loss_fn(LECTURE_SCORES, np.eye(3), np.arange(3), 0.0, squared_hinge=True)
        return {"loss": loss, "grad": grad}

    def random(lib, inputs):
        loss_fn = getattr(lib.classifiers.linear_svm, function)
        gen = np.random.default_rng(34)
        W, X, y = gen.normal(size=(6, 4)), gen.normal(size=(15, 6)), gen.integers(0, 4, 15)
        out = {}
        for i, reg in enumerate((0.0, 0.3)):
            out[f"loss{i}"], out[f"grad{i}"] = loss_fn(W, X, y, reg, squared_hinge=True)
        return out

    lecture.__name__ = f"{function}_squared_lecture"
    random.__name__ = f"{function}_squared_random"
    check(
        "svm-test-squared-hinge", f"{function}(squared_hinge=True) on the lecture's three examples"
    )(lecture)
    check(
        "svm-test-squared-hinge",
        f"{function}(squared_hinge=True) on a random problem",
        rtol=1e-6,
        atol=1e-9,
    )(random)
    _hostile_rows_check("svm-test-squared-hinge", "linear_svm", function, squared_hinge=True)


_squared_hinge_checks("svm_loss_naive")
_squared_hinge_checks("svm_loss_vectorized")


def _weights_with_zeros(seed, order):
    gen = np.random.default_rng(seed)
    W = gen.normal(size=(8, 5))
    W[gen.random(W.shape) < 0.3] = 0.0
    return np.asarray(W, order=order)


@check(
    "svm-test-regularizers",
    "l1_penalty on weights with zeros, C and Fortran order",
    rtol=1e-10,
    atol=1e-12,
)
def l1_penalty_with_zeros(lib, inputs):
    out = {}
    for order in ("C", "F"):
        out[f"penalty_{order}"], out[f"grad_{order}"] = lib.classifiers.regularization.l1_penalty(
            _weights_with_zeros(35, order), 0.6
        )
    return out


@check(
    "svm-test-regularizers",
    "elastic_net_penalty on weights with zeros, for three betas",
    rtol=1e-10,
    atol=1e-12,
)
def elastic_net_with_zeros(lib, inputs):
    out = {}
    for i, beta in enumerate((0.0, 0.5, 4.0)):
        out[f"penalty{i}"], out[f"grad{i}"] = lib.classifiers.regularization.elastic_net_penalty(
            _weights_with_zeros(36, "C"), 1.3, beta
        )
    return out


# ----------------------------------------------------------------------------- training


def _fixed_weights_prediction(model, seed, num_features, num_classes, num_rows):
    """``model``'s predictions for random rows, with random weights set by hand."""
    gen = np.random.default_rng(seed)
    model.W = gen.standard_normal((num_features, num_classes))
    return {"pred": model.predict(gen.standard_normal((num_rows, num_features)))}


def _trained_on_cifar(model, inputs, learning_rate, reg):
    """``model`` trained on the grading images with fixed settings: its validation predictions."""
    model.train(
        inputs("X_train"),
        inputs("y_train"),
        learning_rate=learning_rate,
        reg=reg,
        num_iters=500,
        rng=0,
    )
    return {"pred": model.predict(inputs("X_val"))}


@check("svm-test-train-predict", "predict returns the class of the highest score", rtol=0, atol=0)
def svm_predict_fixed_weights(lib, inputs):
    return _fixed_weights_prediction(lib.classifiers.LinearSVM(), 31, 6, 4, 25)


@check(
    "svm-test-train-predict", "training separates a small separable problem", judge=_separates_blobs
)
def svm_train_blobs(lib, inputs):
    gen = np.random.default_rng(31)
    y = gen.integers(0, 3, size=150)
    X = np.hstack([4.0 * np.eye(3)[y] + 0.5 * gen.normal(size=(150, 3)), np.ones((150, 1))])
    model = lib.classifiers.LinearSVM()
    history = model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=200, batch_size=50, rng=0)
    return {"history": np.asarray(history, dtype=float), "accuracy": np.mean(model.predict(X) == y)}


@check(
    "svm-test-train-predict",
    f"a LinearSVM trained on CIFAR-10 with fixed settings "
    f"reaches {SVM_BAR:.2f} validation accuracy",
    judge=accuracy_at_least(SVM_BAR, "y_val"),
)
def svm_train_cifar(lib, inputs):
    return _trained_on_cifar(lib.classifiers.LinearSVM(), inputs, learning_rate=1e-7, reg=2.5e4)


@check(
    "svm-test-tuning",
    "tune_linear_classifier on a small synthetic problem",
    judge=_consistent_search,
)
def svm_search_synthetic(lib, inputs):
    gen = np.random.default_rng(33)
    y = gen.integers(0, 3, size=90)
    X = np.hstack([2.0 * np.eye(3)[y] + gen.normal(size=(90, 3)), np.ones((90, 1))])
    found, best, model = lib.cross_validation.tune_linear_classifier(
        lib.classifiers.LinearSVM,
        X[:60],
        y[:60],
        X[60:],
        y[60:],
        [1e-3, 1e-2],
        [1e-3, 1e-1, 1.0],
        num_iters=30,
        rng=0,
        progress=False,
    )
    if not isinstance(model, lib.classifiers.LinearSVM):
        raise TypeError(f"the best model is a {type(model).__name__}, not a LinearSVM")
    table = np.array([[lr, reg, tr, va] for (lr, reg), (tr, va) in found.items()], float)
    return {
        "results": table,
        "best": best,
        "model_train": np.mean(model.predict(X[:60]) == y[:60]),
        "model_val": np.mean(model.predict(X[60:]) == y[60:]),
    }


@check("softmax-test-tuning", "predict returns the class of the highest score", rtol=0, atol=0)
def softmax_predict_fixed_weights(lib, inputs):
    return _fixed_weights_prediction(lib.classifiers.Softmax(), 7, 9, 4, 30)


@check(
    "softmax-test-tuning",
    f"a Softmax trained on CIFAR-10 with fixed settings reaches "
    f"{SOFTMAX_BAR:.2f} validation accuracy",
    judge=accuracy_at_least(SOFTMAX_BAR, "y_val"),
)
def softmax_train_cifar(lib, inputs):
    return _trained_on_cifar(lib.classifiers.Softmax(), inputs, learning_rate=5e-7, reg=5e3)


@check(
    "features-test-tuning",
    f"a LinearSVM trained on HOG and colour features with fixed "
    f"settings reaches {FEATURES_BAR:.2f} validation accuracy",
    judge=accuracy_at_least(FEATURES_BAR, "y_val"),
)
def features_train_cifar(lib, inputs):
    F_train, F_val = standardized_features(lib, inputs)
    model = lib.classifiers.LinearSVM()
    model.train(F_train, inputs("y_train"), learning_rate=1e-3, reg=0.1, num_iters=300, rng=0)
    return {"pred": model.predict(F_val)}


# ----------------------------------------------------------------------------- facts

_RESULTS = "[[lr, reg, tr, va] for (lr, reg), (tr, va) in results.items()]"

FACTS.update(
    {
        "knn-test-best-k": {"best_k": "best_k", "k_choices": "k_choices"},
        "svm-test-tuning": {
            "results": _RESULTS,
            "best_val": "best_val",
            "learning_rates": "learning_rates",
            "regularization_strengths": "regularization_strengths",
        },
        "softmax-test-tuning": {
            "results": _RESULTS,
            "best_val": "best_val",
            "val_pred": "best_softmax.predict(X_val)",
        },
        "features-test-tuning": {
            "results": _RESULTS,
            "best_val": "best_val",
            "val_pred": "best_svm.predict(F_val)",
        },
        "features-test-test-accuracy": {"test_pred": "best_svm.predict(F_test)"},
    }
)


def _judge_best_k(facts, context):
    best_k = facts.get("best_k")
    if isinstance(best_k, bool) or not isinstance(best_k, int):
        return f"best_k must be an integer, got {best_k!r}"
    if best_k not in COURSE_KS:
        return f"best_k = {best_k} is not one of the values tried {list(COURSE_KS)}"
    means = context["knn_cv_means"]  # reference cross-validation of the grading images
    best = means[COURSE_KS.index(best_k)]
    if best < means.max() - 0.01:
        return (
            f"k = {best_k} does not have one of the best cross-validation accuracies "
            f"({best:.3f} against {means.max():.3f})"
        )
    return None


def _judge_search(grade_id, labels=None, bar=None):
    def judge(facts, context):
        table = results_table(facts, 4)  # [lr, reg, train_acc, val_acc]
        best = number(facts.get("best_val"))
        if table is None:
            return "results must map (learning rate, reg) to (train accuracy, val accuracy)"
        if grade_id == "svm-test-tuning":
            rates, regs = facts.get("learning_rates"), facts.get("regularization_strengths")
            try:
                expected = {(float(a), float(b)) for a in rates for b in regs}
            except (TypeError, ValueError):
                return "learning_rates and regularization_strengths must be lists of numbers"
            if {(a, b) for a, b in table[:, :2]} != expected:
                return "results must hold one entry for every pair of settings"
        finite = table[:, 3][np.isfinite(table[:, 3])]
        if best is None or not len(finite) or best != finite.max():
            return "best_val must be the best validation accuracy in results"
        if labels is not None:
            pred = np.asarray(facts.get("val_pred"))
            truth = context[labels]
            if pred.shape != truth.shape or abs(float(np.mean(pred == truth)) - best) > 1e-12:
                return "the best model does not reach best_val on the validation set"
        if bar is not None and not best > bar:
            return f"best validation accuracy {best:.3f}, expected over {bar:.2f}"
        return None

    return judge


def _judge_test_accuracy(facts, context):
    return judge_test_predictions(facts, context, FEATURES_TEST_BAR)


FACT_JUDGES.update(
    {
        "knn-test-best-k": _judge_best_k,
        "svm-test-tuning": _judge_search("svm-test-tuning"),
        "softmax-test-tuning": _judge_search(
            "softmax-test-tuning", "y_val", TUNED_BAR["softmax-test-tuning"]
        ),
        "features-test-tuning": _judge_search(
            "features-test-tuning", "y_val", TUNED_BAR["features-test-tuning"]
        ),
        "features-test-test-accuracy": _judge_test_accuracy,
    }
)
