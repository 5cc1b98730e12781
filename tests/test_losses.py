"""SVM and softmax losses: the lecture's worked example, naive == vectorized, gradients."""

import numpy as np
import pytest

from cs231n_lib.classifiers import (
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)
from cs231n_lib.gradient_check import grad_check_sparse, rel_error
from cs231n_lib.toy_data import LECTURE_LABELS, LECTURE_SCORES

SVM = (svm_loss_naive, svm_loss_vectorized)
SOFTMAX = (softmax_loss_naive, softmax_loss_vectorized)
ALL_LOSSES = [*SVM, *SOFTMAX]
TWINS = [SVM, SOFTMAX]


def lecture_problem():
    """X and W with X @ W equal to the lecture's scores, exactly: X = I, W = scores."""
    return LECTURE_SCORES.copy(), np.eye(3), LECTURE_LABELS


def random_problem(seed, num_train=30, dim=20, num_classes=7, scale=1e-2):
    rng = np.random.default_rng(seed)
    W = scale * rng.standard_normal((dim, num_classes))
    X = rng.standard_normal((num_train, dim))
    y = rng.integers(num_classes, size=num_train)
    return W, X, y


def test_the_shared_lecture_example_cannot_be_changed_by_accident():
    assert LECTURE_SCORES.shape == (3, 3)
    np.testing.assert_array_equal(LECTURE_LABELS, [0, 1, 2])
    with pytest.raises(ValueError, match="read-only"):
        LECTURE_SCORES[0, 0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        LECTURE_LABELS[0] = 1


@pytest.mark.parametrize("loss_fn", ALL_LOSSES)
def test_lecture_example_scores_are_exact(loss_fn):
    W, X, y = lecture_problem()
    np.testing.assert_array_equal(X @ W, LECTURE_SCORES)
    # The losses see the data only through the scores X @ W: the same scores from another
    # exact factorization, X a scaled 3-cycle (W @ X and X.T @ W are other scores), give
    # the same loss and the gradient X.T @ dscores.
    cycle = np.eye(3)[[1, 2, 0]]
    X2, W2 = 2.0 * cycle, cycle.T @ LECTURE_SCORES / 2.0
    np.testing.assert_array_equal(X2 @ W2, LECTURE_SCORES)
    loss, grad = loss_fn(W, X, y, 0.0)
    loss2, grad2 = loss_fn(W2, X2, y, 0.0)
    # The definitions, by hand: with X = I the gradient is d loss / d scores.
    rows = np.arange(3)
    if loss_fn in SVM:  # cat: car's margin counts; car: none; frog: cat's and car's
        expected = (2.9 + 0.0 + 12.9) / 3
        dscores = np.array([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3
    else:
        exp_scores = np.exp(LECTURE_SCORES)  # (3, 3); scores of a few units: no overflow
        probs = exp_scores / exp_scores.sum(axis=1, keepdims=True)
        expected = -np.mean(np.log(probs[rows, y]))
        dscores = (probs - np.eye(3)[y]) / 3
    np.testing.assert_allclose([loss, loss2], [expected, expected], rtol=1e-12)
    np.testing.assert_allclose(grad, dscores, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad2, X2.T @ dscores, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("svm_loss", SVM)
def test_svm_loss_on_the_lecture_example(svm_loss):
    W, X, y = lecture_problem()
    per_example = [svm_loss(W, X[i : i + 1], y[i : i + 1], 0.0)[0] for i in range(3)]
    np.testing.assert_allclose(per_example, [2.9, 0.0, 12.9], atol=1e-12)
    loss, _ = svm_loss(W, X, y, 0.0)
    np.testing.assert_allclose(loss, (2.9 + 0.0 + 12.9) / 3, rtol=1e-12)
    assert round(loss, 2) == 5.27


@pytest.mark.parametrize("softmax_loss", SOFTMAX)
def test_softmax_loss_of_the_lecture_cat(softmax_loss):
    W, X, y = lecture_problem()
    loss, _ = softmax_loss(W, X[:1], y[:1], 0.0)
    scores = LECTURE_SCORES[0]
    p_cat = np.exp(scores[0]) / np.exp(scores).sum()
    np.testing.assert_allclose(loss, -np.log(p_cat), rtol=1e-12)
    assert round(loss, 2) == 2.04


@pytest.mark.parametrize("num_classes", [3, 10])
@pytest.mark.parametrize("seed", range(3))
def test_loss_at_tiny_weights_is_the_sanity_value(num_classes, seed):
    W, X, y = random_problem(seed, num_train=500, num_classes=num_classes, scale=1e-7)
    for svm_loss in SVM:
        np.testing.assert_allclose(svm_loss(W, X, y, 0.0)[0], num_classes - 1, rtol=1e-4)
    for softmax_loss in SOFTMAX:
        np.testing.assert_allclose(softmax_loss(W, X, y, 0.0)[0], np.log(num_classes), rtol=1e-4)


@pytest.mark.parametrize("reg", [0.0, 5e-6, 50.0])
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("twins", TWINS, ids=["svm", "softmax"])
def test_naive_and_vectorized_agree(twins, seed, reg):
    naive, vectorized = twins
    W, X, y = random_problem(seed, num_classes=3 + seed)
    loss_naive, grad_naive = naive(W, X, y, reg)
    loss_vec, grad_vec = vectorized(W, X, y, reg)
    assert rel_error(loss_naive, loss_vec) < 1e-10
    np.testing.assert_allclose(grad_vec, grad_naive, rtol=1e-8, atol=1e-12)
    assert isinstance(loss_vec, float)
    assert grad_vec.shape == W.shape


@pytest.mark.parametrize("loss_fn", ALL_LOSSES)
@pytest.mark.parametrize("reg", [0.0, 50.0])
@pytest.mark.parametrize("seed", range(4))
def test_gradient_matches_numerical_gradient(loss_fn, reg, seed):
    W, X, y = random_problem(seed, scale=1.0)  # scores far from the hinge's kinks
    _, grad = loss_fn(W, X, y, reg)
    error = grad_check_sparse(
        lambda w: loss_fn(w, X, y, reg)[0], W, grad, num_checks=20, rng=seed, verbose=False
    )
    # A wrong gradient gives errors near 1e-1; rounding in the centred difference of a
    # loss of ~1e4 (reg 50) costs up to a few 1e-7 on small entries.
    assert error < 1e-6


@pytest.mark.parametrize("loss_fn", ALL_LOSSES)
def test_regularization_adds_reg_times_squared_norm(loss_fn):
    W, X, y = random_problem(0)
    loss0, grad0 = loss_fn(W, X, y, 0.0)
    loss1, grad1 = loss_fn(W, X, y, 3.0)
    np.testing.assert_allclose(loss1 - loss0, 3.0 * np.sum(W * W), rtol=1e-10)
    np.testing.assert_allclose(grad1 - grad0, 2 * 3.0 * W, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("softmax_loss", SOFTMAX)
def test_softmax_stays_finite_for_extreme_scores(softmax_loss):
    # Scores of magnitude 1e4: exp() of them overflows without the max shift.
    W, X, y = lecture_problem()
    W = W * 1e4 / np.abs(W).max()
    loss, grad = softmax_loss(W, X, y, 0.0)
    assert np.isfinite(loss)
    assert np.all(np.isfinite(grad))
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    expected = np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(3), y])
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    assert loss > 1e3  # the frog example is wrong by thousands of units of score


@pytest.mark.parametrize("svm_loss", SVM)
def test_svm_stays_finite_for_extreme_scores(svm_loss):
    W, X, y = lecture_problem()
    loss, grad = svm_loss(W * 1e4, X, y, 0.0)
    # Positive margins: cat 1.9e4 + 1, frog 5.3e4 + 1 and 5.6e4 + 1; the car has none.
    np.testing.assert_allclose(loss, (1.9e4 + 5.3e4 + 5.6e4 + 3) / 3, rtol=1e-12)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("loss_fn", ALL_LOSSES)
def test_float32_inputs(loss_fn):
    W, X, y = random_problem(0)
    loss64, grad64 = loss_fn(W, X, y, 1.0)
    loss32, grad32 = loss_fn(W.astype(np.float32), X.astype(np.float32), y, 1.0)
    np.testing.assert_allclose(loss32, loss64, rtol=1e-5)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("loss_fn", ALL_LOSSES)
def test_bad_inputs_say_what_to_fix(loss_fn):
    W, X, y = random_problem(0, dim=20, num_classes=7)
    with pytest.raises(ValueError, match="bias column"):
        loss_fn(W, X[:, :-1], y, 0.0)
    with pytest.raises(ValueError, match=r"0 <= y < C = 7"):
        loss_fn(W, X, np.full_like(y, 7), 0.0)
    with pytest.raises(ValueError, match="one label per row"):
        loss_fn(W, X, y[:-1], 0.0)
    with pytest.raises(ValueError, match="reg >= 0"):
        loss_fn(W, X, y, -1.0)
    with pytest.raises(ValueError, match="2-D array"):
        loss_fn(W, X.reshape(-1, 4, 5), y, 0.0)
